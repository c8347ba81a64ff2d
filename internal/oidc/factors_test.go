package oidc_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	gooidc "github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"

	"github.com/populus-vn/populus/internal/db"
	"github.com/populus-vn/populus/internal/db/dbtest"
	"github.com/populus-vn/populus/internal/identity"
	"github.com/populus-vn/populus/internal/identity/identitytest"
	"github.com/populus-vn/populus/internal/oidc"
)

// acr per factor: a sign-in with a passkey that verified its user is
// multi-factor; a request asking for urn:populus:eid:level1:mfa is
// granted, and the ID token (verified by go-oidc) and the introspection
// carry that acr and the amr (swk, user, mfa).
func TestFactorsInTokens(t *testing.T) {
	dbtest.Engines(t, schemas, func(t *testing.T, d *db.DB) {
		e := newOP(t, d)
		acct := e.Active(e.Lan)
		ctx := context.Background()
		site := strings.Replace(e.srv.URL, "127.0.0.1", "localhost", 1)
		if err := e.Svc.SetPasskeys(identity.PasskeyOptions{RPID: "localhost", Origins: []string{site}}); err != nil {
			t.Fatal(err)
		}
		phone := &identitytest.Authenticator{Origin: site}
		c, _ := e.Svc.BeginPasskey(ctx, acct.Principal(""), identity.Proof{Password: identitytest.Password})
		cred, err := phone.Create(c.PublicKey)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := e.Svc.AddPasskey(ctx, acct.Principal(""), identity.PasskeyRegistration{Ceremony: c.ID, Name: "phone", Credential: cred}); err != nil {
			t.Fatal(err)
		}
		c, _ = e.Svc.BeginPasskeySignIn(ctx, "192.0.2.1")
		cred, _ = phone.Get(c.PublicKey)
		sess, _, err := e.Svc.LoginPasskey(ctx, identity.PasskeyAttempt{Ceremony: c.ID, Credential: cred, Remote: "192.0.2.1"})
		if err != nil {
			t.Fatal(err)
		}

		verifier := oauth2.GenerateVerifier()
		w := httptest.NewRecorder()
		e.handler.ServeHTTP(w, httptest.NewRequest("GET", strings.TrimPrefix(e.authURL(verifier, []string{"openid", "profile"}, "acr_values", oidc.ACRLevel1MFA), e.srv.URL), nil))
		loc, _ := url.Parse(w.Header().Get("Location"))
		pd, err := e.prov.Pending(ctx, loc.Query().Get("id"))
		if err != nil || !pd.MFA || !pd.Fresh(sess.CreatedAt, sess.AMR, e.Now) || pd.Fresh(sess.CreatedAt, []string{"pwd"}, e.Now) {
			t.Fatalf("pending %+v %v", pd, err)
		}
		to, err := e.prov.Authorize(ctx, pd.ID, sess, []string{"profile"}, false, "")
		if err != nil {
			t.Fatal(err)
		}
		w = e.callback(to, w)
		loc, _ = url.Parse(w.Header().Get("Location"))
		if loc.Query().Get("code") == "" {
			t.Fatalf("redirect %s", loc)
		}
		res := exchangeAs(e, "bank", e.secret, loc.Query().Get("code"), verifier)
		if res.Code != http.StatusOK {
			t.Fatalf("exchange: %d %s", res.Code, res.Body)
		}
		provider, err := gooidc.NewProvider(ctx, e.issuer)
		if err != nil {
			t.Fatal(err)
		}
		idt, err := provider.Verifier(&gooidc.Config{ClientID: "bank"}).Verify(ctx, between(res.Body.String(), `"id_token":"`, `"`))
		if err != nil {
			t.Fatal(err)
		}
		var claims struct {
			ACR string   `json:"acr"`
			AMR []string `json:"amr"`
		}
		idt.Claims(&claims)
		if claims.ACR != oidc.ACRLevel1MFA || strings.Join(claims.AMR, " ") != "swk user mfa" {
			t.Errorf("ID token acr %q amr %v", claims.ACR, claims.AMR)
		}
		got := e.introspect(t, between(res.Body.String(), `"access_token":"`, `"`))
		if got["acr"] != oidc.ACRLevel1MFA {
			t.Errorf("introspection %v", got)
		}
	})
}
