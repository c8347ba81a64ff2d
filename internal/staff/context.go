package staff

import (
	"context"
	"net/http"
	"net/url"
	"strings"

	"github.com/populus-vn/populus/internal/auth"
	"github.com/populus-vn/populus/internal/httpx"
	"github.com/populus-vn/populus/internal/problem"
)

type sessionKey struct{}

// withSession puts the session and its principal into ctx.
func withSession(ctx context.Context, sess Session) context.Context {
	return auth.WithPrincipal(context.WithValue(ctx, sessionKey{}, sess), sess.Account.Principal())
}

// SessionFrom returns the request's session, if signed in.
func SessionFrom(ctx context.Context) (Session, bool) {
	s, ok := ctx.Value(sessionKey{}).(Session)
	return s, ok
}

// CSRFToken returns the CSRF token of the request's session, "" if none;
// pages put it into every form that posts.
func CSRFToken(ctx context.Context) string {
	s, _ := SessionFrom(ctx)
	return s.CSRF
}

// RequireSignIn refuses anonymous requests: API requests (under /api/) get a
// 401 problem, pages a redirect to the sign-in form, which returns to the
// page afterwards.
func RequireSignIn(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if _, ok := auth.FromContext(r.Context()); ok {
			// An account whose password an administrator set does
			// nothing before its holder chooses their own.
			if sess, ok := SessionFrom(r.Context()); ok && sess.Account.MustChangePassword && r.URL.Path != PasswordPath {
				if strings.HasPrefix(r.URL.Path, "/api/") {
					httpx.WriteProblem(w, r, problem.New(problem.Forbidden, "choose your own password first, at %s", PasswordPath))
					return
				}
				http.Redirect(w, r, PasswordPath, http.StatusSeeOther)
				return
			}
			next.ServeHTTP(w, r)
			return
		}
		if strings.HasPrefix(r.URL.Path, "/api/") {
			httpx.WriteProblem(w, r, problem.New(problem.Unauthorized, "sign in first"))
			return
		}
		// A form posted after the session ended cannot be replayed;
		// return to the page the form was on.
		back := r.URL.Path
		if r.Method == http.MethodGet || r.Method == http.MethodHead {
			back = r.URL.RequestURI()
		}
		http.Redirect(w, r, "/login?next="+url.QueryEscape(back), http.StatusSeeOther)
	})
}

// SafeNext returns next if it is a path on this site, and "/" otherwise, so
// that a sign-in link cannot send an officer to another site.
func SafeNext(next string) string {
	if next == "" || next[0] != '/' || strings.HasPrefix(next, "//") || strings.ContainsAny(next, "\\\r\n\t") {
		return "/"
	}
	u, err := url.Parse(next)
	if err != nil || u.Scheme != "" || u.Host != "" || u.User != nil {
		return "/"
	}
	return next
}
