// Package audit keeps the audit log: who read or changed whose data, when,
// from where, and whether it was allowed. Every access to a person's data
// leaves an entry, written before the data is returned.
//
// Reads are many, so entries from concurrent requests are committed together
// (group commit). A strict log (New) makes each caller wait until its entry
// is stored. A buffered log (NewBuffered) lets the caller go on once its
// entry is queued and commits the queue at least every window; it refuses
// entries while the store is failing, so an access that cannot be audited is
// refused, and if the process is killed it loses the read entries still
// queued: one window's worth in normal running, at most queueLen while the
// writer is held up. Changes record their entries in their own transaction (RecordTx)
// either way. The log is append-only in the store. It must never hold the
// personal data itself, only identifiers.
//
// On SQLite, entries are indexed by subject in batches, kept as a
// log-structured index of sorted runs (see runs.go): the writer appends
// entries to audit_log only, and every IndexEvery entries, or after a quiet
// IndexIdle, appends the new ones, sorted by subject, as a new run at the
// right edge of audit_postings, so that the pages written are sequential
// and as many as the batch needs, whatever the size of the log. Between its
// commits the writer merges every 8 runs of one level into one run of the
// next, a chunk at a time, so each entry is rewritten, sequentially, an
// amortised O(log_8(N/IndexEvery)) times in a log of N entries. List reads
// each run listed in audit_runs and scans the entries after the last batch.
// A crash at any point leaves List correct: runs enter and leave audit_runs
// in single transactions, a merge interrupted is resumed by the next
// writer, and postings of runs no longer listed are deleted. On PostgreSQL
// the subject index is kept row by row.
package audit

import (
	"context"
	"database/sql"
	"errors"
	"log/slog"
	"math"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promauto"

	"github.com/populus-vn/populus/internal/db"
)

// Entry is one audited access.
type Entry struct {
	At      time.Time `json:"at"`
	Actor   string    `json:"actor"`   // "staff:username", "system:…"
	Action  string    `json:"action"`  // an auth.Action or "staff.signin", …
	Subject string    `json:"subject"` // the PIN or other identifier concerned
	Outcome string    `json:"outcome"` // "ok", "denied", "failed"
	Detail  string    `json:"detail"`
	Remote  string    `json:"remote"`
}

// Outcomes.
const (
	OK     = "ok"
	Denied = "denied"
	Failed = "failed"
)

const insertSQL = `INSERT INTO audit_log (at, actor, action, subject, outcome, detail, remote) VALUES ($1, $2, $3, $4, $5, $6, $7)`

// insertGroupSQL inserts, on SQLite, a group of entries given as one JSON
// array of [at, actor, action, subject, outcome, detail, remote] arrays
// (entriesJSON), in order: the driver copies one argument into C memory
// instead of seven an entry, which took most of a group commit's time.
const insertGroupSQL = `INSERT INTO audit_log (at, actor, action, subject, outcome, detail, remote)
	SELECT value ->> 0, value ->> 1, value ->> 2, value ->> 3, value ->> 4, value ->> 5, value ->> 6 FROM json_each($1)`

// entriesJSON encodes a group for insertGroupSQL.
func entriesJSON(batch []pending) string {
	b := make([]byte, 0, len(batch)*192)
	b = append(b, '[')
	for i := range batch {
		e := &batch[i].e
		if i > 0 {
			b = append(b, ',')
		}
		b = append(e.At.UTC().AppendFormat(append(b, `["`...), db.TimeFormat), '"')
		for _, s := range [...]string{e.Actor, e.Action, e.Subject, e.Outcome, e.Detail, e.Remote} {
			b = appendJSONString(append(b, ','), s)
		}
		b = append(b, ']')
	}
	return string(append(b, ']'))
}

// Log writes and reads the audit log.
type Log struct {
	db      *db.DB
	pending chan pending
	stop    chan struct{}
	done    chan struct{}
	// mu orders Record's sends before Close, so the writer's final drain
	// sees every entry that was queued.
	mu     sync.RWMutex
	closed bool
	// window is how long a buffered log gathers entries before a commit;
	// zero for a strict log.
	window time.Duration
	// failing is set while commits fail, so a buffered log refuses entries.
	failing atomic.Bool
	// idx is the SQLite subject index, nil on PostgreSQL.
	idx *runIndex
	// unindexed counts the entries the writer committed since the last
	// flush to the subject index (SQLite only).
	unindexed int
	// owed counts the entries committed since the index's last step
	// (SQLite only); see stepEvery.
	owed int
}

// IndexEvery and IndexIdle set when the SQLite writer flushes committed
// entries to the subject index as a new run: once IndexEvery entries are
// waiting, or when none has come for IndexIdle and some are waiting. A
// look-up by subject scans the waiting entries, so IndexEvery bounds its
// cost.
var (
	IndexEvery = 50_000
	IndexIdle  = 2 * time.Second
)

type pending struct {
	e Entry
	// err receives the outcome of the commit; nil for a buffered log,
	// whose callers do not wait.
	err chan error
}

// maxGroup bounds one group commit.
const maxGroup = 512

// queueLen bounds the entries waiting for the writer; Record blocks when it
// is full. It holds about 2 s of reads at 9,000 a second (about 3 MiB), so
// that a flush to the subject index (it took about 0.25 s per 50,000 entries
// when the index was a single B-tree), a chunk of a merge of its runs or a
// checkpoint does not stall requests; with 4*maxGroup it did, adding up to
// 0.1 s to some reads and costing 3% of the throughput.
const queueLen = 32 * maxGroup

// New returns a log writing to d; Close stops its writer.
func New(d *db.DB) *Log { return newLog(d, 0) }

// NewBuffered returns a log whose Record returns once the entries are
// queued; they are committed within window.
func NewBuffered(d *db.DB, window time.Duration) *Log {
	if window <= 0 {
		window = 20 * time.Millisecond
	}
	return newLog(d, window)
}

func newLog(d *db.DB, window time.Duration) *Log {
	l := &Log{db: d, pending: make(chan pending, queueLen), stop: make(chan struct{}), done: make(chan struct{}), window: window}
	if d.Engine == db.SQLite {
		l.idx = newRunIndex(d)
	}
	go l.writer()
	return l
}

// ErrFailing is returned by a buffered log's Record while the store refuses
// audit entries.
var ErrFailing = errors.New("the audit log cannot be written")

// ErrClosed is returned by Record after Close.
var ErrClosed = errors.New("audit log closed")

// Record stores entries and returns once they are all committed.
func (l *Log) Record(ctx context.Context, entries ...Entry) error {
	if l.window > 0 && l.failing.Load() {
		return ErrFailing
	}
	strict := l.window == 0
	var waits []chan error
	if strict {
		waits = make([]chan error, 0, len(entries))
	}
	l.mu.RLock()
	if l.closed {
		l.mu.RUnlock()
		return ErrClosed
	}
	for _, e := range entries {
		fill(ctx, &e)
		p := pending{e: e}
		if strict {
			p.err = make(chan error, 1)
		}
		select {
		case l.pending <- p:
			if strict {
				waits = append(waits, p.err)
			}
		case <-ctx.Done():
			l.mu.RUnlock()
			return errors.Join(ctx.Err(), wait(waits))
		}
	}
	l.mu.RUnlock()
	if !strict {
		return nil
	}
	// Once queued an entry will be written: wait for it even if the
	// request is cancelled, so that no access goes unrecorded.
	return wait(waits)
}

func wait(waits []chan error) error {
	var errs []error
	for _, w := range waits {
		errs = append(errs, <-w)
	}
	return errors.Join(errs...)
}

// RecordTx stores e inside tx, for changes whose audit entry must commit or
// roll back with them.
func (l *Log) RecordTx(ctx context.Context, tx *sql.Tx, e Entry) error {
	fill(ctx, &e)
	_, err := tx.ExecContext(ctx, insertSQL, db.FormatTime(e.At), e.Actor, e.Action, e.Subject, e.Outcome, e.Detail, e.Remote)
	return err
}

func fill(ctx context.Context, e *Entry) {
	if e.At.IsZero() {
		e.At = time.Now()
	}
	if e.Remote == "" {
		e.Remote, _ = ctx.Value(remoteKey{}).(string)
	}
	if e.Outcome == "" {
		e.Outcome = OK
	}
	for _, f := range [...]*string{&e.Actor, &e.Action, &e.Subject, &e.Outcome, &e.Detail, &e.Remote} {
		*f = storable(*f)
	}
}

// storable is s as both stores keep text: PostgreSQL refuses invalid UTF-8
// and NUL, and one such entry would fail its whole group commit. They
// become U+FFFD.
func storable(s string) string {
	if utf8.ValidString(s) && strings.IndexByte(s, 0) < 0 {
		return s
	}
	return strings.ReplaceAll(strings.ToValidUTF8(s, "\uFFFD"), "\x00", "\uFFFD")
}

// stepEvery is how many committed entries the writer lets pass, when it
// never finds its queue empty, before it does one step of the subject
// index's work anyway (a merge chunk of mergeChunk postings): up to 8
// rewrites an entry, as many as a log of 50,000·8^8 entries needs.
func stepEvery() int { return max(mergeChunk/8, 1) }

func (l *Log) writer() {
	defer close(l.done)
	batch := make([]pending, 0, maxGroup)
	batched := l.idx != nil
	if batched {
		// Entries may wait from a previous run.
		err := l.db.QueryRowContext(context.Background(),
			`SELECT COALESCE((SELECT max(id) FROM audit_log), 0) - indexed_upto FROM audit_index_state`).Scan(&l.unindexed)
		if err != nil {
			l.unindexed = 1 // find out at the first flush
		}
	}
	// idle fires IndexIdle after the last commit (or the start).
	idle := time.NewTimer(IndexIdle)
	defer idle.Stop()
	quiet := func() {
		if batched && l.unindexed > 0 {
			l.flush()
			if l.unindexed > 0 {
				idle.Reset(IndexIdle) // failed: try again later
			}
		}
	}
	for {
		if batched && l.unindexed >= IndexEvery {
			l.flush()
		}
		var p pending
		select {
		case p = <-l.pending: // an entry waits: commit before anything else
		default:
			// Merges and garbage collection of the subject index go on,
			// a step at a time, while no entry waits.
			var stepNow <-chan struct{}
			if batched && l.idx.busy() {
				stepNow = closed
			}
			select {
			case p = <-l.pending:
			case <-idle.C:
				quiet()
				continue
			case <-l.stop:
				l.drain()
				return
			case <-stepNow:
				l.step()
				continue
			}
		}
		batch = append(batch[:0], p)
		var deadline <-chan time.Time
		if l.window > 0 {
			deadline = time.After(l.window)
		}
	collect:
		for len(batch) < maxGroup {
			select {
			case p := <-l.pending:
				batch = append(batch, p)
				continue
			default:
			}
			if deadline == nil {
				break // strict: commit what has arrived
			}
			select {
			case p := <-l.pending:
				batch = append(batch, p)
			case <-deadline:
				break collect
			case <-l.stop:
				break collect
			}
		}
		l.commit(batch)
		idle.Reset(IndexIdle)
		if batched {
			// Under a load that never leaves the queue empty, merges
			// still keep up with the flushes.
			l.owed += len(batch)
			if l.owed >= stepEvery() && l.idx.busy() {
				l.step()
			}
		}
	}
}

// closed is a channel that is always ready.
var closed = func() chan struct{} { c := make(chan struct{}); close(c); return c }()

// drain commits what was queued before Close.
func (l *Log) drain() {
	for {
		select {
		case p := <-l.pending:
			l.commit([]pending{p})
		default:
			return
		}
	}
}

func (l *Log) commit(batch []pending) {
	ctx := context.Background()
	q := insertSQL
	if l.idx != nil {
		q = insertGroupSQL
	}
	ins, err := l.db.Prepared(ctx, q)
	if err == nil {
		err = l.db.InTx(ctx, func(tx *sql.Tx) error {
			st := tx.StmtContext(ctx, ins)
			defer st.Close()
			if l.idx != nil {
				// SQLite: the whole group in one statement.
				_, err := st.Exec(entriesJSON(batch))
				return err
			}
			for _, p := range batch {
				e := p.e
				if _, err := st.Exec(db.FormatTime(e.At), e.Actor, e.Action, e.Subject, e.Outcome, e.Detail, e.Remote); err != nil {
					return err
				}
			}
			return nil
		})
	}
	l.failing.Store(err != nil)
	if err == nil {
		l.unindexed += len(batch)
	}
	if err != nil {
		writeErrors.Inc()
		slog.Error("audit entries could not be written", "entries", len(batch), "err", err)
	}
	for _, p := range batch {
		if p.err != nil {
			p.err <- err
		}
	}
}

// flush adds the entries committed since the last flush to the subject
// index as a new run (runIndex.flush). A failure is logged; the entries stay
// found by List's scan and are indexed by the next flush.
func (l *Log) flush() {
	if err := l.idx.flush(context.Background()); err != nil {
		writeErrors.Inc()
		slog.Error("audit entries could not be indexed by subject", "err", err)
		return
	}
	l.unindexed = 0
}

// step does one step of the subject index's merges and garbage collection.
// A failure is logged, and the index retries later; List stays correct.
func (l *Log) step() {
	l.owed = 0
	if err := l.idx.step(context.Background()); err != nil {
		writeErrors.Inc()
		slog.Error("audit subject index runs could not be merged", "err", err)
	}
}

// Close writes what is queued and stops the writer.
func (l *Log) Close() {
	l.mu.Lock()
	if !l.closed {
		l.closed = true
		close(l.stop)
	}
	l.mu.Unlock()
	<-l.done
}

// List returns entries about subject (all subjects when empty), newest
// first, at most limit, before the entry id `before` (0 for the newest),
// and the id to pass as `before` for the next page (0 after the last).
func (l *Log) List(ctx context.Context, subject string, before int64, limit int) ([]Entry, int64, error) {
	entries, _, last, err := l.list(ctx, subject, before, limit)
	return entries, last, err
}

// list is List with the id of each entry.
func (l *Log) list(ctx context.Context, subject string, before int64, limit int) ([]Entry, []int64, int64, error) {
	if before <= 0 {
		before = math.MaxInt64
	}
	q := `SELECT l.id, ` + listCols + ` FROM audit_log l WHERE l.id < $2 AND ($1 = '' OR l.subject = $1) ORDER BY l.id DESC LIMIT $3`
	if subject != "" && l.db.Engine == db.SQLite {
		q = listRunsSQL
	}
	rows, err := l.db.QueryContext(ctx, q, subject, before, limit)
	if err != nil {
		return nil, nil, 0, err
	}
	defer rows.Close()
	var out []Entry
	var ids []int64
	var last int64
	for rows.Next() {
		var e Entry
		if err := rows.Scan(&last, db.Time{T: &e.At}, &e.Actor, &e.Action, &e.Subject, &e.Outcome, &e.Detail, &e.Remote); err != nil {
			return nil, nil, 0, err
		}
		out = append(out, e)
		ids = append(ids, last)
	}
	if len(out) < limit {
		last = 0
	}
	return out, ids, last, rows.Err()
}

// listRunsSQL is List's query on SQLite: a scan of the entries after
// indexed_upto, and the subject's postings in every run of audit_runs (never
// a partial merge target nor a deleted run's remains), each side newest
// first and cut at the limit. A run's ids all follow those of the runs with
// a smaller lo_id, so reading runs by lo_id descending (a unique index) and
// each run's postings by entry_id descending (a seek on run and subject)
// yields the postings newest first with no sort: one seek per run that may
// hold ids below $2, plus the rows returned. Only the at most 2·limit rows
// of the two sides are sorted, and entry ids, not l.id, are selected so
// that the join order stays runs → postings → log.
const listRunsSQL = `SELECT * FROM (
	SELECT * FROM (
		SELECT l.id, ` + listCols + ` FROM audit_log l
		WHERE l.id > (SELECT indexed_upto FROM audit_index_state) AND l.id < $2 AND l.subject = $1
		ORDER BY l.id DESC LIMIT $3)
	UNION ALL
	SELECT * FROM (
		SELECT p.entry_id, ` + listCols + `
		FROM audit_runs r
		JOIN audit_postings p ON p.run = r.run AND p.subject = $1 AND p.entry_id < $2
		JOIN audit_log l ON l.id = p.entry_id
		WHERE r.lo_id < $2
		ORDER BY r.lo_id DESC, p.entry_id DESC LIMIT $3)
) ORDER BY 1 DESC LIMIT $3`

const listCols = `l.at, l.actor, l.action, l.subject, l.outcome, l.detail, l.remote`

type remoteKey struct{}

// WithRemote returns a context whose audit entries carry the client address.
func WithRemote(ctx context.Context, remote string) context.Context {
	return context.WithValue(ctx, remoteKey{}, remote)
}

var writeErrors = promauto.NewCounter(prometheus.CounterOpts{
	Name: "populus_audit_write_errors_total",
	Help: "Commits of audit entries that failed.",
})
