// Package server assembles Populus's HTTP server: it mounts the routes of
// every capability on one mux, each behind the guard of the access it
// declares, inside one middleware chain (metrics and logs, recovery,
// security headers), and serves the operational endpoints (/healthz,
// /readyz) and the OpenAPI document, merged from its base and
// the fragments of the capabilities (httpx.Documented).
//
// It holds no rules of its own: it only wires what the capabilities provide.
package server

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"path"
	"strings"
	"time"

	"github.com/populus-vn/populus/internal/audit"
	"github.com/populus-vn/populus/internal/db"
	"github.com/populus-vn/populus/internal/httpx"
	"github.com/populus-vn/populus/internal/observe"
	"github.com/populus-vn/populus/internal/problem"
)

// Deps are the parts the server wires together.
type Deps struct {
	// DB is the store /readyz pings.
	DB *db.DB
	// Audit is the audit log /readyz reports: not ready while it cannot
	// be written (reads are refused then). Nil reports only DB.
	Audit  *audit.Log
	Logger *slog.Logger
	// Capabilities serve the routes, API and pages, in the order given.
	Capabilities []httpx.Routes
	// Guards are the guards of each access a route may declare, given by
	// the capabilities that authenticate principals (staff.Service.Guards).
	// AccessPublic needs none. A route whose access has no guard is an
	// error at start: nothing is ever served unguarded by mistake.
	Guards map[httpx.Access]httpx.Guard
	// PageError writes the errors of pages (routes outside /api/), the
	// guards' refusals included; API routes answer problem documents.
	PageError httpx.ErrorWriter
	// Localize writes the API's problem documents in the language a
	// request's Accept-Language asks for (the web UI's catalog:
	// web.Server.LocalizeProblem); nil leaves them in English.
	Localize httpx.ProblemLocalizer
	// HTTPS says that the deployment is served over HTTPS by a proxy in
	// front that terminates TLS (--secure-cookies): every response
	// carries Strict-Transport-Security, which otherwise only responses
	// over TLS do.
	HTTPS bool
}

// New returns the whole HTTP handler.
func New(d Deps) (http.Handler, error) {
	// mux serves every route, and the requests none matches at "/"
	// (unmatched): each request is matched once. plain holds the same
	// routes without "/", to tell there what the mux would have answered.
	mux, plain := http.NewServeMux(), http.NewServeMux()
	routes, err := Routes(d)
	if err != nil {
		return nil, err
	}
	for _, rt := range routes {
		mux.Handle(rt.Pattern, rt.Handler)
		plain.Handle(rt.Pattern, rt.Handler)
	}
	mux.Handle("/", unmatched(plain, d))
	h := canonicalAPIPaths(mux)
	headers := httpx.SecurityHeaders
	if d.HTTPS {
		headers = httpx.SecurityHeadersHTTPS
	}
	// Observe is outside Recover, so that a request that panicked is
	// counted and logged with its 500 like any other.
	return httpx.Chain(h,
		observe.Observe(d.Logger),
		httpx.Recover,
		headers,
		httpx.HeaderLimit(d.PageError),
		withContext(d.Localize),
	), nil
}

// Routes returns every route the server mounts, the operational ones and
// the capabilities', each handler already behind the guard of its access;
// the OpenAPI test checks the document against it. The OpenAPI document is
// merged here, once: the base and the fragments of the capabilities that
// are httpx.Documented; a conflict or a dangling $ref is an error.
func Routes(d Deps) ([]httpx.Route, error) {
	doc, err := openAPIDocument(d.Capabilities)
	if err != nil {
		return nil, err
	}
	routes := []httpx.Route{
		{Pattern: "GET /healthz", Handler: http.HandlerFunc(healthz), Access: httpx.AccessPublic},
		{Pattern: "GET /readyz", Handler: readyz(d.DB, d.Audit), Access: httpx.AccessPublic},
		{Pattern: "GET /api/v1/openapi.json", Handler: serveOpenAPI(doc), Access: httpx.AccessPublic},
	}
	for _, c := range d.Capabilities {
		routes = append(routes, c.Routes()...)
	}
	if err := checkDocumented(doc, routes); err != nil {
		return nil, err
	}
	for i, rt := range routes {
		h, err := guard(d, rt)
		if err != nil {
			return nil, err
		}
		routes[i].Handler = h
	}
	return routes, nil
}

// guard puts the guard of rt's access in front of its handler.
func guard(d Deps, rt httpx.Route) (http.Handler, error) {
	if rt.Access == httpx.AccessPublic {
		return rt.Handler, nil
	}
	g, ok := d.Guards[rt.Access]
	if !ok {
		return nil, fmt.Errorf("route %q declares access %s, which no capability guards", rt.Pattern, rt.Access)
	}
	fail := d.PageError
	if rt.IsAPI() || fail == nil {
		fail = httpx.WriteProblem
	}
	return g(rt.Handler, fail), nil
}

// withContext gives the request's context the caller's address (for the
// audit log) and the problem documents' localizer, in one copy of the
// request whose matched pattern it copies back.
func withContext(l httpx.ProblemLocalizer) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			ctx := audit.WithRemote(r.Context(), httpx.ClientIP(r))
			if l != nil {
				ctx = httpx.WithLocalizer(ctx, l)
			}
			r2 := r.WithContext(ctx)
			// The mux records the pattern it matched on the request it was
			// given, a copy; the access log, the metrics and httpx.Recover (after
			// a panic too) read it from theirs.
			defer func() { r.Pattern = r2.Pattern }()
			next.ServeHTTP(w, r2)
		})
	}
}

func healthz(w http.ResponseWriter, r *http.Request) {
	httpx.WriteJSON(w, http.StatusOK, map[string]string{"status": "ok"})
}

// readyz answers 200 when the store answers and the audit log can be
// written, 503 otherwise: an access that cannot be audited is refused.
func readyz(d *db.DB, al *audit.Log) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
		defer cancel()
		body := map[string]string{"status": "ready", "store": string(d.Engine), "audit": "ok"}
		status := http.StatusOK
		if al != nil && al.Ready() != nil {
			status, body["status"], body["audit"] = http.StatusServiceUnavailable, "unavailable", "failing"
		}
		if err := d.PingContext(ctx); err != nil {
			status, body["status"] = http.StatusServiceUnavailable, "unavailable"
		}
		httpx.WriteJSON(w, status, body)
	})
}

// unmatched answers the requests no route matches as the rest of the
// server answers errors, instead of the mux's bare text: under /api/ a
// problem document (404, or 405 with the Allow header), elsewhere the error
// page (PageError), behind the staff-optional guard so that a signed-in
// officer keeps the menu. Redirects of the mux (a missing trailing slash)
// are kept. mux holds every route; the request has matched none.
func unmatched(mux *http.ServeMux, d Deps) http.Handler {
	page := http.Handler(nil)
	if d.PageError != nil {
		page = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			d.PageError(w, r, r.Context().Value(unmatchedKey{}).(error))
		})
		if g, ok := d.Guards[httpx.AccessStaffOptional]; ok {
			page = g(page, d.PageError)
		}
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r.Pattern = "" // not "/": the logs and metrics say "unmatched"
		h, pattern := mux.Handler(r)
		if pattern != "" {
			mux.ServeHTTP(w, r)
			return
		}
		// What the mux would answer: 404, or 405 with Allow.
		rec := &headerRecorder{header: http.Header{}}
		h.ServeHTTP(rec, r)
		var err error
		switch rec.status {
		case http.StatusNotFound:
			err = problem.New(problem.NotFound, "there is no page or API endpoint at this address")
		case http.StatusMethodNotAllowed:
			allow := rec.header.Get("Allow")
			w.Header().Set("Allow", allow)
			err = problem.New(problem.MethodNotAllowed, "this address does not answer %s; it answers %s", r.Method, allow)
		default:
			mux.ServeHTTP(w, r)
			return
		}
		if page == nil || strings.HasPrefix(r.URL.Path, "/api/") {
			httpx.WriteProblem(w, r, err)
			return
		}
		page.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), unmatchedKey{}, err)))
	})
}

type unmatchedKey struct{}

// canonicalAPIPaths answers a request for a path of the API or the data
// exchange that is not in its canonical form (a "//", a "." or ".."
// segment) with a problem document (404), where the mux would redirect
// with an HTML page: a client of the API follows no redirect to another
// resource than it named. Pages keep the mux's redirect.
func canonicalAPIPaths(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// As the mux sees it: the escaped path (a %2e%2e segment is the
		// handler's to refuse, naming it).
		if p := r.URL.EscapedPath(); httpx.APIPath(p) && !canonical(p) {
			httpx.WriteProblem(w, r, problem.New(problem.NotFound, "there is no API endpoint at this address: the path is not in its canonical form (an empty, . or .. segment)"))
			return
		}
		next.ServeHTTP(w, r)
	})
}

// canonical reports whether p is as path.Clean leaves it (a trailing
// slash kept).
func canonical(p string) bool {
	c := path.Clean(p)
	if strings.HasSuffix(p, "/") && c != "/" {
		c += "/"
	}
	return c == p
}

// headerRecorder keeps the status and headers a handler writes, and
// discards its body.
type headerRecorder struct {
	header http.Header
	status int
}

func (h *headerRecorder) Header() http.Header { return h.header }
func (h *headerRecorder) Write(b []byte) (int, error) {
	if h.status == 0 {
		h.status = http.StatusOK
	}
	return len(b), nil
}
func (h *headerRecorder) WriteHeader(code int) {
	if h.status == 0 {
		h.status = code
	}
}
