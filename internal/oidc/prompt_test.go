package oidc_test

import (
	"net/url"
	"strings"
	"testing"

	"golang.org/x/oauth2"

	"github.com/populus-vn/populus/internal/db"
	"github.com/populus-vn/populus/internal/db/dbtest"
)

// The prompt and max_age parameters: prompt=none answers login_required
// without a session and consent_required without a remembered consent;
// prompt=login and an exceeded max_age ask for the password although the
// browser is signed in; prompt=consent shows the consent screen again.
func TestPromptAndMaxAge(t *testing.T) {
	dbtest.Engines(t, schemas, func(t *testing.T, d *db.DB) {
		e := newOP(t, d)
		e.Active(e.Lan)
		all := []string{"openid", "profile"}
		b := e.browser()
		loc, page := e.signIn(b, e.authURL(oauth2.GenerateVerifier(), all, "prompt", "none"), e.Lan, all)
		e.wantRedirectError(t, loc, page, "login_required", "prompt=none, and the citizen would have to sign in")
		// Signed in but no consent yet: consent_required. (The sign-in form
		// of a first request signs the browser in, then it is declined.)
		e.signIn(b, e.authURL(oauth2.GenerateVerifier(), all), e.Lan, nil)
		loc, page = e.signIn(b, e.authURL(oauth2.GenerateVerifier(), all, "prompt", "none"), e.Lan, all)
		e.wantRedirectError(t, loc, page, "consent_required", "prompt=none, and the citizen would have to consent")
		// Consent given once; then prompt=none passes silently.
		if loc, _ := e.signIn(b, e.authURL(oauth2.GenerateVerifier(), all), e.Lan, []string{"profile"}); loc == nil || loc.Query().Get("code") == "" {
			t.Fatalf("consent: %v", loc)
		}
		if loc, page := e.signIn(b, e.authURL(oauth2.GenerateVerifier(), all, "prompt", "none"), e.Lan, nil); loc == nil || loc.Query().Get("code") == "" {
			t.Errorf("prompt=none with a session and a consent: %v %.200s", loc, page)
		}
		// prompt=login: the form, although signed in.
		res, err := b.Get(e.authURL(oauth2.GenerateVerifier(), all, "prompt", "login"))
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.Request.URL.Path != "/eid/login" {
			t.Errorf("prompt=login went to %s", res.Request.URL)
		}
		// Nor does going to the consent page directly skip the sign-in:
		// it sends the browser back to sign in, GET or POST.
		id := res.Request.URL.Query().Get("id")
		res, err = b.Get(e.srv.URL + "/eid/consent?id=" + id)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.Request.URL.Path != "/eid/login" {
			t.Errorf("prompt=login, the consent page directly: at %s", res.Request.URL)
		}
		res, err = b.PostForm(e.srv.URL+"/eid/consent", url.Values{"id": {id}, "decision": {"approve"}, "scope": {"profile"}})
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.Request.URL.Path != "/eid/login" {
			t.Errorf("prompt=login, approved directly: at %s", res.Request.URL)
		}
		// max_age=0: the form again; after it, auth_time is the new sign-in.
		v := oauth2.GenerateVerifier()
		res, err = b.Get(e.authURL(v, all, "max_age", "0"))
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.Request.URL.Path != "/eid/login" {
			t.Errorf("max_age=0 went to %s", res.Request.URL)
		}
		// Through the form, prompt=login and max_age=0 end with a code
		// (the sign-in made for the request is the one the consent finds).
		for _, q := range [][2]string{{"prompt", "login"}, {"max_age", "0"}} {
			if loc, page := e.signIn(b, e.authURL(oauth2.GenerateVerifier(), all, q[0], q[1]), e.Lan, all); loc == nil || loc.Query().Get("code") == "" {
				t.Errorf("%s=%s, signed in again: %v %.300s", q[0], q[1], loc, page)
			}
		}
		// prompt=consent: the consent screen although remembered.
		loc, page = e.signIn(b, e.authURL(oauth2.GenerateVerifier(), all, "prompt", "consent"), e.Lan, nil)
		if loc == nil || loc.Query().Get("error") != "access_denied" || !strings.Contains(loc.String(), "declined") {
			t.Errorf("prompt=consent: %v %.200s", loc, page)
		}
	})
}
