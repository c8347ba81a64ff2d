package audit

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/populus-vn/populus/internal/db"
	"github.com/populus-vn/populus/internal/db/dbtest"
	"github.com/populus-vn/populus/internal/problem"
)

// readers records entries from 8 goroutines until stop is closed, each
// with a detail of its own, and returns the details of the entries whose
// Record returned nil (acknowledged), how many were refused with
// ErrUnavailable, and the longest time a refusal took once the log
// reported failing.
type readers struct {
	mu    sync.Mutex
	acked map[string]bool
	// refusedAt holds the details of the entries refused while the log
	// already reported failing (stored later as failed).
	refusedAt map[string]bool
	refused   int
	slowest   time.Duration
	otherErr  error
	wait      *sync.WaitGroup
}

func runReaders(l *Log, stop <-chan struct{}) *readers {
	r := &readers{acked: map[string]bool{}, refusedAt: map[string]bool{}}
	var wg sync.WaitGroup
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				detail := fmt.Sprintf("r%d-%d", g, i)
				wasFailing := l.Ready() != nil
				t0 := time.Now()
				err := l.Record(context.Background(), Entry{Actor: "staff:a", Action: "person.read", Subject: "001090000001", Detail: detail})
				took := time.Since(t0)
				r.mu.Lock()
				switch {
				case err == nil:
					r.acked[detail] = true
				case errors.Is(err, ErrUnavailable) && problem.KindOf(err).Status() == 503:
					r.refused++
					if wasFailing {
						r.slowest = max(r.slowest, took)
						r.refusedAt[detail] = true
					}
				default:
					r.otherErr = err
				}
				r.mu.Unlock()
				// A millisecond between reads: thousands a second, enough
				// to show reads going on, without a backlog whose import
				// under the race detector outlasts the test's wait.
				time.Sleep(time.Millisecond)
			}
		}(g)
	}
	r.wait = &wg
	return r
}

func (r *readers) join() { r.wait.Wait() }

// check verifies that every acknowledged entry is in the log as ok, and
// that no entry is ok unless it was acknowledged (a refused read is stored
// as failed, or not at all).
func (r *readers) check(t *testing.T, d *db.DB) {
	t.Helper()
	if r.otherErr != nil {
		t.Errorf("a Record failed with %v, want nil or ErrUnavailable", r.otherErr)
	}
	rows, err := d.Query(`SELECT detail, outcome FROM audit_log WHERE action = 'person.read'`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	found := map[string]bool{}
	failed := map[string]bool{}
	for rows.Next() {
		var detail, outcome string
		if err := rows.Scan(&detail, &outcome); err != nil {
			t.Fatal(err)
		}
		if outcome == Failed {
			failed[strings.TrimSuffix(detail, "; not answered: the audit log could not be written")] = true
		}
		if outcome == OK {
			if !r.acked[detail] {
				t.Errorf("entry %q is stored ok but its Record was refused", detail)
			}
			found[detail] = true
		}
	}
	lost := 0
	for d := range r.acked {
		if !found[d] {
			lost++
		}
	}
	if lost > 0 || len(r.acked) == 0 {
		t.Errorf("%d of %d acknowledged entries are missing from the log", lost, len(r.acked))
	}
	unrecorded := 0
	for d := range r.refusedAt {
		if !failed[d] {
			unrecorded++
		}
	}
	if unrecorded > 0 {
		t.Errorf("%d of %d accesses refused while the log was failing have no entry marked failed", unrecorded, len(r.refusedAt))
	}
	t.Logf("%d acknowledged, %d refused (slowest refusal while failing %v)", len(r.acked), r.refused, r.slowest)
}

// TestStoreOutageLosesNothingAndRecovers fails every commit for 400 ms (20
// commit intervals of the former buffered log) while readers run: callers
// are refused with 503 quickly, every acknowledged entry is in the log, and
// the log serves again by itself once the store works.
func TestStoreOutageLosesNothingAndRecovers(t *testing.T) {
	dbtest.Engines(t, testSchemas, func(t *testing.T, d *db.DB) {
		var broken atomic.Bool
		l := newLog(d, 0, func() error {
			if broken.Load() {
				return errors.New("injected failure")
			}
			return nil
		})
		defer l.Close()
		stop := make(chan struct{})
		r := runReaders(l, stop)
		time.Sleep(100 * time.Millisecond)
		broken.Store(true)
		time.Sleep(400 * time.Millisecond)
		if l.Ready() == nil {
			t.Error("Ready() = nil while every commit fails")
		}
		broken.Store(false)
		deadline := time.Now().Add(2 * time.Second)
		for l.Ready() != nil && time.Now().Before(deadline) {
			time.Sleep(5 * time.Millisecond)
		}
		if err := l.Ready(); err != nil {
			t.Errorf("2 s after the store works again, Ready() = %v", err)
		}
		time.Sleep(100 * time.Millisecond)
		close(stop)
		r.join()
		if err := l.Record(context.Background(), Entry{Actor: "staff:a", Action: "person.read", Subject: "x", Detail: "after"}); err != nil {
			t.Errorf("after the outage, Record = %v", err)
		}
		r.acked["after"] = true
		if r.refused == 0 {
			t.Error("no Record was refused while the store failed")
		}
		if r.slowest > 200*time.Millisecond {
			t.Errorf("a refusal while failing took %v, want it at once", r.slowest)
		}
		l.Sync(context.Background(), 5*time.Second)
		r.check(t, d)
	})
}

// TestAuditFileLocked holds the SQLite audit file's write lock from another
// connection for longer than stallAfter: reads go on being acknowledged
// (their entries are in the journal, the durable record), Ready stays nil,
// and once the lock is released the importer catches up and every
// acknowledged entry is in audit_log.
func TestAuditFileLocked(t *testing.T) {
	defer func(s time.Duration) { stallAfter = s }(stallAfter)
	stallAfter = 50 * time.Millisecond
	d := dbtest.SQLite(t, testSchemas...)
	other, err := sql.Open("sqlite", "file:"+(&url.URL{Path: Path(d.Location)}).EscapedPath()+"?_pragma=busy_timeout(5000)")
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	l := New(d)
	defer l.Close()
	stop := make(chan struct{})
	r := runReaders(l, stop)
	time.Sleep(100 * time.Millisecond)
	ctx := context.Background()
	conn, err := other.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, `BEGIN EXCLUSIVE`); err != nil {
		t.Fatal(err)
	}
	if _, err := conn.ExecContext(ctx, `INSERT INTO audit_log (at, actor, action, outcome) VALUES ('2026-12-06T00:00:00.000000Z', 'lock', 'lock', 'ok')`); err != nil {
		t.Fatal(err)
	}
	time.Sleep(300 * time.Millisecond)
	if err := l.Ready(); err != nil {
		t.Errorf("Ready() = %v while only the audit file is locked, want nil (the journal is written)", err)
	}
	r.mu.Lock()
	ackedBefore := len(r.acked)
	r.mu.Unlock()
	for i := 0; i < 20; i++ {
		t0 := time.Now()
		detail := fmt.Sprint("new", i)
		err := l.Record(ctx, Entry{Actor: "staff:a", Action: "person.read", Subject: "001090000001", Detail: detail})
		if took := time.Since(t0); err != nil || took > 100*time.Millisecond {
			t.Fatalf("while the audit file is locked, Record = %v after %v, want nil at once", err, took)
		}
		r.mu.Lock()
		r.acked[detail] = true
		r.mu.Unlock()
	}
	time.Sleep(200 * time.Millisecond)
	r.mu.Lock()
	ackedLocked := len(r.acked) - ackedBefore
	r.mu.Unlock()
	if ackedLocked < 100 {
		t.Errorf("%d reads acknowledged while the audit file was locked, want them to go on", ackedLocked)
	}
	if _, err := conn.ExecContext(ctx, `ROLLBACK`); err != nil {
		t.Fatal(err)
	}
	time.Sleep(100 * time.Millisecond)
	close(stop)
	r.join()
	if r.refused != 0 {
		t.Errorf("%d reads refused while the audit file was locked, want none", r.refused)
	}
	l.Sync(ctx, 2*time.Minute)
	r.check(t, d)
}

// TestJournalFailureRefusesAndRecovers: while the journal cannot be
// written (a failing write: a full disk), reads are refused at once with
// 503 and Ready fails; once writes work again the log serves by itself,
// and every acknowledged entry is in audit_log.
func TestJournalFailureRefusesAndRecovers(t *testing.T) {
	d := dbtest.SQLite(t, testSchemas...)
	l := New(d)
	defer l.Close()
	stop := make(chan struct{})
	r := runReaders(l, stop)
	time.Sleep(100 * time.Millisecond)
	// Make the journal unwritable: the space allocated ahead is used up,
	// and extending the file fails.
	l.j.mu.Lock()
	l.j.length = l.j.size
	l.j.unmap()
	l.j.beforeGrow = func() error { return syscall.ENOSPC }
	l.j.mu.Unlock()
	time.Sleep(300 * time.Millisecond)
	if l.Ready() == nil {
		t.Error("Ready() = nil while the journal cannot be written")
	}
	l.j.mu.Lock()
	l.j.beforeGrow = nil
	l.j.mu.Unlock()
	deadline := time.Now().Add(2 * time.Second)
	for l.Ready() != nil && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	if err := l.Ready(); err != nil {
		t.Errorf("2 s after the journal works again, Ready() = %v", err)
	}
	time.Sleep(100 * time.Millisecond)
	close(stop)
	r.join()
	if r.refused == 0 {
		t.Error("no Record was refused while the journal failed")
	}
	if r.slowest > 200*time.Millisecond {
		t.Errorf("a refusal while failing took %v, want it at once", r.slowest)
	}
	l.Sync(context.Background(), 5*time.Second)
	r.check(t, d)
}
