package identity_test

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/pquerna/otp/totp"

	"github.com/populus-vn/populus/internal/db"
	"github.com/populus-vn/populus/internal/db/dbtest"
	"github.com/populus-vn/populus/internal/identity"
	"github.com/populus-vn/populus/internal/identity/identitytest"
	"github.com/populus-vn/populus/internal/oidc"
	"github.com/populus-vn/populus/internal/problem"
)

// An authenticator app: enrolled (its secret sealed in the store), enabled
// with a first code, then required at every sign-in; a code is used once,
// a wrong or missing one fails.
func TestAuthenticatorApp(t *testing.T) {
	dbtest.Engines(t, schemas, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		a := e.Active(e.Lan)
		p := a.Principal("")
		if _, err := e.Svc.EnrollTOTP(e.Ctx, p, identity.Proof{Password: identitytest.Password}); !problem.Is(err, problem.Unavailable) {
			t.Fatalf("without a master key: %v", err)
		}
		master, _ := oidc.NewMasterKey()
		e.Svc.SetSealer(master)
		// A session alone turns no app on (one would then keep the holder
		// out): the password is asked for.
		if _, err := e.Svc.EnrollTOTP(e.Ctx, p, identity.Proof{}); !problem.Is(err, problem.Invalid) {
			t.Fatalf("the first app without the password: %v", err)
		}
		en, err := e.Svc.EnrollTOTP(e.Ctx, p, identity.Proof{Password: identitytest.Password})
		if err != nil || !strings.HasPrefix(en.URL, "otpauth://totp/Populus:") {
			t.Fatalf("enroll: %+v %v", en, err)
		}
		var sealed string
		d.QueryRowContext(e.Ctx, "SELECT sealed FROM eid_totp").Scan(&sealed)
		if sealed == "" || strings.Contains(sealed, en.Secret) {
			t.Errorf("the secret is not sealed: %q", sealed)
		}
		// Not enabled yet: the password alone still signs in.
		if _, err := e.login(e.Lan, identitytest.Password, "192.0.2.1"); err != nil {
			t.Fatal(err)
		}
		if _, err := e.Svc.ConfirmTOTP(e.Ctx, p, identity.TOTPCode{Code: "000000"}); !problem.Is(err, problem.Invalid) {
			t.Errorf("wrong first code: %v", err)
		}
		code := func() string {
			c, err := totp.GenerateCode(en.Secret, e.Now)
			if err != nil {
				t.Fatal(err)
			}
			return c
		}
		if _, err := e.Svc.ConfirmTOTP(e.Ctx, p, identity.TOTPCode{Code: code()}); err != nil {
			t.Fatal(err)
		}
		attempt := func(c string) error {
			_, _, err := e.Svc.Login(e.Ctx, identity.Attempt{PIN: e.Lan.PIN, Password: identitytest.Password, TOTP: c, Remote: "192.0.2.1"})
			return err
		}
		if err := attempt(""); !problem.Is(err, problem.Unauthorized) || !strings.Contains(err.Error(), "authenticator") {
			t.Errorf("missing code: %v", err)
		}
		// The confirming code's step is spent: the next one is needed.
		if err := attempt(code()); !problem.Is(err, problem.Unauthorized) {
			t.Errorf("a spent code: %v", err)
		}
		e.Now = e.Now.Add(30 * time.Second)
		sess, token, err := e.Svc.Login(e.Ctx, identity.Attempt{PIN: e.Lan.PIN, Password: identitytest.Password, TOTP: code(), Remote: "192.0.2.1"})
		if err != nil {
			t.Fatalf("right code: %v", err)
		}
		// The session remembers how it was signed in (amr, RFC 8176).
		r := httptest.NewRequest("GET", "/", nil)
		r.AddCookie(&http.Cookie{Name: identity.CookieName, Value: token})
		back, ok, err := e.Svc.SessionOf(r)
		if want := "pwd otp mfa"; strings.Join(sess.AMR, " ") != want || !ok || err != nil || strings.Join(back.AMR, " ") != want {
			t.Errorf("amr %v, read back %v %v %v", sess.AMR, back.AMR, ok, err)
		}
		if err := attempt(code()); !problem.Is(err, problem.Unauthorized) {
			t.Errorf("the same code twice: %v", err)
		}
		logins, _ := e.Svc.Logins(e.Ctx, p, 0, 10)
		if logins[0].Detail != "wrong authenticator code" {
			t.Errorf("history: %+v", logins[0])
		}
	})
}

// A session alone neither switches the authenticator app off nor puts
// another in its place: enrolling a new one while one is enabled needs a
// current code of it, the enabled one stays in force until the new one is
// confirmed; a locked authenticator enrols nothing; each change is
// audited and the phone told.
func TestAuthenticatorReplacement(t *testing.T) {
	dbtest.Engines(t, schemas, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		a := e.Active(e.Lan)
		p := a.Principal("")
		master, _ := oidc.NewMasterKey()
		e.Svc.SetSealer(master)
		codeOf := func(secret string) string {
			c, err := totp.GenerateCode(secret, e.Now)
			if err != nil {
				t.Fatal(err)
			}
			return c
		}
		first, err := e.Svc.EnrollTOTP(e.Ctx, p, identity.Proof{Password: identitytest.Password})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := e.Svc.ConfirmTOTP(e.Ctx, p, identity.TOTPCode{Code: codeOf(first.Secret)}); err != nil {
			t.Fatal(err)
		}
		e.Now = e.Now.Add(30 * time.Second)
		signIn := func(secret string) error {
			_, _, err := e.Svc.Login(e.Ctx, identity.Attempt{PIN: e.Lan.PIN, Password: identitytest.Password, TOTP: codeOf(secret), Remote: "192.0.2.1"})
			return err
		}
		// Without a code of the app in use: refused, the app still needed.
		if _, err := e.Svc.EnrollTOTP(e.Ctx, p, identity.Proof{Password: identitytest.Password}); !problem.Is(err, problem.Invalid) {
			t.Fatalf("replacing without a code: %v", err)
		}
		if _, _, err := e.Svc.Login(e.Ctx, identity.Attempt{PIN: e.Lan.PIN, Password: identitytest.Password, Remote: "192.0.2.1"}); !problem.Is(err, problem.Unauthorized) {
			t.Fatalf("the password alone after an enrolment refused: %v", err)
		}
		second, err := e.Svc.EnrollTOTP(e.Ctx, p, identity.Proof{Password: identitytest.Password, Code: codeOf(first.Secret)})
		if err != nil {
			t.Fatalf("replacing with a code: %v", err)
		}
		// Not confirmed yet: the first app still signs in, the second not.
		e.Now = e.Now.Add(30 * time.Second)
		if err := signIn(second.Secret); !problem.Is(err, problem.Unauthorized) {
			t.Errorf("the unconfirmed app signed in: %v", err)
		}
		e.Now = e.Now.Add(30 * time.Second)
		if err := signIn(first.Secret); err != nil {
			t.Errorf("the app in use, before the replacement is confirmed: %v", err)
		}
		e.Now = e.Now.Add(30 * time.Second)
		if _, err := e.Svc.ConfirmTOTP(e.Ctx, p, identity.TOTPCode{Code: codeOf(second.Secret)}); err != nil {
			t.Fatal(err)
		}
		e.Now = e.Now.Add(30 * time.Second)
		if err := signIn(first.Secret); !problem.Is(err, problem.Unauthorized) {
			t.Errorf("the replaced app still signs in: %v", err)
		}
		e.Now = e.Now.Add(30 * time.Second)
		if err := signIn(second.Secret); err != nil {
			t.Errorf("the new app: %v", err)
		}
		if n := e.Count("SELECT count(*) FROM audit_log WHERE action = 'identity.totp' AND subject = $1", e.Lan.PIN); n != 4 {
			t.Errorf("%d authenticator entries, want 4 (enabled, a replacement refused, enrolled, replaced)", n)
		}
		if n := e.Count("SELECT count(*) FROM eid_outbox WHERE body LIKE '%ung dung xac thuc%'"); n != 2 {
			t.Errorf("%d messages to the phone, want 2 (enabled, replaced)", n)
		}
		// A locked authenticator enrols nothing (locked here in the store:
		// the holder locks it with a passkey registered).
		if _, err := d.ExecContext(e.Ctx, "INSERT INTO eid_method_locks (account_id, method, locked_at) VALUES ($1, $2, $3)", a.ID, identity.MethodTOTP, "2026-01-01T00:00:00.000000Z"); err != nil {
			t.Fatal(err)
		}
		e.Now = e.Now.Add(30 * time.Second)
		if _, err := e.Svc.EnrollTOTP(e.Ctx, p, identity.Proof{Password: identitytest.Password, Code: codeOf(second.Secret)}); !problem.Is(err, problem.Forbidden) {
			t.Errorf("enrolling with the authenticator locked: %v", err)
		}
	})
}
