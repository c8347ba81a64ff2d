package events_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http/httptest"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/populus-vn/populus/internal/civil"
	"github.com/populus-vn/populus/internal/db"
	"github.com/populus-vn/populus/internal/db/dbtest"
	"github.com/populus-vn/populus/internal/events"
	"github.com/populus-vn/populus/internal/problem"
)

// watchAll subscribes the bank to every type for the PINs given, by the
// channels asked, and uploads the watch list.
func (e *env) watchAll(url string, useNATS bool, pins []string) events.Subscription {
	e.t.Helper()
	sub, err := e.svc.Subscribe(e.ctx, bank, events.SubscriptionRequest{Types: []string{"birth", "death", "name_change", "residence_move"},
		WebhookURL: url, NATS: useNATS, Purpose: "KYC", LegalBasis: "Nghị định 52/2024/NĐ-CP, Điều 14"})
	if err != nil {
		e.t.Fatal(err)
	}
	if _, err := e.svc.Watch(e.ctx, bank, sub.ID, strings.NewReader(strings.Join(pins, "\n")+"\n"), false); err != nil {
		e.t.Fatal(err)
	}
	return sub
}

// eventIDs are the outbox's event ids about the PINs given, in order.
func (e *env) eventIDs(pins []string) []string {
	e.t.Helper()
	rows, err := e.d.QueryContext(e.ctx, `SELECT event_id, pin FROM events_outbox ORDER BY tx, seq`)
	if err != nil {
		e.t.Fatal(err)
	}
	defer rows.Close()
	var ids []string
	for rows.Next() {
		var id, p string
		if err := rows.Scan(&id, &p); err != nil {
			e.t.Fatal(err)
		}
		if slices.Contains(pins, p) {
			ids = append(ids, id)
		}
	}
	return ids
}

// TestWebhookSubscriberDownReceivesEverything: while the bank's webhook
// answers 503 events keep happening; the dispatcher retries with backoff
// and, once the webhook is back, delivers every event about the watched
// people, in order, signed, each applied once; the people not watched are
// never delivered, and each delivery is audited against its person.
func TestWebhookSubscriberDownReceivesEverything(t *testing.T) {
	dbtest.Engines(t, schemas, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d, events.Options{})
		rc := newReceiver(t, e.keys)
		srv := httptest.NewServer(rc)
		t.Cleanup(srv.Close)
		pins := e.people(6, civil.Male)
		watched, other := pins[:4], pins[4:]
		sub := e.watchAll(srv.URL, false, watched)
		clock := time.Now()
		dis := e.svc.Dispatcher(events.DispatchOptions{BaseDelay: time.Second, MaxDelay: 4 * time.Second, DeadAfter: time.Hour,
			Now: func() time.Time { return clock }})

		e.die(watched[0])
		e.die(other[0])
		e.drain(dis, 5*time.Second)
		rc.setDown(true)
		e.rename(watched[1], "Phạm Văn Một")
		e.move(watched[2], "5 Lý Thái Tổ")
		e.rename(other[1], "Phạm Văn Hai")
		for i := 0; i < 5; i++ {
			clock = clock.Add(5 * time.Second) // past any delay
			dis.Step(e.ctx)
		}
		got, _ := e.svc.Get(e.ctx, bank, sub.ID)
		if st := got.Deliveries[0]; st.Attempts == 0 || st.FailingSince == nil || !strings.Contains(st.LastError, "503") {
			t.Fatalf("delivery state while down: %+v", st)
		}
		e.move(watched[3], "7 Tràng Tiền")
		rc.setDown(false)
		clock = clock.Add(5 * time.Second)
		e.drain(dis, 5*time.Second)

		want := e.eventIDs(watched)
		if len(want) != 4 {
			t.Fatalf("%d events about the watched people, want 4", len(want))
		}
		rc.mu.Lock()
		defer rc.mu.Unlock()
		if !slices.Equal(rc.order, want) {
			t.Fatalf("applied %q, want %q", rc.order, want)
		}
		if len(rc.bad) > 0 {
			t.Fatalf("bad signatures: %v", rc.bad)
		}
		if rc.posts <= len(want) {
			t.Fatalf("%d posts: the retries while down are missing", rc.posts)
		}
		got, _ = e.svc.Get(e.ctx, bank, sub.ID)
		if st := got.Deliveries[0]; st.Attempts != 0 || st.LastError != "" || st.Delivered < 4 {
			t.Fatalf("delivery state after: %+v", st)
		}
		for _, p := range watched {
			if n := e.count(`SELECT count(*) FROM audit_log WHERE actor = 'member:VN/COM/VCB/EKYC' AND action = 'person.read' AND subject = $1 AND purpose = 'KYC'`, p); n == 0 {
				t.Errorf("no audit entry of the delivery about %s", p)
			}
		}
		// Every attempt is recorded, the tries of one event's delivery
		// under one request (the person's list shows them as one access).
		attempts := e.count(`SELECT count(*) FROM audit_log WHERE actor = 'member:VN/COM/VCB/EKYC' AND action = 'person.read'`)
		requests := e.count(`SELECT count(DISTINCT request) FROM audit_log WHERE actor = 'member:VN/COM/VCB/EKYC' AND action = 'person.read'`)
		if attempts <= len(want) || requests != len(want) {
			t.Errorf("%d attempts recorded under %d requests, want more than %d under %d", attempts, requests, len(want), len(want))
		}
		for _, p := range other {
			if n := e.count(`SELECT count(*) FROM audit_log WHERE actor = 'member:VN/COM/VCB/EKYC' AND subject = $1`, p); n != 0 {
				t.Errorf("%d audit entries about %s, whom the bank does not watch", n, p)
			}
		}
	})
}

// TestDeadLetter: a webhook failing for longer than DeadAfter is
// dead-lettered; resumed, it gets what it missed.
func TestDeadLetter(t *testing.T) {
	d := dbtest.SQLite(t, schemas...)
	e := newEnv(t, d, events.Options{})
	rc := newReceiver(t, e.keys)
	srv := httptest.NewServer(rc)
	t.Cleanup(srv.Close)
	pins := e.people(1, civil.Male)
	sub := e.watchAll(srv.URL, false, pins)
	clock := time.Now()
	dis := e.svc.Dispatcher(events.DispatchOptions{BaseDelay: time.Second, MaxDelay: time.Minute, DeadAfter: time.Hour, Now: func() time.Time { return clock }})
	rc.setDown(true)
	e.die(pins[0])
	for i := 0; i < 100; i++ {
		clock = clock.Add(2 * time.Minute)
		dis.Step(e.ctx)
	}
	got, _ := e.svc.Get(e.ctx, bank, sub.ID)
	if got.Deliveries[0].State != events.Dead {
		t.Fatalf("state after failing 3 hours: %+v", got.Deliveries[0])
	}
	rc.setDown(false)
	posts := rc.posts
	dis.Step(e.ctx)
	if rc.posts != posts {
		t.Fatal("a dead channel was tried")
	}
	if _, err := e.svc.Resume(e.ctx, bank, sub.ID); err != nil {
		t.Fatal(err)
	}
	e.drain(dis, 5*time.Second)
	if want := e.eventIDs(pins); !slices.Equal(rc.order, want) {
		t.Fatalf("after resume: %q, want %q", rc.order, want)
	}
}

// embedded starts a JetStream server in the test's process.
func embedded(t *testing.T, dir string, port int) *events.Embedded {
	t.Helper()
	s, err := events.StartEmbedded(events.EmbeddedOptions{Dir: dir, Port: port})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// consume reads the messages of the bank's subjects from the stream with a
// durable consumer until it has seen every id of want (the stream may hold
// others: an external server's earlier runs), and returns the ids of want
// in the order applied (each once).
func consume(t *testing.T, url, durable string, want []string) []string {
	t.Helper()
	nc, err := nats.Connect(url)
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	js, _ := jetstream.New(nc)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	// A cluster that lost a node may still be electing leaders: each try
	// has a few seconds, as a client would, until the minute is out.
	var c jetstream.Consumer
	for {
		try, stop := context.WithTimeout(ctx, 5*time.Second)
		c, err = js.CreateOrUpdateConsumer(try, events.StreamName, jetstream.ConsumerConfig{Durable: durable,
			FilterSubject: events.SubjectPrefix + "VN.COM.VCB.EKYC.>", AckPolicy: jetstream.AckExplicitPolicy})
		stop()
		if err == nil || ctx.Err() != nil {
			break
		}
		time.Sleep(200 * time.Millisecond)
	}
	if err != nil {
		t.Fatalf("consumer: %v", err)
	}
	seen := map[string]bool{}
	var applied []string
	for len(applied) < len(want) && ctx.Err() == nil {
		batch, err := c.Fetch(100, jetstream.FetchMaxWait(time.Second))
		if err != nil {
			continue
		}
		for m := range batch.Messages() {
			var ev events.Event
			if err := json.Unmarshal(m.Data(), &ev); err != nil {
				t.Fatal(err)
			}
			if m.Headers().Get(events.HeaderEventID) != ev.ID {
				t.Fatalf("header %q, body %q", m.Headers().Get(events.HeaderEventID), ev.ID)
			}
			if !seen[ev.ID] && slices.Contains(want, ev.ID) {
				seen[ev.ID] = true
				applied = append(applied, ev.ID)
			}
			m.Ack()
		}
	}
	return applied
}

// TestNATSDownReceivesEverything: the NATS server is stopped while events
// happen; the dispatcher cannot publish and retries; once the server is
// back (same store) every event is published, and a subscriber that was
// not reading meanwhile reads them all from its durable consumer.
func TestNATSDownReceivesEverything(t *testing.T) {
	dbtest.Engines(t, schemas, func(t *testing.T, d *db.DB) {
		dir := t.TempDir()
		ns := embedded(t, dir, 0)
		url := ns.ClientURL()
		bus, err := events.ConnectBus(context.Background(), url, events.BusOptions{})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(bus.Close)
		e := newEnv(t, d, events.Options{NATS: true})
		pins := e.people(4, civil.Male)
		e.watchAll("", true, pins)
		clock := time.Now()
		dis := e.svc.Dispatcher(events.DispatchOptions{Bus: bus, BaseDelay: time.Second, Now: func() time.Time { return clock }})
		e.die(pins[0])
		e.drain(dis, 5*time.Second)
		ns.Stop()
		e.rename(pins[1], "Đỗ Văn Một")
		e.move(pins[2], "9 Hàng Gai")
		for i := 0; i < 3; i++ {
			clock = clock.Add(5 * time.Second)
			dis.Step(e.ctx)
		}
		ns = embedded(t, dir, ns2port(url))
		t.Cleanup(ns.Stop)
		e.die(pins[3])
		deadline := time.Now().Add(20 * time.Second)
		want := e.eventIDs(pins)
		for time.Now().Before(deadline) {
			clock = clock.Add(5 * time.Second)
			dis.Step(e.ctx)
			st, _ := e.svc.List(e.ctx, bank)
			if st[0].Deliveries[0].Delivered >= int64(len(want)) {
				break
			}
			time.Sleep(100 * time.Millisecond)
		}
		if got := consume(t, url, "bank", want); !slices.Equal(got, want) {
			t.Fatalf("read %q, want %q", got, want)
		}
	})
}

// ns2port is the port of a nats://127.0.0.1:port URL.
func ns2port(url string) int {
	i := strings.LastIndexByte(url, ':')
	p := 0
	for _, c := range url[i+1:] {
		p = p*10 + int(c-'0')
	}
	return p
}

// TestExternalNATS runs the delivery against the NATS server of
// POPULUS_TEST_NATS.
func TestExternalNATS(t *testing.T) {
	url := os.Getenv("POPULUS_TEST_NATS")
	if url == "" {
		t.Skip("external NATS skipped: set POPULUS_TEST_NATS=nats://127.0.0.1:4222 to run it")
	}
	ctx := context.Background()
	bus, err := events.ConnectBus(ctx, url, events.BusOptions{})
	if err != nil {
		t.Fatalf("POPULUS_TEST_NATS=%s: %v", url, err)
	}
	t.Cleanup(bus.Close)
	d := dbtest.SQLite(t, schemas...)
	e := newEnv(t, d, events.Options{NATS: true})
	pins := e.people(3, civil.Male)
	e.watchAll("", true, pins)
	dis := e.svc.Dispatcher(events.DispatchOptions{Bus: bus})
	e.die(pins[0])
	e.rename(pins[1], "Vũ Văn Một")
	e.move(pins[2], "3 Hàng Đào")
	e.drain(dis, 10*time.Second)
	want := e.eventIDs(pins)
	// The stream may hold other runs' events: read ours only.
	if got := consume(t, url, "populus-test-"+strings.ReplaceAll(want[0], ".", "-"), want); !slices.Equal(got, want) {
		t.Fatalf("read %q, want %q", got, want)
	}
}

// subscribeAll calls fn with the event id of every message of the stream
// as it arrives (an ordered push consumer).
func subscribeAll(t testing.TB, url string, fn func(id string)) (*nats.Conn, jetstream.JetStream) {
	t.Helper()
	nc, err := nats.Connect(url)
	if err != nil {
		t.Fatal(err)
	}
	js, _ := jetstream.New(nc)
	c, err := js.OrderedConsumer(context.Background(), events.StreamName, jetstream.OrderedConsumerConfig{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Consume(func(m jetstream.Msg) { fn(m.Headers().Get(events.HeaderEventID)) }); err != nil {
		t.Fatal(err)
	}
	return nc, js
}

// grantFunc is a Grant deciding each field of each person by a function.
type grantFunc func(pin, field string) (string, error)

func (g grantFunc) Covers(...string) error { return nil }
func (g grantFunc) Fields(_ context.Context, pin string, fields ...string) (string, error) {
	return g(pin, fields[0])
}
func (grantFunc) ConsentRequired() bool                   { return true }
func (grantFunc) LegalBasis(given string) (string, error) { return given, nil }

// TestAuthorizeRefuses: an event the exchange's decision refuses (no
// consent) is not delivered and its refusal is audited against the
// person; the others are delivered with the consent's id in their
// entries. The subscriber's access is decided once for the batch, the
// field of each event's type asked of each person; a failure to decide
// (not a refusal) delivers nothing and passes nothing.
func TestAuthorizeRefuses(t *testing.T) {
	dbtest.Engines(t, schemas, func(t *testing.T, d *db.DB) {
		var pins []string
		calls, failing := 0, false
		e := newEnv(t, d, events.Options{Authorize: func(_ context.Context, subscriber, purpose string) (events.Grant, error) {
			if subscriber != "VN/COM/VCB/EKYC" || purpose != "KYC" {
				t.Errorf("asked for %s, %s", subscriber, purpose)
			}
			calls++
			return grantFunc(func(pin, field string) (string, error) {
				if field != "status" {
					t.Errorf("a death asked for %s", field)
				}
				switch {
				case failing:
					return "", errors.New("the consent store is down")
				case pin == pins[1]:
					return "", problem.New(problem.Forbidden, "no consent")
				}
				return "C-" + pin, nil
			}), nil
		}})
		rc := newReceiver(t, e.keys)
		srv := httptest.NewServer(rc)
		t.Cleanup(srv.Close)
		pins = e.people(4, civil.Male)
		e.watchAll(srv.URL, false, pins)
		dis := e.svc.Dispatcher(events.DispatchOptions{})
		failing = true
		e.die(pins[3])
		// On PostgreSQL an event is dispatched once no older transaction
		// of the cluster is running (other packages' tests may hold one).
		var n int
		var err error
		for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
			if n, err = dis.Step(e.ctx); n != 0 || err != nil {
				break
			}
		}
		if n != 0 || err == nil || !strings.Contains(err.Error(), "the consent store is down") {
			t.Fatalf("a failing decision: %d delivered, %v", n, err)
		}
		failing, calls = false, 0
		for _, p := range pins[:3] {
			e.die(p)
		}
		e.drain(dis, 5*time.Second)
		if calls == 0 || calls > 2 {
			t.Errorf("the access was decided %d times for one batch of 4 events", calls)
		}
		ids := e.eventIDs(pins)
		if want := []string{ids[0], ids[1], ids[3]}; !slices.Equal(rc.order, want) {
			t.Fatalf("delivered %q, want %q (%q)", rc.order, want, ids)
		}
		if n := e.count(`SELECT count(*) FROM audit_log WHERE actor = 'member:VN/COM/VCB/EKYC' AND subject = $1 AND outcome = 'denied'`, pins[1]); n != 1 {
			t.Errorf("%d refusals audited against %s", n, pins[1])
		}
		if n := e.count(`SELECT count(*) FROM audit_log WHERE actor = 'member:VN/COM/VCB/EKYC' AND subject = $1 AND outcome = 'ok' AND consent = $2`, pins[2], "C-"+pins[2]); n != 1 {
			t.Errorf("%d deliveries audited with the consent against %s", n, pins[2])
		}
		// Nothing is left to deliver: the refused event was passed.
		if n, _ := dis.Step(e.ctx); n != 0 {
			t.Errorf("%d delivered again", n)
		}
	})
}

// TestNothingDeliveredUnauthorized: a service without a decision of
// deliveries (Options.Authorize) delivers nothing and moves no cursor;
// once one is wired, every event is delivered.
func TestNothingDeliveredUnauthorized(t *testing.T) {
	d := dbtest.SQLite(t, schemas...)
	e := newEnv(t, d, events.Options{})
	rc := newReceiver(t, e.keys)
	srv := httptest.NewServer(rc)
	t.Cleanup(srv.Close)
	pins := e.people(2, civil.Male)
	e.watchAll(srv.URL, false, pins)
	e.die(pins[0])
	bare := events.New(d, e.log, e.keys, events.Options{AllowHTTP: true})
	if n, err := bare.Dispatcher(events.DispatchOptions{}).Step(e.ctx); n != 0 || !errors.Is(err, events.ErrNotAuthorized) {
		t.Fatalf("unwired: %d delivered, %v", n, err)
	}
	ctx, cancel := context.WithTimeout(e.ctx, 100*time.Millisecond)
	bare.Dispatcher(events.DispatchOptions{Poll: time.Millisecond}).Run(ctx)
	cancel()
	if rc.posts != 0 {
		t.Fatalf("%d posts without a decision", rc.posts)
	}
	e.drain(e.svc.Dispatcher(events.DispatchOptions{}), 5*time.Second)
	if ids := e.eventIDs(pins); !slices.Equal(rc.order, ids) {
		t.Fatalf("delivered %q once wired, want %q", rc.order, ids)
	}
}
