package audit

import (
	"context"
	"fmt"
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/populus-vn/populus/internal/db"
	"github.com/populus-vn/populus/internal/db/dbtest"
)

// These tests are about the SQLite subject index (runs.go).

// setIndex sets the index's batch, idle time and merge chunk for a test,
// and a fan-in of 8, for which the tests' counts are written (the merges'
// logic is the same at any fan-in).
func setIndex(t *testing.T, every int, idle time.Duration, chunk int) {
	t.Helper()
	oldEvery, oldIdle, oldChunk, oldFanIn := IndexEvery, IndexIdle, mergeChunk, fanIn
	t.Cleanup(func() { IndexEvery, IndexIdle, mergeChunk, fanIn = oldEvery, oldIdle, oldChunk, oldFanIn })
	IndexEvery, IndexIdle, mergeChunk, fanIn = every, idle, chunk, 8
}

var seq int

// testEntry is an entry about subject with a detail no other has.
func testEntry(subject string) Entry {
	seq++
	return Entry{At: time.Date(2026, 1, 1, 0, 0, 0, seq*1000, time.UTC), Actor: "staff:a", Action: "person.read",
		Subject: subject, Outcome: OK, Detail: fmt.Sprint("n", seq), Remote: "10.0.0.1"}
}

// insert appends entries to audit_log directly, as the writer's commits do.
func insert(t *testing.T, d *db.DB, subjects ...string) {
	t.Helper()
	for _, s := range subjects {
		e := testEntry(s)
		if _, err := d.Exec(insertSQL, e.args()...); err != nil {
			t.Fatal(err)
		}
	}
}

type idEntry struct {
	id int64
	e  Entry
}

// scan is what List must return: a plain filtered scan of audit_log.
func scan(t *testing.T, d *db.DB, subject string) []idEntry {
	t.Helper()
	out, err := queryAll(context.Background(), d, func(s db.Scanner) (idEntry, error) {
		var r idEntry
		var at string
		err := s.Scan(&r.id, &at, &r.e.Actor, &r.e.Action, &r.e.Subject, &r.e.Outcome, &r.e.Detail, &r.e.Remote)
		r.e.At, _ = db.ParseTime(at)
		return r, err
	}, `SELECT id, at, actor, action, subject, outcome, detail, remote FROM audit_log WHERE subject = $1 ORDER BY id DESC`, subject)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// checkList pages through List(subject) limit entries at a time and
// compares every page, and the id it returns for the next, with the scan.
func checkList(t *testing.T, d *db.DB, subject string, limit int) {
	t.Helper()
	want := scan(t, d, subject)
	l := &Log{db: d}
	var got []Entry
	before := int64(0)
	for page := 0; ; page++ {
		if page > len(want)/limit+1 {
			t.Fatalf("List(%q) by %d: still paging after %d pages for %d entries", subject, limit, page, len(want))
		}
		es, last, err := l.List(context.Background(), subject, before, limit)
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, es...)
		if len(got) > len(want) {
			break
		}
		if len(es) == limit {
			if w := want[len(got)-1].id; last != w {
				t.Fatalf("List(%q, before %d, %d): last = %d, want %d", subject, before, limit, last, w)
			}
		} else if last != 0 {
			t.Fatalf("List(%q, before %d, %d): a page of %d, last = %d, want 0", subject, before, limit, len(es), last)
		}
		if last == 0 {
			break
		}
		before = last
	}
	var wantEntries []Entry
	for _, w := range want {
		wantEntries = append(wantEntries, w.e)
	}
	if !reflect.DeepEqual(got, wantEntries) {
		t.Fatalf("List(%q) by %d returned %d entries, differing from the scan's %d:\n got %v\nwant %v", subject, limit, len(got), len(want), details(got), details(wantEntries))
	}
}

func details(es []Entry) string {
	var b strings.Builder
	for _, e := range es {
		b.WriteString(e.Detail + " ")
	}
	return b.String()
}

type runRow struct {
	run, lo, hi, entries int64
	level                int
}

func count(t *testing.T, d *db.DB, q string, args ...any) int64 {
	t.Helper()
	var n int64
	if err := d.QueryRow(q, args...).Scan(&n); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	return n
}

// checkRuns checks the index's invariants: the listed runs cover
// 1..indexed_upto, contiguous and without overlap (the entries after the
// last one have no subject); a newer run never has a higher level; each
// holds exactly the postings of the entries with a subject in its range;
// and each merge under way has the fanIn oldest runs of one level as
// sources and a prefix of their merge as its target.
func checkRuns(t *testing.T, d *db.DB) []runRow {
	t.Helper()
	type runCheck struct {
		runRow
		want, got, good int64
	}
	runs, err := queryAll(context.Background(), d, func(s db.Scanner) (runCheck, error) {
		var r runCheck
		return r, s.Scan(&r.run, &r.level, &r.lo, &r.hi, &r.entries, &r.want, &r.got, &r.good)
	}, `SELECT r.run, r.level, r.lo_id, r.hi_id, r.entries,
		(SELECT count(*) FROM audit_log l WHERE l.id BETWEEN r.lo_id AND r.hi_id AND l.subject <> ''),
		(SELECT count(*) FROM audit_postings p WHERE p.run = r.run),
		(SELECT count(*) FROM audit_postings p JOIN audit_log l ON l.id = p.entry_id AND l.subject = p.subject
			WHERE p.run = r.run AND p.entry_id BETWEEN r.lo_id AND r.hi_id)
		FROM audit_runs r ORDER BY r.lo_id`)
	if err != nil {
		t.Fatal(err)
	}
	upto := count(t, d, `SELECT indexed_upto FROM audit_index_state`)
	lo := int64(1)
	var rows []runRow
	for i, r := range runs {
		rows = append(rows, r.runRow)
		if r.lo != lo || r.hi < r.lo {
			t.Fatalf("run %d covers %d..%d, want from %d (runs %+v)", r.run, r.lo, r.hi, lo, runs)
		}
		if i > 0 && r.level > runs[i-1].level {
			t.Fatalf("run %d of level %d is newer than run %d of level %d (runs %+v)", r.run, r.level, runs[i-1].run, runs[i-1].level, runs)
		}
		lo = r.hi + 1
		if r.want == 0 || r.got != r.want || r.good != r.want || r.entries != r.want {
			t.Fatalf("run %d (%d..%d) lists %d entries, holds %d postings, %d of them right; want %d > 0", r.run, r.lo, r.hi, r.entries, r.got, r.good, r.want)
		}
	}
	if lo-1 > upto {
		t.Fatalf("runs reach %d, beyond indexed_upto %d", lo-1, upto)
	}
	if n := count(t, d, `SELECT count(*) FROM audit_log WHERE id >= $1 AND id <= $2 AND subject <> ''`, lo, upto); n != 0 {
		t.Fatalf("%d entries with a subject in %d..%d (indexed_upto) are in no run", n, lo, upto)
	}
	type mergeRow struct {
		target, lo, hi int64
		level          int
	}
	merges, err := queryAll(context.Background(), d, func(s db.Scanner) (mergeRow, error) {
		var m mergeRow
		return m, s.Scan(&m.target, &m.level, &m.lo, &m.hi)
	}, `SELECT run, level, lo_id, hi_id FROM audit_merges`)
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range merges {
		srcs := count(t, d, `SELECT count(*) FROM audit_runs WHERE level = $1 AND lo_id >= $2 AND hi_id <= $3`, m.level-1, m.lo, m.hi)
		older := count(t, d, `SELECT count(*) FROM audit_runs WHERE level = $1 AND lo_id < $2`, m.level-1, m.lo)
		if m.level < 1 || srcs != int64(fanIn) || older != 0 {
			t.Fatalf("merge into run %d of level %d covers %d runs (%d older of its level), want the %d oldest", m.target, m.level, srcs, older, fanIn)
		}
		n := count(t, d, `SELECT count(*) FROM audit_postings WHERE run = $1`, m.target)
		if n == 0 {
			continue
		}
		var last posting
		d.QueryRow(`SELECT subject, entry_id FROM audit_postings WHERE run = $1 ORDER BY subject DESC, entry_id DESC LIMIT 1`, m.target).Scan(&last.subject, &last.id)
		prefix := count(t, d, `SELECT count(*) FROM audit_postings p JOIN audit_runs r ON r.run = p.run
			WHERE r.level = $1 AND r.lo_id >= $2 AND r.hi_id <= $3 AND (p.subject, p.entry_id) <= ($4, $5)`, m.level-1, m.lo, m.hi, last.subject, last.id)
		good := count(t, d, `SELECT count(*) FROM audit_postings p JOIN audit_log l ON l.id = p.entry_id AND l.subject = p.subject
			WHERE p.run = $1 AND p.entry_id BETWEEN $2 AND $3`, m.target, m.lo, m.hi)
		if prefix != n || good != n {
			t.Fatalf("merge target %d holds %d postings, %d of them right; the sources have %d up to its last", m.target, n, good, prefix)
		}
	}
	return rows
}

// garbage counts the postings of runs neither listed nor being merged into.
func garbage(t *testing.T, d *db.DB) int64 {
	return count(t, d, `SELECT count(*) FROM audit_postings WHERE run NOT IN (SELECT run FROM audit_runs) AND run NOT IN (SELECT run FROM audit_merges)`)
}

// waitIndexed waits until l's writer has flushed what IndexEvery asks for
// and has no merge or collection left to do.
func waitIndexed(t *testing.T, d *db.DB, l *Log) {
	t.Helper()
	l.Sync(context.Background(), 10*time.Second)
	for i := 0; i < 3000; i++ {
		waiting := count(t, d, `SELECT COALESCE((SELECT max(id) FROM audit_log), 0) - indexed_upto FROM audit_index_state`)
		if waiting < int64(IndexEvery) && !l.idx.busy() {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatal("the audit writer is still indexing after 30 s")
}

// TestListMatchesScanAcrossLevels: List returns what a scan of audit_log
// returns, page by page, whether the entries are in the tail, in runs of
// level 0, or in runs of several levels that the writer merged.
func TestListMatchesScanAcrossLevels(t *testing.T) {
	setIndex(t, 10, time.Hour, 23)
	d := dbtest.SQLite(t, testSchemas...)
	l := New(d)
	defer l.Close()
	ctx := context.Background()
	rng := rand.New(rand.NewPCG(1, 2))
	subjects := make([]string, 50)
	for i := range subjects {
		subjects[i] = fmt.Sprintf("%012d", i*7919)
	}
	record := func(n int) {
		for n > 0 {
			k := min(n, 1+rng.IntN(6))
			var es []Entry
			for range k {
				s := subjects[rng.IntN(len(subjects))]
				if rng.IntN(10) == 0 {
					s = "" // not indexed
				}
				es = append(es, testEntry(s))
			}
			if err := l.Record(ctx, es...); err != nil {
				t.Fatal(err)
			}
			l.Sync(ctx, 5*time.Second) // imported as its own batch
			n -= k
		}
	}
	checkSome := func(from, n int, limits ...int) {
		t.Helper()
		for i := range n {
			checkList(t, d, subjects[(from+i)%len(subjects)], limits[i%len(limits)])
		}
	}

	// In the tail only.
	if err := l.Record(ctx, testEntry(subjects[0]), testEntry(subjects[1]), testEntry(subjects[0])); err != nil {
		t.Fatal(err)
	}
	waitIndexed(t, d, l)
	if n := count(t, d, `SELECT count(*) FROM audit_runs`); n != 0 {
		t.Fatalf("%d runs after 3 entries, want none", n)
	}
	checkList(t, d, subjects[0], 1)
	checkList(t, d, subjects[0], 2)
	checkList(t, d, subjects[1], 5)

	// In runs only: 7 more make 10, flushed at once.
	var es []Entry
	for i := range 7 {
		es = append(es, testEntry(subjects[i%3]))
	}
	if err := l.Record(ctx, es...); err != nil {
		t.Fatal(err)
	}
	waitIndexed(t, d, l)
	if n := count(t, d, `SELECT count(*) FROM audit_log WHERE id > (SELECT indexed_upto FROM audit_index_state)`); n != 0 {
		t.Fatalf("%d entries in the tail after a flush, want none", n)
	}
	if runs := checkRuns(t, d); len(runs) != 1 {
		t.Fatalf("runs %+v, want one", runs)
	}
	for _, s := range subjects[:3] {
		checkList(t, d, s, 2)
	}

	// While the writer merges: List is right at any moment.
	for i := range 6 {
		record(200)
		checkSome(i*8, 8, 7, 100)
	}
	// Several levels, and the tail.
	record(800)
	waitIndexed(t, d, l)
	runs := checkRuns(t, d)
	levels := map[int]int{}
	for _, r := range runs {
		levels[r.level]++
	}
	if levels[2] == 0 || levels[1] == 0 || levels[0] == 0 {
		t.Fatalf("runs by level %v, want levels 0, 1 and 2", levels)
	}
	for level, n := range levels {
		if n >= fanIn {
			t.Errorf("level %d holds %d runs once the writer is done", level, n)
		}
	}
	if n := count(t, d, `SELECT count(*) FROM audit_merges`) + garbage(t, d); n != 0 {
		t.Errorf("%d merges or garbage postings left once the writer is done", n)
	}
	checkSome(0, 5, 1)
	checkSome(5, len(subjects)-5, 3, 7, 1000)
}

// TestInterruptedMergeIsResumed: a merge stopped after a few chunks leaves
// List right; the next writer resumes it into the same target, and deletes
// its sources.
func TestInterruptedMergeIsResumed(t *testing.T) {
	setIndex(t, 1000, time.Hour, 5)
	d := dbtest.SQLite(t, testSchemas...)
	ctx := context.Background()
	subjects := []string{"a", "b", "c", "d", "e", "f"}
	x := newRunIndex(d)
	for i := 0; i < fanIn; i++ {
		for j := 0; j < 10; j++ {
			insert(t, d, subjects[(i*3+j)%len(subjects)])
		}
		if err := x.flush(ctx); err != nil {
			t.Fatal(err)
		}
	}
	for i := 0; i < 2+3; i++ { // load, plan, then 3 chunks
		if err := x.step(ctx); err != nil {
			t.Fatal(err)
		}
	}
	var target, level int64
	if err := d.QueryRow(`SELECT run, level FROM audit_merges`).Scan(&target, &level); err != nil {
		t.Fatalf("no merge under way after 3 chunks: %v", err)
	}
	if n := count(t, d, `SELECT count(*) FROM audit_postings WHERE run = $1`, target); n != 15 || level != 1 {
		t.Fatalf("target run %d of level %d holds %d postings after 3 chunks, want 15 of level 1", target, level, n)
	}
	// One more batch while the merge is under way: a new run of level 0,
	// numbered after the target.
	insert(t, d, "a", "b", "", "a")
	if err := x.flush(ctx); err != nil {
		t.Fatal(err)
	}
	runs := checkRuns(t, d)
	if newest := runs[len(runs)-1]; newest.run <= target || newest.level != 0 || len(runs) != fanIn+1 {
		t.Fatalf("runs %+v: want %d, the newest above the target %d", runs, fanIn+1, target)
	}
	for _, s := range subjects {
		checkList(t, d, s, 4)
	}

	// The process stops; a new writer takes over.
	l := New(d)
	waitIndexed(t, d, l)
	l.Close()
	runs = checkRuns(t, d)
	if len(runs) != 2 || runs[0].run != target || runs[0].level != 1 || runs[0].entries != 80 || runs[1].level != 0 {
		t.Fatalf("runs %+v: want the resumed target %d of level 1 with 80 entries, then the newer run", runs, target)
	}
	if n := count(t, d, `SELECT count(*) FROM audit_merges`); n != 0 {
		t.Errorf("%d merges still under way", n)
	}
	if n := count(t, d, `SELECT count(*) FROM audit_postings`); n != 83 {
		t.Errorf("audit_postings holds %d postings, want the 83 of the two runs (the sources deleted)", n)
	}
	for _, s := range subjects {
		checkList(t, d, s, 3)
	}
}

// TestGarbageOfCompletedMergeIsCollected: the sources of a merge completed
// just before a stop are ignored by List, and deleted by the next writer.
func TestGarbageOfCompletedMergeIsCollected(t *testing.T) {
	setIndex(t, 1000, time.Hour, 7)
	d := dbtest.SQLite(t, testSchemas...)
	ctx := context.Background()
	x := newRunIndex(d)
	for i := 0; i < fanIn; i++ {
		insert(t, d, "p", "q", "p", "r", "", "q", "p", "s", "p")
		if err := x.flush(ctx); err != nil {
			t.Fatal(err)
		}
	}
	// Until the merge is complete, then one chunk of collection.
	for i := 0; count(t, d, `SELECT count(*) FROM audit_runs WHERE level = 1`) == 0; i++ {
		if i > 100 {
			t.Fatal("the merge does not complete")
		}
		if err := x.step(ctx); err != nil {
			t.Fatal(err)
		}
	}
	for i := 0; garbage(t, d) == int64(fanIn*8); i++ {
		if i > 2 {
			t.Fatal("no garbage collected after the merge")
		}
		if err := x.step(ctx); err != nil {
			t.Fatal(err)
		}
	}
	if n := garbage(t, d); n != int64(fanIn*8-7) {
		t.Fatalf("%d garbage postings after one chunk of collection, want %d", n, fanIn*8-7)
	}
	checkRuns(t, d)
	for _, s := range []string{"p", "q", "r", "s"} {
		checkList(t, d, s, 3)
	}
	l := New(d)
	waitIndexed(t, d, l)
	l.Close()
	if n := garbage(t, d); n != 0 {
		t.Fatalf("%d garbage postings after a new writer ran", n)
	}
	if runs := checkRuns(t, d); len(runs) != 1 || runs[0].level != 1 {
		t.Fatalf("runs %+v, want one of level 1", runs)
	}
	if n := count(t, d, `SELECT count(*) FROM audit_postings`); n != int64(fanIn*8) {
		t.Fatalf("%d postings, want %d", n, fanIn*8)
	}
}

// TestRunInvariantsUnderRandomSteps: after every step of a random sequence
// of entries, flushes, merge and collection steps and restarts, the runs
// keep their invariants (checkRuns) and List matches the scan.
func TestRunInvariantsUnderRandomSteps(t *testing.T) {
	setIndex(t, 1000, time.Hour, 3)
	d := dbtest.SQLite(t, testSchemas...)
	ctx := context.Background()
	rng := rand.New(rand.NewPCG(7, 11))
	// Subjects that JSON must escape, and one beyond ASCII, for the merge's
	// insertion (postingsJSON).
	subjects := []string{"", "k0", "k1", "k2", "k3", "k4", "k5", `k"6\`, "k7\x01\n", "ký tự 8"}
	x := newRunIndex(d)
	flushes := 0
	for op := 0; op < 600; op++ {
		switch r := rng.IntN(10); {
		case r < 3:
			var ss []string
			for range rng.IntN(6) {
				ss = append(ss, subjects[rng.IntN(len(subjects))])
			}
			insert(t, d, ss...)
		case r < 6:
			if err := x.flush(ctx); err != nil {
				t.Fatal(err)
			}
			flushes++
		case r < 9:
			for range 1 + rng.IntN(4) {
				if err := x.step(ctx); err != nil {
					t.Fatal(err)
				}
			}
		default:
			x = newRunIndex(d) // a restart
		}
		checkRuns(t, d)
		checkList(t, d, subjects[1+rng.IntN(len(subjects)-1)], 4+rng.IntN(12))
	}
	for i := 0; x.busy(); i++ {
		if i > 10000 {
			t.Fatal("the index is still busy")
		}
		if err := x.step(ctx); err != nil {
			t.Fatal(err)
		}
	}
	runs := checkRuns(t, d)
	if runs[0].level < 2 {
		t.Errorf("after %d flushes the oldest run is of level %d, want 2 or more", flushes, runs[0].level)
	}
	if n := garbage(t, d) + count(t, d, `SELECT count(*) FROM audit_merges`); n != 0 {
		t.Errorf("%d garbage postings or merges left", n)
	}
	for _, s := range subjects[1:] {
		checkList(t, d, s, 4)
	}
}

// TestMigrationMovesBatchIndexToRuns: migration 0004 makes the batch index
// of 0002 one run, of the level its size calls for, and drops it.
func TestMigrationMovesBatchIndexToRuns(t *testing.T) {
	setIndex(t, 50_000, 10*time.Millisecond, 32768)
	ctx := context.Background()
	d, err := db.Open(ctx, "", t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	if _, err := d.MigrateTo(ctx, Schema, 3); err != nil {
		t.Fatal(err)
	}
	// 60,000 entries, one in ten without a subject; the first 58,000
	// indexed by the old writer: 52,200 postings, above a run of level 0.
	if _, err := d.Exec(`WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 60000)
		INSERT INTO audit_log (id, at, actor, action, subject, outcome, detail, remote)
		SELECT i, '2026-01-01T00:00:00.000000Z', 'staff:a', 'person.read', CASE WHEN i % 10 = 0 THEN '' ELSE 's' || (i % 37) END, 'ok', 'n' || i, '' FROM n`); err != nil {
		t.Fatal(err)
	}
	if _, err := d.Exec(`INSERT INTO audit_subjects (subject, entry_id) SELECT subject, id FROM audit_log WHERE id <= 58000 AND subject <> '' ORDER BY subject, id`); err != nil {
		t.Fatal(err)
	}
	if _, err := d.Exec(`UPDATE audit_index_state SET indexed_upto = 58000`); err != nil {
		t.Fatal(err)
	}
	if _, err := d.Migrate(ctx, Schema); err != nil {
		t.Fatal(err)
	}
	runs := checkRuns(t, d)
	if len(runs) != 1 || runs[0] != (runRow{run: 1, level: 1, lo: 1, hi: 58000, entries: 52200}) {
		t.Fatalf("runs after audit 0004: %+v, want run 1 of level 1 covering 1..58000 with 52200 entries", runs)
	}
	if n := count(t, d, `SELECT count(*) FROM audit.sqlite_master WHERE name LIKE 'audit_subjects%'`); n != 0 {
		t.Errorf("%d objects named audit_subjects… left", n)
	}
	if n := count(t, d, `SELECT indexed_upto FROM audit_index_state`); n != 58000 {
		t.Errorf("indexed_upto = %d, want 58000", n)
	}
	for _, s := range []string{"s0", "s1", "s36"} {
		checkList(t, d, s, 700)
	}
	// The writer indexes the rest as a run of level 0, newer.
	l := New(d)
	for i := 0; count(t, d, `SELECT indexed_upto FROM audit_index_state`) != 60000; i++ {
		if i > 500 {
			t.Fatal("the entries after the old index are not indexed after 5 s")
		}
		time.Sleep(10 * time.Millisecond)
	}
	l.Close()
	runs = checkRuns(t, d)
	if len(runs) != 2 || runs[1].level != 0 || runs[1].lo != 58001 {
		t.Fatalf("runs %+v, want the migrated run and one of level 0 from 58001", runs)
	}
	checkList(t, d, "s5", 500)
}

// TestListPlanSeeksEachRun: SQLite reads each run's postings by a seek on
// (run, subject), in order, and sorts only the rows of each side's page.
func TestListPlanSeeksEachRun(t *testing.T) {
	d := dbtest.SQLite(t, testSchemas...)
	type node struct {
		id, parent int
		detail     string
	}
	plan, err := queryAll(context.Background(), d, func(s db.Scanner) (node, error) {
		var n node
		var unused int
		return n, s.Scan(&n.id, &n.parent, &unused, &n.detail)
	}, `EXPLAIN QUERY PLAN `+listRunsSQL, "x", int64(100), 10)
	if err != nil {
		t.Fatal(err)
	}
	var text []string
	detail := map[int]string{}
	for _, n := range plan {
		detail[n.id] = n.detail
		text = append(text, fmt.Sprintf("%d %d %s", n.id, n.parent, n.detail))
	}
	all := strings.Join(text, "\n")
	for _, want := range []string{
		"SEARCH r USING COVERING INDEX audit_runs_lo_id (lo_id<?)",
		"SEARCH p USING PRIMARY KEY (run=? AND subject=? AND entry_id<?)",
		"SEARCH l USING INTEGER PRIMARY KEY (rowid=?)",
		"SEARCH l USING INTEGER PRIMARY KEY (rowid>? AND rowid<?)",
	} {
		if !strings.Contains(all, want) {
			t.Errorf("the plan lacks %q:\n%s", want, all)
		}
	}
	for _, n := range plan {
		if strings.Contains(n.detail, "TEMP B-TREE") && strings.HasPrefix(detail[n.parent], "CO-ROUTINE") {
			t.Errorf("a side of the union sorts before its limit:\n%s", all)
		}
		if strings.HasPrefix(n.detail, "SCAN") && !strings.Contains(n.detail, "subquery") && !strings.Contains(n.detail, "audit_index_state") {
			t.Errorf("the plan scans a table:\n%s", all)
		}
	}
}
