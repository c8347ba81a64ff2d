package identity

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"math/big"
	"strings"
	"time"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"

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

// Application is a citizen's request for a level-1 account.
type Application struct {
	PIN       string     `json:"pin"`
	FullName  string     `json:"full_name"`
	BirthDate civil.Date `json:"birth_date"`
	// Phone receives the one-time code: the register holds no phone
	// numbers, so it is proven by possession, not matched.
	Phone    string `json:"phone"`
	Password string `json:"password"`
}

// Pending is the answer to an application that matched: a code was sent.
type Pending struct {
	PIN string `json:"pin"`
	// PhoneMasked is the phone the code went to, all but its last three
	// digits hidden.
	PhoneMasked   string    `json:"phone_masked"`
	CodeExpiresAt time.Time `json:"code_expires_at"`
}

// Confirmation is the one-time code that activates a pending account.
type Confirmation struct {
	PIN  string `json:"pin"`
	Code string `json:"code"`
}

// errNoMatch is the one answer to an application whose details do not
// match a living person of the register, whether the PIN is unknown, the
// name or date of birth differ, or the person died: it says nothing of
// which.
func errNoMatch() error {
	return problem.New(problem.Invalid, "these details do not match a living person in the population register; check the PIN, the full name and the date of birth as written on the identity card")
}

func rateLimited(detail string) error {
	return &problem.Error{Kind: problem.RateLimited, Detail: detail}
}

// Codes.
const (
	codeDigits      = 6
	maxCodeAttempts = 5
	// codeResendAfter is how long a code sent stays the one to enter
	// however often another is asked for (requestCode).
	codeResendAfter = time.Minute
	purposeRegister = "register"
	purposeUnlock   = "unlock"
	purposeRecover  = "recover"
	purposeReset    = "reset"
)

// normalizePhone returns a Vietnamese mobile number as +84 and nine
// digits, from 0xxxxxxxxx, 84xxxxxxxxx or +84xxxxxxxxx with spaces, dots
// or dashes; "" if it is not one.
func normalizePhone(s string) string {
	var b strings.Builder
	for _, r := range s {
		switch {
		case r >= '0' && r <= '9':
			b.WriteRune(r)
		case r == ' ' || r == '.' || r == '-' || (r == '+' && b.Len() == 0):
		default:
			return ""
		}
	}
	d := b.String()
	switch {
	case strings.HasPrefix(d, "84") && len(d) == 11:
		d = d[2:]
	case strings.HasPrefix(d, "0") && len(d) == 10:
		d = d[1:]
	default:
		return ""
	}
	if !strings.ContainsRune("35789", rune(d[0])) {
		return ""
	}
	return "+84" + d
}

// maskPhone hides all but the last three digits.
func maskPhone(p string) string {
	if len(p) < 6 {
		return "***"
	}
	return p[:3] + strings.Repeat("*", len(p)-6) + p[len(p)-3:]
}

// sameName compares names as written: Unicode-normalised, case and runs of
// space ignored, diacritics kept ("Nguyễn" is not "Nguyên").
func sameName(a, b string) bool {
	f := func(s string) string { return strings.Join(strings.Fields(norm.NFC.String(s)), " ") }
	return strings.EqualFold(f(a), f(b))
}

// checkPassword checks a new password of the account of pinStr, named
// field in the request.
func checkPassword(f *problem.Fields, field, pw, pinStr string) {
	if n := utf8.RuneCountInString(pw); n < staff.MinPasswordLen || len(pw) > staff.MaxPasswordLen {
		f.Add(field, "must be %d to %d characters long", staff.MinPasswordLen, staff.MaxPasswordLen)
		return
	}
	switch staff.PasswordWeakness(pw, pinStr) {
	case staff.Blank:
		f.Add(field, "must not be spaces only")
	case staff.Repeated:
		f.Add(field, "is a character or a short group repeated: choose a phrase of several words")
	case staff.Sequence:
		f.Add(field, "is a run of consecutive characters or a keyboard row: choose a phrase of several words")
	case staff.Personal:
		f.Add(field, "must not hold your personal identification number")
	case staff.Common:
		f.Add(field, "is among the passwords chosen most often: choose a phrase of several words")
	}
}

func (in *Application) check() (phone string, err error) {
	var f problem.Fields
	if _, _, err := pin.Parse(in.PIN); err != nil {
		f.Add("pin", "%v", err)
	}
	if n := utf8.RuneCountInString(strings.TrimSpace(in.FullName)); n == 0 || n > 100 {
		f.Add("full_name", "is required, at most 100 characters")
	}
	if in.BirthDate.IsZero() {
		f.Add("birth_date", "is required")
	}
	if phone = normalizePhone(in.Phone); phone == "" {
		f.Add("phone", "must be a Vietnamese mobile number (10 digits starting 03, 05, 07, 08 or 09)")
	}
	checkPassword(&f, "password", in.Password, in.PIN)
	return phone, f.Err()
}

// newCode returns a random one-time code of codeDigits digits.
func newCode() (string, error) {
	n, err := rand.Int(rand.Reader, big.NewInt(1_000_000))
	if err != nil {
		return "", err
	}
	return fmt.Sprintf("%0*d", codeDigits, n.Int64()), nil
}

// codeHash is what is stored of a code: bound to the account and purpose.
func codeHash(accountID int64, purpose, code string) string {
	sum := sha256.Sum256(fmt.Appendf(nil, "%d:%s:%s", accountID, purpose, code))
	return hex.EncodeToString(sum[:])
}

// storeCode replaces the account's pending code with a new one, in tx.
func (s *Service) storeCode(ctx context.Context, tx *sql.Tx, accountID int64, purpose string, now time.Time) (string, time.Time, error) {
	code, err := newCode()
	if err != nil {
		return "", time.Time{}, err
	}
	exp := now.Add(s.opts.CodeTTL)
	if _, err := tx.ExecContext(ctx, "DELETE FROM eid_codes WHERE account_id = $1", accountID); err != nil {
		return "", time.Time{}, err
	}
	_, err = tx.ExecContext(ctx, "INSERT INTO eid_codes (account_id, purpose, code_hash, attempts, expires_at) VALUES ($1, $2, $3, 0, $4)",
		accountID, purpose, codeHash(accountID, purpose, code), db.FormatTime(exp))
	return code, exp, err
}

// Register applies for a level-1 account from remote: the details are
// matched against the register (read as system:identity through the
// register's guarded API, so the read is audited against the person); on
// a match a pending account is kept and a one-time code sent to the phone.
// A new application for a person whose account is still pending replaces
// it (whoever proves the phone first activates it).
//
// Its errors: field errors; the one no-match answer (errNoMatch), alike for
// an unknown PIN, other details, or a deceased person; Conflict when the
// person already holds an active or locked account; *RateLimitError.
func (s *Service) Register(ctx context.Context, in Application, remote string) (Pending, error) {
	phone, err := in.check()
	if err != nil {
		return Pending{}, err
	}
	if err := s.reserve(ctx, []throttleKey{{keyRegister, throttle.Address(remote)}, {keyRegisterPIN, in.PIN}}); err != nil {
		var rl *RateLimitError
		if errors.As(err, &rl) {
			s.record(ctx, audit.OfActor("anonymous", ActionRegister, in.PIN).Refused(rl.Reason), remote)
		}
		return Pending{}, err
	}
	entry := audit.OfActor("anonymous", ActionRegister, in.PIN)
	p, err := s.reg.Get(ctx, matcher, in.PIN)
	if problem.Is(err, problem.NotFound) {
		s.record(ctx, entry.Failing("no such PIN"), remote)
		return Pending{}, errNoMatch()
	}
	if err != nil {
		return Pending{}, err
	}
	if why := mismatch(&p, &in); why != "" {
		s.record(ctx, entry.Failing(why), remote)
		return Pending{}, errNoMatch()
	}
	hash, err := hashPassword(in.Password, s.opts.Params)
	if err != nil {
		return Pending{}, err
	}
	now := s.now()
	var code, replaced string // replaced: the phone of the application this one replaces
	var exp time.Time
	err = s.db.InTx(ctx, func(tx *sql.Tx) error {
		replaced = ""
		a, err := s.accountByPIN(ctx, tx, in.PIN, true)
		switch {
		case errors.Is(err, errNoAccount):
			err = tx.QueryRowContext(ctx, `INSERT INTO eid_accounts (pin, state, level, phone, password_hash, created_at, updated_at)
				VALUES ($1, $2, $3, $4, $5, $6, $6) RETURNING id`, in.PIN, string(StatePending), Level1, phone, hash, db.FormatTime(now)).Scan(&a.ID)
			if db.IsUniqueViolation(err) {
				return problem.New(problem.Conflict, "another application for this person arrived at the same time; try again")
			}
		case err != nil:
			return err
		case a.State == StateRevoked:
			return errNoMatch()
		case a.State != StatePending:
			return problem.New(problem.Conflict, "this person already holds an electronic identity account: sign in, or unlock it if it is locked")
		default:
			if a.Phone != phone {
				replaced = a.Phone
			}
			_, err = tx.ExecContext(ctx, "UPDATE eid_accounts SET phone = $2, password_hash = $3, updated_at = $4 WHERE id = $1",
				a.ID, phone, hash, db.FormatTime(now))
		}
		if err != nil {
			return err
		}
		code, exp, err = s.storeCode(ctx, tx, a.ID, purposeRegister, now)
		return err
	})
	if err != nil {
		if k := problem.KindOf(err); k == problem.Conflict || k == problem.Invalid {
			s.record(ctx, entry.Failing(err.Error()), remote)
		}
		return Pending{}, err
	}
	if replaced != "" {
		// Whoever applied first hears that another application, with
		// another phone, took the place of theirs.
		msg := "Populus: mot dang ky tai khoan dinh danh dien tu khac cho so dinh danh cua ban, voi so dien thoai khac, vua thay the dang ky cua ban. Neu khong phai ban, hay den co quan cong an de duoc cap lai tai khoan."
		if err := s.notify.Send(ctx, Message{Channel: "sms", To: replaced, Body: msg}); err != nil {
			slog.WarnContext(ctx, "replaced application's notice not sent", "err", err)
		}
	}
	msg := fmt.Sprintf("Populus: ma xac thuc tai khoan dinh danh dien tu cua ban la %s (hieu luc %d phut). Khong cung cap ma nay cho bat ky ai.", code, int(s.opts.CodeTTL/time.Minute))
	if err := s.notify.Send(ctx, Message{Channel: "sms", To: phone, Body: msg}); err != nil {
		slog.ErrorContext(ctx, "one-time code not sent", "err", err)
		s.record(ctx, entry.Failing("code not sent"), remote)
		return Pending{}, problem.New(problem.Unavailable, "the code could not be sent; try again in a few minutes")
	}
	s.record(ctx, entry.With("code sent to "+maskPhone(phone)), remote)
	return Pending{PIN: in.PIN, PhoneMasked: maskPhone(phone), CodeExpiresAt: exp}, nil
}

// mismatch says which detail differs (for the audit log only), "" if none.
func mismatch(p *people.Person, in *Application) string {
	switch {
	case p.Status != people.Alive:
		return "person not alive"
	case !sameName(p.FullName, in.FullName):
		return "full name differs"
	case p.BirthDate != in.BirthDate:
		return "date of birth differs"
	}
	return ""
}

// Confirm activates a pending account with the code sent to its phone.
// Wrong codes count (5 per code, then it is spent), and attempts are
// throttled as sign-ins are. Its errors are field errors on "code", alike
// for an unknown PIN and an account with no code pending.
func (s *Service) Confirm(ctx context.Context, in Confirmation, remote string) (Account, error) {
	return s.useCode(ctx, in, remote, purposeRegister, StatePending, ActionConfirm)
}

// useCode checks in's code for purpose against the account of in.PIN,
// which must be in state from, and makes the account active.
func (s *Service) useCode(ctx context.Context, in Confirmation, remote, purpose string, from State, action auth.Action) (Account, error) {
	return s.useCodeThen(ctx, in, remote, purpose, from, action, nil, nil)
}

// useCodeThen is useCode that also does then in the transaction that
// spends the right code: what then says it did is the audit entry's
// detail, and its refusal undoes the spending (the code stays valid).
func (s *Service) useCodeThen(ctx context.Context, in Confirmation, remote, purpose string, from State, action auth.Action, prepare func() error, then func(*sql.Tx, Account) (string, error)) (Account, error) {
	var f problem.Fields
	if _, _, err := pin.Parse(in.PIN); err != nil {
		f.Add("pin", "%v", err)
	}
	if len(in.Code) != codeDigits {
		f.Add("code", "must be the %d digits sent to your phone", codeDigits)
	}
	if err := f.Err(); err != nil {
		return Account{}, err
	}
	addr := throttle.Address(remote)
	// Counted as a sign-in is: the PIN from anywhere not from an address
	// the account signed in from lately, so that whoever names the PIN
	// cannot keep its holder from entering the code sent to them.
	counted := []throttleKey{{keyPINAddress, in.PIN + "@" + addr}, {keyAddress, addr}}
	if !s.knownAddress(ctx, in.PIN, remote) {
		counted = append(counted, throttleKey{keyPIN, in.PIN})
	}
	entry := audit.OfActor("anonymous", action, in.PIN)
	if err := s.reserve(ctx, counted); err != nil {
		var rl *RateLimitError
		if errors.As(err, &rl) {
			s.record(ctx, entry.Refused(rl.Reason), remote)
		}
		return Account{}, err
	}
	// Work that costs (a new password's hash) only for attempts the
	// throttle lets through.
	if prepare != nil {
		if err := prepare(); err != nil {
			return Account{}, err
		}
	}
	// One answer for a wrong code and for none pending: a difference
	// would tell anyone who knows a PIN that its account is waiting for a
	// code (a registration, an unlock, a recovery at the counter).
	noCode := problem.Field("code", "is not a valid code for this PIN: wrong, expired or used up; ask for a new one if it is no longer valid")
	now := s.now()
	var a Account
	var detail string
	wrong := false
	err := s.db.InTx(ctx, func(tx *sql.Tx) error {
		var err error
		if a, err = s.accountByPIN(ctx, tx, in.PIN, true); errors.Is(err, errNoAccount) || (err == nil && a.State != from) {
			return noCode
		} else if err != nil {
			return err
		}
		if purpose == purposeUnlock || purpose == purposeReset {
			if locks, err := methodLocks(ctx, tx, a.ID); err != nil {
				return err
			} else if locks[MethodCode] {
				return errLocked(MethodCode)
			}
		}
		var p, hash, exp string
		var attempts int
		err = tx.QueryRowContext(ctx, "SELECT purpose, code_hash, attempts, expires_at FROM eid_codes WHERE account_id = $1", a.ID).Scan(&p, &hash, &attempts, &exp)
		if errors.Is(err, sql.ErrNoRows) || (err == nil && (p != purpose || exp <= db.FormatTime(now) || attempts >= maxCodeAttempts)) {
			return noCode
		}
		if err != nil {
			return err
		}
		if subtle.ConstantTimeCompare([]byte(hash), []byte(codeHash(a.ID, purpose, in.Code))) != 1 {
			wrong = true
			_, err := tx.ExecContext(ctx, "UPDATE eid_codes SET attempts = attempts + 1 WHERE account_id = $1", a.ID)
			return err
		}
		if _, err := tx.ExecContext(ctx, "DELETE FROM eid_codes WHERE account_id = $1", a.ID); err != nil {
			return err
		}
		if then != nil {
			var err error
			if detail, err = then(tx, a); err != nil {
				return err
			}
		}
		a.State, a.StateReason, a.UpdatedAt = StateActive, "", now
		return setState(ctx, tx, a.ID, StateActive, "", now)
	})
	if wrong {
		s.record(ctx, entry.Failing("wrong code"), remote)
		return Account{}, noCode
	}
	if err != nil {
		if err == noCode {
			s.record(ctx, entry.Failing("no code pending"), remote)
		} else if problem.Is(err, problem.Invalid) {
			s.record(ctx, entry.Failing("right code, refused: "+err.Error()), remote)
		}
		return Account{}, err
	}
	s.record(ctx, audit.OfActor(auth.ActorID(auth.KindCitizen, a.PIN), action, a.PIN).With(detail), remote)
	s.refund(ctx, counted...)
	return a, nil
}

// record writes an audit entry from remote; a lost entry is logged.
func (s *Service) record(ctx context.Context, e audit.Entry, remote string) {
	e.Remote = remote
	if err := s.audit.Record(ctx, e); err != nil {
		slog.ErrorContext(ctx, "identity audit entry lost", "action", e.Action, "err", err)
	}
}
