package db

import (
	"context"
	"sync"
	"sync/atomic"
	"time"
)

// EpochCache remembers values read from the store (an active token and
// what it stands for) for as long as the store's epoch has not moved: a
// one-row counter that triggers count up with every statement that could
// make a remembered value wrong (a revocation, a deletion), whichever
// process or code path runs it. The epoch itself is read again once older
// than the cache's TTL, or at once after Invalidate, which a process calls
// after its own such statements: they hold at once in this process, and
// within the TTL in another (the command line, another instance on
// PostgreSQL). At most max values are kept; when full, the memory is
// dropped and starts again.
type EpochCache[V any] struct {
	// query reads the epoch: one row, one integer.
	query string
	ttl   time.Duration
	max   int
	mu    sync.RWMutex
	m     map[string]epochEntry[V]
	// epoch is the store's epoch as last read, at readAt (UnixNano; 0:
	// read it before the next use). gen counts Invalidate's calls: a read
	// of the epoch begun before one must not mark the epoch fresh.
	epoch  atomic.Int64
	readAt atomic.Int64
	gen    atomic.Int64
	// fresh serialises marking the epoch read with Invalidate.
	fresh sync.Mutex
}

type epochEntry[V any] struct {
	v     V
	epoch int64
}

// NewEpochCache returns a cache whose epoch query is query (e.g. "SELECT
// seq FROM x_epoch WHERE id = 1"), read again after ttl, holding at most
// max values.
func NewEpochCache[V any](query string, ttl time.Duration, max int) *EpochCache[V] {
	return &EpochCache[V]{query: query, ttl: ttl, max: max, m: make(map[string]epochEntry[V])}
}

// Current returns the store's epoch, read from d when the one known is
// older than the TTL or was invalidated.
func (c *EpochCache[V]) Current(ctx context.Context, d *DB, now time.Time) (int64, error) {
	if at := c.readAt.Load(); at != 0 && now.UnixNano()-at < int64(c.ttl) {
		return c.epoch.Load(), nil
	}
	gen := c.gen.Load()
	st, err := d.Prepared(ctx, c.query)
	if err != nil {
		return 0, err
	}
	var seq int64
	if err := st.QueryRowContext(context.WithoutCancel(ctx)).Scan(&seq); err != nil {
		return 0, err
	}
	c.fresh.Lock()
	defer c.fresh.Unlock()
	// Concurrent readers may finish out of order: keep the highest.
	seq = max(seq, c.epoch.Load())
	c.epoch.Store(seq)
	if c.gen.Load() == gen {
		c.readAt.Store(now.UnixNano())
	}
	return seq, nil
}

// Invalidate makes the next Current read the epoch again: called after
// this process ran statements that count it up.
func (c *EpochCache[V]) Invalidate() {
	c.fresh.Lock()
	c.gen.Add(1)
	c.readAt.Store(0)
	c.fresh.Unlock()
}

// Get returns the value remembered for key if it was read at epoch.
func (c *EpochCache[V]) Get(key string, epoch int64) (V, bool) {
	c.mu.RLock()
	e, ok := c.m[key]
	c.mu.RUnlock()
	return e.v, ok && e.epoch == epoch
}

// Put remembers v for key, read from the store at epoch (the epoch known
// before the read, so that a change in between is never hidden).
func (c *EpochCache[V]) Put(key string, v V, epoch int64) {
	c.mu.Lock()
	if len(c.m) >= c.max {
		clear(c.m)
	}
	c.m[key] = epochEntry[V]{v: v, epoch: epoch}
	c.mu.Unlock()
}
