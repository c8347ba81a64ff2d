// Package db opens Populus's store, embedded SQLite or PostgreSQL, applies the
// schema migrations and offers the few mechanisms every capability shares:
// transactions, bulk writes on each engine's fast path, and error
// classification. Queries are written once with $1…$n placeholders, which both
// engines accept.
//
// It knows no capability's tables: each capability owns its queries. It must
// never log query arguments, which hold personal data.
package db

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/stdlib"
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

// Engine names a storage engine.
type Engine string

const (
	SQLite   Engine = "sqlite"
	Postgres Engine = "postgres"
)

// DB is an open store.
type DB struct {
	*sql.DB
	Engine Engine
	// Location is where the data lives, without credentials, for logs.
	Location string
	stmts    sync.Map // query → *sql.Stmt
}

// Prepared returns the prepared statement for query, preparing it on first
// use. database/sql re-prepares it on each pooled connection as needed, so
// hot queries skip SQL parsing and planning on every call. Never call it
// while holding a transaction: preparing may need a second connection.
func (db *DB) Prepared(ctx context.Context, query string) (*sql.Stmt, error) {
	if st, ok := db.stmts.Load(query); ok {
		return st.(*sql.Stmt), nil
	}
	st, err := db.PrepareContext(ctx, query)
	if err != nil {
		return nil, err
	}
	if prev, loaded := db.stmts.LoadOrStore(query, st); loaded {
		st.Close()
		return prev.(*sql.Stmt), nil
	}
	return st, nil
}

// Open opens the store named by dsn: a postgres:// or postgresql:// URL, or
// empty for an SQLite file populus.db in dataDir (created if missing).
func Open(ctx context.Context, dsn, dataDir string) (*DB, error) {
	if strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://") {
		return openPostgres(ctx, dsn)
	}
	if dsn != "" && !strings.HasPrefix(dsn, "sqlite:") {
		return nil, fmt.Errorf("database URL must start with postgres:// or sqlite:, or be empty for SQLite in the data directory")
	}
	path := strings.TrimPrefix(dsn, "sqlite:")
	if path == "" {
		if dataDir == "" {
			return nil, errors.New("no data directory given for the SQLite store")
		}
		if err := os.MkdirAll(dataDir, 0o700); err != nil {
			return nil, fmt.Errorf("create data directory: %w", err)
		}
		path = filepath.Join(dataDir, "populus.db")
	}
	return openSQLite(ctx, path)
}

// readCacheKiB is the page cache of a pooled SQLite connection. It is
// small on purpose: in WAL mode every commit by another connection (the
// audit log's, 50 a second under load) empties each reader's cache, and
// freeing and filling a large one cost more than the pages it kept (half
// of a GET's CPU at 64 MiB); the operating system's file cache holds the
// pages anyway. Bulk loads and index builds enlarge theirs (BulkCacheKiB).
const readCacheKiB = 1024

func openSQLite(ctx context.Context, path string) (*DB, error) {
	q := url.Values{}
	for _, p := range []string{
		"journal_mode(WAL)",
		"busy_timeout(10000)",
		"foreign_keys(ON)",
		"synchronous(NORMAL)",
		fmt.Sprintf("cache_size(-%d)", readCacheKiB),
	} {
		q.Add("_pragma", p)
	}
	// Write transactions take the lock at BEGIN, so two writers queue on
	// busy_timeout instead of failing when one upgrades a read lock.
	q.Set("_txlock", "immediate")
	sdb, err := sql.Open("sqlite", "file:"+path+"?"+q.Encode())
	if err != nil {
		return nil, err
	}
	sdb.SetMaxOpenConns(8)
	sdb.SetMaxIdleConns(8)
	sdb.SetConnMaxIdleTime(5 * time.Minute)
	if err := sdb.PingContext(ctx); err != nil {
		sdb.Close()
		return nil, fmt.Errorf("open SQLite %s: %w", path, err)
	}
	return &DB{DB: sdb, Engine: SQLite, Location: path}, nil
}

func openPostgres(ctx context.Context, dsn string) (*DB, error) {
	sdb, err := sql.Open("pgx", dsn)
	if err != nil {
		return nil, err
	}
	sdb.SetMaxOpenConns(32)
	sdb.SetMaxIdleConns(32)
	sdb.SetConnMaxIdleTime(5 * time.Minute)
	if err := sdb.PingContext(ctx); err != nil {
		sdb.Close()
		return nil, fmt.Errorf("connect to PostgreSQL at %s: %w", redact(dsn), err)
	}
	return &DB{DB: sdb, Engine: Postgres, Location: redact(dsn)}, nil
}

// redact removes the password from a URL so it can be logged.
func redact(dsn string) string {
	u, err := url.Parse(dsn)
	if err != nil {
		return "postgres://(unparseable URL)"
	}
	return u.Redacted()
}

// InTx runs fn in a transaction, committing if it returns nil and rolling
// back otherwise, so that a failed write leaves nothing behind.
func (db *DB) InTx(ctx context.Context, fn func(tx *sql.Tx) error) error {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin transaction: %w", err)
	}
	if err := fn(tx); err != nil {
		tx.Rollback()
		return err
	}
	return tx.Commit()
}

// IsUniqueViolation reports whether err is a unique-constraint violation.
func IsUniqueViolation(err error) bool {
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		return pe.Code == "23505"
	}
	var se *sqlite.Error
	if errors.As(err, &se) {
		return se.Code() == sqlite3.SQLITE_CONSTRAINT_UNIQUE || se.Code() == sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY
	}
	return false
}

// Now is the timestamp format stored in every table: UTC, fixed width, so
// that text order is time order on both engines.
const TimeFormat = "2006-01-02T15:04:05.000000Z"

// FormatTime formats t for storage.
func FormatTime(t time.Time) string { return t.UTC().Format(TimeFormat) }

// ParseTime parses a stored timestamp.
func ParseTime(s string) (time.Time, error) { return time.Parse(TimeFormat, s) }

var _ = stdlib.GetDefaultDriver // registers the "pgx" driver
