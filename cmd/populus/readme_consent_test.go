package main

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/cookiejar"
	"regexp"
	"strings"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"

	"github.com/populus-vn/populus/internal/consent"
	"github.com/populus-vn/populus/internal/staff"
	datausage "github.com/populus-vn/populus/internal/usage"
)

// demoCitizenPIN is the first demo citizen the welcome prints.
var demoCitizenPIN = regexp.MustCompile(`demo citizens[^\n]*\n\s+(\d{12}) `)

// readmeConsentExamples runs the README's consent and "who used my data"
// examples against the demo (TestDemoEndToEnd): the first demo citizen
// signs in, gives a consent, reads its signed receipt (which verifies
// against the published keys), and sees the registrar's read of their
// record (call, signed in as registrar.badinh) by role and unit.
//
// It returns the citizen's signed-in caller, for the exchange's examples.
func readmeConsentExamples(t *testing.T, base, welcome string, call func(method, path, csrf string, body, out any) int) func(method, path, csrf string, body, out any) int {
	t.Helper()
	m := demoCitizenPIN.FindStringSubmatch(welcome)
	if m == nil {
		t.Fatalf("README: no demo citizen in the welcome:\n%s", welcome)
	}
	pin := m[1]
	if code := call("GET", "/api/v1/persons/"+pin, "", nil, nil); code != 200 {
		t.Fatalf("README: the registrar reads %s = %d", pin, code)
	}
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar, Timeout: 30 * time.Second}
	do := func(method, path, csrf string, body, out any) int {
		t.Helper()
		var b []byte
		if body != nil {
			b, _ = json.Marshal(body)
		}
		req, _ := http.NewRequest(method, base+path, bytes.NewReader(b))
		req.Header.Set("Content-Type", "application/json")
		if csrf != "" {
			req.Header.Set("X-CSRF-Token", csrf)
		}
		res, err := c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		if out != nil {
			json.NewDecoder(res.Body).Decode(out)
		}
		return res.StatusCode
	}
	var sess struct {
		CSRF string `json:"csrf_token"`
	}
	if code := do("POST", "/api/v1/identity/session", "", map[string]string{"pin": pin, "password": staff.DemoPassword}, &sess); code != 201 {
		t.Fatalf("README: the demo citizen signs in = %d", code)
	}
	// The consent page offers the demo bank's system, its purpose and the
	// fields its rights grant, to choose (the exchange's catalogue).
	if res, err := c.Get(base + "/eid/me/consents"); err != nil {
		t.Fatal(err)
	} else {
		b, _ := io.ReadAll(res.Body)
		res.Body.Close()
		for _, want := range []string{`<option value="VN/COM/VCB/EKYC">Ngân hàng Demo`, `<option value="KYC">`, `type="checkbox" id="f-fields" name="fields" value="full_name"`} {
			if res.StatusCode != 200 || !strings.Contains(string(b), want) {
				t.Errorf("the consent page: %d, no %s", res.StatusCode, want)
			}
		}
	}
	var page datausage.Page
	if code := do("GET", "/api/v1/usage/me?limit=20", "", nil, &page); code != 200 {
		t.Fatalf("README: who used my data = %d", code)
	}
	found := false
	for _, it := range page.Items {
		found = found || it.Organisation.Kind == "officer" && strings.HasPrefix(it.Receiver, "Cán bộ tư pháp – hộ tịch, Phường Ba Đình")
	}
	if !found {
		t.Errorf("README: the registrar's read is not in who used my data: %+v", page.Items)
	}
	var rec consent.Record
	g := map[string]any{"client": "VN/COM/VCB/EKYC", "purpose": "KYC", "purpose_description": "Định danh khách hàng",
		"fields": []string{"full_name", "birth_date"}, "valid_until": time.Now().AddDate(1, 0, 0).UTC().Format(time.RFC3339),
		"data_life_days": 30, "frequency": map[string]any{"max": 4, "period": "month"}}
	if code := do("POST", "/api/v1/consent/me/records", sess.CSRF, g, &rec); code != 201 || rec.ID == "" {
		t.Fatalf("README: give consent = %d %+v", code, rec)
	}
	var vs struct {
		Items []consent.Version `json:"items"`
	}
	var keys jose.JSONWebKeySet
	if code := do("GET", "/api/v1/consent/me/records/"+rec.ID+"/receipts", "", nil, &vs); code != 200 || len(vs.Items) != 1 {
		t.Fatalf("README: receipts = %d %+v", code, vs)
	}
	if code := do("GET", "/api/v1/consent/keys", "", nil, &keys); code != 200 {
		t.Fatalf("README: keys = %d", code)
	}
	if _, err := consent.Verify(vs.Items[0].Receipt, keys); err != nil {
		t.Errorf("README: the receipt does not verify: %v", err)
	}
	return do
}
