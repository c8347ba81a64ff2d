package exchange_test

import (
	"context"
	"crypto"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
	"golang.org/x/oauth2"
	"golang.org/x/oauth2/clientcredentials"

	"github.com/populus-vn/populus/internal/db"
	"github.com/populus-vn/populus/internal/db/dbtest"
	"github.com/populus-vn/populus/internal/exchange"
)

// assertion signs a client assertion of subsystem with its key.
func (e *env) assertion(t testing.TB, subsystem, aud, jti string, life time.Duration) string {
	t.Helper()
	return e.assertionFor(t, subsystem, jwt.Audience{aud}, jti, life)
}

// assertionFor is assertion with any audience.
func (e *env) assertionFor(t testing.TB, subsystem string, aud jwt.Audience, jti string, life time.Duration) string {
	t.Helper()
	blk, _ := pem.Decode(e.keys[subsystem])
	k, err := x509.ParsePKCS8PrivateKey(blk.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	sig, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.ES256, Key: k.(crypto.Signer)}, nil)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	s, err := jwt.Signed(sig).Claims(jwt.Claims{Issuer: subsystem, Subject: subsystem, Audience: aud, ID: jti,
		IssuedAt: jwt.NewNumericDate(now), Expiry: jwt.NewNumericDate(now.Add(life))}).Serialize()
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func (e *env) token(t testing.TB, assertion string) result {
	t.Helper()
	form := url.Values{"grant_type": {"client_credentials"}, "client_assertion_type": {"urn:ietf:params:oauth:client-assertion-type:jwt-bearer"}, "client_assertion": {assertion}}
	return e.do(t, e.client(""), "POST", "/api/v1/exchange/token", map[string]string{"Content-Type": "application/x-www-form-urlencoded"}, form.Encode())
}

// OAuth2 client credentials with private_key_jwt: a token from a signed
// assertion, good for /r1/ calls without a certificate; a replayed jti, a
// wrong audience, a long-lived assertion, another subsystem's key are
// refused; revoking the subsystem stops its token at once.
func TestClientCredentials(t *testing.T) {
	dbtest.Engines(t, schemas, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		// Not a JWT: 401 invalid_client, a problem whose type and title
		// say so, in the platform's words, not the JOSE library's.
		if res := e.token(t, "not-a-jwt"); res.status != 401 || !strings.Contains(res.body, `"invalid_client"`) || !strings.Contains(res.body, "/problems/unauthorized") ||
			!strings.Contains(res.body, "three base64url parts") || strings.Contains(res.body, "go-jose") || strings.Contains(res.body, "compact JWS format") {
			t.Errorf("not a JWT: %d %s", res.status, res.body)
		}
		a := e.assertion(t, hospital, e.tokenURL, "jti-1", time.Minute)
		res := e.token(t, a)
		var tok exchange.Token
		if res.status != 200 || json.Unmarshal([]byte(res.body), &tok) != nil || tok.TokenType != "Bearer" || tok.ExpiresIn != 300 {
			t.Fatalf("%d %s", res.status, res.body)
		}
		call := func(token string) int {
			h := xroad(hospital, "HEALTH-INSURANCE-CHECK")
			h["Authorization"] = "Bearer " + token
			return e.do(t, e.client(""), "GET", "/r1/"+person+"/"+e.Lan.PIN, h, "").status
		}
		if s := call(tok.AccessToken); s != 200 {
			t.Fatalf("with the token: %d", s)
		}
		if s := call(tok.AccessToken + "x"); s != 401 {
			t.Errorf("a wrong token: %d", s)
		}
		if res := e.token(t, a); res.status != 401 || !strings.Contains(res.body, "replayed") {
			t.Errorf("replayed: %d %s", res.status, res.body)
		}
		if res := e.token(t, e.assertion(t, hospital, "https://elsewhere/token", "jti-2", time.Minute)); res.status != 401 {
			t.Errorf("wrong audience: %d %s", res.status, res.body)
		}
		// The audience: the token endpoint's URL, its origin (the
		// authorization server's identifier), or a URL the listener it is
		// reached at adds; nothing else of the same host.
		origin := strings.TrimSuffix(e.tokenURL, "/api/v1/exchange/token")
		other := "https://localhost:8443/api/v1/exchange/token"
		for i, aud := range []string{origin, other, "https://localhost:8443"} {
			if i == 1 {
				if res := e.token(t, e.assertion(t, hospital, other, "jti-other-before", time.Minute)); res.status != 401 || !strings.Contains(res.body, "aud") {
					t.Errorf("a listener's URL not added: %d %s", res.status, res.body)
				}
				e.x.AddTokenURLs(other)
			}
			if res := e.token(t, e.assertion(t, hospital, aud, fmt.Sprint("jti-aud-", i), time.Minute)); res.status != 200 {
				t.Errorf("audience %s: %d %s", aud, res.status, res.body)
			}
		}
		for i, aud := range []string{origin + "/api/v1/exchange", origin + "/oidc", origin + "/", "http" + strings.TrimPrefix(origin, "https")} {
			if res := e.token(t, e.assertion(t, hospital, aud, fmt.Sprint("jti-bad-aud-", i), time.Minute)); res.status != 401 {
				t.Errorf("audience %s: %d %s", aud, res.status, res.body)
			}
		}
		// One audience only: the endpoint's URL beside another would let
		// an assertion made for another server be replayed here.
		if res := e.token(t, e.assertionFor(t, hospital, jwt.Audience{e.tokenURL, "https://evil.example/token"}, "jti-two-auds", time.Minute)); res.status != 401 || !strings.Contains(res.body, "one value") {
			t.Errorf("two audiences: %d %s", res.status, res.body)
		}
		if res := e.token(t, e.assertion(t, hospital, e.tokenURL, "jti-3", time.Hour)); res.status != 401 {
			t.Errorf("an assertion for an hour: %d %s", res.status, res.body)
		}
		// The bank's key signing as the hospital.
		k := e.keys[bank]
		e.keys[bank] = e.keys[hospital]
		e.keys[hospital] = k
		forged := e.assertion(t, hospital, e.tokenURL, "jti-5", time.Minute)
		e.keys[hospital] = e.keys[bank]
		e.keys[bank] = k
		if res := e.token(t, forged); res.status != 401 || !strings.Contains(res.body, "signature") {
			t.Errorf("another key: %d %s", res.status, res.body)
		}
		if res := e.token(t, "not.a.jwt"); res.status != 401 || !strings.Contains(res.body, `"field":"client_assertion"`) || strings.Contains(res.body, "go-jose") {
			t.Errorf("garbage: %d %s", res.status, res.body)
		}
		if err := e.x.Revoke(e.Ctx, hospital); err != nil {
			t.Fatal(err)
		}
		if s := call(tok.AccessToken); s != 401 {
			t.Errorf("the token of a revoked subsystem: %d", s)
		}
		// RFC 6750: a refused token is invalid_token; no token, the bare
		// challenge.
		h := xroad(hospital, "HEALTH-INSURANCE-CHECK")
		h["Authorization"] = "Bearer " + tok.AccessToken
		if r := e.do(t, e.client(""), "GET", "/r1/"+person+"/"+e.Lan.PIN, h, ""); !strings.Contains(r.header.Get("WWW-Authenticate"), `error="invalid_token"`) {
			t.Errorf("a refused token's challenge: %q", r.header.Get("WWW-Authenticate"))
		}
		delete(h, "Authorization")
		if r := e.do(t, e.client(""), "GET", "/r1/"+person+"/"+e.Lan.PIN, h, ""); r.status != 401 || r.header.Get("WWW-Authenticate") != `Bearer realm="populus-exchange"` {
			t.Errorf("no token: %d %q", r.status, r.header.Get("WWW-Authenticate"))
		}
		if res := e.token(t, e.assertion(t, hospital, e.tokenURL, "jti-6", time.Minute)); res.status != 401 {
			t.Errorf("a revoked subsystem's assertion: %d", res.status)
		}
		if n := e.Count(`SELECT count(*) FROM audit_log WHERE action = $1 AND outcome = 'denied' AND actor = $2`, exchange.ActionAuthenticate, "member:"+hospital); n != 11 {
			t.Errorf("%d refused token requests audited, want 11", n)
		}
	})
}

// sign makes a compact JWS of payload with subsystem's key.
func (e *env) sign(t testing.TB, subsystem string, payload []byte) string {
	t.Helper()
	blk, _ := pem.Decode(e.keys[subsystem])
	k, err := x509.ParsePKCS8PrivateKey(blk.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	sig, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.ES256, Key: k.(crypto.Signer)}, nil)
	if err != nil {
		t.Fatal(err)
	}
	obj, err := sig.Sign(payload)
	if err != nil {
		t.Fatal(err)
	}
	s, err := obj.CompactSerialize()
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// TestTokenRevokedByAnotherProcess: the exchange remembers a token read
// active while the store's token epoch holds; a revocation made outside
// this process (the command line, another instance: here a statement on
// the store) moves the epoch, and the token is refused within a second.
func TestTokenRevokedByAnotherProcess(t *testing.T) {
	dbtest.Engines(t, schemas, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		res := e.token(t, e.assertion(t, hospital, e.tokenURL, "jti-1", time.Minute))
		var tok exchange.Token
		if res.status != 200 || json.Unmarshal([]byte(res.body), &tok) != nil {
			t.Fatalf("%d %s", res.status, res.body)
		}
		call := func() int {
			h := xroad(hospital, "HEALTH-INSURANCE-CHECK")
			h["Authorization"] = "Bearer " + tok.AccessToken
			return e.do(t, e.client(""), "GET", "/r1/"+person+"/"+e.Lan.PIN, h, "").status
		}
		for range 3 {
			if s := call(); s != 200 {
				t.Fatalf("with the token: %d", s)
			}
		}
		if _, err := d.Exec(`UPDATE exchange_tokens SET revoked_at = '2026-01-01T00:00:00Z' WHERE subsystem_id = $1`, hospital); err != nil {
			t.Fatal(err)
		}
		start := time.Now()
		for call() != 401 {
			if time.Since(start) > 3*time.Second {
				t.Fatal("the token revoked on the store still works 3 s later")
			}
			time.Sleep(20 * time.Millisecond)
		}
		if took := time.Since(start); took > 1500*time.Millisecond {
			t.Errorf("the revocation took %v to hold, want within a second", took)
		}
	})
}

// The token endpoint's metadata (RFC 8414) names the endpoint at the URL
// it is fetched at when that is one of the endpoint's, else the
// configured one: a Host header cannot make it name another server. An
// assertion whose audience is the metadata's issuer is accepted.
func TestAuthorizationServerMetadata(t *testing.T) {
	e := newEnv(t, dbtest.SQLite(t, schemas...))
	get := func(host string) exchange.AuthorizationServer {
		t.Helper()
		req, _ := http.NewRequest("GET", e.srv.URL+"/.well-known/oauth-authorization-server", nil)
		if host != "" {
			req.Host = host
		}
		res, err := e.client("").Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		var md exchange.AuthorizationServer
		if err := json.NewDecoder(res.Body).Decode(&md); err != nil || res.StatusCode != 200 {
			t.Fatalf("metadata: %d %v", res.StatusCode, err)
		}
		return md
	}
	md := get("")
	origin := strings.TrimSuffix(e.tokenURL, exchange.TokenPath)
	if md.Issuer != origin || md.TokenEndpoint != e.tokenURL || strings.Join(md.GrantTypes, ",") != "client_credentials" ||
		strings.Join(md.TokenEndpointAuthMethods, ",") != "private_key_jwt" || !slices.Contains(md.TokenEndpointAuthAlgs, "ES256") {
		t.Errorf("metadata: %+v", md)
	}
	if md := get("evil.example"); md.TokenEndpoint != e.tokenURL {
		t.Errorf("metadata fetched with Host evil.example: %+v", md)
	}
	e.x.AddTokenURLs("https://localhost:" + strings.Split(origin, ":")[2] + exchange.TokenPath)
	if md := get("localhost:" + strings.Split(origin, ":")[2]); md.Issuer != "https://localhost:"+strings.Split(origin, ":")[2] {
		t.Errorf("metadata fetched at another name of the listener: %+v", md)
	}
	if res := e.token(t, e.assertion(t, hospital, md.Issuer, "jti-issuer", time.Minute)); res.status != 200 {
		t.Errorf("an assertion to the metadata's issuer: %d %s", res.status, res.body)
	}
}

// The token endpoint's refusals are problem documents that also carry
// OAuth 2.0's error code and description (RFC 6749 section 5.2), which
// OAuth2 client libraries read; a parameter given twice is refused.
func TestTokenErrors(t *testing.T) {
	e := newEnv(t, dbtest.SQLite(t, schemas...))
	post := func(form url.Values) (int, map[string]any) {
		t.Helper()
		res := e.do(t, e.client(""), "POST", "/api/v1/exchange/token", map[string]string{"Content-Type": "application/x-www-form-urlencoded"}, form.Encode())
		var m map[string]any
		if err := json.Unmarshal([]byte(res.body), &m); err != nil || res.header.Get("Content-Type") != "application/problem+json" {
			t.Fatalf("%d %s %v", res.status, res.body, err)
		}
		return res.status, m
	}
	good := func() url.Values {
		return url.Values{"grant_type": {"client_credentials"}, "client_assertion_type": {"urn:ietf:params:oauth:client-assertion-type:jwt-bearer"},
			"client_assertion": {e.assertion(t, hospital, e.tokenURL, fmt.Sprint(time.Now().UnixNano()), time.Minute)}}
	}
	for name, c := range map[string]struct {
		change func(url.Values)
		status int
		code   string
	}{
		"grant type":        {func(v url.Values) { v.Set("grant_type", "password") }, 400, "unsupported_grant_type"},
		"garbage assertion": {func(v url.Values) { v.Set("client_assertion", "not.a.jwt") }, 401, "invalid_client"},
		"wrong audience": {func(v url.Values) {
			v.Set("client_assertion", e.assertion(t, hospital, "https://elsewhere/token", "jti-aud", time.Minute))
		}, 401, "invalid_client"},
		"assertion twice":  {func(v url.Values) { v.Add("client_assertion", v.Get("client_assertion")) }, 400, "invalid_request"},
		"grant type twice": {func(v url.Values) { v.Add("grant_type", "client_credentials") }, 400, "invalid_request"},
		"expired assertion": {func(v url.Values) {
			v.Set("client_assertion", e.assertion(t, hospital, e.tokenURL, "jti-expired", -time.Minute))
		}, 401, "invalid_client"},
	} {
		v := good()
		c.change(v)
		status, m := post(v)
		if desc, _ := m["error_description"].(string); status != c.status || m["error"] != c.code || desc == "" || strings.Contains(desc, "go-jose") || m["status"] != float64(c.status) || m["type"] == "" {
			t.Errorf("%s: %d %v; want %d %s", name, status, m, c.status, c.code)
		}
	}
}

// An OAuth2 client library (golang.org/x/oauth2's client credentials,
// the assertion passed as parameters) takes a token and calls the
// exchange with it; a refused assertion comes back as the library's
// error, with OAuth 2.0's code.
func TestOAuth2Library(t *testing.T) {
	e := newEnv(t, dbtest.SQLite(t, schemas...))
	ctx := context.WithValue(e.Ctx, oauth2.HTTPClient, e.client(""))
	cfg := func(aud string) *clientcredentials.Config {
		return &clientcredentials.Config{TokenURL: e.tokenURL, AuthStyle: oauth2.AuthStyleInParams, EndpointParams: url.Values{
			"client_assertion_type": {"urn:ietf:params:oauth:client-assertion-type:jwt-bearer"},
			"client_assertion":      {e.assertion(t, hospital, aud, fmt.Sprint("lib-", time.Now().UnixNano()), time.Minute)}}}
	}
	req, _ := http.NewRequest("GET", e.srv.URL+"/r1/"+person+"/"+e.Lan.PIN, nil)
	for k, v := range xroad(hospital, "HEALTH-INSURANCE-CHECK") {
		req.Header.Set(k, v)
	}
	res, err := cfg(e.tokenURL).Client(ctx).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusOK {
		t.Errorf("a look-up with the library's token: %d", res.StatusCode)
	}
	_, err = cfg("https://elsewhere/token").Token(ctx)
	var re *oauth2.RetrieveError
	if !errors.As(err, &re) || re.ErrorCode != "invalid_client" || !strings.Contains(re.ErrorDescription, "aud") {
		t.Errorf("a refused assertion, as the library reports it: %v", err)
	}
}
