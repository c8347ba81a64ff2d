package oidc_test

import (
	"crypto/sha256"
	"encoding/base64"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/populus-vn/populus/internal/browsertest"
	"github.com/populus-vn/populus/internal/db/dbtest"
	"github.com/populus-vn/populus/internal/identity/identitytest"
	"github.com/populus-vn/populus/internal/oidc"
)

// In headless Chromium, under the real CSP, with a relying party on
// another origin than the provider's (every real one; the demo bank is on
// the same): the sign-in and the consent forms lead the citizen back to
// it with a code and the state; signed in again (prompt=login, the
// consent remembered), the sign-in form leads straight there; the logout
// page's form leads to its registered post-logout address. CSP's
// form-action covers the redirects after a form: with 'self' alone
// Chromium blocked each of these and left the citizen on the page (found
// by an independent client's probe).
func TestBrowserRelyingPartyElsewhere(t *testing.T) {
	browsertest.Require(t)
	e := newOP(t, dbtest.SQLite(t, schemas...))
	e.Active(e.Lan)
	var mu sync.Mutex
	var reached []string // the relying party's paths and queries reached
	rp := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/favicon.ico" {
			http.NotFound(w, r)
			return
		}
		mu.Lock()
		reached = append(reached, r.URL.Path+"?"+r.URL.RawQuery)
		mu.Unlock()
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		io.WriteString(w, `<!doctype html><title>RP</title><p id="rp">`+r.URL.Path+`</p>`)
	}))
	defer rp.Close()
	if _, err := e.prov.Clients().Register(e.Ctx, oidc.ClientConfig{ID: "elsewhere", Name: "Dịch vụ ở nơi khác", AuthMethod: oidc.AuthSecretBasic,
		RedirectURIs: []string{rp.URL + "/cb"}, PostLogoutRedirectURIs: []string{rp.URL + "/bye"}, Scopes: []string{"openid", "profile"}}); err != nil {
		t.Fatal(err)
	}
	authorize := func(state string, extra url.Values) string {
		sum := sha256.Sum256([]byte("verifier-" + state + "-0123456789012345678901234567890123456789"))
		q := url.Values{"client_id": {"elsewhere"}, "redirect_uri": {rp.URL + "/cb"}, "response_type": {"code"}, "scope": {"openid profile"},
			"state": {state}, "nonce": {"n-" + state}, "code_challenge": {base64.RawURLEncoding.EncodeToString(sum[:])}, "code_challenge_method": {"S256"}}
		for k, v := range extra {
			q[k] = v
		}
		return e.issuer + "/authorize?" + q.Encode()
	}
	last := func() string {
		mu.Lock()
		defer mu.Unlock()
		if len(reached) == 0 {
			return ""
		}
		return reached[len(reached)-1]
	}
	ctx, problems := browsertest.Start(t, 60*time.Second)
	shot := browsertest.Screenshots(t)
	err := chromedp.Do(ctx,
		chromedp.Navigate(authorize("first", nil)),
		chromedp.WaitVisible(chromedp.ID("f-pin")),
		chromedp.SendKeys(chromedp.ID("f-pin"), e.Lan.PIN),
		chromedp.SendKeys(chromedp.ID("f-password"), identitytest.Password),
		chromedp.Click(chromedp.CSS(`form.event-form button[type=submit]`)),
		chromedp.WaitVisible(chromedp.ID("scope-profile")),
		chromedp.Click(chromedp.CSS(`button[value=approve]`)),
		chromedp.WaitVisible(chromedp.ID("rp")),
	)
	if err != nil {
		t.Fatalf("sign-in and consent: %v\nproblems: %v\n%s", err, problems(), browsertest.DumpMain(ctx))
	}
	if got := last(); !strings.HasPrefix(got, "/cb?") || !strings.Contains(got, "code=") || !strings.Contains(got, "state=first") {
		t.Errorf("the relying party got %q", got)
	}
	err = chromedp.Do(ctx,
		chromedp.Navigate(authorize("again", url.Values{"prompt": {"login"}})),
		chromedp.WaitVisible(chromedp.ID("f-pin")),
		chromedp.SendKeys(chromedp.ID("f-pin"), e.Lan.PIN),
		chromedp.SendKeys(chromedp.ID("f-password"), identitytest.Password),
		chromedp.Click(chromedp.CSS(`form.event-form button[type=submit]`)),
		chromedp.WaitVisible(chromedp.ID("rp")),
	)
	if err != nil {
		t.Fatalf("signed in again, the consent remembered: %v\nproblems: %v\n%s", err, problems(), browsertest.DumpMain(ctx))
	}
	if got := last(); !strings.Contains(got, "state=again") || !strings.Contains(got, "code=") {
		t.Errorf("the relying party got %q", got)
	}
	end := e.issuer + "/end_session?" + url.Values{"client_id": {"elsewhere"}, "post_logout_redirect_uri": {rp.URL + "/bye"}, "state": {"out"}}.Encode()
	err = chromedp.Do(ctx,
		chromedp.Navigate(end),
		chromedp.WaitVisible(chromedp.CSS(`form[action="/eid/logout"] button[type=submit]`)),
		shot("logout-elsewhere"),
		chromedp.Click(chromedp.CSS(`form[action="/eid/logout"] button[type=submit]`)),
		chromedp.WaitVisible(chromedp.ID("rp")),
	)
	if err != nil {
		t.Fatalf("logout: %v\nproblems: %v\n%s", err, problems(), browsertest.DumpMain(ctx))
	}
	if got := last(); !strings.HasPrefix(got, "/bye?") || !strings.Contains(got, "state=out") {
		t.Errorf("after the logout the relying party got %q", got)
	}
	if p := problems(); len(p) > 0 {
		t.Errorf("page problems: %s", strings.Join(p, "\n"))
	}
}
