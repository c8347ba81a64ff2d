package db

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
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
	// stages are the tables whose rows are staged (Stage), in order.
	stages []stage
}

// stage is a table whose rows a Bulk stages: they go to the table named
// "temp.stage_" + table until Unstage inserts them sorted by orderBy.
type stage struct{ table, orderBy string }

func (s stage) name() string { return "temp.stage_" + s.table }

// NewBulk returns a bulk writer.
func (db *DB) NewBulk() *Bulk { return &Bulk{db: db} }

// Stage makes the Bulk, on SQLite, write the rows of table to a staging
// table, in arrival order, and Unstage insert them into table sorted by
// orderBy, its key: a table keyed by a value that arrives in random order
// (the register's PIN) would otherwise take every row on a random page, and
// end with pages half full. SQLite sorts them in bounded memory, spilling to
// temporary files. The staging tables live in the temporary schema of the
// Bulk's connection, which it keeps from the first Write to Unstage or
// Rollback; if the process dies before Unstage, they go with it and nothing
// staged is stored. Call it before the first Write. PostgreSQL ignores it.
func (b *Bulk) Stage(table, orderBy string) {
	if b.db.Engine == SQLite {
		b.stages = append(b.stages, stage{table, orderBy})
	}
}

// staged returns the staging table of table, or table.
func (b *Bulk) staged(table string) string {
	for _, st := range b.stages {
		if st.table == table {
			return st.name()
		}
	}
	return table
}

// Unstage inserts the staged rows of every staged table into it, sorted, in
// one transaction, after Commit (see Stage).
func (b *Bulk) Unstage(ctx context.Context) error {
	if len(b.stages) == 0 || b.conn == nil {
		b.stages = nil
		return nil
	}
	if b.tx != nil {
		return errors.New("bulk: Unstage before Commit")
	}
	tx, err := b.conn.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	for _, st := range b.stages {
		if _, err := tx.ExecContext(ctx, "INSERT INTO main."+st.table+" SELECT * FROM "+st.name()+" ORDER BY "+st.orderBy); err != nil {
			tx.Rollback()
			b.Rollback()
			return fmt.Errorf("insert the staged rows of %s: %w", st.table, err)
		}
		if _, err := tx.ExecContext(ctx, "DROP TABLE "+st.name()); err != nil {
			tx.Rollback()
			b.Rollback()
			return err
		}
	}
	if err := tx.Commit(); err != nil {
		b.Rollback()
		return err
	}
	b.stages = nil
	b.db.releaseBulkConn(b.conn)
	b.conn = nil
	return nil
}

// Write stores the batches (see Bulk).
func (b *Bulk) Write(ctx context.Context, batches ...Batch) error {
	if b.db.Engine == Postgres {
		return b.db.copyBatches(ctx, batches)
	}
	if b.tx == nil {
		if b.conn == nil {
			if err := b.connect(ctx); err != nil {
				return err
			}
		}
		tx, err := b.conn.BeginTx(ctx, nil)
		if err != nil {
			b.Rollback()
			return fmt.Errorf("begin transaction: %w", err)
		}
		b.tx, b.stmts = tx, map[string]*sql.Stmt{}
	}
	for _, batch := range batches {
		if err := b.insert(ctx, batch); err != nil {
			b.Rollback()
			return err
		}
	}
	return nil
}

// connect takes the connection of the Bulk's transactions, and creates its
// staging tables (SQLite).
func (b *Bulk) connect(ctx context.Context) error {
	conn, err := b.db.bulkConn(ctx)
	if err != nil {
		return err
	}
	b.conn = conn
	if b.NoForeignKeys {
		// Outside a transaction: SQLite ignores the pragma within one.
		if _, err := conn.ExecContext(ctx, "PRAGMA foreign_keys = OFF"); err != nil {
			b.Rollback()
			return err
		}
	}
	for _, st := range b.stages {
		// The same columns, in the same order, without constraints or
		// indexes: rows are appended. A pooled connection may hold one
		// from a load whose Rollback could not drop it.
		if _, err := conn.ExecContext(ctx, "DROP TABLE IF EXISTS "+st.name()+"; CREATE TABLE "+st.name()+" AS SELECT * FROM main."+st.table+" WHERE 0"); err != nil {
			b.Rollback()
			return fmt.Errorf("create the staging table of %s: %w", st.table, err)
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
	if err != nil {
		b.Rollback()
		return err
	}
	if len(b.stages) == 0 {
		b.db.releaseBulkConn(b.conn)
		b.conn = nil
	}
	return nil
}

// Rollback drops what is not committed, and whatever is staged; it does
// nothing after Commit without Stage, or after Unstage.
func (b *Bulk) Rollback() {
	if b.tx != nil {
		b.closeStmts()
		b.tx.Rollback()
		b.tx = nil
	}
	if b.conn == nil {
		return
	}
	for _, st := range b.stages {
		b.conn.ExecContext(context.Background(), "DROP TABLE IF EXISTS "+st.name())
	}
	b.db.releaseBulkConn(b.conn)
	b.conn = nil
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
	batch.Table = b.staged(batch.Table)
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
