package identity

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"time"

	"github.com/populus-vn/populus/internal/audit"
	"github.com/populus-vn/populus/internal/auth"
	"github.com/populus-vn/populus/internal/civil"
	"github.com/populus-vn/populus/internal/db"
	"github.com/populus-vn/populus/internal/pin"
	"github.com/populus-vn/populus/internal/problem"
	"github.com/populus-vn/populus/internal/staff"
	"github.com/populus-vn/populus/internal/throttle"
)

// Attempt is a citizen's sign-in attempt.
type Attempt struct {
	PIN, Password string
	// TOTP is the code of the holder's authenticator app, required once
	// one is enabled.
	TOTP     string
	Remote   string // the client's address
	Device   string // the client's description (its User-Agent), for the history
	Replaces string // the token of the client's current session, ended first
}

// Session is a signed-in citizen's session; the token naming it lives
// only in the browser's cookie, the store holds its SHA-256.
type Session struct {
	Account   Account
	CSRF      string
	CreatedAt time.Time
	ExpiresAt time.Time
	// AMR are the methods the holder signed in with (RFC 8176): "pwd",
	// with "otp" and "mfa" when the authenticator app's code was given.
	AMR       []string
	tokenHash string
}

// Login outcomes in the history.
const (
	LoginOK      = "ok"
	LoginFailed  = "failed"
	LoginRefused = "refused"
)

// errBadCredentials is the one answer to an unknown PIN and a wrong
// password.
func errBadCredentials() error {
	return problem.New(problem.Unauthorized, "wrong PIN or password")
}

// maxDevice bounds the stored description of a device.
const maxDevice = 200

// Login checks the credentials and starts a session, returning it with
// its token (for the cookie). Throttled per PIN and address before the
// password is checked; every attempt at an existing account is kept in its
// login history; a sign-in from a device never seen before on the account
// alerts the holder. The password hash is upgraded to the current
// parameters on success.
//
// Its errors: *RateLimitError; Unauthorized for an unknown PIN or a wrong
// password (alike); Forbidden, once the password is right, for a pending,
// locked or revoked account, saying which.
func (s *Service) Login(ctx context.Context, in Attempt) (Session, string, error) {
	addr := throttle.Address(in.Remote)
	in.Device = truncate(in.Device, maxDevice)
	keys := []throttleKey{{keyAddress, addr}}
	validPIN := false
	var counted []throttleKey // the keys a success takes its attempt back from
	if _, _, err := pin.Parse(in.PIN); err == nil {
		validPIN = true
		keys = append(keys, throttleKey{keyPINAddress, in.PIN + "@" + addr})
		// The account from anywhere is not counted from an address it
		// signed in from lately: whoever names the account cannot keep
		// its holder out from where they usually are.
		if !s.knownAddress(ctx, in.PIN, in.Remote) {
			keys = append(keys, throttleKey{keyPIN, in.PIN})
			counted = append(counted, throttleKey{keyPIN, in.PIN})
		}
	}
	entry := audit.OfActor(auth.ActorID(auth.KindCitizen, in.PIN), ActionSignIn, in.PIN)
	if err := s.reserve(ctx, keys); err != nil {
		var rl *RateLimitError
		if errors.As(err, &rl) {
			s.record(ctx, entry.Refused(rl.Reason), in.Remote)
		}
		return Session{}, "", err
	}
	var a Account
	var hash string
	err := errNoAccount
	if validPIN {
		a, err = scanAccount(s.db.QueryRowContext(ctx, "SELECT "+accountColumns+", password_hash FROM eid_accounts WHERE pin = $1", in.PIN), &hash)
	}
	if errors.Is(err, errNoAccount) {
		staff.VerifyPassword(in.Password, s.dummy) // as long as for a known PIN
		s.record(ctx, entry.Failing("no such account"), in.Remote)
		return Session{}, "", errBadCredentials()
	}
	if err != nil {
		return Session{}, "", err
	}
	now := s.now()
	if !staff.VerifyPassword(in.Password, hash) {
		s.history(ctx, a.ID, now, in, LoginFailed, "wrong password")
		s.record(ctx, entry.Failing("wrong password"), in.Remote)
		return Session{}, "", errBadCredentials()
	}
	if a.State != StateActive {
		s.history(ctx, a.ID, now, in, LoginRefused, "account "+string(a.State))
		s.record(ctx, entry.Refused("account "+string(a.State)), in.Remote)
		return Session{}, "", stateRefusal(a.State)
	}
	if err := s.refuseLocked(ctx, a, MethodPassword, in, now, entry); err != nil {
		return Session{}, "", err
	}
	amr := []string{"pwd"}
	if otp, err := s.secondFactor(ctx, a, in, now, entry); err != nil {
		return Session{}, "", err
	} else if otp {
		amr = append(amr, "otp", "mfa")
	}
	if needsRehash(hash, s.opts.Params) {
		if nh, err := staff.HashPassword(in.Password, s.opts.Params); err == nil {
			if _, err := s.db.ExecContext(ctx, "UPDATE eid_accounts SET password_hash = $2 WHERE id = $1", a.ID, nh); err != nil {
				slog.WarnContext(ctx, "password hash not upgraded", "err", err)
			}
		}
	}
	sess, token, err := s.begin(ctx, a, in, now, amr, entry, keyPINAddress, in.PIN+"@"+addr)
	if err == nil {
		s.refund(ctx, append(counted, throttleKey{keyAddress, addr})...)
	}
	return sess, token, err
}

// begin starts the session of a sign-in whose methods (amr) were all
// checked: the session replaces the client's former one, is audited (or
// does not start), entered in the login history, clears the throttle key
// of the attempt, and alerts the holder when the device was never seen
// before on the account.
func (s *Service) begin(ctx context.Context, a Account, in Attempt, now time.Time, amr []string, entry audit.Entry, clearKind, clearName string) (Session, string, error) {
	if in.Replaces != "" {
		s.deleteSession(ctx, hashToken(in.Replaces))
	}
	known, err := s.knownDevice(ctx, a.ID, in.Device)
	if err != nil {
		return Session{}, "", err
	}
	token, sess, err := s.createSession(ctx, a, now, amr)
	if err != nil {
		return Session{}, "", err
	}
	// A sign-in that cannot be audited does not happen.
	e := entry
	e.Remote = in.Remote
	if !slices.Equal(amr, []string{"pwd"}) {
		e = e.With("amr " + strings.Join(amr, " "))
	}
	if err := s.audit.Record(ctx, e); err != nil {
		s.deleteSession(ctx, sess.tokenHash)
		return Session{}, "", fmt.Errorf("audit sign-in: %w", err)
	}
	place := s.history(ctx, a.ID, now, in, LoginOK, strings.Join(amr, " "))
	if clearName != "" {
		if err := s.clearKey(ctx, throttleKey{clearKind, clearName}); err != nil {
			slog.WarnContext(ctx, "sign-in throttle not cleared", "err", err)
		}
	}
	if !known {
		msg := fmt.Sprintf("Populus: tai khoan dinh danh cua ban vua dang nhap tren thiet bi moi (%s) tai %s luc %s. Neu khong phai ban, hay khoa tai khoan ngay.",
			truncate(plain(DeviceName(in.Device)), 40), truncate(plain(place.String()), 60), now.In(civil.Vietnam).Format("15:04 02/01/2006"))
		if err := s.notify.Send(ctx, Message{Channel: "sms", To: a.Phone, Body: msg}); err != nil {
			slog.WarnContext(ctx, "new-device alert not sent", "err", err)
		}
	}
	return sess, token, nil
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8RuneStart(s[n]) {
		n--
	}
	return s[:n]
}

func utf8RuneStart(b byte) bool { return b&0xC0 != 0x80 }

// secondFactor requires the code of the holder's authenticator app when
// one is enabled: missing or wrong, the attempt fails (and was counted by
// the throttle); a code is used once. It reports whether a code was
// checked.
func (s *Service) secondFactor(ctx context.Context, a Account, in Attempt, now time.Time, entry audit.Entry) (bool, error) {
	var enabled int
	if err := s.db.QueryRowContext(ctx, "SELECT count(*) FROM eid_totp WHERE account_id = $1 AND enabled = 1", a.ID).Scan(&enabled); err != nil {
		return false, err
	}
	if enabled > 0 {
		// Before the code is checked, so that a refused code stays unspent.
		if err := s.refuseLocked(ctx, a, MethodTOTP, in, now, entry); err != nil {
			return false, err
		}
	}
	var ok bool
	var step int64
	err := s.db.InTx(ctx, func(tx *sql.Tx) error {
		var err error
		if ok, step, err = s.checkTOTP(ctx, tx, a.ID, in.TOTP, true); err != nil || !ok {
			return err
		}
		_, err = tx.ExecContext(ctx, "UPDATE eid_totp SET last_step = $2 WHERE account_id = $1 AND last_step < $2", a.ID, step)
		return err
	})
	if errors.Is(err, errNoTOTP) {
		return false, nil
	}
	if err != nil {
		return false, err
	}

	if !ok {
		why := whyWrongCode
		if in.TOTP == "" {
			why = whyNoCode
		}
		s.history(ctx, a.ID, now, in, LoginFailed, why)
		s.record(ctx, entry.Failing(why), in.Remote)
		return false, problem.New(problem.Unauthorized, "enter the current 6-digit code of your authenticator app")
	}
	return true, nil
}

// The details of a sign-in refused for its authenticator code, the
// password being right (Login.CodeRefused).
const (
	whyWrongCode = "wrong authenticator code"
	whyNoCode    = "authenticator code missing"
)

// CodeRefused reports whether the sign-in was refused for its
// authenticator code, the password being right: not a stranger's guess,
// but someone who knows the password.
func (l Login) CodeRefused() bool {
	return l.Outcome == LoginFailed && (l.Detail == whyWrongCode || l.Detail == whyNoCode)
}

// needsRehash reports whether the PHC string hash was made with other
// parameters than p (HashPassword writes them at its start).
func needsRehash(hash string, p staff.Params) bool {
	return !strings.HasPrefix(hash, fmt.Sprintf("$argon2id$v=19$m=%d,t=%d,p=%d$", p.Memory, p.Time, p.Threads))
}

// history adds an attempt to an account's login history, with the place
// of its address as the operator's table says now (kept, so that the
// history shows what was known then), and returns that place; a lost entry
// is logged (the audit log holds the attempt too).
func (s *Service) history(ctx context.Context, accountID int64, at time.Time, in Attempt, outcome, detail string) Place {
	place, err := s.places.Lookup(ctx, in.Remote)
	if err != nil {
		slog.WarnContext(ctx, "table of places not read", "err", err)
	}
	if _, err := s.db.ExecContext(ctx, `INSERT INTO eid_logins (account_id, at, remote, device, outcome, detail, place_kind, place_province, place_name, place_network)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
		accountID, db.FormatTime(at), in.Remote, in.Device, outcome, detail, place.Kind, place.Province, place.Name, place.Network); err != nil {
		slog.ErrorContext(ctx, "login history entry lost", "err", err)
	}
	return place
}

// stateRefusal is the sign-in's answer for an account that is not active,
// told only to whoever gave its password.
func stateRefusal(st State) error {
	switch st {
	case StatePending:
		return problem.New(problem.Forbidden, "the account is not yet confirmed: enter the code sent to your phone")
	case StateLocked:
		return problem.New(problem.Forbidden, "the account is locked; unlock it with a code sent to your phone (page /eid/unlock)")
	case StateRecovering:
		return problem.New(problem.Forbidden, "the account was recovered at the counter: set a new password with the code sent to your phone (page /eid/recover)")
	}
	return problem.New(problem.Forbidden, "the account is revoked")
}

// knownFor is how long a successful sign-in makes its address known.
const knownFor = 30 * 24 * time.Hour

// reportedNotMe is the detail of a login the holder reported as not
// theirs (Lock).
const reportedNotMe = "reported by the holder: this was not me"

// knownAddress reports whether the account of pinStr signed in
// successfully from remote within knownFor, among its latest knownScan
// entries of the login history (a bounded read per attempt, however long
// the history), and since the holder was last checked in person (raised
// to level 2, or given the account back at a recovery: the sign-ins
// before then may have been someone else's); never an address of a login
// the holder reported as not theirs.
func (s *Service) knownAddress(ctx context.Context, pinStr, remote string) bool {
	var one int
	err := s.db.QueryRowContext(ctx, `SELECT 1 FROM (SELECT outcome, remote, at FROM eid_logins
		WHERE account_id = (SELECT id FROM eid_accounts WHERE pin = $1) ORDER BY id DESC LIMIT $5) recent
		WHERE outcome = $2 AND remote = $3 AND at > $4 AND at > (SELECT level2_at FROM eid_accounts WHERE pin = $1)
		AND NOT EXISTS (SELECT 1 FROM eid_logins r WHERE r.account_id = (SELECT id FROM eid_accounts WHERE pin = $1) AND r.remote = $3 AND r.detail = $6)
		LIMIT 1`,
		pinStr, LoginOK, remote, db.FormatTime(s.now().Add(-knownFor)), knownScan, reportedNotMe).Scan(&one)
	return err == nil
}

// knownScan bounds the sign-ins knownAddress reads.
const knownScan = 500

// knownDevice reports whether the account signed in from device before.
func (s *Service) knownDevice(ctx context.Context, accountID int64, device string) (bool, error) {
	var n int
	err := s.db.QueryRowContext(ctx, "SELECT count(*) FROM eid_logins WHERE account_id = $1 AND device = $2 AND outcome = $3",
		accountID, device, LoginOK).Scan(&n)
	return n > 0, err
}

// Login is one entry of an account's login history.
type Login struct {
	ID      int64     `json:"id"`
	At      time.Time `json:"at"`
	Remote  string    `json:"remote"`
	Device  string    `json:"device"`
	Outcome string    `json:"outcome"`
	Detail  string    `json:"detail,omitempty"`
	// Place is where the address was placed at the time (kind "" for
	// entries older than the table of places).
	Place Place `json:"place"`
}

// Logins returns the holder's login history, newest first, at most limit
// (1–100) entries older than the entry before (0: the newest).
func (s *Service) Logins(ctx context.Context, p auth.Principal, before int64, limit int) ([]Login, error) {
	if err := own(p); err != nil {
		return nil, err
	}
	if before <= 0 {
		before = 1<<63 - 1
	}
	rows, err := s.db.QueryContext(ctx, `SELECT id, at, remote, device, outcome, detail, place_kind, place_province, place_name, place_network
		FROM eid_logins WHERE account_id = $1 AND id < $2 ORDER BY id DESC LIMIT $3`,
		p.ID, before, min(max(limit, 1), 100))
	return db.Collect(rows, err, func(sc db.Scanner) (Login, error) {
		var l Login
		err := sc.Scan(&l.ID, db.Time{T: &l.At}, &l.Remote, &l.Device, &l.Outcome, &l.Detail, &l.Place.Kind, &l.Place.Province, &l.Place.Name, &l.Place.Network)
		return l, err
	})
}

// own refuses a principal that is not a signed-in citizen.
func own(p auth.Principal) error {
	if p.Kind != auth.KindCitizen || p.ID == 0 {
		return problem.New(problem.Forbidden, "only the account's holder may do this")
	}
	return nil
}

func randomToken() (string, error) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}

func hashToken(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}

func (s *Service) createSession(ctx context.Context, a Account, now time.Time, amr []string) (string, Session, error) {
	token, err := randomToken()
	if err != nil {
		return "", Session{}, err
	}
	csrf, err := randomToken()
	if err != nil {
		return "", Session{}, err
	}
	sess := Session{Account: a, CSRF: csrf, CreatedAt: now, ExpiresAt: now.Add(min(s.opts.SessionTTL, s.opts.IdleTimeout)), AMR: amr, tokenHash: hashToken(token)}
	err = s.db.InTx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, "DELETE FROM eid_sessions WHERE account_id = $1 AND expires_at <= $2", a.ID, db.FormatTime(now)); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, "INSERT INTO eid_sessions (token_hash, account_id, csrf_token, created_at, expires_at, amr) VALUES ($1, $2, $3, $4, $5, $6)",
			sess.tokenHash, a.ID, csrf, db.FormatTime(now), db.FormatTime(sess.ExpiresAt), strings.Join(amr, " "))
		return err
	})
	if err != nil {
		return "", Session{}, fmt.Errorf("create session: %w", err)
	}
	return token, sess, nil
}

var errNoSession = errors.New("identity: no such session")

// sessionByToken returns the live session of token, ending it if expired
// or if its account is no longer active, and sliding its idle expiry.
func (s *Service) sessionByToken(ctx context.Context, token string) (Session, error) {
	hash := hashToken(token)
	var sess Session
	st, err := s.db.Prepared(ctx, "SELECT a."+strings.ReplaceAll(accountColumns, ", ", ", a.")+`, x.csrf_token, x.created_at, x.expires_at, x.amr
		FROM eid_sessions x JOIN eid_accounts a ON a.id = x.account_id WHERE x.token_hash = $1`)
	if err != nil {
		return Session{}, err
	}
	var amr string
	sess.Account, err = scanAccount(st.QueryRowContext(ctx, hash), &sess.CSRF, db.Time{T: &sess.CreatedAt}, db.Time{T: &sess.ExpiresAt}, &amr)
	if errors.Is(err, errNoAccount) {
		return Session{}, errNoSession
	}
	if err != nil {
		return Session{}, err
	}
	sess.tokenHash, sess.AMR = hash, strings.Fields(amr)
	now := s.now()
	if !now.Before(sess.ExpiresAt) || sess.Account.State != StateActive {
		s.deleteSession(ctx, hash)
		return Session{}, errNoSession
	}
	next := earlier(now.Add(s.opts.IdleTimeout), sess.CreatedAt.Add(s.opts.SessionTTL))
	if next.Sub(sess.ExpiresAt) > time.Minute {
		if _, err := s.db.ExecContext(ctx, "UPDATE eid_sessions SET expires_at = $2 WHERE token_hash = $1", hash, db.FormatTime(next)); err != nil {
			return Session{}, err
		}
		sess.ExpiresAt = next
	}
	return sess, nil
}

func earlier(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}

func (s *Service) deleteSession(ctx context.Context, tokenHash string) error {
	_, err := s.db.ExecContext(ctx, "DELETE FROM eid_sessions WHERE token_hash = $1", tokenHash)
	return err
}

// Logout ends the session of token, recording the sign-out.
func (s *Service) Logout(ctx context.Context, token string, remote string) error {
	if token == "" {
		return nil
	}
	sess, err := s.sessionByToken(ctx, token)
	if err := s.deleteSession(ctx, hashToken(token)); err != nil {
		return fmt.Errorf("end session: %w", err)
	}
	if err == nil {
		s.record(ctx, audit.OfActor(auth.ActorID(auth.KindCitizen, sess.Account.PIN), ActionSignOut, sess.Account.PIN), remote)
	}
	return nil
}
