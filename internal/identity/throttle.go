package identity

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/populus-vn/populus/internal/db"
	"github.com/populus-vn/populus/internal/throttle"
)

// Throttling of sign-ins and registrations, after the pattern of the staff
// sign-in (internal/staff/throttle.go; the limits and addresses are
// internal/throttle's, shared with it): every attempt is counted against
// its keys, in one transaction that checks the limits and counts together,
// before its password is checked or the register is read, so that
// attempts sent at once cannot outrun the limits. Past its free attempts a
// key is not locked: each further attempt waits, 30 seconds after the last
// one and doubling up to 15 minutes. A key is forgotten an hour after its
// last attempt; a successful sign-in clears the account-from-address key
// and takes back its attempt from the address and the account (refund),
// as a right one-time code does.
// IPv6 addresses count by their /64. The keys:
//
//   - a PIN from an address (a guesser at one account): 5 attempts;
//   - a PIN from anywhere: 20 attempts, not counted from an address the
//     account signed in from within 30 days (its login history), so that
//     whoever names the account cannot keep its holder out;
//   - an address, for sign-ins (a guesser at many accounts): 50 attempts;
//   - an address, for registrations (a prober of the register): 10;
//   - a PIN, for registrations from anywhere (a registration that goes on
//     past the register's check tells that the name and date of birth
//     given are the person's: a matching check, which guessers at one
//     person's date of birth from many addresses must not get to repeat): 5;
//   - a PIN, for requests of one-time codes (each sends a message to the
//     holder's phone) from anywhere: 5, not counted from a known address.
//     Requests do not count against the PIN's sign-in keys: naming a PIN
//     at the unlock page must not keep its holder from signing in.
//
// Entering a one-time code (an unlock, a recovery's new password) counts
// as a sign-in does, the PIN from anywhere not counted from a known
// address; the code itself dies after its few wrong tries.
const (
	keyPINAddress  = "pin-address"
	keyPIN         = "pin"
	keyAddress     = "address"
	keyRegister    = "register-address"
	keyRegisterPIN = "register-pin"
	keyCodePIN     = "code-pin"
	// A chip card checked at the counter that did not match, per person
	// and per officer (the date of issue is not to be found by trying).
	keyCardPIN     = "card-pin"
	keyCardOfficer = "card-officer"
	forgetAfter    = time.Hour
)

var limits = map[string]throttle.Limit{
	keyPINAddress:  {Free: 5, Base: 30 * time.Second, Max: 15 * time.Minute, Forget: forgetAfter},
	keyPIN:         {Free: 20, Base: 30 * time.Second, Max: 15 * time.Minute, Forget: forgetAfter},
	keyAddress:     {Free: 50, Base: 30 * time.Second, Max: 15 * time.Minute, Forget: forgetAfter},
	keyRegister:    {Free: 10, Base: 30 * time.Second, Max: 15 * time.Minute, Forget: forgetAfter},
	keyRegisterPIN: {Free: 5, Base: 30 * time.Second, Max: 15 * time.Minute, Forget: forgetAfter},
	keyCodePIN:     {Free: 5, Base: 30 * time.Second, Max: 15 * time.Minute, Forget: forgetAfter},
	keyCardPIN:     {Free: 5, Base: time.Minute, Max: time.Hour, Forget: 24 * time.Hour},
	keyCardOfficer: {Free: 20, Base: time.Minute, Max: time.Hour, Forget: 24 * time.Hour},
}

var throttleReasons = map[string]string{
	keyPINAddress:  "throttled: too many attempts at this account from this address",
	keyPIN:         "throttled: too many attempts at this account",
	keyAddress:     "throttled: too many attempts from this address",
	keyRegister:    "throttled: too many registrations from this address",
	keyRegisterPIN: "throttled: too many registrations for this person",
	keyCodePIN:     "throttled: too many codes asked for this person",
	keyCardPIN:     "throttled: too many cards that did not match for this person",
	keyCardOfficer: "throttled: too many cards that did not match checked by this officer",
}

type throttleKey struct{ kind, name string }

// RateLimitError refuses an attempt after too many; it is a problem of
// kind RateLimited (see Unwrap) and says when to try again.
type RateLimitError struct {
	Reason     string
	RetryAfter time.Duration
}

func (e *RateLimitError) Error() string {
	return fmt.Sprintf("too many attempts; try again in %s", e.RetryAfter.Round(time.Second))
}

// Unwrap makes the error a RateLimited problem.
func (e *RateLimitError) Unwrap() error { return rateLimited(e.Error()) }

// RetryAfterSeconds is the value of the Retry-After header, at least 1.
func (e *RateLimitError) RetryAfterSeconds() int {
	return max(1, int((e.RetryAfter+time.Second-1)/time.Second))
}

var errThrottled = errors.New("throttled")

// reserve counts an attempt against keys, or refuses it (a
// *RateLimitError) without counting it when one key must still wait.
func (s *Service) reserve(ctx context.Context, keys []throttleKey) error {
	now := s.now()
	var refused *RateLimitError
	err := s.db.InTx(ctx, func(tx *sql.Tx) error {
		refused = nil
		counts := make([]int, len(keys))
		for i, k := range keys {
			if _, err := tx.ExecContext(ctx, "INSERT INTO eid_throttle (kind, name, attempts, last_at) VALUES ($1, $2, 0, '') ON CONFLICT DO NOTHING", k.kind, k.name); err != nil {
				return err
			}
			var n int
			var last string
			if err := tx.QueryRowContext(ctx, "SELECT attempts, last_at FROM eid_throttle WHERE kind = $1 AND name = $2"+s.lockSuffix(), k.kind, k.name).Scan(&n, &last); err != nil {
				return err
			}
			var lastAt time.Time
			if n > 0 {
				t, err := db.ParseTime(last)
				if err != nil {
					return err
				}
				lastAt = t
			}
			n, wait := limits[k.kind].Wait(n, lastAt, now)
			counts[i] = n
			if wait > 0 && (refused == nil || wait > refused.RetryAfter) {
				refused = &RateLimitError{Reason: throttleReasons[k.kind], RetryAfter: wait}
			}
		}
		if refused != nil {
			return errThrottled
		}
		for i, k := range keys {
			if _, err := tx.ExecContext(ctx, "UPDATE eid_throttle SET attempts = $3, last_at = $4 WHERE kind = $1 AND name = $2",
				k.kind, k.name, counts[i]+1, db.FormatTime(now)); err != nil {
				return err
			}
		}
		return nil
	})
	if errors.Is(err, errThrottled) {
		return refused
	}
	if err != nil {
		return fmt.Errorf("identity throttle: %w", err)
	}
	return nil
}

// refund takes back one attempt counted against each of keys: a sign-in or
// a code that succeeded was no guess. Without it every citizen behind one
// address (a carrier's or an office's NAT) would share its 50 attempts an
// hour, successes included, and one of them could keep the others out.
// A guesser who also signs in to an account of their own gets back only
// the attempts that succeeded.
func (s *Service) refund(ctx context.Context, keys ...throttleKey) {
	for _, k := range keys {
		if _, err := s.db.ExecContext(ctx, "UPDATE eid_throttle SET attempts = attempts - 1 WHERE kind = $1 AND name = $2 AND attempts > 0", k.kind, k.name); err != nil {
			slog.WarnContext(ctx, "throttle attempt not refunded", "err", err)
		}
	}
}

// clearKey forgets k (after a successful sign-in, or the holder's unlock).
func (s *Service) clearKey(ctx context.Context, k throttleKey) error {
	_, err := s.db.ExecContext(ctx, "DELETE FROM eid_throttle WHERE kind = $1 AND name = $2", k.kind, k.name)
	return err
}

// Purge deletes the throttle keys forgotten by now, and the expired
// sessions and codes, for a periodic sweep.
func (s *Service) Purge(ctx context.Context) error {
	now := s.now()
	for _, q := range []struct {
		sql string
		at  time.Time
	}{
		{"DELETE FROM eid_throttle WHERE last_at < $1", now.Add(-forgetAfter)},
		{"DELETE FROM eid_sessions WHERE expires_at <= $1", now},
		{"DELETE FROM eid_codes WHERE expires_at <= $1", now},
	} {
		if _, err := s.db.ExecContext(ctx, q.sql, db.FormatTime(q.at)); err != nil {
			return err
		}
	}
	return nil
}
