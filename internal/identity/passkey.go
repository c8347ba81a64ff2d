package identity

import (
	"context"
	"database/sql"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"time"

	"github.com/go-webauthn/webauthn/protocol"
	"github.com/go-webauthn/webauthn/webauthn"

	"github.com/populus-vn/populus/internal/audit"
	"github.com/populus-vn/populus/internal/auth"
	"github.com/populus-vn/populus/internal/civil"
	"github.com/populus-vn/populus/internal/db"
	"github.com/populus-vn/populus/internal/problem"
	"github.com/populus-vn/populus/internal/staff"
	"github.com/populus-vn/populus/internal/throttle"
)

// Passkeys (WebAuthn, github.com/go-webauthn/webauthn): a signed-in holder
// registers one or more (each named, e.g. "điện thoại"), then signs in with
// one alone: the authenticator proves possession of the key and, when it
// verified its user (PIN or biometrics), that too. The store keeps the
// public key and the signature counter, never a secret; the user handle
// given to authenticators is random, never the PIN.

// Audit actions of passkeys.
const (
	ActionPasskeyAdd    auth.Action = "identity.passkey.add"
	ActionPasskeyRemove auth.Action = "identity.passkey.remove"
)

// ceremonyTTL is how long a WebAuthn challenge may be answered.
const ceremonyTTL = 5 * time.Minute

// maxPasskeys bounds the passkeys of one account.
const maxPasskeys = 10

// PasskeyOptions configure passkeys: the relying party's id (the site's
// host name) and the origins the browser may report (the site's URL).
type PasskeyOptions struct {
	RPID    string
	Origins []string
}

// errNoPasskeys is the answer when the server has no passkey options.
func errNoPasskeys() error {
	return problem.New(problem.Unavailable, "passkeys are not enabled on this server")
}

// SetPasskeys enables passkeys with o.
func (s *Service) SetPasskeys(o PasskeyOptions) error {
	w, err := webauthn.New(&webauthn.Config{RPID: o.RPID, RPDisplayName: "Populus — định danh điện tử", RPOrigins: o.Origins,
		Timeouts: webauthn.TimeoutsConfig{
			Login:        webauthn.TimeoutConfig{Enforce: true, Timeout: ceremonyTTL},
			Registration: webauthn.TimeoutConfig{Enforce: true, Timeout: ceremonyTTL},
		}})
	if err != nil {
		return fmt.Errorf("passkeys: %w", err)
	}
	s.webauthn = w
	return nil
}

// PasskeysEnabled reports whether the server offers passkeys.
func (s *Service) PasskeysEnabled() bool { return s.webauthn != nil }

// Ceremony is what the browser needs to start a WebAuthn ceremony: the
// options for navigator.credentials.create or .get (PublicKey), and the id
// to send back with the authenticator's answer.
type Ceremony struct {
	ID        string          `json:"ceremony"`
	PublicKey json.RawMessage `json:"publicKey"`
}

// PasskeyRegistration is the authenticator's answer to a registration
// ceremony, with the name the holder gives the passkey.
type PasskeyRegistration struct {
	Ceremony   string          `json:"ceremony"`
	Name       string          `json:"name"`
	Credential json.RawMessage `json:"credential"`
}

// Passkey is a registered passkey as the holder sees it.
type Passkey struct {
	ID         string    `json:"id"`
	Name       string    `json:"name"`
	CreatedAt  time.Time `json:"created_at"`
	LastUsedAt time.Time `json:"last_used_at,omitzero"`
}

// passkeyUser is an account as go-webauthn sees it.
type passkeyUser struct {
	a      Account
	handle []byte
	creds  []webauthn.Credential
}

func (u *passkeyUser) WebAuthnID() []byte                         { return u.handle }
func (u *passkeyUser) WebAuthnName() string                       { return u.a.PIN }
func (u *passkeyUser) WebAuthnDisplayName() string                { return maskPIN(u.a.PIN) }
func (u *passkeyUser) WebAuthnCredentials() []webauthn.Credential { return u.creds }

// handle returns the account's user handle, made on first use.
func (s *Service) handle(ctx context.Context, tx *sql.Tx, accountID int64) ([]byte, error) {
	var h string
	err := tx.QueryRowContext(ctx, "SELECT handle FROM eid_passkey_users WHERE account_id = $1", accountID).Scan(&h)
	if errors.Is(err, sql.ErrNoRows) {
		if h, err = randomToken(); err != nil {
			return nil, err
		}
		_, err = tx.ExecContext(ctx, "INSERT INTO eid_passkey_users (account_id, handle) VALUES ($1, $2)", accountID, h)
	}
	if err != nil {
		return nil, err
	}
	return base64.RawURLEncoding.DecodeString(h)
}

// credentials returns the account's passkeys' credentials.
func credentials(ctx context.Context, q querier, accountID int64) ([]webauthn.Credential, error) {
	rows, err := q.QueryContext(ctx, "SELECT credential FROM eid_passkeys WHERE account_id = $1 ORDER BY created_at, id", accountID)
	return db.Collect(rows, err, func(sc db.Scanner) (webauthn.Credential, error) {
		var raw string
		var c webauthn.Credential
		if err := sc.Scan(&raw); err != nil {
			return c, err
		}
		return c, json.Unmarshal([]byte(raw), &c)
	})
}

// saveCeremony keeps a ceremony's session data under a new id.
func (s *Service) saveCeremony(ctx context.Context, q querier, accountID int64, sd *webauthn.SessionData, options any) (Ceremony, error) {
	id, err := randomToken()
	if err != nil {
		return Ceremony{}, err
	}
	data, err := json.Marshal(sd)
	if err != nil {
		return Ceremony{}, err
	}
	pk, err := json.Marshal(options)
	if err != nil {
		return Ceremony{}, err
	}
	now := s.now()
	if _, err := q.ExecContext(ctx, "DELETE FROM eid_passkey_ceremonies WHERE expires_at <= $1", db.FormatTime(now)); err != nil {
		return Ceremony{}, err
	}
	_, err = q.ExecContext(ctx, "INSERT INTO eid_passkey_ceremonies (id, account_id, data, expires_at) VALUES ($1, $2, $3, $4)",
		hashToken(id), accountID, string(data), db.FormatTime(now.Add(ceremonyTTL)))
	return Ceremony{ID: id, PublicKey: pk}, err
}

// takeCeremony returns and deletes the ceremony id of accountID (0: a
// sign-in): a challenge is answered once.
func (s *Service) takeCeremony(ctx context.Context, tx *sql.Tx, id string, accountID int64) (webauthn.SessionData, error) {
	var sd webauthn.SessionData
	var data, exp string
	err := tx.QueryRowContext(ctx, "DELETE FROM eid_passkey_ceremonies WHERE id = $1 AND account_id = $2 RETURNING data, expires_at",
		hashToken(id), accountID).Scan(&data, &exp)
	if errors.Is(err, sql.ErrNoRows) || (err == nil && exp <= db.FormatTime(s.now())) {
		return sd, problem.Field("ceremony", "is unknown, expired or already used: start again")
	}
	if err != nil {
		return sd, err
	}
	return sd, json.Unmarshal([]byte(data), &sd)
}

// BeginPasskey starts the registration of a passkey by the signed-in
// holder: the options exclude the passkeys already registered.
func (s *Service) BeginPasskey(ctx context.Context, p auth.Principal, in Proof) (Ceremony, error) {
	if err := own(p); err != nil {
		return Ceremony{}, err
	}
	if s.webauthn == nil {
		return Ceremony{}, errNoPasskeys()
	}
	var c Ceremony
	err := s.changeWays(ctx, p, ActionPasskeyAdd, "", in, func(tx *sql.Tx, a Account) error {
		u := &passkeyUser{a: a}
		var err error
		if u.handle, err = s.handle(ctx, tx, a.ID); err != nil {
			return err
		}
		if u.creds, err = credentials(ctx, tx, a.ID); err != nil {
			return err
		}
		if len(u.creds) >= maxPasskeys {
			return problem.New(problem.Conflict, "the account has %d passkeys, the most it may hold: remove one first", len(u.creds))
		}
		opts, sd, err := s.webauthn.BeginRegistration(u,
			webauthn.WithResidentKeyRequirement(protocol.ResidentKeyRequirementRequired),
			webauthn.WithAuthenticatorSelection(protocol.AuthenticatorSelection{ResidentKey: protocol.ResidentKeyRequirementRequired,
				RequireResidentKey: protocol.ResidentKeyRequired(), UserVerification: protocol.VerificationPreferred}),
			webauthn.WithExclusions(webauthn.Credentials(u.creds).CredentialDescriptors()))
		if err != nil {
			return err
		}
		c, err = s.saveCeremony(ctx, tx, a.ID, sd, opts.Response)
		return err
	})
	return c, err
}

// changeWays runs fn, a change of the ways into p's account (a passkey
// added or removed, a method locked or unlocked, an authenticator app
// enrolled), in one transaction after the holder's proof (provePresent):
// not only a session, perhaps a stolen cookie. The proof's guesses are
// counted as a sign-in's from the address; a refusal is audited under
// action, what naming the thing.
func (s *Service) changeWays(ctx context.Context, p auth.Principal, action auth.Action, what string, in Proof, fn func(tx *sql.Tx, a Account) error) error {
	key := proofKey(ctx, p)
	if err := s.reserve(ctx, []throttleKey{key}); err != nil {
		return err
	}
	var refused error
	err := s.db.InTx(ctx, func(tx *sql.Tx) error {
		refused = nil
		a, err := s.accountByID(ctx, tx, p.ID, true)
		if err != nil {
			return err
		}
		if err := s.provePresent(ctx, tx, a, in); err != nil {
			refused = err
			return err
		}
		return fn(tx, a)
	})
	s.afterProof(ctx, p, action, what, key, refused)
	return err
}

// proofKey is the throttle key of the holder's proofs (provePresent) from
// ctx's address: guesses at the password through a session are counted
// as a sign-in's from there.
func proofKey(ctx context.Context, p auth.Principal) throttleKey {
	return throttleKey{keyPINAddress, p.Username + "@" + throttle.Address(audit.RemoteOf(ctx))}
}

// afterProof records a refused proof (refused) of an act under action,
// or takes back the attempt of one that held (the act done or refused
// for another reason: no guess).
func (s *Service) afterProof(ctx context.Context, p auth.Principal, action auth.Action, what string, key throttleKey, refused error) {
	if refused != nil {
		s.record(ctx, audit.Of(p, action, p.Username).Refused(what+"the holder's proof refused: "+refused.Error()), audit.RemoteOf(ctx))
		return
	}
	s.refund(ctx, key)
}

// Proof is what the holder gives to add a way into the account:
// the password (unless the holder locked it), and a current code of the
// authenticator app where one is enabled and unlocked.
type Proof struct {
	Password string `json:"password,omitempty"`
	Code     string `json:"code,omitempty"`
}

// freshPasskeySignIn is how recent a passkey sign-in stands for the proof
// of an account whose password and authenticator app are both locked.
const freshPasskeySignIn = 10 * time.Minute

// provePresent checks that the holder, not only their session (perhaps a
// stolen cookie), asks to add a passkey: the password and the app's code
// as the account signs in, or, with both locked, a passkey sign-in of the
// last minutes. Its refusal is a field error (its caller audits it:
// afterProof).
func (s *Service) provePresent(ctx context.Context, tx *sql.Tx, a Account, in Proof) error {
	locks, err := methodLocks(ctx, tx, a.ID)
	if err != nil {
		return err
	}
	var f problem.Fields
	asked := false // the password or the app's code was asked for
	if !locks[MethodPassword] {
		asked = true
		var hash string
		if err := tx.QueryRowContext(ctx, "SELECT password_hash FROM eid_accounts WHERE id = $1", a.ID).Scan(&hash); err != nil {
			return err
		}
		if in.Password == "" || !staff.VerifyPassword(in.Password, hash) {
			f.Add("password", "must be the account's password, which opening a way into the account needs")
		}
	}
	if !locks[MethodTOTP] {
		ok, step, err := s.checkTOTP(ctx, tx, a.ID, in.Code, true)
		switch {
		case errors.Is(err, errNoTOTP): // no app enabled
		case err != nil:
			return err
		case !ok:
			asked = true
			f.Add("code", "must be a current code of the authenticator app, which opening a way into the account needs")
		default:
			asked = true
			if _, err := tx.ExecContext(ctx, "UPDATE eid_totp SET last_step = $2 WHERE account_id = $1", a.ID, step); err != nil {
				return err
			}
		}
	}
	if !asked {
		if sess, ok := SessionFrom(ctx); !ok || !slices.Contains(sess.AMR, "swk") || s.now().Sub(sess.CreatedAt) > freshPasskeySignIn {
			f.Add("password", "your password and authenticator app are locked: sign in again with a passkey, then do this within %d minutes", int(freshPasskeySignIn/time.Minute))
		}
	}
	return f.Err()
}

// AddPasskey completes a registration with the authenticator's answer.
// Audited.
func (s *Service) AddPasskey(ctx context.Context, p auth.Principal, in PasskeyRegistration) (Passkey, error) {
	if err := own(p); err != nil {
		return Passkey{}, err
	}
	if s.webauthn == nil {
		return Passkey{}, errNoPasskeys()
	}
	in.Name = strings.TrimSpace(in.Name)
	var f problem.Fields
	if n := len([]rune(in.Name)); n == 0 || n > 60 {
		f.Add("name", "is required, at most 60 characters (e.g. the device it is on)")
	}
	if in.Ceremony == "" {
		f.Add("ceremony", "is required: the id the options came with")
	}
	parsed, err := protocol.ParseCredentialCreationResponseBytes(in.Credential)
	if err != nil {
		f.Add("credential", "is not an authenticator's answer to a registration: %s", protocolDetail(err))
	}
	if err := f.Err(); err != nil {
		return Passkey{}, err
	}
	now := s.now()
	var out Passkey
	var phone string
	err = s.db.InTx(ctx, func(tx *sql.Tx) error {
		sd, err := s.takeCeremony(ctx, tx, in.Ceremony, p.ID)
		if err != nil {
			return err
		}
		a, err := s.accountByID(ctx, tx, p.ID, true)
		if err != nil {
			return err
		}
		phone = a.Phone
		u := &passkeyUser{a: a}
		if u.handle, err = s.handle(ctx, tx, a.ID); err != nil {
			return err
		}
		cred, err := s.webauthn.CreateCredential(u, sd, parsed)
		if err != nil {
			return problem.Field("credential", "was not accepted: %s", protocolDetail(err))
		}
		raw, err := json.Marshal(cred)
		if err != nil {
			return err
		}
		out = Passkey{ID: base64.RawURLEncoding.EncodeToString(cred.ID), Name: in.Name, CreatedAt: now}
		res, err := tx.ExecContext(ctx, "INSERT INTO eid_passkeys (id, account_id, name, credential, created_at) VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING",
			out.ID, a.ID, in.Name, string(raw), db.FormatTime(now))
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return problem.Field("credential", "this passkey is already registered")
		}
		return s.audit.RecordTx(ctx, tx, audit.Of(p, ActionPasskeyAdd, a.PIN).With("passkey "+in.Name))
	})
	if err != nil {
		return Passkey{}, err
	}
	// The holder hears of every new way into the account.
	s.tell(ctx, phone, "mot khoa truy cap (passkey) moi vua duoc them vao")
	return out, nil
}

// protocolDetail is the library's explanation of a refused answer.
func protocolDetail(err error) string {
	var pe *protocol.Error
	if errors.As(err, &pe) && pe.Details != "" {
		return pe.Details
	}
	return err.Error()
}

// Passkeys lists the holder's passkeys.
func (s *Service) Passkeys(ctx context.Context, p auth.Principal) ([]Passkey, error) {
	if err := own(p); err != nil {
		return nil, err
	}
	rows, err := s.db.QueryContext(ctx, "SELECT id, name, created_at, last_used_at FROM eid_passkeys WHERE account_id = $1 ORDER BY created_at, id", p.ID)
	return db.Collect(rows, err, func(sc db.Scanner) (Passkey, error) {
		var k Passkey
		var last string
		err := sc.Scan(&k.ID, &k.Name, db.Time{T: &k.CreatedAt}, &last)
		if last != "" {
			k.LastUsedAt, _ = db.ParseTime(last)
		}
		return k, err
	})
}

// RemovePasskey deletes one of the holder's passkeys. Audited. The last
// way to sign in is not removed: with the password locked, the last
// passkey stays.
func (s *Service) RemovePasskey(ctx context.Context, p auth.Principal, id string, in Proof) error {
	if err := own(p); err != nil {
		return err
	}
	var phone, name string
	err := s.changeWays(ctx, p, ActionPasskeyRemove, "passkey "+id+": ", in, func(tx *sql.Tx, a Account) error {
		phone = a.Phone
		err := tx.QueryRowContext(ctx, "SELECT name FROM eid_passkeys WHERE id = $1 AND account_id = $2", id, a.ID).Scan(&name)
		if errors.Is(err, sql.ErrNoRows) {
			return problem.New(problem.NotFound, "no such passkey on your account")
		}
		if err != nil {
			return err
		}
		st, err := s.methodsByName(ctx, tx, a.ID)
		if err != nil {
			return err
		}
		var n int
		if err := tx.QueryRowContext(ctx, "SELECT count(*) FROM eid_passkeys WHERE account_id = $1", a.ID).Scan(&n); err != nil {
			return err
		}
		// The password signs in only with the app's code where one is
		// enabled: a locked app locks the password's way in too.
		if n == 1 && (st[MethodPassword].Locked || st[MethodTOTP].Enrolled && st[MethodTOTP].Locked) {
			return problem.New(problem.Conflict, "this is your last passkey and the password (or the authenticator app it needs) is locked: unlock it before removing the passkey")
		}
		if _, err := tx.ExecContext(ctx, "DELETE FROM eid_passkeys WHERE id = $1", id); err != nil {
			return err
		}
		// Whoever signed in with it is out: the account's other sessions
		// end (they do not say which passkey made them).
		if err := endOtherSessions(ctx, tx, a.ID); err != nil {
			return err
		}
		return s.audit.RecordTx(ctx, tx, audit.Of(p, ActionPasskeyRemove, a.PIN).With("passkey "+name+"; the account's other sessions ended"))
	})
	if err == nil {
		s.tell(ctx, phone, "mot khoa truy cap (passkey) vua bi xoa khoi")
	}
	return err
}

// tell sends the holder's phone a notice that what was done to their
// account (Vietnamese without diacritics, as the codes), now.
func (s *Service) tell(ctx context.Context, phone, what string) {
	msg := fmt.Sprintf("Populus: %s tai khoan dinh danh cua ban luc %s. Neu khong phai ban, hay khoa tai khoan ngay.",
		what, s.now().In(civil.Vietnam).Format("15:04 02/01/2006"))
	if err := s.notify.Send(ctx, Message{Channel: "sms", To: phone, Body: msg}); err != nil {
		slog.WarnContext(ctx, "holder's notice not sent", "err", err)
	}
}

// BeginPasskeySignIn starts a sign-in with a passkey: the browser lets
// the citizen choose one of the passkeys it holds for this site.
// Throttled per address.
func (s *Service) BeginPasskeySignIn(ctx context.Context, remote string) (Ceremony, error) {
	if s.webauthn == nil {
		return Ceremony{}, errNoPasskeys()
	}
	if err := s.reserve(ctx, []throttleKey{{keyAddress, throttle.Address(remote)}}); err != nil {
		return Ceremony{}, err
	}
	opts, sd, err := s.webauthn.BeginDiscoverableLogin(webauthn.WithUserVerification(protocol.VerificationPreferred))
	if err != nil {
		return Ceremony{}, err
	}
	return s.saveCeremony(ctx, s.db, 0, sd, opts.Response)
}

// PasskeyAttempt is a sign-in with a passkey: the ceremony's id and the
// authenticator's answer, and the client as in Attempt.
type PasskeyAttempt struct {
	Ceremony   string
	Credential json.RawMessage
	Remote     string
	Device     string
	Replaces   string
}

// errPasskeyRefused is the one answer to an answer that does not verify
// or names no passkey of an account.
func errPasskeyRefused() error {
	return problem.New(problem.Unauthorized, "the passkey was not accepted")
}

// LoginPasskey signs in with a passkey: the answer must verify against a
// registered passkey (signature over the challenge, the site's origin and
// relying party, a counter that moved on when the authenticator keeps
// one); the account must be active and its passkeys not locked. The
// session's amr is swk, with user and mfa when the authenticator verified
// its user. Errors: Invalid for a malformed request or a spent ceremony;
// Unauthorized for an answer that does not verify; Forbidden for a
// pending, locked or revoked account or locked passkeys.
func (s *Service) LoginPasskey(ctx context.Context, in PasskeyAttempt) (Session, string, error) {
	if s.webauthn == nil {
		return Session{}, "", errNoPasskeys()
	}
	addr := throttle.Address(in.Remote)
	in.Device = truncate(in.Device, maxDevice)
	if err := s.reserve(ctx, []throttleKey{{keyAddress, addr}}); err != nil {
		return Session{}, "", err
	}
	parsed, err := protocol.ParseCredentialRequestResponseBytes(in.Credential)
	if err != nil {
		return Session{}, "", problem.Field("credential", "is not an authenticator's answer to a sign-in: %s", protocolDetail(err))
	}
	var sd webauthn.SessionData
	err = s.db.InTx(ctx, func(tx *sql.Tx) error {
		var err error
		sd, err = s.takeCeremony(ctx, tx, in.Ceremony, 0)
		return err
	})
	if err != nil {
		return Session{}, "", err
	}
	var user *passkeyUser
	find := func(rawID, handle []byte) (webauthn.User, error) {
		var accountID int64
		err := s.db.QueryRowContext(ctx, "SELECT account_id FROM eid_passkey_users WHERE handle = $1", base64.RawURLEncoding.EncodeToString(handle)).Scan(&accountID)
		if err != nil {
			return nil, errors.New("no account holds this passkey")
		}
		a, err := s.accountByID(ctx, s.db, accountID, false)
		if err != nil {
			return nil, err
		}
		creds, err := credentials(ctx, s.db, accountID)
		if err != nil {
			return nil, err
		}
		user = &passkeyUser{a: a, handle: handle, creds: creds}
		return user, nil
	}
	_, cred, err := s.webauthn.ValidatePasskeyLogin(find, sd, parsed)
	if err != nil || user == nil {
		why := "passkey refused"
		if err != nil {
			why += ": " + protocolDetail(err)
		}
		if user != nil {
			s.history(ctx, user.a.ID, s.now(), Attempt{Remote: in.Remote, Device: in.Device}, LoginFailed, "passkey refused")
			s.record(ctx, audit.OfActor(auth.ActorID(auth.KindCitizen, user.a.PIN), ActionSignIn, user.a.PIN).Failing(why), in.Remote)
		} else {
			s.record(ctx, audit.OfActor("anonymous", ActionSignIn, "").Failing(why), in.Remote)
		}
		return Session{}, "", errPasskeyRefused()
	}
	a := user.a
	now := s.now()
	at := Attempt{PIN: a.PIN, Remote: in.Remote, Device: in.Device, Replaces: in.Replaces}
	entry := audit.OfActor(auth.ActorID(auth.KindCitizen, a.PIN), ActionSignIn, a.PIN)
	if cred.Authenticator.CloneWarning {
		s.history(ctx, a.ID, now, at, LoginRefused, "passkey counter went back: possibly cloned")
		s.record(ctx, entry.Refused("passkey counter went back: possibly cloned"), in.Remote)
		return Session{}, "", problem.New(problem.Forbidden, "this passkey's counter went back, a sign that it was copied: it is refused; remove it and register a new one")
	}
	if a.State != StateActive {
		s.history(ctx, a.ID, now, at, LoginRefused, "account "+string(a.State))
		s.record(ctx, entry.Refused("account "+string(a.State)), in.Remote)
		return Session{}, "", problem.New(problem.Forbidden, "the account is %s", a.State)
	}
	if err := s.refuseLocked(ctx, a, MethodPasskey, at, now, entry); err != nil {
		return Session{}, "", err
	}
	raw, err := json.Marshal(cred)
	if err != nil {
		return Session{}, "", err
	}
	if _, err := s.db.ExecContext(ctx, "UPDATE eid_passkeys SET credential = $2, last_used_at = $3 WHERE id = $1",
		base64.RawURLEncoding.EncodeToString(cred.ID), string(raw), db.FormatTime(now)); err != nil {
		return Session{}, "", err
	}
	amr := []string{"swk"}
	if parsed.Response.AuthenticatorData.Flags.HasUserVerified() {
		amr = append(amr, "user", "mfa")
	}
	sess, token, err := s.begin(ctx, a, at, now, amr, entry, keyAddress, "")
	if err == nil {
		s.refund(ctx, throttleKey{keyAddress, addr})
	}
	return sess, token, err
}
