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
	"database/sql/driver"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5/stdlib"
	"modernc.org/sqlite"
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
	// gate queues this process's SQLite writers (InTx, Write), so that
	// they wait for each other here rather than in SQLite's busy handler,
	// which sleeps 1 ms, then 2, then 5… at each collision; nil on
	// PostgreSQL, whose rows are locked one by one.
	gate chan struct{}
	// ckpt stops the SQLite checkpointer (checkpointer); closeOnce
	// makes Close idempotent.
	ckpt      chan struct{}
	ckptDone  chan struct{}
	closeOnce sync.Once
	closeErr  error
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
// small: reads of people by PIN land on random leaf pages that no
// per-connection cache of a useful size would hold (8 MiB measured no
// faster), and the operating system's file cache holds the pages anyway.
// Bulk loads and index builds enlarge theirs (BulkCacheKiB). The file is
// also memory-mapped (mmapBytes, as far as SQLite allows), so that a page
// missing from that cache is read from the file cache without a pread(2)
// and a copy: with a register of 1M people, a read of a person by PIN
// served 1.07 times as many requests (bench/httpget -compare, paired).
const readCacheKiB = 1024

// sqliteConns is the size of a SQLite store's pool: twice the CPUs Go
// runs on, and at least 4 (the audit importer keeps one). A read is CPU
// work once the file is in the operating system's cache, so connections
// beyond what the cores run add no parallelism, only cost: each has its
// own page cache and its own memory map of the file, whose pages it faults
// in one by one (a fault in a virtual machine costs several microseconds),
// so the more connections, the colder each one's cache and map. With 2
// CPUs and 1M people, 4 connections instead of 8 served 1.05 times as many
// reads of a person by PIN at 16% less CPU each (bench/httpget -compare,
// paired, quiet).
func sqliteConns() int { return max(4, 2*runtime.GOMAXPROCS(0)) }

// mmapBytes bounds how much of a database file SQLite maps (PRAGMA
// mmap_size); SQLite caps it at its compile-time maximum.
const mmapBytes = 64 << 30

// Attach is a file of a SQLite store attached to every connection as a
// schema of its own: a capability whose tables should not share the main
// file declares one (RegisterAttach) and creates its tables in that schema
// (CREATE TABLE name.table); queries name the tables without the schema, and
// SQLite finds them in the attached file. In WAL mode a commit empties the
// page cache of every other connection to the same file, so a table written
// often and read rarely (the audit log) keeps the main file's readers warm
// by living apart. A transaction that writes two files commits atomically in
// each but, in WAL mode, not across them. PostgreSQL ignores attachments.
type Attach struct {
	// Schema is the name under which the file is attached.
	Schema string
	// Path is the file's path, given the path of the store's main file.
	Path func(main string) string
	// Pragmas are set on the schema after attaching it ("journal_mode = WAL").
	Pragmas []string
}

var (
	attachMu sync.Mutex
	attached []Attach
)

// RegisterAttach makes every SQLite store opened from now on attach a's file
// to each of its connections. A capability calls it when its package is
// initialised, before any store is opened.
func RegisterAttach(a Attach) {
	attachMu.Lock()
	defer attachMu.Unlock()
	for _, x := range attached {
		if x.Schema == a.Schema {
			panic("db: schema " + a.Schema + " is attached twice")
		}
	}
	attached = append(attached, a)
}

// sqliteDriver is modernc.org/sqlite's driver under a name of its own, so
// that its connection hook (attach) applies to Populus's stores only.
const sqliteDriver = "populus-sqlite"

var registerSQLite sync.Once

// uriPath escapes the characters that end or escape a path in a SQLite
// URI filename.
func uriPath(path string) string {
	return strings.NewReplacer("%", "%25", "?", "%3F", "#", "%23").Replace(path)
}

// attach attaches the registered files to a new connection.
func attach(conn sqlite.ExecQuerierContext, dsn string) error {
	attachMu.Lock()
	files := attached
	attachMu.Unlock()
	if len(files) == 0 {
		return nil
	}
	// The main file as SQLite opened it, rather than as the DSN spells it
	// (escaped, with parameters).
	ctx := context.Background()
	rows, err := conn.QueryContext(ctx, "SELECT file FROM pragma_database_list WHERE name = 'main'", nil)
	if err != nil {
		return fmt.Errorf("attach files: %w", err)
	}
	v := make([]driver.Value, 1)
	err = rows.Next(v)
	rows.Close()
	path, _ := v[0].(string)
	if err != nil || path == "" {
		return fmt.Errorf("attach files: the main file is unknown (%v)", err)
	}
	for _, a := range files {
		if _, err := conn.ExecContext(ctx, "ATTACH DATABASE ? AS "+a.Schema, []driver.NamedValue{{Ordinal: 1, Value: a.Path(path)}}); err != nil {
			return fmt.Errorf("attach the %s file: %w", a.Schema, err)
		}
		for _, p := range a.Pragmas {
			if _, err := conn.ExecContext(ctx, "PRAGMA "+a.Schema+"."+p, nil); err != nil {
				return fmt.Errorf("%s file: PRAGMA %s: %w", a.Schema, p, err)
			}
		}
	}
	return nil
}

// attachedPaths are the paths of the files attached to a store whose
// main file is main.
func attachedPaths(main string) []string {
	attachMu.Lock()
	defer attachMu.Unlock()
	var out []string
	for _, a := range attached {
		out = append(out, a.Path(main))
	}
	return out
}

// createPrivate creates the database file at path, if missing, readable
// and writable by its owner only: SQLite would create it with the
// process's umask (0644, commonly: the register readable by every account
// of the host where --data is an existing directory open to them), and
// creates the -wal and -shm files with the database file's mode.
func createPrivate(path string) error {
	if path == "" || strings.Contains(path, ":memory:") || strings.HasPrefix(path, "file:") {
		return nil
	}
	f, err := os.OpenFile(path, os.O_RDONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, fs.ErrExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("create the SQLite store %s: %w", path, err)
	}
	return f.Close()
}

func openSQLite(ctx context.Context, path string) (*DB, error) {
	registerSQLite.Do(func() {
		drv := &sqlite.Driver{}
		drv.RegisterConnectionHook(attach)
		sql.Register(sqliteDriver, drv)
	})
	for _, f := range append([]string{path}, attachedPaths(path)...) {
		if err := createPrivate(f); err != nil {
			return nil, err
		}
	}
	q := url.Values{}
	for _, p := range []string{
		"journal_mode(WAL)",
		"busy_timeout(10000)",
		"foreign_keys(ON)",
		"synchronous(NORMAL)",
		fmt.Sprintf("wal_autocheckpoint(%d)", autoCheckpointPages),
		fmt.Sprintf("cache_size(-%d)", readCacheKiB),
		fmt.Sprintf("mmap_size(%d)", int64(mmapBytes)),
	} {
		q.Add("_pragma", p)
	}
	// Write transactions take the lock at BEGIN, so two writers queue on
	// busy_timeout instead of failing when one upgrades a read lock.
	q.Set("_txlock", "immediate")
	sdb, err := sql.Open(sqliteDriver, "file:"+uriPath(path)+"?"+q.Encode())
	if err != nil {
		return nil, err
	}
	sdb.SetMaxOpenConns(sqliteConns())
	sdb.SetMaxIdleConns(sqliteConns())
	sdb.SetConnMaxIdleTime(5 * time.Minute)
	if err := sdb.PingContext(ctx); err != nil {
		sdb.Close()
		return nil, fmt.Errorf("open SQLite %s: %w", path, err)
	}
	db := &DB{DB: sdb, Engine: SQLite, Location: path, gate: make(chan struct{}, 1),
		ckpt: make(chan struct{}), ckptDone: make(chan struct{})}
	go db.checkpointer()
	return db, nil
}

// SQLite's checkpoints, which copy the write-ahead log into the database
// file (and fsync it), are run by a goroutine of their own every
// checkpointEvery (PRAGMA wal_checkpoint(PASSIVE), every attached file
// included), not by the commit that happens to take the log past 1,000
// pages (SQLite's default): that commit ran the checkpoint, fsync
// included, while it held the write gate, and every writer of the process
// waited for it. A passive checkpoint waits for no reader or writer. The
// commits still checkpoint as a backstop, past autoCheckpointPages (40 MiB
// of log), should the goroutine fall behind.
var checkpointEvery = 100 * time.Millisecond

const autoCheckpointPages = 10000

// checkpointer checkpoints every checkpointEvery until Close.
func (db *DB) checkpointer() {
	defer close(db.ckptDone)
	t := time.NewTicker(checkpointEvery)
	defer t.Stop()
	for {
		select {
		case <-db.ckpt:
			return
		case <-t.C:
			// An error (the store busy with an exclusive lock, a full
			// disk) is left to the next tick and to the commits'
			// backstop; the writers report their own errors.
			db.ExecContext(context.Background(), "PRAGMA wal_checkpoint(PASSIVE)")
		}
	}
}

// Close stops the checkpointer and closes the store; a second call returns
// the first's result.
func (db *DB) Close() error {
	db.closeOnce.Do(func() {
		if db.ckpt != nil {
			close(db.ckpt)
			<-db.ckptDone
		}
		db.closeErr = db.DB.Close()
	})
	return db.closeErr
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
// back otherwise, so that a failed write leaves nothing behind. On SQLite
// it waits for this process's other writers first (gate): a write
// transaction (BEGIN IMMEDIATE) locks the main file and every attached
// one (the audit file) alike.
func (db *DB) InTx(ctx context.Context, fn func(tx *sql.Tx) error) error {
	defer db.enter(ctx)()
	return db.inTx(ctx, fn)
}

// Write runs fn, which writes outside InTx (one statement, prepared or
// not, or a transaction of a connection of its own), after this process's
// other writers, as InTx does.
func (db *DB) Write(ctx context.Context, fn func() error) error {
	defer db.enter(ctx)()
	return fn()
}

// gateWait bounds the wait for the gate, as busy_timeout bounds SQLite's:
// past it, or once ctx is done, the write goes on, and SQLite's own lock
// decides (a writer that queued behind itself would otherwise wait for
// ever).
const gateWait = 10 * time.Second

// enter waits for the gate and returns what leaves it.
func (db *DB) enter(ctx context.Context) (leave func()) {
	if db.gate == nil {
		return func() {}
	}
	select {
	case db.gate <- struct{}{}:
		return db.leave
	default:
	}
	t := time.NewTimer(gateWait)
	defer t.Stop()
	select {
	case db.gate <- struct{}{}:
		return db.leave
	case <-ctx.Done():
	case <-t.C:
	}
	return func() {}
}

func (db *DB) leave() { <-db.gate }

func (db *DB) inTx(ctx context.Context, fn func(tx *sql.Tx) error) error {
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

// Now is the timestamp format stored in every table: UTC, fixed width, so
// that text order is time order on both engines.
const TimeFormat = "2006-01-02T15:04:05.000000Z"

// FormatTime formats t for storage.
func FormatTime(t time.Time) string { return t.UTC().Format(TimeFormat) }

// ParseTime parses a stored timestamp. A value of exactly TimeFormat's
// shape is read position by position (every read of a person parses two);
// anything else goes to time.Parse, which gives the same result or the
// error.
func ParseTime(s string) (time.Time, error) {
	if t, ok := parseFixed(s); ok {
		return t, nil
	}
	return time.Parse(TimeFormat, s)
}

// parseFixed reads "YYYY-MM-DDTHH:MM:SS.ffffffZ"; ok is false for anything
// else, and for a field out of its range (time.Parse reports it).
func parseFixed(s string) (time.Time, bool) {
	if len(s) != len(TimeFormat) || s[4] != '-' || s[7] != '-' || s[10] != 'T' || s[13] != ':' ||
		s[16] != ':' || s[19] != '.' || s[26] != 'Z' {
		return time.Time{}, false
	}
	ok := true
	num := func(from, to int) int {
		n := 0
		for i := from; i < to; i++ {
			c := s[i]
			if c < '0' || c > '9' {
				ok = false
			}
			n = n*10 + int(c-'0')
		}
		return n
	}
	y, mo, d := num(0, 4), num(5, 7), num(8, 10)
	h, mi, sec, us := num(11, 13), num(14, 16), num(17, 19), num(20, 26)
	if !ok || mo < 1 || mo > 12 || d < 1 || h > 23 || mi > 59 || sec > 59 {
		return time.Time{}, false
	}
	t := time.Date(y, time.Month(mo), d, h, mi, sec, us*1000, time.UTC)
	if t.Day() != d { // 31 April, 29 February of a common year
		return time.Time{}, false
	}
	return t, true
}

var _ = stdlib.GetDefaultDriver // registers the "pgx" driver

// Scanner is what reads one row: *sql.Row or *sql.Rows.
type Scanner = interface{ Scan(dest ...any) error }

// Collect reads every row of a query, as QueryContext returned it, with
// scan, and closes the rows.
func Collect[T any](rows *sql.Rows, err error, scan func(Scanner) (T, error)) ([]T, error) {
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []T
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, rows.Err()
}
