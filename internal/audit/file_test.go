package audit

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/populus-vn/populus/internal/db"
)

// TestAuditFile: on SQLite the audit tables live in their own file, attached
// to every connection, and migration 0003 moves existing entries there.
func TestAuditFile(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	d, err := db.Open(ctx, "", dir)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	if _, err := d.MigrateTo(ctx, Schema, 2); err != nil {
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
	if _, err := d.MigrateTo(ctx, Schema, 3); err != nil {
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
		if want := Path(filepath.Join(dir, "populus.db")); file != want {
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
		t.Errorf("after 0003: %d audit objects left in main, %d entries, %d indexed, indexed_upto %d; want 0, 3, 2, 2", inMain, inAudit, indexed, upto)
	}
	if _, err := d.Exec(`DELETE FROM audit_log`); err == nil {
		t.Error("the moved audit_log accepts DELETE")
	}
	if _, err := d.Exec(`UPDATE audit_subjects SET subject = 'x'`); err == nil {
		t.Error("the moved audit_subjects accepts UPDATE")
	}
	// The audit file is its owner's alone, as the register's is.
	if fi, err := os.Stat(Path(filepath.Join(dir, "populus.db"))); err != nil {
		t.Error(err)
	} else if fi.Mode().Perm() != 0o600 {
		t.Errorf("the audit file: mode %v, want 0600", fi.Mode().Perm())
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
	if _, err := d.Migrate(ctx, Schema); err != nil {
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
