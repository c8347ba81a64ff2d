package main

import (
	"cmp"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"

	"github.com/populus-vn/populus/internal/audit"
	"github.com/populus-vn/populus/internal/auth"
	"github.com/populus-vn/populus/internal/oidc"
	"github.com/populus-vn/populus/internal/problem"
)

// clientFlags are the flags the fields of a relying party's problems come
// from.
var clientFlags = map[string]string{
	"id": "--id", "client_id": "--id", "name": "--name", "auth_method": "--auth", "redirect_uris": "--redirect-uri",
	"post_logout_redirect_uris": "--post-logout-uri", "scopes": "--scopes", "essential_scopes": "--essential",
	"min_level": "--min-level", "jwks": "--jwks", "verify_purposes": "--purposes", "id_token_signed_response_alg": "--id-token-alg",
	"userinfo_signed_response_alg": "--userinfo-alg", "userinfo_encrypted_response_alg": "--userinfo-enc-alg",
	"userinfo_encrypted_response_enc": "--userinfo-enc", "id_token_encrypted_response_alg": "--id-token-enc-alg",
	"id_token_encrypted_response_enc": "--id-token-enc", "sector_identifier": "--sector",
}

// runClients manages the relying parties of the OpenID provider.
func runClients(ctx context.Context, args []string, env func(string) string, stdout, stderr io.Writer) (retErr error) {
	// A relying party's problems name the API's fields: said here with
	// the flags they come from.
	defer func() { retErr = cliError(retErr, clientFlags) }()
	usage := func(w io.Writer) {
		fmt.Fprintln(w, "Usage: populus clients add|update|list|disable [--data DIR | --db URL] …")
		fmt.Fprintln(w, "  add      register a relying party (flags: --id --name --redirect-uri --scopes; see populus clients add --help);")
		fmt.Fprintln(w, "           prints its client secret once (client_secret_basic)")
		fmt.Fprintln(w, "  update   change a relying party's registration: --id and the flags of add to change (a new version)")
		fmt.Fprintln(w, "  list     list the relying parties")
		fmt.Fprintln(w, "  disable  withdraw a relying party: no more sign-ins, its tokens revoked (argument: its id)")
	}
	if len(args) == 0 {
		usage(stderr)
		return errUsage
	}
	sub := args[0]
	subs := []string{"add", "update", "list", "disable"}
	switch {
	case sub == "-h" || sub == "-help" || sub == "--help" || sub == "help":
		usage(stdout)
		return nil
	case strings.HasPrefix(sub, "-"):
		return fmt.Errorf("clients: unknown flag %s before the subcommand (add, update, list or disable). Run 'populus clients --help'.", sub)
	case !slices.Contains(subs, sub):
		return unknownSubcommand("clients", sub, subs)
	}
	var c config
	f := newFlags("clients "+sub, env, stdout)
	f.summary = map[string]string{
		"add":     "Registers a relying party of the OpenID provider; prints its client secret once (client_secret_basic).",
		"update":  "Changes a relying party's registration: the flags given replace what it had, the others stay; the former registration is kept as a version. Prints a new client secret once when the client moves to client_secret_basic.",
		"list":    "Lists the relying parties.",
		"disable": "Withdraws a relying party: no more sign-ins, its tokens revoked.",
	}[sub]
	f.store(&c)
	if sub == "disable" {
		f.args, f.argsUsage = 1, " CLIENT_ID"
	}
	var cfg oidc.ClientConfig
	var redirects, logouts, scopes, essential, jwksFile, purposes string
	if sub == "add" || sub == "update" {
		// update changes only the flags given: it shows no defaults.
		def, minLevel := func(v string) string { return v }, 1
		if sub == "update" {
			def, minLevel = func(string) string { return "" }, 0
		}
		f.fs.StringVar(&cfg.ID, "id", "", "client id: lower-case letters, digits, '.', '-', '_'")
		f.fs.StringVar(&cfg.Name, "name", "", "name shown to citizens on the consent screen")
		f.fs.StringVar(&cfg.AuthMethod, "auth", def(oidc.AuthSecretBasic), "client authentication: client_secret_basic or private_key_jwt")
		f.fs.StringVar(&redirects, "redirect-uri", "", "comma-separated redirect URIs (https; http only on loopback)")
		f.fs.StringVar(&logouts, "post-logout-uri", "", "comma-separated post-logout redirect URIs")
		f.fs.StringVar(&scopes, "scopes", def("openid profile"), "space-separated scopes the client may ask for (openid profile birthdate address phone vn_pin offline_access)")
		f.fs.StringVar(&essential, "essential", "", "space-separated scopes without which the client cannot serve the citizen")
		f.fs.IntVar(&cfg.MinLevel, "min-level", minLevel, "level of account required: 1 or 2")
		f.fs.StringVar(&jwksFile, "jwks", "", "file of the client's public JSON Web Key Set (private_key_jwt; the encryption keys)")
		f.fs.BoolVar(&cfg.PARRequired, "par", false, "require pushed authorization requests (RFC 9126)")
		f.fs.BoolVar(&cfg.Verify, "verify", false, "entitle the client to the verification API (POST /api/v1/verify)")
		f.fs.StringVar(&cfg.IDTokenAlg, "id-token-alg", def("RS256"), "algorithm of the client's ID tokens: RS256 or ES256 (faster to sign)")
		f.fs.StringVar(&cfg.UserinfoAlg, "userinfo-alg", "", "sign the userinfo answer as a JWT with RS256 or ES256 (default: plain JSON)")
		f.fs.StringVar(&purposes, "purposes", "", "comma-separated purposes the client may give for verifications (default: any)")
		f.fs.StringVar(&cfg.UserinfoEncAlg, "userinfo-enc-alg", "", "encrypt the userinfo answer (a nested JWT) to the client's jwks key: RSA-OAEP-256 or ECDH-ES+A256KW")
		f.fs.StringVar(&cfg.UserinfoEnc, "userinfo-enc", "", "content encryption of the userinfo answer: A256GCM (default) or A128CBC-HS256")
		f.fs.StringVar(&cfg.IDTokenEncAlg, "id-token-enc-alg", "", "encrypt the client's ID tokens to its jwks key: RSA-OAEP-256 or ECDH-ES+A256KW")
		f.fs.StringVar(&cfg.IDTokenEnc, "id-token-enc", "", "content encryption of the ID tokens: A256GCM (default) or A128CBC-HS256")
		f.fs.StringVar(&cfg.Sector, "sector", "", "sector identifier of the pairwise subjects (default: the host of the first redirect URI)")
	}
	if err := f.parse(args[1:]); err != nil {
		return err
	}
	if sub == "add" || sub == "update" {
		cfg.RedirectURIs, cfg.PostLogoutRedirectURIs = splitList(redirects), splitList(logouts)
		cfg.Scopes, cfg.Essential = strings.Fields(scopes), strings.Fields(essential)
		cfg.Purposes = splitList(purposes)
		if jwksFile != "" {
			b, err := os.ReadFile(jwksFile)
			if err != nil {
				return err
			}
			cfg.JWKS = json.RawMessage(b)
		}
	}
	p, err := open(ctx, c, nil)
	if err != nil {
		return err
	}
	defer p.Close()
	clients := oidc.NewClients(p.DB)
	// The console's changes are audited as the console's (system:cli).
	console := auth.Principal{Kind: auth.KindSystem, Username: "cli"}
	switch sub {
	case "add":
		secret, err := clients.Register(ctx, cfg)
		if err != nil {
			return err
		}
		if err := p.Audit.Record(ctx, audit.Of(console, oidc.ManageClients, "client:"+cfg.ID).With("registered from the command line")); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "registered %s\n", cfg.ID)
		if secret != "" {
			fmt.Fprintf(stdout, "client secret (shown once; keep it in the client's secret store): %s\n", secret)
		}
	case "update":
		if cfg.ID == "" {
			return problem.Field("id", "is required: the client to update")
		}
		cur, err := clients.Get(ctx, cfg.ID)
		if err != nil {
			return fmt.Errorf("client %s: %w", cfg.ID, err)
		}
		next := cur.ClientConfig
		f.fs.Visit(func(fl *flag.Flag) { setClientFlag(&next, &cfg, fl.Name) })
		version, secret, err := clients.Update(ctx, next)
		if err != nil {
			return err
		}
		if err := p.Audit.Record(ctx, audit.Of(console, oidc.ManageClients, "client:"+cfg.ID).With(fmt.Sprintf("updated from the command line (version %d)", version))); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "updated %s: version %d\n", cfg.ID, version)
		if secret != "" {
			fmt.Fprintf(stdout, "client secret (shown once; keep it in the client's secret store): %s\n", secret)
		}
	case "list":
		list, err := clients.List(ctx)
		if err != nil {
			return err
		}
		for _, x := range list {
			fmt.Fprintf(stdout, "%-20s %-24s %-19s level %d  par %-5v scopes %s  redirect %s\n", x.ID, x.Name, x.AuthMethod, x.MinLevel, x.PARRequired,
				strings.Join(x.Scopes, " "), strings.Join(x.RedirectURIs, ","))
			if d := clientDetails(x); d != "" {
				fmt.Fprintf(stdout, "%-20s %s\n", "", d)
			}
		}
	case "disable":
		if err := clients.Disable(ctx, f.rest[0]); err != nil {
			return err
		}
		if err := p.Audit.Record(ctx, audit.Of(console, oidc.ManageClients, "client:"+f.rest[0]).With("disabled from the command line")); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "%s: disabled\n", f.rest[0])
	}
	return nil
}

// clientDetails is the second line of a client in populus clients list:
// what was registered beyond the first line, "" when nothing was.
func clientDetails(x oidc.ClientConfig) string {
	var d []string
	add := func(name, v string) {
		if v != "" {
			d = append(d, name+" "+v)
		}
	}
	add("essential", strings.Join(x.Essential, " "))
	add("sector", x.Sector)
	add("id-token-alg", x.IDTokenAlg)
	add("userinfo-alg", x.UserinfoAlg)
	if x.UserinfoEncAlg != "" {
		add("userinfo-enc", x.UserinfoEncAlg+" "+cmp.Or(x.UserinfoEnc, "A256GCM"))
	}
	if x.IDTokenEncAlg != "" {
		add("id-token-enc", x.IDTokenEncAlg+" "+cmp.Or(x.IDTokenEnc, "A256GCM"))
	}
	if x.Verify {
		d = append(d, "verify")
		add("purposes", strings.Join(x.Purposes, ", "))
	}
	if len(x.JWKS) > 0 {
		d = append(d, "jwks")
	}
	add("post-logout", strings.Join(x.PostLogoutRedirectURIs, ","))
	return strings.Join(d, "  ")
}

// setClientFlag copies into next the setting of populus clients update's
// flag name, parsed into given.
func setClientFlag(next, given *oidc.ClientConfig, name string) {
	switch name {
	case "name":
		next.Name = given.Name
	case "auth":
		next.AuthMethod = given.AuthMethod
	case "redirect-uri":
		next.RedirectURIs = given.RedirectURIs
	case "post-logout-uri":
		next.PostLogoutRedirectURIs = given.PostLogoutRedirectURIs
	case "scopes":
		next.Scopes = given.Scopes
	case "essential":
		next.Essential = given.Essential
	case "min-level":
		next.MinLevel = given.MinLevel
	case "jwks":
		next.JWKS = given.JWKS
	case "par":
		next.PARRequired = given.PARRequired
	case "verify":
		next.Verify = given.Verify
	case "id-token-alg":
		next.IDTokenAlg = given.IDTokenAlg
	case "userinfo-alg":
		next.UserinfoAlg = given.UserinfoAlg
	case "purposes":
		next.Purposes = given.Purposes
	case "userinfo-enc-alg":
		next.UserinfoEncAlg = given.UserinfoEncAlg
	case "userinfo-enc":
		next.UserinfoEnc = given.UserinfoEnc
	case "id-token-enc-alg":
		next.IDTokenEncAlg = given.IDTokenEncAlg
	case "id-token-enc":
		next.IDTokenEnc = given.IDTokenEnc
	case "sector":
		next.Sector = given.Sector
	}
}
