package staff

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/populus-vn/populus/internal/db"
	"github.com/populus-vn/populus/internal/throttle"
)

// Sign-in throttling. Every attempt is reserved, counted against its keys
// in the store, before its password is checked, in one transaction that
// checks the limits and counts the attempt together: attempts sent at once
// cannot all pass the check before any of them is counted. The keys:
//
//   - the account from the address (a guesser at one account): 5 attempts;
//   - the account from anywhere (a guesser at one account from many
//     addresses): 20 attempts, not counted from an address where the account
//     signed in successfully within 30 days (kind known), so that whoever
//     names an account cannot keep its holder out;
//   - the address (a guesser at many accounts): 50 attempts.
//
// Past its free attempts a key is not locked: each further attempt must
// wait, 30 seconds after the last one, doubling at each attempt up to 15
// minutes (a progressive delay). A key is forgotten an hour after its last
// attempt; a successful sign-in clears the account-from-address key and
// gives back what it counted against the others. IPv6 addresses count by
// their /64. The state is in the table signin_throttle, so it survives a
// restart and holds across instances; Unlock clears an account's keys.
// Kinds of throttle key.
const (
	keyAccountAddress = "account-address"
	keyAccount        = "account"
	keyAddress        = "address"
	keyKnown          = "known"
)

// Limits of sign-in attempts; see limit.
const (
	maxFailuresPerUser    = 5  // per account and client address
	maxFailuresPerAccount = 20 // per account, across addresses
	maxFailuresPerIP      = 50 // per client address, across accounts
	knownAddressFor       = 30 * 24 * time.Hour
	throttleForget        = time.Hour
)

var limits = map[string]throttle.Limit{
	keyAccountAddress: {Free: maxFailuresPerUser, Base: 30 * time.Second, Max: 15 * time.Minute, Forget: throttleForget},
	keyAccount:        {Free: maxFailuresPerAccount, Base: 30 * time.Second, Max: 15 * time.Minute, Forget: throttleForget},
	keyAddress:        {Free: maxFailuresPerIP, Base: 30 * time.Second, Max: 15 * time.Minute, Forget: throttleForget},
}

type throttleKey struct{ kind, username, remote string }

// throttled says why an attempt was refused and for how long.
type throttled struct {
	reason string
	after  time.Duration
}

var reasons = map[string]string{
	keyAccountAddress: "throttled: too many attempts at this account from this address",
	keyAccount:        "throttled: too many attempts at this account",
	keyAddress:        "throttled: too many attempts from this address",
}

// reserve counts a sign-in attempt of username from remote against its
// keys, or refuses it (a non-nil *throttled) without counting it, if one
// key must still wait.
func (s *Store) reserve(ctx context.Context, username, remote string, now time.Time) (*throttled, error) {
	addr := throttle.Address(remote)
	keys := []throttleKey{{keyAddress, "", addr}}
	var refused *throttled
	err := s.db.InTx(ctx, func(tx *sql.Tx) error {
		refused = nil
		if validUsername(username) {
			// An account that cannot exist has no keys: the address
			// limit bounds its attempts.
			keys = []throttleKey{{keyAccountAddress, username, addr}, {keyAccount, username, ""}, {keyAddress, "", addr}}
			known, err := s.knownAddress(ctx, tx, username, addr, now)
			if err != nil {
				return err
			}
			if known {
				keys = append(keys[:1], keys[2:]...)
			}
		}
		counts := make([]int, len(keys))
		for i, k := range keys {
			n, last, err := s.lockKey(ctx, tx, k)
			if err != nil {
				return err
			}
			n, wait := limits[k.kind].Wait(n, last, now)
			counts[i] = n
			if wait > 0 && (refused == nil || wait > refused.after) {
				refused = &throttled{reason: reasons[k.kind], after: wait}
			}
		}
		if refused != nil {
			return errRefused
		}
		for i, k := range keys {
			if _, err := tx.ExecContext(ctx,
				"UPDATE signin_throttle SET attempts = $4, last_at = $5 WHERE kind = $1 AND username = $2 AND remote = $3",
				k.kind, k.username, k.remote, counts[i]+1, db.FormatTime(now)); err != nil {
				return err
			}
		}
		return nil
	})
	if errors.Is(err, errRefused) {
		return refused, nil
	}
	if err != nil {
		return nil, fmt.Errorf("sign-in throttle: %w", err)
	}
	return nil, nil
}

var errRefused = errors.New("throttled")

// lockKey returns the count of k and its last attempt, making its row if
// there is none, locked until the transaction ends (SQLite's write
// transactions hold the whole store already).
func (s *Store) lockKey(ctx context.Context, tx *sql.Tx, k throttleKey) (int, time.Time, error) {
	if _, err := tx.ExecContext(ctx,
		"INSERT INTO signin_throttle (kind, username, remote, attempts, last_at) VALUES ($1, $2, $3, 0, '') ON CONFLICT DO NOTHING",
		k.kind, k.username, k.remote); err != nil {
		return 0, time.Time{}, err
	}
	q := "SELECT attempts, last_at FROM signin_throttle WHERE kind = $1 AND username = $2 AND remote = $3"
	if s.db.Engine == db.Postgres {
		q += " FOR UPDATE"
	}
	var n int
	var last string
	if err := tx.QueryRowContext(ctx, q, k.kind, k.username, k.remote).Scan(&n, &last); err != nil {
		return 0, time.Time{}, err
	}
	if n == 0 {
		return 0, time.Time{}, nil
	}
	t, err := db.ParseTime(last)
	return n, t, err
}

func (s *Store) knownAddress(ctx context.Context, tx *sql.Tx, username, addr string, now time.Time) (bool, error) {
	var last string
	err := tx.QueryRowContext(ctx, "SELECT last_at FROM signin_throttle WHERE kind = $1 AND username = $2 AND remote = $3",
		keyKnown, username, addr).Scan(&last)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	t, err := db.ParseTime(last)
	return err == nil && now.Sub(t) < knownAddressFor, nil
}

// signedIn records a successful sign-in of username from remote: the
// account-from-address key is cleared, the attempt given back to the other
// keys, and the address becomes known for the account.
func (s *Store) signedIn(ctx context.Context, username, remote string, now time.Time) error {
	addr := throttle.Address(remote)
	return s.db.InTx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, "DELETE FROM signin_throttle WHERE kind = $1 AND username = $2 AND remote = $3",
			keyAccountAddress, username, addr); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx,
			`UPDATE signin_throttle SET attempts = attempts - 1
			 WHERE attempts > 0 AND ((kind = $1 AND username = $2 AND remote = '') OR (kind = $3 AND username = '' AND remote = $4))`,
			keyAccount, username, keyAddress, addr); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx,
			`INSERT INTO signin_throttle (kind, username, remote, attempts, last_at) VALUES ($1, $2, $3, 0, $4)
			 ON CONFLICT (kind, username, remote) DO UPDATE SET last_at = excluded.last_at`,
			keyKnown, username, addr, db.FormatTime(now))
		return err
	})
}

// unlock clears the throttle keys of username (its known addresses stay),
// reporting whether there were any.
func (s *Store) unlock(ctx context.Context, username string) (bool, error) {
	res, err := s.db.ExecContext(ctx, "DELETE FROM signin_throttle WHERE kind IN ($1, $2) AND username = $3",
		keyAccount, keyAccountAddress, username)
	if err != nil {
		return false, fmt.Errorf("unlock %s: %w", username, err)
	}
	n, _ := res.RowsAffected()
	return n > 0, nil
}

// purgeThrottle deletes keys forgotten by now, and known addresses not
// used for knownAddressFor.
func (s *Store) purgeThrottle(ctx context.Context, now time.Time) (int64, error) {
	res, err := s.db.ExecContext(ctx,
		"DELETE FROM signin_throttle WHERE (kind <> $1 AND last_at < $2) OR (kind = $1 AND last_at < $3)",
		keyKnown, db.FormatTime(now.Add(-throttleForget)), db.FormatTime(now.Add(-knownAddressFor)))
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}
