package db_test

import (
	"context"
	"database/sql"
	"errors"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/populus-vn/populus/internal/db"
	"github.com/populus-vn/populus/internal/db/dbtest"
	"github.com/populus-vn/populus/internal/register"
)

func TestMigrateIsIdempotent(t *testing.T) {
	dbtest.Engines(t, testSchemas, func(t *testing.T, d *db.DB) {
		applied, err := d.Migrate(context.Background(), testSchemas...)
		if err != nil {
			t.Fatal(err)
		}
		if len(applied) != 0 {
			t.Errorf("second Migrate applied %v", applied)
		}
		want := 1 // db's own
		for _, s := range append(register.Schema.Requires, register.Schema) {
			ms, err := s.Migrations(d.Engine)
			if err != nil {
				t.Fatal(err)
			}
			want += len(ms)
		}
		var n int
		d.QueryRow(`SELECT count(*) FROM schema_migrations`).Scan(&n)
		if n != want {
			t.Errorf("schema_migrations has %d rows, want %d", n, want)
		}
	})
}

func TestWriteBatchesAllOrNothing(t *testing.T) {
	dbtest.Engines(t, testSchemas, func(t *testing.T, d *db.DB) {
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
	dbtest.Engines(t, testSchemas, func(t *testing.T, d *db.DB) {
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
	dbtest.Engines(t, testSchemas, func(t *testing.T, d *db.DB) {
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
	dbtest.Engines(t, testSchemas, func(t *testing.T, d *db.DB) {
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
		if _, err := d.Migrate(ctx, testSchemas...); err != nil {
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
	d := dbtest.SQLite(t, testSchemas...)
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
	for range d.Stats().MaxOpenConnections { // every connection, the bulk one among them
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

// SQLite connections map the database file (mmap_size), so that reads of
// pages missing from the small page cache need no pread.
func TestSQLiteMapsTheFile(t *testing.T) {
	d := dbtest.SQLite(t, testSchemas...)
	var n int64
	if err := d.QueryRow(`PRAGMA mmap_size`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n < 1<<30 {
		t.Errorf("mmap_size is %d bytes, want the file mapped (at least 1 GiB allowed)", n)
	}
}

// TestSQLiteCheckpointsInTheBackground: a commit far below the commits'
// own checkpoint threshold (10,000 pages) still reaches the database file
// within a few of the checkpointer's ticks (100 ms): the store's
// goroutine checkpoints, not the writers.
func TestSQLiteCheckpointsInTheBackground(t *testing.T) {
	dir := t.TempDir()
	d, err := db.Open(context.Background(), "", dir)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	var pages int
	if err := d.QueryRow(`PRAGMA wal_autocheckpoint`).Scan(&pages); err != nil || pages < 10000 {
		t.Fatalf("wal_autocheckpoint = %d, %v: want the commits' checkpoints a backstop only", pages, err)
	}
	if _, err := d.Exec(`CREATE TABLE blobs (b BLOB)`); err != nil {
		t.Fatal(err)
	}
	// About 256 pages of log, far below the threshold.
	if _, err := d.Exec(`INSERT INTO blobs VALUES (randomblob(1 << 20))`); err != nil {
		t.Fatal(err)
	}
	main := filepath.Join(dir, "populus.db")
	deadline := time.Now().Add(3 * time.Second)
	for {
		fi, err := os.Stat(main)
		if err != nil {
			t.Fatal(err)
		}
		if fi.Size() >= 1<<20 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("3 s after the commit the database file holds %d bytes: the log was not checkpointed", fi.Size())
		}
		time.Sleep(20 * time.Millisecond)
	}
	// Close stops the checkpointer and may be called twice.
	if err := d.Close(); err != nil {
		t.Fatal(err)
	}
	if err := d.Close(); err != nil {
		t.Errorf("second Close = %v", err)
	}
}

// A SQLite store's files are its owner's alone, whatever the umask: the
// database file is created 0600 before SQLite opens it, and SQLite gives
// its -wal and -shm files the database file's mode.
func TestSQLiteFilesPrivate(t *testing.T) {
	old := syscall.Umask(0o022)
	defer syscall.Umask(old)
	dir := t.TempDir()
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	d, err := db.Open(context.Background(), "", dir)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	if _, err := d.Exec(`CREATE TABLE t (x INTEGER)`); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"populus.db", "populus.db-wal", "populus.db-shm"} {
		fi, err := os.Stat(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode().Perm() != 0o600 {
			t.Errorf("%s: mode %v, want 0600", name, fi.Mode().Perm())
		}
	}
}
