package register

import (
	"log/slog"
	"sync"
	"time"

	"github.com/populus-vn/populus/internal/problem"
)

// Limits on chip cards shown for a person out of reach that did not match
// (cardShown), in a day: per person named, and per officer. The date of
// issue is the card's only part not known from the PIN, and a year of it
// is a few hundred guesses: without a limit an officer found it in seconds.
// An unknown PIN with a card counts as a card that did not match, so that
// the limit tells nothing of whether the PIN exists.
const (
	cardFailsPerPerson  = 5
	cardFailsPerOfficer = 20
	cardFailWindow      = 24 * time.Hour
	// cardKeysMax bounds the keys remembered; beyond it the expired are
	// dropped first, then the whole table (a reset, never a lock-out).
	cardKeysMax = 100_000
)

// cardChecks counts, in memory and per process, the cards that did not
// match, by officer and by person.
type cardChecks struct {
	mu    sync.Mutex
	fails map[string][]time.Time
}

func newCardChecks() *cardChecks { return &cardChecks{fails: map[string][]time.Time{}} }

// recent returns key's failures within the window at t, dropping the older.
func (c *cardChecks) recent(key string, t time.Time) []time.Time {
	fs := c.fails[key]
	i := 0
	for i < len(fs) && t.Sub(fs[i]) >= cardFailWindow {
		i++
	}
	if i == len(fs) {
		delete(c.fails, key)
		return nil
	}
	fs = fs[i:]
	c.fails[key] = fs
	return fs
}

// admit refuses a card check by officer about pins once either has used
// up its failures: a 429, alike for every PIN.
func (c *cardChecks) admit(officer string, pins ...string) error {
	t := now()
	c.mu.Lock()
	defer c.mu.Unlock()
	check := func(key string, limit int) (time.Duration, bool) {
		fs := c.recent(key, t)
		if len(fs) < limit {
			return 0, false
		}
		return fs[len(fs)-limit].Add(cardFailWindow).Sub(t), true
	}
	wait, refused := check("officer:"+officer, cardFailsPerOfficer)
	for _, pin := range pins {
		if w, r := check("pin:"+pin, cardFailsPerPerson); r {
			wait, refused = max(wait, w), true
		}
	}
	if !refused {
		return nil
	}
	return &cardLimitError{wait: wait, err: problem.New(problem.RateLimited, "too many chip cards that did not match, for this person or by this account, in the last 24 hours: check the card at the counter again later")}
}

// cardLimitError is admit's refusal: a 429 problem with its Retry-After.
type cardLimitError struct {
	wait time.Duration
	err  error
}

func (e *cardLimitError) Error() string { return e.err.Error() }
func (e *cardLimitError) Unwrap() error { return e.err }

// RetryAfterSeconds is the value of the Retry-After header, at least 1.
func (e *cardLimitError) RetryAfterSeconds() int {
	return max(1, int((e.wait+time.Second-1)/time.Second))
}

// fail counts a card that did not match, shown by officer for pin.
func (c *cardChecks) fail(officer, pin string) {
	t := now()
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.fails) >= cardKeysMax {
		for k := range c.fails {
			c.recent(k, t)
		}
		if len(c.fails) >= cardKeysMax {
			c.fails = map[string][]time.Time{}
		}
	}
	for _, key := range []string{"officer:" + officer, "pin:" + pin} {
		c.fails[key] = append(c.recent(key, t), t)
	}
	if n := len(c.fails["officer:"+officer]); n == cardFailsPerOfficer {
		slog.Warn("security: an account's chip cards for people out of reach did not match too often", "actor", officer, "failures", n, "window", cardFailWindow)
	}
}
