package identity

import (
	"context"

	"github.com/populus-vn/populus/internal/auth"
)

type sessionKey struct{}

// withSession puts the session and the holder's principal into ctx.
func withSession(ctx context.Context, sess Session) context.Context {
	return auth.WithPrincipal(context.WithValue(ctx, sessionKey{}, sess), sess.Account.Principal(""))
}

// SessionFrom returns the request's citizen session, if signed in.
func SessionFrom(ctx context.Context) (Session, bool) {
	s, ok := ctx.Value(sessionKey{}).(Session)
	return s, ok
}
