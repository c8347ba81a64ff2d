// Package identitytest builds the electronic identity over a fresh store
// with a few people in the register, for the tests of identity and of the
// packages over it.
package identitytest

import (
	"context"
	"regexp"
	"testing"
	"time"

	"github.com/populus-vn/populus/internal/audit"
	"github.com/populus-vn/populus/internal/auth"
	"github.com/populus-vn/populus/internal/civil"
	"github.com/populus-vn/populus/internal/db"
	"github.com/populus-vn/populus/internal/identity"
	"github.com/populus-vn/populus/internal/people"
	"github.com/populus-vn/populus/internal/pin"
	"github.com/populus-vn/populus/internal/register"
	"github.com/populus-vn/populus/internal/staff"
	"github.com/populus-vn/populus/internal/units"
)

// BaDinh is Phường Ba Đình, Hà Nội (01), where the people live.
const BaDinh = "00004"

// Password is the password of the accounts Active opens.
const Password = "correct horse battery"

// Schemas are the schemas the service needs.
var Schemas = []*db.Schema{register.Schema, identity.Schema}

// Env is the service over a store holding two living people (Lan, with a
// chip card, and Minh, without) and one deceased (Ba), with an outbox
// notifier and a clock the test sets (Now; with nanoseconds, as a real
// clock has, which the store does not keep).
type Env struct {
	T             testing.TB
	Ctx           context.Context
	D             *db.DB
	Log           *audit.Log
	Guard         *auth.Guard
	Reg           *register.Register
	Svc           *identity.Service
	Out           *identity.Outbox
	Lan, Minh, Ba people.Person
	Now           time.Time
}

// New returns the environment over d, migrated with Schemas.
func New(t testing.TB, d *db.DB) *Env {
	t.Helper()
	ctx := context.Background()
	log := audit.New(d)
	t.Cleanup(log.Close)
	g := auth.NewGuard(auth.NewPolicy(units.Default()), log)
	reg := register.New(d, g, log, units.Default())
	e := &Env{T: t, Ctx: ctx, D: d, Log: log, Guard: g, Reg: reg, Out: identity.NewOutbox(d), Now: time.Date(2026, 3, 2, 9, 0, 0, 123456789, time.UTC)}
	e.Svc = identity.New(d, reg, g, log, e.Out, identity.Options{Params: staff.TestParams})
	e.Svc.SetClock(func() time.Time { return e.Now })
	mk := func(serial int, name string, sex civil.Sex, birth civil.Date) people.Person {
		prefix, err := pin.Prefix("001", sex, birth.Year)
		if err != nil {
			t.Fatal(err)
		}
		addr := people.Address{Unit: BaDinh, Detail: "Số 1 Điện Biên Phủ"}
		return people.Person{PIN: string(pin.New(prefix, serial)), FullName: name, Sex: sex, BirthDate: birth,
			BirthPlace: BaDinh, Hometown: BaDinh, Ethnicity: "01", Nationality: "VN", Permanent: addr, Current: addr, Status: people.Alive}
	}
	e.Lan = mk(1, "Nguyễn Thị Lan", civil.Female, civil.Date{Year: 1990, Month: 5, Day: 17})
	e.Lan.Card = people.IDCard{Number: e.Lan.PIN, Issued: civil.Date{Year: 2021, Month: 4, Day: 1}, Expires: civil.Date{Year: 2030, Month: 5, Day: 17}}
	e.Minh = mk(2, "Trần Văn Minh", civil.Male, civil.Date{Year: 1985, Month: 1, Day: 3})
	e.Ba = mk(3, "Lê Văn Ba", civil.Male, civil.Date{Year: 1940, Month: 2, Day: 1})
	e.Ba.Status, e.Ba.DeathDate = people.Deceased, civil.Date{Year: 2020, Month: 1, Day: 1}
	im := register.NewImporter(d)
	if err := im.Add(ctx, nil, []people.Person{e.Lan, e.Minh, e.Ba}); err != nil {
		t.Fatal(err)
	}
	if err := im.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	return e
}

// Application is p's application, with the phone 0912 345 678.
func (e *Env) Application(p people.Person) identity.Application {
	return identity.Application{PIN: p.PIN, FullName: p.FullName, BirthDate: p.BirthDate, Phone: "0912 345 678", Password: Password}
}

var codeRE = regexp.MustCompile(`\b(\d{6})\b`)

// LastCode is the code of the newest message in the outbox.
func (e *Env) LastCode() string {
	e.T.Helper()
	m, err := e.Out.Recent(e.Ctx, 1)
	if err != nil || len(m) == 0 {
		e.T.Fatalf("outbox: %v %v", m, err)
	}
	c := codeRE.FindStringSubmatch(m[0].Body)
	if c == nil {
		e.T.Fatalf("no code in %q", m[0].Body)
	}
	return c[1]
}

// Active registers and confirms p's account.
func (e *Env) Active(p people.Person) identity.Account {
	e.T.Helper()
	if _, err := e.Svc.Register(e.Ctx, e.Application(p), "192.0.2.1"); err != nil {
		e.T.Fatal(err)
	}
	a, err := e.Svc.Confirm(e.Ctx, identity.Confirmation{PIN: p.PIN, Code: e.LastCode()}, "192.0.2.1")
	if err != nil {
		e.T.Fatal(err)
	}
	return a
}

// ActiveLevel2 is Active with the account then raised to level 2
// (RaiseLevel2).
func (e *Env) ActiveLevel2(p people.Person) identity.Account {
	e.T.Helper()
	a := e.Active(p)
	e.RaiseLevel2(p)
	a.Level = identity.Level2
	return a
}

// RaiseLevel2 raises p's account to level 2, as a police officer raises it
// after checking the chip card in person (the fixture writes the level:
// not every test person holds a card).
func (e *Env) RaiseLevel2(p people.Person) {
	e.T.Helper()
	if _, err := e.D.ExecContext(e.Ctx, `UPDATE eid_accounts SET level = $2, level2_by = 'staff:test-police', level2_at = $3 WHERE pin = $1`,
		p.PIN, identity.Level2, db.FormatTime(e.Now)); err != nil {
		e.T.Fatal(err)
	}
}

// Count runs a count query, once the audit log's entries are stored.
func (e *Env) Count(q string, args ...any) int {
	e.T.Helper()
	e.Log.Sync(e.Ctx, 5*time.Second)
	var n int
	if err := e.D.QueryRowContext(e.Ctx, q, args...).Scan(&n); err != nil {
		e.T.Fatalf("%s: %v", q, err)
	}
	return n
}

// Audited counts the audit entries of actor ("" for any), action, subject
// and outcome.
func (e *Env) Audited(actor, action, subject, outcome string) int {
	return e.Count(`SELECT count(*) FROM audit_log WHERE ($1 = '' OR actor = $1) AND action = $2 AND subject = $3 AND outcome = $4`, actor, action, subject, outcome)
}
