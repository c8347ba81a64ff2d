package oidc_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"golang.org/x/oauth2"

	"github.com/populus-vn/populus/internal/db"
	"github.com/populus-vn/populus/internal/db/dbtest"
	"github.com/populus-vn/populus/internal/httpx/apitest"
	"github.com/populus-vn/populus/internal/identity"
	"github.com/populus-vn/populus/internal/identity/identitytest"
	"github.com/populus-vn/populus/internal/oidc"
)

func TestOpenAPISchemas(t *testing.T) {
	apitest.Schemas(t, (*oidc.Provider)(nil).OpenAPI(), map[string]any{"OIDCConsent": oidc.Consent{},
		"VerifyRequest": oidc.VerifyRequest{}, "VerifyResponse": oidc.VerifyResponse{}})
}

// The holder sees the consent given to the bank and withdraws it through
// the API (with the session's CSRF token): the bank's tokens stop working
// and its next sign-in asks for consent again.
func TestWithdrawConsent(t *testing.T) {
	dbtest.Engines(t, schemas, func(t *testing.T, d *db.DB) {
		e := newOP(t, d)
		e.Active(e.Lan)
		ctx := context.Background()
		b := e.browser()
		res, err := b.Post(e.srv.URL+"/api/v1/identity/session", "application/json",
			strings.NewReader(`{"pin":"`+e.Lan.PIN+`","password":"`+identitytest.Password+`"}`))
		if err != nil {
			t.Fatal(err)
		}
		var sess identity.SessionResponse
		json.NewDecoder(res.Body).Decode(&sess)
		res.Body.Close()
		v := oauth2.GenerateVerifier()
		loc, page := e.signIn(b, e.authURL(v, []string{"openid", "profile"}), e.Lan, []string{"profile"})
		if loc == nil {
			t.Fatalf("no code: %.300s", page)
		}
		tok, err := e.config("openid", "profile").Exchange(ctx, loc.Query().Get("code"), oauth2.VerifierOption(v))
		if err != nil {
			t.Fatal(err)
		}
		res, err = b.Get(e.srv.URL + "/api/v1/identity/me/consents")
		if err != nil {
			t.Fatal(err)
		}
		var cs []oidc.Consent
		json.NewDecoder(res.Body).Decode(&cs)
		res.Body.Close()
		if len(cs) != 1 || cs[0].ClientName != "Ngân hàng Demo" || strings.Join(cs[0].Scopes, " ") != "openid profile" {
			t.Fatalf("consents = %+v", cs)
		}
		del := func(csrf string) int {
			req, _ := http.NewRequest("DELETE", e.srv.URL+"/api/v1/identity/me/consents/"+strconv.FormatInt(cs[0].ID, 10), nil)
			if csrf != "" {
				req.Header.Set("X-CSRF-Token", csrf)
			}
			res, err := b.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			io.Copy(io.Discard, res.Body)
			res.Body.Close()
			return res.StatusCode
		}
		if code := del(""); code != http.StatusForbidden {
			t.Errorf("without CSRF: %d", code)
		}
		if code := del(sess.CSRFToken); code != http.StatusNoContent {
			t.Fatalf("withdraw: %d", code)
		}
		if code := del(sess.CSRFToken); code != http.StatusNotFound {
			t.Errorf("withdrawn twice: %d", code)
		}
		res, err = e.config("openid").Client(ctx, tok).Get(e.issuer + "/userinfo")
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode == http.StatusOK {
			t.Error("the bank's token works after the consent was withdrawn")
		}
		// Signed in still, the next sign-in shows the consent screen: declined here.
		loc, _ = e.signIn(b, e.authURL(oauth2.GenerateVerifier(), []string{"openid", "profile"}), e.Lan, nil)
		if loc == nil || loc.Query().Get("error") != "access_denied" {
			t.Errorf("after withdrawal: %v", loc)
		}
		if n := e.Count("SELECT count(*) FROM audit_log WHERE action = $1 AND detail LIKE '%withdrawn'", oidc.ActionConsent); n != 1 {
			t.Errorf("withdrawal audited %d times", n)
		}
	})
}
