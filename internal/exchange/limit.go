package exchange

import (
	"sync"
	"time"
)

// DefaultRequestsPerMinute is how many /r1/ requests one subsystem may
// make in a clock minute (a batch counts once): beyond it, 429 with
// Retry-After, audited.
const DefaultRequestsPerMinute = 6000

// DefaultBatchRowsPerMinute is how many rows of batch verifications one
// subsystem may have verified in a clock minute (about 1,700 a second; a
// two-core server verifies 10,000 to 12,000 rows a second,
// BenchmarkVerifyBatch): beyond it, the batch ends with a row saying so,
// audited.
const DefaultBatchRowsPerMinute = 100_000

// limiter counts each subsystem's requests in the current clock minute.
type limiter struct {
	mu     sync.Mutex
	max    int
	minute int64
	counts map[string]int
}

// allow counts a request of subsystem at now and reports whether it is
// within the limit, and otherwise the seconds until the next minute.
func (l *limiter) allow(subsystem string, now time.Time) (bool, int) {
	if l.max <= 0 {
		return true, 0
	}
	m := now.Unix() / 60
	l.mu.Lock()
	defer l.mu.Unlock()
	if m != l.minute || l.counts == nil {
		l.minute, l.counts = m, map[string]int{}
	}
	l.counts[subsystem]++
	if l.counts[subsystem] > l.max {
		return false, int(60 - now.Unix()%60)
	}
	return true, 0
}
