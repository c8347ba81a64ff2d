package db

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"fmt"
	"slices"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
)

// Batch is a set of rows for one table, written by WriteBatches.
type Batch struct {
	Table   string
	Columns []string
	Rows    [][]any
	// Blank names columns declared NOT NULL DEFAULT ''. On SQLite an
	// empty string in one of them is bound as NULL and stored as '' by
	// coalesce: the driver copies every bound string into C memory and
	// frees it after the row, and a third of a register row's values are
	// empty. PostgreSQL's COPY ignores it.
	Blank []string
}

// WriteBatches writes all batches in one transaction on the engine's fast
// path: COPY on PostgreSQL, a prepared single-row INSERT on SQLite. Either
// all rows are stored or none.
func (db *DB) WriteBatches(ctx context.Context, batches ...Batch) error {
	b := db.NewBulk()
	if err := b.Write(ctx, batches...); err != nil {
		return err
	}
	return b.Commit()
}

// Bulk writes batches on the engine's fast path over several calls. On
// PostgreSQL every Write is one COPY transaction, committed when it returns.
// On SQLite the rows of every Write join one transaction, begun by the
// first, until Commit: SQLite rewrites in its write-ahead log every page a
// transaction changed, and the pages of the primary key's B-tree, hit at
// random, are changed again by the next transaction, so a commit every
// 20,000 rows wrote the same pages hundreds of times over a 10M load.
//
// A failed Write rolls back what is not committed. A Bulk is used by one
// goroutine.
type Bulk struct {
	// NoForeignKeys, on SQLite, writes without checking foreign keys (a
	// look-up in the parent's key for every row); the caller checks them
	// once the load is done (CheckForeignKeys). PostgreSQL's COPY checks
	// them as ever.
	NoForeignKeys bool

	db    *DB
	conn  *sql.Conn // SQLite: the connection of tx, its page cache enlarged
	tx    *sql.Tx
	stmts map[string]*sql.Stmt // SQLite: the insert of each table and column list
}

// NewBulk returns a bulk writer.
func (db *DB) NewBulk() *Bulk { return &Bulk{db: db} }

// Write stores the batches (see Bulk).
func (b *Bulk) Write(ctx context.Context, batches ...Batch) error {
	if b.db.Engine == Postgres {
		return b.db.copyBatches(ctx, batches)
	}
	if b.tx == nil {
		conn, err := b.db.bulkConn(ctx)
		if err != nil {
			return err
		}
		if b.NoForeignKeys {
			// Outside a transaction: SQLite ignores the pragma within one.
			if _, err := conn.ExecContext(ctx, "PRAGMA foreign_keys = OFF"); err != nil {
				b.db.releaseBulkConn(conn)
				return err
			}
		}
		tx, err := conn.BeginTx(ctx, nil)
		if err != nil {
			b.db.releaseBulkConn(conn)
			return fmt.Errorf("begin transaction: %w", err)
		}
		b.conn, b.tx, b.stmts = conn, tx, map[string]*sql.Stmt{}
	}
	for _, batch := range batches {
		if err := b.insert(ctx, batch); err != nil {
			b.Rollback()
			return err
		}
	}
	return nil
}

// Commit commits what the Writes since the last Commit stored (SQLite).
func (b *Bulk) Commit() error {
	if b.tx == nil {
		return nil
	}
	b.closeStmts()
	err := b.tx.Commit()
	b.tx = nil
	b.db.releaseBulkConn(b.conn)
	return err
}

// Rollback drops what is not committed; it does nothing after Commit.
func (b *Bulk) Rollback() {
	if b.tx == nil {
		return
	}
	b.closeStmts()
	b.tx.Rollback()
	b.tx = nil
	b.db.releaseBulkConn(b.conn)
}

// BulkCacheKiB is the page cache of a SQLite connection while it loads in
// bulk or builds an index: a random-order primary key and the sorts of an
// index build need one, where the reads of a serving connection do not
// (see readCacheKiB).
const BulkCacheKiB = 64 << 10

// bulkConn takes a connection from the pool with its page cache enlarged for
// a bulk write; releaseBulkConn gives it back as it was.
func (db *DB) bulkConn(ctx context.Context) (*sql.Conn, error) {
	conn, err := db.Conn(ctx)
	if err != nil {
		return nil, err
	}
	if _, err := conn.ExecContext(ctx, fmt.Sprintf("PRAGMA cache_size = -%d", BulkCacheKiB)); err != nil {
		conn.Close()
		return nil, err
	}
	return conn, nil
}

func (db *DB) releaseBulkConn(conn *sql.Conn) {
	// A connection that cannot be reset is closed rather than pooled.
	ctx := context.Background()
	if _, err := conn.ExecContext(ctx, fmt.Sprintf("PRAGMA cache_size = -%d; PRAGMA foreign_keys = ON", readCacheKiB)); err != nil {
		conn.Raw(func(any) error { return driver.ErrBadConn })
	}
	conn.Close()
}

// CheckForeignKeys returns an error naming the first rows of table whose
// foreign keys point at nothing (SQLite; PostgreSQL never stores such rows).
func (db *DB) CheckForeignKeys(ctx context.Context, table string) error {
	if db.Engine == Postgres {
		return nil
	}
	rows, err := db.QueryContext(ctx, "PRAGMA foreign_key_check("+table+")")
	if err != nil {
		return err
	}
	defer rows.Close()
	var bad []string
	n := 0
	for rows.Next() {
		var tbl, parent string
		var rowid, fk sql.NullInt64
		if err := rows.Scan(&tbl, &rowid, &parent, &fk); err != nil {
			return err
		}
		if n++; len(bad) < 3 {
			bad = append(bad, fmt.Sprintf("row %d refers to a missing %s", rowid.Int64, parent))
		}
	}
	if err := rows.Err(); err != nil {
		return err
	}
	if n > 0 {
		return fmt.Errorf("%s: %d rows refer to rows that do not exist (%s)", table, n, strings.Join(bad, "; "))
	}
	return nil
}

func (b *Bulk) closeStmts() {
	for _, st := range b.stmts {
		st.Close()
	}
	b.stmts = nil
}

// insert writes one row per execution of one prepared statement. A
// single-row INSERT cannot fail half-way, so SQLite needs no statement
// journal for it; a multi-row INSERT (VALUES (…),(…) or INSERT … SELECT)
// journals every page it changes in case it must undo part of itself,
// which cost more than half of the load's time at 1M people (see
// docs/benchmarks.md).
func (b *Bulk) insert(ctx context.Context, batch Batch) error {
	if len(batch.Rows) == 0 {
		return nil
	}
	q := insertSQL(batch)
	st := b.stmts[q]
	if st == nil {
		var err error
		if st, err = b.tx.PrepareContext(ctx, q); err != nil {
			return fmt.Errorf("prepare insert into %s: %w", batch.Table, err)
		}
		b.stmts[q] = st
	}
	var blank []int // indexes of batch.Blank in batch.Columns
	for i, c := range batch.Columns {
		if slices.Contains(batch.Blank, c) {
			blank = append(blank, i)
		}
	}
	args := make([]any, len(batch.Columns))
	// The rows are written without ctx's cancellation, for which the
	// SQLite driver starts a goroutine per statement (a tenth of the load's
	// time); ctx is checked every checkEvery rows instead.
	const checkEvery = 1024
	exec := context.WithoutCancel(ctx)
	for n, row := range batch.Rows {
		if n%checkEvery == 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
		}
		if len(row) != len(batch.Columns) {
			return fmt.Errorf("%s: row has %d values for %d columns", batch.Table, len(row), len(batch.Columns))
		}
		copy(args, row)
		for _, i := range blank {
			if s, ok := args[i].(string); ok && s == "" {
				args[i] = nil
			}
		}
		if _, err := st.ExecContext(exec, args...); err != nil {
			return fmt.Errorf("insert into %s: %w", batch.Table, err)
		}
	}
	return nil
}

// insertSQL is the single-row insert of batch on SQLite (see Batch.Blank).
func insertSQL(b Batch) string {
	var q strings.Builder
	q.WriteString("INSERT INTO " + b.Table + " (" + strings.Join(b.Columns, ", ") + ") VALUES (")
	for i, c := range b.Columns {
		if i > 0 {
			q.WriteString(", ")
		}
		if slices.Contains(b.Blank, c) {
			q.WriteString("coalesce(?, '')")
		} else {
			q.WriteString("?")
		}
	}
	q.WriteString(")")
	return q.String()
}

func (db *DB) copyBatches(ctx context.Context, batches []Batch) error {
	conn, err := db.Conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	return conn.Raw(func(dc any) error {
		pc := dc.(*stdlib.Conn).Conn()
		tx, err := pc.Begin(ctx)
		if err != nil {
			return err
		}
		defer tx.Rollback(ctx)
		for _, b := range batches {
			if len(b.Rows) == 0 {
				continue
			}
			if _, err := tx.CopyFrom(ctx, pgx.Identifier{b.Table}, b.Columns, pgx.CopyFromRows(b.Rows)); err != nil {
				return fmt.Errorf("copy into %s: %w", b.Table, err)
			}
		}
		return tx.Commit(ctx)
	})
}
