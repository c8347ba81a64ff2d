package web_test

import (
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/populus-vn/populus/internal/browsertest"
	"github.com/populus-vn/populus/internal/db"
	"github.com/populus-vn/populus/internal/db/dbtest"
	"github.com/populus-vn/populus/internal/pin"
)

// TestBrowserBirthRegistration drives the UI in headless Chromium, under
// the real CSP: sign in as a registrar, register a birth, follow the
// redirect to the child's page, open the household and find the child
// there. It runs only with POPULUS_TEST_BROWSER=1 and fails, rather than
// skips, when Chromium cannot start then. With POPULUS_SCREENSHOTS=dir it
// saves screenshots of the main pages there.
func TestBrowserBirthRegistration(t *testing.T) {
	browsertest.Require(t)
	dbtest.Engines(t, testSchemas, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		// Any CSP violation or script error on a page fails the test;
		// network errors are not counted, being the 4xx answers the
		// scenario provokes.
		ctx, problems := browsertest.Start(t, 60*time.Second)
		shot := browsertest.Screenshots(t)
		base := e.srv.URL
		err := chromedp.Do(ctx,
			chromedp.Navigate(base+"/lang/vi?next=%2Fregister%2Fsearch%3Fname%3Dnguyen"),
			chromedp.WaitVisible(chromedp.ID("f-username")),
			shot("login"),
			signIn("registrar"),
			chromedp.WaitVisible(chromedp.CSS(`table.table`)),
			shot("search"),

			chromedp.Navigate(base+"/"),
			chromedp.WaitVisible(chromedp.ID("quick-search")),
			shot("dashboard"),

			// Sent empty, the form comes back with its mistakes listed.
			chromedp.Navigate(base+"/register/events/birth"),
			chromedp.WaitVisible(chromedp.ID("f-full_name")),
			chromedp.Click(chromedp.CSS(`form.event-form button[type=submit]`)),
			chromedp.WaitVisible(chromedp.ID("error-summary")),
			shot("birth-errors"),
			chromedp.SendKeys(chromedp.ID("f-full_name"), "Lê Minh Khôi"),
			chromedp.SendKeys(chromedp.ID("f-birth_date"), "01"),
			chromedp.SendKeys(chromedp.ID("f-birth_date-month"), "11"),
			chromedp.SendKeys(chromedp.ID("f-birth_date-year"), "2026"),
			chromedp.Click(chromedp.ID("f-sex")),
			chromedp.SendKeys(chromedp.ID("f-hometown"), "01"),
			chromedp.SendKeys(chromedp.ID("f-mother_pin"), motherPIN),
			chromedp.SendKeys(chromedp.ID("f-father_pin"), fatherPIN),
			// The form proposes today, in Vietnam; a fixed day keeps the
			// test independent of the hour it runs at.
			chromedp.SetValue(chromedp.ID("f-effective_date"), "10"),
			chromedp.SetValue(chromedp.ID("f-effective_date-month"), "11"),
			chromedp.SetValue(chromedp.ID("f-effective_date-year"), "2026"),
			chromedp.SendKeys(chromedp.ID("f-reason"), "Giấy chứng sinh số 123/BV"),
			chromedp.SendKeys(chromedp.ID("f-legal_basis"), "Luật Hộ tịch 2014, Điều 16"),
			chromedp.Click(chromedp.CSS(`form.event-form button[type=submit]`)),
			// The check page names the parents before anything is recorded.
			chromedp.WaitVisible(chromedp.ID("check-answers")),
			shot("birth-check"),
			chromedp.Click(chromedp.ID("confirm")),
			chromedp.WaitVisible(chromedp.CSS(`.alert-success`)),
		)
		if err != nil {
			t.Fatalf("browser scenario up to the birth: %v\n%s", err, browsertest.DumpMain(ctx))
		}
		url, err := chromedp.Run(ctx, chromedp.Location())
		if err != nil {
			t.Fatal(err)
		}
		heading, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS("h1")))
		if err != nil {
			t.Fatal(err)
		}
		err = chromedp.Do(ctx,
			shot("person"),
			chromedp.Click(chromedp.CSS(`a[href^="/register/households/"]`)),
			chromedp.WaitVisible(chromedp.ID("h-members")),
			shot("household"),
		)
		if err != nil {
			t.Fatalf("browser scenario, household: %v\n%s", err, browsertest.DumpMain(ctx))
		}
		household, err := chromedp.Run(ctx, chromedp.OuterHTML(chromedp.CSS("main")))
		if err != nil {
			t.Fatal(err)
		}
		child := strings.TrimPrefix(url, base+"/register/persons/")
		if _, _, err := pin.Parse(child); err != nil {
			t.Fatalf("after the birth the browser is at %s: %v", url, err)
		}
		if heading != "Lê Minh Khôi" {
			t.Errorf("child's page heading = %q", heading)
		}
		if !strings.Contains(household, `href="/register/persons/`+child+`"`) {
			t.Errorf("the household page does not list the child %s", child)
		}
		if p := problems(); len(p) > 0 {
			t.Errorf("the browser reported errors (CSP?):\n%s", strings.Join(p, "\n"))
		}
	})
}

// TestBrowserAuditLog: an auditor reads a record, then finds that read in
// the audit log's page, under the real CSP (screenshot "audit").
func TestBrowserAuditLog(t *testing.T) {
	browsertest.Require(t)
	dbtest.Engines(t, testSchemas, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		ctx, problems := browsertest.Start(t, 60*time.Second)
		shot := browsertest.Screenshots(t)
		base := e.srv.URL
		err := chromedp.Do(ctx,
			chromedp.Navigate(base+"/lang/vi?next=%2Fregister%2Fpersons%2F"+motherPIN),
			chromedp.WaitVisible(chromedp.ID("f-username")),
			signIn("auditor"),
			chromedp.WaitVisible(chromedp.CSS(`h1`)),
			chromedp.Click(chromedp.CSS(`nav.main-nav a[href="/audit"]`)),
			chromedp.WaitVisible(chromedp.ID("f-subject")),
			chromedp.SendKeys(chromedp.ID("f-subject"), motherPIN),
			chromedp.Click(chromedp.CSS(`form[action="/audit"] button[type=submit]`)),
			// The page before the search has a table too: wait for the one
			// the search returns, whose field holds the PIN as sent.
			chromedp.WaitVisible(chromedp.CSS(`input#f-subject[value="`+motherPIN+`"]`)),
			chromedp.WaitVisible(chromedp.CSS(`table.table`)),
			shot("audit"),
		)
		if err != nil {
			t.Fatalf("browser scenario: %v\n%s", err, browsertest.DumpMain(ctx))
		}
		rows, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(`table.table tbody`)))
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(rows, "Đỗ Minh Tâm") || !strings.Contains(rows, "Xem hồ sơ công dân") || !strings.Contains(rows, motherPIN) {
			t.Errorf("the audit log does not show the auditor's read of %s:\n%s", motherPIN, rows)
		}
		if p := problems(); len(p) > 0 {
			t.Errorf("the browser reported errors (CSP?):\n%s", strings.Join(p, "\n"))
		}
	})
}

// TestBrowserAdministratorCreatesRegistrar: an administrator signs in,
// creates the account of a registrar of Phường Ba Đình from the pages; the
// registrar signs in with the initial password, is made to choose their
// own, and lands on their dashboard. Screenshots "staff-*" and
// "registrar-*"; an unknown address gives the 404 page ("not-found").
func TestBrowserAdministratorCreatesRegistrar(t *testing.T) {
	browsertest.Require(t)
	dbtest.Engines(t, testSchemas, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		ctx, problems := browsertest.Start(t, 60*time.Second)
		shot := browsertest.Screenshots(t)
		base := e.srv.URL
		const initial, own = "mật khẩu ban đầu 2026", "câu mật khẩu của riêng tôi"
		err := chromedp.Do(ctx,
			chromedp.Navigate(base+"/lang/vi?next=%2F"),
			chromedp.WaitVisible(chromedp.ID("f-username")),
			signIn("admin"),
			chromedp.WaitVisible(chromedp.ID("card-staff")),
			shot("staff-dashboard"),
			chromedp.Click(chromedp.CSS(`nav.main-nav a[href="/admin/staff"]`)),
			chromedp.WaitVisible(chromedp.CSS(`table.table`)),
			shot("staff-list"),
			chromedp.Click(chromedp.CSS(`main a[href="/admin/staff/new"]`)),
			chromedp.WaitVisible(chromedp.ID("f-display_name")),
			chromedp.SendKeys(chromedp.ID("f-display_name"), "Trần Thị Hộ Tịch"),
			chromedp.SendKeys(chromedp.ID("f-username"), "hotich.badinh"),
			chromedp.SetValue(chromedp.ID("f-role"), "registrar"),
			chromedp.SetValue(chromedp.ID("f-unit_code"), "00004"),
			chromedp.SendKeys(chromedp.ID("f-password"), initial),
			shot("staff-new"),
			chromedp.Click(chromedp.CSS(`form[action="/admin/staff/new"] button[type=submit]`)),
			chromedp.WaitVisible(chromedp.CSS(`.alert-success`)),
			shot("staff-account"),
			chromedp.Click(chromedp.CSS(`form.logout button`)),
			chromedp.WaitVisible(chromedp.ID("f-username")),

			chromedp.SendKeys(chromedp.ID("f-username"), "hotich.badinh"),
			chromedp.SendKeys(chromedp.ID("f-password"), initial),
			chromedp.Click(chromedp.CSS(`form[action="/login"] button[type=submit]`)),
			chromedp.WaitVisible(chromedp.ID("f-current_password")),
			shot("registrar-password"),
			chromedp.SendKeys(chromedp.ID("f-current_password"), initial),
			chromedp.SendKeys(chromedp.ID("f-new_password"), own),
			chromedp.SendKeys(chromedp.ID("f-new_password_again"), own),
			chromedp.Click(chromedp.CSS(`form[action="/account/password"] button[type=submit]`)),
			chromedp.WaitVisible(chromedp.ID("quick-search")),
			shot("registrar-dashboard"),
		)
		if err != nil {
			t.Fatalf("browser scenario: %v\n%s", err, browsertest.DumpMain(ctx))
		}
		header, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(`header .user`)))
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(header, "Trần Thị Hộ Tịch") || !strings.Contains(header, "Phường Ba Đình") {
			t.Errorf("the registrar's header: %q", header)
		}
		err = chromedp.Do(ctx,
			chromedp.Navigate(base+"/khong/co/trang/nay"),
			chromedp.WaitVisible(chromedp.ID("error-title")),
			shot("not-found"),
		)
		if err != nil {
			t.Fatalf("the 404 page: %v\n%s", err, browsertest.DumpMain(ctx))
		}
		if title, _ := chromedp.Run(ctx, chromedp.Text(chromedp.ID("error-title"))); title != "Không tìm thấy" {
			t.Errorf("the 404 page's title: %q", title)
		}
		if p := problems(); len(p) > 0 {
			t.Errorf("the browser reported errors (CSP?):\n%s", strings.Join(p, "\n"))
		}
	})
}

// signIn fills and sends the sign-in form the browser shows, as user.
func signIn(user string) chromedp.Action[chromedp.Void] {
	return chromedp.Steps(
		chromedp.SendKeys(chromedp.ID("f-username"), user),
		chromedp.SendKeys(chromedp.ID("f-password"), password),
		chromedp.Click(chromedp.CSS(`form[action="/login"] button[type=submit]`)),
	)
}
