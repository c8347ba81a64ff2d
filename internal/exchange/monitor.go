package exchange

import (
	"fmt"
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
	// The last failure's X-Road fault code (as X-Road-Error says it,
	// Client.BadRequest, Server.ServerProxy.AccessDenied, …; for an answer
	// of a member's service, "HTTP" and its status) and what it said.
	LastFaultCode   string `json:"faultCode,omitempty"`
	LastFaultString string `json:"faultString,omitempty"`
}

type monitor struct {
	mu  sync.Mutex
	ops map[[2]string]*opFigures
}

// opFigures are the figures of a client subsystem and a service, with
// their Prometheus series found once.
type opFigures struct {
	stats                       OpStats
	total                       time.Duration
	succeeded, failed           prometheus.Counter
	duration                    prometheus.Observer
	responseBytes, requestBytes prometheus.Counter
}

func newOpFigures(client, service string) *opFigures {
	return &opFigures{stats: OpStats{ClientSubsystem: client, ServiceID: service},
		succeeded:     requestsTotal.WithLabelValues(client, service, "succeeded"),
		failed:        requestsTotal.WithLabelValues(client, service, "failed"),
		duration:      requestDuration.WithLabelValues(service),
		responseBytes: responseBytes.WithLabelValues(client, service),
		requestBytes:  requestBytes.WithLabelValues(client, service)}
}

func newMonitor() *monitor {
	return &monitor{ops: map[[2]string]*opFigures{}}
}

func (m *monitor) refused(*http.Request) { unauthenticated.Inc() }

func (m *monitor) record(c *call, r *http.Request, w *countingWriter, err error) {
	// A service is named as the catalogue knows it; a path naming none is
	// "unknown" (or "invalid" when not a service id): a label for each
	// path a caller makes up would grow the metrics without bound.
	client, service := c.p.Username, "unknown"
	switch {
	case c.target.Service.Code == "" && c.target.Meta == "":
		service = "invalid"
	case !c.known:
	case c.target.Meta != "":
		service = c.target.Service.Provider.String() + "/" + c.target.Meta
	default:
		service = c.target.Service.String()
	}
	d := time.Since(c.start)
	failed := err != nil || w.status >= 400
	req := max(r.ContentLength, 0)
	m.mu.Lock()
	defer m.mu.Unlock()
	k := [2]string{client, service}
	f := m.ops[k]
	if f == nil {
		f = newOpFigures(client, service)
		if len(m.ops) < 10_000 { // bounded: beyond, the Prometheus metrics still count
			m.ops[k] = f
		}
	}
	f.duration.Observe(d.Seconds())
	f.responseBytes.Add(float64(w.n))
	f.requestBytes.Add(float64(req))
	s := &f.stats
	s.RequestCount++
	if failed {
		f.failed.Inc()
		s.FailedCount++
		s.LastFaultCode, s.LastFaultString = fmt.Sprintf("HTTP %d", w.status), http.StatusText(w.status)
		if err != nil {
			s.LastFaultCode, s.LastFaultString = xroadError(err), problem.BodyOf(err, "").Detail
		}
	} else {
		f.succeeded.Inc()
		s.SucceededCount++
	}
	s.RequestSize += req
	s.ResponseSize += w.n
	f.total += d
	s.AvgDurationMillis = float64(f.total.Microseconds()) / 1000 / float64(s.RequestCount)
	s.MaxDurationMillis = max(s.MaxDurationMillis, float64(d.Microseconds())/1000)
}

// Stats returns the monitoring figures of the traffic of subsystem, as
// client or as provider.
func (x *Exchange) Stats(subsystem string) []OpStats {
	x.mon.mu.Lock()
	defer x.mon.mu.Unlock()
	var out []OpStats
	for k, f := range x.mon.ops {
		if k[0] == subsystem || (len(k[1]) > len(subsystem) && k[1][:len(subsystem)+1] == subsystem+"/") {
			out = append(out, f.stats)
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
