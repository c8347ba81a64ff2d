// Package oidc is Populus's OpenID provider (as VNeID for public and
// private services): relying parties sign citizens in with their
// electronic identity (package identity) by the authorization code flow
// with PKCE (S256, required), authenticate with client_secret_basic or
// private_key_jwt, and receive claims from the register by scope, under a
// pairwise subject per sector, with acr level 1 or 2.
//
// The protocol is github.com/zitadel/oidc/v3's (pkg/op) and the signatures
// go-jose's; this package adds what the library lacks: pairwise subjects,
// pushed authorization requests (RFC 9126), the iss response parameter
// (RFC 9207), the acr values advertised, refresh-token rotation with reuse
// detection, consent, and storage of everything in the store with the
// signing keys sealed under a master key.
package oidc

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"database/sql"
	"embed"
	"encoding/base64"
	"errors"
	"fmt"
	stdlog "log"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/rs/cors"
	zoidc "github.com/zitadel/oidc/v3/pkg/oidc"
	"github.com/zitadel/oidc/v3/pkg/op"
	"golang.org/x/text/language"

	"github.com/populus-vn/populus/internal/audit"
	"github.com/populus-vn/populus/internal/auth"
	"github.com/populus-vn/populus/internal/civil"
	"github.com/populus-vn/populus/internal/db"
	"github.com/populus-vn/populus/internal/httpx"
	"github.com/populus-vn/populus/internal/identity"
	"github.com/populus-vn/populus/internal/problem"
	"github.com/populus-vn/populus/internal/register"
	"github.com/populus-vn/populus/internal/units"
)

//go:embed migrations
var migrations embed.FS

// Schema is the provider's tables.
var Schema = &db.Schema{Name: "oidc", FS: migrations, Requires: []*db.Schema{audit.Schema}}

// The acr values: the level of the account that signed in, and whether
// the sign-in used more than one factor (amr holds "mfa": the password
// with the authenticator app's code, or a passkey whose authenticator
// verified its user). A request's acr_values name the least it accepts.
const (
	ACRLevel1    = "urn:populus:eid:level1"
	ACRLevel1MFA = "urn:populus:eid:level1:mfa"
	ACRLevel2    = "urn:populus:eid:level2"
	ACRLevel2MFA = "urn:populus:eid:level2:mfa"
)

// acrValues are the acr values, weakest first.
var acrValues = []string{ACRLevel1, ACRLevel1MFA, ACRLevel2, ACRLevel2MFA}

// acrOf is the acr of a sign-in to an account of level with methods amr.
func acrOf(level int, amr []string) string {
	i := 2 * (min(max(level, 1), 2) - 1)
	if slices.Contains(amr, "mfa") {
		i++
	}
	return acrValues[i]
}

// Audit actions of the provider.
const (
	ActionClaims  = "oidc.claims"  // a client received claims about a person
	ActionConsent = "oidc.consent" // a holder consented, declined or withdrew
	ActionReuse   = "oidc.refresh_reuse"
)

// Paths: the protocol under Prefix, the citizen's pages under loginPath.
const (
	Prefix      = "/oidc"
	loginPath   = "/eid/login"
	consentPath = "/eid/consent"
	parPath     = "/par"
)

// consentTTL is how long a consent is remembered for the same scopes.
const consentTTL = 365 * 24 * time.Hour

// Options configure the provider.
type Options struct {
	// Issuer is the public URL of the provider: the site's URL and Prefix
	// ("https://eid.example.vn/oidc").
	Issuer string
	// Master seals the signing keys and keys the pairwise subjects.
	Master MasterKey
	// Guard decides who may manage the relying parties (ManageClients);
	// without it, nobody may through the pages.
	Guard *auth.Guard
	// Logger is the server's: the protocol library's start is logged
	// through it, less its line per endpoint; nil: not logged.
	Logger *slog.Logger
	// VerifyLimits bound the relying parties' verifications; zero values,
	// DefaultVerifyLimits'.
	VerifyLimits VerifyLimits
}

// ManageClients is the administrator's action of registering and
// withdrawing relying parties, from the nation only.
var ManageClients = auth.Declare("oidc.clients.manage", auth.Grant{Role: auth.Admin, NationOnly: true})

// RegisterClient registers a relying party for p, an administrator
// attached to the nation, and returns its secret (shown once). Audited.
func (p *Provider) RegisterClient(ctx context.Context, pr auth.Principal, cfg ClientConfig) (string, error) {
	if err := p.canManage(ctx, pr, cfg.ID); err != nil {
		return "", err
	}
	secret, err := p.clients.Register(ctx, cfg)
	if err != nil {
		return "", err
	}
	p.record(ctx, audit.Of(pr, ManageClients, "client:"+cfg.ID).With("registered"))
	return secret, nil
}

// UpdateClient replaces the registration of an enabled relying party for
// p, keeping the former as a version; it returns the new version and, for
// a client moved to client_secret_basic, its new secret (shown once).
// Audited with the version.
func (p *Provider) UpdateClient(ctx context.Context, pr auth.Principal, cfg ClientConfig) (int, string, error) {
	if err := p.canManage(ctx, pr, cfg.ID); err != nil {
		return 0, "", err
	}
	version, secret, err := p.clients.Update(ctx, cfg)
	if err != nil {
		return 0, "", err
	}
	p.record(ctx, audit.Of(pr, ManageClients, "client:"+cfg.ID).With(fmt.Sprintf("updated: version %d", version)))
	return version, secret, nil
}

// DisableClient withdraws a relying party for p: no more sign-ins, its
// tokens revoked. Audited.
func (p *Provider) DisableClient(ctx context.Context, pr auth.Principal, id string) error {
	if err := p.canManage(ctx, pr, id); err != nil {
		return err
	}
	if err := p.clients.Disable(ctx, id); err != nil {
		return err
	}
	p.record(ctx, audit.Of(pr, ManageClients, "client:"+id).With("disabled"))
	return nil
}

// ClientConfig returns the registration of an enabled relying party for
// an administrator (NotFound if none).
func (p *Provider) ClientConfig(ctx context.Context, pr auth.Principal, id string) (ClientConfig, error) {
	if err := p.canManage(ctx, pr, id); err != nil {
		return ClientConfig{}, err
	}
	c, err := p.clients.Get(ctx, id)
	if errors.Is(err, errNoClient) {
		return ClientConfig{}, problem.New(problem.NotFound, "no client %s", id)
	}
	if err != nil {
		return ClientConfig{}, err
	}
	return c.ClientConfig, nil
}

// ListClients lists the relying parties for an administrator.
func (p *Provider) ListClients(ctx context.Context, pr auth.Principal) ([]ClientConfig, error) {
	if err := p.canManage(ctx, pr, ""); err != nil {
		return nil, err
	}
	return p.clients.List(ctx)
}

func (p *Provider) canManage(ctx context.Context, pr auth.Principal, id string) error {
	if p.opts.Guard == nil {
		return problem.New(problem.Forbidden, "managing relying parties is not enabled on this server")
	}
	return p.opts.Guard.Check(ctx, pr, ManageClients, "", "client:"+id)
}

// Provider is the OpenID provider.
type Provider struct {
	db    *db.DB
	eid   *identity.Service
	reg   *register.Register
	units *units.Registry
	log   *audit.Log
	opts  Options
	// errorPage renders an error as a page (SetErrorPage).
	errorPage httpx.ErrorWriter
	keys      *keyring
	clients   *Clients
	op        *op.Provider
	handler   http.Handler
	pairKey   [32]byte
	// bindKey keys the binding of authorization requests to browsers
	// (binding.go).
	bindKey [32]byte
	now     func() time.Time
	// live remembers the access tokens read active (live.go).
	live *liveTokens
	// verifies counts the relying parties' verifications (verifylimit.go).
	verifies *verifyCounter
}

// New returns the provider over d, signing citizens in with eid, reading
// their claims from reg.
func New(d *db.DB, eid *identity.Service, reg *register.Register, u *units.Registry, log *audit.Log, o Options) (*Provider, error) {
	if o.Issuer == "" {
		return nil, errors.New("oidc: no issuer URL")
	}
	p := &Provider{db: d, eid: eid, reg: reg, units: u, log: log, opts: o, now: time.Now, pairKey: o.Master.derive("pairwise subject"),
		bindKey: o.Master.derive("authorization request binding"),
		live:    newLiveTokens(), verifies: newVerifyCounter(o.VerifyLimits)}
	p.keys = &keyring{db: d, master: o.Master, now: func() time.Time { return p.now() }}
	p.clients = &Clients{db: d, now: func() time.Time { return p.now() }, revoked: p.live.Invalidate}
	eid.OnHandOver(p.forgetAccount)
	conf := &op.Config{
		CryptoKey:               o.Master.derive("access token"),
		CryptoKeyId:             "1",
		CodeMethodS256:          true,
		AuthMethodPrivateKeyJWT: true,
		GrantTypeRefreshToken:   true,
		SupportedUILocales:      []language.Tag{language.Vietnamese, language.English},
		SupportedScopes:         slices.Sorted(mapKeys(scopeClaims)),
		SupportedClaims:         supportedClaims(),
		// Where an end of session without a client's return address
		// leads: the citizen's sign-in, not the civil servants' (the
		// site's home asks them to sign in).
		DefaultLogoutRedirectURI: identity.SignInPath,
	}
	// The library's default would also accept tokens of its older,
	// unauthenticated AES-CFB format, which this provider never issued.
	opts := []op.Option{op.WithCrypto(newTokenCrypto(conf.CryptoKey))}
	if u, err := url.Parse(o.Issuer); err == nil && u.Scheme == "http" {
		opts = append(opts, op.WithAllowInsecure())
	}
	prov, err := op.NewProvider(conf, &storage{p}, op.StaticIssuer(o.Issuer), opts...)
	if err != nil {
		return nil, err
	}
	p.op = prov
	srv := &server{LegacyServer: op.NewLegacyServer(prov, prov.Endpoints()), p: p}
	p.handler = quietly(o.Logger, func() http.Handler {
		return op.RegisterLegacyServer(srv, op.AuthorizeCallbackHandler(prov), op.WithServerCORSOptions(&corsPolicy))
	})
	return p, nil
}

// corsPolicy lets a page of any site read the provider's public answers
// (discovery, keys) and call what a bearer token opens (userinfo), never
// with the browser's cookies: the library's default reflected any origin
// with Access-Control-Allow-Credentials, so that a page elsewhere could
// send the citizen's session along and read the answer (found by an
// independent client's probe). No endpoint here needs a browser's
// credentials from another site: clients are confidential, and the
// sign-in runs by navigation, not by script.
var corsPolicy = cors.Options{
	AllowedOrigins:   []string{"*"},
	AllowedMethods:   []string{http.MethodGet, http.MethodHead, http.MethodPost},
	AllowedHeaders:   []string{"Accept", "Accept-Language", "Authorization", "Content-Type"},
	AllowCredentials: false,
}

// SetErrorPage makes the authorization endpoint answer a request it cannot
// send back to its client (an unknown client, an unregistered
// redirect_uri) with page, the site's error page, instead of the library's
// JSON. Call it while wiring.
func (p *Provider) SetErrorPage(page httpx.ErrorWriter) { p.errorPage = page }

// quietMu serialises quietly's swaps of the default logger.
var quietMu sync.Mutex

// quietly runs register while the default logger is log less the
// library's "registered route" lines (one per endpoint, at info, written
// to the process's default logger whatever option is given), or discards
// everything when log is nil; then it puts back the default logger and the
// log package's output as they were. log must not be slog's original
// default logger, whose handler writes through the log package.
func quietly(log *slog.Logger, register func() http.Handler) http.Handler {
	quietMu.Lock()
	defer quietMu.Unlock()
	prev, prevOut, prevFlags := slog.Default(), stdlog.Writer(), stdlog.Flags()
	h := slog.DiscardHandler
	if log != nil {
		h = dropRoutes{log.Handler()}
	}
	slog.SetDefault(slog.New(h))
	defer func() {
		slog.SetDefault(prev)
		stdlog.SetOutput(prevOut)
		stdlog.SetFlags(prevFlags)
	}()
	return register()
}

type dropRoutes struct{ slog.Handler }

func (d dropRoutes) Handle(ctx context.Context, r slog.Record) error {
	if r.Level == slog.LevelInfo && r.Message == "registered route" {
		return nil
	}
	return d.Handler.Handle(ctx, r)
}

func (d dropRoutes) WithAttrs(a []slog.Attr) slog.Handler { return dropRoutes{d.Handler.WithAttrs(a)} }
func (d dropRoutes) WithGroup(g string) slog.Handler      { return dropRoutes{d.Handler.WithGroup(g)} }

func mapKeys[K comparable, V any](m map[K]V) func(func(K) bool) {
	return func(yield func(K) bool) {
		for k := range m {
			if !yield(k) {
				return
			}
		}
	}
}

func supportedClaims() []string {
	out := []string{"iss", "aud", "exp", "iat", "auth_time", "nonce", "acr", "amr", "at_hash"}
	for _, cs := range scopeClaims {
		out = append(out, cs...)
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// SetClock replaces the provider's clock (tests).
func (p *Provider) SetClock(now func() time.Time) { p.now = now }

// Clients is the registry of relying parties.
func (p *Provider) Clients() *Clients { return p.clients }

// RotateKeys makes new signing keys (one per algorithm).
func (p *Provider) RotateKeys(ctx context.Context) ([]string, error) { return p.keys.Rotate(ctx) }

func (p *Provider) forUpdate() string {
	if p.db.Engine == db.Postgres {
		return " FOR UPDATE"
	}
	return ""
}

func (p *Provider) record(ctx context.Context, e audit.Entry) {
	if err := p.log.Record(ctx, e); err != nil {
		slog.ErrorContext(ctx, "oidc audit entry lost", "action", e.Action, "err", err)
	}
}

// server is the library's server with the discovery document completed.
type server struct {
	*op.LegacyServer
	p *Provider
}

// discovery is the library's document and what this provider adds.
type discovery struct {
	*zoidc.DiscoveryConfiguration
	ACRValuesSupported []string `json:"acr_values_supported"`
	PAREndpoint        string   `json:"pushed_authorization_request_endpoint"`
	RequirePAR         bool     `json:"require_pushed_authorization_requests"`
	ISSParameter       bool     `json:"authorization_response_iss_parameter_supported"`
	ClaimsParameter    bool     `json:"claims_parameter_supported"`
	UserinfoEncAlgs    []string `json:"userinfo_encryption_alg_values_supported"`
	UserinfoEncEncs    []string `json:"userinfo_encryption_enc_values_supported"`
	IDTokenEncAlgs     []string `json:"id_token_encryption_alg_values_supported"`
	IDTokenEncEncs     []string `json:"id_token_encryption_enc_values_supported"`
	PromptValues       []string `json:"prompt_values_supported"`
}

// PromptValues are the prompt values the authorization endpoint takes
// (OpenID Connect Core §3.1.2.1; select_account asks the citizen to sign
// in again, as login does: one account a browser session); another is
// refused with invalid_request.
var PromptValues = []string{"none", "login", "consent", "select_account"}

// CodeExchange requires the PKCE verifier of every client: the library's
// server checks it only when it is sent or the client is public, which
// would let a confidential client's stolen code be exchanged without it.
// The code is spent then, as by every other failed exchange.
func (s *server) CodeExchange(ctx context.Context, r *op.ClientRequest[zoidc.AccessTokenRequest]) (*op.Response, error) {
	if r.Data.CodeVerifier == "" {
		if r.Data.Code != "" {
			(&storage{s.p}).AuthRequestByCode(ctx, r.Data.Code)
		}
		return nil, zoidc.ErrInvalidRequest().WithDescription("code_verifier required: PKCE is required of every client")
	}
	resp, err := s.LegacyServer.CodeExchange(ctx, r)
	return encryptIDToken(resp, err, r.Client)
}

// RefreshToken is the library's, its new ID token encrypted for a client
// registered with id_token_encrypted_response_alg.
func (s *server) RefreshToken(ctx context.Context, r *op.ClientRequest[zoidc.RefreshTokenRequest]) (*op.Response, error) {
	resp, err := s.LegacyServer.RefreshToken(ctx, r)
	return encryptIDToken(resp, err, r.Client)
}

// encryptIDToken encrypts the signed ID token of a token answer to the
// client's key when it registered id_token_encrypted_response_alg (a
// nested JWT, OpenID Connect Core §10.2).
func encryptIDToken(resp *op.Response, err error, client op.Client) (*op.Response, error) {
	c, ok := client.(*Client)
	if err != nil || !ok || c.IDTokenEncAlg == "" {
		return resp, err
	}
	tr, ok := resp.Data.(*zoidc.AccessTokenResponse)
	if !ok || tr.IDToken == "" {
		return resp, nil
	}
	enc, err := c.encrypt([]byte(tr.IDToken), c.IDTokenEncAlg, c.IDTokenEnc)
	if err != nil {
		return nil, zoidc.ErrServerError().WithDescription("the ID token could not be encrypted")
	}
	tr.IDToken = string(enc)
	return resp, nil
}

// Introspect is the library's, its answer written without the library's
// triple encoding of extra claims (see introspection).
func (s *server) Introspect(ctx context.Context, r *op.Request[op.IntrospectionRequest]) (*op.Response, error) {
	resp, err := s.LegacyServer.Introspect(ctx, r)
	if err != nil {
		return resp, err
	}
	if ir, ok := resp.Data.(*zoidc.IntrospectionResponse); ok {
		out := flatIntrospection(ir)
		if !out.Active {
			// The library knows access tokens only; a refresh token is
			// answered too (RFC 7662 §2.1), to the client it was issued to.
			client, _ := ctx.Value(clientHintKey{}).(string)
			out = s.p.refreshIntrospection(ctx, r.Data.Token, client)
		}
		resp.Data = out
	}
	return resp, nil
}

// refreshIntrospection answers the introspection of a refresh token by
// client: active while it is neither spent, revoked nor expired.
func (p *Provider) refreshIntrospection(ctx context.Context, token, client string) introspection {
	g, used, revoked, err := p.token(ctx, sha(token), "refresh")
	if err != nil || used || revoked || client == "" || g.ClientID != client || !p.now().Before(g.ExpiresAt) {
		return introspection{}
	}
	return introspection{Active: true, Scope: strings.Join(g.Scopes, " "), ClientID: g.ClientID, TokenType: "refresh_token",
		Exp: g.ExpiresAt.Unix(), Subject: g.Subject, Audience: []string{g.ClientID}, ACR: g.ACR, AMR: g.AMR}
}

func (s *server) Discovery(ctx context.Context, _ *op.Request[struct{}]) (*op.Response, error) {
	c := op.CreateDiscoveryConfig(ctx, s.p.op, s.p.op.Storage())
	c.SubjectTypesSupported = []string{"pairwise"}
	c.DeviceAuthorizationEndpoint = "" // no device flow
	c.CodeChallengeMethodsSupported = []zoidc.CodeChallengeMethod{zoidc.CodeChallengeMethodS256}
	c.ResponseTypesSupported = []string{string(zoidc.ResponseTypeCode)}
	c.GrantTypesSupported = []zoidc.GrantType{zoidc.GrantTypeCode, zoidc.GrantTypeRefreshToken}
	c.TokenEndpointAuthMethodsSupported = []zoidc.AuthMethod{zoidc.AuthMethodBasic, zoidc.AuthMethodPrivateKeyJWT}
	// Every endpoint authenticates its clients alike (no public client).
	c.RevocationEndpointAuthMethodsSupported = c.TokenEndpointAuthMethodsSupported
	c.IntrospectionEndpointAuthMethodsSupported = c.TokenEndpointAuthMethodsSupported
	// The code comes in the query (beforeAuthorize).
	c.ResponseModesSupported = []string{"query"}
	c.UserinfoSigningAlgValuesSupported = []string{"RS256", "ES256"}
	// What the client assertions are verified with (assertionAlgs).
	c.TokenEndpointAuthSigningAlgValuesSupported = []string{"RS256", "ES256", "PS256"}
	c.IntrospectionEndpointAuthSigningAlgValuesSupported = c.TokenEndpointAuthSigningAlgValuesSupported
	c.RevocationEndpointAuthSigningAlgValuesSupported = c.TokenEndpointAuthSigningAlgValuesSupported
	return op.NewResponse(discovery{DiscoveryConfiguration: c, ACRValuesSupported: acrValues,
		PAREndpoint: s.p.opts.Issuer + parPath, ISSParameter: true,
		UserinfoEncAlgs: encryptionAlgs, UserinfoEncEncs: encryptionEncs, IDTokenEncAlgs: encryptionAlgs, IDTokenEncEncs: encryptionEncs,
		PromptValues: PromptValues}), nil
}

// pairwise is the subject of the person of pin for sector: an HMAC keyed
// by the master key, so that clients of different sectors cannot link
// their users, nor anyone derive the PIN.
func (p *Provider) pairwise(ctx context.Context, sector, pin string, accountID int64) (string, error) {
	m := hmac.New(sha256.New, p.pairKey[:])
	m.Write([]byte(sector + "\x00" + pin))
	sub := base64.RawURLEncoding.EncodeToString(m.Sum(nil))
	_, err := p.db.ExecContext(ctx, "INSERT INTO oidc_subjects (sector, subject, account_id) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING", sector, sub, accountID)
	return sub, err
}

// accountOf is the account of a pairwise subject.
func (p *Provider) accountOf(ctx context.Context, sector, sub string) (int64, error) {
	st, err := p.db.Prepared(ctx, "SELECT account_id FROM oidc_subjects WHERE sector = $1 AND subject = $2")
	if err != nil {
		return 0, err
	}
	var id int64
	// Short (by primary key): without the request's cancellation, which
	// costs the SQLite driver a goroutine per statement.
	err = st.QueryRowContext(context.WithoutCancel(ctx), sector, sub).Scan(&id)
	return id, err
}

// errAccountInactive is fillClaims's refusal for an account that is not
// active (locked, revoked, being recovered): the token it came with is
// answered as not active.
var errAccountInactive = errors.New("the account is not active")

// fillClaims puts the claims of scopes about the account's holder into
// info, read from the register (as system:identity, audited) and recorded
// as given to the client.
func (p *Provider) fillClaims(ctx context.Context, info *zoidc.UserInfo, c *Client, sub string, accountID int64, scopes []string) error {
	info.Subject = sub
	a, err := p.eid.AccountByID(ctx, accountID)
	if err != nil {
		return err
	}
	if a.State != identity.StateActive {
		return errAccountInactive
	}
	person, err := p.reg.Get(ctx, identity.Matcher(), a.PIN)
	if err != nil {
		return err
	}
	var given []string
	for _, s := range scopes {
		if !c.IsScopeAllowed(s) {
			continue
		}
		switch s {
		case "profile":
			info.Name = person.FullName
			if parts := strings.Fields(person.FullName); len(parts) > 1 {
				info.FamilyName, info.GivenName = parts[0], parts[len(parts)-1]
			}
			info.Gender = zoidc.Gender(map[civil.Sex]string{civil.Male: "male", civil.Female: "female"}[person.Sex])
		case "birthdate":
			info.Birthdate = person.BirthDate.String()
		case "address":
			// A level-1 account is opened on facts of the card others
			// may know: the address, which its holder is not shown
			// either, goes to services from level 2 only.
			if a.Level < identity.Level2 {
				continue
			}
			info.Address = &zoidc.UserInfoAddress{Formatted: p.formatAddress(person.Permanent.Detail, person.Permanent.Unit), Country: "VN"}
		case "phone":
			info.PhoneNumber, info.PhoneNumberVerified = a.Phone, true
		case "vn_pin":
			info.AppendClaims("vn_pin", a.PIN)
		default:
			continue
		}
		given = append(given, s)
	}
	if len(given) > 0 {
		// A disclosure is a read: not answered unless recorded.
		return p.log.Record(ctx, audit.OfActor("client:"+c.ID, ActionClaims, a.PIN).With("scopes "+strings.Join(given, " ")).Disclosing(scopeFields(given)...))
	}
	return nil
}

// scopeFields are the register's fields (and the account's phone) that
// the scopes given disclose, as the entry lists them for the person.
func scopeFields(scopes []string) []string {
	var out []string
	for _, s := range scopes {
		switch s {
		case "profile":
			out = append(out, "full_name", "sex")
		case "birthdate":
			out = append(out, "birth_date")
		case "address":
			out = append(out, "permanent_residence")
		case "phone":
			out = append(out, "phone")
		case "vn_pin":
			out = append(out, "pin")
		}
	}
	return out
}

func (p *Provider) formatAddress(detail, unit string) string {
	parts := []string{detail}
	if u, ok := p.units.Lookup(unit); ok {
		parts = append(parts, u.Type+" "+u.Name)
		if pr, ok := p.units.Lookup(u.ParentCode); ok {
			parts = append(parts, pr.Type+" "+pr.Name)
		}
	}
	return strings.Join(slices.DeleteFunc(parts, func(s string) bool { return s == "" }), ", ")
}

// authRequest reads a pending or completed request (errNoRequest when it
// does not exist or expired).
func (p *Provider) authRequest(ctx context.Context, id string) (*authRequest, error) {
	var exp time.Time
	a, err := scanAuthRequest(p.db.QueryRowContext(ctx, "SELECT "+authRequestColumns+", expires_at FROM oidc_auth_requests WHERE id = $1", id), db.Time{T: &exp})
	if errors.Is(err, sql.ErrNoRows) || (err == nil && !p.now().Before(exp)) {
		return nil, errNoRequest
	}
	return a, err
}

// Purge deletes what has expired: authorization requests (with their spent
// codes), pushed requests, and tokens past their lifetime.
func (p *Provider) Purge(ctx context.Context) error {
	now := db.FormatTime(p.now())
	for _, q := range []string{
		"DELETE FROM oidc_auth_requests WHERE expires_at <= $1",
		"DELETE FROM oidc_par WHERE expires_at <= $1",
		"DELETE FROM oidc_tokens WHERE expires_at <= $1",
		"DELETE FROM oidc_client_assertions WHERE expires_at <= $1",
	} {
		if _, err := p.db.ExecContext(ctx, q, now); err != nil {
			return err
		}
	}
	return nil
}
