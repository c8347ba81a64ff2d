package main

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/populus-vn/populus/internal/audit"
	"github.com/populus-vn/populus/internal/auth"
	"github.com/populus-vn/populus/internal/exchange"
	"github.com/populus-vn/populus/internal/httpx"
	"github.com/populus-vn/populus/internal/oidc"
	"github.com/populus-vn/populus/internal/register"
)

// newExchange builds the data exchange over p (with the OpenID provider's
// verification and master key) and fills in its catalogue of built-in
// services and purposes.
func (p *platform) newExchange(ctx context.Context, c config, demo bool, prov *oidc.Provider, master oidc.MasterKey) (*exchange.Exchange, error) {
	// The register as the exchange reads it: the exchange's entry of each
	// access, with its member, purpose and fields, is the read's entry.
	reg := register.New(p.DB, auth.NewGuard(auth.NewPolicy(p.Units), exchange.ReadRecorder(p.Audit)), p.Audit, p.Units)
	eg := c.egressPolicy(demo)
	o := exchange.Options{DB: p.DB, Audit: p.Audit, Guard: p.Guard, Register: reg, Master: master,
		TokenURL: publicURL(c) + exchange.TokenPath, Egress: &eg,
		RequestsPerMinute: perMinute(c.ExchangeRequestsPerMinute), BatchRowsPerMinute: perMinute(c.ExchangeBatchRowsPerMinute)}
	if prov != nil {
		o.Verifier = prov
	}
	x := exchange.New(o)
	return x, x.EnsureCatalogue(ctx)
}

// perMinute is a limit of the flags (0: none) as exchange.Options takes
// it (negative: none).
func perMinute(n int) int {
	if n <= 0 {
		return -1
	}
	return n
}

// serveExchange serves h on the exchange listener (--exchange-addr): TLS
// with a server certificate of the exchange's CA, client certificates of
// the CA verified (mutual TLS). It returns the bound address.
func serveExchange(ctx context.Context, addr string, x *exchange.Exchange, h http.Handler, log *slog.Logger) (string, func(), error) {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return "", nil, fmt.Errorf("--exchange-addr %s: %w", addr, err)
	}
	hosts := []string{"127.0.0.1", "localhost"}
	if host != "" && !slices.Contains(hosts, host) {
		hosts = append(hosts, host)
	}
	cfg, err := x.TLSConfig(ctx, hosts)
	if err != nil {
		return "", nil, err
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return "", nil, fmt.Errorf("listen on --exchange-addr %s: %w", addr, err)
	}
	srv := &http.Server{Handler: exchange.ListenerHandler(h), TLSConfig: cfg, ReadHeaderTimeout: 10 * time.Second, IdleTimeout: 120 * time.Second,
		ReadTimeout: exchange.ServerReadTimeout, WriteTimeout: exchange.ServerWriteTimeout,
		MaxHeaderBytes: httpx.ServerMaxHeaderBytes, ErrorLog: slog.NewLogLogger(log.Handler(), slog.LevelWarn)}
	// Clients that take their token here name this listener's URL as the
	// assertion's audience.
	_, port, _ := net.SplitHostPort(ln.Addr().String())
	for _, h := range hosts {
		x.AddTokenURLs("https://" + net.JoinHostPort(h, port) + exchange.TokenPath)
	}
	go srv.Serve(tls.NewListener(ln, cfg))
	log.Info("data exchange listener (mutual TLS)", "addr", ln.Addr().String())
	return ln.Addr().String(), func() { srv.Close() }, nil
}

// demoMember is a member system of the demo with its certificate files.
type demoMember struct {
	Member, MemberName, Subsystem, Name, Unit string
	Rights                                    []exchange.Right
}

// demoMembers are the demo's member systems: a bank (KYC, with the
// citizen's consent), a hospital (health insurance checks), a
// driving-licence authority (an officer named in each request).
func demoMembers() []demoMember {
	p := exchange.Platform
	return []demoMember{
		{"VN/COM/VCB", "Ngân hàng Demo", "VN/COM/VCB/EKYC", "Định danh khách hàng điện tử", "VN", []exchange.Right{
			{Service: p + "/person", Fields: []string{"full_name", "birth_date", "status"}, Purposes: []string{"KYC"}},
			{Service: p + "/verify", Fields: []string{"full_name", "birth_date", "card_number", "alive"}, Purposes: []string{"KYC"}},
			{Service: p + "/verify-batch", Fields: []string{"full_name", "birth_date", "card_number", "alive"}, Purposes: []string{"KYC"}}}},
		{"VN/HEALTH/BV-DEMO", "Bệnh viện Demo", "VN/HEALTH/BV-DEMO/HIS", "Hệ thống thông tin bệnh viện", "01", []exchange.Right{
			{Service: p + "/person", Fields: []string{"full_name", "birth_date", "sex", "permanent_residence"}, Purposes: []string{"HEALTH-INSURANCE-CHECK"}},
			{Service: p + "/verify", Fields: []string{"full_name", "birth_date", "alive"}, Purposes: []string{"HEALTH-INSURANCE-CHECK"}},
			{Service: p + "/verify-batch", Fields: []string{"full_name", "birth_date", "alive"}, Purposes: []string{"HEALTH-INSURANCE-CHECK"}}}},
		{"VN/GOV/CSGT-DEMO", "Cơ quan cấp giấy phép lái xe (demo)", "VN/GOV/CSGT-DEMO/GPLX", "Quản lý giấy phép lái xe", "VN", []exchange.Right{
			{Service: p + "/person", Fields: []string{"full_name", "birth_date", "sex", "id_card", "permanent_residence"}, Purposes: []string{"DRIVING-LICENCE"}}}},
	}
}

// certFile is where the demo writes a subsystem's certificate and key.
func certFile(dir, subsystem, ext string) string {
	return filepath.Join(dir, strings.ReplaceAll(subsystem, "/", "_")+ext)
}

// seedExchange registers the demo members with their rights, and writes
// the CA certificate and each subsystem's certificate and key under
// <data>/exchange (new ones when missing).
func seedExchange(ctx context.Context, x *exchange.Exchange, dataDir string) (string, error) {
	dir := filepath.Join(dataDir, "exchange")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return "", err
	}
	ca, err := x.CACertificate(ctx)
	if err != nil {
		return "", err
	}
	if err := os.WriteFile(filepath.Join(dir, "ca.pem"), ca, 0o644); err != nil {
		return "", err
	}
	ms, ss, err := x.Members(ctx)
	if err != nil {
		return "", err
	}
	for _, m := range demoMembers() {
		if !slices.ContainsFunc(ms, func(x exchange.Member) bool { return x.ID == m.Member }) {
			if _, err := x.AddMember(ctx, exchange.Member{ID: m.Member, Name: m.MemberName, Unit: m.Unit}); err != nil {
				return "", err
			}
		}
		if !slices.ContainsFunc(ss, func(x exchange.Subsystem) bool { return x.ID == m.Subsystem }) {
			if _, err := x.AddSubsystem(ctx, m.Subsystem, m.Name, nil); err != nil {
				return "", err
			}
		}
		for _, r := range m.Rights {
			r.Subsystem = m.Subsystem
			if err := x.Grant(ctx, r); err != nil {
				return "", err
			}
		}
		if _, err := os.Stat(certFile(dir, m.Subsystem, ".key")); err == nil {
			continue
		}
		iss, err := x.IssueCertificate(ctx, m.Subsystem)
		if err != nil {
			return "", err
		}
		if err := os.WriteFile(certFile(dir, m.Subsystem, ".crt"), iss.CertPEM, 0o644); err != nil {
			return "", err
		}
		if err := os.WriteFile(certFile(dir, m.Subsystem, ".key"), iss.KeyPEM, 0o600); err != nil {
			return "", err
		}
	}
	return dir, nil
}

// printExchange tells the demo's user how to call the exchange.
func printExchange(w io.Writer, addr, dir, pin string) {
	if addr == "" {
		return
	}
	h := exchange.Platform
	fmt.Fprintf(w, "\nData exchange (X-Road REST, mutual TLS) on https://%s; demo members' certificates in %s:\n", addr, dir)
	for _, m := range demoMembers() {
		fmt.Fprintf(w, "  %-24s %s\n", m.Subsystem, m.MemberName)
	}
	fmt.Fprintf(w, " 12. The hospital looks up a person (the README shows the rest: consent, the bank, who used my data):\n"+
		"       curl --cacert %[1]s/ca.pem --cert %[2]s --key %[3]s \\\n"+
		"         -H 'X-Road-Client: VN/HEALTH/BV-DEMO/HIS' -H 'X-Road-Issue: HEALTH-INSURANCE-CHECK' \\\n"+
		"         https://%[4]s/r1/%[5]s/person/%[6]s\n",
		dir, certFile(dir, "VN/HEALTH/BV-DEMO/HIS", ".crt"), certFile(dir, "VN/HEALTH/BV-DEMO/HIS", ".key"), addr, h, pin)
}

// exchangeFlags are, for each exchange subcommand, the flags (or
// arguments) the fields of the exchange's problems come from.
var exchangeFlags = map[string]map[string]string{
	"members add":     {"id": "--id", "name": "--name", "unit_code": "--unit"},
	"subsystems add":  {"id": "--id", "subsystem_id": "--id", "name": "--name", "public_jwk": "--jwk"},
	"services add":    {"id": "--id", "title": "--title", "base_url": "--base-url", "fields": "--fields", "openapi": "--openapi", "endpoints": "--endpoints"},
	"services remove": {"id": "ID", "service_id": "ID"},
	"cert":            {"subsystem": "SUBSYSTEM", "subsystem_id": "SUBSYSTEM", "csr": "--csr"},
	"grant":           {"subsystem": "--subsystem", "subsystem_id": "--subsystem", "service_id": "--service", "service": "--service", "fields": "--fields", "purposes": "--purposes", "purpose": "--purposes"},
	"withdraw":        {"subsystem": "--subsystem", "subsystem_id": "--subsystem", "service_id": "--service", "service": "--service"},
	"revoke":          {"id": "ID|SERIAL", "serial": "ID|SERIAL"},
}

// runExchange manages the data exchange's members, subsystems, rights and
// certificates.
func runExchange(ctx context.Context, args []string, env func(string) string, stdout, stderr io.Writer) (retErr error) {
	subs := []string{"members", "subsystems", "services", "cert", "grant", "withdraw", "list", "revoke", "assertion"}
	usage := func(w io.Writer) {
		fmt.Fprintln(w, "Usage: populus exchange <subcommand> [--data DIR | --db URL] …")
		fmt.Fprintln(w, "  members add --id INSTANCE/CLASS/MEMBER --name NAME [--unit VN|province|commune]")
		fmt.Fprintln(w, "  subsystems add --id INSTANCE/CLASS/MEMBER/SUBSYSTEM --name NAME [--jwk FILE]")
		fmt.Fprintln(w, "  services add --id INSTANCE/CLASS/MEMBER/SUBSYSTEM/CODE --title T --base-url URL --fields a,b --openapi FILE [--endpoints 'GET /x,POST /y']")
		fmt.Fprintln(w, "  services remove ID         take a member's service out of the catalogue, with the rights on it")
		fmt.Fprintln(w, "  cert SUBSYSTEM --out DIR [--csr FILE]  issue a client certificate of the exchange's CA (writes SUBSYSTEM.crt, .key and ca.pem; for a signing request's key, no .key)")
		fmt.Fprintln(w, "  grant --subsystem ID --service ID --fields a,b --purposes P1,P2")
		fmt.Fprintln(w, "  withdraw --subsystem ID --service ID   withdraw a right")
		fmt.Fprintln(w, "  list                       members, subsystems, services, purposes and rights")
		fmt.Fprintln(w, "  revoke ID|SERIAL           revoke a member or a subsystem, its certificates and tokens, at once; or one certificate by its serial")
		fmt.Fprintln(w, "  assertion SUBSYSTEM --key FILE --aud URL   print a client assertion (private_key_jwt) signed with the subsystem's key, for POST /api/v1/exchange/token")
	}
	if len(args) == 0 {
		usage(stderr)
		return errUsage
	}
	sub := args[0]
	switch {
	case sub == "-h" || sub == "-help" || sub == "--help" || sub == "help":
		usage(stdout)
		return nil
	case !slices.Contains(subs, sub):
		return unknownSubcommand("exchange", sub, subs)
	}
	rest := args[1:]
	if sub == "assertion" {
		return exchangeAssertion(rest, env, stdout)
	}
	if sub == "members" || sub == "subsystems" || sub == "services" {
		switch {
		case len(rest) > 0 && (rest[0] == "add" || sub == "services" && rest[0] == "remove"):
			sub, rest = sub+" "+rest[0], rest[1:]
		case sub == "services":
			return fmt.Errorf("exchange services: the subcommand is add or remove. Run 'populus exchange --help'.")
		default:
			return fmt.Errorf("exchange %s: the subcommand is add. Run 'populus exchange --help'.", sub)
		}
	}
	// The exchange's problems name the API's fields: said here with the
	// flags they come from.
	defer func() { retErr = cliError(retErr, exchangeFlags[sub]) }()
	var c config
	f := newFlags("exchange "+sub, env, stdout)
	f.summary = map[string]string{
		"members add":     "Registers a member (an organisation) of the data exchange.",
		"subsystems add":  "Registers a subsystem of a member, optionally with its public key (a JWK) for client assertions.",
		"services add":    "Publishes a member's own REST service through the exchange: calls granted to it are forwarded to its base URL, signed, with evidence kept.",
		"services remove": "Takes a member's service out of the catalogue with every right on it: a running server refuses its next call within 2 seconds. The evidence of past exchanges is kept.",
		"cert":            "Issues a client certificate of the exchange's CA to a subsystem and writes it with its key; with --csr, for the key of the member's signing request, which never leaves the member.",
		"grant":           "Gives a subsystem the right to call a service, disclosing fields, for purposes.",
		"withdraw":        "Withdraws a subsystem's right on a service: a running server refuses its next call within 2 seconds.",
		"list":            "Lists members, subsystems, services, purposes and rights.",
		"revoke":          "Revokes a member or a subsystem, with its certificates and tokens, or one certificate by its serial (hex, as exchange cert and exchange list print it): a running server refuses them within a second.",
	}[sub]
	f.store(&c)
	if sub == "services add" {
		f.egress(&c)
	}
	var id, name, unit, jwk, out, service, fields, purposes, baseURL, openAPIFile, endpoints, csrFile string
	switch sub {
	case "members add", "subsystems add":
		f.fs.StringVar(&id, "id", "", "identifier")
		f.fs.StringVar(&name, "name", "", "name")
		if sub == "members add" {
			f.fs.StringVar(&unit, "unit", "VN", "administrative unit the member is attached to (its administrators manage it)")
		} else {
			f.fs.StringVar(&jwk, "jwk", "", "file of the subsystem's public JSON Web Key, for private_key_jwt")
		}
	case "services add":
		f.fs.StringVar(&id, "id", "", "service id: the provider subsystem and a service code")
		f.fs.StringVar(&name, "title", "", "title of the service")
		f.fs.StringVar(&baseURL, "base-url", "", "the member's service (https; http only on loopback)")
		f.fs.StringVar(&fields, "fields", "", "comma-separated fields the service can disclose (rights grant among them)")
		f.fs.StringVar(&openAPIFile, "openapi", "", "file of the service's OpenAPI 3 description (JSON), served by getOpenAPI")
		f.fs.StringVar(&endpoints, "endpoints", "", "comma-separated 'METHOD /path' endpoints, listed by listMethods")
	case "cert":
		f.args, f.argsUsage = 1, " SUBSYSTEM"
		f.fs.StringVar(&out, "out", ".", "directory to write the certificate, the key and the CA certificate to")
		f.fs.StringVar(&csrFile, "csr", "", "the member's certificate signing request (PKCS #10, PEM): the certificate is issued for its key, which never leaves the member, and no key is written")
		f.string(&c.MasterKeyFile, "master-key-file", "POPULUS_MASTER_KEY_FILE", "", "file of the master key that seals the CA's key (default: <data>/master.key)")
		c.MasterKey = f.env("POPULUS_MASTER_KEY")
	case "grant", "withdraw":
		f.fs.StringVar(&id, "subsystem", "", "the subsystem given the right")
		f.fs.StringVar(&service, "service", "", "the service: INSTANCE/CLASS/MEMBER/SUBSYSTEM/SERVICECODE")
		if sub == "grant" {
			f.fs.StringVar(&fields, "fields", "", "comma-separated fields it may disclose")
			f.fs.StringVar(&purposes, "purposes", "", "comma-separated purpose codes it may call for")
		}
	case "revoke":
		f.args, f.argsUsage = 1, " ID|SERIAL"
	case "services remove":
		f.args, f.argsUsage = 1, " ID"
	}
	if err := f.parse(rest); err != nil {
		return err
	}
	if sub == "grant" || sub == "withdraw" {
		var missing []string
		for _, m := range []struct{ flag, v string }{{"--subsystem", id}, {"--service", service}} {
			if m.v == "" {
				missing = append(missing, m.flag)
			}
		}
		if len(missing) > 0 {
			return fmt.Errorf("exchange %s: %s required. Run 'populus exchange %s --help'.", sub, strings.Join(missing, " and ")+map[bool]string{true: " is", false: " are"}[len(missing) == 1], sub)
		}
	}
	p, err := open(ctx, c, nil)
	if err != nil {
		return err
	}
	defer p.Close()
	var master oidc.MasterKey
	if sub == "cert" {
		file := c.MasterKeyFile
		if file == "" && c.DB == "" {
			file = filepath.Join(c.Data, "master.key")
		}
		if master, err = oidc.LoadMasterKey(c.MasterKey, file, false); err != nil {
			return err
		}
	}
	// A member service's base URL may be on this machine (http included)
	// from the command line; in a private network only where
	// --egress-allow names it.
	cli := c.egressPolicy(true)
	x := exchange.New(exchange.Options{DB: p.DB, Audit: p.Audit, Guard: p.Guard, Register: p.Register, Master: master, Egress: &cli})
	if err := x.EnsureCatalogue(ctx); err != nil {
		return err
	}
	var changed, change string // what the command changed, for the audit log
	switch sub {
	case "members add":
		if _, err := x.AddMember(ctx, exchange.Member{ID: id, Name: name, Unit: unit}); err != nil {
			return err
		}
		changed, change = id, "member added: "+name
		fmt.Fprintf(stdout, "member %s registered\n", id)
	case "subsystems add":
		var key []byte
		if jwk != "" {
			if key, err = os.ReadFile(jwk); err != nil {
				return err
			}
		}
		if _, err := x.AddSubsystem(ctx, id, name, key); err != nil {
			return err
		}
		changed, change = id, "subsystem added: "+name
		fmt.Fprintf(stdout, "subsystem %s registered\n", id)
	case "services add":
		var doc []byte
		if openAPIFile != "" {
			if doc, err = os.ReadFile(openAPIFile); err != nil {
				return err
			}
		}
		var eps []exchange.Endpoint
		for _, e := range splitList(endpoints) {
			m, p, _ := strings.Cut(strings.TrimSpace(e), " ")
			eps = append(eps, exchange.Endpoint{Method: m, Path: strings.TrimSpace(p)})
		}
		if err := x.AddService(ctx, exchange.Service{ID: id, Title: name, Fields: splitList(fields), Methods: eps, BaseURL: baseURL, OpenAPI: doc}); err != nil {
			return err
		}
		changed, change = id, "service published: "+name+" at "+baseURL
		fmt.Fprintf(stdout, "service %s published at %s\n", id, baseURL)
	case "cert":
		var iss exchange.Issued
		if csrFile != "" {
			csr, err := os.ReadFile(csrFile)
			if err != nil {
				return fmt.Errorf("--csr: %w", err)
			}
			iss, err = x.IssueCertificateForCSR(ctx, f.rest[0], csr)
			if err != nil {
				return err
			}
		} else if iss, err = x.IssueCertificate(ctx, f.rest[0]); err != nil {
			return err
		}
		ca, err := x.CACertificate(ctx)
		if err != nil {
			return err
		}
		if err := os.MkdirAll(out, 0o700); err != nil {
			return err
		}
		crt, key := certFile(out, f.rest[0], ".crt"), certFile(out, f.rest[0], ".key")
		if err := os.WriteFile(crt, iss.CertPEM, 0o644); err != nil {
			return err
		}
		if len(iss.KeyPEM) > 0 {
			if err := os.WriteFile(key, iss.KeyPEM, 0o600); err != nil {
				return err
			}
		}
		if err := os.WriteFile(filepath.Join(out, "ca.pem"), ca, 0o644); err != nil {
			return err
		}
		changed, change = f.rest[0], "certificate issued: serial "+iss.Serial
		if len(iss.KeyPEM) == 0 {
			fmt.Fprintf(stdout, "certificate %s (serial %s) for the key of %s written to %s, the CA's to %s\n", f.rest[0], iss.Serial, csrFile, crt, filepath.Join(out, "ca.pem"))
			break
		}
		fmt.Fprintf(stdout, "certificate %s (serial %s) written to %s, its key to %s (keep it secret), the CA's to %s\n", f.rest[0], iss.Serial, crt, key, filepath.Join(out, "ca.pem"))
	case "grant":
		if err := x.Grant(ctx, exchange.Right{Subsystem: id, Service: service, Fields: splitList(fields), Purposes: splitList(purposes)}); err != nil {
			return err
		}
		changed, change = id, fmt.Sprintf("granted %s for %s: %s", service, purposes, fields)
		fmt.Fprintf(stdout, "%s may call %s for %s, disclosing %s\n", id, service, purposes, fields)
	case "services remove":
		n, err := x.RemoveService(ctx, f.rest[0])
		if err != nil {
			return err
		}
		changed, change = f.rest[0], fmt.Sprintf("service removed, %d rights on it withdrawn", n)
		fmt.Fprintf(stdout, "service %s removed, rights on it withdrawn: %d\n", f.rest[0], n)
	case "withdraw":
		if err := x.WithdrawRight(ctx, id, service); err != nil {
			return err
		}
		changed, change = id, "right withdrawn: "+service
		fmt.Fprintf(stdout, "%s may no longer call %s\n", id, service)
	case "list":
		ms, ss, err := x.Members(ctx)
		if err != nil {
			return err
		}
		for _, m := range ms {
			fmt.Fprintf(stdout, "member     %-28s %-40s unit %s%s\n", m.ID, m.Name, m.Unit, revoked(m.RevokedAt))
		}
		for _, s := range ss {
			fmt.Fprintf(stdout, "subsystem  %-28s %-40s key %v%s\n", s.ID, s.Name, s.HasKey, revoked(s.RevokedAt))
		}
		cs, err := x.Certificates(ctx, "")
		if err != nil {
			return err
		}
		for _, c := range cs {
			fmt.Fprintf(stdout, "certificate %-32s %-28s until %s%s\n", c.Serial, c.Subsystem, c.NotAfter.Format(time.DateOnly), revoked(c.RevokedAt))
		}
		svcs, err := x.Services(ctx, "")
		if err != nil {
			return err
		}
		for _, s := range svcs {
			fmt.Fprintf(stdout, "service    %-40s %s\n", s.ID, s.Title)
		}
		ps, err := x.Purposes(ctx)
		if err != nil {
			return err
		}
		for _, p := range ps {
			fmt.Fprintf(stdout, "purpose    %-24s consent %-5v official %-5v %s\n", p.Code, p.ConsentRequired, p.OfficerRequired, strings.Join(p.LegalBases, " | "))
		}
		rs, err := x.Rights(ctx, "")
		if err != nil {
			return err
		}
		for _, r := range rs {
			fmt.Fprintf(stdout, "right      %-28s %-40s for %s: %s\n", r.Subsystem, r.Service, strings.Join(r.Purposes, ","), strings.Join(r.Fields, ","))
		}
	case "revoke":
		// A certificate's serial (hex, no slash), or a member or subsystem.
		revoke := x.Revoke
		if !strings.Contains(f.rest[0], "/") {
			if _, err := hex.DecodeString(f.rest[0]); err != nil {
				return fmt.Errorf("exchange revoke: %q is neither a member or subsystem (INSTANCE/CLASS/MEMBER[/SUBSYSTEM]) nor a certificate's serial (hex, as exchange list shows it)", f.rest[0])
			}
			revoke = x.RevokeCertificate
		}
		if err := revoke(ctx, f.rest[0]); err != nil {
			return err
		}
		changed, change = f.rest[0], "revoked"
		fmt.Fprintf(stdout, "%s revoked\n", f.rest[0])
	}
	if change == "" {
		return nil
	}
	// The command line's changes are audited as the console's (system:cli),
	// as the page's are as their administrator's.
	console := auth.Principal{Kind: auth.KindSystem, Username: "cli"}
	return p.Audit.Record(ctx, audit.Of(console, exchange.ManageExchange, changed).With(change+" (command line)"))
}

func revoked(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return "  revoked " + t.Format(time.RFC3339)
}

// demoExchangeAddr is the demo's exchange listener: 127.0.0.1:8443 beside
// the default --addr, any free port beside another.
func demoExchangeAddr(c config) string {
	if c.ExchangeAddr != "" {
		return c.ExchangeAddr
	}
	if c.Addr == "127.0.0.1:8080" {
		return "127.0.0.1:8443"
	}
	host, _, err := net.SplitHostPort(c.Addr)
	if err != nil || host == "" {
		host = "127.0.0.1"
	}
	return net.JoinHostPort(host, "0")
}

func runEvidence(_ context.Context, args []string, env func(string) string, stdout, stderr io.Writer) error {
	f := newFlags("evidence", env, stdout)
	f.summary = "Verifies an answer of the data exchange, kept byte for byte, against its evidence (GET /api/v1/exchange/evidence/{id}, saved to a file). " +
		"An answer of the register's person look-up, verification or batch verification (a row's line, newline included): with the audit log's key (the verifier of GET /api/v1/audit/checkpoint, saved to a file), the checkpoint's signature, the inclusion proof, and the commitment of the entry to the answer. " +
		"An answer of a member's service forwarded by the exchange: with the exchange CA's certificate (GET /api/v1/exchange/ca, saved to a file), Populus's signatures of the request and the response, and the hash of the answer."
	f.args, f.argsUsage = 2, " EVIDENCE_FILE ANSWER_FILE"
	var cpFile, caFile string
	f.string(&cpFile, "checkpoint", "POPULUS_AUDIT_CHECKPOINT", "audit-checkpoint.json", "the answer of GET /api/v1/audit/checkpoint, saved to a file: its verifier key is used (the register's answers)")
	f.string(&caFile, "ca", "POPULUS_EXCHANGE_CA", "exchange-ca.pem", "the answer of GET /api/v1/exchange/ca, saved to a file (a member's service's answers)")
	if err := f.parse(args); err != nil {
		return err
	}
	raw, err := os.ReadFile(f.rest[0])
	if err != nil {
		return err
	}
	body, err := os.ReadFile(f.rest[1])
	if err != nil {
		return err
	}
	// What the evidence file holds: a forwarded exchange's, an answer's,
	// or something else said as it is (a refusal saved in its place).
	var kind struct {
		ID                string          `json:"id"`
		ResponseSignature string          `json:"response_signature"`
		Proof             json.RawMessage `json:"proof"`
		Status            any             `json:"status"`
		Detail            string          `json:"detail"`
	}
	if err := json.Unmarshal(raw, &kind); err != nil {
		return fmt.Errorf("%s is not an exchange's evidence (GET /api/v1/exchange/evidence/{id}, saved to a file): %w", f.rest[0], err)
	}
	switch {
	case kind.ResponseSignature != "":
		return verifyForwarded(raw, f.rest[0], body, caFile, stdout)
	case kind.ID == "" && kind.Detail != "":
		return fmt.Errorf("%s is a refusal, not evidence: %v %s", f.rest[0], kind.Status, kind.Detail)
	case kind.ID == "" || len(kind.Proof) == 0:
		return fmt.Errorf("%s is not an exchange's evidence (GET /api/v1/exchange/evidence/{id}, saved to a file): it has no id or no proof", f.rest[0])
	}
	var cp audit.CheckpointView
	if err := readJSONFile(cpFile, &cp); err != nil {
		return fmt.Errorf("--checkpoint: %w", err)
	}
	if cp.Size == 0 && len(cp.Root) == 0 && cp.Verifier == "" {
		return fmt.Errorf("--checkpoint: %s is not the answer of GET /api/v1/audit/checkpoint", cpFile)
	}
	if cp.Verifier == "" {
		return fmt.Errorf("--checkpoint: %s names no verifier key (the log signs no checkpoint without a master key)", cpFile)
	}
	var ev exchange.AnswerEvidence
	if err := json.Unmarshal(raw, &ev); err != nil {
		return fmt.Errorf("%s is not the expected JSON: %w", f.rest[0], err)
	}
	if err := exchange.VerifyAnswer(ev, body, cp.Verifier); err != nil {
		return failed(fmt.Errorf("the answer does not verify: %w", err))
	}
	fmt.Fprintf(stdout, "The answer verifies: %s answered %s about %s (%s) at %s, request %s; audit entry %d of a tree of %d, signed by %s.\n",
		ev.Service, ev.Client, ev.Subject, strings.Join(ev.Fields, ", "), ev.At.Format(time.RFC3339), ev.RequestID, ev.Proof.Entry, ev.Proof.TreeSize, cp.Verifier)
	return nil
}

// verifyForwarded is runEvidence for the evidence of a forwarded
// exchange (raw, from the file name) and the answer's body.
func verifyForwarded(raw []byte, name string, body []byte, caFile string, stdout io.Writer) error {
	var ev exchange.Evidence
	if err := json.Unmarshal(raw, &ev); err != nil {
		return fmt.Errorf("%s is not the expected JSON: %w", name, err)
	}
	pemBytes, err := os.ReadFile(caFile)
	if err != nil {
		return fmt.Errorf("--ca: %w", err)
	}
	blk, _ := pem.Decode(pemBytes)
	if blk == nil || blk.Type != "CERTIFICATE" {
		return fmt.Errorf("--ca: %s holds no PEM certificate", caFile)
	}
	ca, err := x509.ParseCertificate(blk.Bytes)
	if err != nil {
		return fmt.Errorf("--ca: %w", err)
	}
	if err := exchange.VerifyForwarded(ev, body, ca); err != nil {
		return failed(fmt.Errorf("the answer does not verify: %w", err))
	}
	fmt.Fprintf(stdout, "The answer verifies: %s answered %s with status %d at %s, request %s; signed by the exchange CA %s.\n",
		ev.Service, ev.Client, ev.Status, ev.RespondedAt.Format(time.RFC3339), ev.RequestID, ca.Subject.CommonName)
	return nil
}

// readJSONFile decodes the JSON file name into v, naming the file in its
// error.
func readJSONFile(name string, v any) error {
	b, err := os.ReadFile(name)
	if err != nil {
		return err
	}
	if err := json.Unmarshal(b, v); err != nil {
		return fmt.Errorf("%s is not the expected JSON: %w", name, err)
	}
	return nil
}

// exchangeAssertion prints a client assertion of a subsystem (RFC 7523,
// private_key_jwt) signed with its private key (the .key that exchange
// cert wrote, or any PEM key whose public half the subsystem registered):
// iss and sub the subsystem, aud the token endpoint's URL, a random jti,
// exp a minute ahead (at most 5). It reads no store: a member's own tool.
func exchangeAssertion(args []string, env func(string) string, stdout io.Writer) error {
	f := newFlags("exchange assertion", env, stdout)
	f.summary = "Prints a client assertion (private_key_jwt) of a subsystem, signed with its private key, to post to the exchange's token endpoint (POST /api/v1/exchange/token) for an access token."
	f.args, f.argsUsage = 1, " SUBSYSTEM"
	var keyFile, aud string
	var life time.Duration
	f.fs.StringVar(&keyFile, "key", "", "the subsystem's private key, PEM (the .key exchange cert wrote)")
	f.fs.StringVar(&aud, "aud", "", "the token endpoint's URL the assertion is posted to, e.g. https://127.0.0.1:8443/api/v1/exchange/token")
	f.fs.DurationVar(&life, "life", time.Minute, "how long the assertion is valid (at most 5m)")
	if err := f.parse(args); err != nil {
		return err
	}
	sub := f.rest[0]
	switch {
	case keyFile == "" || aud == "":
		return fmt.Errorf("exchange assertion: --key and --aud are required. Run 'populus exchange assertion --help'.")
	case life <= 0 || life > 5*time.Minute:
		return fmt.Errorf("--life: %s is not between 1s and 5m", life)
	}
	if u, err := url.Parse(aud); err != nil || u.Host == "" || (u.Scheme != "https" && u.Scheme != "http") {
		return fmt.Errorf("--aud: %q is not an http(s) URL", aud)
	}
	pemKey, err := os.ReadFile(keyFile)
	if err != nil {
		return fmt.Errorf("--key: %w", err)
	}
	a, err := exchange.SignAssertion(sub, pemKey, aud, life)
	if err != nil {
		return fmt.Errorf("--key %s: %w", keyFile, err)
	}
	fmt.Fprintln(stdout, a)
	return nil
}
