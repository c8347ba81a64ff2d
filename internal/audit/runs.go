package audit

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math"
	"sort"
	"strconv"
	"sync"
	"time"

	"github.com/populus-vn/populus/internal/db"
)

// The SQLite subject index is log-structured (audit migration 0004). Each flush
// appends the entries committed since the last one, sorted by subject, as a
// new run of level 0: a run is a sorted batch of postings (subject, entry
// id) in audit_postings, keyed by (run, subject, entry_id), and a new run's
// number is larger than every other, so its postings go to the right edge
// of that B-tree, written page after page whatever the size of the log.
// audit_runs lists the runs that make up the index, each with the
// contiguous range of entry ids it covers.
//
// Compaction is tiered: once a level holds fanIn runs, its fanIn oldest are
// merged into one run of the next level. A run of level L+1 always covers
// older entries than every run of level L, so the runs of one level are
// contiguous in entry ids and so is their merge. An entry is thus written
// once by its flush and once per merge: amortised O(log_16(N/IndexEvery))
// sequential rewrites for a log of N entries, and a look-up probes each
// run, at most about fanIn per level.
//
// Each level has at most one merge under way, and the lowest level's goes
// first, so that a long merge does not leave small runs piling up below.
//
// A merge is done by the audit writer between its commits, mergeChunk
// postings per transaction (a step), so that SQLite's write lock, which
// every group commit of the audit log needs, is never held for long. The
// writer steps whenever its queue is empty, and at least once per
// stepEvery entries committed. The sources
// are read with keyset pagination outside any transaction (a run listed in
// audit_runs never changes) and merged in Go, and only the insertion into
// the target takes the lock. The merge is recorded in audit_merges when it
// starts; when the target is complete, one transaction lists it in
// audit_runs and removes its sources from there and the merge from
// audit_merges. The sources' postings are then garbage, deleted in chunks.
//
// Crashes: List reads postings only through audit_runs, so a partial
// target or undeleted sources are never seen, and every transaction leaves
// the runs in audit_runs complete. A new writer resumes each merge of
// audit_merges after the last posting its target holds, and deletes the
// postings of runs listed in neither table.

// fanIn is the number of runs of one level merged into one run of the next.
// 16 rather than 8: an entry is rewritten a quarter fewer times (in a log of
// 100M entries, 2.7 times instead of 3.7), and a look-up probes at most 15
// runs a level instead of 7, a few milliseconds. Tests make it smaller.
var fanIn = 16

// mergeChunk is the number of postings a merge or a garbage collection
// writes or deletes in one transaction. Inserting a posting into the
// target took 1.7 µs on a shared 2-core machine, so a chunk holds the write
// lock for about 30 ms; reading and merging the sources, outside the
// transaction, took as long again. Tests make it small.
var mergeChunk = 16384

// retryAfter is how long the writer leaves the index alone after a merge or
// collection step failed.
const retryAfter = time.Second

type posting struct {
	subject string
	id      int64
}

func (a posting) less(b posting) bool {
	if a.subject != b.subject {
		return a.subject < b.subject
	}
	return a.id < b.id
}

// start is before every posting: subjects are never empty.
var start = posting{"", math.MinInt64}

// source is a run being merged.
type source struct {
	run  int64
	buf  []posting // read, not yet merged
	next posting   // the last posting read
	end  bool      // every posting of the run has been read
}

// merge is a merge under way, into the run target of level level.
type merge struct {
	target  int64
	level   int
	lo, hi  int64
	entries int64
	srcs    []*source
}

// runIndex maintains the runs. The audit writer calls it; tests may too,
// hence the mutex.
type runIndex struct {
	mu sync.Mutex
	db *db.DB
	// loaded is set once the merges under way have been read from the
	// store: at the first step, and after a failed step.
	loaded bool
	// plan is set when a level may have filled up.
	plan bool
	// gc is set when postings of unlisted runs may remain.
	gc     bool
	merges []*merge // by level, lowest first
	// retryAt holds steps back after a failure.
	retryAt time.Time
}

func newRunIndex(d *db.DB) *runIndex { return &runIndex{db: d} }

// flush adds the entries committed since the last flush to the index as a
// run of level 0, in one transaction. SQLite has one writer at a time, so
// every entry up to the largest id is committed when it starts. Entries
// without a subject are not indexed: a flush that finds only such entries
// advances indexed_upto and adds no run. A run's range starts after the
// previous run's, so ranges stay contiguous.
func (x *runIndex) flush(ctx context.Context) error {
	x.mu.Lock()
	defer x.mu.Unlock()
	added := false
	err := x.db.InTx(ctx, func(tx *sql.Tx) error {
		added = false
		var upto, top, lo int64
		if err := tx.QueryRowContext(ctx, `SELECT indexed_upto, COALESCE((SELECT max(id) FROM audit_log), 0),
			COALESCE((SELECT max(hi_id) FROM audit_runs), 0) + 1 FROM audit_index_state`).Scan(&upto, &top, &lo); err != nil {
			return err
		}
		if top <= upto {
			return nil
		}
		r, err := nextRun(ctx, tx)
		if err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, `INSERT INTO audit_postings (run, subject, entry_id)
			SELECT $1, subject, id FROM audit_log WHERE id > $2 AND id <= $3 AND subject <> '' ORDER BY subject, id`, r, upto, top)
		if err != nil {
			return err
		}
		n, err := res.RowsAffected()
		if err != nil {
			return err
		}
		if n > 0 {
			if _, err := tx.ExecContext(ctx, `INSERT INTO audit_runs (run, level, lo_id, hi_id, entries) VALUES ($1, 0, $2, $3, $4)`, r, lo, top, n); err != nil {
				return err
			}
			added = true
		}
		_, err = tx.ExecContext(ctx, `UPDATE audit_index_state SET indexed_upto = $1`, top)
		return err
	})
	if err == nil && added {
		x.plan = true
	}
	return err
}

// nextRun returns a run number larger than any in use, including a merge
// target not yet written to and garbage not yet deleted.
func nextRun(ctx context.Context, tx *sql.Tx) (int64, error) {
	var r int64
	err := tx.QueryRowContext(ctx, `SELECT max(COALESCE((SELECT max(run) FROM audit_runs), 0),
		COALESCE((SELECT max(run) FROM audit_postings), 0), COALESCE((SELECT max(run) FROM audit_merges), 0)) + 1`).Scan(&r)
	return r, err
}

// busy reports whether a step has work to do.
func (x *runIndex) busy() bool {
	x.mu.Lock()
	defer x.mu.Unlock()
	if !x.retryAt.IsZero() && time.Now().Before(x.retryAt) {
		return false
	}
	return !x.loaded || x.plan || len(x.merges) > 0 || x.gc
}

// step does one short unit of the index's work, in at most one write
// transaction: starting the merges of full levels, one chunk of the merge
// of the lowest level, or one chunk of garbage collection. After a failure
// it forgets its state, which it reads again from the store.
func (x *runIndex) step(ctx context.Context) error {
	x.mu.Lock()
	defer x.mu.Unlock()
	var err error
	switch {
	case !x.loaded:
		err = x.load(ctx)
	case x.plan:
		err = x.planMerges(ctx)
	case len(x.merges) > 0:
		err = x.mergeChunk(ctx, x.merges[0])
	case x.gc:
		err = x.collect(ctx)
	}
	if err != nil {
		x.loaded, x.merges = false, nil
		x.retryAt = time.Now().Add(retryAfter)
	}
	return err
}

// load reads the merges under way, to resume them after the last posting
// each target holds.
func (x *runIndex) load(ctx context.Context) error {
	type row struct {
		target int64
		level  int
		lo, hi int64
	}
	rows, err := queryAll(ctx, x.db, func(s db.Scanner) (row, error) {
		var r row
		return r, s.Scan(&r.target, &r.level, &r.lo, &r.hi)
	}, `SELECT run, level, lo_id, hi_id FROM audit_merges ORDER BY level`)
	if err != nil {
		return err
	}
	var merges []*merge
	for _, r := range rows {
		m := &merge{target: r.target, level: r.level, lo: r.lo, hi: r.hi}
		srcs, err := queryAll(ctx, x.db, func(s db.Scanner) (*source, error) {
			var src source
			var n int64
			err := s.Scan(&src.run, &n)
			m.entries += n
			return &src, err
		}, `SELECT run, entries FROM audit_runs WHERE level = $1 AND lo_id >= $2 AND hi_id <= $3 ORDER BY lo_id`,
			r.level-1, r.lo, r.hi)
		if err != nil {
			return err
		}
		if len(srcs) != fanIn {
			// Only if two writers planned the same merge: drop this one,
			// whose target becomes garbage.
			if _, err := x.db.ExecContext(ctx, `DELETE FROM audit_merges WHERE run = $1`, r.target); err != nil {
				return err
			}
			continue
		}
		resume := start
		err = x.db.QueryRowContext(ctx, `SELECT subject, entry_id FROM audit_postings WHERE run = $1
			ORDER BY subject DESC, entry_id DESC LIMIT 1`, r.target).Scan(&resume.subject, &resume.id)
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return err
		}
		for _, s := range srcs {
			s.next = resume
		}
		m.srcs = srcs
		merges = append(merges, m)
	}
	x.merges = merges
	x.loaded, x.plan, x.gc = true, true, true
	return nil
}

// planMerges starts a merge of the fanIn oldest runs of every level that
// holds fanIn runs and is not being merged already.
func (x *runIndex) planMerges(ctx context.Context) error {
	type run struct {
		run, lo, hi, entries int64
		level                int
	}
	runs, err := queryAll(ctx, x.db, func(s db.Scanner) (run, error) {
		var r run
		return r, s.Scan(&r.run, &r.level, &r.lo, &r.hi, &r.entries)
	}, `SELECT run, level, lo_id, hi_id, entries FROM audit_runs ORDER BY lo_id`)
	if err != nil {
		return err
	}
	byLevel := map[int][]run{}
	for _, r := range runs {
		byLevel[r.level] = append(byLevel[r.level], r)
	}
	merging := map[int]bool{}
	for _, m := range x.merges {
		merging[m.level-1] = true
	}
	for level, rs := range byLevel {
		if merging[level] || len(rs) < fanIn {
			continue
		}
		rs = rs[:fanIn] // the oldest
		m := &merge{level: level + 1, lo: rs[0].lo, hi: rs[fanIn-1].hi}
		for _, r := range rs {
			m.srcs = append(m.srcs, &source{run: r.run, next: start})
			m.entries += r.entries
		}
		err := x.db.InTx(ctx, func(tx *sql.Tx) error {
			var err error
			if m.target, err = nextRun(ctx, tx); err != nil {
				return err
			}
			_, err = tx.ExecContext(ctx, `INSERT INTO audit_merges (run, level, lo_id, hi_id) VALUES ($1, $2, $3, $4)`, m.target, m.level, m.lo, m.hi)
			return err
		})
		if err != nil {
			return err
		}
		x.merges = append(x.merges, m)
	}
	sort.Slice(x.merges, func(i, j int) bool { return x.merges[i].level < x.merges[j].level })
	x.plan = false
	return nil
}

// fetch reads the next page of s's postings.
func (x *runIndex) fetch(ctx context.Context, s *source, n int) error {
	ps, err := queryAll(ctx, x.db, func(sc db.Scanner) (posting, error) {
		var p posting
		return p, sc.Scan(&p.subject, &p.id)
	}, `SELECT subject, entry_id FROM audit_postings
		WHERE run = $1 AND (subject, entry_id) > ($2, $3) ORDER BY subject, entry_id LIMIT $4`, s.run, s.next.subject, s.next.id, n)
	if err != nil {
		return err
	}
	if len(ps) > 0 {
		s.next = ps[len(ps)-1]
	}
	s.buf, s.end = ps, len(ps) < n
	return nil
}

// mergeChunk merges the next mergeChunk postings of m's sources into its
// target, and completes the merge once they are all there.
func (x *runIndex) mergeChunk(ctx context.Context, m *merge) error {
	page := max(mergeChunk/4, 1)
	out := make([]posting, 0, mergeChunk)
	for len(out) < mergeChunk {
		var first *source
		for _, s := range m.srcs {
			if len(s.buf) == 0 && !s.end {
				if err := x.fetch(ctx, s, page); err != nil {
					return err
				}
			}
			if len(s.buf) > 0 && (first == nil || s.buf[0].less(first.buf[0])) {
				first = s
			}
		}
		if first == nil {
			break
		}
		out = append(out, first.buf[0])
		first.buf = first.buf[1:]
	}
	done := len(out) < mergeChunk
	ins, err := x.db.Prepared(ctx, insertPostingsSQL)
	if err != nil {
		return err
	}
	err = x.db.InTx(ctx, func(tx *sql.Tx) error {
		if len(out) > 0 {
			st := tx.StmtContext(ctx, ins)
			defer st.Close()
			if _, err := st.ExecContext(ctx, m.target, postingsJSON(out)); err != nil {
				return err
			}
		}
		if !done {
			return nil
		}
		res, err := tx.ExecContext(ctx, `DELETE FROM audit_runs WHERE level = $1 AND lo_id >= $2 AND hi_id <= $3`, m.level-1, m.lo, m.hi)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil || n != int64(len(m.srcs)) {
			return fmt.Errorf("audit merge into run %d: %d of its %d sources listed (%v)", m.target, n, len(m.srcs), err)
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO audit_runs (run, level, lo_id, hi_id, entries) VALUES ($1, $2, $3, $4, $5)`,
			m.target, m.level, m.lo, m.hi, m.entries); err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, `DELETE FROM audit_merges WHERE run = $1`, m.target)
		return err
	})
	if err != nil {
		return err
	}
	if done {
		x.merges = x.merges[1:]
		x.plan, x.gc = true, true
	}
	return nil
}

// insertPostingsSQL inserts the postings of a chunk into run $1, given as
// a JSON array of [subject, entry_id] in $2: one argument for the driver to
// convert instead of two a posting, which took most of a chunk's time. The
// entries are read once each (MATERIALIZED), as binary JSON (jsonb_each), as
// in insertGroupSQL.
const insertPostingsSQL = `WITH p AS MATERIALIZED (SELECT value AS v FROM jsonb_each($2))
	INSERT INTO audit_postings (run, subject, entry_id) SELECT $1, v ->> 0, v ->> 1 FROM p`

// postingsJSON encodes ps for insertPostingsSQL.
func postingsJSON(ps []posting) string {
	b := make([]byte, 0, len(ps)*32)
	b = append(b, '[')
	for i, p := range ps {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, '[')
		b = appendJSONString(b, p.subject)
		b = append(b, ',')
		b = strconv.AppendInt(b, p.id, 10)
		b = append(b, ']')
	}
	return string(append(b, ']'))
}

// appendJSONString appends s as a JSON string.
func appendJSONString(b []byte, s string) []byte {
	return append(appendJSONChars(append(b, '"'), s), '"')
}

// appendJSONChars appends s as the characters of a JSON string, without
// its quotes.
func appendJSONChars(b []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '"' || c == '\\':
			b = append(b, '\\', c)
		case c < 0x20:
			b = append(b, `\u00`...)
			b = append(b, hexDigits[c>>4], hexDigits[c&0xf])
		default:
			b = append(b, c)
		}
	}
	return b
}

const hexDigits = "0123456789abcdef"

// collect deletes up to mergeChunk postings of a run listed neither in
// audit_runs nor in audit_merges. Such a run is the source of a completed
// merge; no run gets its number again (nextRun), so its postings cannot
// become live again while they are being deleted.
func (x *runIndex) collect(ctx context.Context) error {
	var r int64
	// Walk the distinct runs of audit_postings by seeking past each.
	err := x.db.QueryRowContext(ctx, `WITH RECURSIVE r(run) AS (
			SELECT min(run) FROM audit_postings
			UNION ALL
			SELECT (SELECT min(p.run) FROM audit_postings p WHERE p.run > r.run) FROM r WHERE r.run IS NOT NULL
		)
		SELECT run FROM r WHERE run IS NOT NULL
			AND run NOT IN (SELECT run FROM audit_runs) AND run NOT IN (SELECT run FROM audit_merges)
		LIMIT 1`).Scan(&r)
	if errors.Is(err, sql.ErrNoRows) {
		x.gc = false
		return nil
	}
	if err != nil {
		return err
	}
	var last posting
	err = x.db.QueryRowContext(ctx, `SELECT subject, entry_id FROM audit_postings WHERE run = $1
		ORDER BY subject, entry_id LIMIT 1 OFFSET $2`, r, mergeChunk-1).Scan(&last.subject, &last.id)
	if errors.Is(err, sql.ErrNoRows) {
		_, err = x.db.ExecContext(ctx, `DELETE FROM audit_postings WHERE run = $1`, r)
		return err
	}
	if err != nil {
		return err
	}
	_, err = x.db.ExecContext(ctx, `DELETE FROM audit_postings WHERE run = $1 AND (subject, entry_id) <= ($2, $3)`, r, last.subject, last.id)
	return err
}

// queryAll reads every row of a query with scan.
func queryAll[T any](ctx context.Context, d *db.DB, scan func(db.Scanner) (T, error), query string, args ...any) ([]T, error) {
	rows, err := d.QueryContext(ctx, query, args...)
	return db.Collect(rows, err, scan)
}
