// Package throttle holds what the sign-in throttles of the staff and of the
// citizens' identity accounts share: the limit of a key (free attempts,
// then a delay doubling up to a most, forgotten after a while) and the
// address an attempt counts against. Each capability keeps its keys in
// its own table and counts them in its own transaction.
package throttle

import (
	"net/netip"
	"time"
)

// Limit is how many attempts a key allows before each further one must
// wait, Base after the last, doubling at each attempt up to Max; a key is
// forgotten Forget after its last attempt.
type Limit struct {
	Free   int
	Base   time.Duration
	Max    time.Duration
	Forget time.Duration
}

// Delay is how long after the last attempt the next may come once n
// attempts were counted.
func (l Limit) Delay(n int) time.Duration {
	if n < l.Free {
		return 0
	}
	d := l.Base
	for i := l.Free; i < n && d < l.Max; i++ {
		d *= 2
	}
	return min(d, l.Max)
}

// Wait returns the attempts a key counts at now (n, or 0 once its last
// attempt is Forget old) and how long the next attempt must still wait
// (0 when it may come now).
func (l Limit) Wait(n int, last, now time.Time) (int, time.Duration) {
	if n > 0 && now.Sub(last) >= l.Forget {
		return 0, 0
	}
	if n < l.Free {
		return n, 0
	}
	return n, max(0, last.Add(l.Delay(n)).Sub(now))
}

// Address is the address an attempt counts against: an IPv6 address by
// its /64, which one client usually holds whole.
func Address(remote string) string {
	a, err := netip.ParseAddr(remote)
	if err != nil {
		return remote
	}
	a = a.Unmap()
	if a.Is6() {
		p, _ := a.Prefix(64)
		return p.String()
	}
	return a.String()
}
