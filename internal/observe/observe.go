// Package observe measures the HTTP server: a Prometheus counter and a
// latency histogram by route pattern, and the access log. It is apart from
// httpx so that the packages serving routes do not link Prometheus.
package observe

import (
	"log/slog"
	"net/http"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promauto"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/populus-vn/populus/internal/httpx"
)

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
			route := httpx.RouteName(r)
			d := time.Since(start)
			requests.WithLabelValues(route, r.Method, strconv.Itoa(sw.status)).Inc()
			latency.WithLabelValues(route).Observe(d.Seconds())
			if level := accessLevel(sw.status, d); logger != nil && logger.Enabled(r.Context(), level) {
				logger.LogAttrs(r.Context(), level, "http",
					slog.String("method", r.Method), slog.String("route", route),
					slog.Int("status", sw.status), slog.Int("bytes", sw.bytes),
					slog.Duration("took", d), slog.String("remote", httpx.ClientIP(r)))
			}
		})
	}
}

// Handler serves the metrics in Prometheus's format. It is not mounted on
// the API's listener (the route patterns, their traffic and error rates
// are not for the public): populus serves it on a management listener
// (--metrics-addr, --debug-addr).
func Handler() http.Handler { return promhttp.Handler() }
