package audit

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/populus-vn/populus/internal/db"
	"github.com/populus-vn/populus/internal/db/dbtest"
)

func TestGroupCommitStoresEveryEntry(t *testing.T) {
	dbtest.Engines(t, testSchemas, func(t *testing.T, d *db.DB) {
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
		l.Sync(ctx, 5*time.Second) // on SQLite, imported from the journal
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

// Every field of an entry is stored as given, whatever characters it
// holds (on SQLite a group is passed to the store as one JSON text), and a
// group keeps its order.
func TestEntriesStoredExactly(t *testing.T) {
	odd := []string{"", `quote " backslash \ slash /`, "tab\tnew\nline\x00\x01\x1f", "Nguyễn Thị Ánh 😀", "\u2028\u2029", "bad \xff\xfe utf-8", "<&>"}
	dbtest.Engines(t, testSchemas, func(t *testing.T, d *db.DB) {
		l := NewBuffered(d, 50*time.Millisecond)
		ctx := context.Background()
		at := time.Date(2026, 11, 23, 3, 4, 5, 123456000, time.UTC)
		var want []Entry
		for i, s := range odd {
			e := Entry{At: at.Add(time.Duration(i) * time.Second), Actor: "staff:" + s, Action: "person.read", Subject: "001203000001",
				Outcome: Denied, Detail: s, Remote: s + "r"}
			if i%2 == 1 { // and the context of an exchange's access, on every other one
				e = e.For(s+"p", s+"b", s+"c").Disclosing("full_name", s+"f")
				e.Request = s + "q"
			}
			want = append(want, e)
		}
		if err := l.Record(ctx, want...); err != nil {
			t.Fatal(err)
		}
		l.Close()
		l = New(d)
		defer l.Close()
		got, _, err := l.List(ctx, "001203000001", 0, 100)
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != len(want) {
			t.Fatalf("%d entries stored, want %d", len(got), len(want))
		}
		for i, g := range got {
			w := want[len(want)-1-i] // newest first
			// Invalid UTF-8 and NUL, which PostgreSQL cannot store,
			// become U+FFFD on both engines.
			// A comma in a field's name would split it: it becomes a space.
			w.Fields = slices.Clone(w.Fields)
			for i := range w.Fields {
				w.Fields[i] = strings.ReplaceAll(w.Fields[i], ",", " ")
			}
			for _, f := range append([]*string{&w.Actor, &w.Detail, &w.Remote, &w.Purpose, &w.LegalBasis, &w.Consent, &w.Request}, pointers(w.Fields)...) {
				*f = strings.ReplaceAll(strings.ToValidUTF8(*f, "\uFFFD"), "\x00", "\uFFFD")
			}
			if g.Actor != w.Actor || g.Detail != w.Detail || g.Remote != w.Remote || g.Outcome != w.Outcome || !g.At.Equal(w.At) ||
				g.Purpose != w.Purpose || g.LegalBasis != w.LegalBasis || g.Consent != w.Consent || g.Request != w.Request || !slices.Equal(g.Fields, w.Fields) {
				t.Errorf("entry %d: stored %+q, want %+q", i, g, w)
			}
		}
		// The tree's leaves, built by the store (leafSQL), match the
		// entries as Go encodes them (leafData), odd text included.
		if _, err := l.tree.integrateAll(ctx); err != nil {
			t.Fatal(err)
		}
		if rep, err := Verify(ctx, d, ""); err != nil || rep.Entries != int64(len(want)) {
			t.Errorf("Verify: %+v, %v", rep, err)
		}
	})
}

func pointers(s []string) []*string {
	var out []*string
	for i := range s {
		out = append(out, &s[i])
	}
	return out
}

func TestRecordAfterClose(t *testing.T) {
	l := New(dbtest.SQLite(t, testSchemas...))
	l.Close()
	if err := l.Record(context.Background(), Entry{Actor: "x"}); err != ErrClosed {
		t.Errorf("err = %v, want ErrClosed", err)
	}
}

func TestBufferedLogCommitsWithinWindowAndRefusesWhenFailing(t *testing.T) {
	dbtest.Engines(t, testSchemas, func(t *testing.T, d *db.DB) {
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
		if err != ErrUnavailable {
			t.Errorf("with the table gone, Record = %v, want ErrUnavailable", err)
		}
		d.Exec(`ALTER TABLE audit_log_gone RENAME TO audit_log`)
		l.Close()
	})
}

// TestSubjectIndexInBatches: on SQLite the writer indexes entries by subject
// every IndexEvery entries, and List finds a subject's entries both in the
// batch index and after it, newest first, page by page.
func TestSubjectIndexInBatches(t *testing.T) {
	defer func(every int, idle time.Duration) { IndexEvery, IndexIdle = every, idle }(IndexEvery, IndexIdle)
	IndexEvery, IndexIdle = 10, time.Hour
	dbtest.Engines(t, testSchemas, func(t *testing.T, d *db.DB) {
		l := New(d)
		ctx := context.Background()
		var ids []int64 // entries about subject A, in order
		for i := 0; i < 25; i++ {
			subject := "A"
			if i%2 == 1 {
				subject = "B"
			}
			// One at a time: a strict log commits each before Record returns.
			if err := l.Record(ctx, Entry{Actor: "staff:a", Action: "person.read", Subject: subject, Detail: fmt.Sprint(i)}); err != nil {
				t.Fatal(err)
			}
			l.Sync(ctx, 5*time.Second) // on SQLite, imported from the journal
			if subject == "A" {
				var id int64
				if err := d.QueryRow(`SELECT max(id) FROM audit_log`).Scan(&id); err != nil {
					t.Fatal(err)
				}
				ids = append(ids, id)
			}
		}
		l.Close()
		if d.Engine == db.SQLite {
			var upto int64
			var indexed, runs int
			d.QueryRow(`SELECT indexed_upto FROM audit_index_state`).Scan(&upto)
			d.QueryRow(`SELECT count(*) FROM audit_postings p JOIN audit_runs r ON r.run = p.run`).Scan(&indexed)
			d.QueryRow(`SELECT count(*) FROM audit_runs WHERE level = 0`).Scan(&runs)
			if indexed != 20 || runs != 2 {
				t.Errorf("the index holds %d entries in %d runs of level 0, want the first 20 in 2 (two batches of 10)", indexed, runs)
			}
			if upto == 0 || upto >= ids[len(ids)-1] {
				t.Errorf("indexed_upto = %d, want a batch boundary below the last entry %d", upto, ids[len(ids)-1])
			}
		}
		var got []int64
		before := int64(0)
		for page := 0; page < 10; page++ {
			es, next, err := l.List(ctx, "A", before, 4)
			if err != nil {
				t.Fatal(err)
			}
			for _, e := range es {
				if e.Subject != "A" {
					t.Fatalf("List(A) returned an entry about %q", e.Subject)
				}
			}
			for _, e := range es {
				var id int64
				d.QueryRow(`SELECT id FROM audit_log WHERE detail = $1`, e.Detail).Scan(&id)
				got = append(got, id)
			}
			if next == 0 {
				break
			}
			before = next
		}
		if len(got) != len(ids) {
			t.Fatalf("List(A) page by page found %d entries, want %d", len(got), len(ids))
		}
		for i, id := range got {
			if want := ids[len(ids)-1-i]; id != want {
				t.Fatalf("entry %d is id %d, want %d (newest first)", i, id, want)
			}
		}
	})
}

// TestSubjectIndexWhenIdle: entries waiting below IndexEvery are indexed
// once the log has been quiet for IndexIdle.
func TestSubjectIndexWhenIdle(t *testing.T) {
	defer func(every int, idle time.Duration) { IndexEvery, IndexIdle = every, idle }(IndexEvery, IndexIdle)
	IndexEvery, IndexIdle = 1000, 20*time.Millisecond
	d := dbtest.SQLite(t, testSchemas...)
	l := New(d)
	defer l.Close()
	for i := 0; i < 3; i++ {
		if err := l.Record(context.Background(), Entry{Actor: "staff:a", Action: "person.read", Subject: "C"}); err != nil {
			t.Fatal(err)
		}
	}
	var n int
	for i := 0; i < 500 && n < 3; i++ {
		time.Sleep(10 * time.Millisecond)
		d.QueryRow(`SELECT count(*) FROM audit_postings p JOIN audit_runs r ON r.run = p.run WHERE p.subject = 'C'`).Scan(&n)
	}
	if n != 3 {
		t.Fatalf("after 5 s, %d of 3 idle entries are indexed", n)
	}
}
