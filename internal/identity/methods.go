package identity

import (
	"context"
	"database/sql"
	"slices"
	"time"

	"github.com/populus-vn/populus/internal/audit"
	"github.com/populus-vn/populus/internal/auth"
	"github.com/populus-vn/populus/internal/db"
	"github.com/populus-vn/populus/internal/problem"
)

// The authentication methods the holder locks and unlocks one by one (as
// MOSIP's residents and Aadhaar's holders do): a locked method is refused
// with an error naming it until the holder unlocks it. Locking never
// leaves the holder without a way in: the password is locked only while
// an unlocked passkey exists (and the authenticator app, which the
// password needs, likewise), passkeys only while the password is
// unlocked. Locking one-time codes stops codes sent to the phone from
// unlocking the account (against a stolen SIM card).
const (
	MethodPassword = "password"
	MethodTOTP     = "totp"
	MethodPasskey  = "passkey"
	MethodCode     = "code"
)

// Methods are the methods in the order the portal shows them.
var Methods = []string{MethodPassword, MethodTOTP, MethodPasskey, MethodCode}

// Audit actions of the method locks.
const (
	ActionMethodLock   auth.Action = "identity.method.lock"
	ActionMethodUnlock auth.Action = "identity.method.unlock"
)

// MethodState is one method of the holder's account.
type MethodState struct {
	Method string `json:"method"`
	// Enrolled: the password always; the authenticator app once enabled;
	// passkeys once one is registered; one-time codes always (the phone).
	Enrolled bool `json:"enrolled"`
	Locked   bool `json:"locked"`
}

// MethodRequest names a method to lock or unlock.
type MethodRequest struct {
	Method string `json:"method"`
	// Password and Code prove the holder (Proof): a lock closes a way
	// in, an unlock opens one again.
	Password string `json:"password,omitempty"`
	Code     string `json:"code,omitempty"`
}

// methodLocks returns the account's locked methods.
func methodLocks(ctx context.Context, q querier, accountID int64) (map[string]bool, error) {
	rows, err := q.QueryContext(ctx, "SELECT method FROM eid_method_locks WHERE account_id = $1", accountID)
	ms, err := db.Collect(rows, err, func(sc db.Scanner) (string, error) {
		var m string
		return m, sc.Scan(&m)
	})
	out := map[string]bool{}
	for _, m := range ms {
		out[m] = true
	}
	return out, err
}

// lockedMessage is the exact refusal of a locked method.
var lockedMessage = map[string]string{
	MethodPassword: "signing in with the password is locked by the account's holder",
	MethodTOTP:     "the authenticator app (TOTP) is locked by the account's holder: sign in with a passkey",
	MethodPasskey:  "signing in with a passkey is locked by the account's holder",
	MethodCode:     "one-time codes are locked by the account's holder",
}

// errLocked is the refusal of a locked method.
func errLocked(method string) error {
	return problem.New(problem.Forbidden, "%s", lockedMessage[method])
}

// refuseLocked refuses a sign-in step by a locked method, recording the
// refusal in the history and the audit log.
func (s *Service) refuseLocked(ctx context.Context, a Account, method string, at Attempt, now time.Time, entry audit.Entry) error {
	locks, err := methodLocks(ctx, s.db, a.ID)
	if err != nil {
		return err
	}
	if !locks[method] {
		return nil
	}
	s.history(ctx, a.ID, now, at, LoginRefused, "method "+method+" locked")
	s.record(ctx, entry.Refused("method "+method+" locked"), at.Remote)
	return errLocked(method)
}

// MethodStates returns the holder's methods: enrolled or not, locked or
// not.
func (s *Service) MethodStates(ctx context.Context, p auth.Principal) ([]MethodState, error) {
	if err := own(p); err != nil {
		return nil, err
	}
	return s.methodStates(ctx, s.db, p.ID)
}

// methodsByName is methodStates by method.
func (s *Service) methodsByName(ctx context.Context, q querier, accountID int64) (map[string]MethodState, error) {
	states, err := s.methodStates(ctx, q, accountID)
	st := make(map[string]MethodState, len(states))
	for _, m := range states {
		st[m.Method] = m
	}
	return st, err
}

// endOtherSessions ends the account's sessions but ctx's own: whoever
// signed in otherwise is out.
func endOtherSessions(ctx context.Context, tx *sql.Tx, accountID int64) error {
	keep := ""
	if sess, ok := SessionFrom(ctx); ok {
		keep = sess.tokenHash
	}
	_, err := tx.ExecContext(ctx, "DELETE FROM eid_sessions WHERE account_id = $1 AND token_hash <> $2", accountID, keep)
	return err
}

func (s *Service) methodStates(ctx context.Context, q querier, accountID int64) ([]MethodState, error) {
	locks, err := methodLocks(ctx, q, accountID)
	if err != nil {
		return nil, err
	}
	var totp, keys int
	if err := q.QueryRowContext(ctx, "SELECT (SELECT count(*) FROM eid_totp WHERE account_id = $1 AND enabled = 1), (SELECT count(*) FROM eid_passkeys WHERE account_id = $1)",
		accountID).Scan(&totp, &keys); err != nil {
		return nil, err
	}
	enrolled := map[string]bool{MethodPassword: true, MethodTOTP: totp > 0, MethodPasskey: keys > 0, MethodCode: true}
	out := make([]MethodState, 0, len(Methods))
	for _, m := range Methods {
		out = append(out, MethodState{Method: m, Enrolled: enrolled[m], Locked: locks[m]})
	}
	return out, nil
}

// LockMethod locks one of the holder's methods at once, with the holder's
// proof (provePresent). Audited; the phone is told. Its errors: Invalid
// for an unknown method or a proof refused; Conflict for a lock that would
// leave no way to sign in, saying what to do first.
func (s *Service) LockMethod(ctx context.Context, p auth.Principal, in MethodRequest) ([]MethodState, error) {
	return s.setMethodLock(ctx, p, in, true)
}

// UnlockMethod unlocks one of the holder's methods. As LockMethod, it
// needs the holder's proof (provePresent). Audited, a refusal too; the
// phone is told.
func (s *Service) UnlockMethod(ctx context.Context, p auth.Principal, in MethodRequest) ([]MethodState, error) {
	return s.setMethodLock(ctx, p, in, false)
}

func (s *Service) setMethodLock(ctx context.Context, p auth.Principal, in MethodRequest, lock bool) ([]MethodState, error) {
	if err := own(p); err != nil {
		return nil, err
	}
	if !slices.Contains(Methods, in.Method) {
		return nil, problem.Field("method", "must be one of password, totp, passkey, code")
	}
	action, verb := ActionMethodUnlock, "vua duoc mo khoa tren"
	if lock {
		action, verb = ActionMethodLock, "vua bi khoa tren"
	}
	var out []MethodState
	var phone string
	// Locking closes a way in, unlocking opens one again: either is the
	// holder's to do, not only their session's (a thief's cookie locked
	// the holder's ways out, or opened a locked one again).
	err := s.changeWays(ctx, p, action, "method "+in.Method+": ", Proof{Password: in.Password, Code: in.Code}, func(tx *sql.Tx, a Account) error {
		phone = a.Phone
		st, err := s.methodsByName(ctx, tx, a.ID)
		if err != nil {
			return err
		}
		if lock {
			passkeyIn := st[MethodPasskey].Enrolled && !st[MethodPasskey].Locked
			switch {
			case in.Method == MethodPassword && !passkeyIn:
				return problem.New(problem.Conflict, "the password is your only way to sign in: register a passkey (and keep it unlocked) before locking the password")
			case in.Method == MethodTOTP && !st[MethodTOTP].Enrolled:
				return problem.Field("method", "no authenticator app is enabled on your account")
			case in.Method == MethodTOTP && !passkeyIn:
				return problem.New(problem.Conflict, "signing in with the password needs the authenticator app: register a passkey (and keep it unlocked) before locking the app")
			case in.Method == MethodPasskey && (st[MethodPassword].Locked || st[MethodTOTP].Locked):
				return problem.New(problem.Conflict, "passkeys are your only way to sign in: unlock the password (and the authenticator app) before locking passkeys")
			}
			_, err = tx.ExecContext(ctx, "INSERT INTO eid_method_locks (account_id, method, locked_at) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
				a.ID, in.Method, db.FormatTime(s.now()))
		} else {
			_, err = tx.ExecContext(ctx, "DELETE FROM eid_method_locks WHERE account_id = $1 AND method = $2", a.ID, in.Method)
		}
		if err != nil {
			return err
		}
		if err := s.audit.RecordTx(ctx, tx, audit.Of(p, action, a.PIN).With("method "+in.Method)); err != nil {
			return err
		}
		out, err = s.methodStates(ctx, tx, a.ID)
		return err
	})
	if err != nil {
		return nil, err
	}
	s.tell(ctx, phone, "phuong thuc dang nhap "+in.Method+" "+verb)
	return out, nil
}

// PasswordChange is a holder's new password, with the proof of the
// present one (and the authenticator app's code where one is enabled).
type PasswordChange struct {
	Password    string `json:"password"`
	Code        string `json:"code,omitempty"`
	NewPassword string `json:"new_password"`
}

// replacePassword sets a's password to hash, in tx: every session of the
// account but the request's own ends, and the relying parties' tokens are
// revoked (HandOverPassword): whoever knew the old password is out.
func (s *Service) replacePassword(ctx context.Context, tx *sql.Tx, a Account, hash string) error {
	if _, err := tx.ExecContext(ctx, "UPDATE eid_accounts SET password_hash = $2, updated_at = $3 WHERE id = $1", a.ID, hash, db.FormatTime(s.now())); err != nil {
		return err
	}
	if err := endOtherSessions(ctx, tx, a.ID); err != nil {
		return err
	}
	return s.handOver(ctx, tx, HandOver{AccountID: a.ID, PIN: a.PIN, Why: HandOverPassword})
}

// ActionPasswordChange is the audit action of a holder's new password.
const ActionPasswordChange auth.Action = "identity.password.change"

// ChangePassword sets the holder's new password, with the holder's proof
// (provePresent: the present password, which a thief may know too, and
// the app's code where enabled; with both locked a passkey sign-in of the
// last minutes). Every other session of the account ends: whoever signed
// in with the old password is out. Audited; the phone is told.
func (s *Service) ChangePassword(ctx context.Context, p auth.Principal, in PasswordChange) (Account, error) {
	if err := own(p); err != nil {
		return Account{}, err
	}
	var f problem.Fields
	checkPassword(&f, "new_password", in.NewPassword, p.Username)
	if in.NewPassword != "" && in.NewPassword == in.Password {
		f.Add("new_password", "must differ from the present password")
	}
	if err := f.Err(); err != nil {
		return Account{}, err
	}
	hash, err := hashPassword(in.NewPassword, s.opts.Params)
	if err != nil {
		return Account{}, err
	}
	var phone string
	err = s.changeWays(ctx, p, ActionPasswordChange, "", Proof{Password: in.Password, Code: in.Code}, func(tx *sql.Tx, a Account) error {
		phone = a.Phone
		if err := s.replacePassword(ctx, tx, a, hash); err != nil {
			return err
		}
		return s.audit.RecordTx(ctx, tx, audit.Of(p, ActionPasswordChange, a.PIN).With("password changed; the account's other sessions and the relying parties' tokens ended"))
	})
	if err != nil {
		return Account{}, err
	}
	s.tell(ctx, phone, "mat khau vua duoc doi tren")
	return s.Me(ctx, p)
}
