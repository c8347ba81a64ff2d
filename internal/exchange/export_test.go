package exchange

import (
	"time"

	"github.com/populus-vn/populus/internal/egress"
)

// SetBatchLimit lowers the rows of a batch for a test, and restores it.
func SetBatchLimit(n int) (restore func()) {
	old := batchLimit
	batchLimit = n
	return func() { batchLimit = old }
}

// SetBatchIdle shortens how long a batch waits on its caller, and
// restores it.
func SetBatchIdle(d time.Duration) (restore func()) {
	old := batchIdle
	batchIdle = d
	return func() { batchIdle = old }
}

// SetEgress replaces the policy of x's calls to member services (tests).
func (x *Exchange) SetEgress(p egress.Policy) {
	x.egress = &p
	x.forwarder = p.Client(30 * time.Second)
}

// BatchRequests is batchRequests (the fuzz test).
var BatchRequests = batchRequests

// AnswerSubject is answerSubject (the fuzz test).
var AnswerSubject = answerSubject

// EvidenceTime is evidenceTime (the fuzz test).
var EvidenceTime = evidenceTime

// EvidenceKey is evidenceKey (a test forging an entry's detail).
var EvidenceKey = evidenceKey
