package main

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/populus-vn/populus/internal/db"
	"github.com/populus-vn/populus/internal/staff"
	"github.com/populus-vn/populus/internal/testlog"
)

// serveOnce runs serve with args until it listens, then stops it; it
// returns serve's error if it did not start.
func serveOnce(t *testing.T, args []string, vars map[string]string) error {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var stdout, stderr testlog.Buffer
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, append([]string{"serve", "--addr", "127.0.0.1:0"}, args...), env(vars), &stdout, &stderr)
	}()
	for i := 0; i < 300; i++ {
		if strings.Contains(stderr.String(), `"msg":"listening"`) {
			cancel()
			if err := <-done; err != nil {
				t.Fatalf("serve ended with %v", err)
			}
			return nil
		}
		select {
		case err := <-done:
			return err
		case <-time.After(100 * time.Millisecond):
		}
	}
	t.Fatalf("serve neither started nor failed in 30 s:\n%s", stderr.String())
	return nil
}

// A data directory made by demo: serve refuses it until no account has the
// published demo password (issue 11, defect 10).
func TestServeRefusesDemoAccounts(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()
	d, err := db.Open(ctx, "", dir)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := d.Migrate(ctx, schemas...); err != nil {
		t.Fatal(err)
	}
	if _, err := staff.SeedDemo(ctx, staff.NewStore(d, staff.TestParams)); err != nil {
		t.Fatal(err)
	}
	d.Close()

	err = serveOnce(t, []string{"--data", dir}, nil)
	if err == nil || !strings.Contains(err.Error(), "demo password") || !strings.Contains(err.Error(), "admin") || !strings.Contains(err.Error(), "--allow-demo-accounts") {
		t.Fatalf("serve on demo accounts: err = %v; want a refusal naming the accounts and the flag", err)
	}
	if err := serveOnce(t, []string{"--data", dir, "--allow-demo-accounts"}, nil); err != nil {
		t.Errorf("with --allow-demo-accounts: %v", err)
	}
	if err := serveOnce(t, []string{"--data", dir}, map[string]string{"POPULUS_ALLOW_DEMO_ACCOUNTS": "1"}); err != nil {
		t.Errorf("with POPULUS_ALLOW_DEMO_ACCOUNTS=1: %v", err)
	}

	// The operator's way out: new passwords, or disabled accounts.
	var out, errb testlog.Buffer
	stdin = strings.NewReader("a long new password 42\n")
	defer func() { stdin = nil }()
	if err := run(ctx, []string{"staff", "password", "--data", dir, "admin"}, env(nil), &out, &errb); err != nil {
		t.Fatalf("staff password: %v %s", err, errb.String())
	}
	for _, u := range []string{"auditor", "registrar.badinh", "registrar.hanoi", "police.badinh"} {
		if err := run(ctx, []string{"staff", "disable", "--data", dir, u}, env(nil), &out, &errb); err != nil {
			t.Fatalf("staff disable %s: %v", u, err)
		}
	}
	err = serveOnce(t, []string{"--data", dir}, nil)
	if err == nil || !strings.Contains(err.Error(), "service.hanoi") || strings.Contains(err.Error(), "admin") {
		t.Fatalf("one demo account left: err = %v; want a refusal naming service.hanoi only", err)
	}
	if err := run(ctx, []string{"staff", "disable", "--data", dir, "service.hanoi"}, env(nil), &out, &errb); err != nil {
		t.Fatal(err)
	}
	if err := serveOnce(t, []string{"--data", dir}, nil); err != nil {
		t.Errorf("no demo password left: %v", err)
	}
	if err := run(ctx, []string{"staff", "unlock", "--data", dir, "admin"}, env(nil), &out, &errb); err != nil || !strings.Contains(out.String(), "admin: unlock done") {
		t.Errorf("staff unlock: %v %q", err, out.String())
	}
	if err := run(ctx, []string{"staff", "unlock", "--data", dir, "nobody"}, env(nil), &out, &errb); err == nil {
		t.Error("staff unlock of an unknown account succeeded")
	}
}

// A real installation from nothing: serve on a new store says how to
// create the first administrator and keeps running; the staff commands
// create, list, disable, enable and assign accounts, each audited as the
// console; once an account exists serve says nothing of it.
func TestFirstStartAndStaffCommands(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()
	firstStart := func() string {
		t.Helper()
		ctx, cancel := context.WithCancel(ctx)
		defer cancel()
		var stdout, stderr testlog.Buffer
		done := make(chan error, 1)
		go func() {
			done <- run(ctx, []string{"serve", "--addr", "127.0.0.1:0", "--data", dir}, env(nil), &stdout, &stderr)
		}()
		for i := 0; i < 300 && !strings.Contains(stderr.String(), `"msg":"listening"`); i++ {
			select {
			case err := <-done:
				t.Fatalf("serve ended: %v\n%s", err, stderr.String())
			case <-time.After(100 * time.Millisecond):
			}
		}
		time.Sleep(100 * time.Millisecond)
		select {
		case err := <-done:
			t.Fatalf("serve did not keep running: %v", err)
		default:
		}
		cancel()
		if err := <-done; err != nil {
			t.Fatal(err)
		}
		return stdout.String()
	}
	out := firstStart()
	if !strings.Contains(out, "No staff account can sign in yet") || !strings.Contains(out, "populus staff create admin --data "+dir+" --name") {
		t.Fatalf("first start of serve says:\n%s", out)
	}

	staffCmd := func(input string, args ...string) (string, error) {
		var out, errb testlog.Buffer
		stdin = strings.NewReader(input)
		defer func() { stdin = nil }()
		err := run(ctx, append(append([]string{"staff"}, args...), "--data", dir), env(nil), &out, &errb)
		return out.String(), err
	}
	if _, err := staffCmd("một mật khẩu quản trị\n", "create", "admin", "--name", "Quản trị hệ thống", "--role", "admin", "--unit", "VN"); err != nil {
		t.Fatal(err)
	}
	if _, err := staffCmd("ngắn\n", "create", "reg", "--name", "", "--role", "mayor", "--unit", "99999"); err == nil ||
		!strings.Contains(err.Error(), "--name") || !strings.Contains(err.Error(), "--role") || !strings.Contains(err.Error(), "--unit") || !strings.Contains(err.Error(), "password") {
		t.Errorf("a wrong create: %v; want each wrong flag named", err)
	}
	if _, err := staffCmd("mật khẩu ban đầu dài\n", "create", "reg.badinh", "--name", "Lê Hộ Tịch", "--role", "registrar", "--unit", "00004", "--change-password"); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{{"disable", "reg.badinh"}, {"enable", "reg.badinh"}, {"assign", "reg.badinh", "--unit", "00008"}} {
		if _, err := staffCmd("", args...); err != nil {
			t.Fatalf("staff %v: %v", args, err)
		}
	}
	list, err := staffCmd("", "list")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"admin", "Quản trị hệ thống", "reg.badinh", "Lê Hộ Tịch", "registrar", "00008", "must change password"} {
		if !strings.Contains(list, want) {
			t.Errorf("staff list lacks %q:\n%s", want, list)
		}
	}
	d, err := db.Open(ctx, "", dir)
	if err != nil {
		t.Fatal(err)
	}
	var n int
	err = d.QueryRow(`SELECT count(*) FROM audit_log WHERE actor = 'system:cli' AND subject = 'staff:reg.badinh' AND action IN ('staff.create', 'staff.disable', 'staff.enable', 'staff.assign')`).Scan(&n)
	d.Close()
	if err != nil || n != 4 {
		t.Errorf("%d audit entries of the console's changes, want 4 (%v)", n, err)
	}
	if out := firstStart(); strings.Contains(out, "No staff account") {
		t.Errorf("serve with an account still prints the first-start notice:\n%s", out)
	}
}
