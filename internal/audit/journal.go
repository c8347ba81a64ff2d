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
	"unsafe"
)

// The journal (SQLite only) is where a strict log acknowledges entries: an
// append-only file beside the audit file (JournalPath), to which each caller
// of Record appends its entries as one record before it returns (with
// Options.Fsync, the writer appends each group of concurrent callers as one
// record, so that they share one fdatasync). The file is memory-mapped
// (shared): an append copies the record into the mapping, without a system
// call, and the file is extended, blocks allocated by writing zeros, a
// growStep at a time (a full disk fails that write, never a later store
// to the mapping). An importer goroutine then moves the journaled
// entries into audit_log in large batches (every importWindow, or at once
// when importEvery bytes wait), recording in audit_journal, in the same
// transaction as each batch, how far the journal is imported.
//
// Durability: once the record is copied into the mapping, it is in the
// operating system's page cache and survives the process being killed, like
// a commit of SQLite with synchronous=NORMAL (the audit file's setting),
// which survives a process kill but not a power loss. With Options.Fsync
// every group is also fdatasync'd before its callers are answered, and the
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
// An append copies the payload first and its record header (length and
// checksum, 8 bytes) last, in one store: a process killed during an append
// leaves a zero header, perhaps with part of the payload after it, and no
// record after that, since appends are serialised. So the records end at
// the first zero header; after it, up to the end of the file, there is
// only an unfinished payload and the zeros of the allocated but unused
// space. A record is only ever torn at the end (that, or, after a power
// loss without Fsync, a header whose payload did not reach the disk, and
// zeros after it): replay cuts it off, and refuses to start on a record that
// fails its checksum, or a zero header, with a record after it. A failed
// fdatasync zeroes the record's header back, so no torn record is ever
// followed by another.

// Options are the settings of a strict log on SQLite.
type Options struct {
	// Fsync makes the writer fdatasync the journal after each group, so
	// that an acknowledged entry survives a power loss, not only a process
	// kill (the default, like SQLite's synchronous=NORMAL).
	Fsync bool
}

const (
	// growStep is how much the file is extended at a time.
	growStep      = 4 << 20
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
	// rw is the file: it extends, reads, truncates and holds the lock.
	rw    *os.File
	fsync bool
	// mu excludes a write from a rotation, and guards what follows.
	mu sync.Mutex
	// gen is the generation of the file; size the end of its last
	// complete record (or 0 before its header: needHeader); length the
	// file's length (size, then the zeros of space allocated ahead); m
	// the mapping of its first len(m) bytes (nil until an append needs it).
	gen        uint64
	size       int64
	length     int64
	m          []byte
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
	// rotation; an error stops it there, as a crash would. beforeGrow, when
	// set, is called before the file is extended; an error fails the
	// extension, as a full disk would.
	beforeTruncate, afterTruncate, beforeGrow func() error
}

func header(gen uint64) []byte {
	b := make([]byte, journalHeader)
	copy(b, journalMagic)
	binary.LittleEndian.PutUint32(b[4:], 1)
	binary.LittleEndian.PutUint64(b[8:], gen)
	return b
}

// errJournalBusy is a journal locked by another strict log (of this
// process or another on the same store): the log opened second commits
// each group to audit_log itself, as on PostgreSQL, slower but as durable.
var errJournalBusy = errors.New("audit journal in use by another audit log")

// errJournalUnmapped is a journal that could not be extended and mapped
// when opened: the log commits each group to audit_log itself, as with
// errJournalBusy.
var errJournalUnmapped = errors.New("audit journal cannot be mapped")

// errJournalClosed is an append after Close.
var errJournalClosed = errors.New("audit journal closed")

// errCorrupt is a record that fails its checksum before the end of the
// journal.
var errCorrupt = errors.New("corrupt record")

// parseRecords returns the payloads of the complete records of b and the
// length they take. A record cut short at the end of b is not returned.
// Otherwise, a record that fails (a zero header, a length out of range, a
// checksum mismatch) is errCorrupt unless atEOF (b ends at the end of the
// file) and it is the last: nothing but zeros after it, or, after a zero
// header, no record (an append killed before it wrote its header).
func parseRecords(b []byte, atEOF bool) (payloads [][]byte, n int, err error) {
	for {
		rest := b[n:]
		if len(rest) < recordHeader {
			return payloads, n, nil // torn, or read in part
		}
		hdr := binary.LittleEndian.Uint64(rest)
		l := int64(uint32(hdr))
		p, bad := recordAt(rest)
		switch {
		case bad == "" && p == nil:
			return payloads, n, nil // cut short: torn, or read in part
		case bad == "":
			payloads = append(payloads, p)
			n += int(recordHeader + l)
			continue
		case !atEOF:
		case hdr == 0:
			// The end, unless a record follows what an unfinished
			// append left.
			if k := nextRecord(rest[recordHeader:]); k < 0 {
				return payloads, n, nil
			}
		case l == 0 || l > maxRecord:
			if allZero(rest[recordHeader:]) {
				return payloads, n, nil
			}
		case allZero(rest[recordHeader+l:]):
			return payloads, n, nil // the last record, torn
		}
		return payloads, n, fmt.Errorf("%w at offset %d: %s", errCorrupt, n, bad)
	}
}

// recordAt reads the record at the start of b: its payload; nil and no
// reason when b holds only part of it; or why it is not a record.
func recordAt(b []byte) (payload []byte, bad string) {
	l := int64(binary.LittleEndian.Uint32(b))
	switch {
	case l == 0 && binary.LittleEndian.Uint32(b[4:]) == 0:
		return nil, "zero header"
	case l == 0 || l > maxRecord:
		return nil, fmt.Sprintf("length %d", l)
	case int64(len(b)) < recordHeader+l:
		return nil, ""
	}
	p := b[recordHeader : recordHeader+l]
	if crc32.Checksum(p, castagnoli) != binary.LittleEndian.Uint32(b[4:]) {
		return nil, "checksum mismatch"
	}
	if len(p) < 2 || p[0] != '[' || p[len(p)-1] != ']' {
		return nil, "not a group of entries"
	}
	return p, ""
}

// nextRecord returns the offset of the first complete record in b, or -1:
// what an append killed before its header may leave (part of its payload)
// holds none; a record there means acknowledged entries after a zero
// header, a corrupt journal.
func nextRecord(b []byte) int {
	end := len(b)
	for end > 0 && b[end-1] == 0 {
		end--
	}
	for k := 0; k+recordHeader < end; k++ {
		if b[k] == 0 && b[k+1] == 0 && b[k+2] == 0 && b[k+3] == 0 {
			continue
		}
		if k+recordHeader < len(b) && b[k+recordHeader] != '[' {
			continue
		}
		if p, bad := recordAt(b[k:]); bad == "" && p != nil {
			return k
		}
	}
	return -1
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
	j := &journal{path: path, rw: rw, fsync: o.Fsync}
	l.j = j
	fail := func(err error) error {
		j.close(false)
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
			// Space allocated ahead is zeros; anything else is a torn
			// record.
			if !allZero(data[end:]) {
				slog.Warn("audit journal: torn record at its end truncated (a crash during a write)", "path", path, "offset", end, "bytes", j.size-end)
			}
			if err := rw.Truncate(end); err != nil {
				return fail(err)
			}
			j.size = end
		}
	}
	j.length = j.size
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
	// Map it now: a file system that cannot map a file shared (or a full
	// disk) is found here, with everything imported, rather than by the
	// first append.
	if err := j.grow(j.size + recordHeader); err != nil {
		j.close(true)
		l.j = nil
		l.dropConn()
		return fmt.Errorf("%w: %s: %v", errJournalUnmapped, path, err)
	}
	return nil
}

// reset truncates the file and gives it the header of generation gen.
// Callers hold mu or own j alone.
func (j *journal) reset(gen uint64) error {
	j.unmap()
	if err := j.rw.Truncate(0); err != nil {
		return err
	}
	j.gen, j.size, j.length, j.imported, j.needHeader = gen, 0, 0, 0, true
	if j.afterTruncate != nil {
		if err := j.afterTruncate(); err != nil {
			return err
		}
	}
	if _, err := j.rw.WriteAt(header(gen), 0); err != nil {
		j.rw.Truncate(0)
		return err
	}
	if j.fsync {
		if err := j.rw.Sync(); err != nil {
			return err
		}
	}
	j.size, j.length, j.imported, j.needHeader = journalHeader, journalHeader, journalHeader, false
	return nil
}

// unmap drops the mapping. Callers hold mu or own j alone.
func (j *journal) unmap() {
	if j.m != nil {
		syscall.Munmap(j.m)
		j.m = nil
	}
}

// mmap maps the journal (a variable for tests).
var mmap = syscall.Mmap

// zeros extend the file.
var zeros = make([]byte, 1<<20)

// grow makes the file and its mapping at least need bytes long: it writes
// zeros up to the next growStep (so that the blocks are allocated, and a
// full disk fails here rather than as a fault on a store to the mapping)
// and maps the whole file again. Callers hold mu.
func (j *journal) grow(need int64) error {
	if j.beforeGrow != nil {
		if err := j.beforeGrow(); err != nil {
			return err
		}
	}
	if need > j.length {
		to := (need + growStep - 1) / growStep * growStep
		for off := j.length; off < to; {
			k, err := j.rw.WriteAt(zeros[:min(int64(len(zeros)), to-off)], off)
			off += int64(k)
			if err != nil {
				// What was written is zeros after the records: harmless,
				// and overwritten by the next extension.
				return err
			}
		}
		j.length = to
	}
	m, err := mmap(int(j.rw.Fd()), 0, int(j.length), syscall.PROT_READ|syscall.PROT_WRITE, syscall.MAP_SHARED)
	if err != nil {
		return err
	}
	j.unmap()
	j.m = m
	return nil
}

// close closes the file; if trim, it first cuts off the space allocated
// ahead (a restart would anyway).
func (j *journal) close(trim bool) {
	j.unmap()
	if trim {
		j.rw.Truncate(j.size)
	}
	j.rw.Close() // releases the lock
}

// append copies the group's entries into the mapping as one record (after
// the header, if a rotation could not write it): the payload, then the
// record's header in one store (see the format above).
func (j *journal) append(entries []Entry) error {
	payload := entriesJSON(entries)
	j.mu.Lock()
	defer j.mu.Unlock()
	if j.closed {
		return errJournalClosed
	}
	j.since.Store(time.Now().UnixNano())
	defer j.since.Store(0)
	off := j.size
	if j.needHeader {
		off = journalHeader
	}
	end := off + recordHeader + int64(len(payload))
	if end > int64(len(j.m)) {
		if err := j.grow(end); err != nil {
			return err
		}
	}
	if j.needHeader {
		copy(j.m, header(j.gen))
	}
	copy(j.m[off+recordHeader:end], payload)
	var h [recordHeader]byte
	binary.LittleEndian.PutUint32(h[:], uint32(len(payload)))
	binary.LittleEndian.PutUint32(h[4:], crc32.Checksum(j.m[off+recordHeader:end], castagnoli))
	// One 8-byte store (a single instruction on amd64 and arm64, aligned
	// or not), the header's bytes in the file's order.
	*(*uint64)(unsafe.Pointer(&j.m[off])) = binary.NativeEndian.Uint64(h[:])
	if j.fsync {
		if err := syscall.Fdatasync(int(j.rw.Fd())); err != nil {
			// The record may be on disk; it was not acknowledged, so its
			// header is zeroed (the records end there) and its entries
			// stored marked failed.
			*(*uint64)(unsafe.Pointer(&j.m[off])) = 0
			return err
		}
	}
	if j.needHeader {
		j.needHeader = false
		j.imported = journalHeader
	}
	j.size = end
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
