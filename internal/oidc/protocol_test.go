package oidc_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/zitadel/oidc/v3/pkg/client"
	zoidc "github.com/zitadel/oidc/v3/pkg/oidc"

	"github.com/populus-vn/populus/internal/db"
	"github.com/populus-vn/populus/internal/db/dbtest"
	"github.com/populus-vn/populus/internal/oidc"
)

// The token endpoint's answers are never cached (RFC 6749 §5.1), nor
// userinfo's claims; a client that sent a wrong secret in the
// Authorization header gets 401 with a challenge (RFC 6749 §5.2); the
// tokens of an account that is not active (locked here without the lock's
// revocation, as a store written by an older release holds) are answered
// as tokens are that stopped: invalid_grant at a refresh (the refresh
// token not spent), 401 invalid_token at userinfo and at e-KYC, never a
// server error.
func TestTokenEndpointConformance(t *testing.T) {
	dbtest.Engines(t, schemas, func(t *testing.T, d *db.DB) {
		e := newOP(t, d)
		e.Active(e.Lan)
		toks := e.tokensWith(t, "bank", e.secret, "profile", "offline_access")
		post := func(path string, form url.Values, user, pass string) *httptest.ResponseRecorder {
			req := httptest.NewRequest("POST", path, strings.NewReader(form.Encode()))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			req.SetBasicAuth(user, pass)
			w := httptest.NewRecorder()
			e.handler.ServeHTTP(w, req)
			return w
		}
		refresh := url.Values{"grant_type": {"refresh_token"}, "refresh_token": {toks["refresh_token"].(string)}}
		if w := post("/oidc/oauth/token", refresh, "bank", "not-the-secret"); w.Code != http.StatusUnauthorized ||
			!strings.Contains(w.Header().Get("WWW-Authenticate"), "Basic") || !strings.Contains(w.Body.String(), "invalid_client") {
			t.Errorf("a wrong secret: %d %q %s", w.Code, w.Header().Get("WWW-Authenticate"), w.Body)
		}
		userinfo := func() *httptest.ResponseRecorder {
			req := httptest.NewRequest("GET", "/oidc/userinfo", nil)
			req.Header.Set("Authorization", "Bearer "+toks["access_token"].(string))
			w := httptest.NewRecorder()
			e.handler.ServeHTTP(w, req)
			return w
		}
		if w := userinfo(); w.Code != http.StatusOK || w.Header().Get("Cache-Control") != "no-store" {
			t.Errorf("userinfo: %d, Cache-Control %q", w.Code, w.Header().Get("Cache-Control"))
		}
		if _, err := d.ExecContext(context.Background(), "UPDATE eid_accounts SET state = 'locked' WHERE pin = $1", e.Lan.PIN); err != nil {
			t.Fatal(err)
		}
		if w := post("/oidc/oauth/token", refresh, "bank", e.secret); w.Code != http.StatusBadRequest || !strings.Contains(w.Body.String(), "invalid_grant") ||
			w.Header().Get("Cache-Control") != "no-store" {
			t.Errorf("a refresh of a locked account: %d %q %s", w.Code, w.Header().Get("Cache-Control"), w.Body)
		}
		if w := userinfo(); w.Code != http.StatusUnauthorized || !strings.Contains(w.Header().Get("WWW-Authenticate"), "invalid_token") {
			t.Errorf("userinfo of a locked account: %d %s", w.Code, w.Body)
		}
		if _, err := e.prov.EKYC(context.Background(), toks["access_token"].(string)); err == nil || !strings.Contains(err.Error(), "not active") {
			t.Errorf("e-KYC of a locked account: %v", err)
		}
		if _, err := d.ExecContext(context.Background(), "UPDATE eid_accounts SET state = 'active' WHERE pin = $1", e.Lan.PIN); err != nil {
			t.Fatal(err)
		}
		w := post("/oidc/oauth/token", refresh, "bank", e.secret)
		if w.Code != http.StatusOK || w.Header().Get("Cache-Control") != "no-store" || w.Header().Get("Pragma") != "no-cache" {
			t.Errorf("a refresh: %d, Cache-Control %q, Pragma %q %s", w.Code, w.Header().Get("Cache-Control"), w.Header().Get("Pragma"), w.Body)
		}
	})
}

// A private_key_jwt client's assertion names the issuer identifier as its
// one audience (OpenID Connect Core §9 as amended in 2025): the token
// endpoint's URL, or the issuer beside another server, is refused with
// 401 invalid_client saying so, as is another key; the discovery document
// lists the algorithms an assertion may be signed with.
func TestClientAssertionAudience(t *testing.T) {
	dbtest.Engines(t, schemas, func(t *testing.T, d *db.DB) {
		e := newOP(t, d)
		ctx := context.Background()
		key, jwks := keyPair(t, "k1")
		if _, err := e.prov.Clients().Register(ctx, oidc.ClientConfig{ID: "insurer", Name: "Bảo hiểm", AuthMethod: oidc.AuthPrivateKeyJWT, JWKS: jwks,
			RedirectURIs: []string{rpRedirect}, Scopes: []string{"openid"}}); err != nil {
			t.Fatal(err)
		}
		other, _ := keyPair(t, "k1")
		sign := func(pemKey []byte, aud ...string) string {
			signer, err := client.NewSignerFromPrivateKeyByte(pemKey, "k1")
			if err != nil {
				t.Fatal(err)
			}
			a, err := client.SignedJWTProfileAssertion("insurer", aud, time.Minute, signer)
			if err != nil {
				t.Fatal(err)
			}
			return a
		}
		token := func(a string) *httptest.ResponseRecorder {
			form := url.Values{"grant_type": {"authorization_code"}, "code": {"no-such-code"}, "redirect_uri": {rpRedirect}, "code_verifier": {strings.Repeat("v", 43)},
				"client_assertion_type": {zoidc.ClientAssertionTypeJWTAssertion}, "client_assertion": {a}}
			req := httptest.NewRequest("POST", "/oidc/oauth/token", strings.NewReader(form.Encode()))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			w := httptest.NewRecorder()
			e.handler.ServeHTTP(w, req)
			return w
		}
		for _, c := range []struct {
			name, assertion, why string
		}{
			{"the token endpoint's URL", sign(key, e.issuer+"/oauth/token"), "aud must be the issuer identifier " + e.issuer},
			{"the issuer and another server", sign(key, e.issuer, "https://evil.example"), "aud must be one value"},
			{"another key", sign(other, e.issuer), "does not verify against the client's registered keys"},
		} {
			if w := token(c.assertion); w.Code != http.StatusUnauthorized || !strings.Contains(w.Body.String(), "invalid_client") || !strings.Contains(w.Body.String(), c.why) {
				t.Errorf("%s: %d %s", c.name, w.Code, w.Body)
			}
		}
		// The right assertion authenticates the client: the made-up code is
		// then the refusal.
		if w := token(sign(key, e.issuer)); w.Code != http.StatusBadRequest || !strings.Contains(w.Body.String(), "invalid_grant") {
			t.Errorf("the right assertion: %d %s", w.Code, w.Body)
		}
		req := httptest.NewRequest("GET", "/oidc/.well-known/openid-configuration", nil)
		w := httptest.NewRecorder()
		e.handler.ServeHTTP(w, req)
		var disc map[string]any
		json.Unmarshal(w.Body.Bytes(), &disc)
		if algs := fmt.Sprint(disc["token_endpoint_auth_signing_alg_values_supported"]); !strings.Contains(algs, "ES256") || !strings.Contains(algs, "RS256") {
			t.Errorf("token_endpoint_auth_signing_alg_values_supported = %s", algs)
		}
	})
}
