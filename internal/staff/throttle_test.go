package staff

import (
	"fmt"
	"testing"
	"time"
)

func TestThrottleWindowAndEviction(t *testing.T) {
	t0 := time.Date(2025, 7, 1, 8, 0, 0, 0, time.UTC)
	th := NewThrottle(3, 10*time.Minute, 4)
	for i := 0; i < 3; i++ {
		if b, _ := th.Blocked("k", t0); b {
			t.Fatalf("blocked after %d failures", i)
		}
		th.Fail("k", t0)
	}
	b, after := th.Blocked("k", t0.Add(time.Minute))
	if !b || after != 9*time.Minute {
		t.Fatalf("Blocked = %v, %v; want true, 9m", b, after)
	}
	if b, _ := th.Blocked("k", t0.Add(10*time.Minute)); b {
		t.Error("still blocked after the window")
	}
	// A full table evicts the oldest key rather than growing.
	for i := 0; i < 10; i++ {
		th.Fail(fmt.Sprint("ip", i), t0.Add(time.Duration(i)*time.Second))
	}
	if len(th.keys) > 4 {
		t.Errorf("throttle holds %d keys, limit 4", len(th.keys))
	}
	if _, ok := th.keys["ip9"]; !ok {
		t.Error("the newest key was evicted")
	}
}
