package consent

import (
	"context"
	"sync"
	"time"

	"github.com/populus-vn/populus/internal/db"
)

// The exchange checks a consent on every request that needs one: reading
// the record each time was, with the count of a limited consent's use,
// the largest part of the check's cost. The store remembers the records it
// has read while the consent epoch (migration 0004) has not moved: the
// store's triggers count it up with every change to a record (new terms,
// a withdrawal, an end), whichever process runs it. A change made by this
// store holds at once (changed, after its commit); a change made by
// another process (another instance on PostgreSQL) within liveEpochTTL. A
// record that is not there is never remembered: a consent given is used at
// once. Validity, fields and frequency are judged on every request from
// the record remembered, against the clock.
//
// End runs inside a transaction that its caller commits later (a death,
// an account's recovery): until well after that, the subject's records are
// read from the store on every check (ending), so that no check after the
// commit can find a record remembered from before it.
const (
	liveEpochTTL = time.Second
	maxLive      = 100000
	// endingFor is how long a subject's records are not remembered after
	// End: far longer than a transaction is held.
	endingFor = 5 * time.Minute
)

type liveRecords struct {
	cache *db.EpochCache[Record]
	mu    sync.Mutex
	// ends holds the subjects End was called for, until when their
	// records are read from the store.
	ends map[string]time.Time
}

func newLiveRecords() *liveRecords {
	return &liveRecords{cache: db.NewEpochCache[Record]("SELECT seq FROM consent_epoch WHERE id = 1", liveEpochTTL, maxLive),
		ends: map[string]time.Time{}}
}

// changed is called after this store committed a change to records.
func (l *liveRecords) changed() { l.cache.Invalidate() }

// ending marks subject's records as being changed in a transaction not yet
// committed.
func (l *liveRecords) ending(subject string) {
	now := time.Now()
	l.mu.Lock()
	for s, until := range l.ends {
		if now.After(until) {
			delete(l.ends, s)
		}
	}
	l.ends[subject] = now.Add(endingFor)
	l.mu.Unlock()
	l.cache.Invalidate()
}

// bypassed says whether subject's records must be read from the store.
func (l *liveRecords) bypassed(subject string) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.ends) == 0 {
		return false
	}
	until, ok := l.ends[subject]
	return ok && time.Now().Before(until)
}

// recordQuery reads the record of a subject, client and purpose: one
// indexed read, prepared once.
const recordQuery = `SELECT ` + recordCols + ` FROM consent_records WHERE subject = $1 AND client = $2 AND purpose = $3`

// record returns the record of subject, client and purpose
// (sql.ErrNoRows: none), remembered or read: its id, fields, validity,
// frequency and revocation (a remembered one holds no more).
func (s *Store) record(ctx context.Context, now time.Time, subject, client, purpose string) (Record, error) {
	if s.live.bypassed(subject) {
		return s.readRecord(ctx, subject, client, purpose)
	}
	epoch, err := s.live.cache.Current(ctx, s.db, now)
	if err != nil {
		return Record{}, err
	}
	key := subject + "\x00" + client + "\x00" + purpose
	if r, ok := s.live.cache.Get(key, epoch); ok {
		return r, nil
	}
	r, err := s.readRecord(ctx, subject, client, purpose)
	if err == nil && !s.live.bypassed(subject) {
		// What a check judges, no more (a remembered record's memory).
		s.live.cache.Put(key, Record{ID: r.ID, Fields: r.Fields, ValidFrom: r.ValidFrom, ValidUntil: r.ValidUntil,
			Frequency: r.Frequency, RevokedAt: r.RevokedAt}, epoch)
	}
	return r, err
}

func (s *Store) readRecord(ctx context.Context, subject, client, purpose string) (Record, error) {
	st, err := s.db.Prepared(ctx, recordQuery)
	if err != nil {
		return Record{}, err
	}
	// A read by key: without the request's cancellation, which costs the
	// SQLite driver a goroutine per statement.
	return scanRecord(st.QueryRowContext(context.WithoutCancel(ctx), subject, client, purpose))
}
