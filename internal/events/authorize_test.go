package events_test

import (
	"context"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/populus-vn/populus/internal/auth"
	"github.com/populus-vn/populus/internal/civil"
	"github.com/populus-vn/populus/internal/consent"
	"github.com/populus-vn/populus/internal/db"
	"github.com/populus-vn/populus/internal/db/dbtest"
	"github.com/populus-vn/populus/internal/events"
	"github.com/populus-vn/populus/internal/exchange"
	"github.com/populus-vn/populus/internal/oidc"
	"github.com/populus-vn/populus/internal/problem"
	"github.com/populus-vn/populus/internal/units"
)

var exchangeSchemas = append(append([]*db.Schema{}, schemas...), exchange.Schema, consent.Schema)

// The members of these tests: the bank reads name, date of birth and
// status for KYC (the person's consent needed); the hospital name, date of
// birth and permanent residence for health insurance checks (no consent);
// an insurer is registered with no right at all.
const (
	hospital = "VN/HEALTH/BV-DEMO/HIS"
	insurer  = "VN/COM/BAOVIET/CLAIMS"
)

// exchangeEnv is env with the data exchange and the citizens' consents
// deciding deliveries, wired as cmd/populus wires them.
type exchangeEnv struct {
	*env
	x       *exchange.Exchange
	consent *consent.Store
}

func newExchangeEnv(t *testing.T, d *db.DB) *exchangeEnv {
	t.Helper()
	var x *exchange.Exchange
	e := newEnv(t, d, events.Options{Authorize: func(ctx context.Context, subscriber, purpose string) (events.Grant, error) {
		a, err := x.Access(ctx, subscriber, exchange.PersonService, purpose)
		if err != nil {
			return nil, err
		}
		return a, nil
	}})
	master, err := oidc.NewMasterKey()
	if err != nil {
		t.Fatal(err)
	}
	cs := consent.New(d, e.log, auth.NewGuard(auth.NewPolicy(units.Default()), e.log), master)
	x = exchange.New(exchange.Options{DB: d, Audit: e.log, Consents: cs})
	if err := x.EnsureCatalogue(e.ctx); err != nil {
		t.Fatal(err)
	}
	for _, m := range []string{"VN/COM/VCB", "VN/HEALTH/BV-DEMO", "VN/COM/BAOVIET"} {
		if _, err := x.AddMember(e.ctx, exchange.Member{ID: m, Name: "member " + m, Unit: "VN"}); err != nil {
			t.Fatal(err)
		}
	}
	for _, s := range []string{bank.Username, hospital, insurer} {
		if _, err := x.AddSubsystem(e.ctx, s, "system "+s, nil); err != nil {
			t.Fatal(err)
		}
	}
	for _, r := range []exchange.Right{
		{Subsystem: bank.Username, Service: exchange.PersonService, Fields: []string{"full_name", "birth_date", "status"}, Purposes: []string{"KYC"}},
		{Subsystem: hospital, Service: exchange.PersonService, Fields: []string{"full_name", "birth_date", "permanent_residence"}, Purposes: []string{"HEALTH-INSURANCE-CHECK"}},
	} {
		if err := x.Grant(e.ctx, r); err != nil {
			t.Fatal(err)
		}
	}
	return &exchangeEnv{env: e, x: x, consent: cs}
}

// consents gives the bank the person's consent to learn fields for KYC.
func (e *exchangeEnv) consents(pinStr string, fields ...string) consent.Record {
	e.t.Helper()
	citizen := auth.Principal{Kind: auth.KindCitizen, ID: 1, Username: pinStr, Role: auth.Citizen, Unit: "VN"}
	r, err := e.consent.Give(e.ctx, citizen, consent.Grant{Client: bank.Username, Purpose: "KYC", PurposeText: "Định danh khách hàng",
		Fields: fields, ValidUntil: time.Now().AddDate(1, 0, 0), DataLifeDays: 30})
	if err != nil {
		e.t.Fatal(err)
	}
	return r
}

// subscribe subscribes p (for sub, when p is the CLI) to types for purpose
// and legal basis with a webhook to a new receiver, watching pins.
func (e *exchangeEnv) subscribe(svc *events.Service, p auth.Principal, sub, purpose, basis string, types []string, pins ...string) *receiver {
	e.t.Helper()
	rc := newReceiver(e.t, e.keys)
	srv := httptest.NewServer(rc)
	e.t.Cleanup(srv.Close)
	s, err := svc.Subscribe(e.ctx, p, events.SubscriptionRequest{Subscriber: sub, Types: types, WebhookURL: srv.URL, Purpose: purpose, LegalBasis: basis})
	if err != nil {
		e.t.Fatal(err)
	}
	if _, err := svc.Watch(e.ctx, p, s.ID, strings.NewReader(strings.Join(pins, "\n")), false); err != nil {
		e.t.Fatal(err)
	}
	return rc
}

// wantField checks that err is a problem of kind naming field.
func wantField(t *testing.T, name string, err error, kind problem.Kind, field, why string) {
	t.Helper()
	var names []string
	for _, fe := range problem.BodyOf(err, "").Errors {
		names = append(names, fe.Field)
	}
	if !problem.Is(err, kind) || !strings.Contains(strings.Join(names, ","), field) || !strings.Contains(err.Error(), why) {
		t.Errorf("%s: want %s naming %s saying %q, got %v (fields %q)", name, kind, field, why, err, names)
	}
}

// Each delivery is decided by the data exchange: a member without the
// right gets nothing and the refusal is audited against the person; with
// the right, a purpose needing consent is delivered only for the people
// who consented, with the consent's id in the audit entry, and under a
// legal basis of the purpose only; a purpose needing none is delivered
// until the subsystem is revoked, and refused from the next event on.
func TestDeliveriesDecidedByTheExchange(t *testing.T) {
	dbtest.Engines(t, exchangeSchemas, func(t *testing.T, d *db.DB) {
		e := newExchangeEnv(t, d)
		pins := e.people(4, civil.Male)
		// A subscription made where nothing checked it (before the
		// exchange decided, or by a process without it).
		unchecked := events.New(d, e.log, e.keys, events.Options{AllowHTTP: true})
		toInsurer := e.subscribe(unchecked, cli, insurer, "KYC", "Điều 14", []string{"death"}, pins[0])
		// The bank's basis typed in where nothing checked it: not one of
		// the purpose's.
		toBankUnchecked := e.subscribe(unchecked, cli, bank.Username, "KYC", "Điều 14", []string{"death"}, pins[2])
		toBank := e.subscribe(e.svc, bank, "", "KYC", "", []string{"death", "name_change"}, pins[1], pins[2])
		toHospital := e.subscribe(e.svc, cli, hospital, "HEALTH-INSURANCE-CHECK", "Luật Bảo hiểm y tế 2008 (sửa đổi 2024), Điều 28", []string{"name_change"}, pins[3])
		given := e.consents(pins[2], "status", "full_name")
		dis := e.svc.Dispatcher(events.DispatchOptions{})
		for _, p := range pins {
			e.die(p)
		}
		e.rename(pins[3], "Trần Văn Mới")
		e.drain(dis, 5*time.Second)
		if toInsurer.posts != 0 {
			t.Errorf("the insurer, without a right, received %d events", toInsurer.posts)
		}
		if n := e.count(`SELECT count(*) FROM audit_log WHERE action = 'person.read' AND actor = $1 AND subject = $2 AND outcome = 'denied' AND detail LIKE '%has no right%'`, "member:"+insurer, pins[0]); n != 1 {
			t.Errorf("%d refusals of the insurer audited against %s", n, pins[0])
		}
		if ids := e.eventIDs(pins[2:3]); len(toBank.order) != 1 || toBank.order[0] != ids[0] {
			t.Errorf("the bank received %q, want the death of the person who consented (%q)", toBank.order, ids)
		}
		if toBankUnchecked.posts != 0 {
			t.Errorf("the bank received %d events under a legal basis that is not the purpose's", toBankUnchecked.posts)
		}
		if n := e.count(`SELECT count(*) FROM audit_log WHERE action = 'person.read' AND actor = $1 AND subject = $2 AND outcome = 'denied' AND detail LIKE '%not a legal basis of KYC%'`, "member:"+bank.Username, pins[2]); n != 1 {
			t.Errorf("%d refusals for a legal basis not the purpose's audited against %s", n, pins[2])
		}
		if n := e.count(`SELECT count(*) FROM event_subscriptions WHERE subscriber = $1 AND legal_basis LIKE 'Nghị định 13/2023/NĐ-CP%'`, bank.Username); n != 1 {
			t.Errorf("%d subscriptions of the bank with the purpose's legal basis, want the one made without naming it", n)
		}
		if n := e.count(`SELECT count(*) FROM audit_log WHERE action = 'person.read' AND actor = $1 AND subject = $2 AND outcome = 'denied' AND detail LIKE '%no consent%'`, "member:"+bank.Username, pins[1]); n != 1 {
			t.Errorf("%d refusals for want of consent audited against %s", n, pins[1])
		}
		if n := e.count(`SELECT count(*) FROM audit_log WHERE action = 'person.read' AND actor = $1 AND subject = $2 AND outcome = 'ok' AND consent = $3 AND purpose = 'KYC'`, "member:"+bank.Username, pins[2], given.ID); n != 1 {
			t.Errorf("%d deliveries to the bank audited with consent %s", n, given.ID)
		}
		if len(toHospital.order) != 1 {
			t.Fatalf("the hospital received %q, want the name change", toHospital.order)
		}
		// Revoked: the next event is refused.
		if err := e.x.Revoke(e.ctx, hospital); err != nil {
			t.Fatal(err)
		}
		e.rename(pins[3], "Trần Văn Cũ")
		e.drain(dis, 5*time.Second)
		if len(toHospital.order) != 1 {
			t.Errorf("the revoked hospital received %q", toHospital.order)
		}
		if n := e.count(`SELECT count(*) FROM audit_log WHERE action = 'person.read' AND actor = $1 AND subject = $2 AND outcome = 'denied' AND detail LIKE '%revoked%'`, "member:"+hospital, pins[3]); n != 1 {
			t.Errorf("%d refusals of the revoked hospital audited against %s", n, pins[3])
		}
	})
}

// A subscription is checked against the subscriber's rights when it is
// made: a purpose without a right, a type whose field the right does not
// grant, an unknown purpose or subscriber, every person for a member (no
// right of the exchange covers the nation) or under a purpose needing each
// person's consent are refused, naming the field.
func TestSubscriptionsCheckedAgainstRights(t *testing.T) {
	dbtest.Engines(t, exchangeSchemas, func(t *testing.T, d *db.DB) {
		e := newExchangeEnv(t, d)
		try := func(p auth.Principal, in events.SubscriptionRequest) error {
			in.WebhookURL = "https://example.vn/hook"
			_, err := e.svc.Subscribe(e.ctx, p, in)
			return err
		}
		insurerP := auth.Principal{Kind: auth.KindMember, Username: insurer}
		wantField(t, "no right", try(insurerP, events.SubscriptionRequest{Types: []string{"death"}, Purpose: "KYC"}),
			problem.Forbidden, "purpose", "has no right")
		wantField(t, "another purpose", try(bank, events.SubscriptionRequest{Types: []string{"death"}, Purpose: "HEALTH-INSURANCE-CHECK"}),
			problem.Forbidden, "purpose", "for KYC only")
		wantField(t, "a field not granted", try(bank, events.SubscriptionRequest{Types: []string{"death", "residence_move"}, Purpose: "KYC"}),
			problem.Forbidden, "types", "may not read permanent_residence")
		wantField(t, "an unknown purpose", try(bank, events.SubscriptionRequest{Types: []string{"death"}, Purpose: "GOSSIP"}),
			problem.Invalid, "purpose", "not a purpose of the catalogue")
		wantField(t, "a legal basis not the purpose's", try(bank, events.SubscriptionRequest{Types: []string{"death"}, Purpose: "KYC", LegalBasis: "Điều 14"}),
			problem.Invalid, "legal_basis", "is not a legal basis of KYC")
		wantField(t, "every person, by a member", try(auth.Principal{Kind: auth.KindMember, Username: hospital},
			events.SubscriptionRequest{Types: []string{"birth"}, Purpose: "HEALTH-INSURANCE-CHECK", AllPeople: true}),
			problem.Invalid, "all_people", "do not cover every person")
		wantField(t, "every person, under consent", try(cli, events.SubscriptionRequest{Subscriber: bank.Username, Types: []string{"death"}, Purpose: "KYC", AllPeople: true}),
			problem.Invalid, "all_people", "needs each person's consent")
		wantField(t, "an unknown subscriber", try(cli, events.SubscriptionRequest{Subscriber: "VN/COM/NONE/APP", Types: []string{"death"}, Purpose: "KYC"}),
			problem.Forbidden, "subscriber", "not a subsystem")
		if err := try(cli, events.SubscriptionRequest{Subscriber: hospital, Types: []string{"birth", "name_change", "residence_move"}, Purpose: "HEALTH-INSURANCE-CHECK", AllPeople: true}); err != nil {
			t.Errorf("the platform subscribing the hospital for every person: %v", err)
		}
		if err := try(bank, events.SubscriptionRequest{Types: []string{"death", "name_change", "birth"}, Purpose: "KYC"}); err != nil {
			t.Errorf("the bank's subscription: %v", err)
		}
		if err := e.x.Revoke(e.ctx, bank.Username); err != nil {
			t.Fatal(err)
		}
		wantField(t, "a revoked subscriber", try(bank, events.SubscriptionRequest{Types: []string{"death"}, Purpose: "KYC"}),
			problem.Forbidden, "subscriber", "revoked")
		if n := e.count(`SELECT count(*) FROM event_subscriptions`); n != 2 {
			t.Errorf("%d subscriptions stored, want 2", n)
		}
	})
}

// A delivery retried is one use of the person's consent: under a consent
// allowing one use a day, an event whose first delivery failed is
// delivered when retried, counted once, and the next event is refused
// for the frequency.
func TestRetriedDeliveryIsOneUse(t *testing.T) {
	dbtest.Engines(t, exchangeSchemas, func(t *testing.T, d *db.DB) {
		e := newExchangeEnv(t, d)
		pin := e.people(1, civil.Male)[0]
		citizen := auth.Principal{Kind: auth.KindCitizen, ID: 1, Username: pin, Role: auth.Citizen, Unit: "VN"}
		if _, err := e.consent.Give(e.ctx, citizen, consent.Grant{Client: bank.Username, Purpose: "KYC", PurposeText: "Định danh khách hàng",
			Fields: []string{"status", "full_name"}, ValidUntil: time.Now().AddDate(1, 0, 0), DataLifeDays: 30,
			Frequency: consent.Frequency{Max: 1, Period: consent.Day}}); err != nil {
			t.Fatal(err)
		}
		rc := e.subscribe(e.svc, bank, "", "KYC", "", []string{"death", "name_change"}, pin)
		dis := e.svc.Dispatcher(events.DispatchOptions{BaseDelay: time.Millisecond, MaxDelay: time.Millisecond})
		rc.setDown(true)
		e.rename(pin, "Trần Văn Mới")
		e.drain(dis, 5*time.Second)
		rc.setDown(false)
		for deadline := time.Now().Add(5 * time.Second); len(rc.order) == 0 && time.Now().Before(deadline); {
			time.Sleep(5 * time.Millisecond)
			e.drain(dis, 5*time.Second)
		}
		if len(rc.order) != 1 || rc.posts < 2 {
			t.Fatalf("after a failed attempt: %d posts, %q applied; want the name change delivered when retried", rc.posts, rc.order)
		}
		if n := e.count(`SELECT uses FROM consent_uses`); n != 1 {
			t.Errorf("%d uses of the consent counted, want 1", n)
		}
		e.die(pin)
		e.drain(dis, 5*time.Second)
		if len(rc.order) != 1 {
			t.Errorf("the death was delivered beyond the consent's one use a day: %q", rc.order)
		}
		if n := e.count(`SELECT count(*) FROM audit_log WHERE action = 'person.read' AND subject = $1 AND outcome = 'denied' AND detail LIKE '%frequency exceeded%'`, pin); n != 1 {
			t.Errorf("%d refusals for the frequency audited, want 1", n)
		}
	})
}
