package server

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/populus-vn/populus/internal/httpx"
	"github.com/populus-vn/populus/internal/problem"
)

// A request no route matches is answered as the server answers errors:
// under /api/ a problem document (404, or 405 with Allow), elsewhere the
// error page, behind the staff-optional guard; never the mux's bare text.
func TestUnmatchedRequests(t *testing.T) {
	var guarded int
	guards := openGuards()
	guards[httpx.AccessStaffOptional] = func(next http.Handler, _ httpx.ErrorWriter) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { guarded++; next.ServeHTTP(w, r) })
	}
	page := func(w http.ResponseWriter, r *http.Request, err error) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.WriteHeader(problem.BodyOf(err, r.URL.Path).Status)
		w.Write([]byte("<p>page:" + string(problem.KindOf(err)) + "</p>"))
	}
	h, err := New(Deps{Capabilities: allCapabilities(), Guards: guards, PageError: page})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		method, path string
		status       int
		problem      bool   // a problem document, else the page
		allow        string // the Allow header of a 405
	}{
		{"GET", "/api/v1/no-such-thing", 404, true, ""},
		// An API path not in its canonical form: a problem, not the
		// mux's redirect to another resource with an HTML body.
		{"GET", "/api//v1/openapi.json", 404, true, ""},
		{"GET", "/api/v1/units/../openapi.json", 404, true, ""},
		{"GET", "/r1/VN/GOV/BCA/C06-REGISTER/./person/1", 404, true, ""},
		{"DELETE", "/api/v1/openapi.json", 405, true, "GET, HEAD"},
		{"PUT", "/api/v1/units/01", 405, true, "GET, HEAD"},
		{"GET", "/no/such/page", 404, false, ""},
		{"DELETE", "/healthz", 405, false, "GET, HEAD"},
	} {
		w := httptest.NewRecorder()
		h.ServeHTTP(w, httptest.NewRequest(tc.method, tc.path, nil))
		ct := w.Header().Get("Content-Type")
		if w.Code != tc.status || w.Header().Get("Allow") != tc.allow {
			t.Errorf("%s %s: %d, Allow %q; want %d, %q", tc.method, tc.path, w.Code, w.Header().Get("Allow"), tc.status, tc.allow)
		}
		if tc.problem {
			var b problem.Body
			if ct != "application/problem+json" || json.Unmarshal(w.Body.Bytes(), &b) != nil || b.Status != tc.status || b.Detail == "" {
				t.Errorf("%s %s: %s %q, want a problem document", tc.method, tc.path, ct, w.Body)
			}
			if tc.status == 405 && !strings.Contains(b.Detail, tc.method) {
				t.Errorf("%s %s: the detail %q does not name the method", tc.method, tc.path, b.Detail)
			}
		} else if !strings.HasPrefix(ct, "text/html") || !strings.HasPrefix(w.Body.String(), "<p>page:") {
			t.Errorf("%s %s: %s %q, want the error page", tc.method, tc.path, ct, w.Body)
		}
	}
	if guarded != 2 {
		t.Errorf("%d of the 2 error pages went through the staff-optional guard", guarded)
	}
	// The mux's redirects are kept for pages.
	w := httptest.NewRecorder()
	h.ServeHTTP(w, httptest.NewRequest("GET", "/healthz/../healthz", nil))
	if w.Code != http.StatusTemporaryRedirect || w.Header().Get("Location") != "/healthz" {
		t.Errorf("an unclean path: %d to %q, want the mux's redirect to /healthz", w.Code, w.Header().Get("Location"))
	}
}
