package identity_test

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/pquerna/otp/totp"

	"github.com/populus-vn/populus/internal/audit"
	"github.com/populus-vn/populus/internal/db"
	"github.com/populus-vn/populus/internal/db/dbtest"
	"github.com/populus-vn/populus/internal/identity"
	"github.com/populus-vn/populus/internal/identity/identitytest"
	"github.com/populus-vn/populus/internal/oidc"
	"github.com/populus-vn/populus/internal/problem"
)

const site = "https://eid.example.vn"

// wantError checks the kind and the exact message of a problem.
func wantError(t *testing.T, err error, k problem.Kind, msg string) {
	t.Helper()
	pe := wantKind(t, err, k)
	if pe.Detail != msg {
		t.Fatalf("error %q, want %q", pe.Detail, msg)
	}
}

// passkeysOn turns passkeys on for the site.
func (e env) passkeysOn(t *testing.T) {
	t.Helper()
	if err := e.Svc.SetPasskeys(identity.PasskeyOptions{RPID: "eid.example.vn", Origins: []string{site}}); err != nil {
		t.Fatal(err)
	}
}

// addPasskey registers a passkey of authenticator a on p's account.
func (e env) addPasskey(t *testing.T, a *identitytest.Authenticator, acct identity.Account, name string) identity.Passkey {
	t.Helper()
	c, err := e.Svc.BeginPasskey(e.Ctx, acct.Principal(""), identity.Proof{Password: identitytest.Password})
	if err != nil {
		t.Fatal(err)
	}
	cred, err := a.Create(c.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	k, err := e.Svc.AddPasskey(e.Ctx, acct.Principal(""), identity.PasskeyRegistration{Ceremony: c.ID, Name: name, Credential: cred})
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// passkeySignIn signs in with authenticator a.
func (e env) passkeySignIn(t *testing.T, a *identitytest.Authenticator) (identity.Session, error) {
	t.Helper()
	c, err := e.Svc.BeginPasskeySignIn(e.Ctx, "192.0.2.7")
	if err != nil {
		t.Fatal(err)
	}
	cred, err := a.Get(c.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	s, _, err := e.Svc.LoginPasskey(e.Ctx, identity.PasskeyAttempt{Ceremony: c.ID, Credential: cred, Remote: "192.0.2.7", Device: "Chrome on Android"})
	return s, err
}

// Passkeys: registered by the signed-in holder (verified by go-webauthn,
// stored with no secret), then a sign-in with the passkey alone, whose
// session's amr says so; a ceremony is answered once; an answer from
// another origin, or from a copy whose counter went back, is refused.
func TestPasskeys(t *testing.T) {
	dbtest.Engines(t, schemas, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		acct := e.Active(e.Lan)
		if _, err := e.Svc.BeginPasskey(e.Ctx, acct.Principal(""), identity.Proof{Password: identitytest.Password}); !problem.Is(err, problem.Unavailable) {
			t.Fatalf("passkeys off: %v", err)
		}
		if err := e.Svc.SetPasskeys(identity.PasskeyOptions{RPID: "eid.example.vn", Origins: []string{site}}); err != nil {
			t.Fatal(err)
		}
		phone := &identitytest.Authenticator{Origin: site}
		k := e.addPasskey(t, phone, acct, "Điện thoại")
		list, err := e.Svc.Passkeys(e.Ctx, acct.Principal(""))
		if err != nil || len(list) != 1 || list[0].ID != k.ID || list[0].Name != "Điện thoại" {
			t.Fatalf("passkeys %+v %v", list, err)
		}
		if n := e.Audited("", string(identity.ActionPasskeyAdd), e.Lan.PIN, "ok"); n != 1 {
			t.Errorf("addition audited %d times", n)
		}
		if m, err := e.Out.Recent(e.Ctx, 1); err != nil || len(m) != 1 || !strings.Contains(m[0].Body, "passkey") {
			t.Errorf("the holder was not told of the new passkey: %+v %v", m, err)
		}
		// A ceremony is used once.
		c, _ := e.Svc.BeginPasskey(e.Ctx, acct.Principal(""), identity.Proof{Password: identitytest.Password})
		cred, _ := (&identitytest.Authenticator{Origin: site}).Create(c.PublicKey)
		reg := identity.PasskeyRegistration{Ceremony: c.ID, Name: "Máy tính", Credential: cred}
		if _, err := e.Svc.AddPasskey(e.Ctx, acct.Principal(""), reg); err != nil {
			t.Fatal(err)
		}
		_, err = e.Svc.AddPasskey(e.Ctx, acct.Principal(""), reg)
		if pe := wantKind(t, err, problem.Invalid); !strings.Contains(pe.Error(), "ceremony") {
			t.Errorf("a ceremony used twice: %v", err)
		}

		sess, err := e.passkeySignIn(t, phone)
		if err != nil {
			t.Fatal(err)
		}
		if sess.Account.PIN != e.Lan.PIN || strings.Join(sess.AMR, " ") != "swk user mfa" {
			t.Errorf("session %+v amr %v", sess.Account, sess.AMR)
		}
		logins, _ := e.Svc.Logins(e.Ctx, acct.Principal(""), 0, 1)
		if logins[0].Outcome != identity.LoginOK || logins[0].Device != "Chrome on Android" || logins[0].Detail != "swk user mfa" {
			t.Errorf("history %+v", logins[0])
		}
		list, _ = e.Svc.Passkeys(e.Ctx, acct.Principal(""))
		for _, l := range list {
			if (l.ID == k.ID) == l.LastUsedAt.IsZero() {
				t.Errorf("last use: %+v", l)
			}
		}
		// Without user verification: possession only.
		phone.NoUserVerification = true
		if sess, err := e.passkeySignIn(t, phone); err != nil || strings.Join(sess.AMR, " ") != "swk" {
			t.Errorf("without user verification: %v %v", sess.AMR, err)
		}
		phone.NoUserVerification = false

		// Another site's answer.
		phishing := *phone
		phishing.Origin = "https://eid.example.vn.evil.test"
		_, err = e.passkeySignIn(t, &phishing)
		wantError(t, err, problem.Unauthorized, "the passkey was not accepted")
		if n := e.Audited("citizen:"+e.Lan.PIN, "identity.signin", e.Lan.PIN, "failed"); n != 1 {
			t.Errorf("the refused passkey audited %d times", n)
		}

		// A copy of the passkey: its counter goes back.
		phone.Rewind()
		_, err = e.passkeySignIn(t, phone)
		wantError(t, err, problem.Forbidden, "this passkey's counter went back, a sign that it was copied: it is refused; remove it and register a new one")

		var stored string
		d.QueryRowContext(e.Ctx, "SELECT credential FROM eid_passkeys WHERE id = $1", k.ID).Scan(&stored)
		var c2 map[string]any
		if json.Unmarshal([]byte(stored), &c2) != nil || c2["publicKey"] == nil {
			t.Errorf("stored credential %.200s", stored)
		}
	})
}

// The holder locks and unlocks each method separately; a locked method is
// refused with its exact error; a lock that would leave the holder
// without a way in is refused.
func TestMethodLocks(t *testing.T) {
	dbtest.Engines(t, schemas, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		acct := e.Active(e.Lan)
		p := acct.Principal("")
		// The holder's proof: the password, and the app's code once one
		// is enabled.
		appCode := func() string { return "" }
		lock := func(m string) error {
			_, err := e.Svc.LockMethod(e.Ctx, p, identity.MethodRequest{Method: m, Password: identitytest.Password, Code: appCode()})
			return err
		}
		unlock := func(m string) error {
			_, err := e.Svc.UnlockMethod(e.Ctx, p, identity.MethodRequest{Method: m, Password: identitytest.Password, Code: appCode()})
			return err
		}

		wantError(t, lock(identity.MethodPassword), problem.Conflict,
			"the password is your only way to sign in: register a passkey (and keep it unlocked) before locking the password")
		if pe := wantKind(t, lock("fingerprint"), problem.Invalid); !strings.Contains(pe.Error(), "method") {
			t.Errorf("unknown method: %v", pe)
		}
		if pe := wantKind(t, lock(identity.MethodTOTP), problem.Invalid); !strings.Contains(pe.Error(), "no authenticator app") {
			t.Errorf("no app to lock: %v", pe)
		}

		e.passkeysOn(t)
		phone := &identitytest.Authenticator{Origin: site}
		k := e.addPasskey(t, phone, acct, "Điện thoại")

		// The passkey locked, then unlocked.
		if err := lock(identity.MethodPasskey); err != nil {
			t.Fatal(err)
		}
		_, err := e.passkeySignIn(t, phone)
		wantError(t, err, problem.Forbidden, "signing in with a passkey is locked by the account's holder")
		if n := e.Audited("", "identity.signin", e.Lan.PIN, "denied"); n != 1 {
			t.Errorf("refusal audited %d times", n)
		}
		if err := unlock(identity.MethodPasskey); err != nil {
			t.Fatal(err)
		}
		if _, err := e.passkeySignIn(t, phone); err != nil {
			t.Fatalf("unlocked: %v", err)
		}

		// The password locked: the right password is refused; the passkey
		// stays, and cannot be locked or removed meanwhile.
		if err := lock(identity.MethodPassword); err != nil {
			t.Fatal(err)
		}
		_, err = e.login(e.Lan, identitytest.Password, "192.0.2.1")
		wantError(t, err, problem.Forbidden, "signing in with the password is locked by the account's holder")
		_, err = e.login(e.Lan, "wrong password", "192.0.2.1")
		wantKind(t, err, problem.Unauthorized) // the lock is not told to whoever lacks the password
		// (With the password locked and no app, the proof is a passkey
		// sign-in of the last minutes.)
		withKey, err := e.passkeySignIn(t, phone)
		if err != nil {
			t.Fatal(err)
		}
		keyCtx := identity.WithSession(e.Ctx, withKey)
		_, err = e.Svc.LockMethod(keyCtx, p, identity.MethodRequest{Method: identity.MethodPasskey})
		wantError(t, err, problem.Conflict,
			"passkeys are your only way to sign in: unlock the password (and the authenticator app) before locking passkeys")
		wantError(t, e.Svc.RemovePasskey(keyCtx, p, k.ID, identity.Proof{}), problem.Conflict,
			"this is your last passkey and the password (or the authenticator app it needs) is locked: unlock it before removing the passkey")
		states, err := e.Svc.MethodStates(e.Ctx, p)
		if err != nil || len(states) != 4 || !states[0].Locked || !states[2].Enrolled || states[2].Locked || states[1].Enrolled {
			t.Errorf("states %+v %v", states, err)
		}
		// Unlocking opens a way in again: the holder proves themselves
		// (here, the password locked and no app, by a passkey sign-in of
		// the last minutes), not only a session.
		if pe := wantKind(t, unlock(identity.MethodPassword), problem.Invalid); !strings.Contains(pe.Error(), "sign in again with a passkey") {
			t.Errorf("unlocking the password without a passkey sign-in: %v", pe)
		}
		if n := e.Audited("", string(identity.ActionMethodUnlock), e.Lan.PIN, "denied"); n != 1 {
			t.Errorf("the refused unlock audited %d times", n)
		}
		if _, err := e.Svc.UnlockMethod(keyCtx, p, identity.MethodRequest{Method: identity.MethodPassword}); err != nil {
			t.Fatal(err)
		}
		if _, err := e.login(e.Lan, identitytest.Password, "192.0.2.1"); err != nil {
			t.Fatalf("password unlocked: %v", err)
		}

		// The authenticator app locked: the password and a right code are
		// refused.
		master, _ := oidc.NewMasterKey()
		e.Svc.SetSealer(master)
		en, err := e.Svc.EnrollTOTP(e.Ctx, p, identity.Proof{Password: identitytest.Password})
		if err != nil {
			t.Fatal(err)
		}
		code := func() string { c, _ := totp.GenerateCode(en.Secret, e.Now); return c }
		if _, err := e.Svc.ConfirmTOTP(e.Ctx, p, identity.TOTPCode{Code: code()}); err != nil {
			t.Fatal(err)
		}
		appCode = code
		e.Now = e.Now.Add(30 * time.Second)
		if err := lock(identity.MethodTOTP); err != nil {
			t.Fatal(err)
		}
		e.Now = e.Now.Add(30 * time.Second)
		_, _, err = e.Svc.Login(e.Ctx, identity.Attempt{PIN: e.Lan.PIN, Password: identitytest.Password, TOTP: code(), Remote: "192.0.2.1"})
		wantError(t, err, problem.Forbidden, "the authenticator app (TOTP) is locked by the account's holder: sign in with a passkey")
		if err := unlock(identity.MethodTOTP); err != nil {
			t.Fatal(err)
		}
		if _, _, err = e.Svc.Login(e.Ctx, identity.Attempt{PIN: e.Lan.PIN, Password: identitytest.Password, TOTP: code(), Remote: "192.0.2.1"}); err != nil {
			t.Fatalf("app unlocked: %v", err)
		}
		// The app locked again: the last passkey stays (the password alone
		// signs in no more), and a lock needs the proof.
		e.Now = e.Now.Add(30 * time.Second)
		if err := lock(identity.MethodTOTP); err != nil {
			t.Fatal(err)
		}
		e.Now = e.Now.Add(30 * time.Second)
		wantError(t, e.Svc.RemovePasskey(e.Ctx, p, k.ID, identity.Proof{Password: identitytest.Password}), problem.Conflict,
			"this is your last passkey and the password (or the authenticator app it needs) is locked: unlock it before removing the passkey")
		if _, err := e.Svc.LockMethod(e.Ctx, p, identity.MethodRequest{Method: identity.MethodCode}); !problem.Is(err, problem.Invalid) {
			t.Errorf("a lock without the holder's proof: %v", err)
		}
		if err := unlock(identity.MethodTOTP); err != nil {
			t.Fatal(err)
		}

		// One-time codes locked: a locked account gets no unlock code.
		e.Now = e.Now.Add(30 * time.Second)
		if err := lock(identity.MethodCode); err != nil {
			t.Fatal(err)
		}
		if _, err := e.Svc.Lock(e.Ctx, p, identity.LockRequest{Reason: "lost phone"}); err != nil {
			t.Fatal(err)
		}
		before := e.Count("SELECT count(*) FROM eid_outbox")
		if err := e.Svc.RequestUnlock(e.Ctx, e.Lan.PIN, "192.0.2.1"); err != nil || e.Count("SELECT count(*) FROM eid_outbox") != before {
			t.Errorf("a code was sent while codes are locked: %v", err)
		}
		if n := e.Audited("", string(identity.ActionMethodLock), e.Lan.PIN, "ok"); n != 5 {
			t.Errorf("%d locks audited", n)
		}
	})
}

// Guesses at the password through a session (an unlock's proof) are
// counted as a sign-in's from the address: the sixth waits; each refusal
// is audited.
func TestProofGuessesThrottled(t *testing.T) {
	dbtest.Engines(t, schemas, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		acct := e.Active(e.Lan)
		p := acct.Principal("")
		ctx := audit.WithRemote(e.Ctx, "198.51.100.20")
		if _, err := e.Svc.LockMethod(ctx, p, identity.MethodRequest{Method: identity.MethodCode, Password: identitytest.Password}); err != nil {
			t.Fatal(err)
		}
		for i := range 5 {
			if _, err := e.Svc.UnlockMethod(ctx, p, identity.MethodRequest{Method: identity.MethodCode, Password: "not the password"}); !problem.Is(err, problem.Invalid) {
				t.Fatalf("guess %d: %v", i+1, err)
			}
		}
		if _, err := e.Svc.UnlockMethod(ctx, p, identity.MethodRequest{Method: identity.MethodCode, Password: identitytest.Password}); !problem.Is(err, problem.RateLimited) {
			t.Errorf("the sixth try: %v", err)
		}
		if n := e.Audited("", string(identity.ActionMethodUnlock), e.Lan.PIN, "denied"); n != 5 {
			t.Errorf("%d refusals audited, want 5", n)
		}
	})
}

// The holder changes the password with the present one: every other
// session ends (whoever signed in with the old password is out), the old
// password signs in no more; a wrong present password or a short new one
// is refused; audited, the phone told.
func TestPasswordChange(t *testing.T) {
	dbtest.Engines(t, schemas, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		acct := e.Active(e.Lan)
		p := acct.Principal("")
		mine, err := e.login(e.Lan, identitytest.Password, "192.0.2.10")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := e.login(e.Lan, identitytest.Password, "198.51.100.9"); err != nil { // a thief's
			t.Fatal(err)
		}
		ctx := identity.WithSession(e.Ctx, mine)
		const next = "một mật khẩu mới đủ dài"
		if _, err := e.Svc.ChangePassword(ctx, p, identity.PasswordChange{Password: "not the password", NewPassword: next}); !problem.Is(err, problem.Invalid) {
			t.Errorf("a wrong present password: %v", err)
		}
		if pe := wantKind(t, func() error {
			_, err := e.Svc.ChangePassword(ctx, p, identity.PasswordChange{Password: identitytest.Password, NewPassword: "short"})
			return err
		}(), problem.Invalid); pe.Fields[0].Field != "new_password" {
			t.Errorf("a short new password: %v", pe)
		}
		if _, err := e.Svc.ChangePassword(ctx, p, identity.PasswordChange{Password: identitytest.Password, NewPassword: next}); err != nil {
			t.Fatal(err)
		}
		if n := e.Count("SELECT count(*) FROM eid_sessions"); n != 1 {
			t.Errorf("%d sessions left, want the holder's own", n)
		}
		if _, err := e.login(e.Lan, identitytest.Password, "192.0.2.10"); !problem.Is(err, problem.Unauthorized) {
			t.Errorf("the old password still signs in: %v", err)
		}
		if _, err := e.login(e.Lan, next, "192.0.2.10"); err != nil {
			t.Errorf("the new password: %v", err)
		}
		if n := e.Audited("", string(identity.ActionPasswordChange), e.Lan.PIN, "ok"); n != 1 {
			t.Errorf("%d changes audited", n)
		}
		if n := e.Count("SELECT count(*) FROM eid_outbox WHERE body LIKE '%mat khau vua duoc doi%'"); n != 1 {
			t.Errorf("%d notices to the phone", n)
		}
	})
}

// Removing a passkey ends the account's other sessions (they do not say
// which passkey made them: a thief's passkey session ends with its key).
func TestRemovingAPasskeyEndsOtherSessions(t *testing.T) {
	dbtest.Engines(t, schemas, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		acct := e.Active(e.Lan)
		p := acct.Principal("")
		e.passkeysOn(t)
		thief := &identitytest.Authenticator{Origin: site}
		k := e.addPasskey(t, thief, acct, "Điện thoại")
		if _, err := e.passkeySignIn(t, thief); err != nil {
			t.Fatal(err)
		}
		mine, err := e.login(e.Lan, identitytest.Password, "192.0.2.10")
		if err != nil {
			t.Fatal(err)
		}
		if err := e.Svc.RemovePasskey(identity.WithSession(e.Ctx, mine), p, k.ID, identity.Proof{Password: identitytest.Password}); err != nil {
			t.Fatal(err)
		}
		if n := e.Count("SELECT count(*) FROM eid_sessions"); n != 1 {
			t.Errorf("%d sessions left, want the holder's own", n)
		}
	})
}

// Unlocking an account locked on a sign-in "not me" needs a new password
// (whoever signed in knows the old one), and removes every passkey and the
// authenticator app: the other may have added one at any time, and chooses
// which sign-in to report (here a thief adds a passkey and an app, signs
// in again and reports that later sign-in, so that a cut at its time
// would keep both); the holder adds theirs again. A refusal leaves the
// code valid.
func TestUnlockAfterNotMe(t *testing.T) {
	dbtest.Engines(t, schemas, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		acct := e.Active(e.Lan)
		e.passkeysOn(t)
		master, _ := oidc.NewMasterKey()
		e.Svc.SetSealer(master)
		mine := &identitytest.Authenticator{Origin: site}
		e.addPasskey(t, mine, acct, "Điện thoại của Lan")
		e.Now = e.Now.Add(time.Hour)
		const thief = "198.51.100.66"
		if _, err := e.login(e.Lan, identitytest.Password, thief); err != nil {
			t.Fatal(err)
		}
		theirs := &identitytest.Authenticator{Origin: site}
		e.Now = e.Now.Add(time.Minute)
		e.addPasskey(t, theirs, acct, "Máy lạ")
		en, err := e.Svc.EnrollTOTP(e.Ctx, acct.Principal(""), identity.Proof{Password: identitytest.Password})
		if err != nil {
			t.Fatal(err)
		}
		code := func() string { c, _ := totp.GenerateCode(en.Secret, e.Now); return c }
		if _, err := e.Svc.ConfirmTOTP(e.Ctx, acct.Principal(""), identity.TOTPCode{Code: code()}); err != nil {
			t.Fatal(err)
		}
		e.Now = e.Now.Add(time.Hour)
		if _, _, err := e.Svc.Login(e.Ctx, identity.Attempt{PIN: e.Lan.PIN, Password: identitytest.Password, TOTP: code(), Remote: thief}); err != nil {
			t.Fatal(err)
		}
		e.Now = e.Now.Add(time.Minute)
		e.reportNotMe(t, e.Lan, thief, code()) // the thief's last sign-in, after the app and the passkey
		if err := e.Svc.RequestUnlock(e.Ctx, e.Lan.PIN, "192.0.2.10"); err != nil {
			t.Fatal(err)
		}
		unlockCode := e.LastCode()
		unlock := func(pw string) error {
			_, err := e.Svc.Unlock(e.Ctx, identity.UnlockRequest{PIN: e.Lan.PIN, Code: unlockCode, Password: pw}, "192.0.2.10")
			return err
		}
		for _, pw := range []string{"", identitytest.Password} {
			if pe := wantKind(t, unlock(pw), problem.Invalid); len(pe.Fields) != 1 || pe.Fields[0].Field != "password" {
				t.Fatalf("unlock with password %q: %v", pw, pe)
			}
		}
		if n := e.Count("SELECT count(*) FROM eid_passkeys"); n != 2 {
			t.Fatalf("a refused unlock removed passkeys: %d left", n)
		}
		const next = "một mật khẩu mới chỉ Lan biết"
		if err := unlock(next); err != nil {
			t.Fatalf("the code, refused twice for the password, no longer unlocks: %v", err)
		}
		if _, err := e.login(e.Lan, identitytest.Password, thief); !problem.Is(err, problem.Unauthorized) {
			t.Errorf("the old password still signs in: %v", err)
		}
		// The new password alone: the thief's app asks for no code.
		if _, err := e.login(e.Lan, next, "192.0.2.10"); err != nil {
			t.Errorf("the new password alone: %v", err)
		}
		for name, a := range map[string]*identitytest.Authenticator{"the thief's": theirs, "the holder's": mine} {
			if _, err := e.passkeySignIn(t, a); err == nil {
				t.Errorf("%s passkey still signs in", name)
			}
		}
		if n := e.Count("SELECT count(*) FROM audit_log WHERE action = $1 AND outcome = 'ok' AND detail LIKE '%password changed%2 passkey%authenticator app removed%'", string(identity.ActionUnlock)); n != 1 {
			t.Errorf("%d unlock entries say the password changed and the passkeys and app removed", n)
		}
		if n := e.Count("SELECT count(*) FROM eid_outbox WHERE body LIKE '%da bi xoa khi mo khoa%'"); n != 1 {
			t.Errorf("%d notices of the unlock to the phone", n)
		}
	})
}
