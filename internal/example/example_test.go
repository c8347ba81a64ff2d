package example_test

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
	"github.com/populus-vn/populus/internal/db"
	"github.com/populus-vn/populus/internal/db/dbtest"
	"github.com/populus-vn/populus/internal/example"
	"github.com/populus-vn/populus/internal/example/exampleui"
	"github.com/populus-vn/populus/internal/httpx"
	"github.com/populus-vn/populus/internal/i18n"
	"github.com/populus-vn/populus/internal/server"
	"github.com/populus-vn/populus/internal/staff"
	"github.com/populus-vn/populus/internal/units"
	"github.com/populus-vn/populus/internal/web"
)

// TestWorkedExample wires the example capability exactly as cmd/populus
// wires the real ones (docs/adding-a-capability.md), on each engine, and
// uses it as an officer would: its table is migrated, its API answers
// behind the staff guard with its CSRF check, its fragment is in the served
// OpenAPI document, and its page and menu entry speak Vietnamese and
// English from its own messages.
func TestWorkedExample(t *testing.T) {
	dbtest.Engines(t, []*db.Schema{audit.Schema, staff.Schema, example.Schema}, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		log := audit.New(d)
		t.Cleanup(log.Close)
		g := auth.NewGuard(auth.NewPolicy(units.Default()), log)
		st := staff.NewStore(d, staff.TestParams)
		for _, a := range []staff.NewAccount{
			{Username: "registrar", DisplayName: "Cán bộ", Role: auth.Registrar, Unit: "00004", Password: "example-password-1"},
			{Username: "service", DisplayName: "Một cửa", Role: auth.ServiceOfficer, Unit: "00004", Password: "example-password-1"},
		} {
			if _, err := st.Create(ctx, a); err != nil {
				t.Fatal(err)
			}
		}
		sessions := staff.NewService(st, log, staff.Options{})
		notices := example.New(d, g)
		ui, err := web.New(web.Deps{Staff: sessions, Catalog: i18n.MustLoad(), Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
			Modules: []web.Module{exampleui.Module(notices)}})
		if err != nil {
			t.Fatal(err)
		}
		h, err := server.New(server.Deps{DB: d, Capabilities: []httpx.Routes{sessions, notices, ui},
			Guards: sessions.Guards(), PageError: ui.RenderError})
		if err != nil {
			t.Fatal(err)
		}
		srv := httptest.NewServer(h)
		t.Cleanup(srv.Close)

		signIn := func(user string) (*http.Client, string) {
			jar, _ := cookiejar.New(nil)
			c := &http.Client{Jar: jar}
			res, err := c.Post(srv.URL+"/api/v1/session", "application/json",
				strings.NewReader(`{"username":"`+user+`","password":"example-password-1"}`))
			if err != nil {
				t.Fatal(err)
			}
			defer res.Body.Close()
			var s staff.SessionResponse
			if err := json.NewDecoder(res.Body).Decode(&s); err != nil || res.StatusCode != http.StatusCreated {
				t.Fatalf("sign in as %s: %d %v", user, res.StatusCode, err)
			}
			return c, s.CSRFToken
		}
		do := func(c *http.Client, method, path, csrf, body string, header ...string) (int, string, string) {
			req, _ := http.NewRequest(method, srv.URL+path, strings.NewReader(body))
			if body != "" {
				req.Header.Set("Content-Type", "application/json")
			}
			if csrf != "" {
				req.Header.Set("X-CSRF-Token", csrf)
			}
			for i := 0; i+1 < len(header); i += 2 {
				req.Header.Set(header[i], header[i+1])
			}
			res, err := c.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer res.Body.Close()
			b, _ := io.ReadAll(res.Body)
			return res.StatusCode, res.Header.Get("Content-Type"), string(b)
		}

		registrar, csrf := signIn("registrar")
		if code, _, _ := do(registrar, "POST", "/api/v1/example/notices", "", `{"title":"Họp tổ dân phố"}`); code != http.StatusForbidden {
			t.Errorf("a post without the CSRF token: %d", code)
		}
		if code, ctype, body := do(registrar, "POST", "/api/v1/example/notices", csrf, `{"title":" "}`); code != http.StatusUnprocessableEntity ||
			ctype != "application/problem+json" || !strings.Contains(body, `"field":"title"`) {
			t.Errorf("an empty title: %d %s %s", code, ctype, body)
		}
		if code, _, body := do(registrar, "POST", "/api/v1/example/notices", csrf, `{"title":"Họp tổ dân phố"}`); code != http.StatusCreated || !strings.Contains(body, `"unit":"00004"`) {
			t.Errorf("a notice: %d %s", code, body)
		}
		if code, _, body := do(registrar, "GET", "/api/v1/example/notices", "", ""); code != http.StatusOK || !strings.Contains(body, "Họp tổ dân phố") {
			t.Errorf("the list: %d %s", code, body)
		}
		// The grants the capability declared hold: a service officer may
		// neither post nor read, and the refusal is audited.
		service, csrf2 := signIn("service")
		if code, _, _ := do(service, "POST", "/api/v1/example/notices", csrf2, `{"title":"x"}`); code != http.StatusForbidden {
			t.Errorf("a service officer posted: %d", code)
		}
		if code, _, _ := do(service, "GET", "/api/v1/example/notices", "", ""); code != http.StatusForbidden {
			t.Errorf("a service officer read: %d", code)
		}
		entries, _, err := log.List(ctx, "", 0, 50)
		if err != nil {
			t.Fatal(err)
		}
		denied := 0
		for _, e := range entries {
			if e.Actor == "staff:service" && e.Outcome == audit.Denied && strings.HasPrefix(e.Action, "example.notice.") {
				denied++
			}
		}
		if denied != 2 {
			t.Errorf("%d refusals of the service officer audited, want 2", denied)
		}

		// The page and its menu entry, in Vietnamese by default and in English.
		for _, tc := range []struct{ lang, title, nav string }{{"vi", "Thông báo của xã, phường", "Thông báo"}, {"en", "Notices of the commune", "Notices"}} {
			code, _, body := do(registrar, "GET", "/example/notices", "", "", "Accept-Language", tc.lang)
			if code != http.StatusOK || !strings.Contains(body, tc.title) || !strings.Contains(body, `href="/example/notices"`) || !strings.Contains(body, "Họp tổ dân phố") {
				t.Errorf("%s page: %d %.400s", tc.lang, code, body)
			}
		}
		if _, _, body := do(service, "GET", "/", "", ""); strings.Contains(body, `href="/example/notices"`) {
			t.Error("the menu shows the notices to a role that may not read them")
		}

		// The served OpenAPI document holds the fragment.
		_, _, doc := do(http.DefaultClient, "GET", "/api/v1/openapi.json", "", "")
		var d2 struct {
			Paths      map[string]map[string]any
			Components struct{ Schemas map[string]any }
		}
		if err := json.Unmarshal([]byte(doc), &d2); err != nil {
			t.Fatal(err)
		}
		if ops := d2.Paths["/api/v1/example/notices"]; ops["get"] == nil || ops["post"] == nil || d2.Components.Schemas["ExampleNotice"] == nil {
			t.Errorf("the document lacks the example's fragment: %v", ops)
		}
	})
}
