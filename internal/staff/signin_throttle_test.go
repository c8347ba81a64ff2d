package staff

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/populus-vn/populus/internal/audit"
	"github.com/populus-vn/populus/internal/db"
	"github.com/populus-vn/populus/internal/db/dbtest"
)

// attempt signs in as username with password from remote (an address
// without port) and returns the response.
func (h *harness) attempt(username, password, remote string) *httptest.ResponseRecorder {
	r := httptest.NewRequest("POST", "/login", strings.NewReader(url.Values{"username": {username}, "password": {password}}.Encode()))
	r.RemoteAddr = remote + ":4321"
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	w := httptest.NewRecorder()
	h.h.ServeHTTP(w, r)
	return w
}

// holdHashing takes every hashing slot, so that sign-in attempts that reach
// the password check wait there until the returned function lets them go.
// It makes "sent together" deterministic: every attempt reaches the
// throttle before any password is checked.
func holdHashing(t *testing.T) (release func()) {
	for i := 0; i < cap(hashSlots); i++ {
		hashSlots <- struct{}{}
	}
	var once sync.Once
	release = func() {
		once.Do(func() {
			for i := 0; i < cap(hashSlots); i++ {
				<-hashSlots
			}
		})
	}
	t.Cleanup(release)
	return release
}

// burst sends n attempts at once while hashing is held; once quick of them
// have been answered (those refused before any hashing), or after a second,
// it lets hashing go, and returns the status codes of all.
func burst(t *testing.T, n, quick int, send func(i int) int) []int {
	release := holdHashing(t)
	codes := make(chan int, n)
	for i := range n {
		go func() { codes <- send(i) }()
	}
	var got []int
	deadline := time.After(time.Second)
wait:
	for len(got) < quick {
		select {
		case c := <-codes:
			got = append(got, c)
		case <-deadline:
			break wait
		}
	}
	release()
	for len(got) < n {
		got = append(got, <-codes)
	}
	return got
}

func count(codes []int, code int) int {
	n := 0
	for _, c := range codes {
		if c == code {
			n++
		}
	}
	return n
}

// sessions counts the sessions in the store.
func sessions(t *testing.T, d *db.DB) int {
	var n int
	if err := d.QueryRow("SELECT COUNT(*) FROM sessions").Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// 40 wrong passwords for one account from one address, sent together: at
// most 5 are checked (issue 11, defect 4).
func TestThrottleConcurrentGuessesAtOneAccount(t *testing.T) {
	dbtest.Engines(t, testSchemas, func(t *testing.T, d *db.DB) {
		h := newHarness(t, d)
		codes := burst(t, 40, 35, func(int) int {
			return h.attempt("registrar", "wrong password!", "192.0.2.7").Code
		})
		if n := h.audit.count(ActionSignIn, audit.Failed); n > maxFailuresPerUser {
			t.Errorf("%d wrong passwords checked, limit %d", n, maxFailuresPerUser)
		}
		if n := count(codes, http.StatusTooManyRequests); n < 40-maxFailuresPerUser {
			t.Errorf("%d of 40 refused with 429; want at least %d (codes %v)", n, 40-maxFailuresPerUser, codes)
		}
	})
}

// 30 wrong passwords and then the right one, all in flight together: the
// right one arrives over the limit and does not sign in.
func TestThrottleRightPasswordAmongGuesses(t *testing.T) {
	dbtest.Engines(t, testSchemas, func(t *testing.T, d *db.DB) {
		h := newHarness(t, d)
		release := holdHashing(t)
		codes := make(chan int, 30)
		for range 30 {
			go func() { codes <- h.attempt("registrar", "wrong password!", "192.0.2.7").Code }()
		}
		// Wait until those over the limit have been refused (where
		// attempts are reserved before hashing), or a second.
		deadline := time.After(time.Second)
		answered := 0
	wait:
		for answered < 30-maxFailuresPerUser {
			select {
			case <-codes:
				answered++
			case <-deadline:
				break wait
			}
		}
		right := make(chan int, 1)
		go func() { right <- h.attempt("registrar", testPassword, "192.0.2.7").Code }()
		var code int
		select {
		case code = <-right:
		case <-time.After(200 * time.Millisecond):
			release()
			code = <-right
		}
		release()
		for ; answered < 30; answered++ {
			<-codes
		}
		if code != http.StatusTooManyRequests || sessions(t, d) != 0 {
			t.Errorf("the right password sent among 30 wrong ones: %d, %d sessions; want 429 and none", code, sessions(t, d))
		}
		if n := h.audit.count(ActionSignIn, audit.Failed); n > maxFailuresPerUser {
			t.Errorf("%d wrong passwords checked, limit %d", n, maxFailuresPerUser)
		}
	})
}

// 120 attempts at different accounts from one address, sent together: at
// most 50 are checked.
func TestThrottleConcurrentGuessesFromOneAddress(t *testing.T) {
	dbtest.Engines(t, testSchemas, func(t *testing.T, d *db.DB) {
		h := newHarness(t, d)
		codes := burst(t, 120, 120-maxFailuresPerIP, func(i int) int {
			return h.attempt(fmt.Sprintf("someone.%d", i), "wrong password!", "192.0.2.8").Code
		})
		if n := h.audit.count(ActionSignIn, audit.Failed); n > maxFailuresPerIP {
			t.Errorf("%d attempts checked from one address, limit %d", n, maxFailuresPerIP)
		}
		if n := count(codes, http.StatusTooManyRequests); n < 120-maxFailuresPerIP {
			t.Errorf("%d of 120 refused with 429; want at least %d", n, 120-maxFailuresPerIP)
		}
	})
}

// 10 addresses × 5 wrong passwords for one account: an 11th address is
// refused even with the right password, and every refusal is audited;
// the address the account's holder signed in from before still gets in.
func TestThrottleAccountAcrossAddresses(t *testing.T) {
	dbtest.Engines(t, testSchemas, func(t *testing.T, d *db.DB) {
		h := newHarness(t, d)
		if w := h.attempt("registrar", testPassword, "198.51.100.1"); w.Code != http.StatusOK {
			t.Fatalf("first sign-in: %d %s", w.Code, w.Body)
		}
		for a := range 10 {
			for range 5 {
				h.attempt("registrar", "wrong password!", fmt.Sprintf("203.0.113.%d", a+1))
			}
		}
		w := h.attempt("registrar", testPassword, "203.0.113.11")
		if w.Code != http.StatusTooManyRequests || w.Header().Get("Retry-After") == "" {
			t.Errorf("11th address with the right password: %d %s; want 429 with Retry-After", w.Code, w.Body)
		}
		if n := h.audit.count(ActionSignIn, audit.Denied); n == 0 {
			t.Error("throttled attempts are not audited")
		}
		h.audit.mu.Lock()
		for _, e := range h.audit.records {
			if e.Outcome == audit.Denied && (!strings.HasPrefix(e.Detail, "throttled") || e.Remote == "" || e.Subject != "staff:registrar") {
				t.Errorf("audit of a throttled attempt: %+v", e)
			}
		}
		h.audit.mu.Unlock()
		// Anyone may name the account; its holder, from where it signed
		// in before, is not shut out by them.
		if w := h.attempt("registrar", testPassword, "198.51.100.1"); w.Code != http.StatusOK {
			t.Errorf("known address while others guess: %d %s; want 200", w.Code, w.Body)
		}
	})
}

// The counts survive a restart: a new service over the same store.
func TestThrottleSurvivesRestart(t *testing.T) {
	dbtest.Engines(t, testSchemas, func(t *testing.T, d *db.DB) {
		h := newHarness(t, d)
		for range 5 {
			h.attempt("registrar", "wrong password!", "192.0.2.9")
		}
		st := NewStore(d, TestParams)
		st.now = func() time.Time { return h.now }
		h.svc = NewService(st, h.audit, Options{})
		rec := httptest.NewRecorder()
		r := httptest.NewRequest("POST", "/login", nil)
		r.RemoteAddr = "192.0.2.9:1"
		if _, err := h.svc.SignIn(rec, r, "registrar", testPassword); err == nil {
			t.Error("after a restart, the 6th attempt signed in")
		}
		_ = context.Background()
	})
}

// An administrator's unlock lets the account in at once, and is audited.
func TestThrottleUnlock(t *testing.T) {
	dbtest.Engines(t, testSchemas, func(t *testing.T, d *db.DB) {
		h := newHarness(t, d)
		ctx := context.Background()
		for range 6 {
			h.attempt("registrar", "wrong password!", "192.0.2.9")
		}
		if w := h.attempt("registrar", testPassword, "192.0.2.9"); w.Code != http.StatusTooManyRequests {
			t.Fatalf("before unlock: %d, want 429", w.Code)
		}
		if err := h.svc.Unlock(ctx, "staff:admin", "192.0.2.50", "Registrar"); err != nil {
			t.Fatal(err)
		}
		if w := h.attempt("registrar", testPassword, "192.0.2.9"); w.Code != http.StatusOK {
			t.Errorf("after unlock: %d %s, want 200", w.Code, w.Body)
		}
		if n := h.audit.count(ActionUnlock, audit.OK); n != 1 {
			t.Errorf("%d unlocks audited, want 1", n)
		}
		if err := h.svc.Unlock(ctx, "staff:admin", "", "nobody"); err == nil {
			t.Error("unlock of an unknown account succeeded")
		}
		// The sweep forgets keys an hour after their last attempt.
		h.attempt("someone", "wrong password!", "192.0.2.10")
		h.now = h.now.Add(throttleForget + time.Minute)
		if _, err := h.svc.Store().PurgeExpiredSessions(ctx); err != nil {
			t.Fatal(err)
		}
		var n int
		d.QueryRow("SELECT COUNT(*) FROM signin_throttle WHERE kind <> 'known'").Scan(&n)
		if n != 0 {
			t.Errorf("%d throttle keys left after the sweep", n)
		}
	})
}
