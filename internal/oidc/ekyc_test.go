package oidc_test

import (
	"context"
	"io"
	"net/http"
	"strings"
	"testing"

	gooidc "github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"

	"github.com/populus-vn/populus/internal/db"
	"github.com/populus-vn/populus/internal/db/dbtest"
	"github.com/populus-vn/populus/internal/oidc"
)

// e-KYC: with the access token of the citizen's sign-in, the bank gets a
// JWT signed by the provider, which go-oidc verifies against the published
// keys, holding the consented attributes only, for the bank alone.
func TestEKYC(t *testing.T) {
	dbtest.Engines(t, schemas, func(t *testing.T, d *db.DB) {
		e := newOP(t, d)
		e.Active(e.Lan)
		ctx := context.Background()
		v := oauth2.GenerateVerifier()
		loc, page := e.signIn(e.browser(), e.authURL(v, []string{"openid", "profile", "birthdate"}), e.Lan, []string{"profile"})
		if loc == nil {
			t.Fatalf("no code: %.300s", page)
		}
		tok, err := e.config("openid").Exchange(ctx, loc.Query().Get("code"), oauth2.VerifierOption(v))
		if err != nil {
			t.Fatal(err)
		}
		post := func(bearer string) (int, string, string) {
			req, _ := http.NewRequest("POST", e.srv.URL+"/api/v1/ekyc", nil)
			if bearer != "" {
				req.Header.Set("Authorization", "Bearer "+bearer)
			}
			res, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer res.Body.Close()
			b, _ := io.ReadAll(res.Body)
			return res.StatusCode, res.Header.Get("Content-Type"), string(b)
		}
		code, ctype, raw := post(tok.AccessToken)
		if code != http.StatusOK || ctype != "application/jwt" {
			t.Fatalf("ekyc: %d %s %s", code, ctype, raw)
		}
		provider, err := gooidc.NewProvider(ctx, e.issuer)
		if err != nil {
			t.Fatal(err)
		}
		jt, err := provider.Verifier(&gooidc.Config{ClientID: "bank"}).Verify(ctx, raw)
		if err != nil {
			t.Fatalf("the record does not verify: %v", err)
		}
		var c map[string]any
		jt.Claims(&c)
		if c["name"] != "Nguyễn Thị Lan" || c["birthdate"] != nil || c["acr"] != oidc.ACRLevel1 || c["txn"] == "" {
			t.Errorf("claims %v", c)
		}
		if _, err := provider.Verifier(&gooidc.Config{ClientID: "other"}).Verify(ctx, raw); err == nil {
			t.Error("the record verifies for another client")
		}
		if code, _, _ := post(""); code != http.StatusUnauthorized {
			t.Errorf("without a token: %d", code)
		}
		if code, _, _ := post(strings.Repeat("x", 40)); code != http.StatusUnauthorized {
			t.Errorf("with a bad token: %d", code)
		}
		if n := e.Count("SELECT count(*) FROM audit_log WHERE actor = 'client:bank' AND action = $1 AND subject = $2", oidc.ActionEKYC, e.Lan.PIN); n != 1 {
			t.Errorf("e-KYC audited %d times", n)
		}
	})
}
