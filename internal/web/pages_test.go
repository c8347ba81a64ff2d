package web_test

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/populus-vn/populus/internal/auth"
	"github.com/populus-vn/populus/internal/db"
	"github.com/populus-vn/populus/internal/db/dbtest"
	"github.com/populus-vn/populus/internal/pin"
)

func TestSignInFlow(t *testing.T) {
	dbtest.Engines(t, testSchemas, func(t *testing.T, d *db.DB) {
		c := newEnv(t, d).client()
		r := c.get("/register/persons/" + motherPIN)
		if r.status != http.StatusSeeOther || r.header.Get("Location") != "/login?next=%2Fregister%2Fpersons%2F"+motherPIN {
			t.Fatalf("anonymous person page: %d → %q", r.status, r.header.Get("Location"))
		}
		r = c.get("/login?next=%2Fregister%2Fpersons%2F" + motherPIN)
		if r.status != 200 || !strings.Contains(r.body, `<label class="label" for="f-username">`) {
			t.Fatalf("login page: %d\n%s", r.status, r.body)
		}
		r = c.do("POST", "/login", url.Values{"username": {"registrar"}, "password": {"wrong password"}, "next": {"/register/persons/" + motherPIN}})
		if r.status != http.StatusUnauthorized || !strings.Contains(r.body, "Tên đăng nhập hoặc mật khẩu không đúng") {
			t.Errorf("wrong password: %d", r.status)
		}
		if r := c.do("POST", "/login", url.Values{"username": {""}, "password": {""}}); r.status != http.StatusUnprocessableEntity ||
			strings.Contains(r.body, "Tên đăng nhập hoặc mật khẩu không đúng") || !strings.Contains(r.body, `id="f-username-error"`) || !strings.Contains(r.body, `id="f-password-error"`) {
			t.Errorf("an empty sign-in: %d", r.status)
		}
		if !strings.Contains(r.body, `value="registrar"`) || strings.Contains(r.body, "wrong password") {
			t.Error("the username is not kept, or the password is sent back")
		}
		r = c.do("POST", "/login", url.Values{"username": {"registrar"}, "password": {password}, "next": {"/register/persons/" + motherPIN}})
		if r.status != http.StatusSeeOther || r.header.Get("Location") != "/register/persons/"+motherPIN {
			t.Fatalf("sign-in: %d → %q", r.status, r.header.Get("Location"))
		}
		r = c.get("/")
		if r.status != 200 || !strings.Contains(r.body, "Xin chào, Nguyễn Thị Hoa") || !strings.Contains(r.body, "Phường Ba Đình, Thành phố Hà Nội") {
			t.Errorf("dashboard: %d\n%s", r.status, r.body)
		}
		// A short PIN in the dashboard's box comes back to it, saying why,
		// not to an error page.
		r = c.get("/register/persons?pin=0012")
		if r.status != http.StatusSeeOther || r.header.Get("Location") != "/?pin=0012#open-pin" {
			t.Errorf("a short PIN: %d → %q", r.status, r.header.Get("Location"))
		}
		r = c.get("/?pin=0012")
		if r.status != 200 || !strings.Contains(r.body, `id="f-pin-error"`) || !strings.Contains(r.body, `value="0012"`) {
			t.Errorf("the dashboard's PIN box after a short PIN: %d", r.status)
		}
		if r := c.get("/login"); r.status != http.StatusSeeOther {
			t.Errorf("login page while signed in: %d, want a redirect", r.status)
		}
		r = c.post("/logout", url.Values{})
		if r.status != http.StatusSeeOther || r.header.Get("Location") != "/login" {
			t.Errorf("sign-out: %d → %q", r.status, r.header.Get("Location"))
		}
		if r := c.get("/"); r.status != http.StatusSeeOther {
			t.Errorf("dashboard after sign-out: %d", r.status)
		}
	})
}

func TestOpenRedirectRefused(t *testing.T) {
	dbtest.Engines(t, testSchemas, func(t *testing.T, d *db.DB) {
		c := newEnv(t, d).client()
		r := c.do("POST", "/login", url.Values{"username": {"registrar"}, "password": {password}, "next": {"//evil.example/"}})
		if r.header.Get("Location") != "/" {
			t.Errorf("next=//evil.example/ redirected to %q", r.header.Get("Location"))
		}
	})
}

func TestCSRFRefused(t *testing.T) {
	dbtest.Engines(t, testSchemas, func(t *testing.T, d *db.DB) {
		c := newEnv(t, d).client()
		c.signIn("registrar")
		form := url.Values{"pin": {motherPIN}, "death_date": {"2026-01-01"}}
		for name, token := range map[string]string{"missing": "", "wrong": "x" + c.csrf} {
			f := url.Values{}
			for k, v := range form {
				f[k] = v
			}
			if token != "" {
				f.Set("csrf", token)
			}
			r := c.do("POST", "/register/events/death", f)
			if r.status != http.StatusForbidden || !strings.Contains(r.body, "Trang đã hết hạn") {
				t.Errorf("%s token: %d", name, r.status)
			}
		}
		if r := c.do("POST", "/logout", url.Values{}); r.status != http.StatusForbidden {
			t.Errorf("sign-out without token: %d", r.status)
		}
		r := c.do("POST", "/logout", url.Values{"csrf": {c.csrf}}, "Sec-Fetch-Site", "cross-site")
		if r.status != http.StatusForbidden {
			t.Errorf("cross-site post: %d", r.status)
		}
	})
}

func TestFormComesBackWithErrorsAndInput(t *testing.T) {
	dbtest.Engines(t, testSchemas, func(t *testing.T, d *db.DB) {
		c := newEnv(t, d).client()
		c.signIn("registrar")
		c.get("/register/events/birth")
		// A date that does not parse is caught here; the rest by the register.
		r := c.post("/register/events/birth", url.Values{"full_name": {"Lê Minh Khôi"}, "birth_date": {"31/02/2026"}, "sex": {"M"}, "mother_pin": {motherPIN}})
		if r.status != http.StatusUnprocessableEntity {
			t.Fatalf("bad date: %d", r.status)
		}
		for _, want := range []string{`id="error-summary"`, `href="#f-birth_date"`, `value="Lê Minh Khôi"`, `value="M" checked`, `id="f-birth_date-error"`, `aria-invalid="true"`} {
			if !strings.Contains(r.body, want) {
				t.Errorf("form with a bad date lacks %s", want)
			}
		}
		r = c.post("/register/events/birth", url.Values{"full_name": {"Lê Minh Khôi"}, "birth_date": {"2026-11-01"}, "sex": {"M"},
			"birth_place": {"00004"}, "ethnicity": {"01"}, "nationality": {"VN"}, "mother_pin": {fatherPIN}, "step": {"commit"}})
		if r.status != http.StatusUnprocessableEntity || !strings.Contains(r.body, `href="#f-mother_pin"`) || !strings.Contains(r.body, `value="`+fatherPIN+`"`) {
			t.Errorf("father given as mother: %d\n%s", r.status, r.body)
		}
		// The check step applies the register's rules already: a man named
		// as the mother is refused there, not after the confirmation.
		r = c.post("/register/events/birth", url.Values{"full_name": {"Lê Minh Khôi"}, "birth_date": {"2026-11-01"}, "sex": {"M"},
			"birth_place": {"00004"}, "ethnicity": {"01"}, "nationality": {"VN"}, "mother_pin": {fatherPIN}, "effective_date": {"2026-11-02"},
			"reason": {"Khai sinh đúng hạn"}, "legal_basis": {"Luật Hộ tịch 2014, Điều 16"}})
		if r.status != http.StatusUnprocessableEntity || !strings.Contains(r.body, `href="#f-mother_pin"`) || strings.Contains(r.body, `name="step" value="commit"`) {
			t.Errorf("a man as the mother at the check step: %d", r.status)
		}
		// A parent not in the register (or out of reach: one answer) is a
		// refusal, which comes back on the form with what was typed.
		r = c.post("/register/events/birth", url.Values{"full_name": {"Lê Minh Khôi"}, "birth_date": {"2026-11-01"}, "sex": {"M"},
			"birth_place": {"00004"}, "ethnicity": {"01"}, "nationality": {"VN"}, "mother_pin": {motherPIN}, "father_pin": {"001095999999"}, "step": {"commit"}})
		if r.status != http.StatusForbidden || !strings.Contains(r.body, `id="error-summary"`) || !strings.Contains(r.body, `value="Lê Minh Khôi"`) || !strings.Contains(r.body, `value="001095999999"`) {
			t.Errorf("a father not in the register: %d", r.status)
		}
		// The register's reasons are shown in the officer's language.
		r = c.post("/register/events/birth", url.Values{"full_name": {"Lê Minh Khôi"}, "birth_date": {"2026-11-01"}, "sex": {"M"},
			"birth_place": {"00004"}, "ethnicity": {"01"}, "nationality": {"VN"}, "mother_pin": {motherPIN}, "hometown": {"98"}, "step": {"commit"}})
		if !strings.Contains(r.body, "&#34;98&#34; không phải mã của một đơn vị hành chính đang có hiệu lực") || strings.Contains(r.body, "is not the code of a unit in force") {
			t.Errorf("the hometown's reason is not in Vietnamese:\n%s", r.body)
		}
	})
}

func TestRegisterBirthAndFollowToHousehold(t *testing.T) {
	dbtest.Engines(t, testSchemas, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		c := e.client()
		c.signIn("registrar")
		reads := func() int {
			e.alog.Sync(context.Background(), time.Second)
			var n int
			if err := d.QueryRowContext(context.Background(), "SELECT count(*) FROM audit_log WHERE subject = $1 AND action = $2", motherPIN, string(auth.ReadPerson)).Scan(&n); err != nil {
				t.Fatal(err)
			}
			return n
		}
		c.get("/register/events/birth")
		form := url.Values{
			"full_name": {"Lê Minh Khôi"}, "birth_date.day": {"1"}, "birth_date.month": {"11"}, "birth_date.year": {"2026"}, "sex": {"M"}, "birth_place": {"00004"},
			"hometown": {"01"}, "ethnicity": {"01"}, "nationality": {"VN"}, "mother_pin": {motherPIN}, "father_pin": {fatherPIN},
			"effective_date": {"2026-11-10"}, "reason": {"Giấy chứng sinh số 123"}, "legal_basis": {"Luật Hộ tịch 2014, Điều 16"},
		}
		// The form goes first to its check page, which names the parents
		// and records nothing; it reads the mother several times (the
		// rules, then what it shows), and records one read of her.
		before := reads()
		r := c.post("/register/events/birth", form)
		if n := reads() - before; n != 1 {
			t.Errorf("the check page recorded %d reads of the mother, want 1", n)
		}
		for _, want := range []string{`id="check-answers"`, "Nguyễn Thị Mai", "Lê Văn Cường", "02/09/1995", "01/11/2026", "Phường Ba Đình", "<dd>Việt Nam</dd>",
			`name="step" value="commit"`, `name="birth_date" value="01/11/2026"`,
			// Each party's card names a spouse (a marriage's check shows one
			// already married).
			`<a href="/register/persons/` + fatherPIN + `">` + fatherPIN + `</a>`} {
			if r.status != http.StatusOK || !strings.Contains(r.body, want) {
				t.Errorf("check page: %d, lacks %q", r.status, want)
			}
		}
		if loc := r.header.Get("Location"); loc != "" {
			t.Fatalf("the check page registered the birth: %s", loc)
		}
		// A day the month does not have comes back in its own box, the
		// message naming it.
		bad := url.Values{}
		for k, v := range form {
			bad[k] = v
		}
		bad.Set("birth_date.day", "31")
		bad.Set("birth_date.month", "02")
		bad.Set("birth_date.year", "2025")
		if r := c.post("/register/events/birth", bad); r.status != http.StatusUnprocessableEntity || !strings.Contains(r.body, `name="birth_date.day" value="31"`) ||
			!strings.Contains(r.body, `name="birth_date.month" value="02"`) || !strings.Contains(r.body, `name="birth_date.year" value="2025"`) ||
			!strings.Contains(r.body, "tháng 02/2025 không có ngày 31 (tháng này có 28 ngày)") {
			t.Errorf("31 February: %d\n%s", r.status, r.body)
		}
		// Sent back to change, the form keeps the answers.
		form.Set("step", "edit")
		if r := c.post("/register/events/birth", form); !strings.Contains(r.body, `name="birth_date.day" value="01"`) || !strings.Contains(r.body, `value="Lê Minh Khôi"`) {
			t.Errorf("form sent back to change lacks the answers:\n%s", r.body)
		}
		form.Set("step", "commit")
		r = c.post("/register/events/birth", form)
		loc := r.header.Get("Location")
		if r.status != http.StatusSeeOther || !strings.HasPrefix(loc, "/register/persons/") {
			t.Fatalf("birth: %d → %q\n%s", r.status, loc, r.body)
		}
		child := strings.TrimPrefix(loc, "/register/persons/")
		if _, parts, err := pin.Parse(child); err != nil || parts.BirthYear != 2026 {
			t.Fatalf("child's PIN %q: %v %+v", child, err, parts)
		}
		r = c.get(loc)
		for _, want := range []string{"Đã đăng ký khai sinh", "Lê Minh Khôi", "01/11/2026", "Phường Ba Đình", "Đăng ký khai sinh", "Luật Hộ tịch 2014, Điều 16", householdID} {
			if !strings.Contains(r.body, want) {
				t.Errorf("child's page lacks %q", want)
			}
		}
		// The history names the parents beside their PINs.
		if !strings.Contains(r.body, "Nguyễn Thị Mai ("+motherPIN+")") {
			t.Errorf("the history does not name the mother beside her PIN")
		}
		// The history names the officer and the role in words, not the account.
		if !strings.Contains(r.body, "Công chức tư pháp – hộ tịch, Phường Ba Đình") || strings.Contains(r.body, "staff:registrar") {
			t.Errorf("the history does not name the officer in words")
		}
		if strings.Contains(c.get(loc).body, "Đã đăng ký khai sinh và cấp") {
			t.Error("the success notice shows twice")
		}
		r = c.get("/register/households/" + householdID)
		if !strings.Contains(r.body, `href="/register/persons/`+child+`"`) || !strings.Contains(r.body, "Thành viên (3)") {
			t.Errorf("household page lacks the child\n%s", r.body)
		}
		// The registrar registers the next birth into it from there.
		if !strings.Contains(r.body, `href="/register/events/birth?household_id=`+householdID+`"`) {
			t.Error("the household page does not lead to a birth into it")
		}
	})
}

func TestPersonPageAndAsOf(t *testing.T) {
	dbtest.Engines(t, testSchemas, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		c := e.client()
		c.signIn("service")
		r := c.get("/register/persons/" + motherPIN)
		for _, want := range []string{"Nguyễn Thị Mai", "02/09/1995", "Nữ", "Kinh", "Việt Nam", "12 Phố Phan Đình Phùng, Phường Ba Đình, Thành phố Hà Nội",
			`href="/register/persons/` + fatherPIN + `"`, `href="/register/households/` + householdID + `"`, "Lê Văn Cường", "Còn sống"} {
			if !strings.Contains(r.body, want) {
				t.Errorf("person page lacks %q", want)
			}
		}
		if strings.Contains(r.body, "/register/events/death") {
			t.Error("a service officer is offered the death form")
		}
		// The registrar's links open the forms with the person filled in
		// (the query as written, "=" not escaped).
		reg := e.client()
		reg.signIn("registrar")
		if r := reg.get("/register/persons/" + motherPIN); !strings.Contains(r.body, `href="/register/events/death?pin=`+motherPIN+`"`) {
			t.Errorf("the death link does not fill in the PIN: %s", regexp.MustCompile(`href="/register/events/death[^"]*"`).FindString(r.body))
		}
		r = c.get("/register/persons/" + motherPIN + "?asof=1995-09-01")
		if !strings.Contains(r.body, "hồ sơ chưa tồn tại vào ngày 01/09/1995") {
			t.Errorf("as of a day before the birth: %d\n%s", r.status, r.body)
		}
		r = c.get("/register/persons/" + motherPIN + "?asof=2099-01-01")
		if !strings.Contains(r.body, "ngày 01/01/2099 ở trong tương lai") {
			t.Errorf("as of a day in the future: %d\n%s", r.status, r.body)
		}
		r = c.get("/register/persons/" + motherPIN + "?asof=2021-06-01")
		if !strings.Contains(r.body, "Đang hiển thị hồ sơ như vào cuối ngày 01/06/2021") {
			t.Errorf("as of 2021: %d", r.status)
		}
		// A province-level officer gets the same refusal for a PIN that does
		// not exist as for one out of reach; a nation-wide one is told it
		// does not exist.
		if r := c.get("/register/persons/001195999999"); r.status != http.StatusForbidden {
			t.Errorf("unknown PIN, province-level officer: %d", r.status)
		}
		nation := e.client()
		nation.signIn("auditor")
		if r := nation.get("/register/persons/001195999999"); r.status != http.StatusNotFound || !strings.Contains(r.body, "Không tìm thấy") {
			t.Errorf("unknown PIN, nation-wide officer: %d", r.status)
		}
	})
}

func TestForbiddenPage(t *testing.T) {
	dbtest.Engines(t, testSchemas, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		c := e.client()
		c.signIn("registrar.hcm")
		r := c.get("/register/persons/" + motherPIN)
		if r.status != http.StatusForbidden || !strings.Contains(r.body, "Không có quyền truy cập") || strings.Contains(r.body, "Nguyễn Thị Mai") {
			t.Errorf("person outside reach: %d\n%s", r.status, r.body)
		}
		c = e.client()
		c.signIn("admin")
		r = c.get("/")
		if strings.Contains(r.body, `href="/register/search"`) || strings.Contains(r.body, `href="/register/events"`) {
			t.Error("the admin is shown register menus")
		}
		if r := c.get("/register/households/" + householdID); r.status != http.StatusForbidden {
			t.Errorf("admin opens a household: %d", r.status)
		}
	})
}

func TestSearchPages(t *testing.T) {
	dbtest.Engines(t, testSchemas, func(t *testing.T, d *db.DB) {
		c := newEnv(t, d).client()
		c.signIn("registrar")
		r := c.get("/register/search?name=nguyen+van+binh&birth=1993")
		if r.status != 200 || strings.Count(r.body, `<td class="mono">`) != 20 {
			t.Fatalf("first page: %d, %d rows", r.status, strings.Count(r.body, `<td class="mono">`))
		}
		next := regexp.MustCompile(`href="(/register/search\?[^"]+)" rel="next"`).FindStringSubmatch(r.body)
		if next == nil {
			t.Fatal("no next page link")
		}
		r = c.get(strings.ReplaceAll(next[1], "&amp;", "&"))
		if strings.Count(r.body, `<td class="mono">`) != 2 || !strings.Contains(r.body, "« Trang đầu") {
			t.Errorf("second page: %d rows", strings.Count(r.body, `<td class="mono">`))
		}
		r = c.get("/register/search?name=n&birth=1993-13")
		if r.status != http.StatusUnprocessableEntity || !strings.Contains(r.body, `href="#f-birth"`) {
			t.Errorf("bad date: %d", r.status)
		}
		r = c.get("/register/search?name=n")
		if r.status != http.StatusUnprocessableEntity || !strings.Contains(r.body, `href="#f-name"`) {
			t.Errorf("one letter: %d", r.status)
		}
	})
}

func TestLanguageSwitch(t *testing.T) {
	dbtest.Engines(t, testSchemas, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		c := e.client()
		if r := c.get("/login"); !strings.Contains(r.body, `<html lang="vi">`) || !strings.Contains(r.body, "Đăng nhập") {
			t.Error("default language is not Vietnamese")
		}
		if r := c.get("/login", "Accept-Language", "en-GB,en;q=0.8"); !strings.Contains(r.body, `<html lang="en">`) {
			t.Error("Accept-Language: en is not honoured")
		}
		r := c.get("/lang/en?next=%2Flogin")
		if r.status != http.StatusSeeOther || r.header.Get("Location") != "/login" {
			t.Fatalf("switch: %d → %q", r.status, r.header.Get("Location"))
		}
		r = c.get("/login", "Accept-Language", "vi")
		if !strings.Contains(r.body, `<html lang="en">`) || !strings.Contains(r.body, "Sign in") {
			t.Error("the lang cookie does not win over Accept-Language")
		}
		c.signIn("registrar")
		r = c.get("/register/persons/" + motherPIN)
		for _, want := range []string{"Citizen record", "Female", "Spouse", "Alive", "Vietnam"} {
			if !strings.Contains(r.body, want) {
				t.Errorf("English person page lacks %q", want)
			}
		}
		if r := c.get("/lang/xx"); r.status != http.StatusNotFound {
			t.Errorf("unknown language: %d", r.status)
		}
	})
}

func TestEveryFormRenders(t *testing.T) {
	dbtest.Engines(t, testSchemas, func(t *testing.T, d *db.DB) {
		c := newEnv(t, d).client()
		c.signIn("registrar")
		for _, lang := range []string{"vi", "en"} {
			c.get("/lang/" + lang)
			for _, slug := range []string{"birth", "death", "marriage", "divorce", "residence", "residence-removal", "correction"} {
				if r := c.get("/register/events/" + slug + "?pin=" + motherPIN); r.status != 200 {
					t.Errorf("%s form (%s): %d", slug, lang, r.status)
				}
			}
			c.get("/register/events")
			c.get("/")
			c.get("/register/search")
		}
	})
}

func TestStaticFiles(t *testing.T) {
	dbtest.Engines(t, testSchemas, func(t *testing.T, d *db.DB) {
		c := newEnv(t, d).client()
		page := c.get("/login").body
		m := regexp.MustCompile(`href="(/static/populus\.css\?v=[0-9a-f]+)"`).FindStringSubmatch(page)
		if m == nil {
			t.Fatal("no versioned stylesheet link")
		}
		r := c.get(m[1])
		if r.status != 200 || !strings.HasPrefix(r.header.Get("Content-Type"), "text/css") || !strings.Contains(r.header.Get("Cache-Control"), "immutable") {
			t.Errorf("stylesheet: %d %q %q", r.status, r.header.Get("Content-Type"), r.header.Get("Cache-Control"))
		}
		if r := c.get("/static/"); r.status != http.StatusNotFound {
			t.Errorf("directory listing: %d", r.status)
		}
		// The icon, named by every page: browsers ask no /favicon.ico.
		if m := regexp.MustCompile(`<link rel="icon" href="(/static/favicon\.svg\?v=[0-9a-f]+)"`).FindStringSubmatch(page); m == nil {
			t.Error("no icon link")
		} else if r := c.get(m[1]); r.status != 200 || r.header.Get("Content-Type") != "image/svg+xml" {
			t.Errorf("icon: %d %q", r.status, r.header.Get("Content-Type"))
		}
	})
}

func TestDemoNotice(t *testing.T) {
	dbtest.Engines(t, testSchemas, func(t *testing.T, d *db.DB) {
		r := newEnvDemo(t, d, true).client().get("/login")
		// The staff's accounts, and the citizens' way in: their PINs, the
		// portal, the demo bank and the SMS outbox.
		for _, want := range []string{"Tài khoản dùng thử", "registrar.badinh", "populus-demo-2025", "Toàn quốc",
			`id="demo-citizens"`, "001190000001", "Nguyễn Thị Lan", `href="/eid/signin"`, `href="/demo-bank/"`, `href="/identity/outbox"`} {
			if !strings.Contains(r.body, want) {
				t.Errorf("demo sign-in page lacks %q", want)
			}
		}
		if body := newEnvDemo(t, dbtest.SQLite(t, testSchemas...), false).client().get("/login").body; strings.Contains(body, "populus-demo") ||
			strings.Contains(body, "001190000001") || !strings.Contains(body, `href="/eid/signin"`) {
			t.Error("the demo's accounts show outside a demo, or the citizens' way in is missing")
		}
	})
}

// The audit log's page: a nation-wide auditor sees who read a record,
// newest first, and the menu leads there; a registrar has neither, and a
// subject too long is refused on the form.
func TestAuditLogPage(t *testing.T) {
	dbtest.Engines(t, testSchemas, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		reg := e.client()
		reg.signIn("registrar")
		if r := reg.get("/register/persons/" + motherPIN); r.status != 200 {
			t.Fatalf("registrar reads the mother: %d", r.status)
		}
		if r := reg.get("/"); strings.Contains(r.body, `href="/audit"`) {
			t.Error("a registrar is shown the audit log's menu")
		}
		if r := reg.get("/audit?subject=" + motherPIN); r.status != http.StatusForbidden || strings.Contains(r.body, "staff:registrar") {
			t.Errorf("a registrar opens the audit log: %d", r.status)
		}

		aud := e.client()
		aud.signIn("auditor")
		if r := aud.get("/"); !strings.Contains(r.body, `href="/audit"`) {
			t.Error("the auditor is not shown the audit log's menu")
		}
		r := aud.get("/audit?subject=" + motherPIN)
		if r.status != 200 {
			t.Fatalf("auditor: %d\n%s", r.status, r.body)
		}
		for _, want := range []string{"Nhật ký truy cập dữ liệu", "Nguyễn Thị Hoa", "Công chức tư pháp – hộ tịch", "Xem hồ sơ công dân", "Được phép", motherPIN} {
			if !strings.Contains(r.body, want) {
				t.Errorf("the page lacks %q", want)
			}
		}
		if strings.Contains(r.body, fatherPIN) {
			t.Error("entries about another person are listed")
		}
		// People by name and role, actions in words: no audit code.
		for _, code := range []string{"staff:registrar", ">person.read<"} {
			if strings.Contains(r.body, code) {
				t.Errorf("the page shows the code %q", code)
			}
		}
		if r := aud.get("/audit?subject=" + strings.Repeat("9", 70)); r.status != http.StatusUnprocessableEntity || !strings.Contains(r.body, `href="#f-subject"`) {
			t.Errorf("a long subject: %d", r.status)
		}
	})
}
