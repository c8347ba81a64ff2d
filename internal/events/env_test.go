package events_test

import (
	"context"
	"fmt"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/populus-vn/populus/internal/audit"
	"github.com/populus-vn/populus/internal/auth"
	"github.com/populus-vn/populus/internal/civil"
	"github.com/populus-vn/populus/internal/db"
	"github.com/populus-vn/populus/internal/events"
	"github.com/populus-vn/populus/internal/people"
	"github.com/populus-vn/populus/internal/pin"
	"github.com/populus-vn/populus/internal/register"
	"github.com/populus-vn/populus/internal/units"
)

// baDinh is Phường Ba Đình, Hà Nội.
const baDinh = "00004"

var schemas = []*db.Schema{register.Schema, events.Schema}

var (
	registrar = auth.Staff(1, "registrar", "Cán bộ hộ tịch", auth.Registrar, "VN")
	police    = auth.Staff(2, "police", "Công an", auth.PoliceOfficer, "VN")
	bank      = auth.Principal{Kind: auth.KindMember, Username: "VN/COM/VCB/EKYC", DisplayName: "Ngân hàng Demo"}
	cli       = auth.Principal{Kind: auth.KindSystem, Username: "cli"}
)

// testSealer stands for the master key.
type testSealer struct{}

func (testSealer) Seal(purpose string, b, ad []byte) (string, error) {
	return purpose + "|" + string(ad) + "|" + fmt.Sprintf("%x", b), nil
}
func (testSealer) Open(purpose, s string, ad []byte) ([]byte, error) {
	var b []byte
	_, err := fmt.Sscanf(s[len(purpose)+len(ad)+2:], "%x", &b)
	return b, err
}

// env is a register whose events feed the outbox, and the service.
type env struct {
	t      testing.TB
	ctx    context.Context
	d      *db.DB
	log    *audit.Log
	reg    *register.Register
	svc    *events.Service
	keys   *events.Keys
	serial int
}

func newEnv(t testing.TB, d *db.DB, o events.Options) *env {
	t.Helper()
	ctx := context.Background()
	log := audit.New(d)
	t.Cleanup(log.Close)
	reg := register.New(d, auth.NewGuard(auth.NewPolicy(units.Default()), log), log, units.Default())
	reg.OnEvent(events.Record)
	keys, err := events.LoadKeys(ctx, d, testSealer{})
	if err != nil {
		t.Fatal(err)
	}
	o.AllowHTTP = true
	if o.Authorize == nil {
		o.Authorize = allowAll
	}
	return &env{t: t, ctx: ctx, d: d, log: log, reg: reg, keys: keys, svc: events.New(d, log, keys, o)}
}

// everything is a Grant of every field, with no consent needed: the
// tests of delivery itself.
type everything struct{}

func (everything) Covers(...string) error { return nil }
func (everything) Fields(context.Context, string, ...string) (string, error) {
	return "", nil
}
func (everything) ConsentRequired() bool { return false }
func (everything) LegalBasis(given string) (string, error) {
	if given == "" {
		return "Điều 14", nil // a purpose of one legal basis
	}
	return given, nil
}

func allowAll(context.Context, string, string) (events.Grant, error) { return everything{}, nil }

// people imports n adults, each the head of a household of their own in
// Ba Đình, and returns their PINs.
func (e *env) people(n int, sex civil.Sex) []string {
	e.t.Helper()
	im := register.NewImporter(e.d)
	var pins []string
	for i := 0; i < n; i++ {
		e.serial++
		prefix, err := pin.Prefix("001", sex, 1990)
		if err != nil {
			e.t.Fatal(err)
		}
		p := people.Person{PIN: string(pin.New(prefix, e.serial)), FullName: fmt.Sprintf("Nguyễn Văn %d", e.serial), Sex: sex,
			BirthDate: civil.Date{Year: 1990, Month: 1, Day: 1}, BirthPlace: baDinh, Hometown: baDinh, Ethnicity: "01", Nationality: "VN",
			HouseholdID: fmt.Sprintf("HT%05d", e.serial), Relation: people.Head, Status: people.Alive,
			Permanent: people.Address{Unit: baDinh, Detail: fmt.Sprintf("%d Phố Huế", e.serial)}}
		p.Current = p.Permanent
		if err := im.Add(e.ctx, &people.Household{ID: p.HouseholdID, UnitCode: baDinh, Address: p.Permanent.Detail}, []people.Person{p}); err != nil {
			e.t.Fatal(err)
		}
		pins = append(pins, p.PIN)
	}
	if err := im.Flush(e.ctx); err != nil {
		e.t.Fatal(err)
	}
	return pins
}

// die registers the death of pin.
func (e *env) die(pinStr string) {
	e.t.Helper()
	if _, err := e.reg.RegisterDeath(e.ctx, registrar, people.DeathRegistration{PIN: pinStr, DeathDate: civil.DateOf(time.Now())}); err != nil {
		e.t.Fatalf("death of %s: %v", pinStr, err)
	}
}

// rename corrects the full name of pin.
func (e *env) rename(pinStr, name string) {
	e.t.Helper()
	if _, err := e.reg.Correct(e.ctx, registrar, people.Correction{PIN: pinStr, FullName: &name, Meta: people.Meta{Reason: "Sai chính tả"}}); err != nil {
		e.t.Fatalf("correction of %s: %v", pinStr, err)
	}
}

// move registers a permanent residence of pin (a household of its own).
func (e *env) move(pinStr, detail string) {
	e.t.Helper()
	if _, err := e.reg.RegisterResidence(e.ctx, police, people.ResidenceRegistration{PIN: pinStr, Kind: people.PermanentResidence,
		Address: people.Address{Unit: baDinh, Detail: detail}}); err != nil {
		e.t.Fatalf("residence of %s: %v", pinStr, err)
	}
}

// birth registers a child of mother and returns its PIN.
func (e *env) birth(mother, name string) string {
	e.t.Helper()
	p, err := e.reg.RegisterBirth(e.ctx, registrar, people.BirthRegistration{FullName: name, BirthDate: civil.DateOf(time.Now()),
		Sex: civil.Male, BirthPlace: baDinh, Hometown: baDinh, Ethnicity: "01", Nationality: "VN", MotherPIN: mother})
	if err != nil {
		e.t.Fatalf("birth: %v", err)
	}
	return p.PIN
}

func (e *env) count(q string, args ...any) int {
	e.t.Helper()
	e.log.Sync(e.ctx, 5*time.Second)
	var n int
	if err := e.d.QueryRowContext(e.ctx, q, args...).Scan(&n); err != nil {
		e.t.Fatalf("%s: %v", q, err)
	}
	return n
}

// drain steps the dispatcher until a step delivers nothing and no outbox
// row is still beyond the horizon (on PostgreSQL, a row written by a
// transaction at or after the oldest still running anywhere on the server,
// which may be another client's: delivery waits for it), at most for wait.
func (e *env) drain(d *events.Dispatcher, wait time.Duration) {
	e.t.Helper()
	deadline := time.Now().Add(wait)
	for time.Now().Before(deadline) {
		n, _ := d.Step(context.Background())
		if n > 0 {
			continue
		}
		if e.d.Engine != db.Postgres {
			return
		}
		var hidden int
		if err := e.d.QueryRowContext(e.ctx, `SELECT count(*) FROM events_outbox WHERE tx >= pg_snapshot_xmin(pg_current_snapshot())::text::bigint`).Scan(&hidden); err != nil {
			e.t.Fatal(err)
		}
		if hidden == 0 {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// receiver is an idempotent webhook subscriber: it verifies each
// delivery's signature and applies each event id once; while down it
// answers 503.
type receiver struct {
	t    testing.TB
	keys *events.Keys
	mu   sync.Mutex
	down bool
	// applied counts the events applied, by id; order is the ids in the
	// order first applied; posts counts every delivery received.
	applied map[string]int
	order   []string
	posts   int
	bad     []string
}

func newReceiver(t testing.TB, k *events.Keys) *receiver {
	return &receiver{t: t, keys: k, applied: map[string]int{}}
}

func (rc *receiver) setDown(b bool) { rc.mu.Lock(); rc.down = b; rc.mu.Unlock() }

func (rc *receiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body := make([]byte, 0, 256)
	buf := make([]byte, 256)
	for {
		n, err := r.Body.Read(buf)
		body = append(body, buf[:n]...)
		if err != nil {
			break
		}
	}
	rc.mu.Lock()
	defer rc.mu.Unlock()
	rc.posts++
	if rc.down {
		w.WriteHeader(http.StatusServiceUnavailable)
		return
	}
	sig := r.Header.Get(events.SignatureHeader)
	sub, _ := events.SignedFor(sig)
	// The tests' clocks run days ahead (backoff): the age is not theirs to
	// check (TestSignatureBinding is).
	if err := events.Verify(rc.keys.Set(), sig, body, sub, time.Now(), 1000*time.Hour); err != nil {
		rc.bad = append(rc.bad, err.Error())
		w.WriteHeader(http.StatusUnauthorized)
		return
	}
	id := r.Header.Get(events.IdempotencyKeyHeader)
	if rc.applied[id] == 0 {
		rc.order = append(rc.order, id)
	}
	rc.applied[id]++ // an idempotent subscriber applies the first only; counted to see repeats
	w.WriteHeader(http.StatusNoContent)
}

// newRegisterWithoutHook is e's register without the outbox (the
// baseline of BenchmarkOutboxWriteCost).
func newRegisterWithoutHook(e *env) *register.Register {
	return register.New(e.d, auth.NewGuard(auth.NewPolicy(units.Default()), e.log), e.log, units.Default())
}
