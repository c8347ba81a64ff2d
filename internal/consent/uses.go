package consent

import (
	"context"
	"database/sql"
	"errors"
	"sync"

	"github.com/populus-vn/populus/internal/db"
)

// A limited consent's uses are counted in the store on every request (so
// that concurrent calls, of any process, never exceed the limit): one
// write each. Counted one by one, each is a transaction of its own, and on
// SQLite, whose writer is one at a time, the requests queue behind each
// other's commits. The uses that arrive while a count is being committed
// are counted together, in one transaction (group commit): the caller that
// finds no count under way commits its own and those queued meanwhile, the
// others wait for it. A batch counts all the uses of one consent with one
// statement that adds them only while the limit holds; when it would not,
// they are counted one by one, each up to the limit (the first ones pass).
// No use is answered before its count is committed.
type useCounter struct {
	db *db.DB
	mu sync.Mutex
	// pending are the uses waiting for a count; committing says one is
	// under way.
	pending    []*use
	committing bool
}

type use struct {
	ctx        context.Context
	id         string
	period     string
	max        int
	err        error // nil, errExceeded, or the store's
	done, lead chan struct{}
}

// count counts one use of consent id in period, under max: nil, or
// errExceeded once the limit is reached.
func (c *useCounter) count(ctx context.Context, id, period string, max int) error {
	u := &use{ctx: ctx, id: id, period: period, max: max, done: make(chan struct{}), lead: make(chan struct{})}
	c.mu.Lock()
	c.pending = append(c.pending, u)
	if c.committing {
		c.mu.Unlock()
		select {
		case <-u.done:
			return u.err
		case <-u.lead: // the last leader left; this one commits
			c.mu.Lock()
		}
	}
	// This caller leads: it commits the uses queued (its own among them),
	// then hands the lead to the first use queued meanwhile, if any.
	c.committing = true
	batch := c.pending
	c.pending = nil
	c.mu.Unlock()
	c.commit(batch)
	c.mu.Lock()
	if len(c.pending) > 0 {
		close(c.pending[0].lead)
	} else {
		c.committing = false
	}
	c.mu.Unlock()
	return u.err
}

// commit counts batch in one transaction and answers each use.
func (c *useCounter) commit(batch []*use) {
	// The transaction is the batch's, not one request's: a caller that
	// goes away does not undo the others' counts.
	ctx := context.WithoutCancel(batch[0].ctx)
	groups := map[[2]string][]*use{} // by consent and period
	for _, u := range batch {
		k := [2]string{u.id, u.period}
		groups[k] = append(groups[k], u)
	}
	err := c.db.InTx(ctx, func(tx *sql.Tx) error {
		for _, g := range groups {
			if err := countGroup(ctx, tx, g); err != nil {
				return err
			}
		}
		return nil
	})
	for _, u := range batch {
		if err != nil {
			u.err = err // nothing of the batch was counted
		}
		close(u.done)
	}
}

// countGroup counts the uses of one consent in one period: all of them in
// one statement while the limit holds, otherwise one by one, each use's
// answer in its err.
func countGroup(ctx context.Context, tx *sql.Tx, g []*use) error {
	u := g[0]
	if len(g) <= u.max {
		var uses int
		err := tx.QueryRowContext(ctx, countUses, u.id, u.period, len(g), u.max).Scan(&uses)
		if err == nil {
			return nil
		}
		if !errors.Is(err, sql.ErrNoRows) {
			return err
		}
	}
	for _, v := range g {
		v.err = countOne(ctx, tx, u.id, u.period, u.max)
		if v.err != nil && !errors.Is(v.err, errExceeded) {
			return v.err
		}
	}
	return nil
}

// countOne counts one use of consent id in period, only while the count is
// under max: errExceeded otherwise.
func countOne(ctx context.Context, tx *sql.Tx, id, period string, max int) error {
	var uses int
	err := tx.QueryRowContext(ctx, countUse, id, period, max).Scan(&uses)
	if errors.Is(err, sql.ErrNoRows) {
		return errExceeded
	}
	return err
}

// countUses counts n uses ($3) of a consent in a period, only while the
// count stays within the limit ($4): no row comes back otherwise (nothing
// counted).
const countUses = `INSERT INTO consent_uses (consent_id, period, uses) VALUES ($1, $2, $3)
	ON CONFLICT (consent_id, period) DO UPDATE SET uses = consent_uses.uses + excluded.uses WHERE consent_uses.uses + excluded.uses <= $4
	RETURNING uses`
