package secmon

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/populus-vn/populus/internal/auth"
	"github.com/populus-vn/populus/internal/problem"
)

// recorder is the audit log of these tests.
type recorder struct {
	mu             sync.Mutex
	allows, denies []string // "action subject detail"
}

func (r *recorder) Deny(_ context.Context, p auth.Principal, a auth.Action, subject, detail string) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.denies = append(r.denies, fmt.Sprintf("%s %s %s", a, subject, detail))
	return nil
}

func (r *recorder) Allow(_ context.Context, p auth.Principal, a auth.Action, detail string, subjects ...string) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, s := range subjects {
		r.allows = append(r.allows, fmt.Sprintf("%s %s %s", a, s, detail))
	}
	return nil
}

type clock struct{ t time.Time }

func (c *clock) now() time.Time { return c.t }

func newTestLimiter(lim Limits, start time.Time) (*Limiter, *recorder, *clock) {
	rec := &recorder{}
	l := NewLimiter(rec, lim)
	c := &clock{start}
	l.SetClock(c.now)
	return l, rec, c
}

var (
	officer = auth.Staff(1, "registrar.badinh", "", auth.Registrar, "00004")
	ctx     = context.Background()
)

func pinN(i int) string { return fmt.Sprintf("0010930%05d", i) }

// The hour limit holds across minutes, and its refusal says to wait for the
// next hour; the counts start again then.
func TestHourLimit(t *testing.T) {
	l, rec, c := newTestLimiter(Limits{ReadsPerMinute: 10, ReadsPerHour: 25}, time.Date(2026, 12, 6, 10, 57, 30, 0, time.UTC))
	n := 0
	for _, at := range []string{"10:57:30", "10:58:30", "10:59:50"} {
		c.t, _ = time.Parse(time.DateTime, "2026-12-06 "+at)
		for range 10 {
			err := l.Allow(ctx, officer, auth.ReadPerson, "", pinN(n))
			if n < 25 && err != nil {
				t.Fatalf("read %d: %v", n, err)
			}
			if n >= 25 {
				var le *LimitError
				if !errors.As(err, &le) || problem.KindOf(err) != problem.RateLimited {
					t.Fatalf("read %d beyond the hour's limit: %v", n, err)
				}
			}
			n++
		}
	}
	err := l.Allow(ctx, officer, auth.ReadPerson, "", pinN(99))
	var le *LimitError
	if !errors.As(err, &le) || le.RetryAfterSeconds() != 10 {
		t.Fatalf("at 10:59:50 the hour's refusal should say 10 s: %v", err)
	}
	if len(rec.allows) != 25 || len(rec.denies) != 6 {
		t.Errorf("%d reads and %d refusals recorded, want 25 and 6", len(rec.allows), len(rec.denies))
	}
	c.t = time.Date(2026, 12, 6, 11, 0, 0, 0, time.UTC)
	if err := l.Allow(ctx, officer, auth.ReadPerson, "", pinN(99)); err != nil {
		t.Errorf("the next hour: %v", err)
	}
	if pending, _ := l.takePending(); len(pending) != 1 || pending[0].Kind != KindRateLimit || pending[0].Actor != "staff:registrar.badinh" {
		t.Errorf("rate-limit alerts %+v, want one", pending)
	}
}

// A search is refused whole when its results would pass the limit, and
// recorded as one refused search.
func TestSearchResultsCount(t *testing.T) {
	l, rec, _ := newTestLimiter(Limits{ReadsPerMinute: 60, SearchesPerMinute: 30}, time.Date(2026, 12, 6, 10, 0, 0, 0, time.UTC))
	page := func(from int) []string {
		var ps []string
		for i := range 50 {
			ps = append(ps, pinN(from+i))
		}
		return ps
	}
	if err := l.Allow(ctx, officer, auth.SearchRegister, "", page(0)...); err != nil {
		t.Fatal(err)
	}
	// The same results again are no new people.
	if err := l.Allow(ctx, officer, auth.SearchRegister, "", page(0)...); err != nil {
		t.Fatal(err)
	}
	if err := l.Allow(ctx, officer, auth.SearchRegister, "", page(50)...); problem.KindOf(err) != problem.RateLimited {
		t.Fatalf("a page of 50 new people over 60 a minute: %v", err)
	}
	if len(rec.denies) != 1 || len(rec.allows) != 100 {
		t.Errorf("%d refusals, %d reads recorded, want 1 and 100", len(rec.denies), len(rec.allows))
	}
}

// Exempt accounts, and actions other than reads and searches, are never
// refused; an exempt account's memory stays bounded.
func TestExemptAndOtherActions(t *testing.T) {
	l, _, _ := newTestLimiter(Limits{ReadsPerMinute: 1, ReadsPerHour: 1, SearchesPerMinute: 1, Exempt: []string{"auditor"}}, time.Date(2026, 12, 6, 10, 0, 0, 0, time.UTC))
	aud := auth.Staff(2, "auditor", "", auth.Auditor, "VN")
	for i := range 3 * setCap {
		if err := l.Allow(ctx, aud, auth.ReadPerson, "", pinN(i)); err != nil {
			t.Fatalf("exempt read %d: %v", i, err)
		}
	}
	a := l.account(aud)
	if len(a.hourSet) > setCap || len(a.minuteSet) > setCap || a.hourCount != 3*setCap {
		t.Errorf("exempt account: sets of %d and %d, count %d", len(a.hourSet), len(a.minuteSet), a.hourCount)
	}
	for i := range 5 {
		if err := l.Allow(ctx, officer, auth.RegisterBirth, "", pinN(i)); err != nil {
			t.Fatalf("a birth is not a read: %v", err)
		}
	}
}

// A commune officer's busy day under the default limits is never refused:
// 8 hours, a dossier every 3 minutes among 2,000 people of the commune,
// each a search by name and date of birth (10 results; every fourth a
// broad search of 50), the record and its household of 6.
func TestNormalUseStaysUnderDefaultLimits(t *testing.T) {
	start := time.Date(2026, 12, 7, 8, 0, 0, 0, time.UTC)
	l, rec, c := newTestLimiter(DefaultLimits, start)
	person := 0
	for d := 0; d < 8*20; d++ {
		c.t = start.Add(time.Duration(d) * 3 * time.Minute)
		n := 10
		if d%4 == 0 {
			n = 50
		}
		var results []string
		for i := range n {
			results = append(results, pinN((person+i*37)%2000))
		}
		if err := l.Allow(ctx, officer, auth.SearchRegister, "search", results...); err != nil {
			t.Fatalf("dossier %d, search: %v", d, err)
		}
		c.t = c.t.Add(30 * time.Second)
		if err := l.Allow(ctx, officer, auth.ReadPerson, "", results[0]); err != nil {
			t.Fatalf("dossier %d, read: %v", d, err)
		}
		var hh []string
		for i := range 6 {
			hh = append(hh, pinN((person+i)%2000))
		}
		if err := l.Allow(ctx, officer, auth.ReadPerson, "household", hh...); err != nil {
			t.Fatalf("dossier %d, household: %v", d, err)
		}
		person += 11
	}
	if len(rec.denies) != 0 {
		t.Errorf("%d refusals in a normal day", len(rec.denies))
	}
}

// Concurrent reads of one account never pass its limit.
func TestConcurrentReadsHoldTheLimit(t *testing.T) {
	l, rec, _ := newTestLimiter(Limits{ReadsPerMinute: 100, ReadsPerHour: 100}, time.Date(2026, 12, 6, 10, 0, 30, 0, time.UTC))
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 50 {
				l.Allow(ctx, officer, auth.ReadPerson, "", pinN(g*1000+i))
			}
		}()
	}
	wg.Wait()
	if len(rec.allows) != 100 || len(rec.denies) != 300 {
		t.Errorf("%d reads allowed, %d refused, want 100 and 300", len(rec.allows), len(rec.denies))
	}
}

// Accounts idle for two hours are forgotten.
func TestIdleAccountsForgotten(t *testing.T) {
	l, _, c := newTestLimiter(DefaultLimits, time.Date(2026, 12, 6, 10, 0, 0, 0, time.UTC))
	l.Allow(ctx, officer, auth.ReadPerson, "", pinN(1))
	if s := l.samples(c.t.Add(time.Hour)); len(s) != 1 || s[0].count != 1 {
		t.Fatalf("the hour before is kept for the alerts: %+v", s)
	}
	if s := l.samples(c.t.Add(2 * time.Hour)); len(s) != 0 {
		t.Fatalf("samples %+v", s)
	}
	n := 0
	l.accounts.Range(func(any, any) bool { n++; return true })
	if n != 0 {
		t.Errorf("%d accounts kept", n)
	}
	// A forgotten account counts again from zero.
	if err := l.Allow(ctx, officer, auth.ReadPerson, "", pinN(1)); err != nil {
		t.Fatal(err)
	}
}

// The pull of the penetration test (defect 8): registrar.hanoi read 28,378
// people of its province in 9 s with 813 searches. Under the default limits
// it gets at most a minute's worth, 300 people, and 30 searches.
func TestBulkPullStopped(t *testing.T) {
	start := time.Date(2026, 12, 6, 10, 0, 0, 0, time.UTC)
	l, rec, c := newTestLimiter(DefaultLimits, start)
	hanoi := auth.Staff(3, "registrar.hanoi", "", auth.Registrar, "01")
	shown, searches := 0, 0
	for s := range 813 {
		c.t = start.Add(time.Duration(s) * 9 * time.Second / 813)
		page := make([]string, 35)
		for i := range page {
			page[i] = pinN(s*35 + i)
		}
		if l.Allow(ctx, hanoi, auth.SearchRegister, "search", page...) == nil {
			shown += len(page)
			searches++
		}
	}
	if shown > DefaultLimits.ReadsPerMinute || searches > DefaultLimits.SearchesPerMinute {
		t.Errorf("%d people shown in %d searches, want at most %d and %d", shown, searches, DefaultLimits.ReadsPerMinute, DefaultLimits.SearchesPerMinute)
	}
	if len(rec.denies) != 813-searches {
		t.Errorf("%d refusals recorded, want %d", len(rec.denies), 813-searches)
	}
}
