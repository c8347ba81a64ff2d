package server

import (
	"bytes"
	"log/slog"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/populus-vn/populus/internal/register"
	"github.com/populus-vn/populus/internal/units"
)

// The access log names the route by its pattern, never by the path (which
// may hold a PIN), for every route the mux matched. Successes are logged
// at debug level only (httpx.Observe).
func TestAccessLogNamesTheRoute(t *testing.T) {
	var buf bytes.Buffer
	debug := &slog.HandlerOptions{Level: slog.LevelDebug}
	h := New(Deps{Register: &register.Register{}, Units: units.Default(), Logger: slog.New(slog.NewTextHandler(&buf, debug))})
	for _, tc := range []struct{ path, route string }{
		{"/healthz", `route="GET /healthz"`},
		{"/api/v1/units/01", `route="GET /api/v1/units/{key}"`},
		{"/no/such/page", `route=unmatched`},
	} {
		buf.Reset()
		h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", tc.path, nil))
		if line := buf.String(); !strings.Contains(line, tc.route) || strings.Contains(line, tc.path) && tc.path != "/healthz" {
			t.Errorf("GET %s logged %q, want %s and not the path", tc.path, line, tc.route)
		}
	}
}
