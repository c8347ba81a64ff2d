package staff

import (
	"net/http"
	"time"

	"github.com/populus-vn/populus/internal/auth"
	"github.com/populus-vn/populus/internal/httpx"
	"github.com/populus-vn/populus/internal/problem"
)

// Guards returns the guards of the accesses staff sessions serve: the
// server puts them in front of every route that declares one.
func (s *Service) Guards() map[httpx.Access]httpx.Guard {
	return map[httpx.Access]httpx.Guard{
		httpx.AccessStaffOptional: s.Protect,
		httpx.AccessStaff: func(next http.Handler, fail httpx.ErrorWriter) http.Handler {
			return s.Protect(RequireSignIn(next), fail)
		},
	}
}

// Routes returns the session API. It may be called on a nil *Service, to
// list them.
func (s *Service) Routes() []httpx.Route {
	return []httpx.Route{
		{Pattern: "POST /api/v1/session", Handler: httpx.Handle(s.postSession), Access: httpx.AccessStaffOptional},
		{Pattern: "DELETE /api/v1/session", Handler: httpx.Handle(s.deleteSession), Access: httpx.AccessStaff},
		{Pattern: "POST /api/v1/staff/accounts/{username}/unlock", Handler: httpx.Handle(s.postUnlock), Access: httpx.AccessStaff},
	}
}

// postUnlock clears the sign-in throttle of an account, for an
// administrator (staff.manage): the account's holder, delayed by someone
// guessing at it, can sign in again at once. Audited as staff.unlock.
func (s *Service) postUnlock(w http.ResponseWriter, r *http.Request) error {
	p, err := auth.MustFromContext(r.Context())
	if err != nil {
		return err
	}
	username := r.PathValue("username")
	// Within the administrator's reach: the account's unit is checked.
	if _, err := s.Account(r.Context(), Admin(p, httpx.ClientIP(r)), username); err != nil {
		return err
	}
	if err := s.Unlock(r.Context(), p.ActorID(), httpx.ClientIP(r), username); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// SessionRequest signs a machine client or script in.
type SessionRequest struct {
	Username string `json:"username"`
	Password string `json:"password"`
}

// SessionResponse gives the CSRF token that unsafe requests of the session
// must carry in X-CSRF-Token; the session itself is in the cookie set.
type SessionResponse struct {
	Username  string    `json:"username"`
	Role      string    `json:"role"`
	Unit      string    `json:"unit"`
	CSRFToken string    `json:"csrf_token"`
	ExpiresAt time.Time `json:"expires_at"`
}

func (s *Service) postSession(w http.ResponseWriter, r *http.Request) error {
	var in SessionRequest
	if err := httpx.DecodeJSON(w, r, &in, 4<<10); err != nil {
		return err
	}
	var f problem.Fields
	if in.Username == "" {
		f.Add("username", "is required")
	}
	if in.Password == "" {
		f.Add("password", "is required")
	}
	if err := f.Err(); err != nil {
		return err
	}
	sess, err := s.SignIn(w, r, in.Username, in.Password)
	if err != nil {
		return err
	}
	p := sess.Account.Principal()
	return httpx.WriteJSON(w, http.StatusCreated, SessionResponse{Username: p.Username, Role: string(p.Role), Unit: p.Unit, CSRFToken: sess.CSRF, ExpiresAt: sess.ExpiresAt})
}

func (s *Service) deleteSession(w http.ResponseWriter, r *http.Request) error {
	if err := s.SignOut(w, r); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// SignIn is Login over HTTP, for the API and the sign-in page: the attempt
// comes from the request, and on success the session cookie is set on w. A
// refusal for too many failures is a *RateLimitError, whose Retry-After the
// error writers set (httpx.SetRetryAfter).
func (s *Service) SignIn(w http.ResponseWriter, r *http.Request, username, password string) (Session, error) {
	in := Attempt{Username: username, Password: password, Remote: httpx.ClientIP(r)}
	if c, err := r.Cookie(CookieName); err == nil {
		in.Replaces = c.Value
	}
	sess, token, err := s.Login(r.Context(), in)
	if err != nil {
		return Session{}, err
	}
	http.SetCookie(w, s.cookie(r, token))
	return sess, nil
}

// SignOut is Logout over HTTP: it clears the cookie and ends its session.
func (s *Service) SignOut(w http.ResponseWriter, r *http.Request) error {
	gone := s.cookie(r, "")
	gone.MaxAge = -1
	http.SetCookie(w, gone)
	c, err := r.Cookie(CookieName)
	if err != nil {
		return nil
	}
	var sess *Session
	if x, ok := SessionFrom(r.Context()); ok {
		sess = &x
	}
	return s.Logout(r.Context(), c.Value, sess, httpx.ClientIP(r))
}
