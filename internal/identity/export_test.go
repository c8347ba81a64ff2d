package identity

import "context"

// WithSession puts sess into ctx as the guard of a citizen route does
// (tests of what a session's own sign-in proves).
func WithSession(ctx context.Context, sess Session) context.Context { return withSession(ctx, sess) }
