package oidc

import (
	"sync"
	"time"

	"github.com/populus-vn/populus/internal/civil"
	"github.com/populus-vn/populus/internal/problem"
)

// VerifyLimits bound a relying party's verifications (Verify). Each answer
// discloses a fact about a person: a run of questions about one person (a
// date of birth guessed day by day, an age bisected) would read the
// register through yes and no, and a flood of them would sweep it. A
// negative limit is none; zero, the default's.
type VerifyLimits struct {
	// PerPersonPerDay bounds the verifications of one person by one
	// client in a day (Vietnam's).
	PerPersonPerDay int
	// PerMinute bounds a client's verifications in a clock minute.
	PerMinute int
}

// VerifyLimitError refuses a verification beyond VerifyLimits: a 429
// problem that says when to try again (Retry-After).
type VerifyLimitError struct {
	Detail     string
	RetryAfter time.Duration
}

func (e *VerifyLimitError) Error() string { return e.Detail }

// Unwrap makes the refusal a RateLimited problem.
func (e *VerifyLimitError) Unwrap() error {
	return &problem.Error{Kind: problem.RateLimited, Detail: e.Detail}
}

// RetryAfterSeconds is the Retry-After header's value, at least 1.
func (e *VerifyLimitError) RetryAfterSeconds() int {
	return max(1, int((e.RetryAfter+time.Second-1)/time.Second))
}

// DefaultVerifyLimits leave a relying party's real work (a person
// verified at an account's opening, again at a loan, a few retries of a
// mistyped name) well under them.
var DefaultVerifyLimits = VerifyLimits{PerPersonPerDay: 10, PerMinute: 600}

// verifyCounter counts, in memory, the verifications of each client (in
// the current minute) and of each client and person (in the current day).
// The day's map is bounded by the minute's limit (its entries per client
// at most 1,440 × PerMinute) and emptied each day.
type verifyCounter struct {
	mu        sync.Mutex
	lim       VerifyLimits
	day       civil.Date
	perPerson map[[2]string]int
	minute    int64
	perClient map[string]int
}

func newVerifyCounter(l VerifyLimits) *verifyCounter {
	if l.PerPersonPerDay == 0 {
		l.PerPersonPerDay = DefaultVerifyLimits.PerPersonPerDay
	}
	if l.PerMinute == 0 {
		l.PerMinute = DefaultVerifyLimits.PerMinute
	}
	return &verifyCounter{lim: l, perPerson: map[[2]string]int{}, perClient: map[string]int{}}
}

// take counts a verification of person by client at now, or says why not
// (the reason for the refusal and the audit entry) and when to try again;
// perMinute: the client's limit a minute counts too (a member of the
// exchange has the exchange's own).
func (c *verifyCounter) take(client, person string, now time.Time, perMinute bool) (why string, retry time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if m := now.Unix() / 60; m != c.minute {
		c.minute, c.perClient = m, map[string]int{}
	}
	if d := civil.InVietnam(now); d != c.day {
		c.day, c.perPerson = d, map[[2]string]int{}
	}
	if perMinute && c.lim.PerMinute > 0 && c.perClient[client] >= c.lim.PerMinute {
		return "more than the verifications allowed in a minute", time.Unix((c.minute+1)*60, 0).Sub(now)
	}
	k := [2]string{client, person}
	if c.lim.PerPersonPerDay > 0 && c.perPerson[k] >= c.lim.PerPersonPerDay {
		y, m, d := now.In(civil.Vietnam).Date()
		return "more than the verifications of this person allowed in a day", time.Date(y, m, d+1, 0, 0, 0, 0, civil.Vietnam).Sub(now)
	}
	c.perClient[client]++
	c.perPerson[k]++
	return "", 0
}
