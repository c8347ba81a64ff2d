package oidc_test

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"errors"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/zitadel/oidc/v3/pkg/client"
	"github.com/zitadel/oidc/v3/pkg/client/rp"
	zoidc "github.com/zitadel/oidc/v3/pkg/oidc"
	"golang.org/x/oauth2"

	"github.com/populus-vn/populus/internal/audit"
	"github.com/populus-vn/populus/internal/db"
	"github.com/populus-vn/populus/internal/db/dbtest"
	"github.com/populus-vn/populus/internal/identity/identitytest"
	"github.com/populus-vn/populus/internal/oidc"
	"github.com/populus-vn/populus/internal/staff"
)

var schemas = append([]*db.Schema{audit.Schema, staff.Schema, oidc.Schema}, identitytest.Schemas...)

// keyPair is a client's RSA key as PEM, and its public JWKS with kid.
func keyPair(t *testing.T, kid string) ([]byte, json.RawMessage) {
	t.Helper()
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	p := pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(k)})
	set, _ := json.Marshal(jose.JSONWebKeySet{Keys: []jose.JSONWebKey{{Key: &k.PublicKey, KeyID: kid, Algorithm: "RS256", Use: "sig"}}})
	return p, set
}

// registerJWTClient registers "insurer" (private_key_jwt) and returns its
// relying party built by zitadel's rp, signing with key.
func (e *opEnv) jwtRP(t *testing.T, key []byte, kid string, scopes ...string) rp.RelyingParty {
	t.Helper()
	r, err := rp.NewRelyingPartyOIDC(context.Background(), e.issuer, "insurer", "", rpRedirect, scopes, rp.WithJWTProfile(rp.SignerFromKeyAndKeyID(key, kid)))
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func assertion(t *testing.T, r rp.RelyingParty) string {
	t.Helper()
	a, err := client.SignedJWTProfileAssertion("insurer", []string{r.Issuer()}, time.Hour, r.Signer())
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// zitadel's relying party with private_key_jwt: code exchange, refresh
// rotation (the old refresh token reused revokes the family), revocation,
// and RP-initiated logout, which ends the citizen's session.
func TestPrivateKeyJWTRefreshRevocationLogout(t *testing.T) {
	dbtest.Engines(t, schemas, func(t *testing.T, d *db.DB) {
		e := newOP(t, d)
		e.Active(e.Lan)
		ctx := context.Background()
		key, jwks := keyPair(t, "k1")
		if _, err := e.prov.Clients().Register(ctx, oidc.ClientConfig{ID: "insurer", Name: "Bảo hiểm", AuthMethod: oidc.AuthPrivateKeyJWT, JWKS: jwks,
			RedirectURIs: []string{rpRedirect}, PostLogoutRedirectURIs: []string{"http://127.0.0.1:9/bye"}, Scopes: []string{"openid", "profile", "offline_access"}}); err != nil {
			t.Fatal(err)
		}
		r := e.jwtRP(t, key, "k1", "openid", "profile", "offline_access")
		verifier := oauth2.GenerateVerifier()
		b := e.browser()
		loc, page := e.signIn(b, rp.AuthURL("s", r, rp.WithCodeChallenge(oauth2.S256ChallengeFromVerifier(verifier))), e.Lan, []string{"profile"})
		if loc == nil || loc.Query().Get("code") == "" {
			t.Fatalf("no code: %v %.300s", loc, page)
		}
		tokens, err := rp.CodeExchange[*zoidc.IDTokenClaims](ctx, loc.Query().Get("code"), r, rp.WithCodeVerifier(verifier), rp.WithClientAssertionJWT(assertion(t, r)))
		if err != nil {
			t.Fatal(err)
		}
		if tokens.IDTokenClaims.AuthenticationContextClassReference != oidc.ACRLevel1 || tokens.RefreshToken == "" {
			t.Fatalf("tokens: acr %q refresh %q", tokens.IDTokenClaims.AuthenticationContextClassReference, tokens.RefreshToken)
		}
		first := tokens.RefreshToken
		refreshed, err := rp.RefreshTokens[*zoidc.IDTokenClaims](ctx, r, first, "", "")
		if err != nil {
			t.Fatal(err)
		}
		if refreshed.RefreshToken == "" || refreshed.RefreshToken == first || refreshed.IDTokenClaims.Subject != tokens.IDTokenClaims.Subject ||
			refreshed.IDTokenClaims.AuthenticationContextClassReference != oidc.ACRLevel1 {
			t.Fatalf("refresh did not rotate: %+v", refreshed.IDTokenClaims)
		}
		// The spent refresh token again: refused, and the family with it.
		_, err = rp.RefreshTokens[*zoidc.IDTokenClaims](ctx, r, first, "", "")
		wantOAuthError(t, err, "invalid_grant")
		_, err = rp.RefreshTokens[*zoidc.IDTokenClaims](ctx, r, refreshed.RefreshToken, "", "")
		wantOAuthError(t, err, "invalid_grant")
		if _, err := rp.Userinfo[*zoidc.UserInfo](ctx, refreshed.AccessToken, "Bearer", refreshed.IDTokenClaims.Subject, r); err == nil {
			t.Error("an access token of the revoked family still works")
		}
		if n := e.Count("SELECT count(*) FROM audit_log WHERE action = $1 AND outcome = $2", oidc.ActionReuse, audit.Denied); n != 1 {
			t.Errorf("reuse audited %d times", n)
		}

		// A new sign-in (remembered consent), then revocation of its access token.
		verifier = oauth2.GenerateVerifier()
		loc, _ = e.signIn(b, rp.AuthURL("s2", r, rp.WithCodeChallenge(oauth2.S256ChallengeFromVerifier(verifier))), e.Lan, nil)
		tokens, err = rp.CodeExchange[*zoidc.IDTokenClaims](ctx, loc.Query().Get("code"), r, rp.WithCodeVerifier(verifier), rp.WithClientAssertionJWT(assertion(t, r)))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := rp.Userinfo[*zoidc.UserInfo](ctx, tokens.AccessToken, "Bearer", tokens.IDTokenClaims.Subject, r); err != nil {
			t.Fatalf("userinfo before revocation: %v", err)
		}
		if err := rp.RevokeToken(ctx, r, tokens.AccessToken, "access_token"); err != nil {
			t.Fatal(err)
		}
		if _, err := rp.Userinfo[*zoidc.UserInfo](ctx, tokens.AccessToken, "Bearer", tokens.IDTokenClaims.Subject, r); err == nil {
			t.Error("a revoked access token still works")
		}

		// Logout: zitadel's EndSession follows the endpoint to the client's
		// page; the browser sent there ends the citizen's session, and the
		// next sign-in asks for the password.
		end, err := rp.EndSession(ctx, r, tokens.IDToken, "http://127.0.0.1:9/bye", "st", "", nil)
		if err != nil || !strings.HasPrefix(end.String(), "http://127.0.0.1:9/bye") {
			t.Fatalf("end session: %v %v", end, err)
		}
		// A return address the client did not register: not sent there, told
		// on a page in the citizen's language.
		res, err := e.browser().Get(e.issuer + "/end_session?" + url.Values{"id_token_hint": {tokens.IDToken}, "post_logout_redirect_uri": {"http://attacker.example/"}}.Encode())
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if res.StatusCode != http.StatusUnprocessableEntity || res.Request.URL.Host == "attacker.example" || !strings.Contains(string(body), "yêu cầu đăng xuất của dịch vụ không hợp lệ") {
			t.Errorf("an unregistered return address: %d at %s %.300s", res.StatusCode, res.Request.URL, body)
		}
		res, err = b.Get(e.issuer + "/end_session?" + url.Values{"id_token_hint": {tokens.IDToken}, "post_logout_redirect_uri": {"http://127.0.0.1:9/bye"}, "state": {"st"}}.Encode())
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if l, _ := res.Location(); l == nil || !strings.HasPrefix(l.String(), "http://127.0.0.1:9/bye") {
			t.Errorf("logout went to %v (%d)", l, res.StatusCode)
		}
		res, err = b.Get(rp.AuthURL("s3", r, rp.WithCodeChallenge(oauth2.S256ChallengeFromVerifier(oauth2.GenerateVerifier()))))
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.Request.URL.Path != "/eid/login" {
			t.Errorf("after logout the sign-in went to %s", res.Request.URL)
		}

		// Another key than the one registered: invalid_client.
		other, _ := keyPair(t, "k1")
		bad := e.jwtRP(t, other, "k1", "openid")
		verifier = oauth2.GenerateVerifier()
		loc, _ = e.signIn(b, rp.AuthURL("s4", r, rp.WithCodeChallenge(oauth2.S256ChallengeFromVerifier(verifier))), e.Lan, nil)
		_, err = rp.CodeExchange[*zoidc.IDTokenClaims](ctx, loc.Query().Get("code"), bad, rp.WithCodeVerifier(verifier), rp.WithClientAssertionJWT(assertion(t, bad)))
		wantOAuthError(t, err, "invalid_client")
	})
}

// wantOAuthError checks that err is the token endpoint's error code.
func wantOAuthError(t *testing.T, err error, code string) {
	t.Helper()
	if err == nil {
		t.Fatalf("no error, want %s", code)
	}
	var re *oauth2.RetrieveError
	if errors.As(err, &re) {
		if re.ErrorCode != code {
			t.Fatalf("error %q (%s), want %s", re.ErrorCode, re.ErrorDescription, code)
		}
		return
	}
	if !strings.Contains(err.Error(), code) {
		t.Fatalf("error %v, want %s", err, code)
	}
}
