package db

import (
	"context"
	"database/sql"
	"fmt"
)

// DeferIndexes drops the secondary indexes of tables, recording their
// definitions in deferred_indexes, so that a bulk load into empty tables
// appends rows without maintaining indexes; RestoreIndexes builds them
// again, from sorted data, which is several times faster than keeping them
// up to date row by row. Primary keys stay. It does nothing and returns
// false unless every table is empty.
func (db *DB) DeferIndexes(ctx context.Context, tables ...string) (bool, error) {
	deferred := false
	err := db.InTx(ctx, func(tx *sql.Tx) error {
		for _, t := range tables {
			var any int
			err := tx.QueryRowContext(ctx, "SELECT count(*) FROM (SELECT 1 FROM "+t+" LIMIT 1) x").Scan(&any)
			if err != nil {
				return err
			}
			if any > 0 {
				return nil
			}
		}
		for _, t := range tables {
			idx, err := secondaryIndexes(ctx, tx, db.Engine, t)
			if err != nil {
				return err
			}
			for _, ix := range idx {
				if _, err := tx.ExecContext(ctx, `INSERT INTO deferred_indexes (name, table_name, definition) VALUES ($1, $2, $3)`, ix.name, t, ix.def); err != nil {
					return err
				}
				if _, err := tx.ExecContext(ctx, "DROP INDEX "+ix.name); err != nil {
					return err
				}
			}
		}
		deferred = true
		return nil
	})
	return deferred, err
}

// RestoreIndexes builds every index that DeferIndexes dropped. Migrate calls
// it, so a bulk load that was interrupted leaves no table without its
// indexes after the next start.
func (db *DB) RestoreIndexes(ctx context.Context) error {
	rows, err := db.QueryContext(ctx, `SELECT name, definition FROM deferred_indexes ORDER BY name`)
	if err != nil {
		return err
	}
	var idx []index
	for rows.Next() {
		var ix index
		if err := rows.Scan(&ix.name, &ix.def); err != nil {
			rows.Close()
			return err
		}
		idx = append(idx, ix)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	if len(idx) == 0 {
		return nil
	}
	build := func(tx *sql.Tx, ix index) error {
		if _, err := tx.ExecContext(ctx, ix.def); err != nil {
			return fmt.Errorf("build index %s: %w", ix.name, err)
		}
		_, err := tx.ExecContext(ctx, `DELETE FROM deferred_indexes WHERE name = $1`, ix.name)
		return err
	}
	if db.Engine == Postgres {
		for _, ix := range idx {
			if err := db.InTx(ctx, func(tx *sql.Tx) error { return build(tx, ix) }); err != nil {
				return err
			}
		}
		return nil
	}
	// SQLite sorts the keys of an index within the connection's page cache
	// before it spills to a temporary file: the bulk connection's.
	conn, err := db.bulkConn(ctx)
	if err != nil {
		return err
	}
	defer db.releaseBulkConn(conn)
	for _, ix := range idx {
		tx, err := conn.BeginTx(ctx, nil)
		if err != nil {
			return err
		}
		if err := build(tx, ix); err != nil {
			tx.Rollback()
			return err
		}
		if err := tx.Commit(); err != nil {
			return err
		}
	}
	return nil
}

type index struct{ name, def string }

func secondaryIndexes(ctx context.Context, tx *sql.Tx, e Engine, table string) ([]index, error) {
	q := `SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = $1 AND sql IS NOT NULL ORDER BY name`
	if e == Postgres {
		q = `SELECT i.indexname, i.indexdef FROM pg_indexes i
			JOIN pg_index x ON x.indexrelid = (quote_ident(i.schemaname) || '.' || quote_ident(i.indexname))::regclass
			WHERE i.tablename = $1 AND i.schemaname = current_schema() AND NOT x.indisprimary ORDER BY i.indexname`
	}
	rows, err := tx.QueryContext(ctx, q, table)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []index
	for rows.Next() {
		var ix index
		if err := rows.Scan(&ix.name, &ix.def); err != nil {
			return nil, err
		}
		out = append(out, ix)
	}
	return out, rows.Err()
}
