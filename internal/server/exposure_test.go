package server

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// Behind a TLS proxy (Deps.HTTPS, from --secure-cookies) every response
// carries HSTS, though the request arrives in plain HTTP; without it, only
// a request over TLS gets it. The metrics are not served on the API's
// handler (populus serves them on a management listener).
func TestHSTSBehindTLSAndNoPublicMetrics(t *testing.T) {
	for _, https := range []bool{false, true} {
		h, err := New(Deps{Capabilities: allCapabilities(), Guards: openGuards(), HTTPS: https})
		if err != nil {
			t.Fatal(err)
		}
		for _, path := range []string{"/healthz", "/api/v1/openapi.json", "/no/such/page"} {
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, httptest.NewRequest("GET", path, nil))
			if got := rec.Header().Get("Strict-Transport-Security") != ""; got != https {
				t.Errorf("HTTPS %v, GET %s: HSTS sent %v", https, path, got)
			}
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
		if rec.Code == http.StatusOK || strings.Contains(rec.Body.String(), "populus_http_requests_total") {
			t.Errorf("GET /metrics on the API's handler: %d", rec.Code)
		}
	}
}
