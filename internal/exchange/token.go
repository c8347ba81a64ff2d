package exchange

import (
	"context"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"database/sql"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"

	"github.com/populus-vn/populus/internal/audit"
	"github.com/populus-vn/populus/internal/auth"
	"github.com/populus-vn/populus/internal/db"
	"github.com/populus-vn/populus/internal/httpx"
	"github.com/populus-vn/populus/internal/problem"
)

// OAuth2 client credentials with private_key_jwt (RFC 7523 section 2.2):
// a subsystem signs a short assertion with the key whose public half it
// registered, and gets an access token valid for tokenLifetime, stored
// hashed, revoked with the subsystem.
const (
	tokenLifetime     = 5 * time.Minute
	maxAssertionLife  = 5 * time.Minute
	assertionType     = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
	maxAssertionBytes = 8 << 10
)

// assertionAlgorithms are the signature algorithms accepted on client
// assertions.
var assertionAlgorithms = []jose.SignatureAlgorithm{jose.ES256, jose.ES384, jose.RS256, jose.PS256, jose.EdDSA}

// Assertion is what a client assertion claims, read before its signature
// is checked (to find the key of its issuer).
type Assertion struct {
	Issuer string
	JTI    string
	token  *jwt.JSONWebToken
}

// ParseAssertion parses a client assertion (a compact JWS) without
// checking its signature: the issuer must be a subsystem id, equal to the
// subject, and a jti must be given.
func ParseAssertion(raw string) (Assertion, error) {
	if raw == "" {
		return Assertion{}, problem.Field("client_assertion", "is required")
	}
	if len(raw) > maxAssertionBytes {
		return Assertion{}, problem.Field("client_assertion", "is longer than %d bytes", maxAssertionBytes)
	}
	tok, err := jwt.ParseSigned(raw, assertionAlgorithms)
	var alg *jose.ErrUnexpectedSignatureAlgorithm
	switch {
	case errors.As(err, &alg):
		return Assertion{}, problem.Field("client_assertion", "is signed with %s, not one of ES256, ES384, RS256, PS256 or EdDSA", string(alg.Got))
	case err != nil:
		return Assertion{}, problem.Field("client_assertion", "is not a signed JWT in compact form: three base64url parts joined by dots (header, claims, signature)")
	}
	var c jwt.Claims
	if err := tok.UnsafeClaimsWithoutVerification(&c); err != nil {
		return Assertion{}, problem.Field("client_assertion", "claims unreadable: %v", joseReason(err))
	}
	if _, err := ParseSubsystem(c.Issuer); err != nil {
		return Assertion{}, problem.Field("client_assertion", "iss must be the subsystem id: %v", err)
	}
	if c.Subject != c.Issuer {
		return Assertion{}, problem.Field("client_assertion", "sub must equal iss")
	}
	if c.ID == "" || len(c.ID) > 200 {
		return Assertion{}, problem.Field("client_assertion", "jti is required, at most 200 characters")
	}
	return Assertion{Issuer: c.Issuer, JTI: c.ID, token: tok}, nil
}

// joseReason is a go-jose error's message without the library's name.
func joseReason(err error) string {
	m := err.Error()
	for _, p := range []string{"go-jose/go-jose/jwt: ", "go-jose/go-jose: "} {
		m = strings.TrimPrefix(m, p)
	}
	return m
}

// claimsReason says why an assertion's registered claims are refused.
func claimsReason(err error) string {
	switch {
	case errors.Is(err, jwt.ErrExpired):
		return "the assertion has expired (exp)"
	case errors.Is(err, jwt.ErrNotValidYet):
		return "the assertion is not valid yet (nbf)"
	case errors.Is(err, jwt.ErrIssuedInTheFuture):
		return "the assertion is issued in the future (iat)"
	case errors.Is(err, jwt.ErrInvalidAudience):
		return "aud must be the token endpoint's URL (the one posted to)"
	}
	return joseReason(err)
}

// Token is the answer of the token endpoint (RFC 6749 section 5.1).
type Token struct {
	AccessToken string `json:"access_token"`
	TokenType   string `json:"token_type"`
	ExpiresIn   int    `json:"expires_in"`
}

// IssueToken checks a client-credentials request and issues an access
// token. A refusal is audited against the subsystem named.
func (x *Exchange) IssueToken(ctx context.Context, grantType, assertionTypeIn, raw string) (Token, error) {
	var f problem.Fields
	if grantType != "client_credentials" {
		f.Add("grant_type", "must be client_credentials")
	}
	if assertionTypeIn != assertionType {
		f.Add("client_assertion_type", "must be %s", assertionType)
	}
	if err := f.Err(); err != nil {
		return Token{}, err
	}
	a, err := ParseAssertion(raw)
	if err != nil {
		return Token{}, err
	}
	refuse := func(why string) (Token, error) {
		x.audit.Record(ctx, audit.OfActor(auth.ActorID(auth.KindMember, a.Issuer), ActionAuthenticate, a.Issuer).Refused(why))
		return Token{}, problem.New(problem.Unauthorized, "client assertion refused: %s", why)
	}
	var jwk string
	err = x.db.QueryRowContext(ctx, `SELECT s.public_jwk FROM exchange_subsystems s JOIN exchange_members m ON m.id = s.member_id
		WHERE s.id = $1 AND s.revoked_at = '' AND m.revoked_at = ''`, a.Issuer).Scan(&jwk)
	if errors.Is(err, sql.ErrNoRows) {
		return refuse("unknown or revoked subsystem")
	} else if err != nil {
		return Token{}, err
	}
	if jwk == "" {
		return refuse("the subsystem has no registered public key")
	}
	var key jose.JSONWebKey
	if err := key.UnmarshalJSON([]byte(jwk)); err != nil {
		return Token{}, fmt.Errorf("exchange: key of %s: %w", a.Issuer, err)
	}
	var c jwt.Claims
	if err := a.token.Claims(key.Key, &c); err != nil {
		return refuse("bad signature")
	}
	now := x.now()
	// One audience (RFC 7523bis): an assertion naming this endpoint beside
	// another server could be replayed by that server here.
	if len(c.Audience) != 1 {
		return refuse("aud must be one value: the token endpoint's URL (the one posted to)")
	}
	if err := c.ValidateWithLeeway(jwt.Expected{Issuer: a.Issuer, Subject: a.Issuer, AnyAudience: *x.audiences.Load(), Time: now}, 30*time.Second); err != nil {
		return refuse(claimsReason(err))
	}
	if c.Expiry == nil || c.Expiry.Time().After(now.Add(maxAssertionLife+30*time.Second)) {
		return refuse("exp is required and at most 5 minutes ahead")
	}
	tok := make([]byte, 32)
	rand.Read(tok)
	access := base64.RawURLEncoding.EncodeToString(tok)
	err = x.db.InTx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `INSERT INTO exchange_assertions (subsystem_id, jti, expires_at) VALUES ($1, $2, $3)`,
			a.Issuer, a.JTI, isoNow(c.Expiry.Time().Add(time.Minute))); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO exchange_tokens (hash, subsystem_id, expires_at) VALUES ($1, $2, $3)`,
			hashToken(access), a.Issuer, isoNow(now.Add(tokenLifetime)))
		return err
	})
	if db.IsUniqueViolation(err) {
		return refuse("jti already used (replayed assertion)")
	}
	if err != nil {
		return Token{}, err
	}
	return Token{AccessToken: access, TokenType: "Bearer", ExpiresIn: int(tokenLifetime / time.Second)}, nil
}

// AuthorizationServer is the token endpoint's metadata (RFC 8414), for
// the OAuth2 clients that discover it.
type AuthorizationServer struct {
	Issuer                   string   `json:"issuer"`
	TokenEndpoint            string   `json:"token_endpoint"`
	GrantTypes               []string `json:"grant_types_supported"`
	ResponseTypes            []string `json:"response_types_supported"`
	TokenEndpointAuthMethods []string `json:"token_endpoint_auth_methods_supported"`
	TokenEndpointAuthAlgs    []string `json:"token_endpoint_auth_signing_alg_values_supported"`
}

// authorizationServer is GET /.well-known/oauth-authorization-server:
// the token endpoint at the URL the metadata is fetched at, where that is
// one of the endpoint's (the exchange listener under a name of its
// certificate), else the configured one; never one a Host header makes up.
func (x *Exchange) authorizationServer(w http.ResponseWriter, r *http.Request) error {
	auds := *x.audiences.Load()
	if len(auds) == 0 {
		return problem.New(problem.NotFound, "the exchange has no token endpoint URL")
	}
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	token := auds[0]
	if here := scheme + "://" + r.Host + TokenPath; slices.Contains(auds, here) {
		token = here
	}
	var algs []string
	for _, a := range assertionAlgorithms {
		algs = append(algs, string(a))
	}
	w.Header().Set("Cache-Control", "public, max-age=3600")
	issuer := token
	if u, err := url.Parse(token); err == nil {
		issuer = u.Scheme + "://" + u.Host
	}
	return httpx.WriteJSON(w, http.StatusOK, AuthorizationServer{
		Issuer: issuer, TokenEndpoint: token,
		GrantTypes: []string{"client_credentials"}, ResponseTypes: []string{},
		TokenEndpointAuthMethods: []string{"private_key_jwt"}, TokenEndpointAuthAlgs: algs,
	})
}

// TokenPath is the token endpoint's path.
const TokenPath = "/api/v1/exchange/token"

func hashToken(t string) string {
	h := sha256.Sum256([]byte(t))
	return hex.EncodeToString(h[:])
}

// RevokeToken revokes one access token at once.
func (x *Exchange) RevokeToken(ctx context.Context, token string) error {
	_, err := x.db.ExecContext(ctx, `UPDATE exchange_tokens SET revoked_at = $1 WHERE hash = $2`, isoNow(x.now()), hashToken(token))
	x.live.Invalidate()
	return err
}

// Purge deletes expired tokens and assertion ids.
func (x *Exchange) Purge(ctx context.Context) error {
	now := isoNow(x.now())
	if _, err := x.db.ExecContext(ctx, `DELETE FROM exchange_tokens WHERE expires_at < $1`, now); err != nil {
		return err
	}
	_, err := x.db.ExecContext(ctx, `DELETE FROM exchange_assertions WHERE expires_at < $1`, now)
	return err
}

func (x *Exchange) token(w http.ResponseWriter, r *http.Request) error {
	t, err := x.tokenRequest(w, r)
	if err != nil {
		writeTokenError(w, r, err)
		return nil
	}
	w.Header().Set("Cache-Control", "no-store")
	return httpx.WriteJSON(w, http.StatusOK, t)
}

// tokenRequest reads the token request and issues its token.
func (x *Exchange) tokenRequest(w http.ResponseWriter, r *http.Request) (Token, error) {
	r.Body = http.MaxBytesReader(w, r.Body, 16<<10)
	if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/x-www-form-urlencoded") {
		return Token{}, problem.New(problem.Unsupported, "send the token request as application/x-www-form-urlencoded")
	}
	if err := r.ParseForm(); err != nil {
		return Token{}, problem.New(problem.Invalid, "the form could not be read")
	}
	// RFC 6749 section 3.2: no parameter more than once.
	var f problem.Fields
	for _, name := range []string{"grant_type", "client_assertion_type", "client_assertion", "client_id", "scope"} {
		if len(r.PostForm[name]) > 1 {
			f.Add(name, repeated)
		}
	}
	if err := f.Err(); err != nil {
		return Token{}, err
	}
	return x.IssueToken(r.Context(), r.PostForm.Get("grant_type"), r.PostForm.Get("client_assertion_type"), r.PostForm.Get("client_assertion"))
}

// repeated is the reason of a parameter given more than once.
const repeated = "is given more than once"

// tokenError is a refusal of the token endpoint: the problem document,
// with the error code and description of OAuth 2.0 (RFC 6749 section
// 5.2) that OAuth2 client libraries read.
type tokenError struct {
	problem.Body
	Error       string `json:"error"`
	Description string `json:"error_description,omitempty"`
}

// writeTokenError writes err as a tokenError, with OAuth 2.0's status:
// 401 for a client not authenticated (invalid_client), 400 for the rest.
func writeTokenError(w http.ResponseWriter, r *http.Request, err error) {
	body := problem.BodyOf(err, r.URL.Path)
	if body.Status >= 500 {
		httpx.WriteProblem(w, r, err) // logged there
		return
	}
	code := "invalid_request"
	switch {
	case body.Status == http.StatusUnauthorized:
		code = "invalid_client"
	case slices.ContainsFunc(body.Errors, func(e problem.FieldError) bool { return e.Reason == repeated }):
	case slices.ContainsFunc(body.Errors, func(e problem.FieldError) bool { return e.Field == "grant_type" }):
		code = "unsupported_grant_type"
	case slices.ContainsFunc(body.Errors, func(e problem.FieldError) bool { return e.Field == "client_assertion" }):
		code = "invalid_client"
	}
	body.Status = http.StatusBadRequest
	if code == "invalid_client" {
		body.Status = http.StatusUnauthorized
		// The problem's type and title say what the status says.
		u := problem.BodyOf(problem.New(problem.Unauthorized, ""), r.URL.Path)
		body.Type, body.Title = u.Type, u.Title
	}
	desc := body.Detail
	for _, e := range body.Errors {
		desc += "; " + e.Field + ": " + e.Reason
	}
	b, _ := json.Marshal(tokenError{Body: body, Error: code, Description: desc})
	w.Header().Set("Content-Type", "application/problem+json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(body.Status)
	w.Write(append(b, '\n'))
}

// Guards returns the guard of AccessMember: a client certificate of the
// exchange's CA (on the exchange listener), or a bearer access token; the
// certificate or token, the subsystem and its member must be unrevoked,
// checked in the store on every request.
func (x *Exchange) Guards() map[httpx.Access]httpx.Guard {
	return map[httpx.Access]httpx.Guard{httpx.AccessMember: x.protect}
}

func (x *Exchange) protect(next http.Handler, _ httpx.ErrorWriter) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p, err := x.authenticate(r)
		if err != nil {
			// RFC 6750 section 3.1: a token given and refused is
			// invalid_token; a request with none gets the bare challenge.
			challenge := `Bearer realm="populus-exchange"`
			if _, given := bearerToken(r); problem.Is(err, problem.Unauthorized) && given && (r.TLS == nil || len(r.TLS.VerifiedChains) == 0) {
				challenge += `, error="invalid_token", error_description="the access token is expired, revoked or unknown"`
			}
			w.Header().Set("WWW-Authenticate", challenge)
			w.Header().Set(HeaderError, xroadError(err))
			x.mon.refused(r)
			httpx.WriteProblem(w, r, err)
			return
		}
		next.ServeHTTP(w, r.WithContext(auth.WithPrincipal(r.Context(), p)))
	})
}

// bearerToken is the token of r's Authorization header and whether it
// names the Bearer scheme, whose name is case-insensitive (RFC 9110
// section 11.1).
func bearerToken(r *http.Request) (string, bool) {
	scheme, tok, _ := strings.Cut(r.Header.Get("Authorization"), " ")
	return tok, strings.EqualFold(scheme, "Bearer")
}

func (x *Exchange) authenticate(r *http.Request) (auth.Principal, error) {
	ctx := r.Context()
	at := x.now()
	var id, name string
	var err error
	switch {
	case r.TLS != nil && len(r.TLS.VerifiedChains) > 0:
		leaf := r.TLS.VerifiedChains[0][0]
		sn := hex.EncodeToString(leaf.SerialNumber.Bytes())
		err = x.db.QueryRowContext(ctx, `SELECT s.id, m.name FROM exchange_certificates c JOIN exchange_subsystems s ON s.id = c.subsystem_id
			JOIN exchange_members m ON m.id = s.member_id
			WHERE c.serial = $1 AND c.revoked_at = '' AND c.not_after > $2 AND s.revoked_at = '' AND m.revoked_at = ''`, sn, isoNow(at)).Scan(&id, &name)
		if errors.Is(err, sql.ErrNoRows) || (err == nil && leaf.Subject.CommonName != id) {
			x.audit.Record(ctx, audit.OfActor(auth.ActorID(auth.KindMember, leaf.Subject.CommonName), ActionAuthenticate, leaf.Subject.CommonName).Refused("certificate revoked or unknown: serial "+sn))
			return auth.Principal{}, problem.New(problem.Unauthorized, "the client certificate is revoked, expired or unknown")
		}
	default:
		if len(r.Header.Values("Authorization")) > 1 {
			return auth.Principal{}, problem.New(problem.Unauthorized, "give one Authorization header")
		}
		tok, ok := bearerToken(r)
		if !ok || tok == "" {
			return auth.Principal{}, problem.New(problem.Unauthorized, "authenticate with a client certificate of the Populus exchange CA or a bearer access token (POST /api/v1/exchange/token)")
		}
		t, ok, terr := x.bearer(ctx, hashToken(tok), at)
		if terr != nil {
			return auth.Principal{}, terr
		}
		if !ok {
			return auth.Principal{}, problem.New(problem.Unauthorized, "the access token is expired, revoked or unknown")
		}
		id, name = t.id, t.name
	}
	if err != nil {
		return auth.Principal{}, err
	}
	return Principal(id, name), nil
}

// Principal is a subsystem as package auth sees it.
func Principal(subsystem, memberName string) auth.Principal {
	return auth.Principal{Kind: auth.KindMember, Username: subsystem, DisplayName: memberName, Unit: "VN"}
}

// tokenQuery finds the unrevoked subsystem of an unexpired, unrevoked
// token: one indexed read per request, prepared once.
const tokenQuery = `SELECT s.id, m.name, t.expires_at FROM exchange_tokens t JOIN exchange_subsystems s ON s.id = t.subsystem_id
	JOIN exchange_members m ON m.id = s.member_id
	WHERE t.hash = $1 AND t.revoked_at = '' AND t.expires_at > $2 AND s.revoked_at = '' AND m.revoked_at = ''`

// liveToken is a bearer token read active: its subsystem, its member's
// name, and when it expires (isoNow's form).
type liveToken struct{ id, name, expires string }

// The exchange remembers the bearer tokens it has read active (the token
// query joins three tables: about a tenth of a look-up's cost), while the
// store's token epoch (exchange migration 0003) has not moved: triggers
// count it up with every change to a token, a subsystem or a member, so
// that this process's revocations hold at once (Revoke and RevokeToken
// invalidate the epoch read) and another process's within liveEpochTTL.
// Expiry is checked on every request.
const (
	liveEpochTTL  = time.Second
	maxLiveTokens = 20000
)

func newLiveTokens() *db.EpochCache[liveToken] {
	return db.NewEpochCache[liveToken]("SELECT seq FROM exchange_token_epoch WHERE id = 1", liveEpochTTL, maxLiveTokens)
}

// bearer returns the active token whose hash is hash, at at.
func (x *Exchange) bearer(ctx context.Context, hash string, at time.Time) (liveToken, bool, error) {
	now := isoNow(at)
	epoch, err := x.live.Current(ctx, x.db, at)
	if err != nil {
		return liveToken{}, false, err
	}
	if t, ok := x.live.Get(hash, epoch); ok {
		return t, now < t.expires, nil
	}
	stmt, err := x.db.Prepared(ctx, tokenQuery)
	if err != nil {
		return liveToken{}, false, err
	}
	// A look-up by primary key: without the request's cancellation, which
	// costs the SQLite driver a goroutine per statement.
	var t liveToken
	err = stmt.QueryRowContext(context.WithoutCancel(ctx), hash, now).Scan(&t.id, &t.name, &t.expires)
	if errors.Is(err, sql.ErrNoRows) {
		return liveToken{}, false, nil
	}
	if err != nil {
		return liveToken{}, false, err
	}
	x.live.Put(hash, t, epoch)
	return t, true, nil
}

// SignAssertion makes a client assertion of subsystem for the token
// endpoint at aud (RFC 7523, as POST /api/v1/exchange/token takes it),
// signed with keyPEM, the subsystem's private key (PKCS #8, SEC 1 or
// PKCS #1 PEM; ES256 for a P-256 key, ES384 for P-384, RS256 for RSA,
// EdDSA for Ed25519): iss and sub the subsystem, a random jti, exp after
// life. A member's tool (populus exchange assertion) and the tests'.
func SignAssertion(subsystem string, keyPEM []byte, aud string, life time.Duration) (string, error) {
	blk, _ := pem.Decode(keyPEM)
	if blk == nil {
		return "", errors.New("the key is not PEM")
	}
	var key any
	var err error
	switch blk.Type {
	case "EC PRIVATE KEY":
		key, err = x509.ParseECPrivateKey(blk.Bytes)
	case "RSA PRIVATE KEY":
		key, err = x509.ParsePKCS1PrivateKey(blk.Bytes)
	default:
		key, err = x509.ParsePKCS8PrivateKey(blk.Bytes)
	}
	if err != nil {
		return "", fmt.Errorf("the key cannot be read (%s): %w", blk.Type, err)
	}
	var alg jose.SignatureAlgorithm
	switch k := key.(type) {
	case *ecdsa.PrivateKey:
		switch k.Curve {
		case elliptic.P256():
			alg = jose.ES256
		case elliptic.P384():
			alg = jose.ES384
		}
	case *rsa.PrivateKey:
		alg = jose.RS256
	case ed25519.PrivateKey:
		alg = jose.EdDSA
	}
	if alg == "" {
		return "", fmt.Errorf("a %T key signs no assertion the exchange accepts (P-256, P-384, RSA or Ed25519)", key)
	}
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: alg, Key: key}, (&jose.SignerOptions{}).WithType("JWT"))
	if err != nil {
		return "", err
	}
	jti := make([]byte, 16)
	rand.Read(jti)
	now := time.Now()
	return jwt.Signed(signer).Claims(jwt.Claims{Issuer: subsystem, Subject: subsystem, Audience: jwt.Audience{aud},
		ID: hex.EncodeToString(jti), IssuedAt: jwt.NewNumericDate(now), Expiry: jwt.NewNumericDate(now.Add(life))}).Serialize()
}
