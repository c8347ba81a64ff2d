package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/populus-vn/populus/internal/audit"
	"github.com/populus-vn/populus/internal/db"
)

// auditChildEnv, when set to a data directory, makes the test binary the
// child of TestAuditSurvivesSIGKILL: it opens the store as `serve` does,
// with serve's default flags, and records reads from 16 goroutines,
// printing each one acknowledged.
const auditChildEnv = "POPULUS_TEST_AUDIT_CHILD"

func TestMain(m *testing.M) {
	if dir := os.Getenv(auditChildEnv); dir != "" {
		auditChild(dir)
		return
	}
	if dir := os.Getenv(eventsChildEnv); dir != "" {
		eventsChild(dir)
		return
	}
	os.Exit(m.Run())
}

// openAsServe opens the store in dir as serve does, with its default flags
// (on SQLite, replaying the audit journal).
func openAsServe(dir string) (*platform, error) {
	var c config
	f := newFlags("serve", func(string) string { return "" }, io.Discard)
	f.server(&c, "json")
	if err := f.parse([]string{"--data", dir}); err != nil {
		return nil, err
	}
	return open(context.Background(), c, nil)
}

func auditChild(dir string) {
	p, err := openAsServe(dir)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	var mu sync.Mutex
	fmt.Println("ready")
	for g := 0; g < 16; g++ {
		go func(g int) {
			for i := 0; ; i++ {
				detail := fmt.Sprintf("k%d-%d", g, i)
				if err := p.Audit.Record(context.Background(), audit.Entry{Actor: "staff:a", Action: "person.read", Subject: "001090000001", Detail: detail}); err != nil {
					continue
				}
				mu.Lock()
				os.Stdout.WriteString(detail + "\n") // acknowledged: the read would be answered now
				mu.Unlock()
			}
		}(g)
	}
	select {}
}

// TestAuditSurvivesSIGKILL: a process recording reads with the server's
// default audit log is killed with SIGKILL at a random moment; every read
// it acknowledged has its entry once the store is opened again (which
// replays the audit journal). 10 trials.
func TestAuditSurvivesSIGKILL(t *testing.T) {
	if testing.Short() {
		t.Skip("SIGKILL trials take a few seconds: skipped under -short")
	}
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	for trial := 0; trial < 10; trial++ {
		dir := t.TempDir()
		cmd := exec.Command(exe, "-test.run=^$")
		cmd.Env = append(os.Environ(), auditChildEnv+"="+dir)
		cmd.Stderr = os.Stderr
		out, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		sc := bufio.NewScanner(out)
		if !sc.Scan() || sc.Text() != "ready" {
			cmd.Process.Kill()
			cmd.Wait()
			t.Fatalf("trial %d: the child did not start (%q)", trial, sc.Text())
		}
		kill := time.AfterFunc(time.Duration(100+rand.IntN(400))*time.Millisecond, func() { cmd.Process.Signal(syscall.SIGKILL) })
		acked := map[string]bool{}
		for sc.Scan() {
			if s := sc.Text(); strings.HasPrefix(s, "k") {
				acked[s] = true
			}
		}
		kill.Stop()
		cmd.Wait()
		// Start again as serve does: the entries journaled but not yet
		// imported when the process was killed are imported before it
		// serves.
		p, err := openAsServe(dir)
		if err != nil {
			t.Fatal(err)
		}
		d := p.DB
		rows, err := d.Query(`SELECT detail FROM audit_log WHERE outcome = 'ok'`)
		if err != nil {
			t.Fatal(err)
		}
		stored := map[string]bool{}
		for rows.Next() {
			var s string
			rows.Scan(&s)
			stored[s] = true
		}
		rows.Close()
		p.Close() // adds every entry to the Merkle tree
		// The tree, integrated by the killed process and the new one,
		// holds every entry, and verifies.
		vd, err := db.Open(context.Background(), "", dir)
		if err != nil {
			t.Fatal(err)
		}
		rep, err := audit.Verify(context.Background(), vd, "")
		vd.Close()
		if err != nil || rep.Pending != 0 || rep.Entries < int64(len(stored)) {
			t.Errorf("trial %d: after the kill the audit log's tree: %+v, %v (%d entries stored)", trial, rep, err, len(stored))
		}
		lost := 0
		for s := range acked {
			if !stored[s] {
				lost++
			}
		}
		t.Logf("trial %d: %d reads acknowledged, %d without an entry", trial, len(acked), lost)
		if lost > 0 || len(acked) == 0 {
			t.Errorf("trial %d: %d of %d acknowledged reads have no audit entry", trial, lost, len(acked))
		}
	}
}
