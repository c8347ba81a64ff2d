package main

import (
	"bytes"
	"context"
	"strconv"
	"strings"
	"testing"

	"github.com/populus-vn/populus/internal/audit"
	"github.com/populus-vn/populus/internal/db"
)

// populus audit verify passes on an intact log, and after an entry is
// altered exits with an error naming it.
func TestAuditVerifyCommand(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	d, err := db.Open(ctx, "", dir)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := d.Migrate(ctx, schemas...); err != nil {
		t.Fatal(err)
	}
	l := audit.New(d)
	for i := range 40 {
		if err := l.Record(ctx, audit.OfActor("staff:a", "person.read", "00109000000"+string(rune('0'+i%10)))); err != nil {
			t.Fatal(err)
		}
	}
	l.Sync(ctx, 5e9)
	var last int64
	d.QueryRowContext(ctx, `SELECT max(id) FROM audit_log`).Scan(&last)
	if _, err := l.Prove(ctx, last); err != nil { // adds every entry to the tree, and signs a checkpoint
		t.Fatal(err)
	}
	l.Close()
	var out, errb bytes.Buffer
	if err := run(ctx, []string{"audit", "verify", "--data", dir}, env(nil), &out, &errb); err != nil {
		t.Fatalf("intact log: %v\n%s", err, errb.String())
	}
	if !strings.Contains(out.String(), "the audit log verifies: 40 entries") {
		t.Errorf("output: %s", out.String())
	}
	if _, err := d.ExecContext(ctx, `DROP TRIGGER audit.audit_log_no_update`); err != nil {
		t.Fatal(err)
	}
	if _, err := d.ExecContext(ctx, `UPDATE audit_log SET subject = '001090000099' WHERE id = $1`, last-7); err != nil {
		t.Fatal(err)
	}
	d.Close()
	out.Reset()
	err = run(ctx, []string{"audit", "verify", "--data", dir}, env(nil), &out, &errb)
	if err == nil || !strings.Contains(err.Error(), "entry "+strconv.FormatInt(last-7, 10)+": does not match its hash in the tree: altered") {
		t.Fatalf("tampered log: %v", err)
	}
}
