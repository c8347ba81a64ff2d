package db_test

import (
	"context"
	"database/sql"
	"errors"
	"testing"
	"time"

	"github.com/populus-vn/populus/internal/db"
	"github.com/populus-vn/populus/internal/db/dbtest"
)

func TestMigrateIsIdempotent(t *testing.T) {
	dbtest.Engines(t, func(t *testing.T, d *db.DB) {
		applied, err := d.Migrate(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if len(applied) != 0 {
			t.Errorf("second Migrate applied %v", applied)
		}
		ms, _ := db.Migrations(d.Engine)
		var n int
		d.QueryRow(`SELECT count(*) FROM schema_migrations`).Scan(&n)
		if n != len(ms) {
			t.Errorf("schema_migrations has %d rows, want %d", n, len(ms))
		}
	})
}

func TestEnginesHaveTheSameMigrations(t *testing.T) {
	a, _ := db.Migrations(db.SQLite)
	b, _ := db.Migrations(db.Postgres)
	if len(a) != len(b) {
		t.Fatalf("sqlite has %d migrations, postgres %d", len(a), len(b))
	}
	for i := range a {
		if a[i].Name != b[i].Name {
			t.Errorf("migration %d: %s vs %s", i+1, a[i].Name, b[i].Name)
		}
	}
}

func TestWriteBatchesAllOrNothing(t *testing.T) {
	dbtest.Engines(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		hh := db.Batch{Table: "households", Columns: []string{"id", "unit_code", "address", "created_at"}}
		for i := 0; i < 1000; i++ {
			hh.Rows = append(hh.Rows, []any{string(rune('A'+i%26)) + string(rune('0'+i/26%10)) + string(rune('a'+i/260)), "00004", "", "2025-01-01T00:00:00.000000Z"})
		}
		if err := d.WriteBatches(ctx, hh); err != nil {
			t.Fatal(err)
		}
		var n int
		d.QueryRow(`SELECT count(*) FROM households`).Scan(&n)
		if n != 1000 {
			t.Fatalf("stored %d households, want 1000", n)
		}
		// A duplicate key in the second batch must roll the first back.
		fresh := db.Batch{Table: hh.Table, Columns: hh.Columns, Rows: [][]any{{"NEW1", "00004", "", "x"}}}
		dup := db.Batch{Table: hh.Table, Columns: hh.Columns, Rows: [][]any{hh.Rows[0]}}
		err := d.WriteBatches(ctx, fresh, dup)
		if err == nil || !db.IsUniqueViolation(errors.Unwrap(err)) && !db.IsUniqueViolation(err) {
			t.Fatalf("duplicate write: err = %v, want a unique violation", err)
		}
		d.QueryRow(`SELECT count(*) FROM households WHERE id = 'NEW1'`).Scan(&n)
		if n != 0 {
			t.Error("a failed batch left a row behind")
		}
	})
}

func TestHistoryIsAppendOnly(t *testing.T) {
	dbtest.Engines(t, func(t *testing.T, d *db.DB) {
		_, err := d.Exec(`INSERT INTO person_events (pin, version, kind, event_id, recorded_at, actor, changes) VALUES ('001090000001', 1, 'birth', 'e1', 'now', 'x', '{}')`)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := d.Exec(`UPDATE person_events SET actor = 'y'`); err == nil {
			t.Error("UPDATE of person_events succeeded")
		}
		if _, err := d.Exec(`DELETE FROM person_events`); err == nil {
			t.Error("DELETE of person_events succeeded")
		}
	})
}

func TestDeferredIndexesAreRestored(t *testing.T) {
	dbtest.Engines(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		count := func() int {
			q := `SELECT count(*) FROM sqlite_master WHERE type = 'index' AND tbl_name = 'persons' AND sql IS NOT NULL`
			if d.Engine == db.Postgres {
				q = `SELECT count(*) FROM pg_indexes WHERE tablename = 'persons' AND schemaname = current_schema() AND indexname <> 'persons_pkey'`
			}
			var n int
			if err := d.QueryRow(q).Scan(&n); err != nil {
				t.Fatal(err)
			}
			return n
		}
		before := count()
		if before == 0 {
			t.Fatal("persons has no secondary index to defer")
		}
		ok, err := d.DeferIndexes(ctx, "persons", "households")
		if err != nil || !ok {
			t.Fatalf("DeferIndexes = %v, %v", ok, err)
		}
		if n := count(); n != 0 {
			t.Fatalf("%d indexes left after deferring", n)
		}
		// A load interrupted here is repaired by the next Migrate.
		if _, err := d.Migrate(ctx); err != nil {
			t.Fatal(err)
		}
		if n := count(); n != before {
			t.Fatalf("%d indexes after restore, want %d", n, before)
		}
		// Non-empty tables keep their indexes.
		d.Exec(`INSERT INTO households (id, unit_code, address, created_at) VALUES ('H1', '00004', '', 'x')`)
		if ok, err := d.DeferIndexes(ctx, "persons", "households"); ok || err != nil {
			t.Errorf("deferred on a non-empty table: %v %v", ok, err)
		}
	})
}

// A bulk load without foreign keys leaves no pooled connection without
// them, nor with the bulk page cache.
func TestBulkConnectionIsReset(t *testing.T) {
	d := dbtest.SQLite(t)
	ctx := context.Background()
	b := d.NewBulk()
	b.NoForeignKeys = true
	err := b.Write(ctx, db.Batch{Table: "households", Columns: []string{"id", "unit_code", "address", "created_at"},
		Rows: [][]any{{"H1", "00004", "", db.FormatTime(time.Now())}}})
	if err == nil {
		err = b.Commit()
	}
	if err != nil {
		t.Fatal(err)
	}
	var conns []*sql.Conn
	defer func() {
		for _, c := range conns {
			c.Close()
		}
	}()
	for range 8 { // the pool's size: every connection, the bulk one among them
		c, err := d.Conn(ctx)
		if err != nil {
			t.Fatal(err)
		}
		conns = append(conns, c)
		var fk, cache int
		if err := c.QueryRowContext(ctx, "PRAGMA foreign_keys").Scan(&fk); err != nil {
			t.Fatal(err)
		}
		if err := c.QueryRowContext(ctx, "PRAGMA cache_size").Scan(&cache); err != nil {
			t.Fatal(err)
		}
		if fk != 1 || cache != -1024 {
			t.Errorf("connection %d: foreign_keys %d, cache_size %d", len(conns), fk, cache)
		}
	}
}
