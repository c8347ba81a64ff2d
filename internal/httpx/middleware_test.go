package httpx

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// TestSecurityHeaders checks the headers of a page and of an API answer,
// that a handler's own Cache-Control wins, and that a handler adding a value
// does not change the shared header values of later responses.
func TestSecurityHeaders(t *testing.T) {
	h := SecurityHeaders(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/api/v1/openapi.json" {
			w.Header().Set("Cache-Control", "public, max-age=300")
		}
		if r.URL.Query().Has("add") {
			w.Header().Add("X-Content-Type-Options", "extra")
		}
		WriteJSON(w, http.StatusOK, map[string]string{"ok": "yes"})
	}))
	get := func(path string) http.Header {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest("GET", path, nil))
		return rec.Result().Header
	}
	for _, tc := range []struct {
		path                  string
		csp, cache, referrer  string
		nosniffValues, frames int
	}{
		{"/persons/001203000001", CSP, "", "same-origin", 1, 1},
		{"/api/v1/persons/001203000001", APICSP, "no-store", "", 1, 1},
		{"/api/v1/persons/001203000001?add", APICSP, "no-store", "", 2, 1},
		{"/api/v1/openapi.json", APICSP, "public, max-age=300", "", 1, 1},
		{"/api/v1/persons/001203000002", APICSP, "no-store", "", 1, 1},
		{"/r1/VN/GOV/BCA/C06-REGISTER/person/001203000001", APICSP, "no-store", "", 1, 1}, // the data exchange's API
	} {
		hd := get(tc.path)
		if got := hd.Get("Content-Security-Policy"); got != tc.csp {
			t.Errorf("%s: CSP %q, want %q", tc.path, got, tc.csp)
		}
		if got := hd.Get("Cache-Control"); got != tc.cache {
			t.Errorf("%s: Cache-Control %q, want %q", tc.path, got, tc.cache)
		}
		if got := hd.Get("Referrer-Policy"); got != tc.referrer {
			t.Errorf("%s: Referrer-Policy %q, want %q", tc.path, got, tc.referrer)
		}
		if got := hd.Values("X-Content-Type-Options"); len(got) != tc.nosniffValues || got[0] != "nosniff" {
			t.Errorf("%s: X-Content-Type-Options %q", tc.path, got)
		}
		if got := hd.Values("X-Frame-Options"); len(got) != tc.frames || got[0] != "DENY" {
			t.Errorf("%s: X-Frame-Options %q", tc.path, got)
		}
		if hd.Get("Strict-Transport-Security") != "" {
			t.Errorf("%s: HSTS without TLS", tc.path)
		}
	}
	if got, _ := json.Marshal(apiHeaders["X-Content-Type-Options"]); string(got) != `["nosniff"]` {
		t.Errorf("the shared header values changed: %s", got)
	}
}

// AllowFormTarget adds the origin of a relying party's address to the
// page's form-action, to that response alone, and nothing for an address
// that is not one.
func TestAllowFormTarget(t *testing.T) {
	for target, want := range map[string]string{
		"https://bank.example.vn/cb?x=1":     "form-action 'self' https://bank.example.vn;",
		"http://127.0.0.1:9000/callback":     "form-action 'self' http://127.0.0.1:9000;",
		"HTTPS://Bank.Example.VN/cb":         "form-action 'self' https://bank.example.vn;",
		"vn.gov.app:/oauth":                  "form-action 'self' vn.gov.app:;",
		"https://x.vn;script-src *":          "form-action 'self';",
		"https://user:pw@bank.example.vn/cb": "form-action 'self';",
		"/relative":                          "form-action 'self';",
		"":                                   "form-action 'self';",
		"https:///nohost":                    "form-action 'self';",
	} {
		rec := httptest.NewRecorder()
		securityHeaders(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { AllowFormTarget(w, target) }), false).
			ServeHTTP(rec, httptest.NewRequest("GET", "/eid/consent", nil))
		if got := rec.Header().Get("Content-Security-Policy"); !strings.Contains(got, want) {
			t.Errorf("%q: %s", target, got)
		}
	}
	if !strings.Contains(CSP, "form-action 'self';") {
		t.Error("the shared policy was changed")
	}
}
