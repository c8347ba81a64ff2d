package identity

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/populus-vn/populus/internal/db"
	"github.com/populus-vn/populus/internal/problem"
)

const accountColumns = "id, pin, state, level, phone, state_reason, level2_by, level2_at, created_at, updated_at"

var errNoAccount = errors.New("identity: no such account")

func scanAccount(sc db.Scanner, extra ...any) (Account, error) {
	var a Account
	var state, l2at string
	dest := append([]any{&a.ID, &a.PIN, &state, &a.Level, &a.Phone, &a.StateReason, &a.Level2By, &l2at,
		db.Time{T: &a.CreatedAt}, db.Time{T: &a.UpdatedAt}}, extra...)
	if err := sc.Scan(dest...); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return Account{}, errNoAccount
		}
		return Account{}, err
	}
	a.State = State(state)
	if l2at != "" {
		t, err := db.ParseTime(l2at)
		if err != nil {
			return Account{}, fmt.Errorf("account %d: level2_at: %w", a.ID, err)
		}
		a.Level2At = t
	}
	return a, nil
}

// querier is a transaction or the store.
type querier interface {
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
}

// lockSuffix locks the row read until the transaction ends on PostgreSQL;
// SQLite's write transactions hold the whole store already.
func (s *Service) lockSuffix() string {
	if s.db.Engine == db.Postgres {
		return " FOR UPDATE"
	}
	return ""
}

// accountByPIN reads the account of pin (errNoAccount if none).
func (s *Service) accountByPIN(ctx context.Context, q querier, pin string, lock bool) (Account, error) {
	query := "SELECT " + accountColumns + " FROM eid_accounts WHERE pin = $1"
	if lock {
		query += s.lockSuffix()
	}
	return scanAccount(q.QueryRowContext(ctx, query, pin))
}

// accountByID reads the account with row id (errNoAccount if none).
func (s *Service) accountByID(ctx context.Context, q querier, id int64, lock bool) (Account, error) {
	query := "SELECT " + accountColumns + " FROM eid_accounts WHERE id = $1"
	if lock {
		query += s.lockSuffix()
	}
	return scanAccount(q.QueryRowContext(ctx, query, id))
}

// setState changes an account's state, with the reason.
func setState(ctx context.Context, q querier, id int64, st State, reason string, now time.Time) error {
	_, err := q.ExecContext(ctx, "UPDATE eid_accounts SET state = $2, state_reason = $3, updated_at = $4 WHERE id = $1",
		id, string(st), reason, db.FormatTime(now))
	return err
}

// AccountByID returns the account with row id (the OpenID provider's
// sessions and tokens name accounts so); its error is NotFound when there
// is none.
func (s *Service) AccountByID(ctx context.Context, id int64) (Account, error) {
	// Every code exchange and userinfo reads one: prepared, and run
	// without the request's cancellation, for which the SQLite driver
	// starts a goroutine per statement (a look-up by primary key is short).
	st, err := s.db.Prepared(ctx, "SELECT "+accountColumns+" FROM eid_accounts WHERE id = $1")
	if err != nil {
		return Account{}, err
	}
	a, err := scanAccount(st.QueryRowContext(context.WithoutCancel(ctx), id))
	if errors.Is(err, errNoAccount) {
		return Account{}, problem.New(problem.NotFound, "no such account")
	}
	return a, err
}
