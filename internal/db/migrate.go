package db

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Schema is the tables of one capability: its migrations, numbered on their
// own, and the schemas it needs before it. A capability declares one, with
// its migrations embedded beside its code:
//
//	//go:embed migrations
//	var migrations embed.FS
//
//	var Schema = &db.Schema{Name: "register", FS: migrations, Requires: []*db.Schema{audit.Schema}}
//
// FS holds migrations/sqlite/NNNN_name.sql and migrations/postgres/NNNN_name.sql.
// A version is one change on both engines: where both have file NNNN, its
// name is the same. An engine that needs nothing for a change has no file of
// that number (no placeholder); every version from 1 to the last exists on
// at least one engine. That the engines end with the same tables, columns
// and indexes, but for the differences declared with their reasons, is what
// the schema parity test (cmd/populus) checks.
type Schema struct {
	// Name is the capability, the source of its rows in schema_migrations.
	Name string
	FS   fs.FS
	// Requires are the schemas whose tables this one's migrations or
	// queries use; Migrate applies them first.
	Requires []*Schema
	// Legacy maps a version of the single numbering that every migration
	// shared before they were per capability (schema_migrations without a
	// source, versions 1 to 9) to the version of this schema that is the
	// same change, so that a store migrated then is not migrated again.
	Legacy map[int]int
}

// Migration is one numbered schema change of a capability.
type Migration struct {
	Source  string // the Schema's Name
	Version int
	Name    string // the file name without .sql: 0003_persons_keyed_by_pin
	SQL     string
}

func (m Migration) String() string { return m.Source + "/" + m.Name }

// Migrations returns the schema's migrations for the engine, by version. It
// fails unless both engines' files are well formed and numbered as Schema
// says.
func (s *Schema) Migrations(e Engine) ([]Migration, error) {
	byEngine := map[Engine][]Migration{}
	for _, eng := range []Engine{SQLite, Postgres} {
		dir := "migrations/" + string(eng)
		entries, err := fs.ReadDir(s.FS, dir)
		if err != nil && !errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("schema %s: %w", s.Name, err)
		}
		for _, ent := range entries {
			name := ent.Name()
			num, _, ok := strings.Cut(name, "_")
			v, err := strconv.Atoi(num)
			if !ok || err != nil || v < 1 || len(num) != 4 || !strings.HasSuffix(name, ".sql") {
				return nil, fmt.Errorf("schema %s: migration file %s/%s is not NNNN_name.sql", s.Name, eng, name)
			}
			b, err := fs.ReadFile(s.FS, dir+"/"+name)
			if err != nil {
				return nil, err
			}
			byEngine[eng] = append(byEngine[eng], Migration{Source: s.Name, Version: v, Name: strings.TrimSuffix(name, ".sql"), SQL: string(b)})
		}
	}
	names := map[int]string{}
	for eng, ms := range byEngine {
		for i, m := range ms { // fs.ReadDir sorts by name
			if i > 0 && ms[i-1].Version == m.Version {
				return nil, fmt.Errorf("schema %s: %s has two migrations %d", s.Name, eng, m.Version)
			}
			if other, ok := names[m.Version]; ok && other != m.Name {
				return nil, fmt.Errorf("schema %s: migration %d is %s on one engine and %s on the other", s.Name, m.Version, other, m.Name)
			}
			names[m.Version] = m.Name
		}
	}
	for v := 1; v <= len(names); v++ {
		if _, ok := names[v]; !ok {
			return nil, fmt.Errorf("schema %s: no migration %d on either engine", s.Name, v)
		}
	}
	return byEngine[e], nil
}

//go:embed migrations
var coreFS embed.FS

// core is the package's own tables (deferred_indexes), applied before any
// capability's.
var core = &Schema{Name: "db", FS: coreFS, Legacy: map[int]int{3: 1}}

// legacySource is the source of the rows that the single numbering recorded,
// kept when schema_migrations is converted (see Schema.Legacy).
const legacySource = "legacy"

// Migrate applies the migrations not yet applied of every schema, in the
// order given, each schema's requirements before it, and each migration in
// its own transaction; it returns those it applied. A store migrated before
// migrations were per capability is converted first, applying nothing again.
func (db *DB) Migrate(ctx context.Context, schemas ...*Schema) ([]Migration, error) {
	return db.migrate(ctx, schemas, nil, 0)
}

// MigrateTo is Migrate of s, its requirements in full and s only up to
// version upto: tests use it to build a store as an older release left it.
func (db *DB) MigrateTo(ctx context.Context, s *Schema, upto int) ([]Migration, error) {
	return db.migrate(ctx, []*Schema{s}, s, upto)
}

func (db *DB) migrate(ctx context.Context, schemas []*Schema, partial *Schema, upto int) ([]Migration, error) {
	ordered, err := order(append([]*Schema{core}, schemas...))
	if err != nil {
		return nil, err
	}
	if err := db.bookkeeping(ctx); err != nil {
		return nil, err
	}
	var applied []Migration
	for _, s := range ordered {
		ms, err := s.Migrations(db.Engine)
		if err != nil {
			return applied, err
		}
		if err := db.adoptLegacy(ctx, s, ms); err != nil {
			return applied, err
		}
		for _, m := range ms {
			if s == partial && m.Version > upto {
				break
			}
			ok, err := db.apply(ctx, m)
			if err != nil {
				return applied, err
			}
			if ok {
				applied = append(applied, m)
			}
		}
	}
	return applied, db.RestoreIndexes(ctx)
}

// order lists the schemas with each one's requirements before it, each once.
func order(schemas []*Schema) ([]*Schema, error) {
	var out []*Schema
	names := map[string]*Schema{}
	visiting := map[*Schema]bool{}
	var visit func(s *Schema) error
	visit = func(s *Schema) error {
		if slices.Contains(out, s) {
			return nil
		}
		if visiting[s] {
			return fmt.Errorf("schema %s requires itself", s.Name)
		}
		if other := names[s.Name]; other != nil && other != s || s.Name == legacySource || s.Name == "" {
			return fmt.Errorf("schema name %q is taken", s.Name)
		}
		names[s.Name] = s
		visiting[s] = true
		for _, r := range s.Requires {
			if err := visit(r); err != nil {
				return err
			}
		}
		visiting[s] = false
		out = append(out, s)
		return nil
	}
	for _, s := range schemas {
		if err := visit(s); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// lock serialises concurrent starters on the same PostgreSQL database until
// tx ends (SQLite's transactions take the write lock at BEGIN).
func (db *DB) lock(ctx context.Context, tx *sql.Tx) error {
	if db.Engine != Postgres {
		return nil
	}
	_, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock(4242064)`)
	return err
}

const createSchemaMigrations = `CREATE TABLE IF NOT EXISTS schema_migrations (
	source      TEXT NOT NULL,
	version     INTEGER NOT NULL,
	name        TEXT NOT NULL,
	applied_at  TEXT NOT NULL,
	PRIMARY KEY (source, version))`

// bookkeeping creates schema_migrations, or converts the table of the single
// numbering (version, name, applied_at): its rows are kept with the source
// "legacy", and each schema adopts those of its Legacy versions.
func (db *DB) bookkeeping(ctx context.Context) error {
	return db.InTx(ctx, func(tx *sql.Tx) error {
		if err := db.lock(ctx, tx); err != nil {
			return err
		}
		q := `SELECT name FROM pragma_table_info('schema_migrations')`
		if db.Engine == Postgres {
			q = `SELECT column_name FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = 'schema_migrations'`
		}
		rows, err := tx.QueryContext(ctx, q)
		cols, err := Collect(rows, err, func(s Scanner) (c string, err error) { err = s.Scan(&c); return c, err })
		if err != nil {
			return fmt.Errorf("read schema_migrations: %w", err)
		}
		if len(cols) > 0 && !slices.Contains(cols, "source") {
			type row struct {
				version    int
				name, when string
			}
			rows, err := tx.QueryContext(ctx, `SELECT version, name, applied_at FROM schema_migrations ORDER BY version`)
			old, err := Collect(rows, err, func(s Scanner) (r row, err error) { err = s.Scan(&r.version, &r.name, &r.when); return r, err })
			if err != nil {
				return fmt.Errorf("read the old schema_migrations: %w", err)
			}
			if _, err := tx.ExecContext(ctx, `DROP TABLE schema_migrations`); err != nil {
				return err
			}
			if _, err := tx.ExecContext(ctx, createSchemaMigrations); err != nil {
				return err
			}
			for _, r := range old {
				if _, err := tx.ExecContext(ctx, `INSERT INTO schema_migrations (source, version, name, applied_at) VALUES ($1, $2, $3, $4)`,
					legacySource, r.version, r.name, r.when); err != nil {
					return err
				}
			}
			return nil
		}
		if _, err := tx.ExecContext(ctx, createSchemaMigrations); err != nil {
			return fmt.Errorf("create schema_migrations: %w", err)
		}
		return nil
	})
}

// adoptLegacy records as applied the migrations of s that the single
// numbering applied, with the time it applied them.
func (db *DB) adoptLegacy(ctx context.Context, s *Schema, ms []Migration) error {
	if len(s.Legacy) == 0 {
		return nil
	}
	var n int
	if err := db.QueryRowContext(ctx, `SELECT count(*) FROM schema_migrations WHERE source = $1`, legacySource).Scan(&n); err != nil || n == 0 {
		return err
	}
	return db.InTx(ctx, func(tx *sql.Tx) error {
		if err := db.lock(ctx, tx); err != nil {
			return err
		}
		for _, m := range ms {
			for old, v := range s.Legacy {
				if v != m.Version {
					continue
				}
				if _, err := tx.ExecContext(ctx, `INSERT INTO schema_migrations (source, version, name, applied_at)
					SELECT $1, CAST($2 AS INTEGER), $3, applied_at FROM schema_migrations WHERE source = $4 AND version = $5
					AND NOT EXISTS (SELECT 1 FROM schema_migrations WHERE source = $1 AND version = $2)`,
					m.Source, m.Version, m.Name, legacySource, old); err != nil {
					return fmt.Errorf("adopt migration %d of the single numbering as %s: %w", old, m, err)
				}
			}
		}
		return nil
	})
}

// apply applies m in a transaction of its own unless it is applied, and
// reports whether it applied it.
func (db *DB) apply(ctx context.Context, m Migration) (bool, error) {
	done := false
	err := db.InTx(ctx, func(tx *sql.Tx) error {
		if err := db.lock(ctx, tx); err != nil {
			return err
		}
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM schema_migrations WHERE source = $1 AND version = $2`, m.Source, m.Version).Scan(&n); err != nil {
			return err
		}
		if n > 0 {
			return nil
		}
		if _, err := tx.ExecContext(ctx, m.SQL); err != nil {
			return fmt.Errorf("migration %s: %w", m, err)
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO schema_migrations (source, version, name, applied_at) VALUES ($1, $2, $3, $4)`,
			m.Source, m.Version, m.Name, FormatTime(time.Now())); err != nil {
			return err
		}
		done = true
		return nil
	})
	return done, err
}
