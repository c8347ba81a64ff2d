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

// TestBrowserBirthWithPickersThenAnnul drives the register's pickers and
// its safe acts in headless Chromium, under the real CSP: the registrar
// finds the mother and the father by given name with the person picker,
// chooses the place of birth with the unit picker, registers the birth
// through its check page, then annuls it from the child's history through
// the annulment's check page. Screenshots: birth-pickers, birth-check-names,
// child, annul-check, annulled.
func TestBrowserBirthWithPickersThenAnnul(t *testing.T) {
	browsertest.Require(t)
	dbtest.Engines(t, testSchemas, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		ctx, problems := browsertest.Start(t, 90*time.Second)
		shot := browsertest.Screenshots(t)
		base := e.srv.URL
		pick := func(field, name string) chromedp.Action[chromedp.Void] {
			return chromedp.Steps(
				chromedp.Click(chromedp.ID(field+"-open")),
				chromedp.WaitVisible(chromedp.ID(field+"-q")),
				chromedp.SendKeys(chromedp.ID(field+"-q"), name),
				chromedp.Click(chromedp.ID(field+"-find")),
				chromedp.WaitVisible(chromedp.CSS("#"+field+"-results button.picker-pick")),
				chromedp.Click(chromedp.CSS("#"+field+"-results button.picker-pick")),
				chromedp.WaitVisible(chromedp.ID(field+"-chosen")),
			)
		}
		err := chromedp.Do(ctx,
			chromedp.Navigate(base+"/lang/vi?next=%2Fregister%2Fevents%2Fbirth"),
			chromedp.WaitVisible(chromedp.ID("f-username")),
			signIn("registrar"),
			chromedp.WaitVisible(chromedp.ID("f-full_name")),
			chromedp.SendKeys(chromedp.ID("f-full_name"), "Lê Minh Khôi"),
			chromedp.SendKeys(chromedp.ID("f-birth_date"), "01"),
			chromedp.SendKeys(chromedp.ID("f-birth_date-month"), "11"),
			chromedp.SendKeys(chromedp.ID("f-birth_date-year"), "2026"),
			chromedp.Click(chromedp.ID("f-sex")),
			// The mother by her given name only, the father by given name
			// and surname in that order, without diacritics.
			pick("f-mother_pin", "mai"),
			pick("f-father_pin", "cuong le"),
			// The actual place of birth: a commune found by name.
			chromedp.SendKeys(chromedp.ID("f-actual_birth_place-unit_code-q"), "ba dinh"),
			chromedp.WaitVisible(chromedp.CSS("#f-actual_birth_place-unit_code-results button.picker-pick")),
			chromedp.Click(chromedp.CSS("#f-actual_birth_place-unit_code-results button.picker-pick")),
			chromedp.SendKeys(chromedp.ID("f-actual_birth_place-detail"), "Bệnh viện Phụ sản Hà Nội"),
			chromedp.SetValue(chromedp.ID("f-effective_date"), "10"),
			chromedp.SetValue(chromedp.ID("f-effective_date-month"), "11"),
			chromedp.SetValue(chromedp.ID("f-effective_date-year"), "2026"),
			chromedp.SendKeys(chromedp.ID("f-reason"), "Giấy chứng sinh số 123/BV"),
			chromedp.SendKeys(chromedp.ID("f-legal_basis"), "Luật Hộ tịch 2014, Điều 16"),
			shot("birth-pickers"),
			chromedp.Click(chromedp.CSS(`form.event-form button[type=submit]`)),
			chromedp.WaitVisible(chromedp.ID("check-answers")),
			shot("birth-check-names"),
		)
		if err != nil {
			t.Fatalf("browser scenario up to the check page: %v\n%s", err, browsertest.DumpMain(ctx))
		}
		check, err := chromedp.Run(ctx, chromedp.OuterHTML(chromedp.CSS("main")))
		if err != nil {
			t.Fatal(err)
		}
		for _, want := range []string{motherPIN, fatherPIN, "Nguyễn Thị Mai", "Lê Văn Cường", "Bệnh viện Phụ sản Hà Nội"} {
			if !strings.Contains(check, want) {
				t.Errorf("the check page lacks %q", want)
			}
		}
		err = chromedp.Do(ctx,
			chromedp.Click(chromedp.ID("confirm")),
			chromedp.WaitVisible(chromedp.CSS(`.alert-success`)),
			shot("child"),
		)
		if err != nil {
			t.Fatalf("browser scenario, confirming the birth: %v\n%s", err, browsertest.DumpMain(ctx))
		}
		url, err := chromedp.Run(ctx, chromedp.Location())
		if err != nil {
			t.Fatal(err)
		}
		child := strings.TrimPrefix(url, base+"/register/persons/")
		if _, _, err := pin.Parse(child); err != nil {
			t.Fatalf("after the birth the browser is at %s: %v", url, err)
		}
		err = chromedp.Do(ctx,
			chromedp.Click(chromedp.CSS(`a[href^="/register/events/annulment"]`)),
			chromedp.WaitVisible(chromedp.ID("f-reason")),
			chromedp.SendKeys(chromedp.ID("f-reason"), "Đăng ký trùng: trẻ đã được đăng ký khai sinh"),
			chromedp.SendKeys(chromedp.ID("f-legal_basis"), "Luật Hộ tịch 2014"),
			chromedp.Click(chromedp.CSS(`form.event-form button[type=submit]`)),
			chromedp.WaitVisible(chromedp.ID("h-act")),
			shot("annul-check"),
			chromedp.Click(chromedp.ID("confirm")),
			chromedp.WaitVisible(chromedp.CSS(`.alert-success`)),
			shot("annulled"),
		)
		if err != nil {
			t.Fatalf("browser scenario, annulling: %v\n%s", err, browsertest.DumpMain(ctx))
		}
		page, err := chromedp.Run(ctx, chromedp.OuterHTML(chromedp.CSS("main")))
		if err != nil {
			t.Fatal(err)
		}
		for _, want := range []string{"Đã hủy đăng ký", "Hủy bỏ việc đăng ký", "Đăng ký khai sinh", "Đăng ký trùng"} {
			if !strings.Contains(page, want) {
				t.Errorf("the annulled child's page lacks %q", want)
			}
		}
		if p := problems(); len(p) > 0 {
			t.Errorf("the browser reported errors (CSP?):\n%s", strings.Join(p, "\n"))
		}
	})
}
