package oidcui_test

import (
	"context"
	"io"
	"log/slog"
	"maps"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/webauthn"
	"github.com/chromedp/chromedp"
	"golang.org/x/oauth2"

	"github.com/populus-vn/populus/internal/audit"
	"github.com/populus-vn/populus/internal/browsertest"
	"github.com/populus-vn/populus/internal/db"
	"github.com/populus-vn/populus/internal/db/dbtest"
	"github.com/populus-vn/populus/internal/httpx"
	"github.com/populus-vn/populus/internal/i18n"
	"github.com/populus-vn/populus/internal/identity"
	"github.com/populus-vn/populus/internal/identity/identitytest"
	"github.com/populus-vn/populus/internal/oidc"
	"github.com/populus-vn/populus/internal/oidc/oidcui"
	"github.com/populus-vn/populus/internal/server"
	"github.com/populus-vn/populus/internal/staff"
	"github.com/populus-vn/populus/internal/units"
	"github.com/populus-vn/populus/internal/web"
)

// In headless Chromium with its virtual authenticator (a platform
// authenticator that verifies its user), under the real CSP: the citizen
// signs in to the portal with the password, adds a passkey under "factors
// and devices", signs out, and signs in with the passkey alone; with
// passkeys locked in the portal, the passkey is refused with its error.
func TestBrowserPasskey(t *testing.T) {
	browsertest.Require(t)
	dbtest.Engines(t, append([]*db.Schema{audit.Schema, staff.Schema, oidc.Schema}, identitytest.Schemas...), func(t *testing.T, d *db.DB) {
		e := identitytest.New(t, d)
		e.Active(e.Lan)
		var h http.Handler
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { h.ServeHTTP(w, r) }))
		t.Cleanup(srv.Close)
		site := strings.Replace(srv.URL, "127.0.0.1", "localhost", 1) // browsers refuse an IP address as a passkey's site
		if err := e.Svc.SetPasskeys(identity.PasskeyOptions{RPID: "localhost", Origins: []string{site}}); err != nil {
			t.Fatal(err)
		}
		master, _ := oidc.NewMasterKey()
		prov, err := oidc.New(d, e.Svc, e.Reg, units.Default(), e.Log, oidc.Options{Issuer: site + oidc.Prefix, Master: master})
		if err != nil {
			t.Fatal(err)
		}
		sessions := staff.NewService(staff.NewStore(d, staff.TestParams), e.Log, staff.Options{})
		ui, err := web.New(web.Deps{Staff: sessions, Catalog: i18n.MustLoad(), Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
			Modules: []web.Module{oidcui.Module(prov, e.Svc, e.Reg, e.Log)}})
		if err != nil {
			t.Fatal(err)
		}
		guards := sessions.Guards()
		maps.Copy(guards, e.Svc.Guards())
		maps.Copy(guards, prov.Guards())
		if h, err = server.New(server.Deps{DB: d, Capabilities: []httpx.Routes{sessions, e.Svc, prov, ui}, Guards: guards, PageError: ui.RenderError}); err != nil {
			t.Fatal(err)
		}

		ctx, problems := browsertest.Start(t, 60*time.Second)
		shot := browsertest.Screenshots(t)
		err = chromedp.Do(ctx,
			chromedp.Func(func(ctx context.Context, _ *chromedp.Target) error {
				if _, err := chromedp.Call(ctx, webauthn.Enable, webauthn.EnableParams{}); err != nil {
					return err
				}
				_, err := chromedp.Call(ctx, webauthn.AddVirtualAuthenticator, webauthn.AddVirtualAuthenticatorParams{Options: &webauthn.VirtualAuthenticatorOptions{
					Protocol: webauthn.AuthenticatorProtocolCtap2, Ctap2version: webauthn.Ctap2versionCtap21, Transport: webauthn.AuthenticatorTransportInternal,
					HasResidentKey: true, HasUserVerification: true, IsUserVerified: true, AutomaticPresenceSimulation: true}})
				return err
			}),
			chromedp.Navigate(site+"/eid/signin"),
			chromedp.WaitVisible(chromedp.ID("f-pin")),
			chromedp.SendKeys(chromedp.ID("f-pin"), e.Lan.PIN),
			chromedp.SendKeys(chromedp.ID("f-password"), identitytest.Password),
			chromedp.Click(chromedp.CSS(`form.event-form button[type=submit]`)),
			chromedp.WaitVisible(chromedp.ID("add-passkey")),
			shot("portal-factors"),
			// The session alone adds no way in: the password is asked for.
			chromedp.Click(chromedp.ID("add-passkey")),
			chromedp.WaitVisible(chromedp.CSS(`[data-passkey-add] [data-passkey-error]`)),
			shot("portal-passkey-needs-password"),
		)
		if err != nil {
			t.Fatalf("passkey without the password: %v\n%s", err, browsertest.DumpMain(ctx))
		}
		if msg, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(`[data-passkey-add] [data-passkey-error]`))); err != nil || !strings.Contains(msg, "must be the account's password") {
			t.Errorf("the refusal says %q (%v), not what is missing", msg, err)
		}
		err = chromedp.Do(ctx,
			chromedp.SendKeys(chromedp.ID("proof-password"), identitytest.Password),
			chromedp.Click(chromedp.ID("add-passkey")),
			chromedp.WaitVisible(chromedp.ID("passkeys")),
			shot("portal-passkey-added"),
			chromedp.Click(chromedp.CSS(`form[action="/eid/me/signout"] button`)),
			chromedp.WaitVisible(chromedp.CSS(`[data-passkey-signin]`)),
			shot("signin-passkey"),
			chromedp.Click(chromedp.CSS(`[data-passkey-signin]`)),
			chromedp.WaitVisible(chromedp.ID("factors")),
		)
		if err != nil {
			t.Fatalf("passkey: %v\n%s", err, browsertest.DumpMain(ctx))
		}
		if name, err := chromedp.Run(ctx, chromedp.Text(chromedp.ID("name"))); err != nil || name != "Nguyễn Thị Lan" {
			t.Errorf("portal name %q %v", name, err)
		}
		// The sign-ins came from the loopback address, in no range of the
		// (empty) table of places: the local network (in the browser's language).
		if logins, err := chromedp.Run(ctx, chromedp.Text(chromedp.ID("logins"))); err != nil || !strings.Contains(logins, "mạng nội bộ") && !strings.Contains(logins, "local network") {
			t.Errorf("login history %q %v", logins, err)
		}
		if n := e.Count("SELECT count(*) FROM eid_sessions WHERE amr = 'swk user mfa'"); n != 1 {
			t.Errorf("%d sessions signed in with a verified passkey", n)
		}
		// A service asking for two factors: signed out, the citizen signs
		// in with the passkey on the provider's sign-in page and reaches
		// the consent screen.
		if _, err := prov.Clients().Register(e.Ctx, oidc.ClientConfig{ID: "bank", Name: "Ngân hàng", AuthMethod: oidc.AuthSecretBasic,
			RedirectURIs: []string{site + "/callback"}, Scopes: []string{"openid", "profile"}}); err != nil {
			t.Fatal(err)
		}
		conf := &oauth2.Config{ClientID: "bank", RedirectURL: site + "/callback", Scopes: []string{"openid", "profile"},
			Endpoint: oauth2.Endpoint{AuthURL: site + oidc.Prefix + "/authorize"}}
		authURL := conf.AuthCodeURL("st", oauth2.S256ChallengeOption(oauth2.GenerateVerifier()), oauth2.SetAuthURLParam("acr_values", oidc.ACRLevel1MFA))
		err = chromedp.Do(ctx,
			chromedp.Click(chromedp.CSS(`form[action="/eid/me/signout"] button`)),
			chromedp.WaitVisible(chromedp.CSS(`[data-passkey-signin]`)),
			chromedp.Navigate(authURL),
			chromedp.WaitVisible(chromedp.CSS(`[data-passkey-signin]`)),
			shot("provider-signin-passkey"),
			chromedp.Click(chromedp.CSS(`[data-passkey-signin]`)),
			chromedp.WaitVisible(chromedp.ID("scope-profile")),
			shot("provider-consent-after-passkey"),
			chromedp.Navigate(site+"/eid/me"),
			chromedp.WaitVisible(chromedp.ID("factors")),
		)
		if err != nil {
			t.Fatalf("provider sign-in with a passkey: %v\n%s", err, browsertest.DumpMain(ctx))
		}
		// Unlocking opens a way in again: without the password refused,
		// said on the portal; with it, unlocked.
		err = chromedp.Do(ctx,
			chromedp.SendKeys(chromedp.ID("proof-password"), identitytest.Password),
			chromedp.Click(chromedp.ID("lock-passkey")),
			chromedp.WaitVisible(chromedp.ID("unlock-passkey")),
			chromedp.Click(chromedp.ID("unlock-passkey")),
			chromedp.WaitVisible(chromedp.CSS(".alert-error")),
			shot("portal-unlock-needs-password"),
			chromedp.SendKeys(chromedp.ID("proof-password"), identitytest.Password),
			chromedp.Click(chromedp.ID("unlock-passkey")),
			chromedp.WaitVisible(chromedp.ID("lock-passkey")),
		)
		if err != nil {
			t.Fatalf("unlock passkeys: %v\n%s", err, browsertest.DumpMain(ctx))
		}
		// Passkeys locked: the passkey is refused, with its error shown.
		err = chromedp.Do(ctx,
			chromedp.SendKeys(chromedp.ID("proof-password"), identitytest.Password),
			chromedp.Click(chromedp.ID("lock-passkey")),
			chromedp.WaitVisible(chromedp.ID("unlock-passkey")),
			chromedp.Click(chromedp.CSS(`form[action="/eid/me/signout"] button`)),
			chromedp.WaitVisible(chromedp.CSS(`[data-passkey-signin]`)),
			chromedp.Click(chromedp.CSS(`[data-passkey-signin]`)),
			chromedp.WaitVisible(chromedp.CSS(`[data-passkey-error]`)),
			shot("signin-passkey-locked"),
		)
		if err != nil {
			t.Fatalf("locked passkey: %v\n%s", err, browsertest.DumpMain(ctx))
		}
		if msg, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(`[data-passkey-error]`))); err != nil || !strings.Contains(msg, "khóa") && !strings.Contains(msg, "locked") {
			t.Errorf("locked passkey message %q %v", msg, err)
		}
		if p := problems(); len(p) > 0 {
			t.Errorf("page problems: %s", strings.Join(p, "\n"))
		}
	})
}
