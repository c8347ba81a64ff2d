package oidcui_test

import (
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"io"
	"log/slog"
	"maps"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	jose "github.com/go-jose/go-jose/v4"

	"github.com/populus-vn/populus/internal/audit"
	"github.com/populus-vn/populus/internal/auth"
	"github.com/populus-vn/populus/internal/browsertest"
	"github.com/populus-vn/populus/internal/db"
	"github.com/populus-vn/populus/internal/db/dbtest"
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

// In headless Chromium, under the real CSP: an administrator registers a
// relying party on its page with PAR required, level 2, encrypted
// userinfo and ID tokens (a pasted key set), verification with a purpose;
// the store holds exactly that; the client's page shows it, saves an edit
// as version 2, and disables the client.
func TestBrowserRelyingParty(t *testing.T) {
	browsertest.Require(t)
	dbtest.Engines(t, append([]*db.Schema{audit.Schema, staff.Schema, oidc.Schema}, identitytest.Schemas...), func(t *testing.T, d *db.DB) {
		e := identitytest.New(t, d)
		var h http.Handler
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { h.ServeHTTP(w, r) }))
		t.Cleanup(srv.Close)
		master, _ := oidc.NewMasterKey()
		prov, err := oidc.New(d, e.Svc, e.Reg, units.Default(), e.Log, oidc.Options{Issuer: srv.URL + oidc.Prefix, Master: master, Guard: e.Guard})
		if err != nil {
			t.Fatal(err)
		}
		store := staff.NewStore(d, staff.TestParams)
		const password = "quan-tri-he-thong-2025"
		if _, err := store.Create(e.Ctx, staff.NewAccount{Username: "admin", DisplayName: "Quản trị", Role: auth.Admin, Unit: "VN", Password: password}); err != nil {
			t.Fatal(err)
		}
		sessions := staff.NewService(store, e.Log, staff.Options{})
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
		key, _ := rsa.GenerateKey(rand.Reader, 2048)
		jwks, _ := json.Marshal(jose.JSONWebKeySet{Keys: []jose.JSONWebKey{{Key: &key.PublicKey, KeyID: "enc-1", Use: "enc"}}})

		ctx, problems := browsertest.Start(t, 60*time.Second)
		shot := browsertest.Screenshots(t)
		err = chromedp.Do(ctx,
			chromedp.Navigate(srv.URL+"/lang/vi?next=%2Frelying-parties"),
			chromedp.WaitVisible(chromedp.ID("f-username")),
			chromedp.SendKeys(chromedp.ID("f-username"), "admin"),
			chromedp.SendKeys(chromedp.ID("f-password"), password),
			chromedp.Click(chromedp.CSS(`form[action="/login"] button[type=submit]`)),
			chromedp.WaitVisible(chromedp.ID("client-form")),
			chromedp.SendKeys(chromedp.ID("f-client_id"), "benhvien"),
			chromedp.SendKeys(chromedp.ID("f-name"), "Bệnh viện Bạch Mai"),
			chromedp.SendKeys(chromedp.ID("f-redirect_uris"), "https://benhvien.example.vn/cb"),
			chromedp.SendKeys(chromedp.ID("f-essential_scopes"), "openid"),
			chromedp.SetValue(chromedp.ID("f-min_level"), "2"),
			chromedp.SendKeys(chromedp.ID("f-sector_identifier"), "yte.example.vn"),
			chromedp.SetValue(chromedp.ID("f-jwks"), string(jwks)),
			chromedp.SetValue(chromedp.ID("f-par_required"), "1"),
			chromedp.SetValue(chromedp.ID("f-id_token_signed_response_alg"), "ES256"),
			chromedp.SetValue(chromedp.ID("f-id_token_encrypted_response_alg"), "ECDH-ES+A256KW"),
			// An EC algorithm with an RSA key: refused, the field named.
			chromedp.Click(chromedp.CSS(`#client-form button[type=submit]`)),
			chromedp.WaitVisible(chromedp.ID("error-summary")),
			chromedp.WaitVisible(chromedp.CSS(`#f-id_token_encrypted_response_alg[aria-invalid=true]`)),
			shot("relying-party-wrong-key"),
			chromedp.SetValue(chromedp.ID("f-id_token_encrypted_response_alg"), "RSA-OAEP-256"),
			chromedp.SetValue(chromedp.ID("f-userinfo_signed_response_alg"), "ES256"),
			chromedp.SetValue(chromedp.ID("f-userinfo_encrypted_response_alg"), "RSA-OAEP-256"),
			chromedp.SetValue(chromedp.ID("f-userinfo_encrypted_response_enc"), "A128CBC-HS256"),
			chromedp.SetValue(chromedp.ID("f-verify"), "1"),
			chromedp.SendKeys(chromedp.ID("f-verify_purposes"), "khám chữa bệnh"),
			chromedp.Click(chromedp.CSS(`#client-form button[type=submit]`)),
			chromedp.WaitVisible(chromedp.ID("client-secret")),
			shot("relying-party-registered"),
		)
		if err != nil {
			t.Fatalf("register: %v\n%s", err, browsertest.DumpMain(ctx))
		}
		c, err := prov.Clients().Get(e.Ctx, "benhvien")
		want := oidc.ClientConfig{ID: "benhvien", Name: "Bệnh viện Bạch Mai", AuthMethod: oidc.AuthSecretBasic, RedirectURIs: []string{"https://benhvien.example.vn/cb"},
			Scopes: []string{"openid", "profile"}, Essential: []string{"openid"}, MinLevel: 2, JWKS: jwks, PARRequired: true, Verify: true,
			Purposes: []string{"khám chữa bệnh"}, IDTokenAlg: "ES256", UserinfoAlg: "ES256", UserinfoEncAlg: "RSA-OAEP-256", UserinfoEnc: "A128CBC-HS256",
			IDTokenEncAlg: "RSA-OAEP-256", Sector: "yte.example.vn"}
		if err != nil || !reflect.DeepEqual(c.ClientConfig, want) {
			t.Fatalf("stored %+v %v\nwant %+v", c.ClientConfig, err, want)
		}
		err = chromedp.Do(ctx,
			chromedp.Click(chromedp.CSS(`a[href="/relying-parties/benhvien"]`)),
			chromedp.WaitVisible(chromedp.ID("client-disable")),
		)
		if err != nil {
			t.Fatalf("the client's page: %v\n%s", err, browsertest.DumpMain(ctx))
		}
		alg, err := chromedp.Run(ctx, chromedp.Value(chromedp.ID("f-userinfo_encrypted_response_alg")))
		if err != nil || alg != "RSA-OAEP-256" {
			t.Errorf("the edit page shows the userinfo encryption %q %v", alg, err)
		}
		err = chromedp.Do(ctx,
			chromedp.SetValue(chromedp.ID("f-name"), "Bệnh viện Bạch Mai (Hà Nội)"),
			chromedp.Click(chromedp.CSS(`#client-form button[type=submit]`)),
			chromedp.WaitVisible(chromedp.ID("client-saved")),
			shot("relying-party-saved"),
		)
		if err != nil {
			t.Fatalf("edit: %v\n%s", err, browsertest.DumpMain(ctx))
		}
		if v, err := prov.Clients().Versions(e.Ctx, "benhvien"); err != nil || len(v) != 2 || v[1].Name != "Bệnh viện Bạch Mai (Hà Nội)" || !v[1].PARRequired || v[1].UserinfoEncAlg != "RSA-OAEP-256" {
			t.Errorf("versions %+v %v", v, err)
		}
		err = chromedp.Do(ctx,
			chromedp.Click(chromedp.CSS(`#client-disable button[type=submit]`)),
			chromedp.WaitVisible(chromedp.CSS(`#client-form[action="/relying-parties"]`)),
			shot("relying-party-disabled"),
		)
		if err != nil {
			t.Fatalf("disable: %v\n%s", err, browsertest.DumpMain(ctx))
		}
		if page, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS("main"))); err != nil || strings.Contains(page, "benhvien") {
			t.Errorf("the list after disabling shows it: %v", err)
		}
		if _, err := prov.Clients().Get(e.Ctx, "benhvien"); err == nil {
			t.Error("the client is still enabled")
		}
		if p := problems(); len(p) > 0 {
			t.Errorf("page problems: %s", strings.Join(p, "\n"))
		}
	})
}
