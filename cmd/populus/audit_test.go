package main

import (
	"bytes"
	"context"
	"log/slog"
	"math"
	"runtime/debug"
	"strconv"
	"strings"
	"testing"
	"time"

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
	l.Sync(ctx, 5*time.Second)
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

// --gc-percent sets the collector's target unless GOGC is set, and a soft
// memory limit of half the machine's memory unless GOMEMLIMIT is.
func TestSetGCPercent(t *testing.T) {
	log := slog.New(slog.DiscardHandler)
	defer debug.SetGCPercent(debug.SetGCPercent(100))
	defer debug.SetMemoryLimit(debug.SetMemoryLimit(-1))
	setGCPercent(400, "", "", 8<<30, log)
	if got := debug.SetGCPercent(100); got != 400 {
		t.Errorf("GC percent %d, want 400", got)
	}
	if got := debug.SetMemoryLimit(-1); got != 4<<30 {
		t.Errorf("memory limit %d, want half of 8 GiB", got)
	}
	debug.SetMemoryLimit(math.MaxInt64)
	setGCPercent(400, "50", "", 8<<30, log)
	if got := debug.SetGCPercent(100); got != 100 {
		t.Errorf("with GOGC set the GC percent became %d", got)
	}
	setGCPercent(400, "", "1GiB", 8<<30, log)
	if got := debug.SetMemoryLimit(-1); got != math.MaxInt64 {
		t.Errorf("with GOMEMLIMIT set the limit became %d", got)
	}
}
