package audit

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/populus-vn/populus/internal/db"
	"github.com/populus-vn/populus/internal/db/dbtest"
	"github.com/populus-vn/populus/internal/problem"
)

// FirstAfter finds, by the entries' times, the id from which Find reads a
// subject's entries backwards: an entry however old is found among the
// few recorded about its time, not only among the subject's newest.
func TestFirstAfterAndFind(t *testing.T) {
	dbtest.Engines(t, testSchemas, func(t *testing.T, d *db.DB) {
		l := New(d)
		defer l.Close()
		ctx := context.Background()
		if id, err := l.FirstAfter(ctx, time.Now()); err != nil || id != 0 {
			t.Fatalf("empty log: FirstAfter = %d, %v", id, err)
		}
		start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
		const n = 1001 // one a minute; the subject's entry at minute 100
		var es []Entry
		for i := range n {
			subject := fmt.Sprintf("%012d", 1+i%2)
			detail := "filler"
			if i == 100 {
				subject, detail = "000000000009", "the one"
			}
			es = append(es, Entry{At: start.Add(time.Duration(i) * time.Minute), Actor: "member:x", Action: "exchange.lookup", Subject: subject, Outcome: OK, Detail: detail})
		}
		es = append(es, Entry{At: start.Add(n * time.Minute), Actor: "member:x", Action: "exchange.lookup", Subject: "000000000009", Outcome: OK, Detail: "newer"})
		if err := l.Record(ctx, es...); err != nil {
			t.Fatal(err)
		}
		l.Sync(ctx, 5*time.Second)
		var first int64
		d.QueryRow(`SELECT MIN(id) FROM audit_log`).Scan(&first)
		for _, c := range []struct {
			at   time.Time
			want int64 // offset from the first id; -1: none
		}{
			{start.Add(-time.Hour), 0},
			{start, 1},
			{start.Add(100*time.Minute + time.Second), 101},
			{start.Add(999 * time.Minute), 1000},
			{start.Add(n * time.Minute), -1},
			{start.Add(n*time.Minute + time.Hour), -1},
		} {
			want := first + c.want
			if c.want < 0 {
				want = 0
			}
			if got, err := l.FirstAfter(ctx, c.at); err != nil || got != want {
				t.Errorf("FirstAfter(%s) = %d, %v; want %d", c.at.Format(time.RFC3339), got, err, want)
			}
		}
		one := func(e *Entry) bool { return e.Detail == "the one" }
		if _, _, err := l.Find(ctx, "000000000009", 0, 1, one); !problem.Is(err, problem.NotFound) {
			t.Errorf("Find among the newest 1: %v, want NotFound (a newer entry is first)", err)
		}
		before, err := l.FirstAfter(ctx, start.Add(101*time.Minute))
		if err != nil {
			t.Fatal(err)
		}
		e, id, err := l.Find(ctx, "000000000009", before, 1, one)
		if err != nil || e.Detail != "the one" || id != first+100 {
			t.Errorf("Find before %d = %+v %d, %v", before, e, id, err)
		}
	})
}
