// Package audit keeps the audit log: who read or changed whose data, when,
// from where, and whether it was allowed. Every access to a person's data
// leaves an entry, written before the data is returned.
//
// Reads are many, so entries from concurrent requests are committed together
// (group commit): Record (on a log made by Open or New, the server's)
// returns once its entries are durable, and every caller that arrived while
// the previous commit ran shares the next one. An access is therefore never
// answered without its entry, even if the process is killed. On PostgreSQL
// a group is committed to audit_log. On SQLite it is appended, in one
// write(2), to a journal beside the audit file (journal.go: durable across
// a killed process like SQLite's synchronous=NORMAL, across a power loss
// with Options.Fsync), and an importer goroutine moves the journal into
// audit_log in batches, about every 100 ms, recording how far in the same
// transaction; Open first imports what a previous process left. So on
// SQLite audit_log, and List, see an entry once it is imported (List waits
// for the import of the entries acknowledged before it); a locked audit
// file delays the import, retried with backoff, but not the reads, which
// are refused only while the journal cannot be written or too much of it
// waits to be imported (backlogMax). A commit that
// fails is retried with backoff until it succeeds: its entries are never
// dropped. Its callers, and every caller while the store keeps failing or
// a commit is held up longer than stallAfter, get ErrUnavailable at once
// (503): an access that cannot be audited is refused, and the log recovers
// by itself once a commit succeeds again. The entries of callers so
// refused are still stored, marked failed. A buffered log (NewBuffered, an
// explicit opt-in) lets callers go on once their entries are queued, and
// may lose them if the process is killed. Changes record their entries in
// their own transaction (RecordTx). The log is append-only in the store.
// It must never hold the personal data itself, only identifiers.
//
// On SQLite, entries are indexed by subject in batches, kept as a
// log-structured index of sorted runs (see runs.go): the writer (with a
// journal, the importer) appends entries to audit_log only, and every IndexEvery entries, or after a quiet
// IndexIdle, appends the new ones, sorted by subject, as a new run at the
// right edge of audit_postings, so that the pages written are sequential
// and as many as the batch needs, whatever the size of the log. Between its
// commits the writer merges every 16 runs of one level into one run of the
// next, a chunk at a time, so each entry is rewritten, sequentially, an
// amortised O(log_16(N/IndexEvery)) times in a log of N entries. List reads
// each run listed in audit_runs and scans the entries after the last batch.
// A crash at any point leaves List correct: runs enter and leave audit_runs
// in single transactions, a merge interrupted is resumed by the next
// writer, and postings of runs no longer listed are deleted. On PostgreSQL
// the subject index is kept row by row.
package audit

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
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
	"github.com/populus-vn/populus/internal/problem"
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
	// Why the access was made, where the caller stated it (the
	// data-exchange platform): the purpose, its legal basis, the consent
	// that allowed it, the request's id, and the names of the fields
	// disclosed, never their values.
	Purpose    string   `json:"purpose,omitempty"`
	LegalBasis string   `json:"legal_basis,omitempty"`
	Consent    string   `json:"consent,omitempty"`
	Request    string   `json:"request,omitempty"`
	Fields     []string `json:"fields,omitempty"`
}

// Outcomes.
const (
	OK     = "ok"
	Denied = "denied"
	Failed = "failed"
)

const insertSQL = `INSERT INTO audit_log (at, actor, action, subject, outcome, detail, remote, purpose, legal_basis, consent, request, fields, salt)
	VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)`

// args are e's values for insertSQL, with a new salt.
func (e *Entry) args() []any {
	salt := make([]byte, saltSize)
	rand.Read(salt)
	return []any{db.FormatTime(e.At), e.Actor, e.Action, e.Subject, e.Outcome, e.Detail, e.Remote,
		e.Purpose, e.LegalBasis, e.Consent, e.Request, strings.Join(e.Fields, ","), hex.EncodeToString(salt)}
}

// saltSize is the bytes of an entry's salt (128 bits), kept as 32 hex
// digits: part of its leaf, never shown to the person, so that a redacted
// proof cannot be tested against guesses of what it hides.
const saltSize = 16

// insertGroupSQL inserts, on SQLite, a group of entries given as one JSON
// array of [at, actor, action, subject, outcome, detail, remote, purpose,
// legal_basis, consent, request, fields, salt] arrays (entriesJSON), in
// order: the driver copies one argument into C memory instead of thirteen
// an entry, which took most of a group commit's time. The records of a
// journal written before have only the first seven or twelve (no salt). Each entry
// is read from json_each once (MATERIALIZED): referred to twelve times as
// json_each's value, it was converted to text and parsed again twelve
// times, which took half the import's time. jsonb_each parses the array
// once and gives each entry as SQLite's binary JSON, which ->> reads
// without parsing text again: 3.3 µs an entry instead of 4.1
// (BenchmarkImportGroup).
const insertGroupSQL = `WITH e AS MATERIALIZED (SELECT value AS v FROM jsonb_each($1))
	INSERT INTO audit_log (at, actor, action, subject, outcome, detail, remote, purpose, legal_basis, consent, request, fields, salt)
	SELECT v ->> 0, v ->> 1, v ->> 2, v ->> 3, v ->> 4, v ->> 5, v ->> 6,
		COALESCE(v ->> 7, ''), COALESCE(v ->> 8, ''), COALESCE(v ->> 9, ''), COALESCE(v ->> 10, ''), COALESCE(v ->> 11, ''), COALESCE(v ->> 12, '')
	FROM e`

// insertGroupPostgresSQL is insertGroupSQL on PostgreSQL: the entries in
// the array's order, so that their ids follow it.
const insertGroupPostgresSQL = `INSERT INTO audit_log (at, actor, action, subject, outcome, detail, remote, purpose, legal_basis, consent, request, fields, salt)
	SELECT v ->> 0, v ->> 1, v ->> 2, v ->> 3, v ->> 4, v ->> 5, v ->> 6,
		COALESCE(v ->> 7, ''), COALESCE(v ->> 8, ''), COALESCE(v ->> 9, ''), COALESCE(v ->> 10, ''), COALESCE(v ->> 11, ''), COALESCE(v ->> 12, '')
	FROM json_array_elements($1::json) WITH ORDINALITY AS e(v, n) ORDER BY n`

// entriesJSON encodes a group for insertGroupSQL, each entry with a new
// salt (one read of the random source for the group).
func entriesJSON(batch []Entry) string {
	salts := make([]byte, saltSize*len(batch))
	rand.Read(salts)
	b := make([]byte, 0, len(batch)*256)
	b = append(b, '[')
	for i := range batch {
		e := &batch[i]
		if i > 0 {
			b = append(b, ',')
		}
		b = append(e.At.UTC().AppendFormat(append(b, `["`...), db.TimeFormat), '"')
		for _, s := range [...]string{e.Actor, e.Action, e.Subject, e.Outcome, e.Detail, e.Remote, e.Purpose, e.LegalBasis, e.Consent, e.Request} {
			b = appendJSONString(append(b, ','), s)
		}
		b = append(b, ',', '"')
		for j, f := range e.Fields {
			if j > 0 {
				b = append(b, ',')
			}
			b = appendJSONChars(b, f)
		}
		b = append(b, `","`...)
		b = hex.AppendEncode(b, salts[i*saltSize:(i+1)*saltSize])
		b = append(b, '"', ']')
	}
	return string(append(b, ']'))
}

// Log writes and reads the audit log.
type Log struct {
	db *db.DB
	// mu guards cur, queued and closed.
	mu sync.Mutex
	// cur gathers the entries of concurrent callers until the writer
	// takes it and commits it whole (group commit); its callers wait on
	// its done.
	cur    *group
	queued int
	closed bool
	// wake tells the writer that cur holds entries.
	wake chan struct{}
	stop chan struct{}
	done chan struct{}
	// window is how long a buffered log gathers entries before a commit;
	// zero for a strict log.
	window time.Duration
	// failing is set from a failed commit until a commit succeeds again:
	// meanwhile Record refuses at once (ErrUnavailable) and the writer
	// retries the entries it holds.
	failing atomic.Bool
	// since is when the commit under way began (UnixNano), 0 between
	// commits: a commit held up longer than stallAfter (a lock on the
	// audit file, a store that does not answer) counts as failing.
	since atomic.Int64
	// commits counts the commits that succeeded (with a journal, the
	// imports); writes the groups written to the journal.
	commits, writes atomic.Int64
	// fail, when set (by tests), makes commits fail while it returns an
	// error.
	fail func() error
	// tree adds the entries to the log's Merkle tree (tree.go).
	tree      *tree
	closeTree sync.Once
	// idx is the SQLite subject index, nil on PostgreSQL.
	idx *runIndex
	// unindexed counts the entries the writer committed since the last
	// flush to the subject index (SQLite only).
	unindexed int
	// owed counts the entries committed since the index's last step
	// (SQLite only); see stepEvery.
	owed int
	// w is the writer's own connection on SQLite, with its statements
	// prepared on it: a commit per group of concurrent callers (the
	// buffered log) or per import must not take a pooled connection each
	// time, whose page cache every other commit has emptied. nil until the
	// first commit, and after a failed one (a new connection is taken).
	w *writerConn
	// j is the journal of a strict log on SQLite (journal.go), nil
	// otherwise: the writer appends each group to it, and the importer
	// goroutine moves the entries into audit_log (and keeps the subject
	// index), on w.
	j          *journal
	importKick chan struct{}
	importNow  chan struct{}
	importStop chan struct{}
	importDone chan struct{}
	// failImport, when set (by tests), makes imports fail while it
	// returns an error.
	failImport func() error
}

// group is the entries that one commit stores.
type group struct {
	entries []Entry
	// strict counts the entries whose callers wait for the commit.
	strict int
	done   chan struct{}
	// err is the outcome for those callers, set before done is closed.
	err error
}

func newGroup() *group { return &group{done: make(chan struct{})} }

// IndexEvery and IndexIdle set when the SQLite writer flushes committed
// entries to the subject index as a new run: once IndexEvery entries are
// waiting, or when none has come for IndexIdle and some are waiting. A
// look-up by subject scans the waiting entries, so IndexEvery bounds its
// cost.
var (
	IndexEvery = 50_000
	IndexIdle  = 2 * time.Second
)

// queueLen bounds the entries waiting for the writer; Record blocks when it
// is full. It holds about 2 s of reads at 9,000 a second (about 3 MiB).
const queueLen = 16 << 10

// Timing of commits and of their retries. A commit that takes longer than
// stallAfter marks the log failing until it ends (SQLite's busy timeout,
// 10 s, or commitTimeout ends it); a failed commit is retried after
// retryFirst, doubling up to retryMax, until it succeeds; Close gives up
// after closeGrace.
var (
	stallAfter    = 2 * time.Second
	commitTimeout = 15 * time.Second
	retryFirst    = 10 * time.Millisecond
	retryMax      = time.Second
	closeGrace    = 5 * time.Second
)

// New returns a log whose Record returns once the entries are durable
// (Open with no options); it panics if the journal cannot be opened or
// replayed. Tests and tools use it; the server uses Open.
func New(d *db.DB) *Log {
	l, err := Open(context.Background(), d, Options{})
	if err != nil {
		panic(err)
	}
	return l
}

// Open returns a log whose Record returns once the entries are durable;
// the entries of concurrent callers share one write. On PostgreSQL they
// are committed to audit_log. On SQLite they are appended to the journal
// (journal.go) and imported into audit_log within about importWindow;
// Open first imports what a previous process left in the journal, and
// fails if the journal cannot be opened, is corrupt before its end, or
// cannot be imported. Close stops its goroutines. It is the log the server
// uses.
func Open(ctx context.Context, d *db.DB, o Options) (*Log, error) {
	return openLog(ctx, d, 0, nil, o)
}

// NewBuffered returns a log whose Record returns once the entries are
// queued; they are committed within window (20 ms when window is 0). A
// process killed loses the entries still queued, so an access may be
// answered with no entry: it exists only for measurements against New and
// for an operator who chooses it explicitly (--audit-mode=buffered).
func NewBuffered(d *db.DB, window time.Duration) *Log {
	if window <= 0 {
		window = 20 * time.Millisecond
	}
	return newLog(d, window, nil)
}

// newLog returns a log; fail, if not nil, is called before each commit,
// which fails while it returns an error (tests inject failures with it).
func newLog(d *db.DB, window time.Duration, fail func() error) *Log {
	if window > 0 {
		l, _ := openLog(context.Background(), d, window, fail, Options{})
		return l
	}
	l, err := openLog(context.Background(), d, window, fail, Options{})
	if err != nil {
		panic(err)
	}
	return l
}

// openLog returns a log; a strict one on SQLite opens and replays the
// journal first (the only error).
func openLog(ctx context.Context, d *db.DB, window time.Duration, fail func() error, o Options) (*Log, error) {
	l := &Log{db: d, cur: newGroup(), wake: make(chan struct{}, 1), stop: make(chan struct{}), done: make(chan struct{}), window: window, fail: fail}
	l.tree = newTree(d)
	if d.Engine == db.SQLite {
		l.idx = newRunIndex(d)
		if window == 0 {
			// The importer keeps the index: count what waits from a
			// previous run before the replay adds to it.
			l.countUnindexed()
			err := l.openJournal(ctx, d.Location, o)
			switch {
			case errors.Is(err, errJournalBusy):
				// The server holds it while a command of the CLI runs
				// beside it: expected, and as durable.
				slog.Debug("audit journal held by another process (the server, for a command run beside it): this one commits its entries to the audit file directly", "path", JournalPath(d.Location))
				go l.writer()
				return l, nil
			case errors.Is(err, errJournalUnmapped):
				slog.Warn("audit journal unusable: this log commits each group to the audit file (slower, as durable)", "err", err)
				go l.writer()
				return l, nil
			case err != nil:
				l.tree.close()
				return nil, err
			}
			l.importKick = make(chan struct{}, 1)
			l.importNow = make(chan struct{}, 1)
			l.importStop = make(chan struct{})
			l.importDone = make(chan struct{})
			go l.importer()
		}
	}
	go l.writer()
	return l, nil
}

// countUnindexed sets unindexed to the entries not yet in the subject
// index (SQLite).
func (l *Log) countUnindexed() {
	err := l.db.QueryRowContext(context.Background(),
		`SELECT COALESCE((SELECT max(id) FROM audit_log), 0) - indexed_upto FROM audit_index_state`).Scan(&l.unindexed)
	if err != nil {
		l.unindexed = 1 // find out at the first flush
	}
}

// ErrUnavailable is returned by Record while the store refuses audit
// entries or holds them up (and by Ready): the access is refused, with 503,
// and nothing of it is shown. The log recovers by itself once a commit
// succeeds.
var ErrUnavailable = &problem.Error{Kind: problem.Unavailable,
	Detail: "The audit log cannot be written just now, so nothing was read or changed; try again shortly."}

// stalled reports that the write whose start since holds (UnixNano, 0
// when none is under way) has taken longer than stallAfter.
func stalled(since *atomic.Int64) bool {
	s := since.Load()
	return s != 0 && time.Since(time.Unix(0, s)) > stallAfter
}

// ErrClosed is returned by Record after Close.
var ErrClosed = errors.New("audit log closed")

// Ready returns ErrUnavailable while the audit store fails or a commit is
// held up (on SQLite: the journal cannot be written, or more than
// backlogMax bytes of it wait to be imported), nil otherwise (for /readyz).
func (l *Log) Ready() error {
	if l.failing.Load() {
		return ErrUnavailable
	}
	if l.j != nil && l.j.backlog.Load() > backlogMax {
		return ErrUnavailable
	}
	if stalled(&l.since) || l.j != nil && stalled(&l.j.since) {
		return ErrUnavailable
	}
	return nil
}

// Record stores entries. On a log made by New it returns once they are
// all committed, or ErrUnavailable if they could not be (they are then
// stored later, marked failed, as attempts not answered). While the store
// fails it refuses at once.
func (l *Log) Record(ctx context.Context, entries ...Entry) error {
	if err := l.Ready(); err != nil {
		l.keepRefused(ctx, entries)
		return err
	}
	es := make([]Entry, len(entries))
	for i, e := range entries {
		fill(ctx, &e)
		es[i] = e
	}
	strict := l.window == 0
	if strict && l.j != nil && !l.j.fsync {
		return l.recordDirect(es)
	}
	l.mu.Lock()
	for !l.closed && l.queued > 0 && l.queued+len(es) > queueLen {
		// Full: wait for the writer to take the entries waiting.
		g := l.cur
		l.mu.Unlock()
		select {
		case <-g.done:
		case <-ctx.Done():
			return ctx.Err()
		}
		l.mu.Lock()
	}
	if l.closed {
		l.mu.Unlock()
		return ErrClosed
	}
	g := l.cur
	g.entries = append(g.entries, es...)
	if strict {
		g.strict += len(es)
	}
	l.queued += len(es)
	l.mu.Unlock()
	select {
	case l.wake <- struct{}{}:
	default:
	}
	if !strict {
		return nil
	}
	// Once queued an entry will be written: wait for it even if the
	// request is cancelled, so that no access goes unrecorded.
	<-g.done
	return g.err
}

// recordDirect is Record on a strict log on SQLite without Fsync: the
// caller appends its own entries to the journal, one write(2) under the
// journal's lock, with no hand-off to the writer goroutine and back (two
// goroutine switches a request: about a fifth of a read's CPU at 20,000
// reads a second). With Fsync the writer gathers concurrent callers so
// that they share one fdatasync (group commit). A failed append goes as
// the writer's does: the caller is answered ErrUnavailable, its entries are
// marked as attempts not answered and handed to the writer, which retries
// them until they are written; meanwhile Record refuses at once, and the
// first successful write ends the outage.
func (l *Log) recordDirect(es []Entry) error {
	var err error
	if l.fail != nil {
		err = l.fail()
	}
	if err == nil {
		if err = l.j.append(es); err == nil {
			l.writes.Add(1)
			l.kickImporter()
			return nil
		}
	}
	if errors.Is(err, errJournalClosed) {
		return ErrClosed
	}
	writeErrors.Inc()
	if !l.failing.Swap(true) {
		slog.Error("audit entries could not be written; reads are refused until they are", "entries", len(es), "err", err)
	}
	l.keepRefused(context.Background(), es)
	return ErrUnavailable
}

// keepRefused queues the entries of a caller refused because the log is
// unavailable (or whose own journal append failed), marked as attempts not
// answered, for the writer, which
// stores them once the store works again: an outage leaves a trace of
// every access refused during it. It does not wait; when the queue is full
// (an outage of more than about 16,000 refused accesses) they are counted
// in populus_audit_refusals_unrecorded_total instead.
func (l *Log) keepRefused(ctx context.Context, entries []Entry) {
	es := make([]Entry, len(entries))
	for i, e := range entries {
		fill(ctx, &e)
		unanswered(&e)
		es[i] = e
	}
	l.mu.Lock()
	kept := !l.closed && l.queued+len(es) <= queueLen
	if kept {
		l.cur.entries = append(l.cur.entries, es...)
		l.queued += len(es)
	}
	l.mu.Unlock()
	if !kept {
		unrecorded.Add(float64(len(es)))
		return
	}
	select {
	case l.wake <- struct{}{}:
	default:
	}
}

// take returns the entries waiting, nil if none.
func (l *Log) take() *group {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.cur.entries) == 0 {
		return nil
	}
	g := l.cur
	l.cur, l.queued = newGroup(), 0
	return g
}

// RecordTx stores e inside tx, for changes whose audit entry must commit or
// roll back with them.
func (l *Log) RecordTx(ctx context.Context, tx *sql.Tx, e Entry) error {
	fill(ctx, &e)
	_, err := tx.ExecContext(ctx, insertSQL, e.args()...)
	return err
}

func fill(ctx context.Context, e *Entry) {
	if e.At.IsZero() {
		e.At = time.Now()
	}
	if e.Remote == "" {
		e.Remote, _ = ctx.Value(remoteKey{}).(string)
	}
	if e.Request == "" {
		e.Request, _ = ctx.Value(requestKey{}).(string)
	}
	if e.Outcome == "" {
		e.Outcome = OK
	}
	for _, f := range [...]*string{&e.Actor, &e.Action, &e.Subject, &e.Outcome, &e.Detail, &e.Remote, &e.Purpose, &e.LegalBasis, &e.Consent, &e.Request} {
		*f = storable(*f)
	}
	for i, f := range e.Fields {
		if g := storable(strings.ReplaceAll(f, ",", " ")); g != f {
			// a copy: the caller's slice is left as it was
			e.Fields = append([]string(nil), e.Fields...)
			e.Fields[i] = g
		}
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
	// With a journal, the importer keeps the subject index.
	batched := l.idx != nil && l.j == nil
	if batched {
		// Entries may wait from a previous run.
		l.countUnindexed()
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
		g := l.take()
		if g == nil {
			// Merges and garbage collection of the subject index go on,
			// a step at a time, while no entry waits.
			var stepNow <-chan struct{}
			if batched && l.idx.busy() {
				stepNow = closed
			}
			select {
			case <-l.wake:
				if l.window > 0 {
					// Buffered: gather entries for a window.
					t := time.NewTimer(l.window)
					select {
					case <-t.C:
					case <-l.stop:
						t.Stop()
					}
				}
			case <-idle.C:
				quiet()
			case <-l.stop:
				l.final()
				return
			case <-stepNow:
				l.step()
			}
			continue
		}
		n := len(g.entries)
		l.store(g)
		idle.Reset(IndexIdle)
		if batched {
			// Under a load that never leaves the queue empty, merges
			// still keep up with the flushes.
			l.owed += n
			if l.owed >= stepEvery() && l.idx.busy() {
				l.step()
			}
		}
	}
}

// closed is a channel that is always ready.
var closed = func() chan struct{} { c := make(chan struct{}); close(c); return c }()

// store commits g, and answers its callers. A group that fails is kept and
// retried, with backoff, until it is committed (or Close gives up after
// closeGrace): its callers are answered ErrUnavailable at the first
// failure, and its entries marked failed (attempts not answered), and so
// are those of the groups that arrive meanwhile. No entry is dropped, and
// no caller is answered nil unless its entry is committed.
func (l *Log) store(g *group) {
	err := l.commit(g.entries)
	if err == nil {
		l.failing.Store(false)
		g.err = nil
		close(g.done)
		return
	}
	l.failing.Store(true)
	slog.Error("audit entries could not be written; reads are refused until they are", "entries", len(g.entries), "err", err)
	held := l.refuse(nil, g)
	var giveUp time.Time
	for wait := retryFirst; ; wait = min(2*wait, retryMax) {
		t := time.NewTimer(wait)
		select {
		case <-t.C:
		case <-l.stop:
			t.Stop()
			if giveUp.IsZero() {
				giveUp = time.Now().Add(closeGrace)
			}
			time.Sleep(wait)
		}
		if ng := l.take(); ng != nil {
			held = l.refuse(held, ng)
		}
		if err = l.commit(held); err == nil {
			l.failing.Store(false)
			slog.Info("audit entries written again after a failure", "entries", len(held))
			return
		}
		if !giveUp.IsZero() && time.Now().After(giveUp) {
			slog.Error("audit log closed while its store fails: entries not written", "entries", len(held), "err", err)
			return
		}
	}
}

// refuse answers g's callers ErrUnavailable, marks their entries as
// attempts not answered, and appends them to held (a buffered log's
// callers were answered already: their entries are kept as they are).
func (l *Log) refuse(held []Entry, g *group) []Entry {
	for _, e := range g.entries {
		if g.strict > 0 {
			unanswered(&e)
		}
		held = append(held, e)
	}
	g.err = ErrUnavailable
	close(g.done)
	return held
}

// unanswered marks e, whose caller was refused because it could not be
// written, as an attempt not answered.
func unanswered(e *Entry) {
	if e.Outcome == OK {
		e.Outcome = Failed
		e.Detail = strings.TrimPrefix(e.Detail+"; not answered: the audit log could not be written", "; ")
	}
}

// final commits what was queued before Close.
func (l *Log) final() {
	for g := l.take(); g != nil; g = l.take() {
		l.store(g)
	}
	if l.j == nil { // with a journal, the connection is the importer's
		l.dropConn()
	}
}

// writerConn is the writer's own connection (SQLite) and the statements
// of its transactions, each prepared once on it: BEGIN IMMEDIATE and COMMIT
// are run as statements of the connection, not as a database/sql Tx, whose
// StmtContext would prepare the group insert again in every transaction.
type writerConn struct {
	c                          *sql.Conn
	begin, commit, ins, marker *sql.Stmt
}

// writerConn returns the writer's connection, taking one from the pool
// with its statements prepared the first time and after a failure.
func (l *Log) writerConn(ctx context.Context) (*writerConn, error) {
	if l.w != nil {
		return l.w, nil
	}
	c, err := l.db.Conn(ctx)
	if err != nil {
		return nil, err
	}
	if l.j != nil && l.j.fsync {
		// The importer's commits must be as durable as the journal they
		// let be truncated.
		if _, err := c.ExecContext(ctx, `PRAGMA audit.synchronous = FULL`); err != nil {
			c.Close()
			return nil, err
		}
	}
	w := &writerConn{c: c}
	for _, s := range []struct {
		st    **sql.Stmt
		query string
	}{{&w.begin, `BEGIN IMMEDIATE`}, {&w.commit, `COMMIT`}, {&w.ins, insertGroupSQL},
		{&w.marker, `UPDATE audit_journal SET gen = $1, imported = $2`}} {
		if *s.st, err = c.PrepareContext(ctx, s.query); err != nil {
			w.close()
			return nil, err
		}
	}
	l.w = w
	return w, nil
}

// close closes the statements prepared and the connection.
func (w *writerConn) close() {
	for _, st := range []*sql.Stmt{w.begin, w.commit, w.ins, w.marker} {
		if st != nil {
			st.Close()
		}
	}
	w.c.Close()
}

// dropConn gives the writer's connection back, after a failure (a new one
// is taken at the next commit) or at the end.
func (l *Log) dropConn() {
	if l.w != nil {
		if l.j != nil && l.j.fsync {
			// Back to the pool as the other connections are.
			l.w.c.ExecContext(context.Background(), `PRAGMA audit.synchronous = NORMAL`)
		}
		l.w.close()
		l.w = nil
	}
}

// commit stores entries in one transaction.
func (l *Log) commit(entries []Entry) error {
	l.since.Store(time.Now().UnixNano())
	defer l.since.Store(0)
	ctx, cancel := context.WithTimeout(context.Background(), commitTimeout)
	defer cancel()
	var err error
	if l.fail != nil {
		err = l.fail()
	}
	switch {
	case err != nil:
	case l.j != nil:
		// SQLite, strict: one write to the journal; the importer moves
		// the entries into audit_log.
		if err = l.j.append(entries); err == nil {
			l.writes.Add(1)
			l.kickImporter()
			return nil
		}
	case l.idx != nil:
		// SQLite: the whole group in one statement, on the writer's own
		// connection.
		err = l.commitGroup(ctx, entries)
	default:
		// PostgreSQL: the group in one transaction, a statement per
		// chunk of about importChunk bytes of entries (a row a statement
		// took 15 s for a group of 70,000 under load).
		err = l.db.InTx(ctx, func(tx *sql.Tx) error {
			for rest := entries; len(rest) > 0; {
				n := min(len(rest), max(1, importChunk/256))
				if _, err := tx.ExecContext(ctx, insertGroupPostgresSQL, entriesJSON(rest[:n])); err != nil {
					return err
				}
				rest = rest[n:]
			}
			return nil
		})
	}
	if err != nil {
		writeErrors.Inc()
		return err
	}
	l.unindexed += len(entries)
	l.commits.Add(1)
	return nil
}

// commitGroup inserts entries in one transaction of the writer's own
// connection (SQLite); after a failure the connection is given back.
func (l *Log) commitGroup(ctx context.Context, entries []Entry) error {
	return l.inWriterTx(ctx, func(w *writerConn) error {
		_, err := w.ins.ExecContext(ctx, entriesJSON(entries))
		return err
	})
}

// inWriterTx runs fn in one transaction of the writer's own connection
// (SQLite); after a failure the transaction is rolled back and the
// connection given back, and the next commit takes a new one.
func (l *Log) inWriterTx(ctx context.Context, fn func(w *writerConn) error) error {
	w, err := l.writerConn(ctx)
	if err != nil {
		return err
	}
	// BEGIN IMMEDIATE locks the main file too: after this process's
	// other writers (db.Write), not in SQLite's busy handler.
	err = l.db.Write(ctx, func() error {
		_, err := w.begin.ExecContext(ctx)
		if err == nil {
			if err = fn(w); err == nil {
				_, err = w.commit.ExecContext(ctx)
			}
			if err != nil {
				w.c.ExecContext(context.Background(), `ROLLBACK`)
			}
		}
		return err
	})
	if err != nil {
		l.dropConn()
	}
	return err
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
	if l.j != nil {
		// The writer has journaled what was queued; no caller writes
		// after this (ErrClosed): import it.
		l.j.mu.Lock()
		l.j.closed = true
		l.j.mu.Unlock()
		select {
		case <-l.importStop:
		default:
			close(l.importStop)
		}
		<-l.importDone
		l.j.close(true)
	}
	l.closeTree.Do(l.tree.close)
}

// List returns entries about subject (all subjects when empty), newest
// first, at most limit, before the entry id `before` (0 for the newest),
// and the id to pass as `before` for the next page (0 after the last).
func (l *Log) List(ctx context.Context, subject string, before int64, limit int) ([]Entry, int64, error) {
	entries, _, last, err := l.list(ctx, subject, before, limit)
	return entries, last, err
}

// Find returns the newest entry about subject (not empty) that match
// accepts, and its id, among the subject's newest max entries before the
// entry id `before` (0: the newest); a NotFound problem when none is. The
// caller decides who may see it.
func (l *Log) Find(ctx context.Context, subject string, before int64, max int, match func(*Entry) bool) (Entry, int64, error) {
	return l.FindIn(ctx, subject, 0, before, max, match)
}

// FindIn is Find over the subject's entries whose ids are above after
// and below before (0: from the newest), the newest first, reading at most
// max of them: the caller bounds the range (by FirstAfter of two times),
// so that an entry among many about one person in a short while (a batch's
// rows) is found however many came after it.
func (l *Log) FindIn(ctx context.Context, subject string, after, before int64, max int, match func(*Entry) bool) (Entry, int64, error) {
	for seen := 0; subject != "" && seen < max; {
		es, ids, last, err := l.list(ctx, subject, before, min(200, max-seen))
		if err != nil {
			return Entry{}, 0, err
		}
		for i := range es {
			if ids[i] <= after {
				return Entry{}, 0, problem.New(problem.NotFound, "no such entry in the audit log")
			}
			if match(&es[i]) {
				return es[i], ids[i], nil
			}
		}
		if seen += len(es); last == 0 {
			break
		}
		before = last
	}
	return Entry{}, 0, problem.New(problem.NotFound, "no such entry in the audit log")
}

// LastAbout returns the id of subject's entry id, or, for a request
// (id 0), of the last of subject's entries under it; 0 when there is none.
func (l *Log) LastAbout(ctx context.Context, subject string, id int64, request string) (int64, error) {
	l.Sync(ctx, time.Second)
	q, arg := `SELECT COALESCE(MAX(id), 0) FROM audit_log WHERE subject = $1 AND id = $2`, any(id)
	if request != "" {
		q, arg = `SELECT COALESCE(MAX(id), 0) FROM audit_log WHERE subject = $1 AND request = $2`, request
	}
	var last int64
	err := l.db.QueryRowContext(ctx, q, subject, arg).Scan(&last)
	return last, err
}

// FirstAfter returns the id of the log's first entry recorded after t, or
// 0 when none is. Entries are stored in the order they were recorded, so
// their times rise with their ids but for the moments that concurrent
// writers overlap: a binary search over the ids finds it in about 40
// reads by primary key, however long the log; a caller allows for the
// overlap with a margin on t.
func (l *Log) FirstAfter(ctx context.Context, t time.Time) (int64, error) {
	l.Sync(ctx, time.Second)
	// The first and the last id, each one seek (MIN and MAX inside an
	// expression would scan the table on SQLite).
	var lo, hi int64
	for _, q := range []struct {
		sql string
		id  *int64
	}{{`SELECT id FROM audit_log ORDER BY id LIMIT 1`, &lo}, {`SELECT id FROM audit_log ORDER BY id DESC LIMIT 1`, &hi}} {
		if err := l.db.QueryRowContext(ctx, q.sql).Scan(q.id); errors.Is(err, sql.ErrNoRows) {
			return 0, nil
		} else if err != nil {
			return 0, err
		}
	}
	// after reports whether the first entry whose id is at least id was
	// recorded after t, and its id.
	after := func(id int64) (bool, int64, error) {
		var at time.Time
		err := l.db.QueryRowContext(ctx, `SELECT id, at FROM audit_log WHERE id >= $1 ORDER BY id LIMIT 1`, id).Scan(&id, db.Time{T: &at})
		return at.After(t), id, err
	}
	if ok, _, err := after(hi); err != nil || !ok {
		return 0, err
	}
	if ok, _, err := after(lo); err != nil || ok {
		return lo, err
	}
	// after(lo) is false, after(hi) true: narrow to the first id for
	// which it is true.
	for hi-lo > 1 {
		mid := lo + (hi-lo)/2
		ok, _, err := after(mid)
		if err != nil {
			return 0, err
		}
		if ok {
			hi = mid
		} else {
			lo = mid
		}
	}
	_, id, err := after(hi)
	return id, err
}

// list is List with the id of each entry.
func (l *Log) list(ctx context.Context, subject string, before int64, limit int) ([]Entry, []int64, int64, error) {
	l.Sync(ctx, time.Second)
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
		var fields string
		if err := rows.Scan(&last, db.Time{T: &e.At}, &e.Actor, &e.Action, &e.Subject, &e.Outcome, &e.Detail, &e.Remote,
			&e.Purpose, &e.LegalBasis, &e.Consent, &e.Request, &fields); err != nil {
			return nil, nil, 0, err
		}
		if fields != "" {
			e.Fields = strings.Split(fields, ",")
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

const listCols = `l.at, l.actor, l.action, l.subject, l.outcome, l.detail, l.remote, l.purpose, l.legal_basis, l.consent, l.request, l.fields`

type remoteKey struct{}

type requestKey struct{}

// WithRequest returns a context whose audit entries carry the request's id
// (X-Road-Id on the data-exchange platform).
func WithRequest(ctx context.Context, id string) context.Context {
	return context.WithValue(ctx, requestKey{}, id)
}

// RemoteOf is the client address WithRemote put in ctx, "" if none.
func RemoteOf(ctx context.Context) string {
	r, _ := ctx.Value(remoteKey{}).(string)
	return r
}

// WithRemote returns a context whose audit entries carry the client address.
func WithRemote(ctx context.Context, remote string) context.Context {
	return context.WithValue(ctx, remoteKey{}, remote)
}

var writeErrors = promauto.NewCounter(prometheus.CounterOpts{
	Name: "populus_audit_write_errors_total",
	Help: "Commits of audit entries that failed.",
})

var unrecorded = promauto.NewCounter(prometheus.CounterOpts{
	Name: "populus_audit_refusals_unrecorded_total",
	Help: "Entries of accesses refused while the audit log was unavailable that could not be queued to be stored later (the queue was full).",
})
