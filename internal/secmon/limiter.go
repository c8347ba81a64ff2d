package secmon

import (
	"context"
	"fmt"
	"hash/maphash"
	"strings"
	"sync"
	"time"

	"github.com/populus-vn/populus/internal/auth"
	"github.com/populus-vn/populus/internal/problem"
)

// Limits are the per-account limits on reads of people. A zero limit is no
// limit.
type Limits struct {
	// ReadsPerMinute and ReadsPerHour bound the distinct people disclosed
	// to one account by reads and searches (auth.ReadPerson,
	// auth.SearchRegister) in a clock minute and a clock hour: a record
	// opened again in the same window is not counted again, and every
	// result of a search is counted.
	ReadsPerMinute, ReadsPerHour int
	// SearchesPerMinute bounds the searches with results of one account in
	// a clock minute.
	SearchesPerMinute int
	// Exempt names accounts that are counted (their reads feed the alerts)
	// but never refused: "auditor" (a staff username) or "kind:name".
	Exempt []string
}

// DefaultLimits are the limits of a served register: a commune officer's
// real work (a dossier: a search of 50 results, the record and the
// household, some 60 people) stays well under them, and a bulk pull is
// slowed to 1,000 people an hour.
var DefaultLimits = Limits{ReadsPerMinute: 300, ReadsPerHour: 1000, SearchesPerMinute: 30}

// Limited reports whether a is counted by the limiter: the interactive
// reads of people. Other disclosures (events, reconciliation) are bounded
// by their own capabilities.
func Limited(a auth.Action) bool { return a == auth.ReadPerson || a == auth.SearchRegister }

// setCap bounds the distinct people remembered per window for an account
// that is exempt or unlimited; beyond it every disclosure counts as a new
// person (an overcount, never an undercount).
const setCap = 4096

// LimitError refuses a read beyond an account's limit: a problem of kind
// RateLimited; RetryAfter says when the window that is full ends.
type LimitError struct {
	RetryAfter time.Duration
	Detail     string
}

func (e *LimitError) Error() string { return e.Detail }

// Unwrap makes the refusal a 429 problem.
func (e *LimitError) Unwrap() error {
	return &problem.Error{Kind: problem.RateLimited, Detail: e.Detail}
}

// RetryAfterSeconds is the value of the Retry-After header, at least 1.
func (e *LimitError) RetryAfterSeconds() int {
	return max(1, int((e.RetryAfter+time.Second-1)/time.Second))
}

// Limiter is the auth.Recorder of the guard in a served register: it counts,
// per account and in memory, the distinct people and the searches each
// disclosure of a read or a search is about, refuses those beyond Limits
// (recording the refusal with the next Recorder, the audit log), and passes
// the others on. Nothing is written to the store on this path; rate-limit
// alerts wait in memory for the Monitor.
type Limiter struct {
	next   auth.Recorder
	lim    Limits
	exempt map[string]bool
	seed   maphash.Seed
	now    func() time.Time

	accounts sync.Map // key → *account

	mu      sync.Mutex
	pending []Event // rate-limit alerts not yet stored
	dropped int
}

// maxPending bounds the alerts waiting for the Monitor.
const maxPending = 10000

// NewLimiter returns a limiter applying lim, recording with next.
func NewLimiter(next auth.Recorder, lim Limits) *Limiter {
	l := &Limiter{next: next, lim: lim, exempt: map[string]bool{}, seed: maphash.MakeSeed(), now: time.Now}
	for _, e := range lim.Exempt {
		if e = strings.TrimSpace(e); e == "" {
			continue
		}
		if !strings.Contains(e, ":") {
			e = auth.ActorID(auth.KindStaff, e)
		}
		l.exempt[e] = true
	}
	return l
}

// SetClock replaces the limiter's clock (tests).
func (l *Limiter) SetClock(now func() time.Time) { l.now = now }

type key struct {
	kind auth.Kind
	name string
}

// account is the counters of one account in the current clock minute and
// hour, and its count of the hour before.
type account struct {
	mu                       sync.Mutex
	dead                     bool // evicted: look it up again
	exempt                   bool
	p                        auth.Principal
	minute, hour             int64 // window starts, Unix seconds
	minuteSet, hourSet       map[uint64]struct{}
	minuteCount, hourCount   int
	searches                 int
	prevHour                 int64
	prevCount                int
	limitedHour              int64 // the hour of the last rate-limit alert
	minuteLimit, hourLimit   int
	minuteSetCap, hourSetCap int
}

func (a *account) rotate(m, h int64) {
	if a.minute != m {
		a.minute, a.minuteCount, a.searches = m, 0, 0
		if len(a.minuteSet) > 256 {
			a.minuteSet = make(map[uint64]struct{})
		} else {
			clear(a.minuteSet)
		}
	}
	if a.hour != h {
		if a.hour != 0 {
			a.prevHour, a.prevCount = a.hour, a.hourCount
		}
		a.hour, a.hourCount = h, 0
		a.hourSet = make(map[uint64]struct{})
	}
}

func (l *Limiter) account(p auth.Principal) *account {
	k := key{p.Kind, p.Username}
	if v, ok := l.accounts.Load(k); ok {
		return v.(*account)
	}
	a := &account{exempt: l.exempt[p.ActorID()], minuteSet: map[uint64]struct{}{}, hourSet: map[uint64]struct{}{},
		minuteLimit: l.lim.ReadsPerMinute, hourLimit: l.lim.ReadsPerHour}
	if a.exempt {
		a.minuteLimit, a.hourLimit = 0, 0
	}
	a.minuteSetCap, a.hourSetCap = setCap, setCap
	if a.minuteLimit > 0 {
		a.minuteSetCap = max(a.minuteLimit, setCap)
	}
	if a.hourLimit > 0 {
		a.hourSetCap = max(a.hourLimit, setCap)
	}
	v, _ := l.accounts.LoadOrStore(k, a)
	return v.(*account)
}

// Deny passes a refusal on.
func (l *Limiter) Deny(ctx context.Context, p auth.Principal, a auth.Action, subject, detail string) error {
	return l.next.Deny(ctx, p, a, subject, detail)
}

// Allow counts a read or a search against p's limits and passes it on, or
// refuses it with a *LimitError, recorded as a refusal: against each person
// for a read, once for a search (whose results were not shown).
func (l *Limiter) Allow(ctx context.Context, p auth.Principal, a auth.Action, detail string, subjects ...string) error {
	if !Limited(a) || len(subjects) == 0 {
		return l.next.Allow(ctx, p, a, detail, subjects...)
	}
	if err := l.admit(p, a, subjects); err != nil {
		if a == auth.SearchRegister {
			l.next.Deny(ctx, p, a, "", err.Detail)
		} else {
			for _, s := range subjects {
				l.next.Deny(ctx, p, a, s, err.Detail)
			}
		}
		return err
	}
	return l.next.Allow(ctx, p, a, detail, subjects...)
}

func (l *Limiter) admit(p auth.Principal, act auth.Action, subjects []string) *LimitError {
	now := l.now()
	sec := now.Unix()
	m, h := sec-sec%60, sec-sec%3600
	var a *account
	for {
		a = l.account(p)
		a.mu.Lock()
		if !a.dead {
			break
		}
		a.mu.Unlock()
	}
	defer a.mu.Unlock()
	a.p = p
	a.rotate(m, h)
	search := act == auth.SearchRegister
	if search && !a.exempt && l.lim.SearchesPerMinute > 0 && a.searches >= l.lim.SearchesPerMinute {
		return l.refuse(a, now, m+60, "searches", a.searches, l.lim.SearchesPerMinute, "minute")
	}
	var buf [8]uint64
	hs := buf[:0]
	newM, newH := 0, 0
	for _, s := range subjects {
		x := maphash.String(l.seed, s)
		hs = append(hs, x)
		if _, ok := a.minuteSet[x]; !ok {
			newM++
		}
		if _, ok := a.hourSet[x]; !ok {
			newH++
		}
	}
	if a.minuteLimit > 0 && a.minuteCount+newM > a.minuteLimit {
		return l.refuse(a, now, m+60, "people", a.minuteCount, a.minuteLimit, "minute")
	}
	if a.hourLimit > 0 && a.hourCount+newH > a.hourLimit {
		return l.refuse(a, now, h+3600, "people", a.hourCount, a.hourLimit, "hour")
	}
	for _, x := range hs {
		if len(a.minuteSet) < a.minuteSetCap {
			a.minuteSet[x] = struct{}{}
		}
		if len(a.hourSet) < a.hourSetCap {
			a.hourSet[x] = struct{}{}
		}
	}
	a.minuteCount += newM
	a.hourCount += newH
	if search {
		a.searches++
	}
	return nil
}

// refuse builds the refusal of a read beyond a limit, and queues one
// rate-limit alert per account and hour. a is locked.
func (l *Limiter) refuse(a *account, now time.Time, until int64, what string, count, limit int, window string) *LimitError {
	e := &LimitError{RetryAfter: time.Unix(until, 0).Sub(now),
		Detail: fmt.Sprintf("rate limit: at most %d %s per %s for this account (%d so far); try again later", limit, what, window, count)}
	if a.limitedHour != a.hour {
		a.limitedHour = a.hour
		start := a.minute
		if window == "hour" {
			start = a.hour
		}
		l.queue(Event{At: now.UTC(), Kind: KindRateLimit, Actor: a.p.ActorID(), Role: string(a.p.Role), Unit: a.p.Unit,
			WindowStart: time.Unix(start, 0).UTC(), WindowEnd: time.Unix(until, 0).UTC(), Count: count, Baseline: limit,
			Detail: fmt.Sprintf("%s per %s limit reached", what, window)})
	}
	return e
}

func (l *Limiter) queue(e Event) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.pending) >= maxPending {
		l.dropped++
		return
	}
	l.pending = append(l.pending, e)
}

// takePending returns the queued alerts, and how many were dropped since the
// last call because the queue was full.
func (l *Limiter) takePending() ([]Event, int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	p, d := l.pending, l.dropped
	l.pending, l.dropped = nil, 0
	return p, d
}

// requeue puts back alerts that could not be stored.
func (l *Limiter) requeue(es []Event) {
	l.mu.Lock()
	defer l.mu.Unlock()
	room := maxPending - len(l.pending)
	if len(es) > room {
		l.dropped += len(es) - room
		es = es[:room]
	}
	l.pending = append(es, l.pending...)
}

// sample is an account's count of distinct people in one clock hour.
type sample struct {
	p     auth.Principal
	hour  int64
	count int
}

// samples returns, for the hour of now and the hour before, each active
// account's count of distinct people read; accounts idle in both hours are
// forgotten.
func (l *Limiter) samples(now time.Time) []sample {
	sec := now.Unix()
	m, h := sec-sec%60, sec-sec%3600
	var out []sample
	l.accounts.Range(func(k, v any) bool {
		a := v.(*account)
		a.mu.Lock()
		defer a.mu.Unlock()
		a.rotate(m, h)
		if a.hourCount > 0 {
			out = append(out, sample{a.p, a.hour, a.hourCount})
		}
		if a.prevHour == h-3600 && a.prevCount > 0 {
			out = append(out, sample{a.p, a.prevHour, a.prevCount})
		}
		if a.hourCount == 0 && (a.prevHour < h-3600 || a.prevCount == 0) {
			a.dead = true
			l.accounts.Delete(k)
		}
		return true
	})
	return out
}
