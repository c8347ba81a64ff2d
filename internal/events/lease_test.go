package events_test

import (
	"context"
	"log/slog"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/populus-vn/populus/internal/civil"
	"github.com/populus-vn/populus/internal/db"
	"github.com/populus-vn/populus/internal/db/dbtest"
	"github.com/populus-vn/populus/internal/events"
	"github.com/populus-vn/populus/internal/testlog"
)

// TestOneDispatcherAtATime: two servers' dispatchers on one store (both
// engines): while the first holds the lease the second stands by, so every
// event is posted once; stopped, the first gives the lease up and the
// second delivers what follows; a dispatcher that lost its lease while held
// up moves no cursor.
func TestOneDispatcherAtATime(t *testing.T) {
	dbtest.Engines(t, schemas, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d, events.Options{})
		rc := newReceiver(t, e.keys)
		srv := httptest.NewServer(rc)
		t.Cleanup(srv.Close)
		pins := e.people(12, civil.Male)
		e.watchAll(srv.URL, false, pins)
		opts := func(holder string) events.DispatchOptions {
			return events.DispatchOptions{Holder: holder, Lease: 600 * time.Millisecond, Poll: 5 * time.Millisecond}
		}
		var logB testlog.Buffer
		run := func(holder string) (stop func()) {
			ctx, cancel := context.WithCancel(context.Background())
			var wg sync.WaitGroup
			wg.Add(1)
			o := opts(holder)
			if holder == "b" {
				o.Logger = slog.New(slog.NewTextHandler(&logB, nil))
			}
			go func() { defer wg.Done(); e.svc.Dispatcher(o).Run(ctx) }()
			return func() { cancel(); wg.Wait() }
		}
		holder := func() (h string) {
			d.QueryRow(`SELECT holder FROM event_dispatch_lease WHERE id = 1`).Scan(&h)
			return h
		}
		stopA := run("a")
		for deadline := time.Now().Add(5 * time.Second); holder() != "a" && time.Now().Before(deadline); {
			time.Sleep(5 * time.Millisecond)
		}
		stopB := run("b")
		for _, p := range pins[:6] {
			e.die(p)
		}
		waitApplied(t, rc, 6)
		time.Sleep(300 * time.Millisecond) // b polls meanwhile, standing by
		if h := holder(); h != "a" {
			t.Errorf("lease held by %q while a runs", h)
		}
		if l := logB.String(); !strings.Contains(l, "standing by") || !strings.Contains(l, "self=b holder=a") {
			t.Errorf("b's log while standing by: %q", l)
		}
		stopA()
		if h := holder(); h != "" {
			t.Errorf("a stopped, the lease is still held by %q", h)
		}
		for _, p := range pins[6:] {
			e.die(p)
		}
		waitApplied(t, rc, 12)
		if h := holder(); h != "b" {
			t.Errorf("after a stopped, lease held by %q, want b", h)
		}
		stopB()
		rc.mu.Lock()
		for id, n := range rc.applied {
			if n != 1 {
				t.Errorf("event %s posted %d times", id, n)
			}
		}
		rc.mu.Unlock()

		// Fencing: c holds the lease (renewed after a second) and loses it
		// to d meanwhile: c's next cursor update is refused, and c stops
		// delivering, so that d delivers from where the cursor is rather
		// than c skipping what d has not seen.
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan struct{})
		go func() {
			defer close(done)
			e.svc.Dispatcher(events.DispatchOptions{Holder: "c", Lease: 3 * time.Second, Poll: 5 * time.Millisecond}).Run(ctx)
		}()
		for deadline := time.Now().Add(5 * time.Second); holder() != "c" && time.Now().Before(deadline); {
			time.Sleep(5 * time.Millisecond)
		}
		if _, err := d.Exec(`UPDATE event_dispatch_lease SET holder = 'd', expires_at = '9999' WHERE id = 1`); err != nil {
			t.Fatal(err)
		}
		more := e.people(1, civil.Female)
		sub := e.watchAll(srv.URL, false, more)
		e.die(more[0])
		time.Sleep(200 * time.Millisecond) // c's next steps (it may post the event once)
		cancel()
		<-done
		if n := e.count(`SELECT delivered FROM event_deliveries WHERE subscription_id = $1`, sub.ID); n != 0 {
			t.Errorf("the dispatcher that lost its lease moved its cursor (%d delivered)", n)
		}
		if h := holder(); h != "d" {
			t.Errorf("lease holder %q after c stopped, want d's kept", h)
		}
	})
}

func waitApplied(t *testing.T, rc *receiver, n int) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
		rc.mu.Lock()
		got := len(rc.applied)
		rc.mu.Unlock()
		if got >= n {
			return
		}
	}
	rc.mu.Lock()
	defer rc.mu.Unlock()
	t.Fatalf("%d of %d events applied", len(rc.applied), n)
}
