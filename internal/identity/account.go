package identity

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/populus-vn/populus/internal/audit"
	"github.com/populus-vn/populus/internal/auth"
	"github.com/populus-vn/populus/internal/civil"
	"github.com/populus-vn/populus/internal/db"
	"github.com/populus-vn/populus/internal/people"
	"github.com/populus-vn/populus/internal/pin"
	"github.com/populus-vn/populus/internal/problem"
	"github.com/populus-vn/populus/internal/staff"
	"github.com/populus-vn/populus/internal/throttle"
)

// Me returns the holder's own account.
func (s *Service) Me(ctx context.Context, p auth.Principal) (Account, error) {
	if err := own(p); err != nil {
		return Account{}, err
	}
	return s.accountByID(ctx, s.db, p.ID, false)
}

// LockRequest is the holder's lock: a reason, or the login they report as
// not theirs ("this was not me").
type LockRequest struct {
	Reason       string `json:"reason,omitempty"`
	NotMeLoginID int64  `json:"not_me_login_id,omitempty"`
}

// Lock locks the holder's account at once, ending its sessions and what the
// relying parties hold for it (OnHandOver: their tokens, the consents given
// to them): nobody signs in until the holder unlocks it with a code sent to
// the phone. A report of a login not theirs is kept in the login history.
func (s *Service) Lock(ctx context.Context, p auth.Principal, in LockRequest) (Account, error) {
	if err := own(p); err != nil {
		return Account{}, err
	}
	if len(in.Reason) > 500 {
		return Account{}, problem.Field("reason", "must be at most 500 characters")
	}
	reason := "locked by the holder"
	if in.Reason != "" {
		reason += ": " + in.Reason
	}
	now := s.now()
	var a Account
	err := s.db.InTx(ctx, func(tx *sql.Tx) error {
		var err error
		if a, err = s.accountByID(ctx, tx, p.ID, true); err != nil {
			return err
		}
		if a.State != StateActive {
			return problem.New(problem.Conflict, "the account is %s, not active", a.State)
		}
		if in.NotMeLoginID != 0 {
			res, err := tx.ExecContext(ctx, "UPDATE eid_logins SET detail = $3 WHERE id = $1 AND account_id = $2",
				in.NotMeLoginID, a.ID, reportedNotMe)
			if err != nil {
				return err
			}
			if n, _ := res.RowsAffected(); n == 0 {
				return problem.Field("not_me_login_id", "is not a login of your account")
			}
			reason = fmt.Sprintf(notMeLock, in.NotMeLoginID)
		}
		if _, err := tx.ExecContext(ctx, "DELETE FROM eid_sessions WHERE account_id = $1", a.ID); err != nil {
			return err
		}
		// Whoever else holds the password may have signed in at
		// services: what they hold for the account ends too.
		if err := s.handOver(ctx, tx, HandOver{AccountID: a.ID, PIN: a.PIN, Why: HandOverLock}); err != nil {
			return err
		}
		a.State, a.StateReason, a.UpdatedAt = StateLocked, reason, now
		return setState(ctx, tx, a.ID, StateLocked, reason, now)
	})
	if err != nil {
		return Account{}, err
	}
	s.record(ctx, audit.Of(p, ActionLock, a.PIN).With(reason), "")
	// The phone is told: a lock by whoever holds a session (perhaps not
	// the holder) keeps the holder out until they unlock it.
	msg := fmt.Sprintf("Populus: tai khoan dinh danh dien tu cua ban da bi khoa luc %s. Mo khoa bang ma gui toi so dien thoai nay tai trang /eid/unlock.",
		now.In(civil.Vietnam).Format("15:04 02/01/2006"))
	if err := s.notify.Send(ctx, Message{Channel: "sms", To: a.Phone, Body: msg}); err != nil {
		slog.WarnContext(ctx, "holder's notice not sent", "err", err)
	}
	return a, nil
}

// RequestUnlock sends a code to the phone of a locked account. It answers
// alike whether or not the PIN has a locked account, so that it reveals
// nothing; attempts are throttled per PIN and address.
func (s *Service) RequestUnlock(ctx context.Context, pinStr, remote string) error {
	return s.requestCode(ctx, pinStr, "", remote, StateLocked, purposeUnlock,
		"Populus: ma mo khoa tai khoan dinh danh cua ban la %s (hieu luc %d phut).")
}

// PasswordResetCodeRequest asks for a code to set a forgotten password:
// the PIN and the phone number the account holds.
type PasswordResetCodeRequest struct {
	PIN   string `json:"pin"`
	Phone string `json:"phone"`
}

// RequestPasswordReset sends a code to the phone of the PIN's active
// account when phone is that account's number; it answers alike whether
// or not one was sent (a difference would tell who has an account, and
// their number). Throttled and audited as the other codes are; none is
// sent while the holder has locked the codes.
func (s *Service) RequestPasswordReset(ctx context.Context, in PasswordResetCodeRequest, remote string) error {
	var f problem.Fields
	if _, _, err := pin.Parse(in.PIN); err != nil {
		f.Add("pin", "%v", err)
	}
	phone := normalizePhone(in.Phone)
	if phone == "" {
		f.Add("phone", "must be a Vietnamese mobile number (10 digits starting 03, 05, 07, 08 or 09)")
	}
	if err := f.Err(); err != nil {
		return err
	}
	return s.requestCode(ctx, in.PIN, phone, remote, StateActive, purposeReset,
		"Populus: ma dat lai mat khau tai khoan dinh danh cua ban la %s (hieu luc %d phut). Khong cung cap ma nay cho bat ky ai.")
}

// PasswordReset is the code sent for a forgotten password and the new
// password.
type PasswordReset struct {
	PIN      string `json:"pin"`
	Code     string `json:"code"`
	Password string `json:"password"`
}

// ActionPasswordReset is the audit action of a password set with a code
// sent to the phone.
const ActionPasswordReset auth.Action = "identity.password.reset"

// ResetPassword sets a new password with the code RequestPasswordReset
// sent. Every session of the account ends and the relying parties' tokens
// are revoked (whoever knew the old password is out), as a change of
// password does; passkeys and the authenticator app stay. Codes are
// checked and throttled as an unlock's are, with its answers; the phone is
// told.
func (s *Service) ResetPassword(ctx context.Context, in PasswordReset, remote string) (Account, error) {
	var f problem.Fields
	checkPassword(&f, "password", in.Password, in.PIN)
	if err := f.Err(); err != nil {
		return Account{}, err
	}
	var hash, phone string
	a, err := s.useCodeThen(ctx, Confirmation{PIN: in.PIN, Code: in.Code}, remote, purposeReset, StateActive, ActionPasswordReset,
		func() (err error) {
			hash, err = hashPassword(in.Password, s.opts.Params)
			return err
		},
		func(tx *sql.Tx, a Account) (string, error) {
			phone = a.Phone
			// Anonymous: no session of the request's is kept.
			if err := s.replacePassword(ctx, tx, a, hash); err != nil {
				return "", err
			}
			return "password reset with a code sent to the phone; the account's sessions and the relying parties' tokens ended", nil
		})
	if err != nil {
		return Account{}, err
	}
	s.tell(ctx, phone, "mat khau vua duoc dat lai bang ma gui toi so nay cho")
	return a, nil
}

// RequestRecoveryCode sends a new code to the phone of an account being
// recovered (the phone the officer recorded at the counter, checked in
// person): a code spent by someone else's wrong guesses does not send its
// holder back to the counter. It answers alike for every PIN.
func (s *Service) RequestRecoveryCode(ctx context.Context, pinStr, remote string) error {
	return s.requestCode(ctx, pinStr, "", remote, StateRecovering, purposeRecover,
		"Populus: ma dat mat khau moi cho tai khoan dinh danh cua ban la %s (hieu luc %d phut). Khong cung cap ma nay cho bat ky ai.")
}

// requestCode sends a code for purpose to the phone of the PIN's account
// when it is in state (and its phone is phone, where one is given),
// answering alike otherwise; msg formats the code and its minutes.
func (s *Service) requestCode(ctx context.Context, pinStr, phone, remote string, state State, purpose, msg string) error {
	if _, _, err := pin.Parse(pinStr); err != nil {
		return problem.Field("pin", "%v", err)
	}
	addr := throttle.Address(remote)
	keys := []throttleKey{{keyAddress, addr}}
	if !s.knownAddress(ctx, pinStr, remote) {
		keys = append(keys, throttleKey{keyCodePIN, pinStr})
	}
	// Each request is recorded against the person, what became of it in
	// words that answer alike for every PIN (the entry is the person's to
	// see; the answer to the caller is the same either way).
	entry := audit.OfActor("anonymous", ActionCodeRequest, pinStr).With("one-time code asked for (" + purpose + ")")
	if err := s.reserve(ctx, keys); err != nil {
		var rl *RateLimitError
		if errors.As(err, &rl) {
			s.record(ctx, entry.Refused(rl.Reason), remote)
		}
		return err
	}
	var code string
	var a Account
	err := s.db.InTx(ctx, func(tx *sql.Tx) error {
		var err error
		if a, err = s.accountByPIN(ctx, tx, pinStr, true); err != nil || a.State != state || (phone != "" && normalizePhone(a.Phone) != phone) {
			return err
		}
		if locks, err := methodLocks(ctx, tx, a.ID); err != nil || locks[MethodCode] {
			return err // no code is sent: the holder locked them
		}
		// A code sent within the minute stays the one to enter: asking
		// again at once (someone else naming the PIN) does not put
		// another in its place under the holder's hands.
		var exp string
		err = tx.QueryRowContext(ctx, "SELECT expires_at FROM eid_codes WHERE account_id = $1 AND purpose = $2 AND attempts < $3",
			a.ID, purpose, maxCodeAttempts).Scan(&exp)
		if err == nil && exp > db.FormatTime(s.now().Add(s.opts.CodeTTL-codeResendAfter)) {
			return nil
		}
		code, _, err = s.storeCode(ctx, tx, a.ID, purpose, s.now())
		return err
	})
	s.record(ctx, entry, remote)
	if errors.Is(err, errNoAccount) || (err == nil && code == "") {
		return nil
	}
	if err != nil {
		return err
	}
	if err := s.notify.Send(ctx, Message{Channel: "sms", To: a.Phone, Body: fmt.Sprintf(msg, code, int(s.opts.CodeTTL/time.Minute))}); err != nil {
		slog.ErrorContext(ctx, "one-time code not sent", "purpose", purpose, "err", err)
		return problem.New(problem.Unavailable, "the code could not be sent; try again in a few minutes")
	}
	return nil
}

// UnlockRequest is the holder's unlock: the PIN, the code sent to the
// phone, and a new password, required when the holder locked the account
// on a sign-in that was not theirs (whoever signed in knows the password).
type UnlockRequest struct {
	PIN      string `json:"pin"`
	Code     string `json:"code"`
	Password string `json:"password,omitempty"`
}

// notMeLock is the reason of a lock on a login the holder reported as not
// theirs (Lock): its login's id follows.
const notMeLock = "locked by the holder: login %d reported as not theirs"

// Unlock makes a locked account active again with the code RequestUnlock
// sent, setting the new password when one is given. An account locked on a
// sign-in that was not the holder's needs a new password, and every other
// way in (passkeys, the authenticator app) is removed: whoever signed in
// may have added one, at any time, and which sign-in is reported is the
// reporter's to choose (cutting at its time let a thief keep an app added
// before a later sign-in they reported themselves); the holder adds theirs
// again. The phone is told.
func (s *Service) Unlock(ctx context.Context, in UnlockRequest, remote string) (Account, error) {
	var hash string
	if in.Password != "" {
		var f problem.Fields
		checkPassword(&f, "password", in.Password, in.PIN)
		if err := f.Err(); err != nil {
			return Account{}, err
		}
	}
	var phone string
	removed := false
	a, err := s.useCodeThen(ctx, Confirmation{PIN: in.PIN, Code: in.Code}, remote, purposeUnlock, StateLocked, ActionUnlock,
		func() (err error) {
			if in.Password != "" {
				hash, err = hashPassword(in.Password, s.opts.Params)
			}
			return err
		},
		func(tx *sql.Tx, a Account) (string, error) {
			phone = a.Phone
			var done []string
			if hash != "" {
				done = append(done, "password changed")
			}
			var login int64
			if _, err := fmt.Sscanf(a.StateReason, notMeLock, &login); err == nil {
				if hash == "" {
					return "", problem.Field("password", "is required: you reported a sign-in that was not yours, so whoever signed in knows the password; choose a new one")
				}
				var old string
				if err := tx.QueryRowContext(ctx, "SELECT password_hash FROM eid_accounts WHERE id = $1", a.ID).Scan(&old); err != nil {
					return "", err
				}
				if old != "" && staff.VerifyPassword(in.Password, old) {
					return "", problem.Field("password", "must differ from the password in use when the sign-in you reported happened")
				}
				ways, err := removeWays(ctx, tx, a.ID, login)
				if err != nil {
					return "", err
				}
				removed = len(ways) > 0
				done = append(done, ways...)
			}
			if hash != "" {
				if _, err := tx.ExecContext(ctx, "UPDATE eid_accounts SET password_hash = $2 WHERE id = $1", a.ID, hash); err != nil {
					return "", err
				}
			}
			return strings.Join(done, "; "), nil
		})
	if err != nil {
		return Account{}, err
	}
	switch {
	case removed:
		s.tell(ctx, phone, "mat khau vua duoc doi va moi khoa truy cap (passkey), ung dung xac thuc da bi xoa khi mo khoa; hay them lai")
	case hash != "":
		s.tell(ctx, phone, "mat khau vua duoc doi khi mo khoa")
	}
	return a, nil
}

// removeWays removes, in tx, the account's passkeys and authenticator app
// (enabled or being enrolled), after a report of login as not the
// holder's, and says what it removed.
func removeWays(ctx context.Context, tx *sql.Tx, accountID, login int64) ([]string, error) {
	var out []string
	res, err := tx.ExecContext(ctx, "DELETE FROM eid_passkeys WHERE account_id = $1", accountID)
	if err != nil {
		return nil, err
	}
	if n, _ := res.RowsAffected(); n > 0 {
		out = append(out, fmt.Sprintf("%d passkey(s) removed after login %d was reported", n, login))
	}
	if _, err := tx.ExecContext(ctx, "DELETE FROM eid_passkey_ceremonies WHERE account_id = $1", accountID); err != nil {
		return nil, err
	}
	if res, err = tx.ExecContext(ctx, "DELETE FROM eid_totp WHERE account_id = $1", accountID); err != nil {
		return nil, err
	}
	if n, _ := res.RowsAffected(); n > 0 {
		out = append(out, fmt.Sprintf("the authenticator app removed after login %d was reported", login))
	}
	return out, nil
}

// Level2Request is what the officer enters after checking the holder's
// chip card in person: the PIN and the card's number as read from the
// chip.
type Level2Request struct {
	PIN        string `json:"pin"`
	CardNumber string `json:"card_number"`
	// CardIssued is the date of issue printed on the card: its number is
	// the PIN, which anyone may know; the date is what the card shows.
	CardIssued civil.Date `json:"card_issued"`
}

// RaiseToLevel2 raises the account of a person within the officer's reach
// to level 2, the card checked in person agreeing with the register: the
// card's number, and a card not expired. The officer's read of the person
// is the register's (audited); the raise is audited as identity.level2.
func (s *Service) RaiseToLevel2(ctx context.Context, officer auth.Principal, in Level2Request) (Account, error) {
	var f problem.Fields
	in.CardNumber = strings.TrimSpace(in.CardNumber)
	checkCardFields(&f, in.PIN, in.CardNumber, in.CardIssued)
	if err := f.Err(); err != nil {
		return Account{}, err
	}
	now := s.now()
	if err := s.checkCard(ctx, officer, RaiseLevel, in.PIN, in.CardNumber, in.CardIssued, now); err != nil {
		return Account{}, err
	}
	var a Account
	err := s.db.InTx(ctx, func(tx *sql.Tx) error {
		var err error
		a, err = s.accountByPIN(ctx, tx, in.PIN, true)
		switch {
		case errors.Is(err, errNoAccount):
			return problem.New(problem.NotFound, "this person holds no electronic identity account: they register at level 1 first")
		case err != nil:
			return err
		case a.State != StateActive:
			return problem.New(problem.Conflict, "the account is %s: only an active account is raised", a.State)
		case a.Level >= Level2:
			return problem.New(problem.Conflict, "the account is already at level 2 (raised by %s)", strings.TrimPrefix(a.Level2By, "staff:"))
		}
		a.Level, a.Level2By, a.Level2At, a.UpdatedAt = Level2, officer.ActorID(), now, now
		_, err = tx.ExecContext(ctx, "UPDATE eid_accounts SET level = $2, level2_by = $3, level2_at = $4, updated_at = $4 WHERE id = $1",
			a.ID, Level2, a.Level2By, db.FormatTime(now))
		return err
	})
	if err != nil {
		return Account{}, err
	}
	// A raise that cannot be audited is still done; the loss is logged.
	s.record(ctx, audit.Of(officer, RaiseLevel, in.PIN).With("card "+in.CardNumber), "")
	return a, nil
}

// checkCardFields checks the form of a PIN, a card number read from the
// chip and the card's date of issue.
func checkCardFields(f *problem.Fields, pinStr, card string, issued civil.Date) {
	if _, _, err := pin.Parse(pinStr); err != nil {
		f.Add("pin", "%v", err)
	}
	if card == "" {
		f.Add("card_number", "is required: the number read from the chip card")
	}
	if !issued.Full() {
		f.Add("card_issued", "is required: the date of issue printed on the card (its number is the PIN, which others may know)")
	}
}

// checkCard decides the officer's act a on the person with pinStr, within
// reach, and checks the chip card shown in person against the register:
// a living person, the card recorded, the same number and date of issue,
// not expired. The officer's read of the person is the register's
// (audited); a card that differs is audited as a refusal of a. The checks
// are throttled per person and per officer, a card that matches given
// back: the date of issue is not found by trying day after day.
func (s *Service) checkCard(ctx context.Context, officer auth.Principal, a auth.Action, pinStr, card string, issued civil.Date, now time.Time) error {
	if err := s.guard.Role(ctx, officer, a, pinStr); err != nil {
		return err
	}
	counted := []throttleKey{{keyCardPIN, pinStr}, {keyCardOfficer, officer.ActorID()}}
	if err := s.reserve(ctx, counted); err != nil {
		var rl *RateLimitError
		if errors.As(err, &rl) {
			s.record(ctx, audit.Of(officer, a, pinStr).Refused(rl.Reason), "")
		}
		return err
	}
	if err := s.cardMatches(ctx, officer, a, pinStr, card, issued, now); err != nil {
		return err
	}
	s.refund(ctx, counted...)
	return nil
}

func (s *Service) cardMatches(ctx context.Context, officer auth.Principal, a auth.Action, pinStr, card string, issued civil.Date, now time.Time) error {
	p, err := s.reg.Get(ctx, officer, pinStr)
	if err != nil {
		return err
	}
	if err := s.guard.Check(ctx, officer, a, people.ResponsibleUnit(&p), pinStr); err != nil {
		return err
	}
	switch {
	case p.Status != people.Alive:
		return problem.Field("pin", "the person is recorded as deceased")
	case p.Card.Number == "":
		return problem.Field("card_number", "the register holds no chip card for this person: the card must be issued first")
	case p.Card.Number != card:
		s.record(ctx, audit.Of(officer, a, pinStr).Refused("card number differs from the register"), "")
		return problem.Field("card_number", "does not match the card recorded in the register")
	case p.Card.Issued != issued:
		s.record(ctx, audit.Of(officer, a, pinStr).Refused("card's date of issue differs from the register"), "")
		return problem.Field("card_issued", "does not match the card recorded in the register")
	case !p.Card.Expires.IsZero() && p.Card.Expires.CertainlyBefore(civil.InVietnam(now)):
		return problem.Field("card_number", "the card expired on %s: it must be renewed first", p.Card.Expires)
	}
	return nil
}

// RecoveryRequest is what the officer enters to give an account back to
// the holder of the chip card checked in person: the PIN, the card's
// number as read from the chip, and the mobile phone the holder gives.
type RecoveryRequest struct {
	PIN        string     `json:"pin"`
	CardNumber string     `json:"card_number"`
	CardIssued civil.Date `json:"card_issued"`
	Phone      string     `json:"phone"`
}

// Recover gives the account of a person within the officer's reach back to
// the holder of the chip card checked in person, whoever opened or used it
// (a level-1 account is opened on facts others may know; a phone may be
// lost): in one transaction the account's phone becomes the one the holder
// gives, its password, authenticator app, passkeys, method locks, sessions
// and codes are dropped, the relying parties' tokens for it revoked and
// the consents given to them forgotten (OnHandOver), and it is raised to
// level 2 (the card was checked in person). It is then recovering: a code
// goes to the new phone, with which the holder sets a new password
// (CompleteRecovery). Audited as identity.recover.
func (s *Service) Recover(ctx context.Context, officer auth.Principal, in RecoveryRequest) (Pending, error) {
	var f problem.Fields
	in.CardNumber = strings.TrimSpace(in.CardNumber)
	checkCardFields(&f, in.PIN, in.CardNumber, in.CardIssued)
	phone := normalizePhone(in.Phone)
	if phone == "" {
		f.Add("phone", "must be a Vietnamese mobile number (10 digits starting 03, 05, 07, 08 or 09)")
	}
	if err := f.Err(); err != nil {
		return Pending{}, err
	}
	now := s.now()
	if err := s.checkCard(ctx, officer, RecoverAccount, in.PIN, in.CardNumber, in.CardIssued, now); err != nil {
		return Pending{}, err
	}
	reason := "recovered at the counter by " + officer.ActorID()
	var code string
	var exp time.Time
	err := s.db.InTx(ctx, func(tx *sql.Tx) error {
		a, err := s.accountByPIN(ctx, tx, in.PIN, true)
		switch {
		case errors.Is(err, errNoAccount):
			return problem.New(problem.NotFound, "this person holds no electronic identity account: they register at level 1 first")
		case err != nil:
			return err
		case a.State == StateRevoked:
			return problem.New(problem.Conflict, "the account is revoked: it cannot be recovered")
		}
		if _, err := tx.ExecContext(ctx, `UPDATE eid_accounts SET state = $2, state_reason = $3, phone = $4, password_hash = '',
			level = $5, level2_by = $6, level2_at = $7, updated_at = $7 WHERE id = $1`,
			a.ID, string(StateRecovering), reason, phone, Level2, officer.ActorID(), db.FormatTime(now)); err != nil {
			return err
		}
		for _, q := range []string{
			"DELETE FROM eid_sessions WHERE account_id = $1",
			"DELETE FROM eid_totp WHERE account_id = $1",
			"DELETE FROM eid_passkeys WHERE account_id = $1",
			"DELETE FROM eid_passkey_ceremonies WHERE account_id = $1",
			"DELETE FROM eid_method_locks WHERE account_id = $1",
		} {
			if _, err := tx.ExecContext(ctx, q, a.ID); err != nil {
				return err
			}
		}
		if err := s.handOver(ctx, tx, HandOver{AccountID: a.ID, PIN: in.PIN, Why: HandOverRecovery}); err != nil {
			return err
		}
		if code, exp, err = s.storeCode(ctx, tx, a.ID, purposeRecover, now); err != nil {
			return err
		}
		return s.audit.RecordTx(ctx, tx, audit.Of(officer, RecoverAccount, in.PIN).
			With(fmt.Sprintf("card %s; phone %s; password, factors, sessions and relying parties' tokens ended", in.CardNumber, maskPhone(phone))))
	})
	if err != nil {
		return Pending{}, err
	}
	msg := fmt.Sprintf("Populus: tai khoan dinh danh dien tu cua ban da duoc khoi phuc. Ma dat mat khau moi la %s (hieu luc %d phut). Khong cung cap ma nay cho bat ky ai.", code, int(s.opts.CodeTTL/time.Minute))
	if err := s.notify.Send(ctx, Message{Channel: "sms", To: phone, Body: msg}); err != nil {
		// The account is recovered; the officer asks for the code again
		// (a second recovery replaces it).
		slog.ErrorContext(ctx, "one-time code not sent", "err", err)
		return Pending{}, problem.New(problem.Unavailable, "the account was recovered but the code could not be sent; recover it again in a few minutes")
	}
	return Pending{PIN: in.PIN, PhoneMasked: maskPhone(phone), CodeExpiresAt: exp}, nil
}

// RecoveryCompletion is the code sent at a recovery and the holder's new
// password.
type RecoveryCompletion struct {
	PIN      string `json:"pin"`
	Code     string `json:"code"`
	Password string `json:"password"`
}

// CompleteRecovery sets the new password of a recovering account with the
// code sent to its new phone, and makes it active. Codes are checked and
// throttled as a registration's confirmation is, and its errors are the
// same (one answer for an unknown PIN and no code pending).
func (s *Service) CompleteRecovery(ctx context.Context, in RecoveryCompletion, remote string) (Account, error) {
	var f problem.Fields
	checkPassword(&f, "password", in.Password, in.PIN)
	if err := f.Err(); err != nil {
		return Account{}, err
	}
	var hash string
	return s.useCodeThen(ctx, Confirmation{PIN: in.PIN, Code: in.Code}, remote, purposeRecover, StateRecovering, ActionRecovered,
		func() (err error) {
			hash, err = hashPassword(in.Password, s.opts.Params)
			return err
		},
		func(tx *sql.Tx, a Account) (string, error) {
			_, err := tx.ExecContext(ctx, "UPDATE eid_accounts SET password_hash = $2 WHERE id = $1", a.ID, hash)
			return "", err
		})
}

// revokeOnDeath is the register's death hook: inside the death's
// transaction the account is revoked, its sessions and codes dropped, and
// the revocation audited, all committed or undone with the death.
func (s *Service) revokeOnDeath(ctx context.Context, tx *sql.Tx, pinStr string) error {
	now := s.now()
	var id int64
	err := tx.QueryRowContext(ctx, "UPDATE eid_accounts SET state = $2, state_reason = $3, updated_at = $4 WHERE pin = $1 AND state <> $2 RETURNING id",
		pinStr, string(StateRevoked), "death registered", db.FormatTime(now)).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("revoke the account on death: %w", err)
	}
	if err := s.handOver(ctx, tx, HandOver{AccountID: id, PIN: pinStr, Why: HandOverDeath}); err != nil {
		return fmt.Errorf("revoke the account on death: %w", err)
	}
	for _, q := range []string{
		"DELETE FROM eid_sessions WHERE account_id IN (SELECT id FROM eid_accounts WHERE pin = $1)",
		"DELETE FROM eid_codes WHERE account_id IN (SELECT id FROM eid_accounts WHERE pin = $1)",
	} {
		if _, err := tx.ExecContext(ctx, q, pinStr); err != nil {
			return fmt.Errorf("revoke the account on death: %w", err)
		}
	}
	return s.audit.RecordTx(ctx, tx, audit.Of(matcher, ActionRevoke, pinStr).With("death registered"))
}
