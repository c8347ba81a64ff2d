package eventsui_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/populus-vn/populus/internal/audit"
	"github.com/populus-vn/populus/internal/auth"
	"github.com/populus-vn/populus/internal/db/dbtest"
	"github.com/populus-vn/populus/internal/events"
	"github.com/populus-vn/populus/internal/events/eventsui"
	"github.com/populus-vn/populus/internal/httpx"
	"github.com/populus-vn/populus/internal/i18n"
	"github.com/populus-vn/populus/internal/server"
	"github.com/populus-vn/populus/internal/staff"
	"github.com/populus-vn/populus/internal/web"
	"github.com/populus-vn/populus/internal/web/webtest"
)

// TestPage: a nation-wide administrator sees every subscription and its
// delivery state, in Vietnamese (without English) and in English; the
// menu entry and the page are refused to a registrar.
func TestPage(t *testing.T) {
	ctx := context.Background()
	d := dbtest.SQLite(t, audit.Schema, staff.Schema, events.Schema)
	log := audit.New(d)
	t.Cleanup(log.Close)
	st := staff.NewStore(d, staff.TestParams)
	for _, a := range []staff.NewAccount{
		{Username: "admin", DisplayName: "Quản trị", Role: auth.Admin, Unit: "VN", Password: "example-password-1"},
		{Username: "registrar", DisplayName: "Cán bộ", Role: auth.Registrar, Unit: "VN", Password: "example-password-1"},
	} {
		if _, err := st.Create(ctx, a); err != nil {
			t.Fatal(err)
		}
	}
	svc := events.New(d, log, nil, events.Options{AllowHTTP: true})
	cli := auth.Principal{Kind: auth.KindSystem, Username: "cli"}
	if _, err := svc.Subscribe(ctx, cli, events.SubscriptionRequest{Subscriber: "VN/COM/VCB/EKYC", Types: []string{"death", "residence_move"},
		WebhookURL: "https://bank.example.vn/hook", Purpose: "KYC", LegalBasis: "Nghị định 52/2024/NĐ-CP"}); err != nil {
		t.Fatal(err)
	}
	sessions := staff.NewService(st, log, staff.Options{})
	ui, err := web.New(web.Deps{Staff: sessions, Catalog: i18n.MustLoad(), Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
		Modules: []web.Module{eventsui.Module(svc)}})
	if err != nil {
		t.Fatal(err)
	}
	h, err := server.New(server.Deps{DB: d, Capabilities: []httpx.Routes{sessions, ui}, Guards: sessions.Guards(), PageError: ui.RenderError})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	signIn := func(user string) *http.Client {
		jar, _ := cookiejar.New(nil)
		c := &http.Client{Jar: jar}
		res, err := c.Post(srv.URL+"/api/v1/session", "application/json", strings.NewReader(`{"username":"`+user+`","password":"example-password-1"}`))
		if err != nil {
			t.Fatal(err)
		}
		var s staff.SessionResponse
		json.NewDecoder(res.Body).Decode(&s)
		res.Body.Close()
		if res.StatusCode != http.StatusCreated {
			t.Fatalf("sign in as %s: %d", user, res.StatusCode)
		}
		return c
	}
	get := func(c *http.Client, path, lang string) (int, string) {
		req, _ := http.NewRequest("GET", srv.URL+path, nil)
		req.Header.Set("Accept-Language", lang)
		res, err := c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		return res.StatusCode, string(b)
	}
	admin := signIn("admin")
	for _, tc := range []struct{ lang, title, state string }{{"vi", "Đăng ký nhận sự kiện thay đổi", "đang chuyển"}, {"en", "Change event subscriptions", "delivering"}} {
		code, body := get(admin, "/events", tc.lang)
		if code != http.StatusOK || !strings.Contains(body, tc.title) || !strings.Contains(body, "VN/COM/VCB/EKYC") || !strings.Contains(body, tc.state) {
			t.Errorf("%s page: %d %.600s", tc.lang, code, body)
		}
		if tc.lang == "vi" {
			if bad := webtest.Untranslated(body); len(bad) > 0 {
				t.Errorf("English on the Vietnamese page: %q", bad)
			}
		}
	}
	registrar := signIn("registrar")
	if code, _ := get(registrar, "/events", "vi"); code != http.StatusForbidden {
		t.Errorf("a registrar's page: %d", code)
	}
	if _, body := get(registrar, "/", "vi"); strings.Contains(body, `href="/events"`) {
		t.Error("the menu shows the subscriptions to a registrar")
	}
}
