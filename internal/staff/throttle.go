package staff

import (
	"sync"
	"time"
)

// Throttle counts failed sign-ins and refuses further attempts once a key
// has failed too often within a window. Sign-in checks two keys: the
// username with the client address (a guesser at one account) and the
// address alone (a guesser trying many accounts).
//
// It is in memory and per instance: behind a load balancer each instance
// counts on its own, so the effective limit is the limit times the number of
// instances. It holds at most max keys; when full it drops keys whose window
// has passed and then the oldest, so a flood of addresses costs bounded
// memory (at worst it forgets some counts early).
type Throttle struct {
	mu     sync.Mutex
	limit  int
	window time.Duration
	max    int
	keys   map[string]*failures
}

type failures struct {
	n     int
	first time.Time
}

// NewThrottle allows limit failures per key within window, remembering at
// most max keys.
func NewThrottle(limit int, window time.Duration, max int) *Throttle {
	return &Throttle{limit: limit, window: window, max: max, keys: make(map[string]*failures)}
}

// Blocked reports whether key has used up its failures, and for how long
// it stays blocked.
func (t *Throttle) Blocked(key string, now time.Time) (bool, time.Duration) {
	t.mu.Lock()
	defer t.mu.Unlock()
	f, ok := t.keys[key]
	if !ok {
		return false, 0
	}
	if now.Sub(f.first) >= t.window {
		delete(t.keys, key)
		return false, 0
	}
	if f.n < t.limit {
		return false, 0
	}
	return true, f.first.Add(t.window).Sub(now)
}

// Fail counts a failure against key.
func (t *Throttle) Fail(key string, now time.Time) {
	t.mu.Lock()
	defer t.mu.Unlock()
	f, ok := t.keys[key]
	if ok && now.Sub(f.first) < t.window {
		f.n++
		return
	}
	if !ok && len(t.keys) >= t.max {
		t.evict(now)
	}
	t.keys[key] = &failures{n: 1, first: now}
}

// Reset forgets key's failures (after a successful sign-in).
func (t *Throttle) Reset(key string) {
	t.mu.Lock()
	delete(t.keys, key)
	t.mu.Unlock()
}

// evict makes room for one key. The scan is linear, but runs only when the
// map is full, and max is small.
func (t *Throttle) evict(now time.Time) {
	var oldest string
	var oldestAt time.Time
	for k, f := range t.keys {
		if now.Sub(f.first) >= t.window {
			delete(t.keys, k)
			continue
		}
		if oldest == "" || f.first.Before(oldestAt) {
			oldest, oldestAt = k, f.first
		}
	}
	if len(t.keys) >= t.max && oldest != "" {
		delete(t.keys, oldest)
	}
}
