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

// sessionByToken returns the session named by token, whatever its expiry.
func (s *Store) sessionByToken(ctx context.Context, token string) (Session, error) {
	var sess Session
	var created, expires string
	row := s.db.QueryRowContext(ctx,
		`SELECT s.id, s.username, s.display_name, s.role, s.unit_code, s.disabled, s.created_at,
		        x.csrf_token, x.created_at, x.expires_at
		 FROM sessions x JOIN staff s ON s.id = x.staff_id WHERE x.token_hash = $1`, hashToken(token))
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
	_, err := s.db.ExecContext(ctx, "UPDATE sessions SET expires_at = $2 WHERE token_hash = $1", sess.tokenHash, db.FormatTime(expires))
	return err
}

func (s *Store) deleteSession(ctx context.Context, tokenHash string) error {
	_, err := s.db.ExecContext(ctx, "DELETE FROM sessions WHERE token_hash = $1", tokenHash)
	return err
}

// PurgeExpiredSessions deletes every session that has expired, for a
// periodic sweep; it returns how many it deleted.
func (s *Store) PurgeExpiredSessions(ctx context.Context) (int64, error) {
	res, err := s.db.ExecContext(ctx, "DELETE FROM sessions WHERE expires_at <= $1", db.FormatTime(s.now()))
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}
