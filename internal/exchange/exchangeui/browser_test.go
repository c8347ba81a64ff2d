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
	)
	if err != nil {
		t.Fatalf("onboarding: %v\n%s", err, browsertest.DumpMain(ctx))
	}
	// The fields offered follow the service chosen in the list (exchange.js).
	visible := func(field string) bool {
		v, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`(() => { const b = document.querySelector('#grant input[value="`+field+`"]'); return !!b && b.offsetParent !== null })()`))
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	if !visible("religion") || visible("age_at_least") {
		t.Errorf("the person look-up's fields: religion %v, age_at_least %v", visible("religion"), visible("age_at_least"))
	}
	// choose picks a service in the list, as a user does (a change event).
	choose := func(service string) {
		if _, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`(() => { const s = document.getElementById('f-right_service'); s.value = '`+service+`';
			return s.dispatchEvent(new Event('change')) })()`)); err != nil {
			t.Fatal(err)
		}
	}
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS(`#grant input[value="religion"]`))); err != nil {
		t.Fatal(err)
	}
	choose(exchange.Platform + "/verify")
	if visible("religion") || !visible("age_at_least") {
		t.Errorf("the verification's fields: religion %v, age_at_least %v", visible("religion"), visible("age_at_least"))
	}
	if ticked, _ := chromedp.Run(ctx, chromedp.Evaluate[bool](`document.querySelector('#grant input[value="religion"]').checked`)); ticked {
		t.Error("a hidden field stays ticked")
	}
	choose(exchange.Platform + "/person")
	err = chromedp.Do(ctx,
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
	// The bank publishes its own service from the page.
	err = chromedp.Do(ctx,
		chromedp.SetValue(chromedp.ID("f-service_provider"), "VN/COM/VCB/EKYC"),
		chromedp.SendKeys(chromedp.ID("f-service_code"), "accounts"),
		chromedp.SendKeys(chromedp.ID("f-service_title"), "Tra cứu tài khoản"),
		chromedp.SendKeys(chromedp.ID("f-base_url"), "https://api.vcb.example/kyc"),
		chromedp.SendKeys(chromedp.ID("f-service_fields"), "account, open_date"),
		chromedp.SendKeys(chromedp.ID("f-endpoints"), "GET /accounts/{id}"),
		chromedp.SendKeys(chromedp.ID("f-openapi"), `{"openapi":"3.0.3","info":{"title":"Tài khoản","version":"1"},"paths":{}}`),
		shot("exchange-publish"),
		chromedp.Click(chromedp.CSS("#publish button[type=submit]")),
		chromedp.WaitVisible(chromedp.CSS(".alert-success")),
		chromedp.WaitReady(chromedp.CSS(`input[name="id"][value="VN/COM/VCB/EKYC/accounts"]`)),
	)
	if err != nil {
		t.Fatalf("publish: %v\n%s", err, browsertest.DumpMain(ctx))
	}
	if s, err := st.x.Service(context.Background(), "VN/COM/VCB/EKYC/accounts"); err != nil || s.BaseURL != "https://api.vcb.example/kyc" {
		t.Errorf("the service published in the browser: %+v %v", s, err)
	}
	rs, err := st.x.Rights(context.Background(), "VN/COM/VCB/EKYC")
	if err != nil || len(rs) != 1 || rs[0].Service != exchange.Platform+"/person" || strings.Join(rs[0].Fields, ",") != "full_name,birth_date" || strings.Join(rs[0].Purposes, ",") != "KYC" {
		t.Errorf("the right granted in the browser: %+v %v", rs, err)
	}
	if p := problems(); len(p) > 0 {
		t.Errorf("page problems: %s", strings.Join(p, "\n"))
	}
}
