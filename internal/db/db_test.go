package db_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
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

// A blank column binds an empty string as NULL and stores ”; a cancelled
// load stops and stores nothing.
func TestWriteBatchesBlankAndCancel(t *testing.T) {
	dbtest.Engines(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		hh := db.Batch{Table: "households", Columns: []string{"id", "unit_code", "address", "created_at"}, Blank: []string{"address"},
			Rows: [][]any{{"B1", "00004", "", "2025-01-01T00:00:00.000000Z"}, {"B2", "00004", "Số 2", "2025-01-01T00:00:00.000000Z"}}}
		if err := d.WriteBatches(ctx, hh); err != nil {
			t.Fatal(err)
		}
		var addr string
		var nulls int
		d.QueryRow(`SELECT (SELECT address FROM households WHERE id = 'B1') || '|' || (SELECT address FROM households WHERE id = 'B2'),
			(SELECT count(*) FROM households WHERE address IS NULL)`).Scan(&addr, &nulls)
		if addr != "|Số 2" || nulls != 0 {
			t.Fatalf("addresses %q with %d NULL, want \"|Số 2\" and none", addr, nulls)
		}
		cancelled, cancel := context.WithCancel(ctx)
		cancel()
		more := db.Batch{Table: hh.Table, Columns: hh.Columns, Rows: [][]any{{"C1", "00004", "", "x"}}}
		if err := d.WriteBatches(cancelled, more); !errors.Is(err, context.Canceled) {
			t.Fatalf("write with a cancelled context: %v, want context.Canceled", err)
		}
		var n int
		d.QueryRow(`SELECT count(*) FROM households WHERE id = 'C1'`).Scan(&n)
		if n != 0 {
			t.Error("a cancelled write stored its row")
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

// TestAuditFile: on SQLite the audit tables live in their own file, attached
// to every connection, and migration 0007 moves existing entries there.
func TestAuditFile(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	d, err := db.Open(ctx, "", dir)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	if _, err := d.MigrateTo(ctx, 6); err != nil {
		t.Fatal(err)
	}
	for i := 1; i <= 3; i++ {
		if _, err := d.Exec(`INSERT INTO audit_log (at, actor, action, subject, outcome) VALUES ('2026-01-01T00:00:00Z', 'staff:a', 'person.read', $1, 'ok')`, fmt.Sprint(i)); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := d.Exec(`INSERT INTO audit_subjects SELECT subject, id FROM audit_log WHERE id <= 2`); err != nil {
		t.Fatal(err)
	}
	if _, err := d.Exec(`UPDATE audit_index_state SET indexed_upto = 2`); err != nil {
		t.Fatal(err)
	}
	if _, err := d.MigrateTo(ctx, 7); err != nil {
		t.Fatal(err)
	}
	// Every pooled connection sees the audit file under the schema "audit".
	conns := make([]*sql.Conn, 3)
	for i := range conns {
		if conns[i], err = d.Conn(ctx); err != nil {
			t.Fatal(err)
		}
		defer conns[i].Close()
		var file string
		if err := conns[i].QueryRowContext(ctx, `SELECT file FROM pragma_database_list WHERE name = 'audit'`).Scan(&file); err != nil {
			t.Fatal(err)
		}
		if want := db.AuditPath(filepath.Join(dir, "populus.db")); file != want {
			t.Fatalf("connection %d: audit file %q, want %q", i, file, want)
		}
		var mode string
		conns[i].QueryRowContext(ctx, `PRAGMA audit.journal_mode`).Scan(&mode)
		if mode != "wal" {
			t.Errorf("audit journal mode %q, want wal", mode)
		}
	}
	var inMain, inAudit, indexed, upto int
	d.QueryRow(`SELECT count(*) FROM main.sqlite_master WHERE name LIKE 'audit%'`).Scan(&inMain)
	d.QueryRow(`SELECT count(*) FROM audit.audit_log`).Scan(&inAudit)
	d.QueryRow(`SELECT count(*) FROM audit.audit_subjects`).Scan(&indexed)
	d.QueryRow(`SELECT indexed_upto FROM audit.audit_index_state`).Scan(&upto)
	if inMain != 0 || inAudit != 3 || indexed != 2 || upto != 2 {
		t.Errorf("after 0007: %d audit objects left in main, %d entries, %d indexed, indexed_upto %d; want 0, 3, 2, 2", inMain, inAudit, indexed, upto)
	}
	if _, err := d.Exec(`DELETE FROM audit_log`); err == nil {
		t.Error("the moved audit_log accepts DELETE")
	}
	if _, err := d.Exec(`UPDATE audit_subjects SET subject = 'x'`); err == nil {
		t.Error("the moved audit_subjects accepts UPDATE")
	}
}

// A data directory whose name holds the characters of a URI (?, #, %) is
// used as named, the audit file beside the register's.
func TestOddDataDirectory(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "dữ liệu ?x=1 #2 50%25")
	ctx := context.Background()
	d, err := db.Open(ctx, "", dir)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := d.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := d.ExecContext(ctx, `INSERT INTO audit_log (at, actor, action, outcome) VALUES ('2026-11-23T00:00:00.000000Z', 'a', 'read', 'ok')`); err != nil {
		t.Fatal(err)
	}
	d.Close()
	for _, f := range []string{"populus.db", "populus-audit.db"} {
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			t.Errorf("%s: %v", f, err)
		}
	}
	entries, _ := os.ReadDir(filepath.Dir(dir))
	if len(entries) != 1 {
		var names []string
		for _, e := range entries {
			names = append(names, e.Name())
		}
		t.Errorf("files beside the data directory: %q", names)
	}
}
