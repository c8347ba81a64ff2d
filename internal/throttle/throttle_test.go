package throttle

import (
	"testing"
	"time"
)

func TestThrottleDelaySchedule(t *testing.T) {
	l := Limit{Free: 5, Base: 30 * time.Second, Max: 15 * time.Minute}
	for n, want := range map[int]time.Duration{
		0: 0, 4: 0, 5: 30 * time.Second, 6: time.Minute, 7: 2 * time.Minute,
		9: 8 * time.Minute, 10: 15 * time.Minute, 1000: 15 * time.Minute,
	} {
		if got := l.Delay(n); got != want {
			t.Errorf("delay(%d) = %v, want %v", n, got, want)
		}
	}
}

func TestThrottleAddress(t *testing.T) {
	for in, want := range map[string]string{
		"192.0.2.1":                "192.0.2.1",
		"::ffff:192.0.2.1":         "192.0.2.1",
		"2001:db8:1:2:aaaa::1":     "2001:db8:1:2::/64",
		"2001:db8:1:2:bbbb:cc::99": "2001:db8:1:2::/64",
		"not an address":           "not an address",
	} {
		if got := Address(in); got != want {
			t.Errorf("Address(%q) = %q, want %q", in, got, want)
		}
	}
}
