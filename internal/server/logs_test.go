package server

import (
	"bytes"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/populus-vn/populus/internal/httpx"
)

// useDefaultLogger makes slog's default logger write JSON into the returned
// buffer for the rest of the test.
func useDefaultLogger(t *testing.T) *bytes.Buffer {
	var buf bytes.Buffer
	prev := slog.Default()
	slog.SetDefault(slog.New(slog.NewJSONHandler(&buf, nil)))
	t.Cleanup(func() { slog.SetDefault(prev) })
	return &buf
}

// The lines of a request that panicked or failed with an internal error
// name the route pattern, never the path with its PIN (the access log did
// already; the panic and the 5xx lines logged the path), and a panic is in
// the access log (and the metrics) with its 500 like any failure.
func TestFailedRequestsLogTheRouteNotThePath(t *testing.T) {
	logs := useDefaultLogger(t)
	const pin = "001203000001"
	h, err := New(Deps{Guards: openGuards(), Logger: slog.New(slog.NewJSONHandler(logs, nil)), Capabilities: []httpx.Routes{routeList{
		{Pattern: "GET /api/v1/boom/{pin}", Access: httpx.AccessPublic, Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			panic("something broke")
		})},
		{Pattern: "GET /api/v1/fail/{pin}", Access: httpx.AccessPublic, Handler: httpx.Handle(func(w http.ResponseWriter, r *http.Request) error {
			return errors.New("the store is down")
		})},
	}}})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ path, msg, route string }{
		{"/api/v1/boom/" + pin, "panic", "GET /api/v1/boom/{pin}"},
		{"/api/v1/fail/" + pin, "request failed", "GET /api/v1/fail/{pin}"},
	} {
		logs.Reset()
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest("GET", tc.path, nil))
		if rec.Code != http.StatusInternalServerError {
			t.Errorf("GET %s: %d", tc.path, rec.Code)
		}
		found, access := false, false
		for _, line := range strings.Split(strings.TrimSpace(logs.String()), "\n") {
			var rec struct {
				Msg, Route string
				Status     int
			}
			if err := json.Unmarshal([]byte(line), &rec); err != nil {
				t.Errorf("GET %s: a log line not in the logger's format: %q", tc.path, line)
			}
			if rec.Msg == tc.msg && rec.Route == tc.route {
				found = true
			}
			if rec.Msg == "http" && rec.Route == tc.route && rec.Status == http.StatusInternalServerError {
				access = true
			}
		}
		if !found {
			t.Errorf("GET %s: no %q line naming route %s in\n%s", tc.path, tc.msg, tc.route, logs)
		}
		if !access {
			t.Errorf("GET %s: no access-log line with its 500 in\n%s", tc.path, logs)
		}
		if strings.Contains(logs.String(), pin) {
			t.Errorf("GET %s: the PIN is in the logs:\n%s", tc.path, logs)
		}
	}
}
