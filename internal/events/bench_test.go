package events_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/populus-vn/populus/internal/civil"
	"github.com/populus-vn/populus/internal/db/dbtest"
	"github.com/populus-vn/populus/internal/events"
	"github.com/populus-vn/populus/internal/people"
)

// BenchmarkDeliveryLatency measures, on SQLite, the time from the start of
// a civil event (a name correction) to its receipt by a webhook subscriber
// (the dispatcher as serve runs it: default poll), with as baseline the
// event's own registration (the call until its commit) in the same run.
// Reported: p50 and p99 of each, and p99 delivery / p99 registration.
func BenchmarkDeliveryLatency(b *testing.B) {
	for _, ch := range []string{events.Webhook, events.NATS} {
		b.Run(ch, func(b *testing.B) { benchLatency(b, ch) })
	}
}

func benchLatency(b *testing.B, ch string) {
	d := dbtest.SQLite(b, schemas...)
	e := newEnv(b, d, events.Options{NATS: ch == events.NATS})
	pins := e.people(50, civil.Male)
	var mu sync.Mutex
	got := map[string]time.Time{}
	received := func(id string) {
		mu.Lock()
		if _, ok := got[id]; !ok {
			got[id] = time.Now()
		}
		mu.Unlock()
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var o events.DispatchOptions
	url := ""
	if ch == events.Webhook {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			io.Copy(io.Discard, r.Body)
			received(r.Header.Get(events.IdempotencyKeyHeader))
			w.WriteHeader(http.StatusNoContent)
		}))
		defer srv.Close()
		url = srv.URL
	} else {
		ns, err := events.StartEmbedded(events.EmbeddedOptions{Dir: b.TempDir()})
		if err != nil {
			b.Fatal(err)
		}
		defer ns.Stop()
		bus, err := events.ConnectBus(ctx, ns.ClientURL(), events.BusOptions{})
		if err != nil {
			b.Fatal(err)
		}
		defer bus.Close()
		o.Bus = bus
		nc, js := subscribeAll(b, ns.ClientURL(), func(id string) { received(id) })
		defer nc.Close()
		_ = js
	}
	if _, err := e.svc.Subscribe(e.ctx, cli, events.SubscriptionRequest{Subscriber: "VN/GOV/BHXH/SYNC", Types: []string{"name_change"},
		WebhookURL: url, NATS: ch == events.NATS, AllPeople: true, Purpose: "HEALTH-INSURANCE-CHECK", LegalBasis: "Luật Bảo hiểm y tế"}); err != nil {
		b.Fatal(err)
	}
	go e.svc.Dispatcher(o).Run(ctx)
	started := map[string]time.Time{}
	var reg []time.Duration
	names := [2]string{"Nguyễn Văn An", "Nguyễn Văn Bình"}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		p := pins[i%len(pins)]
		name := names[(i/len(pins))%2]
		t0 := time.Now()
		pr, err := e.reg.Correct(e.ctx, registrar, people.Correction{PIN: p, FullName: &name, Meta: people.Meta{Reason: "Sai chính tả"}})
		if err != nil {
			b.Fatal(err)
		}
		reg = append(reg, time.Since(t0))
		started[fmt.Sprintf("%s %d", p, pr.Version)] = t0
		time.Sleep(2 * time.Millisecond) // events apart, as they come in service
	}
	// Wait for every delivery.
	ids := map[string]time.Time{}
	rows, err := d.QueryContext(e.ctx, `SELECT event_id, pin, version FROM events_outbox`)
	if err != nil {
		b.Fatal(err)
	}
	for rows.Next() {
		var id, p string
		var v int
		rows.Scan(&id, &p, &v)
		ids[id] = started[fmt.Sprintf("%s %d", p, v)]
	}
	rows.Close()
	deadline := time.Now().Add(time.Minute)
	for {
		mu.Lock()
		n := len(got)
		mu.Unlock()
		if n >= len(ids) || time.Now().After(deadline) {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	b.StopTimer()
	mu.Lock()
	defer mu.Unlock()
	var lat []time.Duration
	for id, t0 := range ids {
		t1, ok := got[id]
		if !ok {
			b.Fatalf("event %s not delivered", id)
		}
		lat = append(lat, t1.Sub(t0))
	}
	pct := func(xs []time.Duration, q float64) time.Duration {
		slices.Sort(xs)
		return xs[min(len(xs)-1, int(q*float64(len(xs))))]
	}
	ms := func(x time.Duration) float64 { return float64(x) / float64(time.Millisecond) }
	b.ReportMetric(ms(pct(lat, 0.5)), "p50-delivery-ms")
	b.ReportMetric(ms(pct(lat, 0.99)), "p99-delivery-ms")
	b.ReportMetric(ms(pct(reg, 0.5)), "p50-register-ms")
	b.ReportMetric(ms(pct(reg, 0.99)), "p99-register-ms")
	b.ReportMetric(float64(pct(lat, 0.99))/float64(pct(reg, 0.99)), "p99-ratio")
}

// BenchmarkOutboxWriteCost: a name correction (SQLite) with the outbox
// hook against the same register without it, in the same run: the cost
// the outbox adds to the register's write path (one INSERT in the event's
// transaction). Reported: the ratio of the medians.
func BenchmarkOutboxWriteCost(b *testing.B) {
	type side struct {
		e    *env
		pins []string
		ds   []time.Duration
	}
	mk := func(hook bool) *side {
		e := newEnv(b, dbtest.SQLite(b, schemas...), events.Options{})
		if !hook {
			e.reg = newRegisterWithoutHook(e)
		}
		return &side{e: e, pins: e.people(50, civil.Male)}
	}
	with, without := mk(true), mk(false)
	names := [2]string{"Nguyễn Văn An", "Nguyễn Văn Bình"}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		name := names[(i/50)%2]
		// Alternately, so that both see the same moments of a shared machine.
		for _, s := range []*side{with, without} {
			t0 := time.Now()
			if _, err := s.e.reg.Correct(s.e.ctx, registrar, people.Correction{PIN: s.pins[i%50], FullName: &name, Meta: people.Meta{Reason: "Sai chính tả"}}); err != nil {
				b.Fatal(err)
			}
			s.ds = append(s.ds, time.Since(t0))
		}
	}
	med := func(ds []time.Duration) time.Duration { slices.Sort(ds); return ds[len(ds)/2] }
	w, wo := med(with.ds), med(without.ds)
	b.ReportMetric(float64(w)/float64(time.Microsecond), "with-outbox-µs")
	b.ReportMetric(float64(wo)/float64(time.Microsecond), "without-µs")
	b.ReportMetric(float64(w)/float64(wo), "ratio")
}
