package events_test

import (
	"context"
	"database/sql"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/populus-vn/populus/internal/audit"
	"github.com/populus-vn/populus/internal/civil"
	"github.com/populus-vn/populus/internal/db"
	"github.com/populus-vn/populus/internal/db/dbtest"
	"github.com/populus-vn/populus/internal/egress"
	"github.com/populus-vn/populus/internal/events"
	"github.com/populus-vn/populus/internal/people"
	"github.com/populus-vn/populus/internal/problem"
	"github.com/populus-vn/populus/internal/register"
)

// TestOutboxInTheEventsTransaction: each civil event writes its outbox rows
// in its own transaction (a death, a name correction, a residence move, a
// birth; a marriage and a temporary residence none), and an event that
// fails leaves none.
func TestOutboxInTheEventsTransaction(t *testing.T) {
	dbtest.Engines(t, schemas, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d, events.Options{})
		men := e.people(3, civil.Male)
		women := e.people(1, civil.Female)
		e.die(men[0])
		e.rename(men[1], "Trần Văn Mới")
		e.move(men[2], "12 Hàng Bông")
		if _, err := e.reg.RegisterResidence(e.ctx, police, people.ResidenceRegistration{PIN: men[1], Kind: people.TemporaryResidence,
			Address: people.Address{Unit: baDinh, Detail: "3 Hàng Gai"}}); err != nil {
			t.Fatal(err)
		}
		child := e.birth(women[0], "Nguyễn Văn Bé")
		if _, err := e.reg.RegisterMarriage(e.ctx, registrar, people.MarriageRegistration{PIN1: men[1], PIN2: women[0], Date: civil.DateOf(time.Now())}); err != nil {
			t.Fatal(err)
		}
		rows, err := d.QueryContext(e.ctx, `SELECT type, pin, version, event_id FROM events_outbox ORDER BY seq`)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for rows.Next() {
			var typ, p, id string
			var v int
			if err := rows.Scan(&typ, &p, &v, &id); err != nil {
				t.Fatal(err)
			}
			if !strings.HasSuffix(id, "."+p+"."+typ) {
				t.Errorf("event id %s does not name %s and %s", id, p, typ)
			}
			got = append(got, typ+" "+p)
		}
		rows.Close()
		want := []string{"death " + men[0], "name_change " + men[1], "residence_move " + men[2], "birth " + child}
		if !slices.Equal(got, want) {
			t.Fatalf("outbox = %q, want %q", got, want)
		}
		// A death refused by a rule (already dead) writes nothing.
		if _, err := e.reg.RegisterDeath(e.ctx, registrar, people.DeathRegistration{PIN: men[0], DeathDate: civil.DateOf(time.Now())}); err == nil {
			t.Fatal("a second death was registered")
		}
		if n := e.count(`SELECT count(*) FROM events_outbox`); n != 4 {
			t.Fatalf("%d outbox rows after a refused death, want 4", n)
		}
		// A later hook of the same transaction that fails undoes the event
		// with its outbox row.
		e.reg.OnEvent(func(context.Context, *sql.Tx, register.Recorded) error { return errors.New("refused") })
		name := "Lê Văn Khác"
		if _, err := e.reg.Correct(e.ctx, registrar, people.Correction{PIN: men[2], FullName: &name, Meta: people.Meta{Reason: "Sai chính tả"}}); err == nil {
			t.Fatal("the correction stood though a hook failed")
		}
		if n := e.count(`SELECT count(*) FROM events_outbox`); n != 4 {
			t.Fatalf("%d outbox rows after a failed event, want 4", n)
		}
	})
}

// TestClassify: which history entries make which events.
func TestClassify(t *testing.T) {
	for _, c := range []struct {
		r    register.Recorded
		want []events.Type
	}{
		{register.Recorded{Kind: people.KindBirth, Version: 1, Fields: []string{"full_name", "pin", "permanent_residence"}}, []events.Type{events.Birth}},
		{register.Recorded{Kind: people.KindBirth, Version: 4, Fields: []string{"household_id"}}, nil}, // a parent's household
		{register.Recorded{Kind: people.KindDeath, Version: 2, Fields: []string{"death_date", "status"}}, []events.Type{events.Death}},
		{register.Recorded{Kind: people.KindCorrection, Version: 2, Fields: []string{"full_name", "other_names"}}, []events.Type{events.NameChange}},
		{register.Recorded{Kind: people.KindCorrection, Version: 2, Fields: []string{"birth_date"}}, nil},
		{register.Recorded{Kind: people.KindResidence, Version: 3, Fields: []string{"current_address", "permanent_residence"}}, []events.Type{events.ResidenceMove}},
		{register.Recorded{Kind: people.KindResidenceRemoval, Version: 3, Fields: []string{"temporary_residence"}}, nil},
		{register.Recorded{Kind: people.KindResidence, Version: 3, Fields: []string{"temporary_residence", "current_address"}}, nil},
		{register.Recorded{Kind: people.KindResidenceRemoval, Version: 4, Fields: []string{"permanent_residence", "current_address"}}, []events.Type{events.ResidenceMove}},
		{register.Recorded{Kind: people.KindMarriage, Version: 3, Fields: []string{"spouse_pin"}}, nil},
		{register.Recorded{Kind: people.KindAnnulment, Version: 5, Fields: []string{"full_name", "current_address"}}, []events.Type{events.NameChange}},
		{register.Recorded{Kind: people.KindAnnulment, Version: 5, Fields: []string{"full_name", "permanent_residence"}}, []events.Type{events.NameChange, events.ResidenceMove}},
	} {
		if got := events.Classify(c.r); !slices.Equal(got, c.want) {
			t.Errorf("Classify(%+v) = %v, want %v", c.r, got, c.want)
		}
	}
}

// TestSubscribeRefusesBadInput: every wrong field is named, nothing is
// stored.
func TestSubscribeRefusesBadInput(t *testing.T) {
	d := dbtest.SQLite(t, schemas...)
	e := newEnv(t, d, events.Options{})
	_, err := e.svc.Subscribe(e.ctx, bank, events.SubscriptionRequest{Types: []string{"death", "wedding", "death"},
		WebhookURL: "ftp://x", NATS: true, AllPeople: true, LegalBasis: strings.Repeat("x", 501)})
	var pe *problem.Error
	if !asProblem(err, &pe) || pe.Kind != problem.Invalid {
		t.Fatalf("err = %v, want invalid", err)
	}
	var fields []string
	for _, f := range pe.Fields {
		fields = append(fields, f.Field)
	}
	slices.Sort(fields)
	fields = slices.Compact(fields)
	if want := []string{"all_people", "legal_basis", "nats", "purpose", "types", "webhook_url"}; !slices.Equal(fields, want) {
		t.Fatalf("fields = %v, want %v", fields, want)
	}
	if _, err := e.svc.Subscribe(e.ctx, registrar, events.SubscriptionRequest{Types: []string{"death"}, WebhookURL: "https://x", Purpose: "KYC", LegalBasis: "x"}); !problem.Is(err, problem.Forbidden) {
		t.Fatalf("a staff member subscribed: %v", err)
	}
	if n := e.count(`SELECT count(*) FROM event_subscriptions`); n != 0 {
		t.Fatalf("%d subscriptions stored", n)
	}
}

func asProblem(err error, pe **problem.Error) bool { return errors.As(err, pe) }

// TestPrune: the outbox keeps what a channel has not passed, and what is
// recent; it drops the rest.
func TestPrune(t *testing.T) {
	dbtest.Engines(t, schemas, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d, events.Options{})
		pins := e.people(3, civil.Male)
		e.die(pins[0])
		if n, err := e.svc.Prune(e.ctx, time.Hour); err != nil || n != 0 {
			t.Fatalf("pruned %d recent rows: %v", n, err)
		}
		// On PostgreSQL a new subscription starts at the outbox's horizon,
		// which a transaction still open elsewhere (another test's, on the
		// same database) may hold before the death: wait until it passes.
		if d.Engine == db.Postgres {
			for i := 0; e.count(`SELECT count(*) FROM events_outbox WHERE tx < `+events.HorizonSQL) == 0; i++ {
				if i == 500 {
					t.Fatal("the outbox's horizon does not pass the death")
				}
				time.Sleep(10 * time.Millisecond)
			}
		}
		sub, err := e.svc.Subscribe(e.ctx, bank, events.SubscriptionRequest{Types: []string{"death"}, WebhookURL: "http://127.0.0.1:1/hook", Purpose: "KYC", LegalBasis: "x"})
		if err != nil {
			t.Fatal(err)
		}
		e.svc.Watch(e.ctx, bank, sub.ID, strings.NewReader(pins[1]+"\n"), false)
		e.die(pins[1]) // not delivered: the webhook is unreachable
		if n, err := e.svc.Prune(e.ctx, -time.Hour); err != nil || n != 1 {
			t.Fatalf("pruned %d rows, want the one before the subscription: %v", n, err)
		}
		if n := e.count(`SELECT count(*) FROM events_outbox WHERE pin = $1`, pins[1]); n != 1 {
			t.Fatal("the event not yet delivered was pruned")
		}
	})
}

// TestWebhookEgress: outside the demo, a webhook to loopback, a private
// network, the metadata address or "localhost" is refused when subscribed,
// naming webhook_url, and nothing is stored; a network the operator allows
// is accepted. The dispatcher's client checks the address it dials
// (package egress's tests cover names that resolve to refused addresses).
func TestWebhookEgress(t *testing.T) {
	d := dbtest.SQLite(t, schemas...)
	log := audit.New(d)
	t.Cleanup(log.Close)
	keys, err := events.LoadKeys(context.Background(), d, testSealer{})
	if err != nil {
		t.Fatal(err)
	}
	allow, _ := egress.ParseAllow("10.20.0.0/16")
	svc := events.New(d, log, keys, events.Options{Authorize: allowAll, Egress: egress.Policy{Allow: allow}})
	sub := func(url string) error {
		_, err := svc.Subscribe(context.Background(), bank, events.SubscriptionRequest{Types: []string{"death"}, WebhookURL: url, Purpose: "KYC", LegalBasis: "Nghị định 52/2024/NĐ-CP"})
		return err
	}
	for _, u := range []string{"https://127.0.0.1/hook", "https://[::1]/hook", "https://localhost:8443/hook", "https://169.254.169.254/latest",
		"https://10.1.2.3/hook", "https://192.168.0.10/hook", "https://[fd00::5]/hook", "https://0.0.0.0/hook"} {
		var pe *problem.Error
		if err := sub(u); !asProblem(err, &pe) || len(pe.Fields) != 1 || pe.Fields[0].Field != "webhook_url" {
			t.Errorf("subscribe %s: %v, want refused naming webhook_url", u, err)
		}
	}
	var n int
	d.QueryRow(`SELECT count(*) FROM event_subscriptions`).Scan(&n)
	if n != 0 {
		t.Fatalf("%d subscriptions stored", n)
	}
	if err := sub("https://10.20.5.6/hook"); err != nil {
		t.Errorf("a webhook in the network the operator allows: %v", err)
	}
	if err := sub("https://bank.example/hook"); err != nil {
		t.Errorf("a webhook by name: %v", err)
	}
}

// A delivery's signature names its subscription and time: replayed to
// another subscriber, or much later, it does not verify; an altered body
// does not either; SignedFor reads the subscription named.
func TestSignatureBinding(t *testing.T) {
	d := dbtest.SQLite(t, schemas...)
	keys, err := events.LoadKeys(context.Background(), d, testSealer{})
	if err != nil {
		t.Fatal(err)
	}
	body := []byte(`{"id":"E1","type":"death","pin":"001190000001"}`)
	at := time.Date(2026, 12, 7, 10, 0, 0, 0, time.UTC)
	sig, err := keys.Sign(body, 42, at)
	if err != nil {
		t.Fatal(err)
	}
	if sub, err := events.SignedFor(sig); err != nil || sub != 42 {
		t.Errorf("SignedFor: %d %v", sub, err)
	}
	if err := events.Verify(keys.Set(), sig, body, 42, at.Add(time.Minute), 5*time.Minute); err != nil {
		t.Errorf("the delivery itself: %v", err)
	}
	for name, err := range map[string]error{
		"to another subscription": events.Verify(keys.Set(), sig, body, 43, at, 5*time.Minute),
		"an hour later":           events.Verify(keys.Set(), sig, body, 42, at.Add(time.Hour), 5*time.Minute),
		"another body":            events.Verify(keys.Set(), sig, []byte(`{"id":"E2"}`), 42, at, 5*time.Minute),
	} {
		if err == nil {
			t.Errorf("%s: verifies", name)
		}
	}
}
