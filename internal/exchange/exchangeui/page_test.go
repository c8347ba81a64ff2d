package exchangeui_test

import (
	"context"
	"encoding/json"
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
	"github.com/populus-vn/populus/internal/db/dbtest"
	"github.com/populus-vn/populus/internal/exchange"
	"github.com/populus-vn/populus/internal/exchange/exchangeui"
	"github.com/populus-vn/populus/internal/httpx"
	"github.com/populus-vn/populus/internal/i18n"
	"github.com/populus-vn/populus/internal/oidc"
	"github.com/populus-vn/populus/internal/server"
	"github.com/populus-vn/populus/internal/staff"
	"github.com/populus-vn/populus/internal/units"
	"github.com/populus-vn/populus/internal/web"
	"github.com/populus-vn/populus/internal/web/webtest"
)

const password = "mật-khẩu-đủ-dài-2025"

// The page, as an administrator sees it in Vietnamese and English: the
// members within reach, the catalogue, the rights; a member added from
// it, and revoked; a registrar is refused.
func TestPage(t *testing.T) {
	ctx := context.Background()
	d := dbtest.SQLite(t, audit.Schema, staff.Schema, exchange.Schema)
	log := audit.New(d)
	t.Cleanup(log.Close)
	g := auth.NewGuard(auth.NewPolicy(units.Default()), log)
	master, _ := oidc.NewMasterKey()
	x := exchange.New(exchange.Options{DB: d, Audit: log, Guard: g, Master: master})
	if err := x.EnsureCatalogue(ctx); err != nil {
		t.Fatal(err)
	}
	st := staff.NewStore(d, staff.TestParams)
	for _, a := range []staff.NewAccount{
		{Username: "admin", DisplayName: "Quản trị", Role: auth.Admin, Unit: "VN"},
		{Username: "registrar", DisplayName: "Hộ tịch", Role: auth.Registrar, Unit: "VN"},
	} {
		a.Password = password
		if _, err := st.Create(ctx, a); err != nil {
			t.Fatal(err)
		}
	}
	sessions := staff.NewService(st, log, staff.Options{Guard: g})
	ui, err := web.New(web.Deps{Staff: sessions, Catalog: i18n.MustLoad(), Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
		Modules: []web.Module{exchangeui.Module(x)}})
	if err != nil {
		t.Fatal(err)
	}
	guards := sessions.Guards()
	maps.Copy(guards, x.Guards())
	h, err := server.New(server.Deps{DB: d, Capabilities: []httpx.Routes{sessions, x, ui}, Guards: guards, PageError: ui.RenderError})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	defer srv.Close()
	signIn := func(user string) (*http.Client, string) {
		jar, _ := cookiejar.New(nil)
		c := &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
		res, err := c.Post(srv.URL+"/api/v1/session", "application/json", strings.NewReader(`{"username":"`+user+`","password":"`+password+`"}`))
		if err != nil || res.StatusCode != 201 {
			t.Fatalf("sign in %s: %v %v", user, res.StatusCode, err)
		}
		var s struct {
			CSRF string `json:"csrf_token"`
		}
		json.NewDecoder(res.Body).Decode(&s)
		res.Body.Close()
		return c, s.CSRF
	}
	get := func(c *http.Client, lang string) (int, string) {
		req, _ := http.NewRequest("GET", srv.URL+"/exchange", nil)
		req.Header.Set("Accept-Language", lang)
		res, err := c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		return res.StatusCode, string(b)
	}
	admin, csrf := signIn("admin")
	form := url.Values{"csrf": {csrf}, "member_id": {"VN/COM/VCB"}, "member_name": {"Ngân hàng Demo"}, "unit_code": {"VN"}}
	res, err := admin.PostForm(srv.URL+"/exchange/members", form)
	if err != nil || res.StatusCode != http.StatusSeeOther {
		t.Fatalf("add: %v %v", res.StatusCode, err)
	}
	form.Set("member_id", "VN/XYZ/1")
	res, _ = admin.PostForm(srv.URL+"/exchange/members", form)
	b, _ := io.ReadAll(res.Body)
	if res.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(string(b), "XYZ") {
		t.Errorf("a bad member id: %d", res.StatusCode)
	}
	code, vi := get(admin, "vi")
	if code != 200 || !strings.Contains(vi, "Ngân hàng Demo") || !strings.Contains(vi, "Danh mục dịch vụ") || !strings.Contains(vi, "HEALTH-INSURANCE-CHECK") {
		t.Fatalf("vi: %d", code)
	}
	for _, bad := range webtest.Untranslated(vi) {
		t.Errorf("English or a code on the Vietnamese page: %s", bad)
	}
	if code, en := get(admin, "en"); code != 200 || !strings.Contains(en, "Access rights") {
		t.Errorf("en: %d", code)
	}
	res, _ = admin.PostForm(srv.URL+"/exchange/revoke", url.Values{"csrf": {csrf}, "id": {"VN/COM/VCB"}})
	if res.StatusCode != http.StatusSeeOther {
		t.Errorf("revoke: %d", res.StatusCode)
	}
	if _, vi := get(admin, "vi"); !strings.Contains(vi, "Đã thu hồi") {
		t.Error("the revoked member is not shown revoked")
	}
	reg, _ := signIn("registrar")
	if code, _ := get(reg, "vi"); code != http.StatusForbidden {
		t.Errorf("a registrar: %d", code)
	}
}
