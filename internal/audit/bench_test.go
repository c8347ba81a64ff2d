package audit

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/populus-vn/populus/internal/db/dbtest"
)

// BenchmarkRecordConcurrent measures the cost of one audited read's entry
// with many concurrent callers (RunParallel, 64 per CPU), on SQLite: strict
// (New, the server's log: each caller waits for its group's commit) against
// buffered (NewBuffered, 20 ms: callers return once queued). ns/op is the
// commit cost per entry; entries/commit how many callers shared a commit
// (on SQLite a strict log's commits are its imports from the journal, and
// entries/write how many callers shared a write to the journal).
func BenchmarkRecordConcurrent(b *testing.B) {
	for _, mode := range []string{"strict", "buffered"} {
		b.Run(mode, func(b *testing.B) {
			d := dbtest.SQLite(b, testSchemas...)
			var l *Log
			if mode == "strict" {
				l = New(d)
			} else {
				l = NewBuffered(d, 20*time.Millisecond)
			}
			ctx := WithRemote(context.Background(), "10.0.0.7")
			before, beforeW := l.commits.Load(), l.writes.Load()
			b.SetParallelism(64)
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				e := Entry{Actor: "staff:registrar.hanoi", Action: "person.read", Subject: "001090000001"}
				for pb.Next() {
					if err := l.Record(ctx, e); err != nil {
						b.Error(err)
						return
					}
				}
			})
			l.Close() // a buffered log's entries are committed by now
			b.StopTimer()
			if c := l.commits.Load() - before; c > 0 {
				b.ReportMetric(float64(b.N)/float64(c), "entries/commit")
			}
			if w := l.writes.Load() - beforeW; w > 0 {
				b.ReportMetric(float64(b.N)/float64(w), "entries/write")
			}
		})
	}
}

// BenchmarkAppendsWithCheckpoints: entries a second recorded from 64
// goroutines on SQLite, until they are in audit_log ("log"), and until they
// are also in the Merkle tree under a signed checkpoint ("log+tree"), in
// the same run: the target is 20,000 entries/s sustained with
// checkpoints; the ratio is the tree's cost.
func BenchmarkAppendsWithCheckpoints(b *testing.B) {
	for _, mode := range []string{"log", "log+tree"} {
		b.Run(mode, func(b *testing.B) {
			d := dbtest.SQLite(b, testSchemas...)
			l := New(d)
			if _, err := l.SignCheckpoints(context.Background(), plainSealer{}); err != nil {
				b.Fatal(err)
			}
			ctx := WithRemote(context.Background(), "10.0.0.7")
			b.SetParallelism(32)
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				e := OfActor("member:VN/COM/BANK/EKYC", "exchange.person.read", "001090000001").For("KYC", "consent", "c-1").Disclosing("full_name", "birth_date")
				for pb.Next() {
					if err := l.Record(ctx, e); err != nil {
						b.Error(err)
						return
					}
				}
			})
			l.Sync(ctx, time.Minute)
			if mode == "log+tree" {
				if _, err := l.tree.integrateAll(ctx); err != nil {
					b.Fatal(err)
				}
				if _, err := l.tree.checkpoint(ctx, false); err != nil {
					b.Fatal(err)
				}
			}
			b.StopTimer()
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "entries/s")
			l.Close()
		})
	}
}

// BenchmarkImportGroup: the journal importer's insert of a batch of 1,000
// entries (one statement over the JSON array) into audit_log, per entry.
// The Merkle tree integrates the entries in the background meanwhile:
// compare runs of the same -benchtime.
func BenchmarkImportGroup(b *testing.B) {
	d := dbtest.SQLite(b, testSchemas...)
	l := New(d)
	defer l.Close()
	batch := make([]Entry, 1000)
	for i := range batch {
		batch[i] = Entry{At: time.Now(), Actor: "staff:auditor", Action: "person.read", Subject: fmt.Sprintf("%012d", 1_000_000_000+i), Outcome: OK, Remote: "127.0.0.1"}
	}
	group := entriesJSON(batch)
	ctx := context.Background()
	for b.Loop() {
		if err := l.recordImported(ctx, []string{group}, 1, journalHeader); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(batch)), "ns/entry")
}

// BenchmarkFindByTime: finding an entry about a person by its time
// (FirstAfter, then Find reading back from there, as an answer's evidence
// is found), in the middle of a log of N entries about 10,000 people, on
// SQLite; the baseline in the same run is the person's newest page of
// entries (List, 200). Reported per size: how the search grows with the log.
func BenchmarkFindByTime(b *testing.B) {
	for _, n := range []int{100_000, 1_000_000} {
		b.Run(fmt.Sprint(n), func(b *testing.B) {
			d := dbtest.SQLite(b, testSchemas...)
			l := New(d)
			defer l.Close()
			ctx := context.Background()
			start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
			batch := make([]Entry, 1000)
			for g := 0; g < n/len(batch); g++ {
				for i := range batch {
					k := g*len(batch) + i
					detail := ""
					if k == n/2 {
						detail = "the one"
					}
					batch[i] = Entry{At: start.Add(time.Duration(k) * time.Second), Actor: "member:VN/COM/BANK/EKYC", Action: "exchange.lookup",
						Subject: fmt.Sprintf("%012d", k%10_000), Outcome: OK, Detail: detail}
				}
				if err := l.Record(ctx, batch...); err != nil {
					b.Fatal(err)
				}
			}
			l.Sync(ctx, time.Minute)
			subject, at := fmt.Sprintf("%012d", (n/2)%10_000), start.Add(time.Duration(n/2)*time.Second)
			var byTime, newest time.Duration
			for i := 0; i < 200; i++ {
				t0 := time.Now()
				before, err := l.FirstAfter(ctx, at.Add(time.Minute))
				if err != nil {
					b.Fatal(err)
				}
				e, _, err := l.Find(ctx, subject, before, 2000, func(e *Entry) bool { return e.Detail == "the one" })
				if err != nil || e.Detail != "the one" {
					b.Fatalf("Find: %+v %v", e, err)
				}
				t1 := time.Now()
				if es, _, err := l.List(ctx, subject, 0, 200); err != nil || len(es) == 0 {
					b.Fatalf("List: %d %v", len(es), err)
				}
				byTime, newest = byTime+t1.Sub(t0), newest+time.Since(t1)
			}
			b.ReportMetric(float64(byTime.Microseconds())/200, "µs/find")
			b.ReportMetric(float64(newest.Microseconds())/200, "µs/newest-page")
			b.ReportMetric(float64(byTime)/float64(newest), "find/newest-page")
		})
	}
}
