package identity_test

import (
	"context"
	"database/sql"
	"errors"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/populus-vn/populus/internal/audit"
	"github.com/populus-vn/populus/internal/auth"
	"github.com/populus-vn/populus/internal/civil"
	"github.com/populus-vn/populus/internal/db"
	"github.com/populus-vn/populus/internal/db/dbtest"
	"github.com/populus-vn/populus/internal/identity"
	"github.com/populus-vn/populus/internal/people"
	"github.com/populus-vn/populus/internal/pin"
	"github.com/populus-vn/populus/internal/problem"
	"github.com/populus-vn/populus/internal/register"
	"github.com/populus-vn/populus/internal/staff"
	"github.com/populus-vn/populus/internal/units"
)

// baDinh is Phường Ba Đình, Hà Nội (01); otherCommune one of TP Hồ Chí
// Minh (79).
const baDinh = "00004"

var otherCommune = units.Default().Communes("79")[0].Code

var schemas = []*db.Schema{register.Schema, identity.Schema}

// env is the service over a fresh store holding two living people (lan,
// with a chip card, and minh) and one deceased (ba).
type env struct {
	t             *testing.T
	ctx           context.Context
	d             *db.DB
	log           *audit.Log
	reg           *register.Register
	svc           *identity.Service
	out           *identity.Outbox
	lan, minh, ba people.Person
	now           time.Time
}

func newEnv(t *testing.T, d *db.DB) *env {
	t.Helper()
	ctx := context.Background()
	log := audit.New(d)
	t.Cleanup(log.Close)
	g := auth.NewGuard(auth.NewPolicy(units.Default()), log)
	reg := register.New(d, g, log, units.Default())
	e := &env{t: t, ctx: ctx, d: d, log: log, reg: reg, out: identity.NewOutbox(d), now: time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)}
	e.svc = identity.New(d, reg, g, log, e.out, identity.Options{Params: staff.TestParams})
	e.svc.SetClock(func() time.Time { return e.now })
	mk := func(serial int, name string, sex civil.Sex, birth civil.Date) people.Person {
		prefix, err := pin.Prefix("001", sex, birth.Year)
		if err != nil {
			t.Fatal(err)
		}
		addr := people.Address{Unit: baDinh, Detail: "Số 1 Điện Biên Phủ"}
		return people.Person{PIN: string(pin.New(prefix, serial)), FullName: name, Sex: sex, BirthDate: birth,
			BirthPlace: baDinh, Hometown: baDinh, Ethnicity: "01", Nationality: "VN", Permanent: addr, Current: addr, Status: people.Alive}
	}
	e.lan = mk(1, "Nguyễn Thị Lan", civil.Female, civil.Date{Year: 1990, Month: 5, Day: 17})
	e.lan.Card = people.IDCard{Number: e.lan.PIN, Issued: civil.Date{Year: 2021, Month: 4, Day: 1}, Expires: civil.Date{Year: 2030, Month: 5, Day: 17}}
	e.minh = mk(2, "Trần Văn Minh", civil.Male, civil.Date{Year: 1985, Month: 1, Day: 3})
	e.ba = mk(3, "Lê Văn Ba", civil.Male, civil.Date{Year: 1940, Month: 2, Day: 1})
	e.ba.Status, e.ba.DeathDate = people.Deceased, civil.Date{Year: 2020, Month: 1, Day: 1}
	im := register.NewImporter(d)
	if err := im.Add(ctx, nil, []people.Person{e.lan, e.minh, e.ba}); err != nil {
		t.Fatal(err)
	}
	if err := im.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	return e
}

func (e *env) application(p people.Person) identity.Application {
	return identity.Application{PIN: p.PIN, FullName: p.FullName, BirthDate: p.BirthDate, Phone: "0912 345 678", Password: "correct horse battery"}
}

var codeRE = regexp.MustCompile(`\b(\d{6})\b`)

// lastCode is the code of the newest message in the outbox.
func (e *env) lastCode() string {
	e.t.Helper()
	m, err := e.out.Recent(e.ctx, 1)
	if err != nil || len(m) == 0 {
		e.t.Fatalf("outbox: %v %v", m, err)
	}
	c := codeRE.FindStringSubmatch(m[0].Body)
	if c == nil {
		e.t.Fatalf("no code in %q", m[0].Body)
	}
	return c[1]
}

// active registers and confirms p's account.
func (e *env) active(p people.Person) identity.Account {
	e.t.Helper()
	if _, err := e.svc.Register(e.ctx, e.application(p), "192.0.2.1"); err != nil {
		e.t.Fatal(err)
	}
	a, err := e.svc.Confirm(e.ctx, identity.Confirmation{PIN: p.PIN, Code: e.lastCode()}, "192.0.2.1")
	if err != nil {
		e.t.Fatal(err)
	}
	return a
}

func (e *env) login(p people.Person, password, remote string) (identity.Session, error) {
	s, _, err := e.svc.Login(e.ctx, identity.Attempt{PIN: p.PIN, Password: password, Remote: remote, Device: "Firefox on Linux"})
	return s, err
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

func (e *env) audited(actor, action, subject, outcome string) int {
	return e.count(`SELECT count(*) FROM audit_log WHERE ($1 = '' OR actor = $1) AND action = $2 AND subject = $3 AND outcome = $4`, actor, action, subject, outcome)
}

func wantKind(t *testing.T, err error, k problem.Kind) *problem.Error {
	t.Helper()
	var pe *problem.Error
	if !errors.As(err, &pe) || pe.Kind != k {
		t.Fatalf("error = %v (%T), want a problem of kind %s", err, err, k)
	}
	return pe
}

// The whole level-1 path: application matched against the register, code
// sent to the phone, wrong code refused, right code activates, sign-in
// starts a session and alerts of a new device once.
func TestRegisterConfirmSignIn(t *testing.T) {
	dbtest.Engines(t, schemas, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		app := e.application(e.lan)
		app.FullName = "  nguyễn thị   LAN " // case and spaces do not matter
		pend, err := e.svc.Register(e.ctx, app, "192.0.2.1")
		if err != nil {
			t.Fatal(err)
		}
		if pend.PhoneMasked != "+84******678" || !pend.CodeExpiresAt.Equal(e.now.Add(10*time.Minute)) {
			t.Errorf("pending = %+v", pend)
		}
		// The register was read as system:identity, audited against the person.
		if n := e.audited("system:identity", string(auth.ReadPerson), e.lan.PIN, audit.OK); n != 1 {
			t.Errorf("matcher's reads audited: %d, want 1", n)
		}
		if _, err := e.login(e.lan, app.Password, "192.0.2.1"); !strings.Contains(err.Error(), "not yet confirmed") {
			t.Errorf("sign-in of a pending account: %v", err)
		}
		code := e.lastCode()
		wrong := "000000"
		if code == wrong {
			wrong = "111111"
		}
		_, err = e.svc.Confirm(e.ctx, identity.Confirmation{PIN: e.lan.PIN, Code: wrong}, "192.0.2.1")
		if pe := wantKind(t, err, problem.Invalid); len(pe.Fields) != 1 || pe.Fields[0].Field != "code" {
			t.Errorf("wrong code: %v", err)
		}
		a, err := e.svc.Confirm(e.ctx, identity.Confirmation{PIN: e.lan.PIN, Code: code}, "192.0.2.1")
		if err != nil || a.State != identity.StateActive || a.Level != identity.Level1 || a.Phone != "+84912345678" {
			t.Fatalf("confirm: %+v %v", a, err)
		}
		// The code is spent.
		if _, err := e.svc.Confirm(e.ctx, identity.Confirmation{PIN: e.lan.PIN, Code: code}, "192.0.2.1"); !problem.Is(err, problem.Invalid) {
			t.Errorf("code used twice: %v", err)
		}
		sess, token, err := e.svc.Login(e.ctx, identity.Attempt{PIN: e.lan.PIN, Password: app.Password, Remote: "192.0.2.1", Device: "Firefox on Linux"})
		if err != nil || token == "" || sess.Account.PIN != e.lan.PIN || sess.CSRF == "" {
			t.Fatalf("login: %+v %v", sess, err)
		}
		msgs, _ := e.out.Recent(e.ctx, 10)
		if !strings.Contains(msgs[0].Body, "thiet bi moi") || msgs[0].To != "+84912345678" {
			t.Errorf("no new-device alert: %+v", msgs[0])
		}
		if _, err := e.login(e.lan, app.Password, "192.0.2.1"); err != nil {
			t.Fatal(err)
		}
		if again, _ := e.out.Recent(e.ctx, 10); len(again) != len(msgs) {
			t.Errorf("a known device alerted again: %d messages, then %d", len(msgs), len(again))
		}
		logins, err := e.svc.Logins(e.ctx, a.Principal(e.lan.FullName), 0, 10)
		if err != nil || len(logins) != 3 || logins[0].Outcome != identity.LoginOK || logins[2].Outcome != identity.LoginRefused {
			t.Errorf("history = %+v %v", logins, err)
		}
		if n := e.audited("citizen:"+e.lan.PIN, string(identity.ActionSignIn), e.lan.PIN, audit.OK); n != 2 {
			t.Errorf("sign-ins audited: %d", n)
		}
	})
}

// An unknown PIN, another name, another date of birth and a deceased person
// all get the one answer, which names no field; the audit log says which.
func TestRegisterMismatchDisclosesNothing(t *testing.T) {
	dbtest.Engines(t, schemas, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		unknown := e.application(e.lan)
		prefix, _ := pin.Prefix("001", civil.Female, 1990)
		unknown.PIN = string(pin.New(prefix, 999))
		name := e.application(e.lan)
		name.FullName = "Nguyễn Thị Lân"
		date := e.application(e.lan)
		date.BirthDate.Day = 18
		dead := e.application(e.ba)
		var first string
		for what, app := range map[string]identity.Application{"unknown": unknown, "name": name, "date": date, "dead": dead} {
			_, err := e.svc.Register(e.ctx, app, "192.0.2.7")
			pe := wantKind(t, err, problem.Invalid)
			if len(pe.Fields) != 0 {
				t.Errorf("%s: fields %v named", what, pe.Fields)
			}
			if first == "" {
				first = pe.Detail
			} else if pe.Detail != first {
				t.Errorf("%s: %q differs from %q", what, pe.Detail, first)
			}
		}
		if n := e.count("SELECT count(*) FROM eid_accounts"); n != 0 {
			t.Errorf("%d accounts kept", n)
		}
		for detail, subject := range map[string]string{"no such PIN": unknown.PIN, "full name differs": e.lan.PIN, "date of birth differs": e.lan.PIN, "person not alive": e.ba.PIN} {
			if n := e.count("SELECT count(*) FROM audit_log WHERE action = $1 AND subject = $2 AND outcome = $3 AND detail = $4",
				string(identity.ActionRegister), subject, audit.Failed, detail); n != 1 {
				t.Errorf("audit of %q on %s: %d", detail, subject, n)
			}
		}
		msgs, _ := e.out.Recent(e.ctx, 10)
		if len(msgs) != 0 {
			t.Errorf("messages sent: %+v", msgs)
		}
		// Field errors name the fields.
		_, err := e.svc.Register(e.ctx, identity.Application{PIN: "12", Phone: "12345", Password: "short"}, "192.0.2.7")
		if pe := wantKind(t, err, problem.Invalid); len(pe.Fields) != 5 {
			t.Errorf("fields: %v", pe.Fields)
		}
	})
}

// One account per person: an active account refuses a new application; a
// pending one is replaced by it (the newest phone gets the code).
func TestOneAccountPerPerson(t *testing.T) {
	dbtest.Engines(t, schemas, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		if _, err := e.svc.Register(e.ctx, e.application(e.minh), "192.0.2.1"); err != nil {
			t.Fatal(err)
		}
		app := e.application(e.minh)
		app.Phone = "0987654321"
		if _, err := e.svc.Register(e.ctx, app, "192.0.2.2"); err != nil {
			t.Fatal(err)
		}
		a, err := e.svc.Confirm(e.ctx, identity.Confirmation{PIN: e.minh.PIN, Code: e.lastCode()}, "192.0.2.2")
		if err != nil || a.Phone != "+84987654321" {
			t.Fatalf("confirm: %+v %v", a, err)
		}
		_, err = e.svc.Register(e.ctx, e.application(e.minh), "192.0.2.1")
		wantKind(t, err, problem.Conflict)
		if n := e.count("SELECT count(*) FROM eid_accounts WHERE pin = $1", e.minh.PIN); n != 1 {
			t.Errorf("%d accounts", n)
		}
	})
}

// A wrong password and an unknown PIN get the one answer; the sixth
// attempt at one account from one address waits; a locked account is
// refused once the password is right.
func TestSignInRefusals(t *testing.T) {
	dbtest.Engines(t, schemas, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		e.active(e.lan)
		_, err1 := e.login(e.lan, "wrong password!", "198.51.100.1")
		_, err2 := e.login(e.ba, "wrong password!", "198.51.100.1")
		if wantKind(t, err1, problem.Unauthorized).Detail != wantKind(t, err2, problem.Unauthorized).Detail {
			t.Errorf("%v and %v differ", err1, err2)
		}
		for range 4 {
			e.login(e.lan, "wrong password!", "198.51.100.1")
		}
		_, err := e.login(e.lan, "correct horse battery", "198.51.100.1")
		var rl *identity.RateLimitError
		if !errors.As(err, &rl) || !problem.Is(err, problem.RateLimited) || rl.RetryAfter != 30*time.Second {
			t.Fatalf("sixth attempt: %v", err)
		}
		// From another address the holder signs in.
		if _, err := e.login(e.lan, "correct horse battery", "198.51.100.2"); err != nil {
			t.Fatal(err)
		}
		e.now = e.now.Add(31 * time.Second)
		if _, err := e.login(e.lan, "correct horse battery", "198.51.100.1"); err != nil {
			t.Fatalf("after the delay: %v", err)
		}
	})
}

// The hash made with older parameters is upgraded at the next sign-in.
func TestPasswordUpgradedOnSignIn(t *testing.T) {
	dbtest.Engines(t, schemas, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		e.active(e.lan)
		hash := func() string {
			var h string
			if err := d.QueryRowContext(e.ctx, "SELECT password_hash FROM eid_accounts WHERE pin = $1", e.lan.PIN).Scan(&h); err != nil {
				t.Fatal(err)
			}
			return h
		}
		if !strings.HasPrefix(hash(), "$argon2id$v=19$m=64,t=1,p=1$") {
			t.Fatalf("hash = %s", hash())
		}
		stronger := staff.Params{Memory: 128, Time: 2, Threads: 1, SaltLen: 16, KeyLen: 32}
		svc := identity.New(d, e.reg, auth.NewGuard(auth.NewPolicy(units.Default()), e.log), e.log, e.out, identity.Options{Params: stronger})
		if _, _, err := svc.Login(e.ctx, identity.Attempt{PIN: e.lan.PIN, Password: "correct horse battery", Remote: "192.0.2.9"}); err != nil {
			t.Fatal(err)
		}
		h := hash()
		if !strings.HasPrefix(h, "$argon2id$v=19$m=128,t=2,p=1$") || !staff.VerifyPassword("correct horse battery", h) {
			t.Errorf("hash not upgraded: %s", h)
		}
	})
}

// The holder locks the account (reporting a login as not theirs): sessions
// end, sign-in is refused, and a code sent to the phone unlocks it.
func TestLockAndUnlock(t *testing.T) {
	dbtest.Engines(t, schemas, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		e.active(e.lan)
		sess, err := e.login(e.lan, "correct horse battery", "192.0.2.1")
		if err != nil {
			t.Fatal(err)
		}
		p := sess.Account.Principal(e.lan.FullName)
		logins, _ := e.svc.Logins(e.ctx, p, 0, 1)
		a, err := e.svc.Lock(e.ctx, p, identity.LockRequest{NotMeLoginID: logins[0].ID})
		if err != nil || a.State != identity.StateLocked {
			t.Fatalf("lock: %+v %v", a, err)
		}
		if n := e.count("SELECT count(*) FROM eid_sessions"); n != 0 {
			t.Errorf("%d sessions left", n)
		}
		if l, _ := e.svc.Logins(e.ctx, p, 0, 1); !strings.Contains(l[0].Detail, "not me") {
			t.Errorf("report not kept: %+v", l[0])
		}
		_, err = e.login(e.lan, "correct horse battery", "192.0.2.1")
		if pe := wantKind(t, err, problem.Forbidden); !strings.Contains(pe.Detail, "locked") {
			t.Errorf("locked sign-in: %v", err)
		}
		// Asking for a code reveals nothing of a PIN without a locked account.
		if err := e.svc.RequestUnlock(e.ctx, e.minh.PIN, "192.0.2.1"); err != nil {
			t.Errorf("unlock of a PIN without account: %v", err)
		}
		if err := e.svc.RequestUnlock(e.ctx, e.lan.PIN, "192.0.2.1"); err != nil {
			t.Fatal(err)
		}
		if a, err := e.svc.Unlock(e.ctx, identity.Confirmation{PIN: e.lan.PIN, Code: e.lastCode()}, "192.0.2.1"); err != nil || a.State != identity.StateActive {
			t.Fatalf("unlock: %+v %v", a, err)
		}
		if _, err := e.login(e.lan, "correct horse battery", "192.0.2.1"); err != nil {
			t.Fatal(err)
		}
		if n := e.audited("citizen:"+e.lan.PIN, string(identity.ActionLock), e.lan.PIN, audit.OK) + e.audited("citizen:"+e.lan.PIN, string(identity.ActionUnlock), e.lan.PIN, audit.OK); n != 2 {
			t.Errorf("lock and unlock audited: %d", n)
		}
	})
}

func police(unit string) auth.Principal {
	return auth.Staff(7, "police@"+unit, "Công an", auth.PoliceOfficer, unit)
}

// A police officer of the person's commune raises the account to level 2
// after checking the card; one elsewhere gets the reach refusal, a
// registrar the role's, a wrong card number a field error.
func TestRaiseToLevel2(t *testing.T) {
	dbtest.Engines(t, schemas, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		e.active(e.lan)
		e.active(e.minh)
		_, err := e.svc.RaiseToLevel2(e.ctx, police(otherCommune), identity.Level2Request{PIN: e.lan.PIN, CardNumber: e.lan.PIN})
		wantKind(t, err, problem.Forbidden)
		_, err = e.svc.RaiseToLevel2(e.ctx, auth.Staff(8, "reg", "", auth.Registrar, baDinh), identity.Level2Request{PIN: e.lan.PIN, CardNumber: e.lan.PIN})
		if pe := wantKind(t, err, problem.Forbidden); !strings.Contains(pe.Detail, "registrar") {
			t.Errorf("registrar: %v", err)
		}
		_, err = e.svc.RaiseToLevel2(e.ctx, police(baDinh), identity.Level2Request{PIN: e.lan.PIN, CardNumber: "001190000999"})
		if pe := wantKind(t, err, problem.Invalid); pe.Fields[0].Field != "card_number" {
			t.Errorf("wrong card: %v", err)
		}
		_, err = e.svc.RaiseToLevel2(e.ctx, police(baDinh), identity.Level2Request{PIN: e.minh.PIN, CardNumber: "0"})
		if pe := wantKind(t, err, problem.Invalid); !strings.Contains(pe.Fields[0].Reason, "no chip card") {
			t.Errorf("no card: %v", err)
		}
		a, err := e.svc.RaiseToLevel2(e.ctx, police(baDinh), identity.Level2Request{PIN: e.lan.PIN, CardNumber: e.lan.PIN})
		if err != nil || a.Level != identity.Level2 || a.Level2By != "staff:police@"+baDinh {
			t.Fatalf("raise: %+v %v", a, err)
		}
		if n := e.audited("staff:police@"+baDinh, string(identity.RaiseLevel), e.lan.PIN, audit.OK); n != 1 {
			t.Errorf("raise audited %d times", n)
		}
		if n := e.audited("staff:police@"+otherCommune, string(auth.ReadPerson), e.lan.PIN, audit.Denied); n != 1 {
			t.Errorf("refusal out of reach audited %d times", n)
		}
		_, err = e.svc.RaiseToLevel2(e.ctx, police(baDinh), identity.Level2Request{PIN: e.lan.PIN, CardNumber: e.lan.PIN})
		wantKind(t, err, problem.Conflict)
	})
}

// A death revokes the account in the death's transaction; a hook that
// fails undoes the death and the revocation together.
func TestDeathRevokesTheAccount(t *testing.T) {
	dbtest.Engines(t, schemas, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		e.active(e.lan)
		e.active(e.minh)
		if _, err := e.login(e.lan, "correct horse battery", "192.0.2.1"); err != nil {
			t.Fatal(err)
		}
		registrar := auth.Staff(9, "registrar", "", auth.Registrar, baDinh)
		if _, err := e.reg.RegisterDeath(e.ctx, registrar, people.DeathRegistration{PIN: e.lan.PIN, DeathDate: civil.Date{Year: 2026, Month: 3, Day: 1}}); err != nil {
			t.Fatal(err)
		}
		var state string
		d.QueryRowContext(e.ctx, "SELECT state FROM eid_accounts WHERE pin = $1", e.lan.PIN).Scan(&state)
		if state != string(identity.StateRevoked) {
			t.Errorf("state after death = %s", state)
		}
		if n := e.count("SELECT count(*) FROM eid_sessions"); n != 0 {
			t.Errorf("%d sessions left", n)
		}
		if n := e.audited("system:identity", string(identity.ActionRevoke), e.lan.PIN, audit.OK); n != 1 {
			t.Errorf("revocation audited %d times", n)
		}
		_, err := e.login(e.lan, "correct horse battery", "192.0.2.1")
		if pe := wantKind(t, err, problem.Forbidden); !strings.Contains(pe.Detail, "revoked") {
			t.Errorf("revoked sign-in: %v", err)
		}
		// A failing hook after the identity's: nothing of the death stays.
		e.reg.OnDeath(func(context.Context, *sql.Tx, string) error { return errors.New("hook failed") })
		if _, err := e.reg.RegisterDeath(e.ctx, registrar, people.DeathRegistration{PIN: e.minh.PIN, DeathDate: civil.Date{Year: 2026, Month: 3, Day: 1}}); err == nil {
			t.Fatal("death registered despite a failing hook")
		}
		d.QueryRowContext(e.ctx, "SELECT state FROM eid_accounts WHERE pin = $1", e.minh.PIN).Scan(&state)
		if state != string(identity.StateActive) {
			t.Errorf("state after an undone death = %s", state)
		}
		if p, _ := e.reg.Get(e.ctx, registrar, e.minh.PIN); p.Status != people.Alive {
			t.Errorf("death kept: %s", p.Status)
		}
	})
}
