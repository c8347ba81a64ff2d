package staff

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/populus-vn/populus/internal/db"
)

// Session is a signed-in staff member's session. The token that names it
// lives only in the browser's cookie; the database holds its SHA-256, so a
// copy of the database does not let anyone take over a session.
type Session struct {
	Account Account
	// CSRF is the token every unsafe request of the session must carry
	// (form field "csrf" or header X-CSRF-Token). It is not secret from
	// the page, only from other sites.
	CSRF      string
	CreatedAt time.Time
	ExpiresAt time.Time
	tokenHash string
}

// randomToken returns 32 random bytes in URL-safe base64.
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

// createSession stores a new session for a and returns its token.
func (s *Store) createSession(ctx context.Context, a Account, now time.Time, expires time.Time) (string, Session, error) {
	token, err := randomToken()
	if err != nil {
		return "", Session{}, err
	}
	csrf, err := randomToken()
	if err != nil {
		return "", Session{}, err
	}
	sess := Session{Account: a, CSRF: csrf, CreatedAt: now, ExpiresAt: expires, tokenHash: hashToken(token)}
	err = s.db.InTx(ctx, func(tx *sql.Tx) error {
		// Sessions left behind by closed browsers go when their owner
		// next signs in; PurgeExpiredSessions sweeps the rest.
		if _, err := tx.ExecContext(ctx, "DELETE FROM sessions WHERE staff_id = $1 AND expires_at <= $2", a.ID, db.FormatTime(now)); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx,
			"INSERT INTO sessions (token_hash, staff_id, csrf_token, created_at, expires_at) VALUES ($1, $2, $3, $4, $5)",
			sess.tokenHash, a.ID, csrf, db.FormatTime(now), db.FormatTime(expires))
		return err
	})
	if err != nil {
		return "", Session{}, fmt.Errorf("create session: %w", err)
	}
	return token, sess, nil
}

var errNoSession = errors.New("no such session")

// sessionCacheTTL bounds how long a session read from the store is trusted
// without reading it again: every API call and page needs its session, and
// reading it is a join. A session ended on this instance leaves the cache at
// once; one ended on another instance (several behind a load balancer) is
// still honoured here for at most this long.
const sessionCacheTTL = 10 * time.Second

// sessionCache keeps recently read sessions by token hash.
type sessionCache struct {
	mu sync.Mutex
	m  map[string]cachedSession
}

type cachedSession struct {
	sess Session
	read time.Time
}

const sessionCacheMax = 10000

func (c *sessionCache) get(hash string, now time.Time) (Session, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.m[hash]
	if !ok || now.Sub(e.read) > sessionCacheTTL || now.Before(e.read) {
		return Session{}, false
	}
	return e.sess, true
}

func (c *sessionCache) put(hash string, sess Session, now time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil || len(c.m) >= sessionCacheMax {
		c.m = make(map[string]cachedSession) // bounded: start afresh when full
	}
	c.m[hash] = cachedSession{sess, now}
}

func (c *sessionCache) drop(hash string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.m, hash)
}

func (c *sessionCache) clear() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.m = nil
}

// sessionByToken returns the session named by token, whatever its expiry.
func (s *Store) sessionByToken(ctx context.Context, token string) (Session, error) {
	hash := hashToken(token)
	now := s.now()
	if sess, ok := s.cache.get(hash, now); ok {
		return sess, nil
	}
	sess, err := s.readSession(ctx, token)
	if err == nil {
		s.cache.put(hash, sess, now)
	}
	return sess, err
}

func (s *Store) readSession(ctx context.Context, token string) (Session, error) {
	var sess Session
	var created, expires string
	st, err := s.db.Prepared(ctx,
		`SELECT s.id, s.username, s.display_name, s.role, s.unit_code, s.disabled, s.created_at, s.must_change_password,
		        x.csrf_token, x.created_at, x.expires_at
		 FROM sessions x JOIN staff s ON s.id = x.staff_id WHERE x.token_hash = $1`)
	if err != nil {
		return Session{}, err
	}
	row := st.QueryRowContext(ctx, hashToken(token))
	a, err := scanAccount(row, &sess.CSRF, &created, &expires)
	if errors.Is(err, sql.ErrNoRows) {
		return Session{}, errNoSession
	}
	if err != nil {
		return Session{}, fmt.Errorf("read session: %w", err)
	}
	sess.Account, sess.tokenHash = a, hashToken(token)
	if sess.CreatedAt, err = db.ParseTime(created); err != nil {
		return Session{}, err
	}
	if sess.ExpiresAt, err = db.ParseTime(expires); err != nil {
		return Session{}, err
	}
	return sess, nil
}

func (s *Store) extendSession(ctx context.Context, sess Session, expires time.Time) error {
	s.cache.drop(sess.tokenHash)
	_, err := s.db.ExecContext(ctx, "UPDATE sessions SET expires_at = $2 WHERE token_hash = $1", sess.tokenHash, db.FormatTime(expires))
	return err
}

func (s *Store) deleteSession(ctx context.Context, tokenHash string) error {
	s.cache.drop(tokenHash)
	_, err := s.db.ExecContext(ctx, "DELETE FROM sessions WHERE token_hash = $1", tokenHash)
	return err
}

// PurgeExpiredSessions deletes every session that has expired, and the
// sign-in throttle's forgotten keys, for a periodic sweep; it returns how
// many sessions it deleted.
func (s *Store) PurgeExpiredSessions(ctx context.Context) (int64, error) {
	now := s.now()
	if _, err := s.purgeThrottle(ctx, now); err != nil {
		return 0, fmt.Errorf("purge sign-in throttle: %w", err)
	}
	res, err := s.db.ExecContext(ctx, "DELETE FROM sessions WHERE expires_at <= $1", db.FormatTime(now))
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}
