package identityui_test

import (
	"io"
	"log/slog"
	"maps"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/populus-vn/populus/internal/audit"
	"github.com/populus-vn/populus/internal/auth"
	"github.com/populus-vn/populus/internal/db"
	"github.com/populus-vn/populus/internal/db/dbtest"
	"github.com/populus-vn/populus/internal/httpx"
	"github.com/populus-vn/populus/internal/i18n"
	"github.com/populus-vn/populus/internal/identity"
	"github.com/populus-vn/populus/internal/identity/identitytest"
	"github.com/populus-vn/populus/internal/identity/identityui"
	"github.com/populus-vn/populus/internal/server"
	"github.com/populus-vn/populus/internal/staff"
	"github.com/populus-vn/populus/internal/web"
	"github.com/populus-vn/populus/internal/web/webtest"
)

// Every message ID the pages and the menu entry use is in the catalog.
func TestMessages(t *testing.T) {
	m := identityui.Module(nil, nil)
	cat := i18n.MustLoad(m.Messages)
	ids, prefixes, err := webtest.MessageIDs(m.Templates)
	// counter.html builds its messages from identity.<page>: enumerated
	// below.
	if err != nil || len(ids) == 0 || len(prefixes) != 1 || prefixes[0] != "identity" {
		t.Fatalf("templates: %d IDs, prefixes %q, %v", len(ids), prefixes, err)
	}
	ids = append(ids, "identity.field.pin", "identity.field.card_number", "identity.field.card_issued", "identity.field.phone")
	// The counter pages' messages (counter.html builds them).
	for _, page := range []string{"level2", "recovery"} {
		ids = append(ids, "flash.identity."+page)
		for _, m := range []string{"title", "summary", "legend", "checklist", "submit"} {
			ids = append(ids, "identity."+page+"."+m)
		}
	}
	for _, e := range m.Menu {
		ids = append(ids, e.Label)
	}
	for _, id := range ids {
		for _, lang := range cat.Languages() {
			if _, ok := cat.Lookup(lang, id); !ok {
				t.Errorf("message %q is used but missing from %s.json", id, lang)
			}
		}
	}
}

// A police officer raises an account on the page: a wrong card number
// comes back on the form, the right one raises it; a registrar is refused
// the page; the demo's outbox shows the code sent.
func TestLevel2Page(t *testing.T) {
	dbtest.Engines(t, append([]*db.Schema{audit.Schema, staff.Schema}, identitytest.Schemas...), func(t *testing.T, d *db.DB) {
		e := identitytest.New(t, d)
		e.Active(e.Lan)
		st := staff.NewStore(d, staff.TestParams)
		for _, a := range []staff.NewAccount{
			{Username: "police", DisplayName: "Công an", Role: auth.PoliceOfficer, Unit: identitytest.BaDinh, Password: "cong-an-ba-dinh-2025"},
			{Username: "registrar", DisplayName: "Hộ tịch", Role: auth.Registrar, Unit: identitytest.BaDinh, Password: "cong-an-ba-dinh-2025"},
		} {
			if _, err := st.Create(e.Ctx, a); err != nil {
				t.Fatal(err)
			}
		}
		sessions := staff.NewService(st, e.Log, staff.Options{})
		ui, err := web.New(web.Deps{Staff: sessions, Catalog: i18n.MustLoad(), Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
			Modules: []web.Module{identityui.Module(e.Svc, e.Out)}})
		if err != nil {
			t.Fatal(err)
		}
		guards := sessions.Guards()
		maps.Copy(guards, e.Svc.Guards())
		h, err := server.New(server.Deps{DB: d, Capabilities: []httpx.Routes{sessions, e.Svc, ui}, Guards: guards, PageError: ui.RenderError})
		if err != nil {
			t.Fatal(err)
		}
		srv := httptest.NewServer(h)
		t.Cleanup(srv.Close)
		signIn := func(user string) *http.Client {
			jar, _ := cookiejar.New(nil)
			c := &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
			res, err := c.Post(srv.URL+"/api/v1/session", "application/json", strings.NewReader(`{"username":"`+user+`","password":"cong-an-ba-dinh-2025"}`))
			if err != nil || res.StatusCode != http.StatusCreated {
				t.Fatalf("sign in %s: %v %v", user, res, err)
			}
			res.Body.Close()
			return c
		}
		get := func(c *http.Client, path string) (int, string) {
			res, err := c.Get(srv.URL + path)
			if err != nil {
				t.Fatal(err)
			}
			defer res.Body.Close()
			b, _ := io.ReadAll(res.Body)
			return res.StatusCode, string(b)
		}
		police := signIn("police")
		code, page := get(police, "/identity/level2")
		if code != http.StatusOK || !strings.Contains(page, "Nâng tài khoản định danh điện tử lên mức 2") {
			t.Fatalf("page: %d", code)
		}
		csrf := between(page, `name="csrf" value="`, `"`)
		post := func(card string) (int, string) {
			res, err := police.PostForm(srv.URL+"/identity/level2", url.Values{"csrf": {csrf}, "pin": {e.Lan.PIN}, "card_number": {card}, "card_issued": {"01/04/2021"}})
			if err != nil {
				t.Fatal(err)
			}
			defer res.Body.Close()
			b, _ := io.ReadAll(res.Body)
			return res.StatusCode, string(b)
		}
		if code, body := post("001190009999"); code != http.StatusUnprocessableEntity || !strings.Contains(body, "không khớp với thẻ đã ghi trong cơ sở dữ liệu") {
			t.Errorf("wrong card: %d", code)
		}
		if code, _ := post(e.Lan.PIN); code != http.StatusSeeOther {
			t.Fatalf("raise: %d", code)
		}
		if _, body := get(police, "/identity/level2"); !strings.Contains(body, "Đã nâng tài khoản lên mức 2.") {
			t.Error("no notice after the raise")
		}
		var level int
		d.QueryRowContext(e.Ctx, "SELECT level FROM eid_accounts WHERE pin = $1", e.Lan.PIN).Scan(&level)
		if level != identity.Level2 {
			t.Errorf("level = %d", level)
		}
		if code, _ := get(signIn("registrar"), "/identity/level2"); code != http.StatusForbidden {
			t.Errorf("registrar: %d", code)
		}

		// The recovery page gives the account back to the card holder.
		code, page = get(police, "/identity/recovery")
		if code != http.StatusOK || !strings.Contains(page, "Khôi phục tài khoản định danh điện tử cho người giữ thẻ") || !strings.Contains(page, `type="tel"`) {
			t.Fatalf("recovery page: %d", code)
		}
		// Its menu entry alone is marked current.
		if strings.Count(page, `aria-current="page"`) != 1 || !strings.Contains(page, `<a href="/identity/recovery" aria-current="page">`) {
			t.Error("the recovery page does not mark its own menu entry alone")
		}
		recover := func(phone string) (int, string) {
			res, err := police.PostForm(srv.URL+"/identity/recovery", url.Values{"csrf": {csrf}, "pin": {e.Lan.PIN}, "card_number": {e.Lan.PIN}, "card_issued": {"2021-04-01"}, "phone": {phone}})
			if err != nil {
				t.Fatal(err)
			}
			defer res.Body.Close()
			b, _ := io.ReadAll(res.Body)
			return res.StatusCode, string(b)
		}
		if code, body := recover("12345"); code != http.StatusUnprocessableEntity || !strings.Contains(body, "phải là số điện thoại di động Việt Nam") {
			t.Errorf("a wrong phone: %d", code)
		}
		if code, _ := recover("0912 000 111"); code != http.StatusSeeOther {
			t.Fatalf("recover: %d", code)
		}
		if _, body := get(police, "/identity/recovery"); !strings.Contains(body, "Đã khôi phục tài khoản.") {
			t.Error("no notice after the recovery")
		}
		var state string
		d.QueryRowContext(e.Ctx, "SELECT state FROM eid_accounts WHERE pin = $1", e.Lan.PIN).Scan(&state)
		if state != string(identity.StateRecovering) {
			t.Errorf("state = %s", state)
		}
		if code, _ := get(signIn("registrar"), "/identity/recovery"); code != http.StatusForbidden {
			t.Errorf("registrar on the recovery page: %d", code)
		}
		if code, body := get(http.DefaultClient, "/identity/outbox"); code != http.StatusOK || !strings.Contains(body, "84912345678") {
			t.Errorf("outbox: %d", code)
		}
	})
}

func between(s, from, to string) string {
	_, after, _ := strings.Cut(s, from)
	v, _, _ := strings.Cut(after, to)
	return v
}
