package db

import (
	"context"
	"database/sql"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
)

// Batch is a set of rows for one table, written by WriteBatches.
type Batch struct {
	Table   string
	Columns []string
	Rows    [][]any
}

// WriteBatches writes all batches in one transaction on the engine's fast
// path: COPY on PostgreSQL, multi-row prepared INSERTs on SQLite. Either all
// rows are stored or none.
func (db *DB) WriteBatches(ctx context.Context, batches ...Batch) error {
	if db.Engine == Postgres {
		return db.copyBatches(ctx, batches)
	}
	return db.InTx(ctx, func(tx *sql.Tx) error {
		for _, b := range batches {
			if err := insertRows(ctx, tx, b); err != nil {
				return err
			}
		}
		return nil
	})
}

// rowsPerInsert bounds one INSERT statement to stay under SQLite's limit of
// 32766 bound parameters while amortising the per-statement cost.
func rowsPerInsert(cols int) int {
	n := 32000 / cols
	if n > 256 {
		n = 256
	}
	return n
}

func insertSQL(b Batch, rows int) string {
	var s strings.Builder
	s.WriteString("INSERT INTO ")
	s.WriteString(b.Table)
	s.WriteString(" (")
	s.WriteString(strings.Join(b.Columns, ", "))
	s.WriteString(") VALUES ")
	// Anonymous ? parameters: SQLite looks a named one ($n) up by a linear
	// scan, which makes a statement with thousands of them quadratic.
	row := "(?" + strings.Repeat(",?", len(b.Columns)-1) + ")"
	for r := 0; r < rows; r++ {
		if r > 0 {
			s.WriteByte(',')
		}
		s.WriteString(row)
	}
	return s.String()
}

func insertRows(ctx context.Context, tx *sql.Tx, b Batch) error {
	if len(b.Rows) == 0 {
		return nil
	}
	per := rowsPerInsert(len(b.Columns))
	var full *sql.Stmt
	args := make([]any, 0, per*len(b.Columns))
	for start := 0; start < len(b.Rows); start += per {
		end := min(start+per, len(b.Rows))
		args = args[:0]
		for _, row := range b.Rows[start:end] {
			if len(row) != len(b.Columns) {
				return fmt.Errorf("%s: row has %d values for %d columns", b.Table, len(row), len(b.Columns))
			}
			args = append(args, row...)
		}
		var err error
		if end-start == per {
			if full == nil {
				if full, err = tx.PrepareContext(ctx, insertSQL(b, per)); err != nil {
					return fmt.Errorf("prepare insert into %s: %w", b.Table, err)
				}
				defer full.Close()
			}
			_, err = full.ExecContext(ctx, args...)
		} else {
			_, err = tx.ExecContext(ctx, insertSQL(b, end-start), args...)
		}
		if err != nil {
			return fmt.Errorf("insert into %s: %w", b.Table, err)
		}
	}
	return nil
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
