package audit

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// The journal (SQLite only) is where a strict log acknowledges entries: an
// append-only file beside the audit file (JournalPath), to which each caller
// of Record appends its entries as one record, in one write(2), before it
// returns (with Options.Fsync, the writer appends each group of concurrent
// callers as one record, so that they share one fdatasync). An importer goroutine then moves the journaled
// entries into audit_log in large batches (every importWindow, or at once
// when importEvery bytes wait), recording in audit_journal, in the same
// transaction as each batch, how far the journal is imported.
//
// Durability: once write(2) has returned, the record is in the operating
// system's page cache and survives the process being killed, like a commit
// of SQLite with synchronous=NORMAL (the audit file's setting), which
// survives a process kill but not a power loss. With Options.Fsync every
// group is also fdatasync'd before its callers are answered, and the
// importer commits with synchronous=FULL, so that an acknowledged entry
// survives a power loss too.
//
// Format: a header of journalHeader bytes ("PJNL", version 1 and the
// generation, little-endian), then records, each a 4-byte little-endian
// payload length, the CRC-32 (Castagnoli) of the payload, and the payload:
// the group's entries as the JSON array that insertGroupSQL takes.
//
// Invariant: audit_journal holds (gen, imported); every record of the
// journal of generation gen before byte imported is in audit_log, and no
// record after it is. The journal file is in one of these states:
//
//   - shorter than its header (created, or truncated by a rotation, before
//     its header was written): it holds nothing not imported;
//   - generation gen: the records after imported are to be imported;
//   - generation gen+1: it was rotated (truncated and given a new header)
//     after every record of generation gen had been imported, and the
//     importer has not recorded a batch of it yet: every record after its
//     header is to be imported.
//
// The importer only rotates once audit_journal records the current
// generation and the journal is imported to its end, and it truncates the
// file before it writes the new header; so a crash between any two steps
// (truncate, header, records appended, the batch's commit) leaves one of
// these states, and a restart imports exactly the records not imported.
// A record is only ever torn at the end of the file (the last write cut
// short, or, after a power loss without Fsync, zeros where its data was not
// yet written): replay truncates it, and refuses to start on a record that fails
// its checksum anywhere else. A failed write is truncated back at once, so
// no torn record is ever followed by another.

// Options are the settings of a strict log on SQLite.
type Options struct {
	// Fsync makes the writer fdatasync the journal after each group, so
	// that an acknowledged entry survives a power loss, not only a process
	// kill (the default, like SQLite's synchronous=NORMAL).
	Fsync bool
}

const (
	journalHeader = 16
	journalMagic  = "PJNL"
	recordHeader  = 8
	// maxRecord bounds the payload of one record; a length beyond it is
	// corrupt.
	maxRecord = 1 << 30
)

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// Timing and bounds of the journal's importer. It imports importWindow
// after the first group it has not imported, or at once when importEvery
// bytes wait, at most importMax bytes a transaction; a failed import is
// retried after retryFirst, doubling up to retryMax. Once imported to its
// end, a journal larger than rotateAt is truncated. Record refuses
// (ErrUnavailable) while more than backlogMax bytes wait to be imported
// (about 1.3 million entries).
var (
	// 100 ms: an import's fixed costs (its transaction, the commit's WAL
	// frames) over more entries; whoever reads the log waits for the
	// entries acknowledged before (Sync), not for the window.
	importWindow = 100 * time.Millisecond
	importEvery  = int64(1 << 20)
	importMax    = int64(4 << 20)
	rotateAt     = int64(8 << 20)
	backlogMax   = int64(256 << 20)
)

// JournalPath is the journal of the SQLite store whose main file is at
// path: populus.db → populus-audit.journal.
func JournalPath(path string) string {
	a := Path(path)
	return strings.TrimSuffix(a, filepath.Ext(a)) + ".journal"
}

// journal is the open journal file.
type journal struct {
	path string
	// w appends (O_APPEND); rw reads, truncates and holds the lock.
	w, rw *os.File
	fsync bool
	// mu excludes a write from a rotation, and guards what follows.
	mu sync.Mutex
	// gen is the generation of the file; size the end of its last
	// complete record (or 0 before its header: needHeader).
	gen        uint64
	size       int64
	needHeader bool
	// imported is how far the file is in audit_log; committedGen the
	// generation audit_journal records (a rotation waits for it to be the
	// file's).
	imported     int64
	committedGen uint64
	// backlog is size - imported, for Ready.
	backlog atomic.Int64
	// since is when the write under way began (UnixNano), 0 between
	// writes, for Ready: a write held up longer than stallAfter counts as
	// failing.
	since atomic.Int64
	// closed is set by Close once the writer has stopped: append refuses
	// (errJournalClosed).
	closed bool
	// importFailing is set while imports fail (logged once).
	importFailing bool
	// beforeTruncate and afterTruncate, when set (tests), are called by a
	// rotation; an error stops it there, as a crash would.
	beforeTruncate, afterTruncate func() error
}

func header(gen uint64) []byte {
	b := make([]byte, journalHeader)
	copy(b, journalMagic)
	binary.LittleEndian.PutUint32(b[4:], 1)
	binary.LittleEndian.PutUint64(b[8:], gen)
	return b
}

// appendRecord appends a record of payload to b.
func appendRecord(b []byte, payload []byte) []byte {
	b = binary.LittleEndian.AppendUint32(b, uint32(len(payload)))
	b = binary.LittleEndian.AppendUint32(b, crc32.Checksum(payload, castagnoli))
	return append(b, payload...)
}

// errJournalBusy is a journal locked by another strict log (of this
// process or another on the same store): the log opened second commits
// each group to audit_log itself, as on PostgreSQL, slower but as durable.
var errJournalBusy = errors.New("audit journal in use by another audit log")

// errJournalClosed is an append after Close.
var errJournalClosed = errors.New("audit journal closed")

// errCorrupt is a record that fails its checksum before the end of the
// journal.
var errCorrupt = errors.New("corrupt record")

// parseRecords returns the payloads of the complete records of b and the
// length they take. A record cut short at the end of b is not returned; a
// record that fails its checksum is errCorrupt if more bytes follow it, and
// ends the records otherwise (torn: atEOF tells that b ends at the end of the
// file).
func parseRecords(b []byte, atEOF bool) (payloads [][]byte, n int, err error) {
	for {
		rest := b[n:]
		if len(rest) < recordHeader {
			return payloads, n, nil
		}
		if atEOF && allZero(rest) {
			// Zeros to the end: a size extended without its data (a power
			// loss without Fsync), never a record.
			return payloads, n, nil
		}
		l := int64(binary.LittleEndian.Uint32(rest))
		if l == 0 || l > maxRecord {
			if atEOF && int64(len(rest)) <= recordHeader {
				return payloads, n, nil
			}
			return payloads, n, fmt.Errorf("%w at offset %d: length %d", errCorrupt, n, l)
		}
		if int64(len(rest)) < recordHeader+l {
			return payloads, n, nil // cut short: torn, or read in part
		}
		p := rest[recordHeader : recordHeader+l]
		if crc32.Checksum(p, castagnoli) != binary.LittleEndian.Uint32(rest[4:]) {
			if atEOF && int64(len(rest)) == recordHeader+l {
				return payloads, n, nil // the last record, torn
			}
			return payloads, n, fmt.Errorf("%w at offset %d: checksum mismatch", errCorrupt, n)
		}
		if len(p) < 2 || p[0] != '[' || p[len(p)-1] != ']' {
			return payloads, n, fmt.Errorf("%w at offset %d: not a group of entries", errCorrupt, n)
		}
		payloads = append(payloads, p)
		n += int(recordHeader + l)
	}
}

// openJournal opens (or creates) the journal of the store at location,
// locks it, replays it into audit_log on c and returns it, every record
// imported. It refuses to start on a corrupt record before the end.
func (l *Log) openJournal(ctx context.Context, location string, o Options) error {
	path := JournalPath(location)
	rw, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return fmt.Errorf("audit journal: %w", err)
	}
	if err := syscall.Flock(int(rw.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		rw.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return errJournalBusy
		}
		return fmt.Errorf("audit journal %s: lock: %w", path, err)
	}
	w, err := os.OpenFile(path, os.O_APPEND|os.O_WRONLY|os.O_CREATE, 0o600)
	if err != nil {
		rw.Close()
		return fmt.Errorf("audit journal: %w", err)
	}
	j := &journal{path: path, w: w, rw: rw, fsync: o.Fsync}
	l.j = j
	fail := func(err error) error {
		j.close()
		l.j = nil
		l.dropConn()
		return fmt.Errorf("audit journal %s: %w", path, err)
	}
	var tgen uint64
	var timported int64
	if err := l.db.QueryRowContext(ctx, `SELECT gen, imported FROM audit_journal`).Scan(&tgen, &timported); err != nil {
		return fail(err)
	}
	data, err := io.ReadAll(rw)
	if err != nil {
		return fail(err)
	}
	j.committedGen = tgen
	switch {
	case len(data) < journalHeader:
		// Nothing in it that is not imported: start generation tgen+1.
		if err := j.reset(tgen + 1); err != nil {
			return fail(err)
		}
		data = nil
	case string(data[:4]) != journalMagic || binary.LittleEndian.Uint32(data[4:]) != 1:
		return fail(errors.New("not an audit journal (bad header); move it away only once its entries are known to be in the audit log"))
	default:
		fgen := binary.LittleEndian.Uint64(data[8:])
		switch {
		case fgen == tgen && timported >= journalHeader && timported <= int64(len(data)):
			j.imported = timported
		case fgen == tgen && timported > int64(len(data)):
			// Shorter than what was imported of it (a power loss without
			// Fsync): all of it is in audit_log.
			slog.Warn("audit journal shorter than its imported part: starting a new one", "path", path, "size", len(data), "imported", timported)
			if err := j.reset(tgen + 1); err != nil {
				return fail(err)
			}
			data = nil
		case fgen == tgen+1:
			j.imported = journalHeader
		default:
			return fail(fmt.Errorf("generation %d, but the audit file records generation %d imported to %d: not this store's journal", fgen, tgen, timported))
		}
		if data != nil {
			j.gen = fgen
			j.size = int64(len(data))
		}
	}
	if data != nil {
		_, n, err := parseRecords(data[j.imported:], true)
		if err != nil {
			return fail(fmt.Errorf("%w (offset from %d); entries after it were acknowledged and are not in the audit log: repair the journal, do not delete it", err, j.imported))
		}
		if end := j.imported + int64(n); end < j.size {
			slog.Warn("audit journal: torn record at its end truncated (a crash during a write)", "path", path, "offset", end, "bytes", j.size-end)
			if err := rw.Truncate(end); err != nil {
				return fail(err)
			}
			j.size = end
		}
	}
	j.backlog.Store(j.size - j.imported)
	// Replay: import everything, and record the generation.
	for {
		done, err := l.importOnce(ctx)
		if err != nil {
			return fail(fmt.Errorf("replay into the audit log: %w", err))
		}
		if done {
			break
		}
	}
	if j.committedGen != j.gen {
		if err := l.recordImported(ctx, nil, j.gen, j.imported); err != nil {
			return fail(fmt.Errorf("replay into the audit log: %w", err))
		}
	}
	return nil
}

// reset truncates the file and gives it the header of generation gen.
// Callers hold mu or own j alone.
func (j *journal) reset(gen uint64) error {
	if err := j.rw.Truncate(0); err != nil {
		return err
	}
	j.gen, j.size, j.imported, j.needHeader = gen, 0, 0, true
	if j.afterTruncate != nil {
		if err := j.afterTruncate(); err != nil {
			return err
		}
	}
	if _, err := j.w.Write(header(gen)); err != nil {
		j.rw.Truncate(0)
		return err
	}
	if j.fsync {
		if err := j.w.Sync(); err != nil {
			return err
		}
	}
	j.size, j.imported, j.needHeader = journalHeader, journalHeader, false
	return nil
}

func (j *journal) close() {
	j.w.Close()
	j.rw.Close() // releases the lock
}

// append writes the group's entries as one record, in one write(2) (after
// the header, in the same write, if a rotation could not write it). A
// failed or short write is truncated back.
func (j *journal) append(entries []Entry) error {
	payload := entriesJSON(entries)
	j.mu.Lock()
	defer j.mu.Unlock()
	if j.closed {
		return errJournalClosed
	}
	j.since.Store(time.Now().UnixNano())
	defer j.since.Store(0)
	buf := make([]byte, 0, journalHeader+recordHeader+len(payload))
	if j.needHeader {
		buf = append(buf, header(j.gen)...)
	}
	buf = appendRecord(buf, []byte(payload))
	if _, err := j.w.Write(buf); err != nil {
		if terr := j.rw.Truncate(j.size); terr != nil {
			err = errors.Join(err, terr)
		}
		return err
	}
	if j.fsync {
		if err := syscall.Fdatasync(int(j.w.Fd())); err != nil {
			// The record may be in the file; it was not acknowledged, so
			// it is cut off and its entries stored marked failed.
			j.rw.Truncate(j.size)
			return err
		}
	}
	if j.needHeader {
		j.needHeader = false
		j.imported = journalHeader
	}
	j.size += int64(len(buf))
	j.backlog.Store(j.size - j.imported)
	return nil
}

// importOnce imports the next batch of records, at most about importMax
// bytes, in one transaction that also records how far the journal is
// imported; done reports that nothing is left.
func (l *Log) importOnce(ctx context.Context) (done bool, err error) {
	j := l.j
	j.mu.Lock()
	gen, from, to := j.gen, j.imported, j.size
	j.mu.Unlock()
	if from >= to {
		return true, nil
	}
	n := min(to-from, importMax)
	buf := make([]byte, n)
	for {
		if _, err := j.rw.ReadAt(buf, from); err != nil {
			return false, err
		}
		ps, used, err := parseRecords(buf, false)
		if err != nil {
			return false, fmt.Errorf("audit journal %s: %w (from offset %d)", j.path, err, from)
		}
		if used > 0 {
			var b strings.Builder
			b.Grow(used)
			b.WriteByte('[')
			for i, p := range ps {
				if i > 0 {
					b.WriteByte(',')
				}
				b.Write(p[1 : len(p)-1])
			}
			b.WriteByte(']')
			if err := l.recordImported(ctx, []string{b.String()}, gen, from+int64(used)); err != nil {
				return false, err
			}
			j.mu.Lock()
			if j.gen == gen {
				j.imported = from + int64(used)
				j.backlog.Store(j.size - j.imported)
			}
			j.mu.Unlock()
			n := countEntries(b.String())
			l.unindexed += n
			l.owed += n
			l.commits.Add(1)
			return from+int64(used) >= to, nil
		}
		// One record larger than importMax: read it whole.
		need := recordHeader + int64(binary.LittleEndian.Uint32(buf))
		if need <= int64(len(buf)) || from+need > to {
			return false, fmt.Errorf("audit journal %s: bad record at offset %d", j.path, from)
		}
		buf = make([]byte, need)
	}
}

// importChunk bounds the JSON of the entries one insert statement of the
// importer takes.
const importChunk = 1 << 20

// recordImported inserts the groups (JSON arrays for insertGroupSQL) and
// records the journal imported to (gen, upto), in one transaction on the
// importer's connection.
func (l *Log) recordImported(ctx context.Context, groups []string, gen uint64, upto int64) error {
	if l.failImport != nil {
		if err := l.failImport(); err != nil {
			return err
		}
	}
	err := l.inWriterTx(ctx, func(w *writerConn) error {
		// The groups, each a JSON array of entries, are joined into arrays
		// of up to importChunk bytes: one statement per chunk, not per
		// group (a group of the strict log is often one entry).
		var b strings.Builder
		exec := func() error {
			if b.Len() == 0 {
				return nil
			}
			b.WriteByte(']')
			_, err := w.ins.ExecContext(ctx, b.String())
			b.Reset()
			return err
		}
		for _, g := range groups {
			inner := strings.TrimSpace(g)
			if len(inner) < 2 || inner[0] != '[' || inner[len(inner)-1] != ']' {
				return fmt.Errorf("audit journal: a group is not a JSON array")
			}
			inner = strings.TrimSpace(inner[1 : len(inner)-1])
			if inner == "" {
				continue
			}
			if b.Len() == 0 {
				b.WriteByte('[')
			} else {
				b.WriteByte(',')
			}
			b.WriteString(inner)
			if b.Len() >= importChunk {
				if err := exec(); err != nil {
					return err
				}
			}
		}
		if err := exec(); err != nil {
			return err
		}
		_, err := w.marker.ExecContext(ctx, int64(gen), upto)
		return err
	})
	if err != nil {
		return err
	}
	l.j.mu.Lock()
	l.j.committedGen = gen
	l.j.mu.Unlock()
	return nil
}

// rotate truncates the journal and starts the next generation, if it is
// imported to its end, audit_journal records its generation, and it is
// larger than min. A write waits meanwhile (two system calls).
func (l *Log) rotate(min int64) error {
	j := l.j
	j.mu.Lock()
	defer j.mu.Unlock()
	if j.imported != j.size || j.committedGen != j.gen || j.size <= min || j.needHeader {
		return nil
	}
	if j.beforeTruncate != nil {
		if err := j.beforeTruncate(); err != nil {
			return err
		}
	}
	return j.reset(j.gen + 1)
}

// importer moves journaled entries into audit_log, and keeps the subject
// index (as the writer does without a journal), until stop.
func (l *Log) importer() {
	defer close(l.importDone)
	ctx := context.Background()
	idle := time.NewTimer(IndexIdle)
	defer idle.Stop()
	var retry time.Duration
	var retryAt time.Time // when a failed import is retried
	importAll := func() bool {
		for {
			done, err := l.importOnce(ctx)
			if err != nil {
				writeErrors.Inc()
				if !l.j.importFailing {
					slog.Error("audit entries could not be imported from the journal; they stay there and are retried (reads go on)", "backlog_bytes", l.j.backlog.Load(), "err", err)
				}
				l.j.importFailing = true
				retry = min(max(2*retry, retryFirst), retryMax)
				retryAt = time.Now().Add(retry)
				return false
			}
			if l.j.importFailing {
				slog.Info("audit entries imported from the journal again")
				l.j.importFailing = false
			}
			retry = 0
			if l.unindexed >= IndexEvery {
				l.flush()
			}
			if l.owed >= stepEvery() && l.idx.busy() {
				l.step()
			}
			if done {
				if err := l.rotate(rotateAt); err != nil {
					slog.Error("audit journal could not be truncated", "err", err)
				}
				return true
			}
		}
	}
	for {
		var retryNow <-chan time.Time
		var stepNow <-chan struct{}
		if retry > 0 {
			// A deadline, not a delay: kicks must not put it off.
			retryNow = time.After(time.Until(retryAt))
		} else if l.idx.busy() {
			stepNow = closed
		}
		select {
		case <-l.importKick:
			if retry > 0 {
				continue // failing: retried with backoff
			}
			if l.j.backlog.Load() < importEvery {
				t := time.NewTimer(importWindow)
				select {
				case <-t.C:
				case <-l.importNow:
					t.Stop()
				case <-l.importStop:
					t.Stop()
				}
			}
			if importAll() {
				idle.Reset(IndexIdle)
			}
		case <-l.importNow:
			if retry == 0 && importAll() {
				idle.Reset(IndexIdle)
			}
		case <-retryNow:
			importAll()
		case <-stepNow:
			l.step()
		case <-idle.C:
			if l.unindexed > 0 {
				l.flush()
				if l.unindexed > 0 {
					idle.Reset(IndexIdle)
				}
			}
		case <-l.importStop:
			// The writer has stopped: import what is left, retrying for
			// closeGrace at most (what is not imported stays in the
			// journal for the next start).
			giveUp := time.Now().Add(closeGrace)
			for !importAll() && time.Now().Before(giveUp) {
				time.Sleep(min(retry, time.Until(giveUp)))
			}
			l.dropConn()
			return
		}
	}
}

// kickImporter tells the importer that a group was journaled.
func (l *Log) kickImporter() {
	select {
	case l.importKick <- struct{}{}:
	default:
	}
}

// Sync waits, at most wait, until every entry acknowledged before it is in
// audit_log (on SQLite, imported from the journal; at once otherwise).
// List calls it, so that it sees every entry acknowledged before it.
func (l *Log) Sync(ctx context.Context, wait time.Duration) {
	j := l.j
	if j == nil {
		return
	}
	j.mu.Lock()
	gen, target := j.gen, j.size
	j.mu.Unlock()
	deadline := time.Now().Add(wait)
	for {
		j.mu.Lock()
		ok := j.gen != gen || j.imported >= target
		j.mu.Unlock()
		if ok || time.Now().After(deadline) || ctx.Err() != nil {
			return
		}
		select {
		case l.importNow <- struct{}{}:
		default:
		}
		time.Sleep(200 * time.Microsecond)
	}
}

// countEntries counts the entries of a group in JSON (the arrays at depth
// 1), for the subject index's bookkeeping.
func countEntries(s string) int {
	n, depth, str := 0, 0, false
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case str:
			if c == '\\' {
				i++
			} else if c == '"' {
				str = false
			}
		case c == '"':
			str = true
		case c == '[':
			depth++
			if depth == 2 {
				n++
			}
		case c == ']':
			depth--
		}
	}
	return n
}

func allZero(b []byte) bool {
	for _, c := range b {
		if c != 0 {
			return false
		}
	}
	return true
}
