package identity_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode"

	"github.com/populus-vn/populus/internal/audit"
	"github.com/populus-vn/populus/internal/auth"
	"github.com/populus-vn/populus/internal/civil"
	"github.com/populus-vn/populus/internal/db"
	"github.com/populus-vn/populus/internal/db/dbtest"
	"github.com/populus-vn/populus/internal/identity"
	"github.com/populus-vn/populus/internal/identity/identitytest"
	"github.com/populus-vn/populus/internal/people"
	"github.com/populus-vn/populus/internal/pin"
	"github.com/populus-vn/populus/internal/problem"
	"github.com/populus-vn/populus/internal/staff"
	"github.com/populus-vn/populus/internal/units"
)

const baDinh = identitytest.BaDinh

var otherCommune = units.Default().Communes("79")[0].Code

var schemas = identitytest.Schemas

type env struct{ *identitytest.Env }

func newEnv(t *testing.T, d *db.DB) env { return env{identitytest.New(t, d)} }

func (e env) login(p people.Person, password, remote string) (identity.Session, error) {
	s, _, err := e.Svc.Login(e.Ctx, identity.Attempt{PIN: p.PIN, Password: password, Remote: remote, Device: "Firefox on Linux"})
	return s, err
}

// reportNotMe has p's holder, signed in from elsewhere (with the
// authenticator app's code where one is enabled), lock the account on the
// last sign-in from remote: "this was not me".
func (e env) reportNotMe(t *testing.T, p people.Person, remote string, totp ...string) {
	t.Helper()
	sess, _, err := e.Svc.Login(e.Ctx, identity.Attempt{PIN: p.PIN, Password: identitytest.Password, TOTP: strings.Join(totp, ""), Remote: "192.0.2.10", Device: "Firefox on Linux"})
	if err != nil {
		t.Fatal(err)
	}
	holder := sess.Account.Principal(p.FullName)
	logins, _ := e.Svc.Logins(e.Ctx, holder, 0, 5)
	i := slices.IndexFunc(logins, func(l identity.Login) bool { return l.Remote == remote })
	if i < 0 {
		t.Fatalf("no sign-in from %s", remote)
	}
	if _, err := e.Svc.Lock(e.Ctx, holder, identity.LockRequest{NotMeLoginID: logins[i].ID}); err != nil {
		t.Fatal(err)
	}
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
		app := e.Application(e.Lan)
		app.FullName = "  nguyễn thị   LAN " // case and spaces do not matter
		pend, err := e.Svc.Register(e.Ctx, app, "192.0.2.1")
		if err != nil {
			t.Fatal(err)
		}
		if pend.PhoneMasked != "+84******678" || !pend.CodeExpiresAt.Equal(e.Now.Add(10*time.Minute)) {
			t.Errorf("pending = %+v", pend)
		}
		// The register was read as system:identity, audited against the person.
		if n := e.Audited("system:identity", string(auth.ReadPerson), e.Lan.PIN, audit.OK); n != 1 {
			t.Errorf("matcher's reads audited: %d, want 1", n)
		}
		if _, err := e.login(e.Lan, app.Password, "192.0.2.1"); !strings.Contains(err.Error(), "not yet confirmed") {
			t.Errorf("sign-in of a pending account: %v", err)
		}
		code := e.LastCode()
		wrong := "000000"
		if code == wrong {
			wrong = "111111"
		}
		_, err = e.Svc.Confirm(e.Ctx, identity.Confirmation{PIN: e.Lan.PIN, Code: wrong}, "192.0.2.1")
		if pe := wantKind(t, err, problem.Invalid); len(pe.Fields) != 1 || pe.Fields[0].Field != "code" {
			t.Errorf("wrong code: %v", err)
		}
		a, err := e.Svc.Confirm(e.Ctx, identity.Confirmation{PIN: e.Lan.PIN, Code: code}, "192.0.2.1")
		if err != nil || a.State != identity.StateActive || a.Level != identity.Level1 || a.Phone != "+84912345678" {
			t.Fatalf("confirm: %+v %v", a, err)
		}
		// The code is spent.
		if _, err := e.Svc.Confirm(e.Ctx, identity.Confirmation{PIN: e.Lan.PIN, Code: code}, "192.0.2.1"); !problem.Is(err, problem.Invalid) {
			t.Errorf("code used twice: %v", err)
		}
		sess, token, err := e.Svc.Login(e.Ctx, identity.Attempt{PIN: e.Lan.PIN, Password: app.Password, Remote: "192.0.2.1", Device: "Firefox on Linux"})
		if err != nil || token == "" || sess.Account.PIN != e.Lan.PIN || sess.CSRF == "" {
			t.Fatalf("login: %+v %v", sess, err)
		}
		msgs, _ := e.Out.Recent(e.Ctx, 10)
		if !strings.Contains(msgs[0].Body, "thiet bi moi") || msgs[0].To != "+84912345678" {
			t.Errorf("no new-device alert: %+v", msgs[0])
		}

		if _, err := e.login(e.Lan, app.Password, "192.0.2.1"); err != nil {
			t.Fatal(err)
		}
		if again, _ := e.Out.Recent(e.Ctx, 10); len(again) != len(msgs) {
			t.Errorf("a known device alerted again: %d messages, then %d", len(msgs), len(again))
		}
		logins, err := e.Svc.Logins(e.Ctx, a.Principal(e.Lan.FullName), 0, 10)
		if err != nil || len(logins) != 3 || logins[0].Outcome != identity.LoginOK || logins[2].Outcome != identity.LoginRefused {
			t.Errorf("history = %+v %v", logins, err)
		}
		if n := e.Audited("citizen:"+e.Lan.PIN, string(identity.ActionSignIn), e.Lan.PIN, audit.OK); n != 2 {
			t.Errorf("sign-ins audited: %d", n)
		}
	})
}

// An unknown PIN, another name, another date of birth and a deceased person
// all get the one answer, which names no field; the audit log says which.
func TestRegisterMismatchDisclosesNothing(t *testing.T) {
	dbtest.Engines(t, schemas, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		unknown := e.Application(e.Lan)
		prefix, _ := pin.Prefix("001", civil.Female, 1990)
		unknown.PIN = string(pin.New(prefix, 999))
		name := e.Application(e.Lan)
		name.FullName = "Nguyễn Thị Lân"
		date := e.Application(e.Lan)
		date.BirthDate.Day = 18
		dead := e.Application(e.Ba)
		var first string
		for what, app := range map[string]identity.Application{"unknown": unknown, "name": name, "date": date, "dead": dead} {
			_, err := e.Svc.Register(e.Ctx, app, "192.0.2.7")
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
		if n := e.Count("SELECT count(*) FROM eid_accounts"); n != 0 {
			t.Errorf("%d accounts kept", n)
		}
		for detail, subject := range map[string]string{"no such PIN": unknown.PIN, "full name differs": e.Lan.PIN, "date of birth differs": e.Lan.PIN, "person not alive": e.Ba.PIN} {
			if n := e.Count("SELECT count(*) FROM audit_log WHERE action = $1 AND subject = $2 AND outcome = $3 AND detail = $4",
				string(identity.ActionRegister), subject, audit.Failed, detail); n != 1 {
				t.Errorf("audit of %q on %s: %d", detail, subject, n)
			}
		}
		msgs, _ := e.Out.Recent(e.Ctx, 10)
		if len(msgs) != 0 {
			t.Errorf("messages sent: %+v", msgs)
		}
		// Field errors name the fields.
		_, err := e.Svc.Register(e.Ctx, identity.Application{PIN: "12", Phone: "12345", Password: "short"}, "192.0.2.7")
		if pe := wantKind(t, err, problem.Invalid); len(pe.Fields) != 5 {
			t.Errorf("fields: %v", pe.Fields)
		}
	})
}

// A registration that goes past the register's check tells its sender
// that the name and date of birth are the person's: guesses at one
// person's date of birth from many addresses wait after five, each
// refusal audited against the person; another person is not held up.
func TestRegisterGuessesAtOnePerson(t *testing.T) {
	dbtest.Engines(t, schemas, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		for i := range 5 {
			app := e.Application(e.Lan)
			app.BirthDate.Day = 1 + i
			_, err := e.Svc.Register(e.Ctx, app, fmt.Sprintf("198.51.100.%d", i+1))
			wantKind(t, err, problem.Invalid)
		}
		_, err := e.Svc.Register(e.Ctx, e.Application(e.Lan), "203.0.113.9")
		var rl *identity.RateLimitError
		if !errors.As(err, &rl) || !strings.Contains(rl.Reason, "this person") {
			t.Fatalf("the sixth guess, from a sixth address, with the right date: %v; want a wait", err)
		}
		if n := e.Count("SELECT count(*) FROM audit_log WHERE action = $1 AND subject = $2 AND outcome = $3",
			string(identity.ActionRegister), e.Lan.PIN, audit.Denied); n != 1 {
			t.Errorf("%d refusals audited against the person, want 1", n)
		}
		if _, err := e.Svc.Register(e.Ctx, e.Application(e.Minh), "203.0.113.9"); err != nil {
			t.Errorf("another person from the same address: %v", err)
		}
	})
}

// One account per person: an active account refuses a new application; a
// pending one is replaced by it (the newest phone gets the code, the
// replaced one a notice).
func TestOneAccountPerPerson(t *testing.T) {
	dbtest.Engines(t, schemas, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		if _, err := e.Svc.Register(e.Ctx, e.Application(e.Minh), "192.0.2.1"); err != nil {
			t.Fatal(err)
		}
		app := e.Application(e.Minh)
		app.Phone = "0987654321"
		if _, err := e.Svc.Register(e.Ctx, app, "192.0.2.2"); err != nil {
			t.Fatal(err)
		}
		a, err := e.Svc.Confirm(e.Ctx, identity.Confirmation{PIN: e.Minh.PIN, Code: e.LastCode()}, "192.0.2.2")
		if err != nil || a.Phone != "+84987654321" {
			t.Fatalf("confirm: %+v %v", a, err)
		}
		// The first phone was told its application was replaced.
		if n := e.Count("SELECT count(*) FROM eid_outbox WHERE recipient = '+84912345678' AND body LIKE '%thay the dang ky cua ban%'"); n != 1 {
			t.Errorf("%d notices to the replaced application's phone", n)
		}
		_, err = e.Svc.Register(e.Ctx, e.Application(e.Minh), "192.0.2.1")
		wantKind(t, err, problem.Conflict)
		if n := e.Count("SELECT count(*) FROM eid_accounts WHERE pin = $1", e.Minh.PIN); n != 1 {
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
		e.Active(e.Lan)
		_, err1 := e.login(e.Lan, "wrong password!", "198.51.100.1")
		_, err2 := e.login(e.Ba, "wrong password!", "198.51.100.1")
		if wantKind(t, err1, problem.Unauthorized).Detail != wantKind(t, err2, problem.Unauthorized).Detail {
			t.Errorf("%v and %v differ", err1, err2)
		}
		for range 4 {
			e.login(e.Lan, "wrong password!", "198.51.100.1")
		}
		_, err := e.login(e.Lan, "correct horse battery", "198.51.100.1")
		var rl *identity.RateLimitError
		if !errors.As(err, &rl) || !problem.Is(err, problem.RateLimited) || rl.RetryAfterSeconds() != 30 {
			t.Fatalf("sixth attempt: %v", err)
		}
		// From another address the holder signs in.
		if _, err := e.login(e.Lan, "correct horse battery", "198.51.100.2"); err != nil {
			t.Fatal(err)
		}
		e.Now = e.Now.Add(31 * time.Second)
		if _, err := e.login(e.Lan, "correct horse battery", "198.51.100.1"); err != nil {
			t.Fatalf("after the delay: %v", err)
		}
	})
}

// Citizens behind one address (a carrier's NAT) share its limit only for
// failed attempts: sign-ins that succeed are taken back, so 60 of them in
// an hour leave the others free to sign in; 50 failures from the address
// still stop the next attempt, whoever's.
func TestSuccessfulSignInsDoNotThrottleTheirAddress(t *testing.T) {
	dbtest.Engines(t, schemas, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		e.Active(e.Lan)
		e.Active(e.Minh)
		const nat = "203.0.113.9"
		for i := range 60 {
			if _, err := e.login(e.Lan, identitytest.Password, nat); err != nil {
				t.Fatalf("sign-in %d from the shared address: %v", i+1, err)
			}
		}
		if _, err := e.login(e.Minh, identitytest.Password, nat); err != nil {
			t.Fatalf("another citizen behind the address: %v", err)
		}
		// A guesser at many accounts from the address.
		for i := range 50 {
			prefix, _ := pin.Prefix("001", civil.Male, 1970)
			other := people.Person{PIN: string(pin.New(prefix, 100+i))}
			if _, err := e.login(other, "wrong password!", nat); !problem.Is(err, problem.Unauthorized) {
				t.Fatalf("guess %d: %v", i+1, err)
			}
		}
		if _, err := e.login(e.Minh, identitytest.Password, nat); !problem.Is(err, problem.RateLimited) {
			t.Errorf("after 50 failures from the address: %v", err)
		}
	})
}

// Whoever names an account cannot keep its holder out from where they
// usually sign in: guesses at it from many addresses stop the next attempt
// from a new address, not from one it signed in from lately.
func TestGuessesDoNotLockTheHolderOutOfAKnownAddress(t *testing.T) {
	dbtest.Engines(t, schemas, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		e.Active(e.Lan)
		const home = "192.0.2.50"
		if _, err := e.login(e.Lan, identitytest.Password, home); err != nil {
			t.Fatal(err)
		}
		for i := range 20 {
			if _, err := e.login(e.Lan, "wrong password!", fmt.Sprintf("198.51.100.%d", i+1)); !problem.Is(err, problem.Unauthorized) {
				t.Fatalf("guess %d: %v", i+1, err)
			}
		}
		if _, err := e.login(e.Lan, identitytest.Password, "203.0.113.77"); !problem.Is(err, problem.RateLimited) {
			t.Errorf("from a new address after 20 guesses: %v", err)
		}
		if _, err := e.login(e.Lan, identitytest.Password, home); err != nil {
			t.Errorf("from the holder's known address: %v", err)
		}
	})
}

// The hash made with older parameters is upgraded at the next sign-in.
func TestPasswordUpgradedOnSignIn(t *testing.T) {
	dbtest.Engines(t, schemas, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		e.Active(e.Lan)
		hash := func() string {
			var h string
			if err := d.QueryRowContext(e.Ctx, "SELECT password_hash FROM eid_accounts WHERE pin = $1", e.Lan.PIN).Scan(&h); err != nil {
				t.Fatal(err)
			}
			return h
		}
		if !strings.HasPrefix(hash(), "$argon2id$v=19$m=64,t=1,p=1$") {
			t.Fatalf("hash = %s", hash())
		}
		stronger := staff.Params{Memory: 128, Time: 2, Threads: 1, SaltLen: 16, KeyLen: 32}
		svc := identity.New(d, e.Reg, auth.NewGuard(auth.NewPolicy(units.Default()), e.Log), e.Log, e.Out, identity.Options{Params: stronger})
		if _, _, err := svc.Login(e.Ctx, identity.Attempt{PIN: e.Lan.PIN, Password: "correct horse battery", Remote: "192.0.2.9"}); err != nil {
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
		e.Active(e.Lan)
		sess, err := e.login(e.Lan, "correct horse battery", "192.0.2.1")
		if err != nil {
			t.Fatal(err)
		}
		p := sess.Account.Principal(e.Lan.FullName)
		logins, _ := e.Svc.Logins(e.Ctx, p, 0, 1)
		a, err := e.Svc.Lock(e.Ctx, p, identity.LockRequest{NotMeLoginID: logins[0].ID})
		if err != nil || a.State != identity.StateLocked {
			t.Fatalf("lock: %+v %v", a, err)
		}
		if n := e.Count("SELECT count(*) FROM eid_sessions"); n != 0 {
			t.Errorf("%d sessions left", n)
		}
		if n := e.Count("SELECT count(*) FROM eid_outbox WHERE body LIKE '%da bi khoa%'"); n != 1 {
			t.Errorf("%d notices of the lock to the phone", n)
		}
		if l, _ := e.Svc.Logins(e.Ctx, p, 0, 1); !strings.Contains(l[0].Detail, "not me") {
			t.Errorf("report not kept: %+v", l[0])
		}
		_, err = e.login(e.Lan, "correct horse battery", "192.0.2.1")
		if pe := wantKind(t, err, problem.Forbidden); !strings.Contains(pe.Detail, "locked") {
			t.Errorf("locked sign-in: %v", err)
		}
		// Asking for a code reveals nothing of a PIN without a locked account.
		if err := e.Svc.RequestUnlock(e.Ctx, e.Minh.PIN, "192.0.2.1"); err != nil {
			t.Errorf("unlock of a PIN without account: %v", err)
		}
		if err := e.Svc.RequestUnlock(e.Ctx, e.Lan.PIN, "192.0.2.1"); err != nil {
			t.Fatal(err)
		}
		if a, err := e.Svc.Unlock(e.Ctx, identity.UnlockRequest{PIN: e.Lan.PIN, Code: e.LastCode(), Password: "correct horse battery staple"}, "192.0.2.1"); err != nil || a.State != identity.StateActive {
			t.Fatalf("unlock: %+v %v", a, err)
		}
		if _, err := e.login(e.Lan, "correct horse battery staple", "192.0.2.1"); err != nil {
			t.Fatal(err)
		}
		if n := e.Audited("citizen:"+e.Lan.PIN, string(identity.ActionLock), e.Lan.PIN, audit.OK) + e.Audited("citizen:"+e.Lan.PIN, string(identity.ActionUnlock), e.Lan.PIN, audit.OK); n != 2 {
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
		e.Active(e.Lan)
		e.Active(e.Minh)
		_, err := e.Svc.RaiseToLevel2(e.Ctx, police(otherCommune), identity.Level2Request{PIN: e.Lan.PIN, CardNumber: e.Lan.PIN, CardIssued: e.Lan.Card.Issued})
		wantKind(t, err, problem.Forbidden)
		_, err = e.Svc.RaiseToLevel2(e.Ctx, auth.Staff(8, "reg", "", auth.Registrar, baDinh), identity.Level2Request{PIN: e.Lan.PIN, CardNumber: e.Lan.PIN, CardIssued: e.Lan.Card.Issued})
		if pe := wantKind(t, err, problem.Forbidden); !strings.Contains(pe.Detail, "registrar") {
			t.Errorf("registrar: %v", err)
		}
		_, err = e.Svc.RaiseToLevel2(e.Ctx, police(baDinh), identity.Level2Request{PIN: e.Lan.PIN, CardNumber: "001190000999", CardIssued: e.Lan.Card.Issued})
		if pe := wantKind(t, err, problem.Invalid); pe.Fields[0].Field != "card_number" {
			t.Errorf("wrong card: %v", err)
		}
		_, err = e.Svc.RaiseToLevel2(e.Ctx, police(baDinh), identity.Level2Request{PIN: e.Minh.PIN, CardNumber: "0", CardIssued: civil.Date{Year: 2021, Month: 1, Day: 1}})
		if pe := wantKind(t, err, problem.Invalid); !strings.Contains(pe.Fields[0].Reason, "no chip card") {
			t.Errorf("no card: %v", err)
		}
		// The card's number is the PIN, which others may know: the date
		// of issue printed on it is asked too, and checked.
		_, err = e.Svc.RaiseToLevel2(e.Ctx, police(baDinh), identity.Level2Request{PIN: e.Lan.PIN, CardNumber: e.Lan.PIN})
		if pe := wantKind(t, err, problem.Invalid); pe.Fields[0].Field != "card_issued" {
			t.Errorf("no date of issue: %v", err)
		}
		wrongDay := e.Lan.Card.Issued
		wrongDay.Day++
		_, err = e.Svc.RaiseToLevel2(e.Ctx, police(baDinh), identity.Level2Request{PIN: e.Lan.PIN, CardNumber: e.Lan.PIN, CardIssued: wrongDay})
		if pe := wantKind(t, err, problem.Invalid); pe.Fields[0].Field != "card_issued" {
			t.Errorf("a wrong date of issue: %v", err)
		}
		if n := e.Audited("staff:police@"+baDinh, string(identity.RaiseLevel), e.Lan.PIN, audit.Denied); n != 2 {
			t.Errorf("refusals of the card audited %d times, want 2 (the number, the date)", n)
		}
		a, err := e.Svc.RaiseToLevel2(e.Ctx, police(baDinh), identity.Level2Request{PIN: e.Lan.PIN, CardNumber: e.Lan.PIN, CardIssued: e.Lan.Card.Issued})
		if err != nil || a.Level != identity.Level2 || a.Level2By != "staff:police@"+baDinh {
			t.Fatalf("raise: %+v %v", a, err)
		}
		if n := e.Audited("staff:police@"+baDinh, string(identity.RaiseLevel), e.Lan.PIN, audit.OK); n != 1 {
			t.Errorf("raise audited %d times", n)
		}
		if n := e.Audited("staff:police@"+otherCommune, string(auth.ReadPerson), e.Lan.PIN, audit.Denied); n != 1 {
			t.Errorf("refusal out of reach audited %d times", n)
		}
		_, err = e.Svc.RaiseToLevel2(e.Ctx, police(baDinh), identity.Level2Request{PIN: e.Lan.PIN, CardNumber: e.Lan.PIN, CardIssued: e.Lan.Card.Issued})
		wantKind(t, err, problem.Conflict)
	})
}

// An account someone else opened (on facts of the card others may know) is
// given back at the counter to the holder of the chip card: the officer
// in reach enters the card and the holder's phone; the other's password
// and sessions end, the hand-over hooks run in the same transaction, no
// new application takes the account, and the holder sets a new password
// with the code sent to the new phone. A hook that fails undoes it all.
func TestRecoverAtTheCounter(t *testing.T) {
	dbtest.Engines(t, schemas, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		var handed []int64
		e.Svc.OnHandOver(func(_ context.Context, _ *sql.Tx, h identity.HandOver) error {
			handed = append(handed, h.AccountID)
			return nil
		})
		// The other opens Lan's account with their phone and password.
		app := e.Application(e.Lan)
		app.Phone, app.Password = "0987 654 321", "mật khẩu của kẻ khác"
		if _, err := e.Svc.Register(e.Ctx, app, "198.51.100.7"); err != nil {
			t.Fatal(err)
		}
		taken, err := e.Svc.Confirm(e.Ctx, identity.Confirmation{PIN: e.Lan.PIN, Code: e.LastCode()}, "198.51.100.7")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := e.login(e.Lan, app.Password, "198.51.100.7"); err != nil {
			t.Fatal(err)
		}
		recover := func(officer auth.Principal, card, phone string) (identity.Pending, error) {
			return e.Svc.Recover(e.Ctx, officer, identity.RecoveryRequest{PIN: e.Lan.PIN, CardNumber: card, CardIssued: e.Lan.Card.Issued, Phone: phone})
		}
		_, err = recover(police(otherCommune), e.Lan.PIN, "0912 000 111")
		wantKind(t, err, problem.Forbidden)
		_, err = recover(auth.Staff(8, "reg", "", auth.Registrar, baDinh), e.Lan.PIN, "0912 000 111")
		wantKind(t, err, problem.Forbidden)
		_, err = recover(police(baDinh), "001190000999", "0912 000 111")
		if pe := wantKind(t, err, problem.Invalid); pe.Fields[0].Field != "card_number" {
			t.Errorf("wrong card: %v", err)
		}
		_, err = recover(police(baDinh), e.Lan.PIN, "12345")
		if pe := wantKind(t, err, problem.Invalid); pe.Fields[0].Field != "phone" {
			t.Errorf("wrong phone: %v", err)
		}
		if len(handed) != 0 || e.Count("SELECT count(*) FROM eid_sessions") != 1 {
			t.Fatalf("a refused recovery changed the account: hooks %v", handed)
		}
		pend, err := recover(police(baDinh), e.Lan.PIN, "0912 000 111")
		if err != nil || pend.PhoneMasked != "+84******111" {
			t.Fatalf("recover: %+v %v", pend, err)
		}
		if len(handed) != 1 || handed[0] != taken.ID {
			t.Errorf("hand-over hooks ran for %v, want [%d]", handed, taken.ID)
		}
		if n := e.Count("SELECT count(*) FROM eid_sessions"); n != 0 {
			t.Errorf("%d sessions left", n)
		}
		if _, err := e.login(e.Lan, app.Password, "198.51.100.7"); !problem.Is(err, problem.Unauthorized) {
			t.Errorf("the other's password after the recovery: %v", err)
		}
		msgs, _ := e.Out.Recent(e.Ctx, 1)
		if msgs[0].To != "+84912000111" || !strings.Contains(msgs[0].Body, "khoi phuc") {
			t.Errorf("the code went %+v", msgs[0])
		}
		code := e.LastCode()
		if n := e.Audited("staff:police@"+baDinh, string(identity.RecoverAccount), e.Lan.PIN, audit.OK); n != 1 {
			t.Errorf("recovery audited %d times", n)
		}
		if n := e.Audited("staff:police@"+baDinh, string(identity.RecoverAccount), e.Lan.PIN, audit.Denied); n != 1 {
			t.Errorf("the wrong card audited %d times", n)
		}
		// The other cannot take it again with a new application.
		if _, err := e.Svc.Register(e.Ctx, app, "198.51.100.7"); !problem.Is(err, problem.Conflict) {
			t.Errorf("an application for a recovering account: %v", err)
		}
		done := func(code, password string) (identity.Account, error) {
			return e.Svc.CompleteRecovery(e.Ctx, identity.RecoveryCompletion{PIN: e.Lan.PIN, Code: code, Password: password}, "192.0.2.1")
		}
		if _, err := done(code, "ngắn"); !problem.Is(err, problem.Invalid) {
			t.Errorf("a short password: %v", err)
		}
		wrong := "000000"
		if code == wrong {
			wrong = "111111"
		}
		_, errWrong := done(wrong, "mật khẩu mới của Lan")
		if !problem.Is(errWrong, problem.Invalid) {
			t.Errorf("a wrong code: %v", errWrong)
		}
		// The same answer for a PIN with no code pending: a difference
		// would tell that an account is being recovered.
		_, errNone := e.Svc.CompleteRecovery(e.Ctx, identity.RecoveryCompletion{PIN: e.Minh.PIN, Code: wrong, Password: "mật khẩu mới của Lan"}, "192.0.2.1")
		if errWrong == nil || errNone == nil || errWrong.Error() != errNone.Error() {
			t.Errorf("a wrong code %q, none pending %q: they differ", errWrong, errNone)
		}
		// Someone who knows the PIN spends the code with wrong guesses
		// from other addresses; the holder has a new one sent to the
		// phone given at the counter, without going back there.
		for i := range 5 {
			e.Svc.CompleteRecovery(e.Ctx, identity.RecoveryCompletion{PIN: e.Lan.PIN, Code: wrong, Password: "mật khẩu của kẻ khác"}, fmt.Sprintf("198.51.100.%d", 50+i))
		}
		if _, err := done(code, "mật khẩu mới của Lan"); !problem.Is(err, problem.Invalid) {
			t.Fatalf("the code after 5 wrong guesses: %v", err)
		}
		if err := e.Svc.RequestRecoveryCode(e.Ctx, e.Minh.PIN, "192.0.2.1"); err != nil {
			t.Errorf("a new code for a PIN not being recovered (answered alike): %v", err)
		}
		if err := e.Svc.RequestRecoveryCode(e.Ctx, e.Lan.PIN, "192.0.2.1"); err != nil {
			t.Fatal(err)
		}
		if msgs, _ := e.Out.Recent(e.Ctx, 1); msgs[0].To != "+84912000111" {
			t.Errorf("the new code went to %s", msgs[0].To)
		}
		code = e.LastCode()
		a, err := done(code, "mật khẩu mới của Lan")
		if err != nil || a.State != identity.StateActive || a.Level != identity.Level2 || a.Phone != "+84912000111" || a.Level2By != "staff:police@"+baDinh {
			t.Fatalf("complete: %+v %v", a, err)
		}
		if _, err := done(code, "mật khẩu mới của Lan"); !problem.Is(err, problem.Invalid) {
			t.Errorf("the code used twice: %v", err)
		}
		if _, err := e.login(e.Lan, "mật khẩu mới của Lan", "192.0.2.1"); err != nil {
			t.Errorf("sign-in with the new password: %v", err)
		}
		if n := e.Audited("citizen:"+e.Lan.PIN, string(identity.ActionRecovered), e.Lan.PIN, audit.OK); n != 1 {
			t.Errorf("the new password audited %d times", n)
		}
		// A hook that fails undoes the recovery.
		e.Svc.OnHandOver(func(context.Context, *sql.Tx, identity.HandOver) error { return errors.New("hook failed") })
		if _, err := recover(police(baDinh), e.Lan.PIN, "0912 000 222"); err == nil {
			t.Fatal("recovered despite a failing hook")
		}
		var state, phone string
		d.QueryRowContext(e.Ctx, "SELECT state, phone FROM eid_accounts WHERE pin = $1", e.Lan.PIN).Scan(&state, &phone)
		if state != string(identity.StateActive) || phone != "+84912000111" {
			t.Errorf("after an undone recovery: %s %s", state, phone)
		}
	})
}

// A death revokes the account in the death's transaction; a hook that
// fails undoes the death and the revocation together.
func TestDeathRevokesTheAccount(t *testing.T) {
	dbtest.Engines(t, schemas, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		lan := e.Active(e.Lan)
		e.Active(e.Minh)
		var handed []int64
		e.Svc.OnHandOver(func(_ context.Context, _ *sql.Tx, h identity.HandOver) error {
			handed = append(handed, h.AccountID)
			return nil
		})
		if _, err := e.login(e.Lan, "correct horse battery", "192.0.2.1"); err != nil {
			t.Fatal(err)
		}
		registrar := auth.Staff(9, "registrar", "", auth.Registrar, baDinh)
		if _, err := e.Reg.RegisterDeath(e.Ctx, registrar, people.DeathRegistration{PIN: e.Lan.PIN, DeathDate: civil.Date{Year: 2026, Month: 3, Day: 1}}); err != nil {
			t.Fatal(err)
		}
		var state string
		d.QueryRowContext(e.Ctx, "SELECT state FROM eid_accounts WHERE pin = $1", e.Lan.PIN).Scan(&state)
		if state != string(identity.StateRevoked) {
			t.Errorf("state after death = %s", state)
		}
		if n := e.Count("SELECT count(*) FROM eid_sessions"); n != 0 {
			t.Errorf("%d sessions left", n)
		}
		if n := e.Audited("system:identity", string(identity.ActionRevoke), e.Lan.PIN, audit.OK); n != 1 {
			t.Errorf("revocation audited %d times", n)
		}
		if len(handed) != 1 || handed[0] != lan.ID {
			t.Errorf("hand-over hooks at the death ran for %v, want [%d]", handed, lan.ID)
		}
		_, err := e.login(e.Lan, "correct horse battery", "192.0.2.1")
		if pe := wantKind(t, err, problem.Forbidden); !strings.Contains(pe.Detail, "revoked") {
			t.Errorf("revoked sign-in: %v", err)
		}
		// A failing hook after the identity's: nothing of the death stays.
		e.Reg.OnDeath(func(context.Context, *sql.Tx, string) error { return errors.New("hook failed") })
		if _, err := e.Reg.RegisterDeath(e.Ctx, registrar, people.DeathRegistration{PIN: e.Minh.PIN, DeathDate: civil.Date{Year: 2026, Month: 3, Day: 1}}); err == nil {
			t.Fatal("death registered despite a failing hook")
		}
		d.QueryRowContext(e.Ctx, "SELECT state FROM eid_accounts WHERE pin = $1", e.Minh.PIN).Scan(&state)
		if state != string(identity.StateActive) {
			t.Errorf("state after an undone death = %s", state)
		}
		if p, _ := e.Reg.Get(e.Ctx, registrar, e.Minh.PIN); p.Status != people.Alive {
			t.Errorf("death kept: %s", p.Status)
		}
	})
}

// Whoever names a PIN cannot keep its holder out through the one-time
// codes: asking for codes does not count against the PIN's sign-in keys;
// the holder asks and enters a code from an address they signed in from
// however often others asked and guessed; a code sent within the minute
// stays the one to enter; every request is recorded against the person.
func TestCodesDoNotLockTheHolderOut(t *testing.T) {
	dbtest.Engines(t, schemas, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		e.Active(e.Lan)
		const home = "192.0.2.10"
		sess, err := e.login(e.Lan, identitytest.Password, home)
		if err != nil {
			t.Fatal(err)
		}
		attacker := func(i int) string { return fmt.Sprintf("198.51.%d.%d", 100+i/200, 1+i%200) }
		refused := 0
		for i := range 25 {
			if err := e.Svc.RequestUnlock(e.Ctx, e.Lan.PIN, attacker(i)); problem.Is(err, problem.RateLimited) {
				refused++
			}
		}
		if refused == 0 {
			t.Error("25 code requests for one PIN from anywhere: none refused")
		}
		// Sign-in from a new address is not held up by the requests.
		if _, err := e.login(e.Lan, identitytest.Password, "203.0.113.7"); err != nil {
			t.Fatalf("sign-in after others asked for codes: %v", err)
		}
		p := sess.Account.Principal(e.Lan.FullName)
		if _, err := e.Svc.Lock(e.Ctx, p, identity.LockRequest{}); err != nil {
			t.Fatal(err)
		}
		for i := 25; i < 50; i++ {
			e.Svc.RequestUnlock(e.Ctx, e.Lan.PIN, attacker(i))
			e.Svc.Unlock(e.Ctx, identity.UnlockRequest{PIN: e.Lan.PIN, Code: "000000"}, attacker(i))
		}
		e.Now = e.Now.Add(2 * time.Minute) // past the last code's minute
		if err := e.Svc.RequestUnlock(e.Ctx, e.Lan.PIN, home); err != nil {
			t.Fatalf("the holder's request from home: %v", err)
		}
		code := e.LastCode()
		// Asked for again at once by someone else: the same code holds.
		e.Svc.RequestUnlock(e.Ctx, e.Lan.PIN, attacker(60))
		if a, err := e.Svc.Unlock(e.Ctx, identity.UnlockRequest{PIN: e.Lan.PIN, Code: code}, home); err != nil || a.State != identity.StateActive {
			t.Fatalf("the holder's unlock from home: %+v %v", a, err)
		}
		if n := e.Count("SELECT count(*) FROM audit_log WHERE action = $1 AND subject = $2", string(identity.ActionCodeRequest), e.Lan.PIN); n < 50 {
			t.Errorf("%d code requests recorded against the person, want every one (51)", n)
		}
	})
}

// An address is not known for the account once a login from it was
// reported as not the holder's: codes asked from there count against the
// PIN, as from anywhere.
func TestReportedAddressIsNotKnown(t *testing.T) {
	dbtest.Engines(t, schemas, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		e.Active(e.Lan)
		const thief = "198.51.100.9"
		if _, err := e.login(e.Lan, identitytest.Password, thief); err != nil {
			t.Fatal(err)
		}
		e.reportNotMe(t, e.Lan, thief)
		refused := 0
		for range 8 {
			if err := e.Svc.RequestUnlock(e.Ctx, e.Lan.PIN, thief); problem.Is(err, problem.RateLimited) {
				refused++
			}
		}
		if refused == 0 {
			t.Error("8 code requests from the reported address: none refused (it still counts as known)")
		}
	})
}

// The new-device alert is written in the GSM alphabet: a "·" in the
// device's name sent the whole message as UCS-2, at twice the cost.
func TestNewDeviceAlertInGSMAlphabet(t *testing.T) {
	e := newEnv(t, dbtest.SQLite(t, schemas...))
	e.Active(e.Lan)
	if _, _, err := e.Svc.Login(e.Ctx, identity.Attempt{PIN: e.Lan.PIN, Password: identitytest.Password, Remote: "192.0.2.77",
		Device: "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0"}); err != nil {
		t.Fatal(err)
	}
	msgs, _ := e.Out.Recent(e.Ctx, 1)
	if len(msgs) != 1 || !strings.Contains(msgs[0].Body, "thiet bi moi") {
		t.Fatalf("no alert: %+v", msgs)
	}
	if i := strings.IndexFunc(msgs[0].Body, func(r rune) bool { return r > unicode.MaxASCII }); i >= 0 {
		t.Errorf("the alert holds %q, outside the GSM alphabet: %s", msgs[0].Body[i:], msgs[0].Body)
	}
}

// A new password sent with an unlock or a recovery's completion is hashed
// (argon2id: tens of milliseconds and megabytes) only for the attempts the
// throttle lets through: guesses from one address past its limit cost the
// server no hash.
func TestPasswordsHashedOnlyWhenLetThrough(t *testing.T) {
	dbtest.Engines(t, schemas, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		e.Active(e.Lan)
		sess, err := e.login(e.Lan, identitytest.Password, "192.0.2.10")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := e.Svc.Lock(e.Ctx, sess.Account.Principal(e.Lan.FullName), identity.LockRequest{}); err != nil {
			t.Fatal(err)
		}
		hashes := identity.CountHashes(t)
		for name, try := range map[string]func() error{
			"unlock": func() error {
				_, err := e.Svc.Unlock(e.Ctx, identity.UnlockRequest{PIN: e.Lan.PIN, Code: "000000", Password: "một mật khẩu mới đủ dài"}, "198.51.100.9")
				return err
			},
			"recovery": func() error {
				_, err := e.Svc.CompleteRecovery(e.Ctx, identity.RecoveryCompletion{PIN: e.Minh.PIN, Code: "000000", Password: "một mật khẩu mới đủ dài"}, "198.51.100.10")
				return err
			},
		} {
			before := hashes()
			let, refused := 0, 0
			for range 30 {
				if err := try(); problem.Is(err, problem.RateLimited) {
					refused++
				} else {
					let++
				}
			}
			if refused == 0 || let == 0 {
				t.Fatalf("%s: %d attempts let through, %d refused: want both", name, let, refused)
			}
			if n := hashes() - before; n != let {
				t.Errorf("%s: %d passwords hashed for %d attempts let through (%d refused)", name, n, let, refused)
			}
		}
	})
}

// A forgotten password: the holder names the PIN and the phone the
// account holds; a code goes to that phone, and with it a new password is
// set. Answers are alike for a PIN without an account, a wrong phone and a
// locked account (nothing is sent); every session ends and the hand-over
// hooks run (the relying parties' tokens); the old password no longer
// signs in; the phone is told; a wrong code leaves the password as it was;
// the holder's lock on codes stops it all.
func TestPasswordReset(t *testing.T) {
	dbtest.Engines(t, schemas, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		var handed []identity.HandOver
		e.Svc.OnHandOver(func(_ context.Context, _ *sql.Tx, h identity.HandOver) error {
			handed = append(handed, h)
			return nil
		})
		e.Active(e.Lan)
		if _, err := e.login(e.Lan, identitytest.Password, "192.0.2.1"); err != nil {
			t.Fatal(err)
		}
		const newPassword = "một mật khẩu mới thật dài"
		sent := func() int { return e.Count("SELECT count(*) FROM eid_outbox WHERE body LIKE '%dat lai mat khau%'") }
		for _, in := range []identity.PasswordResetCodeRequest{
			{PIN: e.Minh.PIN, Phone: "0912 345 678"}, // no account
			{PIN: e.Lan.PIN, Phone: "0987 000 111"},  // another phone
		} {
			if err := e.Svc.RequestPasswordReset(e.Ctx, in, "192.0.2.1"); err != nil {
				t.Errorf("%+v: %v", in, err)
			}
		}
		if n := sent(); n != 0 {
			t.Fatalf("%d codes sent for a PIN without account or another phone", n)
		}
		err := e.Svc.RequestPasswordReset(e.Ctx, identity.PasswordResetCodeRequest{PIN: e.Lan.PIN, Phone: "12"}, "192.0.2.1")
		if pe := wantKind(t, err, problem.Invalid); len(pe.Fields) != 1 || pe.Fields[0].Field != "phone" {
			t.Errorf("a malformed phone: %v", err)
		}
		if err := e.Svc.RequestPasswordReset(e.Ctx, identity.PasswordResetCodeRequest{PIN: e.Lan.PIN, Phone: "+84 912 345 678"}, "192.0.2.1"); err != nil || sent() != 1 {
			t.Fatalf("the holder's request: %v, %d sent", err, sent())
		}
		code := e.LastCode()
		wrong := "000000"
		if code == wrong {
			wrong = "111111"
		}
		if _, err := e.Svc.ResetPassword(e.Ctx, identity.PasswordReset{PIN: e.Lan.PIN, Code: wrong, Password: newPassword}, "192.0.2.1"); !problem.Is(err, problem.Invalid) {
			t.Errorf("a wrong code: %v", err)
		}
		if _, err := e.login(e.Lan, identitytest.Password, "192.0.2.1"); err != nil {
			t.Fatalf("after a wrong code the password changed: %v", err)
		}
		_, err = e.Svc.ResetPassword(e.Ctx, identity.PasswordReset{PIN: e.Lan.PIN, Code: code, Password: "short"}, "192.0.2.1")
		if pe := wantKind(t, err, problem.Invalid); len(pe.Fields) != 1 || pe.Fields[0].Field != "password" {
			t.Errorf("a short password: %v", err)
		}
		a, err := e.Svc.ResetPassword(e.Ctx, identity.PasswordReset{PIN: e.Lan.PIN, Code: code, Password: newPassword}, "192.0.2.1")
		if err != nil || a.State != identity.StateActive {
			t.Fatalf("reset: %+v %v", a, err)
		}
		if n := e.Count("SELECT count(*) FROM eid_sessions"); n != 0 {
			t.Errorf("%d sessions left after the reset", n)
		}
		if len(handed) != 1 || handed[0].PIN != e.Lan.PIN || handed[0].Why != identity.HandOverPassword {
			t.Errorf("hand-over hooks: %+v", handed)
		}
		if _, err := e.login(e.Lan, identitytest.Password, "192.0.2.1"); err == nil {
			t.Error("the old password still signs in")
		}
		if _, err := e.login(e.Lan, newPassword, "192.0.2.1"); err != nil {
			t.Errorf("the new password: %v", err)
		}
		if n := e.Count("SELECT count(*) FROM eid_outbox WHERE body LIKE '%vua duoc dat lai%'"); n != 1 {
			t.Errorf("%d notices of the reset to the phone", n)
		}
		if _, err := e.Svc.ResetPassword(e.Ctx, identity.PasswordReset{PIN: e.Lan.PIN, Code: code, Password: newPassword + "!"}, "192.0.2.1"); !problem.Is(err, problem.Invalid) {
			t.Errorf("the code used again: %v", err)
		}
		if n := e.Audited("citizen:"+e.Lan.PIN, string(identity.ActionPasswordReset), e.Lan.PIN, audit.OK); n != 1 {
			t.Errorf("the reset audited %d times", n)
		}
		// The holder locks the codes: none is sent for a reset.
		sess, err := e.login(e.Lan, newPassword, "192.0.2.1")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := e.Svc.LockMethod(e.Ctx, sess.Account.Principal(e.Lan.FullName), identity.MethodRequest{Method: identity.MethodCode, Password: newPassword}); err != nil {
			t.Fatal(err)
		}
		before := sent()
		if err := e.Svc.RequestPasswordReset(e.Ctx, identity.PasswordResetCodeRequest{PIN: e.Lan.PIN, Phone: "0912345678"}, "192.0.2.1"); err != nil || sent() != before {
			t.Errorf("codes locked: %v, %d sent", err, sent()-before)
		}
	})
}

// A card's date of issue is not found by trying: after 5 cards that did
// not match for one person, the counter's acts on them wait (429, the
// refusal audited), the right card too; a card that matches is not
// counted.
func TestCardChecksThrottled(t *testing.T) {
	dbtest.Engines(t, schemas, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		e.Active(e.Lan)
		day := e.Lan.Card.Issued
		for i := range 5 {
			wrong := day
			wrong.Day = day.Day%28 + 1 + i
			if wrong == day {
				continue
			}
			_, err := e.Svc.RaiseToLevel2(e.Ctx, police(baDinh), identity.Level2Request{PIN: e.Lan.PIN, CardNumber: e.Lan.PIN, CardIssued: wrong})
			if !problem.Is(err, problem.Invalid) {
				t.Fatalf("wrong date %d: %v", i, err)
			}
		}
		_, err := e.Svc.RaiseToLevel2(e.Ctx, police(baDinh), identity.Level2Request{PIN: e.Lan.PIN, CardNumber: e.Lan.PIN, CardIssued: day})
		if !problem.Is(err, problem.RateLimited) {
			t.Fatalf("after 5 wrong cards the right one: %v", err)
		}
		if n := e.Count("SELECT count(*) FROM audit_log WHERE action = $1 AND subject = $2 AND detail LIKE '%too many cards%'", string(identity.RaiseLevel), e.Lan.PIN); n != 1 {
			t.Errorf("the throttled check audited %d times", n)
		}
	})
}

// A demo account's phone is stored as a registration's (+84…): its
// forgotten password is reset with the number as the console prints it.
func TestDemoAccountResets(t *testing.T) {
	e := newEnv(t, dbtest.SQLite(t, schemas...))
	if err := e.Svc.SeedDemo(e.Ctx, e.Minh.PIN, "0912000002", identity.Level1); err != nil {
		t.Fatal(err)
	}
	if err := e.Svc.RequestPasswordReset(e.Ctx, identity.PasswordResetCodeRequest{PIN: e.Minh.PIN, Phone: "0912 000 002"}, "192.0.2.1"); err != nil {
		t.Fatal(err)
	}
	if n := e.Count("SELECT count(*) FROM eid_outbox WHERE body LIKE '%dat lai mat khau%'"); n != 1 {
		t.Errorf("%d codes sent to the demo account's phone, want 1", n)
	}
}
