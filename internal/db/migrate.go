package db

import (
	"context"
	"database/sql"
	"embed"
	"fmt"
	"io/fs"
	"sort"
	"strconv"
	"strings"
	"time"
)

//go:embed migrations
var migrationFS embed.FS

// Migration is one numbered schema change.
type Migration struct {
	Version int
	Name    string
	SQL     string
}

// Migrations returns the ordered migrations for the engine.
func Migrations(e Engine) ([]Migration, error) {
	dir := "migrations/" + string(e)
	entries, err := fs.ReadDir(migrationFS, dir)
	if err != nil {
		return nil, err
	}
	var ms []Migration
	for _, ent := range entries {
		name := ent.Name()
		num, _, ok := strings.Cut(name, "_")
		v, err := strconv.Atoi(num)
		if !ok || err != nil || !strings.HasSuffix(name, ".sql") {
			return nil, fmt.Errorf("migration file %s is not NNNN_name.sql", name)
		}
		b, err := migrationFS.ReadFile(dir + "/" + name)
		if err != nil {
			return nil, err
		}
		ms = append(ms, Migration{Version: v, Name: strings.TrimSuffix(name, ".sql"), SQL: string(b)})
	}
	sort.Slice(ms, func(i, j int) bool { return ms[i].Version < ms[j].Version })
	for i, m := range ms {
		if m.Version != i+1 {
			return nil, fmt.Errorf("migration %s: expected version %d", m.Name, i+1)
		}
	}
	return ms, nil
}

// Migrate applies every migration not yet applied, each in its own
// transaction, and returns the names of those it applied.
func (db *DB) Migrate(ctx context.Context) ([]string, error) { return db.MigrateTo(ctx, 0) }

// MigrateTo applies the migrations not yet applied up to version upto (all
// when upto is 0): tests use it to build a store as an older release left it.
func (db *DB) MigrateTo(ctx context.Context, upto int) ([]string, error) {
	if _, err := db.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
		version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)`); err != nil {
		return nil, fmt.Errorf("create schema_migrations: %w", err)
	}
	ms, err := Migrations(db.Engine)
	if err != nil {
		return nil, err
	}
	var applied []string
	for _, m := range ms {
		if upto > 0 && m.Version > upto {
			break
		}
		err := db.InTx(ctx, func(tx *sql.Tx) error {
			if db.Engine == Postgres {
				// Serialise concurrent starters on the same database.
				if _, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock(4242064)`); err != nil {
					return err
				}
			}
			var n int
			if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM schema_migrations WHERE version = $1`, m.Version).Scan(&n); err != nil {
				return err
			}
			if n > 0 {
				return nil
			}
			if _, err := tx.ExecContext(ctx, m.SQL); err != nil {
				return fmt.Errorf("migration %s: %w", m.Name, err)
			}
			if _, err := tx.ExecContext(ctx, `INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)`,
				m.Version, m.Name, FormatTime(time.Now())); err != nil {
				return err
			}
			applied = append(applied, m.Name)
			return nil
		})
		if err != nil {
			return applied, err
		}
	}
	return applied, db.RestoreIndexes(ctx)
}
