package exchange

import (
	"net/http"
	"sort"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promauto"

	"github.com/populus-vn/populus/internal/httpx"
	"github.com/populus-vn/populus/internal/problem"
)

// Operational monitoring of the exchange, per client subsystem and
// service: what X-Road's operational monitoring records of each exchange,
// summed since the start (the counts, sizes and durations), served to each
// member system for its own traffic and as Prometheus metrics.
var (
	requestsTotal = promauto.NewCounterVec(prometheus.CounterOpts{Name: "populus_exchange_requests_total",
		Help: "Requests of the data exchange by client subsystem, service and outcome (succeeded, failed)."}, []string{"client", "service", "outcome"})
	requestDuration = promauto.NewHistogramVec(prometheus.HistogramOpts{Name: "populus_exchange_request_duration_seconds",
		Help: "Duration of the data exchange's requests by service.", Buckets: prometheus.ExponentialBuckets(0.0005, 2, 14)}, []string{"service"})
	responseBytes = promauto.NewCounterVec(prometheus.CounterOpts{Name: "populus_exchange_response_bytes_total",
		Help: "Bytes of the data exchange's responses by client subsystem and service."}, []string{"client", "service"})
	requestBytes = promauto.NewCounterVec(prometheus.CounterOpts{Name: "populus_exchange_request_bytes_total",
		Help: "Bytes of the data exchange's request bodies (as declared) by client subsystem and service."}, []string{"client", "service"})
	unauthenticated = promauto.NewCounter(prometheus.CounterOpts{Name: "populus_exchange_unauthenticated_total",
		Help: "Requests of the data exchange refused before a subsystem was known."})
)

// OpStats are the monitoring figures of a client subsystem and a service,
// named after X-Road's operational-monitoring fields.
type OpStats struct {
	ClientSubsystem   string  `json:"clientSubsystem"`
	ServiceID         string  `json:"serviceId"`
	RequestCount      int64   `json:"requestCount"`
	SucceededCount    int64   `json:"succeededCount"`
	FailedCount       int64   `json:"failedCount"`
	RequestSize       int64   `json:"requestSize"`
	ResponseSize      int64   `json:"responseSize"`
	AvgDurationMillis float64 `json:"averageDuration"`
	MaxDurationMillis float64 `json:"maxDuration"`
	LastFaultCode     int     `json:"faultCode,omitempty"`
	LastFaultString   string  `json:"faultString,omitempty"`
}

type monitor struct {
	mu    sync.Mutex
	stats map[[2]string]*OpStats
	total map[[2]string]time.Duration
}

func newMonitor() *monitor {
	return &monitor{stats: map[[2]string]*OpStats{}, total: map[[2]string]time.Duration{}}
}

func (m *monitor) refused(*http.Request) { unauthenticated.Inc() }

func (m *monitor) record(c *call, r *http.Request, w *countingWriter, err error) {
	client, service := c.p.Username, c.target.Service.String()
	if c.target.Meta != "" {
		service = c.target.Service.Provider.String() + "/" + c.target.Meta
	}
	if c.target.Service.Code == "" && c.target.Meta == "" {
		service = "invalid"
	}
	d := time.Since(c.start)
	outcome := "succeeded"
	failed := err != nil || w.status >= 400
	if failed {
		outcome = "failed"
	}
	req := max(r.ContentLength, 0)
	requestsTotal.WithLabelValues(client, service, outcome).Inc()
	requestDuration.WithLabelValues(service).Observe(d.Seconds())
	responseBytes.WithLabelValues(client, service).Add(float64(w.n))
	requestBytes.WithLabelValues(client, service).Add(float64(req))
	m.mu.Lock()
	defer m.mu.Unlock()
	k := [2]string{client, service}
	s := m.stats[k]
	if s == nil {
		if len(m.stats) > 10_000 {
			return // bounded: the Prometheus metrics still count
		}
		s = &OpStats{ClientSubsystem: client, ServiceID: service}
		m.stats[k] = s
	}
	s.RequestCount++
	if failed {
		s.FailedCount++
		s.LastFaultCode = w.status
		if err != nil {
			s.LastFaultString = string(problem.KindOf(err))
		}
	} else {
		s.SucceededCount++
	}
	s.RequestSize += req
	s.ResponseSize += w.n
	m.total[k] += d
	s.AvgDurationMillis = float64(m.total[k].Microseconds()) / 1000 / float64(s.RequestCount)
	s.MaxDurationMillis = max(s.MaxDurationMillis, float64(d.Microseconds())/1000)
}

// Stats returns the monitoring figures of the traffic of subsystem, as
// client or as provider.
func (x *Exchange) Stats(subsystem string) []OpStats {
	x.mon.mu.Lock()
	defer x.mon.mu.Unlock()
	var out []OpStats
	for k, s := range x.mon.stats {
		if k[0] == subsystem || (len(k[1]) > len(subsystem) && k[1][:len(subsystem)+1] == subsystem+"/") {
			out = append(out, *s)
		}
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].ClientSubsystem != out[j].ClientSubsystem {
			return out[i].ClientSubsystem < out[j].ClientSubsystem
		}
		return out[i].ServiceID < out[j].ServiceID
	})
	return out
}

func (x *Exchange) monitoring(w http.ResponseWriter, r *http.Request) error {
	p, err := mustMember(r)
	if err != nil {
		return err
	}
	out := x.Stats(p.Username)
	if out == nil {
		out = []OpStats{}
	}
	return httpx.WriteJSON(w, http.StatusOK, map[string]any{"items": out})
}
