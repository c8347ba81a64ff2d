package service

import (
	"encoding/csv"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/populus-vn/populus/internal/reconcile/engine"
)

// BenchmarkReviewPage measures a page of the review list of a job of
// 1,000,000 records, 10% of them left for review, with 1,000 reviewed: the
// page reads the whole decisions file once (to count the records and their
// reasons). Its baseline, BenchmarkReviewPage/csv, reads the same file
// with encoding/csv alone; the ratio of the two is the review's own cost.
//
//	go test ./internal/reconcile/service -run '^$' -bench ReviewPage -benchtime 5x
func BenchmarkReviewPage(b *testing.B) {
	const records = 1_000_000
	s := New(Config{DataDir: b.TempDir()})
	id := "bench"
	if err := os.MkdirAll(s.jobDir(id), 0o700); err != nil {
		b.Fatal(err)
	}
	path := filepath.Join(s.jobDir(id), decisionsFile)
	f, err := os.Create(path)
	if err != nil {
		b.Fatal(err)
	}
	w := csv.NewWriter(f)
	w.Write(engine.DecisionsHeader)
	current := map[int]Review{}
	for i := range records {
		line := i + 2
		row := []string{fmt.Sprint(100000000000 + i), fmt.Sprint(line), "exact", fmt.Sprintf("%012d", i), "1.000000", "40.10", fmt.Sprintf("%012d w=40.10 p=1.000000", i), "", "", ""}
		if i%10 == 0 {
			row[2], row[3], row[4], row[5] = "ambiguous", "", "0.612300", "8.20"
			row[6] = fmt.Sprintf("%012d w=8.20 p=0.612300; %012d w=7.10 p=0.387000", i, i+1)
			row[8] = "2 candidates within 3.0 bits of the best"
			if len(current) < 1000 {
				current[line] = Review{Outcome: Rejected, Reviewer: "bench", Revision: 1}
			}
		}
		w.Write(row)
	}
	w.Flush()
	if err := f.Close(); err != nil {
		b.Fatal(err)
	}
	st, _ := os.Stat(path)
	b.Run("csv", func(b *testing.B) {
		b.SetBytes(st.Size())
		for b.Loop() {
			f, err := os.Open(path)
			if err != nil {
				b.Fatal(err)
			}
			r := csv.NewReader(f)
			r.ReuseRecord = true
			n := 0
			for {
				if _, err := r.Read(); err == io.EOF {
					break
				} else if err != nil {
					b.Fatal(err)
				}
				n++
			}
			f.Close()
			if n != records+1 {
				b.Fatalf("%d rows", n)
			}
		}
	})
	b.Run("page", func(b *testing.B) {
		b.SetBytes(st.Size())
		for b.Loop() {
			l, err := s.reviewPage(id, ReviewFilter{Status: "pending", Limit: 25}, 500_000, current)
			if err != nil {
				b.Fatal(err)
			}
			if l.Total != records/10 || l.Reviewed != 1000 || len(l.Items) != 25 {
				b.Fatalf("total %d, reviewed %d, %d items", l.Total, l.Reviewed, len(l.Items))
			}
		}
	})
}
