package observe

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

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
