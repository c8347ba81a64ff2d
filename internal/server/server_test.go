package server

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/populus-vn/populus/internal/httpx"
	"github.com/populus-vn/populus/internal/problem"
)

// The access log names the route by its pattern, never by the path (which
// may hold a PIN), for every route the mux matched. Successes are logged
// at debug level only (observe.Observe).
func TestAccessLogNamesTheRoute(t *testing.T) {
	var buf bytes.Buffer
	debug := &slog.HandlerOptions{Level: slog.LevelDebug}
	h, err := New(Deps{Capabilities: allCapabilities(), Guards: openGuards(), Logger: slog.New(slog.NewTextHandler(&buf, debug))})
	if err != nil {
		t.Fatal(err)
	}
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

type routeList []httpx.Route

func (l routeList) Routes() []httpx.Route { return l }

// OpenAPI documents the test routes under /api/.
func (l routeList) OpenAPI() []byte {
	paths := map[string]map[string]any{}
	for _, rt := range l {
		if rt.IsAPI() {
			method, path, _ := strings.Cut(rt.Pattern, " ")
			if paths[path] == nil {
				paths[path] = map[string]any{}
			}
			paths[path][strings.ToLower(method)] = map[string]any{"responses": map[string]any{"200": map[string]any{"description": "ok"}}}
		}
	}
	b, _ := json.Marshal(map[string]any{"paths": paths})
	return b
}

// A route under /api/ that its capability does not document, or a
// documented operation that no route serves, stops the server at start.
func TestRoutesMustBeDocumented(t *testing.T) {
	ok := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {})
	undocumented := bareRoutes{{Pattern: "GET /api/v1/secret", Handler: ok, Access: httpx.AccessPublic}}
	if _, err := New(Deps{Capabilities: []httpx.Routes{undocumented}, Guards: openGuards()}); err == nil || !strings.Contains(err.Error(), "GET /api/v1/secret is not in the OpenAPI document") {
		t.Errorf("an undocumented API route: %v", err)
	}
	unserved := documentedOnly{routeList{{Pattern: "GET /api/v1/gone", Handler: ok, Access: httpx.AccessPublic}}}
	if _, err := New(Deps{Capabilities: []httpx.Routes{unserved}, Guards: openGuards()}); err == nil || !strings.Contains(err.Error(), "GET /api/v1/gone, which no route serves") {
		t.Errorf("a documented operation without a route: %v", err)
	}
}

// bareRoutes are routes without a document.
type bareRoutes []httpx.Route

func (l bareRoutes) Routes() []httpx.Route { return l }

// documentedOnly documents routes it does not serve.
type documentedOnly struct{ doc routeList }

func (documentedOnly) Routes() []httpx.Route { return nil }
func (d documentedOnly) OpenAPI() []byte     { return d.doc.OpenAPI() }

// A route is mounted only behind the guard of the access it declares: a
// route whose access no capability guards stops the server at start, and a
// guard's refusal is a problem document under /api/ and a page elsewhere.
func TestRoutesAreGuardedByTheirAccess(t *testing.T) {
	ok := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("served")) })
	citizen := routeList{{Pattern: "GET /api/v1/me", Handler: ok, Access: httpx.AccessCitizen}}
	if _, err := New(Deps{Capabilities: []httpx.Routes{citizen}, Guards: openGuards()}); err == nil || !strings.Contains(err.Error(), "citizen") {
		t.Fatalf("a citizen route without a citizen guard: %v", err)
	}
	if _, err := New(Deps{Capabilities: []httpx.Routes{routeList{{Pattern: "GET /x", Handler: ok}}}, Guards: openGuards()}); err == nil {
		t.Fatal("a route that declares no access was mounted")
	}
	refuse := func(next http.Handler, fail httpx.ErrorWriter) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			fail(w, r, problem.New(problem.Unauthorized, "sign in first"))
		})
	}
	page := func(w http.ResponseWriter, r *http.Request, err error) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.WriteHeader(http.StatusUnauthorized)
		w.Write([]byte("<p>page refusal</p>"))
	}
	h, err := New(Deps{
		Capabilities: []httpx.Routes{routeList{
			{Pattern: "GET /api/v1/private", Handler: ok, Access: httpx.AccessStaff},
			{Pattern: "GET /private", Handler: ok, Access: httpx.AccessStaff},
			{Pattern: "GET /public", Handler: ok, Access: httpx.AccessPublic},
		}},
		Guards:    map[httpx.Access]httpx.Guard{httpx.AccessStaff: refuse},
		PageError: page,
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ path, ctype, body string }{
		{"/api/v1/private", "application/problem+json", "sign in first"},
		{"/private", "text/html; charset=utf-8", "page refusal"},
		{"/public", "", "served"},
	} {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest("GET", tc.path, nil))
		if got := rec.Header().Get("Content-Type"); tc.ctype != "" && got != tc.ctype || !strings.Contains(rec.Body.String(), tc.body) {
			t.Errorf("GET %s: %d %s %q", tc.path, rec.Code, got, rec.Body)
		}
	}
}
