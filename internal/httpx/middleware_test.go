package httpx

import (
	"bytes"
	"encoding/json"
	"log/slog"
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

// TestObserveLogLevels checks the level of each request's log line: debug
// for a success, info for a client error, warn for a server error, and
// that the line names the route pattern, never the path with its PIN.
func TestObserveLogLevels(t *testing.T) {
	var buf bytes.Buffer
	logger := slog.New(slog.NewJSONHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug}))
	mux := http.NewServeMux()
	mux.HandleFunc("GET /p/{pin}", func(w http.ResponseWriter, r *http.Request) {
		switch r.PathValue("pin") {
		case "404":
			http.NotFound(w, r)
		case "500":
			w.WriteHeader(http.StatusInternalServerError)
		default:
			w.Write([]byte("ok"))
		}
	})
	h := Observe(logger)(mux)
	for _, tc := range []struct{ path, level string }{
		{"/p/001203000001", "DEBUG"},
		{"/p/404", "INFO"},
		{"/p/500", "WARN"},
	} {
		buf.Reset()
		h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", tc.path, nil))
		var rec struct{ Level, Route string }
		if err := json.Unmarshal(buf.Bytes(), &rec); err != nil {
			t.Fatalf("%s: %v: %q", tc.path, err, buf.String())
		}
		if rec.Level != tc.level || rec.Route != "GET /p/{pin}" {
			t.Errorf("%s: logged at %s for route %q, want %s for GET /p/{pin}", tc.path, rec.Level, rec.Route, tc.level)
		}
		if strings.Contains(buf.String(), "001203000001") {
			t.Errorf("%s: the log line holds the PIN: %s", tc.path, buf.String())
		}
	}
	if got := accessLevel(http.StatusOK, 2*SlowRequest); got != slog.LevelInfo {
		t.Errorf("a slow success is logged at %v, want INFO", got)
	}
	// At the default level a success writes nothing.
	buf.Reset()
	Observe(slog.New(slog.NewJSONHandler(&buf, nil)))(mux).ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", "/p/1", nil))
	if buf.Len() != 0 {
		t.Errorf("a success at info level: %q", buf.String())
	}
}
