package register

import (
	"context"
	"fmt"

	"github.com/populus-vn/populus/internal/db"
	"github.com/populus-vn/populus/internal/people"
)

// Importer loads households and people in bulk (the initial load from legacy
// systems, and the synthetic population), on each engine's fast path. It
// buffers at most FlushEvery people, so memory stays flat however many are
// loaded, and commits at least every CommitEvery people (on PostgreSQL every
// buffer is one COPY transaction; see db.Bulk for why SQLite's are longer).
// Flush and Finish commit; Close drops what is not committed. On SQLite a
// load started by Start into an empty register is staged instead, and
// stored by Finish all at once (see Start). Imported people
// start at version 1 with no history entry: their record as imported is the
// base that later events change.
//
// A full buffer is written by a goroutine of its own while Add fills the
// other one, so that turning people into rows overlaps the store's work;
// an error of that write is returned by a later Add, or by Flush or Finish.
//
// It trusts its caller to have validated the data (PINs unique and
// consistent, one head per household); the store's constraints still refuse
// duplicates, failing the whole buffer.
type Importer struct {
	db          *db.DB
	bulk        *db.Bulk
	FlushEvery  int
	CommitEvery int
	households  [][]any // the buffer Add fills
	persons     [][]any
	spareH      [][]any // the other buffer: being written while inflight is set
	spareP      [][]any
	inflight    chan error // the outcome of the write in progress, if any
	total       int64
	uncommitted int
	checkKeys   bool // Finish checks the households people name (Start)
}

// NewImporter returns an importer writing to d.
func NewImporter(d *db.DB) *Importer {
	return &Importer{db: d, bulk: d.NewBulk(), FlushEvery: 20000, CommitEvery: 500000}
}

// Add queues a household and its members (the household may be nil for
// people without one). It flushes when the buffer is full.
func (im *Importer) Add(ctx context.Context, h *people.Household, members []people.Person) error {
	if h != nil {
		im.households = append(im.households, householdRow(h))
	}
	for i := range members {
		p := &members[i]
		if p.Version == 0 {
			p.Version = 1
		}
		if p.Nationality == "" {
			p.Nationality = "VN"
		}
		if p.Status == "" {
			p.Status = people.Alive
		}
		if p.CreatedAt.IsZero() {
			p.CreatedAt = now()
		}
		if p.UpdatedAt.IsZero() {
			p.UpdatedAt = p.CreatedAt
		}
		im.persons = append(im.persons, personRow(p))
	}
	if len(im.persons) >= im.FlushEvery {
		return im.startWrite(ctx, false)
	}
	return nil
}

// startWrite waits for the write in progress, then hands the buffer Add
// filled to a new one, committing after it when commitNow is set or
// CommitEvery people are waiting, and gives Add the other buffer.
func (im *Importer) startWrite(ctx context.Context, commitNow bool) error {
	if err := im.wait(); err != nil {
		return err
	}
	hh, ps := im.households, im.persons
	im.households, im.persons = im.spareH[:0], im.spareP[:0]
	im.spareH, im.spareP = hh, ps
	im.uncommitted += len(ps)
	im.total += int64(len(ps))
	commit := commitNow || im.uncommitted >= im.CommitEvery
	if commit {
		im.uncommitted = 0
	}
	done := make(chan error, 1)
	im.inflight = done
	go func() {
		err := im.write(ctx, hh, ps)
		if err == nil && commit {
			err = im.commit()
		}
		done <- err
	}()
	return nil
}

// wait returns the outcome of the write in progress, if any, once it ends.
func (im *Importer) wait() error {
	if im.inflight == nil {
		return nil
	}
	err := <-im.inflight
	im.inflight = nil
	return err
}

// Start prepares a load: when the register is empty, its secondary indexes
// are dropped and built again by Finish, from sorted data, several times
// faster than maintaining them row by row. If the load dies, the next start
// builds them (db.Migrate). Uniqueness is then checked when the indexes are
// built: a duplicate CMND or a second head of household fails Finish. On
// SQLite the households people name are then checked once, by Finish,
// rather than row by row, and the rows are staged (db.Bulk.Stage) and
// inserted by Finish in key order: people arrive in random PIN order, and
// persons is keyed by PIN. Nothing is then stored until Finish, which
// stores the whole load in one transaction.
func (im *Importer) Start(ctx context.Context) error {
	deferred, err := im.db.DeferIndexes(ctx, "persons", "households")
	if deferred {
		im.bulk.NoForeignKeys, im.checkKeys = true, true
		im.bulk.Stage("households", "id")
		im.bulk.Stage("persons", "pin")
	}
	return err
}

// Finish writes what is buffered, checks what Start deferred and builds
// any index Start dropped, the two at once.
func (im *Importer) Finish(ctx context.Context) error {
	if err := im.Flush(ctx); err != nil {
		return err
	}
	if err := im.bulk.Unstage(ctx); err != nil {
		return fmt.Errorf("import: %w", err)
	}
	// The check only reads: it runs on a connection of its own while the
	// indexes are built (SQLite's readers do not wait for its writer).
	keys := make(chan error, 1)
	if im.checkKeys {
		go func() { keys <- im.db.CheckForeignKeys(ctx, "persons") }()
	} else {
		keys <- nil
	}
	err := im.db.RestoreIndexes(ctx)
	if kerr := <-keys; kerr != nil {
		return fmt.Errorf("import: %w", kerr)
	}
	return err
}

// Flush writes and commits what is buffered.
func (im *Importer) Flush(ctx context.Context) error {
	if err := im.startWrite(ctx, true); err != nil {
		return err
	}
	return im.wait()
}

// Close drops what is written but not committed (after an error, or when
// the load is abandoned); it does nothing after Flush or Finish.
func (im *Importer) Close() {
	im.wait()
	im.bulk.Rollback()
}

func (im *Importer) write(ctx context.Context, households, persons [][]any) error {
	if len(persons) == 0 && len(households) == 0 {
		return nil
	}
	err := im.bulk.Write(ctx,
		db.Batch{Table: "households", Columns: householdColumns, Rows: households, Blank: householdBlank},
		db.Batch{Table: "persons", Columns: personColumns[:], Rows: persons, Blank: personBlank},
	)
	if err != nil {
		return fmt.Errorf("import: %w", err)
	}
	return nil
}

func (im *Importer) commit() error {
	if err := im.bulk.Commit(); err != nil {
		return fmt.Errorf("import: commit: %w", err)
	}
	return nil
}

// Total is the number of people written so far (committed or not).
func (im *Importer) Total() int64 { return im.total }
