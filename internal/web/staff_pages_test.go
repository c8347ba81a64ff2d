package web_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/populus-vn/populus/internal/db"
	"github.com/populus-vn/populus/internal/db/dbtest"
)

// An administrator creates a registrar's account from the pages, with the
// form's mistakes told in Vietnamese; disables it only after a
// confirmation; the registrar, signed in with the initial password, must
// choose their own before anything else. Every page on the way is checked
// for English and codes (checkPage).
func TestStaffAdministrationPages(t *testing.T) {
	dbtest.Engines(t, testSchemas, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		admin := e.client()
		admin.signIn("admin")
		if r := admin.get("/"); !strings.Contains(r.body, `href="/admin/staff"`) || !strings.Contains(r.body, "Tài khoản cán bộ") {
			t.Error("the administrator is shown neither the accounts' menu entry nor their card")
		}
		if r := admin.get("/admin"); r.status != http.StatusSeeOther || r.header.Get("Location") != "/admin/staff" {
			t.Errorf("/admin: %d → %q", r.status, r.header.Get("Location"))
		}
		if r := admin.get("/admin/staff"); r.status != 200 || !strings.Contains(r.body, "Nguyễn Thị Hoa") || !strings.Contains(r.body, "Phường Ba Đình") {
			t.Fatalf("the list: %d", r.status)
		}
		admin.get("/admin/staff/new")
		r := admin.post("/admin/staff/new", url.Values{"display_name": {""}, "username": {"Lê Hộ Tịch"}, "role": {"mayor"}, "unit_code": {"99999"}, "password": {"ngắn"}})
		if r.status != http.StatusUnprocessableEntity {
			t.Fatalf("a wrong form: %d", r.status)
		}
		for _, want := range []string{`href="#f-display_name"`, `href="#f-username"`, `href="#f-role"`, `href="#f-unit_code"`, `href="#f-password"`, "không phải mã của một đơn vị hành chính đang có hiệu lực", "phải có ít nhất 12 ký tự"} {
			if !strings.Contains(r.body, want) {
				t.Errorf("the wrong form lacks %q", want)
			}
		}
		if strings.Contains(r.body, "ngắn") {
			t.Error("the password is sent back")
		}
		r = admin.post("/admin/staff/new", url.Values{"display_name": {"Lê Văn Hộ"}, "username": {"registrar"}, "role": {"registrar"}, "unit_code": {"00004"}, "password": {"mật khẩu ban đầu dài"}})
		if r.status != http.StatusUnprocessableEntity || !strings.Contains(r.body, "đã có tài khoản dùng tên đăng nhập này") {
			t.Errorf("a taken username: %d", r.status)
		}
		r = admin.post("/admin/staff/new", url.Values{"display_name": {"Lê Văn Hộ"}, "username": {"reg.badinh2"}, "role": {"registrar"}, "unit_code": {"00004"}, "password": {"mật khẩu ban đầu dài"}})
		if r.status != http.StatusSeeOther || r.header.Get("Location") != "/admin/staff/reg.badinh2" {
			t.Fatalf("create: %d → %q\n%s", r.status, r.header.Get("Location"), r.body)
		}
		if r := admin.get("/admin/staff/reg.badinh2"); !strings.Contains(r.body, "Đã tạo tài khoản") || !strings.Contains(r.body, "Chờ đổi mật khẩu") {
			t.Errorf("the new account's page: %d", r.status)
		}

		// The registrar's first sign-in leads to the password change.
		reg := e.client()
		reg.get("/login")
		r = reg.do("POST", "/login", url.Values{"username": {"reg.badinh2"}, "password": {"mật khẩu ban đầu dài"}})
		if r.status != http.StatusSeeOther {
			t.Fatalf("the registrar's sign-in: %d", r.status)
		}
		if r := reg.get("/register/search"); r.status != http.StatusSeeOther || r.header.Get("Location") != "/account/password" {
			t.Errorf("a page before the change: %d → %q", r.status, r.header.Get("Location"))
		}
		if r := reg.get("/account/password"); !strings.Contains(r.body, "Mật khẩu của bạn do quản trị viên đặt") {
			t.Error("the password page does not say why")
		}
		// A form from a page older than the session is refused as one
		// that expired, not as a lack of rights.
		r = reg.do("POST", "/account/password", url.Values{"csrf": {"a-token-of-another-session"}, "current_password": {"mật khẩu ban đầu dài"}})
		if r.status != http.StatusForbidden || !strings.Contains(r.body, "Trang đã hết hạn") || strings.Contains(r.body, "không được phép thực hiện thao tác này") {
			t.Errorf("a stale form: %d\n%s", r.status, r.body)
		}
		r = reg.post("/account/password", url.Values{"current_password": {"mật khẩu ban đầu dài"}, "new_password": {"mật khẩu riêng của tôi"}, "new_password_again": {"mật khẩu khác"}})
		if r.status != http.StatusUnprocessableEntity || !strings.Contains(r.body, "không khớp với mật khẩu mới") {
			t.Errorf("a mismatch: %d", r.status)
		}
		r = reg.post("/account/password", url.Values{"current_password": {"sai"}, "new_password": {"mật khẩu riêng của tôi"}, "new_password_again": {"mật khẩu riêng của tôi"}})
		if r.status != http.StatusUnprocessableEntity || !strings.Contains(r.body, "không đúng mật khẩu của tài khoản này") {
			t.Errorf("a wrong current password: %d", r.status)
		}
		r = reg.post("/account/password", url.Values{"current_password": {"mật khẩu ban đầu dài"}, "new_password": {"mật khẩu riêng của tôi"}, "new_password_again": {"mật khẩu riêng của tôi"}})
		if r.status != http.StatusSeeOther || r.header.Get("Location") != "/" {
			t.Fatalf("the change: %d → %q\n%s", r.status, r.header.Get("Location"), r.body)
		}
		if r := reg.get("/"); r.status != 200 || !strings.Contains(r.body, "Đã đổi mật khẩu") || !strings.Contains(r.body, "Lê Văn Hộ") {
			t.Errorf("the dashboard after the change: %d", r.status)
		}
		if r := reg.get("/admin/staff"); r.status != http.StatusForbidden || !strings.Contains(r.body, "Không có quyền truy cập") {
			t.Errorf("a registrar opens the accounts: %d", r.status)
		}

		// Disabling asks first, then signs the holder out.
		r = admin.get("/admin/staff/reg.badinh2/disable")
		if r.status != 200 || !strings.Contains(r.body, "Khóa tài khoản này?") || !strings.Contains(r.body, "Lê Văn Hộ") {
			t.Fatalf("the confirmation: %d", r.status)
		}
		if r := admin.post("/admin/staff/reg.badinh2/disable", url.Values{}); r.status != http.StatusSeeOther {
			t.Fatalf("disable: %d", r.status)
		}
		if r := reg.get("/"); r.status != http.StatusSeeOther {
			t.Errorf("the disabled registrar is still signed in: %d", r.status)
		}
		admin.get("/admin/staff/admin")
		r = admin.post("/admin/staff/admin/disable", url.Values{})
		if r.status != http.StatusUnprocessableEntity || !strings.Contains(r.body, "Bạn không thể tự khóa tài khoản của mình") {
			t.Errorf("disabling oneself: %d", r.status)
		}
	})
}

// Error pages speak Vietnamese: a page that does not exist, a method the
// address does not answer, a refusal.
func TestErrorPagesInWords(t *testing.T) {
	dbtest.Engines(t, testSchemas, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		c := e.client()
		c.signIn("registrar")
		for _, tc := range []struct {
			method, path string
			status       int
			want         string
		}{
			{"GET", "/no/such/page", 404, "Không tìm thấy"},
			{"DELETE", "/register/search", 405, "Phương thức không được hỗ trợ"},
			{"GET", "/audit", 403, "Không có quyền truy cập"},
			{"GET", "/register/persons/079300000001", 403, "Không có quyền truy cập"},
		} {
			var r response
			if tc.method == "GET" {
				r = c.get(tc.path)
			} else {
				r = c.do(tc.method, tc.path, nil, "X-CSRF-Token", c.csrf)
			}
			if r.status != tc.status || !strings.Contains(r.body, tc.want) || !strings.Contains(r.body, "Nguyễn Thị Hoa") {
				t.Errorf("%s %s: %d, want %d with %q and the officer's menu", tc.method, tc.path, r.status, tc.status, tc.want)
			}
		}
		en := c.get("/no/such/page", "Cookie", "lang=en")
		if en.status != 404 || !strings.Contains(en.body, "Not found") {
			t.Errorf("the English 404: %d", en.status)
		}
	})
}
