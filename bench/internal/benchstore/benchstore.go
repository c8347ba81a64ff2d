// Package benchstore opens the registers the benchmark programs measure and
// fills them through Populus's real load path (internal/synth feeding
// register.Importer), reusing a register from an earlier run when it holds
// the requested population.
package benchstore

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"time"

	"github.com/populus-vn/populus/internal/db"
	"github.com/populus-vn/populus/internal/people"
	"github.com/populus-vn/populus/internal/register"
	"github.com/populus-vn/populus/internal/synth"
)

// DefaultPostgres is the test database of the development machine and CI.
const DefaultPostgres = "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"

// PostgresURL is the PostgreSQL URL from POPULUS_BENCH_POSTGRES, else the default.
func PostgresURL() string {
	if v := os.Getenv("POPULUS_BENCH_POSTGRES"); v != "" {
		return v
	}
	return DefaultPostgres
}

var schemaName = regexp.MustCompile(`^[a-z_][a-z0-9_]*$`)

// WithSearchPath adds search_path to a pgx URL.
func WithSearchPath(base, schema string) (string, error) {
	u, err := url.Parse(base)
	if err != nil {
		return "", err
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String(), nil
}

// OpenSQLite opens (creating it if needed) and migrates the SQLite store at path.
func OpenSQLite(ctx context.Context, path string) (*db.DB, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return nil, err
	}
	d, err := db.Open(ctx, "sqlite:"+path, "")
	if err != nil {
		return nil, err
	}
	if _, err := d.Migrate(ctx, register.Schema); err != nil {
		d.Close()
		return nil, err
	}
	return d, nil
}

// OpenPostgres opens and migrates a store in schema of the database at base,
// creating the schema if needed.
func OpenPostgres(ctx context.Context, base, schema string) (*db.DB, error) {
	if !schemaName.MatchString(schema) {
		return nil, fmt.Errorf("schema name %q: use lower-case letters, digits and _", schema)
	}
	admin, err := db.Open(ctx, base, "")
	if err != nil {
		return nil, err
	}
	_, err = admin.ExecContext(ctx, "CREATE SCHEMA IF NOT EXISTS "+schema)
	admin.Close()
	if err != nil {
		return nil, err
	}
	u, err := WithSearchPath(base, schema)
	if err != nil {
		return nil, err
	}
	d, err := db.Open(ctx, u, "")
	if err != nil {
		return nil, err
	}
	if _, err := d.Migrate(ctx, register.Schema); err != nil {
		d.Close()
		return nil, err
	}
	return d, nil
}

// SchemaTag is a short fingerprint of the register's migrations on the engine, part of the
// name of every kept register, so that a register made by an older schema is
// never reused.
func SchemaTag(e db.Engine) string {
	h := sha256.New()
	for _, s := range append(register.Schema.Requires, register.Schema) {
		ms, err := s.Migrations(e)
		if err != nil {
			return "unknown"
		}
		for _, m := range ms {
			h.Write([]byte(m.String()))
			h.Write([]byte(m.SQL))
		}
	}
	return hex.EncodeToString(h.Sum(nil))[:8]
}

// CountPeople returns the number of people in the register.
func CountPeople(ctx context.Context, d *db.DB) (int, error) {
	n, err := register.Count(ctx, d)
	return int(n), err
}

// Ensure makes d hold the synthetic population of people and seed: it does
// nothing when d already holds that many people, seeds an empty store, and
// refuses anything else.
func Ensure(ctx context.Context, d *db.DB, want int, seed uint64) error {
	have, err := CountPeople(ctx, d)
	if err != nil {
		return err
	}
	switch {
	case have == want:
		fmt.Printf("reusing the register of %d people in %s\n", have, d.Location)
		return nil
	case have != 0:
		return fmt.Errorf("%s holds %d people, not %d: remove it (or drop the schema) to seed again", d.Location, have, want)
	}
	fmt.Printf("seeding %d people into %s through synth.Generate → register.Importer…\n", want, d.Location)
	start := time.Now()
	im := register.NewImporter(d)
	defer im.Close()
	if err := im.Start(ctx); err != nil {
		return err
	}
	last := start
	err = synth.Generate(ctx, synth.Config{People: want, Seed: seed}, func(h *people.Household, members []people.Person) error {
		if err := im.Add(ctx, h, members); err != nil {
			return err
		}
		if time.Since(last) > 30*time.Second {
			last = time.Now()
			fmt.Printf("  %d people, %.0f s\n", im.Total(), time.Since(start).Seconds())
		}
		return nil
	})
	if err == nil {
		err = im.Finish(ctx)
	}
	if err != nil {
		return err
	}
	if d.Engine == db.Postgres {
		// What autovacuum does shortly after a bulk load anyway; done now so
		// that the measurement does not depend on when it runs. SQLite gets
		// no ANALYZE: `populus seed` runs none.
		if _, err := d.ExecContext(ctx, "ANALYZE persons"); err != nil {
			return err
		}
	}
	el := time.Since(start)
	fmt.Printf("seeded %d people in %.0f s (%.0f people/s)\n", im.Total(), el.Seconds(), float64(im.Total())/el.Seconds())
	return nil
}
