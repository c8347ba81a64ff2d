// Package dbtest gives store tests every engine to run on: SQLite always, and
// PostgreSQL when POPULUS_TEST_POSTGRES holds a URL. A test that asks for
// PostgreSQL fails, never skips, when the variable is set but the server
// cannot be reached.
package dbtest

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"net/url"
	"os"
	"testing"

	"github.com/populus-vn/populus/internal/db"
)

// EnvPostgres names the variable that switches PostgreSQL tests on.
const EnvPostgres = "POPULUS_TEST_POSTGRES"

// Engines runs fn once per available engine as a subtest, each with a fresh
// store migrated with schemas (and what they require), otherwise empty.
func Engines(t *testing.T, schemas []*db.Schema, fn func(t *testing.T, d *db.DB)) {
	t.Helper()
	t.Run("sqlite", func(t *testing.T) { fn(t, SQLite(t, schemas...)) })
	if os.Getenv(EnvPostgres) == "" {
		t.Logf("PostgreSQL variant skipped: set %s=postgres://… to run it", EnvPostgres)
		return
	}
	t.Run("postgres", func(t *testing.T) { fn(t, Postgres(t, schemas...)) })
}

// Fresh returns a new, empty, unmigrated store on engine e: SQLite in a
// temporary directory, PostgreSQL as for Postgres.
func Fresh(t testing.TB, e db.Engine) *db.DB {
	t.Helper()
	if e == db.Postgres {
		return freshPostgres(t)
	}
	d, err := db.Open(context.Background(), "", t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	return d
}

// migrate applies schemas to d, failing the test on error.
func migrate(t testing.TB, d *db.DB, schemas []*db.Schema) *db.DB {
	t.Helper()
	if _, err := d.Migrate(context.Background(), schemas...); err != nil {
		t.Fatal(err)
	}
	return d
}

// SQLite returns a fresh SQLite store in a temporary directory, migrated
// with schemas.
func SQLite(t testing.TB, schemas ...*db.Schema) *db.DB {
	t.Helper()
	return migrate(t, Fresh(t, db.SQLite), schemas)
}

// Postgres returns a fresh store in a new schema of the database named by
// POPULUS_TEST_POSTGRES, dropped when the test ends, migrated with schemas.
// It skips when the variable is unset and fails when the server is
// unreachable.
func Postgres(t testing.TB, schemas ...*db.Schema) *db.DB {
	t.Helper()
	return migrate(t, freshPostgres(t), schemas)
}

func freshPostgres(t testing.TB) *db.DB {
	t.Helper()
	base := os.Getenv(EnvPostgres)
	if base == "" {
		t.Skipf("PostgreSQL test skipped: set %s=postgres://… to run it", EnvPostgres)
	}
	ctx := context.Background()
	admin, err := sql.Open("pgx", base)
	if err != nil {
		t.Fatalf("%s: %v", EnvPostgres, err)
	}
	defer admin.Close()
	if err := admin.PingContext(ctx); err != nil {
		t.Fatalf("%s is set but PostgreSQL is unreachable: %v", EnvPostgres, err)
	}
	b := make([]byte, 6)
	rand.Read(b)
	schema := "t_" + hex.EncodeToString(b)
	if _, err := admin.ExecContext(ctx, "CREATE SCHEMA "+schema); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		a, err := sql.Open("pgx", base)
		if err == nil {
			a.ExecContext(context.Background(), "DROP SCHEMA "+schema+" CASCADE")
			a.Close()
		}
	})
	u, err := url.Parse(base)
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	d, err := db.Open(ctx, u.String(), "")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	return d
}
