package identity

import (
	"context"
	"sync"

	"github.com/populus-vn/populus/internal/staff"
)

// WithSession puts sess into ctx as the guard of a citizen route does
// (tests of what a session's own sign-in proves).
func WithSession(ctx context.Context, sess Session) context.Context { return withSession(ctx, sess) }

// CountHashes counts the passwords hashed from now until the test ends.
func CountHashes(t interface{ Cleanup(func()) }) func() int {
	var mu sync.Mutex
	n := 0
	orig := hashPassword
	hashPassword = func(pw string, p staff.Params) (string, error) {
		mu.Lock()
		n++
		mu.Unlock()
		return orig(pw, p)
	}
	t.Cleanup(func() { hashPassword = orig })
	return func() int {
		mu.Lock()
		defer mu.Unlock()
		return n
	}
}
