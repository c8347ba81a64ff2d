package exchangeui_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/populus-vn/populus/internal/browsertest"
	"github.com/populus-vn/populus/internal/exchange"
)

// In headless Chromium, under the real CSP: the national administrator
// adds a bank's system, follows a service's link to the grant form and
// grants it two fields for KYC; the page says so and lists the right.
func TestBrowserOnboarding(t *testing.T) {
	browsertest.Require(t)
	st := newSite(t)
	if _, err := st.x.AddMember(context.Background(), exchange.Member{ID: "VN/COM/VCB", Name: "Ngân hàng Demo"}); err != nil {
		t.Fatal(err)
	}
	ctx, problems := browsertest.Start(t, 60*time.Second)
	shot := browsertest.Screenshots(t)
	if err := chromedp.Do(ctx, chromedp.Navigate(st.srv.URL+"/login")); err != nil {
		t.Fatal(err)
	}
	signedIn, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`document.cookie = "lang=vi; path=/"; fetch("/api/v1/session", {method: "POST", headers: {"Content-Type": "application/json"},
		body: JSON.stringify({username: "admin", password: "`+password+`"})}).then(r => r.status === 201)`, chromedp.EvalAwaitPromise))
	if err != nil || !signedIn {
		t.Fatalf("sign in: %v %v", signedIn, err)
	}
	err = chromedp.Do(ctx,
		chromedp.Navigate(st.srv.URL+"/exchange"),
		chromedp.WaitVisible(chromedp.ID("add-subsystem")),
		chromedp.SetValue(chromedp.ID("f-subsystem_member"), "VN/COM/VCB"),
		chromedp.SendKeys(chromedp.ID("f-subsystem_code"), "EKYC"),
		chromedp.SendKeys(chromedp.ID("f-subsystem_name"), "Định danh khách hàng"),
		chromedp.Click(chromedp.CSS("#add-subsystem button[type=submit]")),
		chromedp.WaitVisible(chromedp.CSS(".alert-success")),
		chromedp.Click(chromedp.CSS(`a[href$="person#grant"]`)),
		chromedp.WaitVisible(chromedp.ID("grant")),
		chromedp.SetValue(chromedp.ID("f-right_subsystem"), "VN/COM/VCB/EKYC"),
		chromedp.Click(chromedp.CSS(`#grant input[value="full_name"]`)),
		chromedp.Click(chromedp.CSS(`#grant input[value="birth_date"]`)),
		chromedp.Click(chromedp.CSS(`#grant input[value="KYC"]`)),
		shot("exchange-grant"),
		chromedp.Click(chromedp.CSS("#grant button[type=submit]")),
		chromedp.WaitVisible(chromedp.CSS(".alert-success")),
	)
	if err != nil {
		t.Fatalf("onboarding: %v\n%s", err, browsertest.DumpMain(ctx))
	}
	rs, err := st.x.Rights(context.Background(), "VN/COM/VCB/EKYC")
	if err != nil || len(rs) != 1 || rs[0].Service != exchange.Platform+"/person" || strings.Join(rs[0].Fields, ",") != "full_name,birth_date" || strings.Join(rs[0].Purposes, ",") != "KYC" {
		t.Errorf("the right granted in the browser: %+v %v", rs, err)
	}
	if p := problems(); len(p) > 0 {
		t.Errorf("page problems: %s", strings.Join(p, "\n"))
	}
}
