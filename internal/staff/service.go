package staff

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"mime/multipart"
	"net/http"
	"time"

	"github.com/populus-vn/populus/internal/audit"
	"github.com/populus-vn/populus/internal/auth"
	"github.com/populus-vn/populus/internal/httpx"
	"github.com/populus-vn/populus/internal/problem"
)

// Auditor records sign-ins and sign-outs; *audit.Log is one. Sign-in
// depends on no more of the audit log than this.
type Auditor interface {
	Record(ctx context.Context, entries ...audit.Entry) error
}

// Audit actions written by this package.
const (
	ActionSignIn  auth.Action = "staff.signin"
	ActionSignOut auth.Action = "staff.signout"
)

// CookieName is the session cookie.
const CookieName = "populus_session"

// Options tune sessions. Zero fields take the defaults.
type Options struct {
	// SessionTTL is the absolute lifetime of a session from sign-in
	// (default 8 hours: one working day, so a session never outlives the
	// shift it was opened for).
	SessionTTL time.Duration
	// IdleTimeout ends a session not used for this long (default 30
	// minutes, for terminals left signed in at a counter).
	IdleTimeout time.Duration
	// SecureCookies marks the cookie Secure even when the request did not
	// arrive over TLS: set it behind a proxy that terminates TLS.
	SecureCookies bool
	// Guard decides who may manage accounts (the administrator's unlock);
	// without it those routes answer 403 to everyone.
	Guard *auth.Guard
	// KnownUnit reports whether a unit code (a commune or a province)
	// names a unit in force, for accounts created or assigned; nil checks
	// only the form of the code.
	KnownUnit func(code string) bool
}

// Service signs staff in and out and guards requests with their sessions.
type Service struct {
	store *Store
	audit Auditor
	opts  Options
}

// NewService returns a service over st recording sign-ins with a.
func NewService(st *Store, a Auditor, o Options) *Service {
	if a == nil {
		panic("staff: NewService needs an Auditor: sign-ins must be audited")
	}
	if o.SessionTTL <= 0 {
		o.SessionTTL = 8 * time.Hour
	}
	if o.IdleTimeout <= 0 {
		o.IdleTimeout = 30 * time.Minute
	}
	return &Service{store: st, audit: a, opts: o}
}

// Store returns the account store.
func (s *Service) Store() *Store { return s.store }

// RateLimitError refuses a sign-in attempt after too many failures. It is a
// problem of kind RateLimited; RetryAfter says when to try again.
type RateLimitError struct{ RetryAfter time.Duration }

func (e *RateLimitError) Error() string {
	return fmt.Sprintf("too many failed sign-ins; try again in %s", e.RetryAfter.Round(time.Second))
}

func (e *RateLimitError) Unwrap() error {
	return &problem.Error{Kind: problem.RateLimited, Detail: e.Error()}
}

// RetryAfterSeconds is the value of the Retry-After header, at least 1.
func (e *RateLimitError) RetryAfterSeconds() int {
	return max(1, int((e.RetryAfter+time.Second-1)/time.Second))
}

// Attempt is a sign-in attempt: the credentials, where they came from, and
// the session token the client already held, if any.
type Attempt struct {
	Username, Password string
	Remote             string // the client's address, for throttling and the audit log
	Replaces           string // the token of the client's current session, ended first
}

// Login checks the credentials and on success starts a session, returning it
// with its token (for the cookie). Any session the client already had is
// ended first, so a session token planted before sign-in is worthless after
// it.
//
// Its errors: *RateLimitError; ErrBadCredentials or ErrDisabled (kind
// Unauthorized); anything else is internal.
func (s *Service) Login(ctx context.Context, in Attempt) (Session, string, error) {
	now := s.store.now()
	username := normalizeUsername(in.Username)
	who := auth.Staff(0, username, "", "", "")
	entry := audit.Of(who, ActionSignIn, who.ActorID())
	entry.Remote = in.Remote
	// The attempt is counted before its password is checked (see
	// throttle.go), so attempts sent together cannot outrun the limits.
	refused, err := s.store.reserve(ctx, username, in.Remote, now)
	if err != nil {
		return Session{}, "", err
	}
	if refused != nil {
		slog.WarnContext(ctx, "sign-in throttled", "remote", in.Remote, "reason", refused.reason)
		if aerr := s.audit.Record(ctx, entry.Refused(refused.reason)); aerr != nil {
			slog.ErrorContext(ctx, "audit of a throttled sign-in was lost", "err", aerr)
		}
		return Session{}, "", &RateLimitError{RetryAfter: refused.after}
	}
	if in.Replaces != "" {
		s.store.deleteSession(ctx, hashToken(in.Replaces))
	}
	a, err := s.store.checkCredentials(ctx, username, in.Password)
	if problem.Is(err, problem.Unauthorized) {
		if aerr := s.audit.Record(ctx, entry.Failing(err.Error())); aerr != nil {
			slog.ErrorContext(ctx, "audit of a failed sign-in was lost", "err", aerr)
		}
		return Session{}, "", err
	}
	if err != nil {
		return Session{}, "", err
	}
	token, sess, err := s.store.createSession(ctx, a, now, now.Add(min(s.opts.SessionTTL, s.opts.IdleTimeout)))
	if err != nil {
		return Session{}, "", err
	}
	// A sign-in that cannot be audited does not happen.
	if err := s.audit.Record(ctx, entry); err != nil {
		s.store.deleteSession(ctx, sess.tokenHash)
		return Session{}, "", fmt.Errorf("audit sign-in: %w", err)
	}
	if err := s.store.signedIn(ctx, username, in.Remote, now); err != nil {
		slog.WarnContext(ctx, "sign-in throttle not cleared after a sign-in", "err", err)
	}
	return sess, token, nil
}

// ActionUnlock is the audit action of Unlock.
const ActionUnlock auth.Action = "staff.unlock"

// Unlock clears the sign-in throttle of the account username, so that it
// may sign in at once from anywhere, and records that actor (an audit actor
// ID: "staff:admin", "system:cli") did so from remote. Its error is NotFound
// when there is no such account.
func (s *Service) Unlock(ctx context.Context, actor, remote, username string) error {
	username = normalizeUsername(username)
	if _, err := s.store.ByUsername(ctx, username); err != nil {
		return err
	}
	held, err := s.store.unlock(ctx, username)
	if err != nil {
		return err
	}
	e := audit.OfActor(actor, ActionUnlock, auth.ActorID(auth.KindStaff, username))
	e.Remote = remote
	if !held {
		e.Detail = "nothing to unlock"
	}
	if err := s.audit.Record(ctx, e); err != nil {
		return fmt.Errorf("audit unlock: %w", err)
	}
	return nil
}

// Logout ends the session of token, if it is one, recording the sign-out of
// the session's account (sess, when the request had one) from remote.
func (s *Service) Logout(ctx context.Context, token string, sess *Session, remote string) error {
	if token == "" {
		return nil
	}
	if err := s.store.deleteSession(ctx, hashToken(token)); err != nil {
		return fmt.Errorf("end session: %w", err)
	}
	if sess != nil {
		p := sess.Account.Principal()
		e := audit.Of(p, ActionSignOut, p.ActorID())
		e.Remote = remote
		if err := s.audit.Record(ctx, e); err != nil {
			slog.ErrorContext(ctx, "audit of a sign-out was lost", "err", err)
		}
	}
	return nil
}

// cookie is the session cookie. It has no expiry, so closing the browser
// ends it on the client side too: terminals are often shared.
func (s *Service) cookie(r *http.Request, token string) *http.Cookie {
	return &http.Cookie{
		Name:     CookieName,
		Value:    token,
		Path:     "/",
		HttpOnly: true,
		Secure:   s.opts.SecureCookies || r.TLS != nil,
		SameSite: http.SameSiteLaxMode,
	}
}

// session returns the live session named by the request's cookie. It ends
// expired sessions and slides the idle expiry forward, never past the
// absolute one.
func (s *Service) session(r *http.Request) (Session, bool, error) {
	c, err := r.Cookie(CookieName)
	if err != nil || c.Value == "" {
		return Session{}, false, nil
	}
	ctx := r.Context()
	sess, err := s.store.sessionByToken(ctx, c.Value)
	if err == errNoSession {
		return Session{}, false, nil
	}
	if err != nil {
		return Session{}, false, err
	}
	now := s.store.now()
	if !now.Before(sess.ExpiresAt) || sess.Account.Disabled {
		s.store.deleteSession(ctx, sess.tokenHash)
		return Session{}, false, nil
	}
	next := now.Add(s.opts.IdleTimeout)
	if end := sess.CreatedAt.Add(s.opts.SessionTTL); next.After(end) {
		next = end
	}
	// Write at most once a minute per session, not on every request.
	if next.Sub(sess.ExpiresAt) > time.Minute {
		if err := s.store.extendSession(ctx, sess, next); err != nil {
			return Session{}, false, err
		}
		sess.ExpiresAt = next
	}
	return sess, true, nil
}

// CSRFField and CSRFHeader carry the session's CSRF token on unsafe requests.
const (
	CSRFField  = httpx.CSRFField
	CSRFHeader = httpx.CSRFHeader
)

// maxFormBody bounds the URL-encoded form bodies parsed here to read the
// CSRF field.
const maxFormBody = 1 << 20

// maxCSRFPrefix bounds what is read of a multipart body to find its CSRF
// field, which must come before any file.
const maxCSRFPrefix = 64 << 10

// Protect is the guard of the staff accesses (see Guards), in front of
// pages and API routes alike:
//
//  1. Go's cross-origin protection refuses unsafe requests sent by other
//     sites (Sec-Fetch-Site / Origin), which also covers the sign-in form,
//     made before any session exists;
//  2. the session cookie, if valid, puts the account's auth.Principal and
//     the Session into the request context;
//  3. every unsafe request of a session must carry its CSRF token, in the
//     form field "csrf" or the header X-CSRF-Token.
//
// It lets anonymous requests through: RequireSignIn turns them away where
// a sign-in is needed. Errors are written with fail.
func (s *Service) Protect(next http.Handler, fail httpx.ErrorWriter) http.Handler {
	cop := http.NewCrossOriginProtection()
	cop.SetDenyHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fail(w, r, problem.New(problem.Forbidden, "cross-origin request refused"))
	}))
	return cop.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		sess, ok, err := s.session(r)
		if err != nil {
			fail(w, r, err)
			return
		}
		if !ok {
			next.ServeHTTP(w, r)
			return
		}
		if !httpx.SafeMethod(r.Method) {
			if err := httpx.RequireCSRF(w, r, sess.CSRF, maxFormBody, multipartCSRF); err != nil {
				fail(w, r, err)
				return
			}
		}
		next.ServeHTTP(w, r.WithContext(withSession(r.Context(), sess)))
	}))
}

// multipartCSRF reads the CSRF field of a multipart form (an upload posted
// without JavaScript) without holding the form in memory: it reads the
// parts in order up to the field, which must come before any file and
// within the first maxCSRFPrefix bytes, and then puts what it read back in
// front of the rest of the body, so the handler reads the whole form as
// sent, as a stream. False for a request that is not a multipart form.
func multipartCSRF(r *http.Request) (string, bool) {
	mt, params, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || mt != "multipart/form-data" {
		return "", false
	}
	boundary := params["boundary"]
	if boundary == "" {
		return "", true
	}
	rec := &prefixReader{r: r.Body, left: maxCSRFPrefix}
	mr := multipart.NewReader(rec, boundary)
	var got string
	for {
		part, err := mr.NextPart()
		if err != nil || part.FileName() != "" {
			break
		}
		if part.FormName() == CSRFField {
			b, _ := io.ReadAll(io.LimitReader(part, 256))
			got = string(b)
			break
		}
	}
	r.Body = struct {
		io.Reader
		io.Closer
	}{io.MultiReader(bytes.NewReader(rec.buf.Bytes()), r.Body), r.Body}
	return got, true
}

// prefixReader reads at most left bytes of r, keeping them in buf.
type prefixReader struct {
	r    io.Reader
	buf  bytes.Buffer
	left int
}

func (p *prefixReader) Read(b []byte) (int, error) {
	if p.left <= 0 {
		return 0, errors.New("the CSRF field is not at the start of the form")
	}
	if len(b) > p.left {
		b = b[:p.left]
	}
	n, err := p.r.Read(b)
	p.buf.Write(b[:n])
	p.left -= n
	return n, err
}
