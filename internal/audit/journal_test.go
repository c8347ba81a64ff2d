package audit

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"os"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/populus-vn/populus/internal/db"
	"github.com/populus-vn/populus/internal/db/dbtest"
)

var errNoImport = errors.New("injected: import fails")

// journalOnly opens a strict log whose imports fail while block is set,
// so that what it acknowledges stays in the journal, as when the process
// is killed before the importer runs.
func journalOnly(t *testing.T, d *db.DB, block *atomic.Bool) *Log {
	t.Helper()
	l, err := Open(context.Background(), d, Options{})
	if err != nil {
		t.Fatal(err)
	}
	l.failImport = func() error {
		if block.Load() {
			return errNoImport
		}
		return nil
	}
	return l
}

// crash stops l without importing what its journal holds (imports fail),
// as a killed process leaves it.
func crash(t *testing.T, l *Log) {
	t.Helper()
	defer func(g time.Duration) { closeGrace = g }(closeGrace)
	closeGrace = 20 * time.Millisecond
	l.Close()
}

func record(t *testing.T, l *Log, prefix string, n int) {
	t.Helper()
	for i := range n {
		if err := l.Record(context.Background(), Entry{Actor: "staff:a", Action: "person.read", Subject: "001090000001", Detail: fmt.Sprintf("%s%d", prefix, i)}); err != nil {
			t.Fatal(err)
		}
	}
}

// stored returns how many entries with each detail prefix audit_log holds,
// and fails on a detail stored twice.
func stored(t *testing.T, d *db.DB, prefix string) int {
	t.Helper()
	var n, distinct int
	if err := d.QueryRow(`SELECT count(*), count(DISTINCT detail) FROM audit_log WHERE detail LIKE $1 || '%'`, prefix).Scan(&n, &distinct); err != nil {
		t.Fatal(err)
	}
	if n != distinct {
		t.Errorf("%d entries %s…, %d distinct: some imported twice", n, prefix, distinct)
	}
	return n
}

func journalState(t *testing.T, d *db.DB) (gen, imported int64) {
	t.Helper()
	if err := d.QueryRow(`SELECT gen, imported FROM audit_journal`).Scan(&gen, &imported); err != nil {
		t.Fatal(err)
	}
	return
}

// crashedJournal journals n entries "prefix…" that are not imported, stops
// the log as a killed process leaves it, and rewrites its journal as edit
// returns it: the store, the journal's path and its new content.
func crashedJournal(t *testing.T, prefix string, n int, edit func([]byte) []byte) (*db.DB, string, []byte) {
	t.Helper()
	d := dbtest.SQLite(t, testSchemas...)
	var block atomic.Bool
	block.Store(true)
	l := journalOnly(t, d, &block)
	record(t, l, prefix, n)
	crash(t, l)
	path := JournalPath(d.Location)
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	b = edit(b)
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
	return d, path, b
}

// TestJournalReplayAfterKill: entries acknowledged (journaled) but not
// imported when the process stopped are imported when the log is opened
// again, before it serves, and List sees them.
func TestJournalReplayAfterKill(t *testing.T) {
	d := dbtest.SQLite(t, testSchemas...)
	var block atomic.Bool
	block.Store(true)
	l := journalOnly(t, d, &block)
	record(t, l, "a", 50)
	crash(t, l)
	if n := stored(t, d, "a"); n != 0 {
		t.Fatalf("%d entries imported while imports fail", n)
	}
	if fi, err := os.Stat(JournalPath(d.Location)); err != nil || fi.Size() <= journalHeader {
		t.Fatalf("journal %v, %v: want the entries in it", fi, err)
	}
	l = New(d)
	defer l.Close()
	if n := stored(t, d, "a"); n != 50 {
		t.Fatalf("after the replay, %d of 50 entries in audit_log", n)
	}
	got, _, err := l.List(context.Background(), "001090000001", 0, 100)
	if err != nil || len(got) != 50 {
		t.Fatalf("List = %d entries, %v; want 50", len(got), err)
	}
	// And the log goes on.
	record(t, l, "b", 5)
	l.Sync(context.Background(), 5*time.Second)
	if n := stored(t, d, "b"); n != 5 {
		t.Errorf("%d of 5 new entries imported", n)
	}
}

// TestJournalTornTailTruncated: a record cut short at the end of the
// journal (a crash during its write) was never acknowledged: the replay
// truncates it and imports the records before it.
func TestJournalTornTailTruncated(t *testing.T) {
	for _, torn := range []struct {
		name string
		tail func(rec []byte) []byte
	}{
		{"short header", func(rec []byte) []byte { return rec[:5] }},
		{"short payload", func(rec []byte) []byte { return rec[:len(rec)-7] }},
		{"bad checksum", func(rec []byte) []byte { rec[len(rec)-2] ^= 0xff; return rec }},
		{"zeros (a power loss)", func(rec []byte) []byte { return make([]byte, 300) }},
		// What a kill during an append to the mapping leaves: the
		// payload (in whole or in part) without its header, then the
		// zeros of the space allocated ahead.
		{"payload without its header", func(rec []byte) []byte {
			clear(rec[:recordHeader])
			return append(rec, make([]byte, 4096)...)
		}},
		{"end of a payload without its header", func(rec []byte) []byte {
			clear(rec[:len(rec)/2])
			return append(rec, make([]byte, 4096)...)
		}},
		{"bad checksum, then space allocated ahead", func(rec []byte) []byte {
			rec[len(rec)-2] ^= 0xff
			return append(rec, make([]byte, 4096)...)
		}},
	} {
		t.Run(torn.name, func(t *testing.T) {
			var good int64
			d, path, _ := crashedJournal(t, "a", 10, func(b []byte) []byte {
				good = int64(len(b))
				rec := appendRecord(nil, []byte(entriesJSON([]Entry{{At: time.Now(), Actor: "staff:a", Action: "person.read", Detail: "torn", Outcome: OK}})))
				return append(b, torn.tail(rec)...)
			})
			l := New(d)
			defer l.Close()
			if n := stored(t, d, "a"); n != 10 {
				t.Errorf("%d of 10 entries before the torn record imported", n)
			}
			if n := stored(t, d, "torn"); n != 0 {
				t.Errorf("the torn record was imported")
			}
			// Cut off: the records end where they ended, and only the
			// zeros of the space allocated ahead follow.
			if b, err := os.ReadFile(path); err != nil || int64(len(b)) < good || !allZero(b[good:]) || l.j.size != good {
				t.Errorf("journal of %d bytes, records to %d after the replay (%v), want the torn record cut off at %d", len(b), l.j.size, err, good)
			}
			record(t, l, "b", 3)
			l.Sync(context.Background(), 5*time.Second)
			if n := stored(t, d, "b"); n != 3 {
				t.Errorf("%d of 3 entries after the replay imported", n)
			}
		})
	}
}

// TestJournalCorruptMiddleStopsStart: a record that fails its checksum
// with records after it is not a torn write: acknowledged entries follow
// it, so opening the log fails with a clear error, and nothing is dropped
// or imported.
func TestJournalCorruptMiddleStopsStart(t *testing.T) {
	d, path, b := crashedJournal(t, "a", 3, func(b []byte) []byte { // three records
		b[journalHeader+recordHeader+3] ^= 0x20 // in the first record's payload
		return b
	})
	_, err := Open(context.Background(), d, Options{})
	if err == nil || !strings.Contains(err.Error(), "corrupt record") || !strings.Contains(err.Error(), path) {
		t.Fatalf("Open = %v, want an error naming the journal and its corrupt record", err)
	}
	t.Log(err)
	if n := stored(t, d, "a"); n != 0 {
		t.Errorf("%d entries imported from a corrupt journal", n)
	}
	if after, _ := os.ReadFile(path); len(after) != len(b) {
		t.Errorf("the corrupt journal was changed (%d bytes, was %d)", len(after), len(b))
	}
	if _, err := Open(context.Background(), d, Options{}); err == nil {
		t.Error("the second Open succeeded: the journal's lock or content was lost")
	}
}

// TestJournalZeroHeaderBeforeRecordsStopsStart: a zero record header
// (what an append killed before its header leaves, only ever last) with
// records after it is a corrupt journal, not the end of its records.
func TestJournalZeroHeaderBeforeRecordsStopsStart(t *testing.T) {
	d, _, _ := crashedJournal(t, "a", 3, func(b []byte) []byte {
		clear(b[journalHeader : journalHeader+recordHeader]) // the first record's header
		return append(b, make([]byte, 4096)...)
	})
	_, err := Open(context.Background(), d, Options{})
	if err == nil || !strings.Contains(err.Error(), "corrupt record") || !strings.Contains(err.Error(), "zero header") {
		t.Fatalf("Open = %v, want an error naming the zero header", err)
	}
	if n := stored(t, d, "a"); n != 0 {
		t.Errorf("%d entries imported from a corrupt journal", n)
	}
}

// TestJournalRotationKeepsInvariant: the journal is truncated once imported
// to its end, and a crash at each step of a rotation (after the truncation,
// before the new header; after the header and new records, before their
// import is recorded) leaves a state from which a restart imports every
// acknowledged entry exactly once.
func TestJournalRotationKeepsInvariant(t *testing.T) {
	defer func(r int64) { rotateAt = r }(rotateAt)
	rotateAt = 0 // rotate whenever imported to the end
	d := dbtest.SQLite(t, testSchemas...)
	path := JournalPath(d.Location)
	ctx := context.Background()

	// Rotations in a live log.
	l := New(d)
	g0, _ := journalState(t, d)
	for i := range 5 {
		record(t, l, fmt.Sprintf("r%d-", i), 20)
		l.Sync(ctx, 5*time.Second)
		deadline := time.Now().Add(2 * time.Second)
		// The importer rotates under the journal's lock: read it so.
		rotated := func() (bool, int64) {
			l.j.mu.Lock()
			defer l.j.mu.Unlock()
			return !l.j.needHeader && l.j.size == journalHeader, l.j.size
		}
		for done, size := rotated(); !done; done, size = rotated() {
			if time.Now().After(deadline) {
				t.Fatalf("journal not rotated after its import (size %d)", size)
			}
			time.Sleep(time.Millisecond)
		}
	}
	if g, _ := journalState(t, d); g <= g0 {
		t.Errorf("generation %d after rotations, was %d", g, g0)
	}
	if n := stored(t, d, "r"); n != 100 {
		t.Errorf("%d of 100 entries stored across rotations", n)
	}
	l.Close()

	// Crash after the truncation, before the header.
	rotateAt = 1 << 40 // rotations only when the test asks
	l = New(d)
	record(t, l, "c", 10)
	l.Sync(ctx, 5*time.Second)
	l.j.afterTruncate = func() error { return errors.New("crash") }
	if err := l.rotate(0); err == nil {
		t.Fatal("the crash hook did not stop the rotation")
	}
	l.j.afterTruncate = nil
	l.j.mu.Lock()
	l.j.needHeader = true // as a restart finds it: an empty file
	l.j.mu.Unlock()
	crash(t, l)
	if fi, _ := os.Stat(path); fi.Size() != 0 {
		t.Fatalf("journal of %d bytes after the truncation, want 0", fi.Size())
	}
	if _, imp := journalState(t, d); imp <= journalHeader {
		t.Fatalf("audit_journal imported %d: want it to still name the old file's end", imp)
	}
	l = New(d)
	if n := stored(t, d, "c"); n != 10 {
		t.Errorf("%d of 10 entries after a crash between truncation and header", n)
	}
	record(t, l, "d", 10)
	l.Sync(ctx, 5*time.Second)
	if n := stored(t, d, "d"); n != 10 {
		t.Errorf("%d of 10 entries written after that restart", n)
	}

	// Crash after the new header and new records, before their import is
	// recorded: the file's generation is one more than audit_journal's.
	gBefore, _ := journalState(t, d)
	if err := l.rotate(0); err != nil {
		t.Fatal(err)
	}
	var block atomic.Bool
	block.Store(true)
	l.failImport = func() error {
		if block.Load() {
			return errNoImport
		}
		return nil
	}
	record(t, l, "e", 10)
	crash(t, l)
	if g, _ := journalState(t, d); g != gBefore || l.j.gen != uint64(gBefore)+1 {
		t.Fatalf("audit_journal generation %d, file %d: want %d and %d", g, l.j.gen, gBefore, gBefore+1)
	}
	l = New(d)
	defer l.Close()
	for _, p := range []string{"c", "d", "e", "r"} {
		want := map[string]int{"c": 10, "d": 10, "e": 10, "r": 100}[p]
		if n := stored(t, d, p); n != want {
			t.Errorf("%d of %d entries %s… after the last restart", n, want, p)
		}
	}
	if g, imp := journalState(t, d); g != gBefore+1 || imp != l.j.imported {
		t.Errorf("audit_journal (%d, %d) after the replay, want (%d, %d)", g, imp, gBefore+1, l.j.imported)
	}
}

// TestJournalFsync: with Options.Fsync every group is synced; entries are
// stored as without it.
func TestJournalFsync(t *testing.T) {
	d := dbtest.SQLite(t, testSchemas...)
	l, err := Open(context.Background(), d, Options{Fsync: true})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	record(t, l, "f", 20)
	l.Sync(context.Background(), 5*time.Second)
	if n := stored(t, d, "f"); n != 20 {
		t.Errorf("%d of 20 entries stored", n)
	}
}

// TestJournalBacklogBound: while more than backlogMax bytes wait to be
// imported (the audit file unwritable for long), reads are refused with
// ErrUnavailable rather than the journal growing without bound; they are
// served again once the import catches up.
func TestJournalBacklogBound(t *testing.T) {
	defer func(m int64) { backlogMax = m }(backlogMax)
	backlogMax = 2000
	d := dbtest.SQLite(t, testSchemas...)
	var block atomic.Bool
	block.Store(true)
	l := journalOnly(t, d, &block)
	defer l.Close()
	ctx := context.Background()
	var err error
	for i := 0; i < 100 && err == nil; i++ {
		err = l.Record(ctx, Entry{Actor: "staff:a", Action: "person.read", Subject: "x", Detail: fmt.Sprint("g", i)})
	}
	if !errors.Is(err, ErrUnavailable) || l.Ready() == nil {
		t.Fatalf("with the backlog beyond its bound, Record = %v, Ready = %v; want ErrUnavailable", err, l.Ready())
	}
	block.Store(false)
	deadline := time.Now().Add(5 * time.Second)
	for l.Ready() != nil && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	if err := l.Ready(); err != nil {
		t.Fatalf("once imports work, Ready = %v", err)
	}
	if err := l.Record(ctx, Entry{Actor: "staff:a", Action: "person.read", Subject: "x", Detail: "g-after"}); err != nil {
		t.Errorf("after the backlog was imported, Record = %v", err)
	}
}

// TestSecondLogCommitsDirectly: a second strict log on the same store (the
// journal locked by the first) commits each group to audit_log itself;
// both logs' entries are stored.
func TestSecondLogCommitsDirectly(t *testing.T) {
	d := dbtest.SQLite(t, testSchemas...)
	a := New(d)
	defer a.Close()
	b := New(d)
	defer b.Close()
	if a.j == nil || b.j != nil {
		t.Fatalf("journals: first %v, second %v; want the first only", a.j != nil, b.j != nil)
	}
	record(t, a, "x", 10)
	record(t, b, "y", 10)
	if n := stored(t, d, "y"); n != 10 {
		t.Errorf("%d of the second log's 10 entries committed at once", n)
	}
	a.Sync(context.Background(), 5*time.Second)
	if n := stored(t, d, "x"); n != 10 {
		t.Errorf("%d of the first log's 10 entries imported", n)
	}
}

// TestJournalUnmappableCommitsDirectly: where the journal cannot be mapped
// (a file system without shared mappings), the strict log opens anyway,
// committing each group to audit_log itself, and loses nothing.
func TestJournalUnmappableCommitsDirectly(t *testing.T) {
	d := dbtest.SQLite(t, testSchemas...)
	defer func(m func(int, int64, int, int, int) ([]byte, error)) { mmap = m }(mmap)
	mmap = func(int, int64, int, int, int) ([]byte, error) { return nil, syscall.ENODEV }
	l, err := Open(context.Background(), d, Options{})
	if err != nil {
		t.Fatalf("Open = %v, want the log to commit directly", err)
	}
	if l.j != nil {
		t.Error("the log kept an unmappable journal")
	}
	record(t, l, "direct", 20)
	if n := stored(t, d, "direct"); n != 20 {
		t.Errorf("%d of 20 acknowledged entries in audit_log", n)
	}
	l.Close()
}

// appendRecord appends a record of payload to b, as an append writes it.
func appendRecord(b []byte, payload []byte) []byte {
	b = binary.LittleEndian.AppendUint32(b, uint32(len(payload)))
	b = binary.LittleEndian.AppendUint32(b, crc32.Checksum(payload, castagnoli))
	return append(b, payload...)
}
