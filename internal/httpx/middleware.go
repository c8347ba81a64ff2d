package httpx

import (
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"runtime/debug"
	"strings"

	"github.com/populus-vn/populus/internal/problem"
)

// Chain applies middleware so that the first listed is outermost.
func Chain(h http.Handler, mw ...func(http.Handler) http.Handler) http.Handler {
	for i := len(mw) - 1; i >= 0; i-- {
		h = mw[i](h)
	}
	return h
}

// Recover turns a panic into a 500 problem, logged through slog's default
// logger with the route pattern, never the path (it must be outside the
// handler that records the matched pattern on its request: see
// server.withContext).
func Recover(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			if v := recover(); v != nil {
				if v == http.ErrAbortHandler {
					panic(v)
				}
				slog.ErrorContext(r.Context(), "panic", "method", r.Method, "route", RouteName(r), "panic", v, "stack", string(debug.Stack()))
				WriteProblem(w, r, problem.New(problem.Internal, "internal error"))
			}
		}()
		next.ServeHTTP(w, r)
	})
}

// CSP is the content security policy of every page: nothing from outside,
// no inline script, no framing.
const CSP = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; " +
	"font-src 'self'; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'"

// AllowFormTarget lets the forms of the page w answers lead to the origin
// of target: CSP's form-action covers every redirect that follows a
// form's submission, and a sign-in's or a logout's ends at the relying
// party's address (browsers block it otherwise, and the citizen is left on
// the page). Only that origin is added, to this response alone; a target
// that is not an absolute URL with a plain host adds nothing.
func AllowFormTarget(w http.ResponseWriter, target string) {
	src := formSource(target)
	if src == "" {
		return
	}
	h := w.Header()
	csp := h.Get("Content-Security-Policy")
	if !strings.Contains(csp, "form-action 'self'") {
		return
	}
	h["Content-Security-Policy"] = []string{strings.Replace(csp, "form-action 'self'", "form-action 'self' "+src, 1)}
}

// formSource is the CSP source expression of target's origin
// (scheme://host[:port]), or of its scheme alone for a custom scheme
// without a host (an app's com.example.app:/cb), or "".
func formSource(target string) string {
	u, err := url.Parse(target)
	if err != nil || u.Scheme == "" || u.User != nil {
		return ""
	}
	src := strings.ToLower(u.Scheme) + ":"
	if u.Host != "" {
		src += "//" + strings.ToLower(u.Host)
	} else if u.Scheme == "http" || u.Scheme == "https" {
		return ""
	}
	for _, r := range src {
		if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || strings.ContainsRune(":/.-+[]", r)) {
			return ""
		}
	}
	return src
}

// APICSP is the content security policy of API responses: JSON loads
// nothing and must not be framed.
const APICSP = "default-src 'none'; frame-ancestors 'none'"

// The security headers, by canonical name, as net/http writes them. The
// slices are shared by every response; their capacity equals their length,
// so a handler's Header().Add copies instead of writing into them.
var (
	pageHeaders = http.Header{
		"Content-Security-Policy":    {CSP},
		"X-Content-Type-Options":     {"nosniff"},
		"X-Frame-Options":            {"DENY"},
		"Referrer-Policy":            {"same-origin"},
		"Cross-Origin-Opener-Policy": {"same-origin"},
		"Permissions-Policy":         {"camera=(), microphone=(), geolocation=()"},
	}
	// apiHeaders follow the OWASP REST Security Cheat Sheet. The
	// document-only headers (referrer, opener and permissions policies)
	// mean nothing to a JSON response. Nothing is cached unless a handler
	// says so: most answers hold personal data.
	apiHeaders = http.Header{
		"Content-Security-Policy": {APICSP},
		"X-Content-Type-Options":  {"nosniff"},
		"X-Frame-Options":         {"DENY"},
		"Cache-Control":           {"no-store"},
	}
	hsts = []string{"max-age=63072000; includeSubDomains"}
)

// SecurityHeaders sets the headers every response carries: those of a page,
// or under /api/ and the data exchange's /r1/ those of an API response;
// HSTS on a request that came over TLS.
func SecurityHeaders(next http.Handler) http.Handler { return securityHeaders(next, false) }

// SecurityHeadersHTTPS is SecurityHeaders for a deployment served over
// HTTPS by a proxy in front that terminates TLS (populus serve
// --secure-cookies): the requests arrive in plain HTTP, and every response
// carries HSTS. Nothing in the request is trusted to say so (a client could
// send X-Forwarded-Proto itself): the operator does.
func SecurityHeadersHTTPS(next http.Handler) http.Handler { return securityHeaders(next, true) }

func securityHeaders(next http.Handler, https bool) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h, set := w.Header(), pageHeaders
		if APIPath(r.URL.Path) {
			set = apiHeaders
		}
		for k, v := range set {
			h[k] = v
		}
		if https || r.TLS != nil {
			h["Strict-Transport-Security"] = hsts
		}
		next.ServeHTTP(w, r)
	})
}

// APIPath reports whether path is the JSON API's (/api/) or the data
// exchange's (/r1/, /listClients): its answers are JSON, not pages.
func APIPath(path string) bool {
	return strings.HasPrefix(path, "/api/") || strings.HasPrefix(path, "/r1/") || path == "/listClients"
}

// ClientIP is the remote address without port. Proxies are not trusted:
// deployments behind one should terminate there and set RemoteAddr.
func ClientIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// MaxHeaderBytes is the most a request's line and headers may hold: a
// larger request is refused with a 431 problem (HeaderLimit).
// ServerMaxHeaderBytes is what the HTTP servers read before they give up
// themselves, with net/http's plain-text 431: beyond MaxHeaderBytes, so
// that every request up to it reaches HeaderLimit and gets its problem.
const (
	MaxHeaderBytes       = 64 << 10
	ServerMaxHeaderBytes = 1 << 20
)

// HeaderLimit refuses a request whose line and headers, counted as they
// came on the wire, exceed MaxHeaderBytes: a 431 problem+json, or on a
// page's path (not APIPath) the page that page writes, if not nil.
func HeaderLimit(page ErrorWriter) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if n := headerBytes(r); n > MaxHeaderBytes {
				fail := WriteProblem
				if page != nil && !APIPath(r.URL.Path) {
					fail = page
				}
				w.Header().Set("Connection", "close")
				fail(w, r, problem.New(problem.HeadersTooLarge, "the request's line and headers hold %d bytes, more than the %d allowed", n, MaxHeaderBytes))
				return
			}
			next.ServeHTTP(w, r)
		})
	}
}

// headerBytes is the size of r's request line and headers ("Name: value"
// lines with their CRLF).
func headerBytes(r *http.Request) int {
	n := len(r.Method) + 1 + len(r.RequestURI) + 1 + len(r.Proto) + 2
	if r.Host != "" {
		n += len("Host: ") + len(r.Host) + 2
	}
	for k, vs := range r.Header {
		for _, v := range vs {
			n += len(k) + 2 + len(v) + 2
		}
	}
	return n
}
