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
