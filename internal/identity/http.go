package identity

import (
	"context"
	_ "embed"
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"strings"

	"github.com/populus-vn/populus/internal/auth"
	"github.com/populus-vn/populus/internal/httpx"
	"github.com/populus-vn/populus/internal/problem"
)

// CookieName is the citizen's session cookie (apart from the staff one: a
// civil servant may hold both on one browser).
const CookieName = "populus_eid"

// SignInPath is the citizen portal's sign-in page, where pages that need
// a citizen's session send anonymous visitors.
const SignInPath = "/eid/signin"

// CSRFHeader and CSRFField carry the session's CSRF token on unsafe
// requests, as for staff sessions.
const (
	CSRFHeader = httpx.CSRFHeader
	CSRFField  = httpx.CSRFField
)

//go:embed openapi.json
var openAPI []byte

// OpenAPI is the fragment documenting Routes (httpx.Documented). It may be
// called on a nil *Service.
func (*Service) OpenAPI() []byte { return openAPI }

// bodies bound the JSON requests.
const maxBody = 4 << 10

// Routes returns the identity API. It may be called on a nil *Service.
func (s *Service) Routes() []httpx.Route {
	public := func(p string, h httpx.HandlerFunc) httpx.Route {
		return httpx.Route{Pattern: p, Handler: httpx.Handle(h), Access: httpx.AccessPublic}
	}
	citizen := func(p string, h http.Handler) httpx.Route {
		return httpx.Route{Pattern: p, Handler: h, Access: httpx.AccessCitizen}
	}
	return []httpx.Route{
		public("POST /api/v1/identity/registrations", s.postRegistration),
		public("POST /api/v1/identity/registrations/confirm", s.postConfirm),
		public("POST /api/v1/identity/session", s.postSession),
		public("POST /api/v1/identity/unlock-codes", s.postUnlockCode),
		public("POST /api/v1/identity/unlock", s.postUnlock),
		public("POST /api/v1/identity/password-reset-codes", s.postPasswordResetCode),
		public("POST /api/v1/identity/password-reset", s.postPasswordReset),
		citizen("DELETE /api/v1/identity/session", httpx.Handle(s.handleSignOut)),
		citizen("GET /api/v1/identity/me", httpx.Handle(s.getMe)),
		citizen("GET /api/v1/identity/me/logins", httpx.Handle(s.getLogins)),
		citizen("POST /api/v1/identity/me/lock", httpx.Command(s.Lock, maxBody)),
		citizen("POST /api/v1/identity/me/totp", httpx.Command(s.EnrollTOTP, maxBody)),
		citizen("POST /api/v1/identity/me/totp/confirm", httpx.Command(s.ConfirmTOTP, maxBody)),
		citizen("GET /api/v1/identity/me/methods", httpx.Handle(s.getMethods)),
		citizen("POST /api/v1/identity/me/methods/lock", httpx.Command(s.LockMethod, maxBody)),
		citizen("POST /api/v1/identity/me/methods/unlock", httpx.Command(s.UnlockMethod, maxBody)),
		citizen("POST /api/v1/identity/me/password", httpx.Command(s.ChangePassword, maxBody)),
		citizen("GET /api/v1/identity/me/passkeys", httpx.Handle(s.getPasskeys)),
		citizen("POST /api/v1/identity/me/passkeys/options", httpx.Command(s.BeginPasskey, maxBody)),
		citizen("POST /api/v1/identity/me/passkeys", httpx.Command(s.AddPasskey, maxPasskeyBody)),
		citizen("DELETE /api/v1/identity/me/passkeys/{id}", httpx.Handle(s.deletePasskey)),
		public("POST /api/v1/identity/passkey/options", s.postPasskeyOptions),
		public("POST /api/v1/identity/passkey/session", s.postPasskeySession),
		{Pattern: "POST /api/v1/identity/level2", Handler: httpx.Command(s.RaiseToLevel2, maxBody), Access: httpx.AccessStaff},
		{Pattern: "POST /api/v1/identity/recovery", Handler: httpx.Command(s.Recover, maxBody), Access: httpx.AccessStaff},
		public("POST /api/v1/identity/recovery/confirm", s.postRecoveryConfirm),
		public("POST /api/v1/identity/recovery-codes", s.postRecoveryCode),
	}
}

// Guards returns the guards of AccessCitizen and AccessCitizenLevel2: the
// server puts them in front of every route that declares them.
func (s *Service) Guards() map[httpx.Access]httpx.Guard {
	return map[httpx.Access]httpx.Guard{httpx.AccessCitizen: s.Protect, httpx.AccessCitizenLevel2: s.ProtectLevel2}
}

// ProtectLevel2 is Protect for routes that need an account of level 2: a
// signed-in holder of a level-1 account is refused (403, saying how to
// raise it), before anything is read.
func (s *Service) ProtectLevel2(next http.Handler, fail httpx.ErrorWriter) http.Handler {
	return s.Protect(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if sess, ok := SessionFrom(r.Context()); !ok || sess.Account.Level < Level2 {
			fail(w, r, errNeedsLevel2())
			return
		}
		next.ServeHTTP(w, r)
	}), fail)
}

// errNeedsLevel2 refuses a level-1 account what needs level 2.
func errNeedsLevel2() error {
	return problem.New(problem.Forbidden, "this needs an electronic identity account of level 2: take your chip card to the police to have your account raised")
}

// Protect is the citizen's guard: Go's cross-origin protection refuses
// unsafe requests from other sites; the session cookie, which must name a
// live session of an active account, puts the holder's principal into the
// request context; unsafe requests carry the session's CSRF token (header
// X-CSRF-Token or form field csrf). Anonymous requests are refused: 401
// for the API, a redirect to the portal's sign-in (SignInPath) for pages.
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
			if !strings.HasPrefix(r.URL.Path, "/api/") && (r.Method == http.MethodGet || r.Method == http.MethodHead) {
				http.Redirect(w, r, SignInPath, http.StatusSeeOther)
				return
			}
			fail(w, r, problem.New(problem.Unauthorized, "sign in with your electronic identity first"))
			return
		}
		if !httpx.SafeMethod(r.Method) {
			if err := httpx.RequireCSRF(w, r, sess.CSRF, 64<<10, nil); err != nil {
				fail(w, r, err)
				return
			}
		}
		next.ServeHTTP(w, r.WithContext(withSession(r.Context(), sess)))
	}))
}

// session returns the live session named by the request's cookie.
func (s *Service) session(r *http.Request) (Session, bool, error) {
	c, err := r.Cookie(CookieName)
	if err != nil || c.Value == "" {
		return Session{}, false, nil
	}
	sess, err := s.sessionByToken(r.Context(), c.Value)
	if errors.Is(err, errNoSession) {
		return Session{}, false, nil
	}
	return sess, err == nil, err
}

func (s *Service) cookie(r *http.Request, token string) *http.Cookie {
	return &http.Cookie{Name: CookieName, Value: token, Path: "/", HttpOnly: true,
		Secure: s.opts.SecureCookies || r.TLS != nil, SameSite: http.SameSiteLaxMode}
}

func (s *Service) postRegistration(w http.ResponseWriter, r *http.Request) error {
	return fromAddress(w, r, http.StatusAccepted, s.Register)
}

func (s *Service) postConfirm(w http.ResponseWriter, r *http.Request) error {
	return fromAddress(w, r, http.StatusOK, s.Confirm)
}

func (s *Service) postUnlock(w http.ResponseWriter, r *http.Request) error {
	return fromAddress(w, r, http.StatusOK, s.Unlock)
}

func (s *Service) postPasswordResetCode(w http.ResponseWriter, r *http.Request) error {
	return acceptFromAddress(w, r, s.RequestPasswordReset)
}

func (s *Service) postPasswordReset(w http.ResponseWriter, r *http.Request) error {
	return fromAddress(w, r, http.StatusOK, s.ResetPassword)
}

// fromAddress answers an anonymous request: its JSON body as In, given to
// do with the client's address, and what do returns, with status.
func fromAddress[In, Out any](w http.ResponseWriter, r *http.Request, status int, do func(ctx context.Context, in In, remote string) (Out, error)) error {
	var in In
	if err := httpx.DecodeJSON(w, r, &in, maxBody); err != nil {
		return err
	}
	out, err := do(r.Context(), in, httpx.ClientIP(r))
	if err != nil {
		return err
	}
	return httpx.WriteJSON(w, status, out)
}

func (s *Service) postRecoveryConfirm(w http.ResponseWriter, r *http.Request) error {
	return fromAddress(w, r, http.StatusOK, s.CompleteRecovery)
}

// UnlockCodeRequest asks for a code to unlock a locked account.
type UnlockCodeRequest struct {
	PIN string `json:"pin"`
}

func (s *Service) postUnlockCode(w http.ResponseWriter, r *http.Request) error {
	return s.sendCode(w, r, s.RequestUnlock)
}

func (s *Service) postRecoveryCode(w http.ResponseWriter, r *http.Request) error {
	return s.sendCode(w, r, s.RequestRecoveryCode)
}

// sendCode answers a request for a code ({"pin"}) with 202, alike whether
// one was sent or not.
func (s *Service) sendCode(w http.ResponseWriter, r *http.Request, send func(ctx context.Context, pin, remote string) error) error {
	return acceptFromAddress(w, r, func(ctx context.Context, in UnlockCodeRequest, remote string) error { return send(ctx, in.PIN, remote) })
}

// acceptFromAddress answers an anonymous request whose answer is 202 and
// no body (a code asked for): its JSON body as In, given to do with the
// client's address.
func acceptFromAddress[In any](w http.ResponseWriter, r *http.Request, do func(ctx context.Context, in In, remote string) error) error {
	var in In
	if err := httpx.DecodeJSON(w, r, &in, maxBody); err != nil {
		return err
	}
	if err := do(r.Context(), in, httpx.ClientIP(r)); err != nil {
		return err
	}
	w.WriteHeader(http.StatusAccepted)
	return nil
}

// SessionRequest signs a citizen in.
type SessionRequest struct {
	PIN      string `json:"pin"`
	Password string `json:"password"`
	// TOTP is the authenticator app's code, once one is enabled.
	TOTP string `json:"totp,omitempty"`
}

// SessionResponse gives the CSRF token of the session set in the cookie.
type SessionResponse struct {
	PIN       string `json:"pin"`
	Level     int    `json:"level"`
	CSRFToken string `json:"csrf_token"`
	ExpiresAt string `json:"expires_at"`
}

// SignIn is Login over HTTP: on success the session cookie is set on w.
func (s *Service) SignIn(w http.ResponseWriter, r *http.Request, pinStr, password, totpCode string) (Session, error) {
	in := Attempt{PIN: strings.TrimSpace(pinStr), Password: password, TOTP: strings.TrimSpace(totpCode), Remote: httpx.ClientIP(r), Device: r.UserAgent()}
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

// SignOut ends the request's session and clears the cookie.
func (s *Service) SignOut(w http.ResponseWriter, r *http.Request) error {
	gone := s.cookie(r, "")
	gone.MaxAge = -1
	http.SetCookie(w, gone)
	c, err := r.Cookie(CookieName)
	if err != nil {
		return nil
	}
	return s.Logout(r.Context(), c.Value, httpx.ClientIP(r))
}

func (s *Service) postSession(w http.ResponseWriter, r *http.Request) error {
	var in SessionRequest
	if err := httpx.DecodeJSON(w, r, &in, maxBody); err != nil {
		return err
	}
	var f problem.Fields
	if in.PIN == "" {
		f.Add("pin", "is required")
	}
	if in.Password == "" {
		f.Add("password", "is required")
	}
	if err := f.Err(); err != nil {
		return err
	}
	sess, err := s.SignIn(w, r, in.PIN, in.Password, in.TOTP)
	if err != nil {
		return err
	}
	return httpx.WriteJSON(w, http.StatusCreated, SessionResponse{PIN: sess.Account.PIN, Level: sess.Account.Level,
		CSRFToken: sess.CSRF, ExpiresAt: sess.ExpiresAt.UTC().Format("2006-01-02T15:04:05Z")})
}

func (s *Service) handleSignOut(w http.ResponseWriter, r *http.Request) error {
	if err := s.SignOut(w, r); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (s *Service) getMe(w http.ResponseWriter, r *http.Request) error {
	p, err := auth.MustFromContext(r.Context())
	if err != nil {
		return err
	}
	a, err := s.Me(r.Context(), p)
	if err != nil {
		return err
	}
	return httpx.WriteJSON(w, http.StatusOK, a)
}

// LoginPage is a page of the login history; Next is the cursor of the next.
type LoginPage struct {
	Logins []Login `json:"logins"`
	Next   string  `json:"next,omitempty"`
}

func (s *Service) getLogins(w http.ResponseWriter, r *http.Request) error {
	p, err := auth.MustFromContext(r.Context())
	if err != nil {
		return err
	}
	var before int64
	if c := r.URL.Query().Get("before"); c != "" {
		if before, err = strconv.ParseInt(c, 10, 64); err != nil || before <= 0 {
			return problem.Field("before", "must be the next cursor of a previous page")
		}
	}
	const pageSize = 50
	ls, err := s.Logins(r.Context(), p, before, pageSize)
	if err != nil {
		return err
	}
	page := LoginPage{Logins: ls}
	if len(ls) == pageSize {
		page.Next = strconv.FormatInt(ls[len(ls)-1].ID, 10)
	}
	if page.Logins == nil {
		page.Logins = []Login{}
	}
	return httpx.WriteJSON(w, http.StatusOK, page)
}

// SessionOf returns the citizen's session of r's cookie, if live: for the
// pages that serve signed-in and anonymous citizens alike (the OpenID
// provider's sign-in).
func (s *Service) SessionOf(r *http.Request) (Session, bool, error) { return s.session(r) }

// maxPasskeyBody bounds an authenticator's answer (attestation included).
const maxPasskeyBody = 64 << 10

func (s *Service) getMethods(w http.ResponseWriter, r *http.Request) error {
	p, err := auth.MustFromContext(r.Context())
	if err != nil {
		return err
	}
	ms, err := s.MethodStates(r.Context(), p)
	if err != nil {
		return err
	}
	return httpx.WriteJSON(w, http.StatusOK, ms)
}

func (s *Service) getPasskeys(w http.ResponseWriter, r *http.Request) error {
	p, err := auth.MustFromContext(r.Context())
	if err != nil {
		return err
	}
	ks, err := s.Passkeys(r.Context(), p)
	if err != nil {
		return err
	}
	if ks == nil {
		ks = []Passkey{}
	}
	return httpx.WriteJSON(w, http.StatusOK, ks)
}

func (s *Service) deletePasskey(w http.ResponseWriter, r *http.Request) error {
	p, err := auth.MustFromContext(r.Context())
	if err != nil {
		return err
	}
	// The holder's proof in a JSON body (a DELETE may carry one).
	var in Proof
	if r.ContentLength != 0 {
		if err := httpx.DecodeJSON(w, r, &in, maxBody); err != nil {
			return err
		}
	}
	if err := s.RemovePasskey(r.Context(), p, r.PathValue("id"), in); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (s *Service) postPasskeyOptions(w http.ResponseWriter, r *http.Request) error {
	var in struct{}
	if err := httpx.DecodeJSON(w, r, &in, maxBody); err != nil {
		return err
	}
	c, err := s.BeginPasskeySignIn(r.Context(), httpx.ClientIP(r))
	if err != nil {
		return err
	}
	return httpx.WriteJSON(w, http.StatusCreated, c)
}

// PasskeySessionRequest is a sign-in with a passkey: the ceremony's id
// and the authenticator's answer (PublicKeyCredential as JSON).
type PasskeySessionRequest struct {
	Ceremony   string          `json:"ceremony"`
	Credential json.RawMessage `json:"credential"`
}

// SignInPasskey is LoginPasskey over HTTP: on success the session cookie
// is set on w.
func (s *Service) SignInPasskey(w http.ResponseWriter, r *http.Request, in PasskeySessionRequest) (Session, error) {
	var f problem.Fields
	if in.Ceremony == "" {
		f.Add("ceremony", "is required: the id the options came with")
	}
	if len(in.Credential) == 0 {
		f.Add("credential", "is required: the authenticator's answer")
	}
	if err := f.Err(); err != nil {
		return Session{}, err
	}
	at := PasskeyAttempt{Ceremony: in.Ceremony, Credential: in.Credential, Remote: httpx.ClientIP(r), Device: r.UserAgent()}
	if c, err := r.Cookie(CookieName); err == nil {
		at.Replaces = c.Value
	}
	sess, token, err := s.LoginPasskey(r.Context(), at)
	if err != nil {
		return Session{}, err
	}
	http.SetCookie(w, s.cookie(r, token))
	return sess, nil
}

func (s *Service) postPasskeySession(w http.ResponseWriter, r *http.Request) error {
	var in PasskeySessionRequest
	if err := httpx.DecodeJSON(w, r, &in, maxPasskeyBody); err != nil {
		return err
	}
	sess, err := s.SignInPasskey(w, r, in)
	if err != nil {
		return err
	}
	return httpx.WriteJSON(w, http.StatusCreated, SessionResponse{PIN: sess.Account.PIN, Level: sess.Account.Level,
		CSRFToken: sess.CSRF, ExpiresAt: sess.ExpiresAt.UTC().Format("2006-01-02T15:04:05Z")})
}
