package oidc

import (
	"context"
	"sync"
	"sync/atomic"
	"time"

	"github.com/populus-vn/populus/internal/db"
)

// liveTokens remembers the access tokens this provider has read active from
// the store, so that a resource server introspecting the same token on each
// call it receives (and userinfo, e-KYC) does not read its row every time.
//
// A remembered token is only used while the store's revocation epoch
// (oidc_token_epoch, migration 0004) is the one read before its row was:
// triggers count the epoch up with every statement that revokes or deletes
// a token, whoever runs it. This process's own revocations make the next
// call read the epoch again, so they hold at once; the epoch is otherwise
// read again once it is older than epochTTL, so that a revocation made by
// another process (the CLI, another instance on PostgreSQL) holds within
// that time. Expiry is checked on every call. At most maxTokens are kept;
// when full, the memory is dropped and starts again.
type liveTokens struct {
	mu     sync.RWMutex
	grants map[string]liveGrant
	// epoch is the store's epoch as last read, at readAt (UnixNano; 0:
	// read it before the next use).
	epoch  atomic.Int64
	readAt atomic.Int64
}

type liveGrant struct {
	g     grant
	epoch int64
}

// epochTTL bounds how long a revocation by another process may go unseen.
const epochTTL = time.Second

func newLiveTokens() *liveTokens { return &liveTokens{grants: make(map[string]liveGrant)} }

// current returns the revocation epoch, read from the store when the one
// known is older than epochTTL or was invalidated.
func (l *liveTokens) current(ctx context.Context, d *db.DB, now time.Time) (int64, error) {
	if at := l.readAt.Load(); at != 0 && now.UnixNano()-at < int64(epochTTL) {
		return l.epoch.Load(), nil
	}
	st, err := d.Prepared(ctx, "SELECT seq FROM oidc_token_epoch WHERE id = 1")
	if err != nil {
		return 0, err
	}
	var seq int64
	if err := st.QueryRowContext(ctx).Scan(&seq); err != nil {
		return 0, err
	}
	// Concurrent readers may finish out of order: keep the highest.
	for {
		old := l.epoch.Load()
		if seq <= old || l.epoch.CompareAndSwap(old, seq) {
			break
		}
	}
	l.readAt.Store(now.UnixNano())
	return max(seq, l.epoch.Load()), nil
}

// invalidate makes the next call read the epoch again: called after this
// process revoked tokens (their statements counted the epoch up).
func (l *liveTokens) invalidate() { l.readAt.Store(0) }

func (l *liveTokens) get(id string, epoch int64) (grant, bool) {
	l.mu.RLock()
	e, ok := l.grants[id]
	l.mu.RUnlock()
	return e.g, ok && e.epoch == epoch
}

func (l *liveTokens) put(id string, g grant, epoch int64) {
	l.mu.Lock()
	if len(l.grants) >= maxTokens {
		clear(l.grants)
	}
	l.grants[id] = liveGrant{g: g, epoch: epoch}
	l.mu.Unlock()
}
