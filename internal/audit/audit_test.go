package audit

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/populus-vn/populus/internal/db"
	"github.com/populus-vn/populus/internal/db/dbtest"
)

func TestGroupCommitStoresEveryEntry(t *testing.T) {
	dbtest.Engines(t, func(t *testing.T, d *db.DB) {
		l := New(d)
		defer l.Close()
		ctx := WithRemote(context.Background(), "10.0.0.7")
		var wg sync.WaitGroup
		for i := 0; i < 300; i++ {
			wg.Add(1)
			go func(i int) {
				defer wg.Done()
				if err := l.Record(ctx, Entry{Actor: "staff:a", Action: "person.read", Subject: fmt.Sprintf("%012d", i%7)}); err != nil {
					t.Error(err)
				}
			}(i)
		}
		wg.Wait()
		var n int
		d.QueryRow(`SELECT count(*) FROM audit_log`).Scan(&n)
		if n != 300 {
			t.Fatalf("stored %d entries, want 300", n)
		}
		got, _, err := l.List(ctx, fmt.Sprintf("%012d", 3), 0, 100)
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != 43 || got[0].Remote != "10.0.0.7" || got[0].Outcome != OK {
			t.Errorf("List = %d entries, first %+v", len(got), got[0])
		}
	})
}

func TestRecordAfterClose(t *testing.T) {
	l := New(dbtest.SQLite(t))
	l.Close()
	if err := l.Record(context.Background(), Entry{Actor: "x"}); err != ErrClosed {
		t.Errorf("err = %v, want ErrClosed", err)
	}
}

func TestBufferedLogCommitsWithinWindowAndRefusesWhenFailing(t *testing.T) {
	dbtest.Engines(t, func(t *testing.T, d *db.DB) {
		l := NewBuffered(d, 5*time.Millisecond)
		ctx := context.Background()
		for i := 0; i < 50; i++ {
			if err := l.Record(ctx, Entry{Actor: "staff:b", Action: "person.read", Subject: "x"}); err != nil {
				t.Fatal(err)
			}
		}
		var n int
		for i := 0; i < 200 && n < 50; i++ {
			time.Sleep(5 * time.Millisecond)
			d.QueryRow(`SELECT count(*) FROM audit_log`).Scan(&n)
		}
		if n != 50 {
			t.Fatalf("after a second, %d of 50 buffered entries are stored", n)
		}
		// Break the store: the next commit fails, and the log then refuses.
		if _, err := d.Exec(`ALTER TABLE audit_log RENAME TO audit_log_gone`); err != nil {
			t.Fatal(err)
		}
		l.Record(ctx, Entry{Actor: "staff:b", Action: "person.read", Subject: "y"})
		var err error
		for i := 0; i < 200 && err == nil; i++ {
			time.Sleep(5 * time.Millisecond)
			err = l.Record(ctx, Entry{Actor: "staff:b", Action: "person.read", Subject: "z"})
		}
		if err != ErrFailing {
			t.Errorf("with the table gone, Record = %v, want ErrFailing", err)
		}
		d.Exec(`ALTER TABLE audit_log_gone RENAME TO audit_log`)
		l.Close()
	})
}
