package oidc

import (
	"hash/maphash"
	"math"
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

// maxPairs bounds the client-and-person pairs counted in a day (about 30
// bytes each, measured: ten million pairs, a bank verifying all its
// customers in a night, hold 300 MB until the day ends); beyond, a
// question about a pair not yet counted is refused until the next day
// rather than left uncounted.
const maxPairs = 10_000_000

// verifyCounter counts, in memory, the verifications of each client (in
// the current minute) and of each client and person (in the current day,
// by a 64-bit hash of the pair with the day's seed). The day's map is
// emptied each day and holds at most maxPairs.
type verifyCounter struct {
	mu        sync.Mutex
	lim       VerifyLimits
	day       civil.Date
	seed      maphash.Seed
	perPerson map[uint64]uint16
	minute    int64
	perClient map[string]int
}

// withDefaults is l with DefaultVerifyLimits' for its zero values, the
// day's limit at most what the count's type holds.
func (l VerifyLimits) withDefaults() VerifyLimits {
	if l.PerPersonPerDay == 0 {
		l.PerPersonPerDay = DefaultVerifyLimits.PerPersonPerDay
	}
	if l.PerMinute == 0 {
		l.PerMinute = DefaultVerifyLimits.PerMinute
	}
	l.PerPersonPerDay = min(l.PerPersonPerDay, math.MaxUint16)
	return l
}

func newVerifyCounter(l VerifyLimits) *verifyCounter {
	return &verifyCounter{lim: l.withDefaults(), seed: maphash.MakeSeed(), perPerson: map[uint64]uint16{}, perClient: map[string]int{}}
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
		c.day, c.seed, c.perPerson = d, maphash.MakeSeed(), map[uint64]uint16{}
	}
	if perMinute && c.lim.PerMinute > 0 && c.perClient[client] >= c.lim.PerMinute {
		return "more than the verifications allowed in a minute", time.Unix((c.minute+1)*60, 0).Sub(now)
	}
	if c.lim.PerPersonPerDay > 0 {
		var h maphash.Hash
		h.SetSeed(c.seed)
		h.WriteString(client)
		h.WriteByte(0)
		h.WriteString(person)
		k := h.Sum64()
		n, counted := c.perPerson[k]
		tomorrow := func() time.Duration { return civil.EndOfDay(c.day).Add(time.Nanosecond).Sub(now) }
		switch {
		case int(n) >= c.lim.PerPersonPerDay:
			return "more than the verifications of this person allowed in a day", tomorrow()
		case !counted && len(c.perPerson) >= maxPairs:
			return "more verifications than the platform counts in a day", tomorrow()
		}
		c.perPerson[k] = n + 1
	}
	c.perClient[client]++
	return "", 0
}
