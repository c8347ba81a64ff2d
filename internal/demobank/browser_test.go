package demobank_test

import (
	"io"
	"log/slog"
	"maps"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/populus-vn/populus/internal/audit"
	"github.com/populus-vn/populus/internal/browsertest"
	"github.com/populus-vn/populus/internal/db"
	"github.com/populus-vn/populus/internal/db/dbtest"
	"github.com/populus-vn/populus/internal/demobank"
	"github.com/populus-vn/populus/internal/httpx"
	"github.com/populus-vn/populus/internal/i18n"
	"github.com/populus-vn/populus/internal/identity/identitytest"
	"github.com/populus-vn/populus/internal/oidc"
	"github.com/populus-vn/populus/internal/oidc/oidcui"
	"github.com/populus-vn/populus/internal/server"
	"github.com/populus-vn/populus/internal/staff"
	"github.com/populus-vn/populus/internal/units"
	"github.com/populus-vn/populus/internal/web"
)

// In headless Chromium, under the real CSP: a citizen signs in at the demo
// bank through the provider, consents, and the bank shows the verified
// name and level; signed out of the bank, the second sign-in does not ask
// for consent again.
func TestBrowserDemoBank(t *testing.T) {
	browsertest.Require(t)
	dbtest.Engines(t, append([]*db.Schema{audit.Schema, staff.Schema, oidc.Schema}, identitytest.Schemas...), func(t *testing.T, d *db.DB) {
		e, srv := site(t, d)
		ctx, problems := browsertest.Start(t, 60*time.Second)
		shot := browsertest.Screenshots(t)
		err := browsertest.DoFromStart(t, ctx,
			chromedp.Navigate(srv.URL+"/demo-bank/"),
			chromedp.WaitVisible(chromedp.ID("login")),
			shot("bank"),
			chromedp.Click(chromedp.ID("login")),
			chromedp.WaitVisible(chromedp.ID("f-pin")),
			shot("eid-login"),
			chromedp.SendKeys(chromedp.ID("f-pin"), e.Lan.PIN),
			chromedp.SendKeys(chromedp.ID("f-password"), identitytest.Password),
			chromedp.Click(chromedp.CSS(`form.event-form button[type=submit]`)),
			chromedp.WaitVisible(chromedp.ID("scope-profile")),
			shot("consent"),
		)
		if err == nil {
			err = chromedp.Do(ctx,
				chromedp.Click(chromedp.CSS(`button[value=approve]`)),
				chromedp.WaitVisible(chromedp.ID("welcome")),
				shot("bank-signed-in"),
			)
		}
		if err != nil {
			t.Fatalf("first sign-in: %v\n%s", err, browsertest.DumpMain(ctx))
		}
		name, err := chromedp.Run(ctx, chromedp.Text(chromedp.ID("name")))
		if err != nil || name != "Nguyễn Thị Lan" {
			t.Errorf("name %q %v", name, err)
		}
		level, err := chromedp.Run(ctx, chromedp.Text(chromedp.ID("level")))
		if err != nil || level != "mức 1" && level != "level 1" { // in the browser's language
			t.Errorf("level %q %v", level, err)
		}
		// Signed out of the bank, signing in again goes through the
		// provider and straight back, without the consent screen (a wait
		// for #welcome would time out on it).
		err = chromedp.Do(ctx,
			chromedp.Click(chromedp.ID("logout")),
			chromedp.WaitVisible(chromedp.ID("login")),
			chromedp.Click(chromedp.ID("login")),
			chromedp.WaitVisible(chromedp.ID("welcome")),
		)
		if err != nil {
			t.Fatalf("second sign-in: %v\n%s", err, browsertest.DumpMain(ctx))
		}
		if n := e.Count("SELECT count(*) FROM oidc_consents"); n != 1 {
			t.Errorf("%d consents", n)
		}
		// The citizen portal, with the provider's session. At level 1 it
		// says what shows at level 2 only, and shows neither the address
		// nor the card number.
		err = chromedp.Do(ctx,
			chromedp.Navigate(srv.URL+"/eid/me"),
			chromedp.WaitVisible(chromedp.ID("needs-level2")),
		)
		if err != nil {
			t.Fatalf("portal at level 1: %v\n%s", err, browsertest.DumpMain(ctx))
		}
		if text, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.querySelector('main').innerText`)); err != nil ||
			strings.Contains(text, e.Lan.Permanent.Detail) {
			t.Errorf("the level-1 portal shows the address: %v\n%s", err, text)
		}
		// Raised to level 2 (in person): the record, who verified the
		// person, and the consent given to the bank, withdrawn.
		e.RaiseLevel2(e.Lan)
		err = chromedp.Do(ctx,
			chromedp.Navigate(srv.URL+"/eid/me"),
			chromedp.WaitVisible(chromedp.ID("withdraw-demo-bank")),
			shot("portal"),
			chromedp.Click(chromedp.ID("withdraw-demo-bank")),
			chromedp.WaitVisible(chromedp.CSS(".alert-success")),
			shot("portal-withdrawn"),
		)
		if err != nil {
			t.Fatalf("portal: %v\n%s", err, browsertest.DumpMain(ctx))
		}
		if name, err := chromedp.Run(ctx, chromedp.Text(chromedp.ID("name"))); err != nil || name != "Nguyễn Thị Lan" {
			t.Errorf("portal name %q %v", name, err)
		}
		// Dates as the rest of the pages write them.
		born := e.Lan.BirthDate
		if text, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.querySelector('main').innerText`)); err != nil ||
			!strings.Contains(text, born.VN()) || strings.Contains(text, born.String()) {
			t.Errorf("the portal's date of birth, want %s: %v", born.VN(), err)
		}
		// "Who verified me": the bank received the name at each sign-in.
		if who, err := chromedp.Run(ctx, chromedp.Text(chromedp.ID("verifications"))); err != nil || !strings.Contains(who, "Ngân hàng Demo") ||
			!strings.Contains(who, "năm sinh") && !strings.Contains(who, "date of birth") || strings.Contains(who, "scopes") {
			t.Errorf("who verified me: %q %v", who, err)
		}
		if n := e.Count("SELECT count(*) FROM oidc_consents WHERE revoked_at <> ''"); n != 1 {
			t.Errorf("%d consents withdrawn", n)
		}
		if n := e.Count("SELECT count(*) FROM audit_log WHERE actor = $1 AND action = 'identity.self.read'", "citizen:"+e.Lan.PIN); n < 1 {
			t.Error("the holder's read of their record is not audited")
		}
		if p := problems(); len(p) > 0 {
			t.Errorf("page problems: %s", strings.Join(p, "\n"))
		}
	})
}

// site serves the provider, the citizen's pages and the demo bank, for the
// holder Lan, active.
func site(t *testing.T, d *db.DB) (*identitytest.Env, *httptest.Server) {
	e := identitytest.New(t, d)
	e.Active(e.Lan)
	var h http.Handler
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { h.ServeHTTP(w, r) }))
	t.Cleanup(srv.Close)
	master, _ := oidc.NewMasterKey()
	prov, err := oidc.New(d, e.Svc, e.Reg, units.Default(), e.Log, oidc.Options{Issuer: srv.URL + oidc.Prefix, Master: master})
	if err != nil {
		t.Fatal(err)
	}
	secret, err := prov.Clients().Replace(e.Ctx, oidc.ClientConfig{ID: demobank.ClientID, Name: "Ngân hàng Demo", AuthMethod: oidc.AuthSecretBasic,
		RedirectURIs: []string{demobank.RedirectURI(srv.URL)}, Scopes: demobank.Scopes, Essential: []string{"profile"}})
	if err != nil {
		t.Fatal(err)
	}
	bank := demobank.New(srv.URL, srv.URL+oidc.Prefix, secret)
	sessions := staff.NewService(staff.NewStore(d, staff.TestParams), e.Log, staff.Options{})
	ui, err := web.New(web.Deps{Staff: sessions, Catalog: i18n.MustLoad(), Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
		Modules: []web.Module{oidcui.Module(prov, e.Svc, e.Reg, e.Log)}})
	if err != nil {
		t.Fatal(err)
	}
	guards := sessions.Guards()
	maps.Copy(guards, e.Svc.Guards())
	maps.Copy(guards, prov.Guards())
	if h, err = server.New(server.Deps{DB: d, Capabilities: []httpx.Routes{sessions, e.Svc, prov, bank, ui}, Guards: guards, PageError: ui.RenderError}); err != nil {
		t.Fatal(err)
	}
	return e, srv
}

// The bank takes a sign-in's code only in the browser that started it: a
// code and state opened in another browser (an attacker's link) sign no
// one in.
func TestSignInBoundToBrowser(t *testing.T) {
	d := dbtest.SQLite(t, append([]*db.Schema{audit.Schema, staff.Schema, oidc.Schema}, identitytest.Schemas...)...)
	_, srv := site(t, d)
	noFollow := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	res, err := noFollow.Get(srv.URL + "/demo-bank/login")
	if err != nil || res.StatusCode != http.StatusFound {
		t.Fatalf("login: %v %v", res.StatusCode, err)
	}
	u, _ := url.Parse(res.Header.Get("Location"))
	state := u.Query().Get("state")
	var cookie *http.Cookie
	for _, c := range res.Cookies() {
		if c.Name == "demo_bank_state" {
			cookie = c
		}
	}
	if state == "" || cookie == nil || cookie.Value != state || !cookie.HttpOnly {
		t.Fatalf("the sign-in's state %q, its cookie %+v", state, cookie)
	}
	callback := srv.URL + "/demo-bank/callback?" + url.Values{"state": {state}, "code": {"an-attackers-code"}, "iss": {srv.URL + oidc.Prefix}}.Encode()
	res, err = noFollow.Get(callback) // another browser: no cookie
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(res.Body)
	if res.StatusCode != http.StatusBadRequest || !strings.Contains(string(b), "not started in this browser") || len(res.Cookies()) != 0 {
		t.Errorf("the callback in another browser: %d %s", res.StatusCode, b)
	}
	// In the browser that started it, the state passes and the code is
	// tried (and, made up, refused by the provider).
	req, _ := http.NewRequest("GET", callback, nil)
	req.AddCookie(cookie)
	if res, err = noFollow.Do(req); err != nil || res.StatusCode != http.StatusBadGateway {
		t.Errorf("the callback in the browser that started it: %v %v", res.StatusCode, err)
	}
}
