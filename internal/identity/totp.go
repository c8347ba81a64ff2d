package identity

import (
	"context"
	"crypto/subtle"
	"database/sql"
	"errors"
	"strconv"
	"time"

	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"

	"github.com/populus-vn/populus/internal/audit"
	"github.com/populus-vn/populus/internal/auth"
	"github.com/populus-vn/populus/internal/db"
	"github.com/populus-vn/populus/internal/problem"
)

// Sealer encrypts secrets at rest (the TOTP secrets); the OpenID
// provider's master key (oidc.MasterKey) is one.
type Sealer interface {
	Seal(purpose string, plaintext, ad []byte) (string, error)
	Open(purpose, sealed string, ad []byte) ([]byte, error)
}

// SetSealer gives the service the key that seals TOTP secrets, before it
// serves; without one, authenticator apps cannot be enrolled.
func (s *Service) SetSealer(k Sealer) { s.sealer = k }

// ActionTOTP is the audit action of enrolling an authenticator app.
const ActionTOTP auth.Action = "identity.totp"

const totpPurpose = "totp secret"

var totpOpts = totp.ValidateOpts{Period: 30, Skew: 1, Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1}

// TOTPEnrollment is a new authenticator app's secret, shown once: the
// otpauth URL (for a QR code) and the secret in base32.
type TOTPEnrollment struct {
	Secret string `json:"secret"`
	URL    string `json:"otpauth_url"`
}

// TOTPCode is a code of the authenticator app.
type TOTPCode struct {
	Code string `json:"code"`
}

func adOf(accountID int64) []byte { return []byte(strconv.FormatInt(accountID, 10)) }

// EnrollTOTP makes a new authenticator secret for the holder, enabled once
// confirmed with a code of it (ConfirmTOTP). Enrolling needs the holder's
// proof (provePresent: the password, and a current code of the app in use
// where one is enabled): a session alone, perhaps a stolen one, neither
// turns on an app that then keeps the holder out, nor switches the
// holder's app off, nor puts another in its place. An enabled app stays in
// force until its replacement is confirmed. A locked authenticator method
// enrols nothing.
func (s *Service) EnrollTOTP(ctx context.Context, p auth.Principal, in Proof) (TOTPEnrollment, error) {
	if err := own(p); err != nil {
		return TOTPEnrollment{}, err
	}
	if s.sealer == nil {
		return TOTPEnrollment{}, problem.New(problem.Unavailable, "authenticator apps need the server's master key, which is not configured")
	}
	key, err := totp.Generate(totp.GenerateOpts{Issuer: "Populus", AccountName: maskPIN(p.Username)})
	if err != nil {
		return TOTPEnrollment{}, err
	}
	sealed, err := s.sealer.Seal(totpPurpose, []byte(key.Secret()), adOf(p.ID))
	if err != nil {
		return TOTPEnrollment{}, err
	}
	replacing := false
	err = s.changeWays(ctx, p, ActionTOTP, "", in, func(tx *sql.Tx, a Account) error {
		if locks, err := methodLocks(ctx, tx, a.ID); err != nil {
			return err
		} else if locks[MethodTOTP] {
			return errLocked(MethodTOTP)
		}
		var enabled int
		if err := tx.QueryRowContext(ctx, "SELECT count(*) FROM eid_totp WHERE account_id = $1 AND enabled = 1", a.ID).Scan(&enabled); err != nil {
			return err
		}
		if replacing = enabled > 0; replacing {
			_, err := tx.ExecContext(ctx, "UPDATE eid_totp SET pending = $2 WHERE account_id = $1", a.ID, sealed)
			return err
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO eid_totp (account_id, sealed, enabled, last_step, created_at) VALUES ($1, $2, 0, 0, $3)
			ON CONFLICT (account_id) DO UPDATE SET sealed = excluded.sealed, enabled = 0, last_step = 0, pending = '', created_at = excluded.created_at`,
			a.ID, sealed, db.FormatTime(s.now()))
		return err
	})
	if err != nil {
		return TOTPEnrollment{}, err
	}
	if replacing {
		s.record(ctx, audit.Of(p, ActionTOTP, p.Username).With("replacement authenticator app enrolled, not yet confirmed"), "")
	}
	return TOTPEnrollment{Secret: key.Secret(), URL: key.URL()}, nil
}

func maskPIN(pin string) string {
	if len(pin) < 4 {
		return pin
	}
	return "…" + pin[len(pin)-4:]
}

// ConfirmTOTP enables the enrolled authenticator with its first code: from
// then on every sign-in needs a code of it; a replacement takes the
// enabled one's place. The holder's phone is told.
func (s *Service) ConfirmTOTP(ctx context.Context, p auth.Principal, in TOTPCode) (Account, error) {
	if err := own(p); err != nil {
		return Account{}, err
	}
	replaced := false
	err := s.db.InTx(ctx, func(tx *sql.Tx) error {
		var pending string
		if err := tx.QueryRowContext(ctx, "SELECT pending FROM eid_totp WHERE account_id = $1", p.ID).Scan(&pending); err != nil && !errors.Is(err, sql.ErrNoRows) {
			return err
		}
		var ok bool
		var step int64
		var err error
		if replaced = pending != ""; replaced {
			ok, step, err = s.checkSecret(pending, p.ID, in.Code, 0)
		} else {
			ok, step, err = s.checkTOTP(ctx, tx, p.ID, in.Code, false)
		}
		if err != nil {
			return err
		}
		if !ok {
			return problem.Field("code", "is not a current code of the authenticator app")
		}
		if replaced {
			_, err = tx.ExecContext(ctx, "UPDATE eid_totp SET sealed = pending, pending = '', enabled = 1, last_step = $2, created_at = $3 WHERE account_id = $1",
				p.ID, step, db.FormatTime(s.now()))
		} else {
			_, err = tx.ExecContext(ctx, "UPDATE eid_totp SET enabled = 1, last_step = $2 WHERE account_id = $1", p.ID, step)
		}
		return err
	})
	if err != nil {
		return Account{}, err
	}
	what, verb := "authenticator app enabled", "bat"
	if replaced {
		what, verb = "authenticator app replaced", "thay the"
	}
	s.record(ctx, audit.Of(p, ActionTOTP, p.Username).With(what), "")
	a, err := s.Me(ctx, p)
	if err != nil {
		return Account{}, err
	}
	// The holder hears of every new way into the account.
	s.tell(ctx, a.Phone, "ung dung xac thuc (ma OTP) vua duoc "+verb+" tren")
	return a, nil
}

var errNoTOTP = errors.New("no authenticator")

// checkTOTP checks code against the account's secret (enabled ones only
// when enabled is set): a code of the current step or the one before or
// after, never of a step already used. It returns the step to record.
func (s *Service) checkTOTP(ctx context.Context, q querier, accountID int64, code string, enabled bool) (bool, int64, error) {
	query := "SELECT sealed, last_step FROM eid_totp WHERE account_id = $1"
	if enabled {
		query += " AND enabled = 1"
	}
	var sealed string
	var last int64
	err := q.QueryRowContext(ctx, query, accountID).Scan(&sealed, &last)
	if errors.Is(err, sql.ErrNoRows) {
		if enabled {
			return false, 0, errNoTOTP
		}
		return false, 0, problem.Field("code", "no authenticator app is being enrolled: start again")
	}
	if err != nil {
		return false, 0, err
	}
	return s.checkSecret(sealed, accountID, code, last)
}

// checkSecret checks code against the sealed secret of accountID, past
// the step last.
func (s *Service) checkSecret(sealed string, accountID int64, code string, last int64) (bool, int64, error) {
	if s.sealer == nil {
		return false, 0, problem.New(problem.Unavailable, "authenticator apps need the server's master key, which is not configured")
	}
	secret, err := s.sealer.Open(totpPurpose, sealed, adOf(accountID))
	if err != nil {
		return false, 0, err
	}
	now := s.now()
	for _, d := range []int64{0, -1, 1} {
		t := now.Add(time.Duration(d) * 30 * time.Second)
		step := t.Unix() / 30
		if step <= last {
			continue
		}
		want, err := totp.GenerateCodeCustom(string(secret), t, totpOpts)
		if err == nil && len(code) == len(want) && subtleEq(code, want) {
			return true, step, nil
		}
	}
	return false, 0, nil
}

func subtleEq(a, b string) bool { return subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1 }
