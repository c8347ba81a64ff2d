package httpx

import (
	"log/slog"
	"net"
	"net/http"
	"runtime/debug"
	"strconv"
	"strings"
	"time"

	"github.com/populus-vn/populus/internal/problem"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promauto"
)

// Chain applies middleware so that the first listed is outermost.
func Chain(h http.Handler, mw ...func(http.Handler) http.Handler) http.Handler {
	for i := len(mw) - 1; i >= 0; i-- {
		h = mw[i](h)
	}
	return h
}

// Recover turns a panic into a logged 500 problem.
func Recover(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			if v := recover(); v != nil {
				if v == http.ErrAbortHandler {
					panic(v)
				}
				slog.ErrorContext(r.Context(), "panic", "path", r.URL.Path, "panic", v, "stack", string(debug.Stack()))
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
// or under /api/ those of an API response.
func SecurityHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h, set := w.Header(), pageHeaders
		if strings.HasPrefix(r.URL.Path, "/api/") {
			set = apiHeaders
		}
		for k, v := range set {
			h[k] = v
		}
		if r.TLS != nil {
			h["Strict-Transport-Security"] = hsts
		}
		next.ServeHTTP(w, r)
	})
}

// statusWriter remembers the status code for logs and metrics.
type statusWriter struct {
	http.ResponseWriter
	status int
	bytes  int
}

func (s *statusWriter) WriteHeader(code int) {
	if s.status == 0 {
		s.status = code
	}
	s.ResponseWriter.WriteHeader(code)
}

func (s *statusWriter) Write(b []byte) (int, error) {
	if s.status == 0 {
		s.status = http.StatusOK
	}
	n, err := s.ResponseWriter.Write(b)
	s.bytes += n
	return n, err
}

func (s *statusWriter) Unwrap() http.ResponseWriter { return s.ResponseWriter }

var (
	requests = promauto.NewCounterVec(prometheus.CounterOpts{
		Name: "populus_http_requests_total", Help: "HTTP requests by route pattern, method and status.",
	}, []string{"route", "method", "status"})
	latency = promauto.NewHistogramVec(prometheus.HistogramOpts{
		Name: "populus_http_request_duration_seconds", Help: "HTTP request latency by route pattern.",
		Buckets: []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5},
	}, []string{"route"})
)

// SlowRequest is the duration from which a successful request is logged at
// info level.
const SlowRequest = time.Second

// accessLevel is the level at which a request is logged: a request that
// failed (4xx: info, 5xx: warn) or was slow (info) is worth an operator's
// attention; one that succeeded is logged at debug level only. Every
// access to a person's data is recorded in the audit log whatever the level,
// and the metrics count every request; an info line for each read cost
// about 3% of the CPU of a look-up by PIN.
func accessLevel(status int, took time.Duration) slog.Level {
	switch {
	case status >= 500:
		return slog.LevelWarn
	case status >= 400 || took >= SlowRequest:
		return slog.LevelInfo
	}
	return slog.LevelDebug
}

// Observe logs requests (method, route pattern, status, duration; never the
// query string; at the level accessLevel gives) and records Prometheus
// metrics by route pattern, so that PINs in paths never become label values.
func Observe(logger *slog.Logger) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			start := time.Now()
			sw := &statusWriter{ResponseWriter: w}
			next.ServeHTTP(sw, r)
			if sw.status == 0 {
				sw.status = http.StatusOK
			}
			route := r.Pattern
			if route == "" {
				route = "unmatched"
			}
			d := time.Since(start)
			requests.WithLabelValues(route, r.Method, strconv.Itoa(sw.status)).Inc()
			latency.WithLabelValues(route).Observe(d.Seconds())
			if level := accessLevel(sw.status, d); logger != nil && logger.Enabled(r.Context(), level) {
				logger.LogAttrs(r.Context(), level, "http",
					slog.String("method", r.Method), slog.String("route", route),
					slog.Int("status", sw.status), slog.Int("bytes", sw.bytes),
					slog.Duration("took", d), slog.String("remote", ClientIP(r)))
			}
		})
	}
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
