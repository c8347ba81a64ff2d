package oidc_test

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/populus-vn/populus/internal/db/dbtest"
)

// fuzzOP is one provider for a whole fuzzing run.
func fuzzOP(f *testing.F) (*opEnv, http.Handler) {
	d := dbtest.SQLite(f, schemas...)
	e := newOPFor(f, d)
	return e, e.handler
}

// An authorization request of any form never fails with a server error,
// and never sends the browser anywhere but a registered redirect URI (or
// the provider's own sign-in page).
func FuzzAuthorizeRequest(f *testing.F) {
	e, h := fuzzOP(f)
	for _, s := range []string{
		"response_type=code&client_id=bank&redirect_uri=http%3A%2F%2F127.0.0.1%3A9%2Fcallback&scope=openid&state=x&code_challenge=abc&code_challenge_method=S256",
		"response_type=code&client_id=bank&redirect_uri=http%3A%2F%2Fevil.example%2F&scope=openid",
		"client_id=bank&request_uri=urn%3Aietf%3Aparams%3Aoauth%3Arequest_uri%3Ax",
		"response_type=token&client_id=bank&redirect_uri=http%3A%2F%2F127.0.0.1%3A9%2Fcallback&scope=openid+vn_pin",
		"scope=%ff%fe&client_id=&redirect_uri=javascript:alert(1)",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, query string) {
		for _, req := range []*http.Request{
			httptest.NewRequest("GET", "/oidc/authorize", nil),
			httptest.NewRequest("POST", "/oidc/authorize", strings.NewReader(query)),
		} {
			if req.Method == "GET" {
				req.URL.RawQuery = query
			} else {
				req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			}
			w := httptest.NewRecorder()
			h.ServeHTTP(w, req)
			if w.Code >= 500 {
				t.Fatalf("%s %q: %d %s", req.Method, query, w.Code, w.Body)
			}
			if loc := w.Header().Get("Location"); loc != "" && !strings.HasPrefix(loc, "/eid/login?") && !strings.HasPrefix(loc, rpRedirect) {
				t.Fatalf("%s %q: redirected to %s", req.Method, query, loc)
			}
		}
	})
	_ = e.prov
}

// A token request of any form never fails with a server error and never
// issues a token (no code or refresh token of the store is guessable).
func FuzzTokenRequest(f *testing.F) {
	e, h := fuzzOP(f)
	for _, s := range []string{
		"grant_type=authorization_code&code=abc&redirect_uri=http%3A%2F%2F127.0.0.1%3A9%2Fcallback&code_verifier=x",
		"grant_type=refresh_token&refresh_token=abc",
		"grant_type=authorization_code&code=&client_assertion_type=urn%3Aietf%3Aparams%3Aoauth%3Aclient-assertion-type%3Ajwt-bearer&client_assertion=a.b.c",
		"grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Ajwt-bearer&assertion=x",
		"grant_type=client_credentials&scope=openid",
	} {
		f.Add(s, true)
		f.Add(s, false)
	}
	f.Fuzz(func(t *testing.T, body string, basic bool) {
		req := httptest.NewRequest("POST", "/oidc/oauth/token", strings.NewReader(body))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		if basic {
			req.SetBasicAuth("bank", e.secret)
		}
		w := httptest.NewRecorder()
		h.ServeHTTP(w, req)
		if w.Code >= 500 || w.Code == http.StatusOK {
			t.Fatalf("%q: %d %s", body, w.Code, w.Body)
		}
	})
}
