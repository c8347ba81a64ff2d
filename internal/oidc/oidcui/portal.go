package oidcui

import (
	"bytes"
	"encoding/base64"
	"errors"
	"html/template"
	"image/png"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/populus-vn/populus/internal/audit"
	"github.com/pquerna/otp"

	"github.com/populus-vn/populus/internal/auth"
	"github.com/populus-vn/populus/internal/httpx"
	"github.com/populus-vn/populus/internal/identity"
	"github.com/populus-vn/populus/internal/oidc"
	"github.com/populus-vn/populus/internal/people"
	"github.com/populus-vn/populus/internal/problem"
	"github.com/populus-vn/populus/internal/register"
	"github.com/populus-vn/populus/internal/web"
)

// ActionSelfRead is the audit action of a citizen reading their own record
// on the portal.
const ActionSelfRead auth.Action = "identity.self.read"

// portal is the citizen's own pages: sign-in, the record, the account's
// history, consents and lock.
type portal struct {
	k   *web.Kit
	p   *oidc.Provider
	eid *identity.Service
	reg *register.Register
	log *audit.Log
}

func (pt *portal) routes() []httpx.Route {
	citizen := func(pattern string, h func(http.ResponseWriter, *http.Request) error) httpx.Route {
		return httpx.Route{Pattern: pattern, Handler: pt.k.Page(h), Access: httpx.AccessCitizen}
	}
	return []httpx.Route{
		{Pattern: "GET " + identity.SignInPath, Handler: pt.k.Page(pt.signIn), Access: httpx.AccessStaffOptional},
		{Pattern: "POST " + identity.SignInPath, Handler: pt.k.Page(pt.signInSubmit), Access: httpx.AccessStaffOptional},
		{Pattern: "GET " + RecoverPath, Handler: pt.k.Page(pt.recover), Access: httpx.AccessStaffOptional},
		{Pattern: "POST " + RecoverPath + "/code", Handler: pt.k.Page(pt.recoverCode), Access: httpx.AccessStaffOptional},
		{Pattern: "GET " + UnlockPath, Handler: pt.k.Page(pt.askCode(pt.unlockFlow())), Access: httpx.AccessStaffOptional},
		{Pattern: "POST " + UnlockPath + "/code", Handler: pt.k.Page(pt.sendCode(pt.unlockFlow())), Access: httpx.AccessStaffOptional},
		{Pattern: "POST " + UnlockPath, Handler: pt.k.Page(pt.useCode(pt.unlockFlow())), Access: httpx.AccessStaffOptional},
		{Pattern: "GET " + ResetPath, Handler: pt.k.Page(pt.askCode(pt.resetFlow())), Access: httpx.AccessStaffOptional},
		{Pattern: "POST " + ResetPath + "/code", Handler: pt.k.Page(pt.sendCode(pt.resetFlow())), Access: httpx.AccessStaffOptional},
		{Pattern: "POST " + ResetPath, Handler: pt.k.Page(pt.useCode(pt.resetFlow())), Access: httpx.AccessStaffOptional},
		{Pattern: "GET " + oidc.LogoutPath, Handler: pt.k.Page(pt.logout), Access: httpx.AccessStaffOptional},
		{Pattern: "POST " + oidc.LogoutPath, Handler: pt.k.Page(pt.logoutSubmit), Access: httpx.AccessStaffOptional},
		{Pattern: "POST " + RecoverPath, Handler: pt.k.Page(pt.recoverSubmit), Access: httpx.AccessStaffOptional},
		citizen("GET /eid/me", pt.me),
		citizen("POST /eid/me/consents/{id}/withdraw", pt.withdraw),
		citizen("POST /eid/me/lock", pt.lock),
		citizen("POST /eid/me/methods/{method}/{action}", pt.method),
		citizen("POST /eid/me/passkeys/{id}/remove", pt.removePasskey),
		citizen("POST /eid/me/password", pt.changePassword),
		citizen("POST /eid/me/totp", pt.totpBegin),
		citizen("POST /eid/me/totp/confirm", pt.totpConfirm),
		citizen("POST /eid/me/signout", pt.signOut),
	}
}

type signInView struct {
	Form   *web.Form
	Fields []web.FormField
	// Passkeys: the server offers signing in with a passkey.
	Passkeys bool
}

func (pt *portal) signInView(f *web.Form) signInView {
	pin := f.Labelled(fieldPIN, inputPIN, true, "oidc.field.pin")
	pw := f.Labelled(fieldPassword, inputPassword, true, "oidc.field.password")
	return signInView{Form: f, Fields: []web.FormField{pin, pw, totpField(f)}, Passkeys: pt.eid.PasskeysEnabled()}
}

func (pt *portal) signIn(w http.ResponseWriter, r *http.Request) error {
	pt.k.Render(w, r, http.StatusOK, "signin", "portal.signin.title", "", pt.signInView(pt.k.NewForm(r, nil)))
	return nil
}

func (pt *portal) signInSubmit(w http.ResponseWriter, r *http.Request) error {
	if err := pt.k.ParseForm(w, r, maxForm); err != nil {
		return err
	}
	f := pt.k.NewForm(r, r.PostForm)
	if _, err := pt.eid.SignIn(w, r, f.Get(fieldPIN), r.PostForm.Get(fieldPassword), r.PostForm.Get(fieldTOTP)); err != nil {
		f.Values.Del(fieldTOTP) // a code is used once: a refused one is typed anew
		return formError(pt.k, w, r, err, "signin", "portal.signin.title", func(f *web.Form) any { return pt.signInView(f) }, f)
	}
	http.Redirect(w, r, "/eid/me", http.StatusSeeOther)
	return nil
}

// RecoverPath is the page where the holder of an account recovered at the
// counter sets a new password with the code sent to their phone.
const RecoverPath = "/eid/recover"

// The recovery form's fields (besides the PIN) and their input types.
const (
	fieldCode, fieldNewPassword, fieldRepeat = "code", "new_password", "repeat_password"
	inputCode, inputNewPassword              = "code", "new-password"
)

func (pt *portal) recoverView(f *web.Form) signInView {
	pin := f.Labelled(fieldPIN, inputPIN, true, "oidc.field.pin")
	code := f.Labelled(fieldCode, inputCode, true, "portal.recover.code")
	pw := f.Labelled(fieldNewPassword, inputNewPassword, true, "portal.recover.password")
	again := f.Labelled(fieldRepeat, inputNewPassword, true, "portal.recover.repeat")
	return signInView{Form: f, Fields: []web.FormField{pin, code, pw, again}}
}

func (pt *portal) recover(w http.ResponseWriter, r *http.Request) error {
	f := pt.k.NewForm(r, nil)
	f.Values.Set(fieldPIN, r.URL.Query().Get(fieldPIN))
	pt.k.Render(w, r, http.StatusOK, "recover", "portal.recover.title", "", pt.recoverView(f))
	return nil
}

// recoverCode sends a new code to the phone of an account being recovered
// (answering alike for any PIN), and shows the form again.
func (pt *portal) recoverCode(w http.ResponseWriter, r *http.Request) error {
	if err := pt.k.ParseForm(w, r, maxForm); err != nil {
		return err
	}
	f := pt.k.NewForm(r, r.PostForm)
	if err := pt.eid.RequestRecoveryCode(r.Context(), f.Get(fieldPIN), httpx.ClientIP(r)); err != nil {
		return formError(pt.k, w, r, err, "recover", "portal.recover.title", func(f *web.Form) any { return pt.recoverView(f) }, f)
	}
	pt.k.Flash(w, r, "flash.portal.recovery_code")
	http.Redirect(w, r, RecoverPath+"?pin="+url.QueryEscape(f.Get(fieldPIN)), http.StatusSeeOther)
	return nil
}

func (pt *portal) recoverSubmit(w http.ResponseWriter, r *http.Request) error {
	if err := pt.k.ParseForm(w, r, maxForm); err != nil {
		return err
	}
	f := pt.k.NewForm(r, r.PostForm)
	pw, err := newPasswordOf(r)
	if err == nil {
		_, err = pt.eid.CompleteRecovery(r.Context(), identity.RecoveryCompletion{PIN: f.Get(fieldPIN), Code: f.Get(fieldCode), Password: pw}, httpx.ClientIP(r))
	}
	if err == nil {
		pt.k.Flash(w, r, "flash.portal.recovered")
		http.Redirect(w, r, identity.SignInPath, http.StatusSeeOther)
		return nil
	}
	return formError(pt.k, w, r, newPasswordField(err), "recover", "portal.recover.title", func(f *web.Form) any { return pt.recoverView(f) }, f)
}

// newPasswordField is err with the API's field password named as the
// form's, the new password.
func newPasswordField(err error) error {
	var pe *problem.Error
	if errors.As(err, &pe) {
		for i := range pe.Fields {
			if pe.Fields[i].Field == "password" {
				pe.Fields[i].Field = fieldNewPassword
			}
		}
	}
	return err
}

// UnlockPath is the page where the holder of a locked account has a code
// sent to its phone and unlocks it with the code.
const UnlockPath = "/eid/unlock"

// codeView is the page of a codeFlow: first what asks for the code (the
// PIN, and more where the flow needs it), then the code and the new
// password.
type codeView struct {
	Form   *web.Form
	Fields []web.FormField
	// Sent: a code was asked for; the form takes it.
	Sent bool
}

// unlockView is the unlock page: first the PIN (a code is sent), then the
// PIN, the code and a new password where one is needed.
func (pt *portal) unlockView(f *web.Form, sent bool) codeView {
	pin := f.Labelled(fieldPIN, inputPIN, true, "oidc.field.pin")
	v := codeView{Form: f, Fields: []web.FormField{pin}, Sent: sent}
	if sent {
		code := f.Labelled(fieldCode, inputCode, true, "portal.recover.code")
		pw := f.Labelled(fieldNewPassword, inputNewPassword, false, "portal.unlock.password")
		pw.Hint = "portal.unlock.password_hint"
		again := f.Labelled(fieldRepeat, inputNewPassword, false, "portal.recover.repeat")
		v.Fields = append(v.Fields, code, pw, again)
	}
	return v
}

// unlockFlow is the unlock page's two steps: a code sent to the phone of
// the PIN's account if it is locked (the answer alike whether or not it
// is), then the code, with a new password where one is needed.
func (pt *portal) unlockFlow() codeFlow {
	return codeFlow{tpl: "unlock", title: "portal.unlock.title",
		view: pt.unlockView,
		send: func(r *http.Request, f *web.Form) error {
			return pt.eid.RequestUnlock(r.Context(), f.Get(fieldPIN), httpx.ClientIP(r))
		},
		set: func(r *http.Request, f *web.Form, pw string) (string, error) {
			_, err := pt.eid.Unlock(r.Context(), identity.UnlockRequest{PIN: f.Get(fieldPIN), Code: f.Get(fieldCode), Password: pw}, httpx.ClientIP(r))
			if pw != "" {
				return "flash.portal.unlocked_password", err
			}
			return "flash.portal.unlocked", err
		}}
}

// codeFlow is a page where a code sent to the account's phone, then
// entered with a new password (repeated), does something: the unlock, the
// forgotten password. send asks for the code; set does the act with the
// code and the password, and says the notice of the sign-in page after.
type codeFlow struct {
	tpl, title string
	view       func(f *web.Form, sent bool) codeView
	send       func(r *http.Request, f *web.Form) error
	set        func(r *http.Request, f *web.Form, pw string) (flash string, err error)
}

// askCode shows c's first step, its PIN from the query (a link of the
// sign-in page or of the page itself).
func (pt *portal) askCode(c codeFlow) func(w http.ResponseWriter, r *http.Request) error {
	return func(w http.ResponseWriter, r *http.Request) error {
		f := pt.k.NewForm(r, nil)
		f.Values.Set(fieldPIN, r.URL.Query().Get(fieldPIN))
		pt.k.Render(w, r, http.StatusOK, c.tpl, c.title, "", c.view(f, false))
		return nil
	}
}

// sendCode asks for c's code and shows the form that takes it.
func (pt *portal) sendCode(c codeFlow) func(w http.ResponseWriter, r *http.Request) error {
	return func(w http.ResponseWriter, r *http.Request) error {
		if err := pt.k.ParseForm(w, r, maxForm); err != nil {
			return err
		}
		f := pt.k.NewForm(r, r.PostForm)
		if err := c.send(r, f); err != nil {
			return formError(pt.k, w, r, err, c.tpl, c.title, func(f *web.Form) any { return c.view(f, false) }, f)
		}
		f.Values.Del(fieldCode)
		pt.k.Render(w, r, http.StatusOK, c.tpl, c.title, "", c.view(f, true))
		return nil
	}
}

// useCode does c's act with the code and the new password; the sign-in
// page says it was done.
func (pt *portal) useCode(c codeFlow) func(w http.ResponseWriter, r *http.Request) error {
	return func(w http.ResponseWriter, r *http.Request) error {
		if err := pt.k.ParseForm(w, r, maxForm); err != nil {
			return err
		}
		f := pt.k.NewForm(r, r.PostForm)
		pw, err := newPasswordOf(r)
		flash := ""
		if err == nil {
			flash, err = c.set(r, f, pw)
		}
		if err != nil {
			return formError(pt.k, w, r, newPasswordField(err), c.tpl, c.title, func(f *web.Form) any { return c.view(f, true) }, f)
		}
		pt.k.Flash(w, r, flash)
		http.Redirect(w, r, identity.SignInPath, http.StatusSeeOther)
		return nil
	}
}

// newPasswordOf is the form's new password, or the refusal when its
// repetition differs.
func newPasswordOf(r *http.Request) (string, error) {
	pw := r.PostForm.Get(fieldNewPassword)
	if pw != r.PostForm.Get(fieldRepeat) {
		return pw, problem.Field("repeat_password", "is not the same as the new password")
	}
	return pw, nil
}

// ResetPath is the page where a holder who forgot the password has a code
// sent to the account's phone and sets a new password with it.
const ResetPath = "/eid/reset"

const (
	fieldPhone = "phone"
	inputTel   = "tel"
)

// resetView is the forgotten password's page: first the PIN and the
// account's phone (a code is sent), then the code and the new password.
func (pt *portal) resetView(f *web.Form, sent bool) codeView {
	pin := f.Labelled(fieldPIN, inputPIN, true, "oidc.field.pin")
	if !sent {
		phone := f.Labelled(fieldPhone, inputTel, true, "portal.reset.phone")
		phone.Hint = "portal.reset.phone_hint"
		return codeView{Form: f, Fields: []web.FormField{pin, phone}}
	}
	code := f.Labelled(fieldCode, inputCode, true, "portal.recover.code")
	pw := f.Labelled(fieldNewPassword, inputNewPassword, true, "portal.recover.password")
	again := f.Labelled(fieldRepeat, inputNewPassword, true, "portal.recover.repeat")
	return codeView{Form: f, Fields: []web.FormField{pin, code, pw, again}, Sent: true}
}

// resetFlow is the forgotten password's two steps: a code sent to the
// phone of the PIN's active account when the phone given is its number
// (the answer alike whether or not it is), then the code and the new
// password.
func (pt *portal) resetFlow() codeFlow {
	return codeFlow{tpl: "reset", title: "portal.reset.title",
		view: pt.resetView,
		send: func(r *http.Request, f *web.Form) error {
			in := identity.PasswordResetCodeRequest{PIN: f.Get(fieldPIN), Phone: f.Get(fieldPhone)}
			return pt.eid.RequestPasswordReset(r.Context(), in, httpx.ClientIP(r))
		},
		set: func(r *http.Request, f *web.Form, pw string) (string, error) {
			_, err := pt.eid.ResetPassword(r.Context(), identity.PasswordReset{PIN: f.Get(fieldPIN), Code: f.Get(fieldCode), Password: pw}, httpx.ClientIP(r))
			return "flash.portal.password_reset", err
		}}
}

// formError renders a citizen's form f again with what err says is wrong,
// in the page's language (a field, or a refusal: wrong credentials, an
// account locked, too many attempts), or returns err when it is no such
// answer.
func formError(k *web.Kit, w http.ResponseWriter, r *http.Request, err error, tpl, title string, view func(*web.Form) any, f *web.Form) error {
	switch kind := problem.KindOf(err); kind {
	case problem.Invalid, problem.Unauthorized, problem.Forbidden, problem.RateLimited:
		wait := httpx.SetRetryAfter(w, err)
		f.AddProblem(err)
		// How long to wait, as the API's Retry-After says it.
		switch {
		case kind != problem.RateLimited || wait <= 0:
		case wait < 120:
			f.Detail = k.Catalog().T(k.Lang(r), "error.rate-limited.wait_seconds", wait)
		default:
			f.Detail = k.Catalog().T(k.Lang(r), "error.rate-limited.wait_minutes", (wait+59)/60)
		}
		k.Render(w, r, kind.Status(), tpl, title, "", view(f))
		return nil
	}
	return err
}

// logoutView asks whether to sign out for an end-session request that did
// not show it comes from a service the citizen signed in at.
type logoutView struct {
	// Service names the client the request says it is from, if any.
	Service string
	// Query is the end-session request, sent on once signed out.
	Query string
}

func (pt *portal) logout(w http.ResponseWriter, r *http.Request) error {
	v := logoutView{Query: r.URL.RawQuery}
	q := r.URL.Query()
	if id := q.Get("client_id"); id != "" {
		if c, err := pt.p.Clients().Get(r.Context(), id); err == nil {
			v.Service = c.Name
		}
	}
	// The form leads, through the provider's end of the session, to the
	// address the client registered for after a logout.
	if to := q.Get("post_logout_redirect_uri"); to != "" && pt.p.PostLogoutRegistered(r.Context(), q.Get("client_id"), q.Get("id_token_hint"), to) {
		httpx.AllowFormTarget(w, to)
	}
	pt.k.Render(w, r, http.StatusOK, "logout", "portal.logout.title", "", v)
	return nil
}

// logoutSubmit signs the citizen out, then sends the end-session request
// on to the provider, which answers it (to the client's registered
// post-logout address, or its own page).
func (pt *portal) logoutSubmit(w http.ResponseWriter, r *http.Request) error {
	if err := pt.k.ParseForm(w, r, maxForm); err != nil {
		return err
	}
	if err := pt.eid.SignOut(w, r); err != nil {
		return err
	}
	q, err := url.ParseQuery(r.PostForm.Get("query"))
	if err != nil {
		q = url.Values{}
	}
	http.Redirect(w, r, oidc.Prefix+"/end_session?"+q.Encode(), http.StatusSeeOther)
	return nil
}

// meView is the portal's page.
type meView struct {
	CSRF     string
	Account  identity.Account
	Person   people.Person
	Logins   []identity.Login
	Consents []oidc.Consent
	// Verifications are the services' recent checks of the holder ("who
	// verified me"): verifications, claims received, e-KYC records.
	Verifications []verification
	// Methods and Passkeys are the factors and devices: each method
	// enrolled or not, locked or not; the passkeys registered.
	Methods    []identity.MethodState
	Passkeys   []identity.Passkey
	PasskeysOn bool
}

// verifierActions are the audit actions the portal shows as "who verified
// me".
var verifierActions = map[string]bool{oidc.ActionVerify: true, oidc.ActionClaims: true, oidc.ActionEKYC: true}

// verification is a service's check of the holder as the portal shows it:
// what was shared (the scopes of a sign-in or an e-KYC record) or asked (a
// verification's fields and predicates, and whether they matched), read
// from the entry's detail, which the provider writes.
type verification struct {
	At      time.Time
	Service string
	Action  string
	Scopes  []string
	Asked   []string
	// Outcome is "match", "no_match" or "refused" for a verification.
	Outcome string
}

// verificationOf reads e's detail ("scopes profile birthdate", "txn …;
// scopes …", "asked full_name,birth_date; purpose KYC; match").
func verificationOf(e audit.Entry, service string) verification {
	v := verification{At: e.At, Service: service, Action: e.Action}
	for _, part := range strings.Split(e.Detail, "; ") {
		switch {
		case strings.HasPrefix(part, "scopes "):
			for _, sc := range strings.Fields(strings.TrimPrefix(part, "scopes ")) {
				if sc != "openid" && sc != "offline_access" {
					v.Scopes = append(v.Scopes, sc)
				}
			}
		case strings.HasPrefix(part, "asked "):
			v.Asked = strings.Split(strings.TrimPrefix(part, "asked "), ",")
		case part == "match":
			v.Outcome = "match"
		case strings.HasPrefix(part, "no match"):
			v.Outcome = "no_match"
		}
	}
	if e.Outcome != audit.OK {
		v.Outcome = "refused"
	}
	return v
}

// verifications returns the services' recent checks of pin: among the
// newest 500 entries about the person, at most 20.
func (pt *portal) verifications(r *http.Request, pin string) ([]verification, error) {
	entries, _, err := pt.log.List(r.Context(), pin, 0, 500)
	if err != nil {
		return nil, err
	}
	var out []verification
	for _, e := range entries {
		if verifierActions[e.Action] && strings.HasPrefix(e.Actor, "client:") {
			name := strings.TrimPrefix(e.Actor, "client:")
			if c, err := pt.p.Clients().Get(r.Context(), name); err == nil {
				name = c.Name // the service's name, as on the consent screen
			}
			out = append(out, verificationOf(e, name))
			if len(out) == 20 {
				break
			}
		}
	}
	return out, nil
}

// me shows the holder's record (read from the register, audited as the
// citizen's own read), account, last sign-ins and consents.
func (pt *portal) me(w http.ResponseWriter, r *http.Request) error {
	sess, ok := identity.SessionFrom(r.Context())
	if !ok {
		return problem.New(problem.Unauthorized, "sign in first")
	}
	pr := sess.Account.Principal("")
	person, err := pt.reg.Get(r.Context(), identity.Matcher(), sess.Account.PIN)
	if err != nil {
		return err
	}
	if err := pt.log.Record(r.Context(), audit.Of(pr, ActionSelfRead, sess.Account.PIN)); err != nil {
		return err // the holder's own read is audited like any other
	}
	v := meView{CSRF: sess.CSRF, Account: sess.Account, Person: person}
	if v.Logins, err = pt.eid.Logins(r.Context(), pr, 0, 10); err != nil {
		return err
	}
	if v.Consents, err = pt.p.Consents(r.Context(), pr); err != nil {
		return err
	}
	// Which services checked the person is for a holder checked in person
	// (level 2), as who used my data is: a level-1 account was opened on
	// the facts of a chip card, which others may know.
	if sess.Account.Level >= identity.Level2 {
		if v.Verifications, err = pt.verifications(r, sess.Account.PIN); err != nil {
			return err
		}
	}
	if v.Methods, err = pt.eid.MethodStates(r.Context(), pr); err != nil {
		return err
	}
	if v.Passkeys, err = pt.eid.Passkeys(r.Context(), pr); err != nil {
		return err
	}
	v.PasskeysOn = pt.eid.PasskeysEnabled()
	pt.k.Render(w, r, http.StatusOK, "me", "portal.title", "", v)
	return nil
}

func (pt *portal) withdraw(w http.ResponseWriter, r *http.Request) error {
	pr, err := auth.MustFromContext(r.Context())
	if err != nil {
		return err
	}
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil {
		return problem.New(problem.NotFound, "no such consent")
	}
	if err := pt.p.Withdraw(r.Context(), pr, id); err != nil {
		return err
	}
	pt.k.Flash(w, r, "flash.portal.withdrawn")
	http.Redirect(w, r, "/eid/me", http.StatusSeeOther)
	return nil
}

func (pt *portal) lock(w http.ResponseWriter, r *http.Request) error {
	pr, err := auth.MustFromContext(r.Context())
	if err != nil {
		return err
	}
	var in identity.LockRequest
	if s := r.PostForm.Get("not_me_login_id"); s != "" {
		in.NotMeLoginID, _ = strconv.ParseInt(s, 10, 64)
	}
	if r.PostForm.Get("confirmed") != "yes" {
		// Asked first: the lock ends every session and the services'
		// sign-ins, and takes a code from the phone to undo.
		return pt.confirmLock(w, r, pr, in.NotMeLoginID)
	}
	if _, err := pt.eid.Lock(r.Context(), pr, in); err != nil {
		return err
	}
	pt.k.Flash(w, r, "flash.portal.locked")
	http.Redirect(w, r, identity.SignInPath, http.StatusSeeOther)
	return nil
}

// lockView is the page that asks before the account is locked, with the
// sign-in reported as not the holder's, if any.
type lockView struct {
	CSRF  string
	Login *identity.Login
}

func (pt *portal) confirmLock(w http.ResponseWriter, r *http.Request, pr auth.Principal, loginID int64) error {
	sess, ok := identity.SessionFrom(r.Context())
	if !ok {
		return problem.New(problem.Unauthorized, "sign in first")
	}
	v := lockView{CSRF: sess.CSRF}
	if loginID != 0 {
		logins, err := pt.eid.Logins(r.Context(), pr, loginID+1, 1)
		if err != nil {
			return err
		}
		if len(logins) != 1 || logins[0].ID != loginID {
			return problem.Field("not_me_login_id", "is not a login of your account")
		}
		v.Login = &logins[0]
	}
	pt.k.Render(w, r, http.StatusOK, "lock", "portal.lock.title", "", v)
	return nil
}

func (pt *portal) signOut(w http.ResponseWriter, r *http.Request) error {
	if err := pt.eid.SignOut(w, r); err != nil {
		return err
	}
	http.Redirect(w, r, identity.SignInPath, http.StatusSeeOther)
	return nil
}

// method locks or unlocks one of the holder's methods.
func (pt *portal) method(w http.ResponseWriter, r *http.Request) error {
	pr, err := auth.MustFromContext(r.Context())
	if err != nil {
		return err
	}
	in := identity.MethodRequest{Method: r.PathValue("method"), Password: r.PostForm.Get("password"), Code: strings.TrimSpace(r.PostForm.Get("code"))}
	switch r.PathValue("action") {
	case "lock":
		_, err = pt.eid.LockMethod(r.Context(), pr, in)
	case "unlock":
		_, err = pt.eid.UnlockMethod(r.Context(), pr, in)
	default:
		return problem.New(problem.NotFound, "no such action")
	}
	if problem.Is(err, problem.Conflict) {
		// A lock that would leave no way in: said on the portal, which
		// shows the methods, not on an error page.
		pt.backToWays(w, r, "flash.refused.portal.last_method")
		return nil
	}
	if problem.Is(err, problem.Invalid) {
		pt.proofRefused(w, r)
		return nil
	}
	if err != nil {
		return err
	}
	pt.backToWays(w, r, map[string]string{"lock": "flash.portal.method_locked", "unlock": "flash.portal.method_unlocked"}[r.PathValue("action")])
	return nil
}

// totpView is the page that sets up an authenticator app: the new secret,
// as a link an app on the phone opens and as text to type, and the form
// of its first code.
type totpView struct {
	CSRF, Secret string
	URL          template.URL // otpauth://, made here
	// QR is the link as a QR code (a PNG data URL) for the phone's app
	// to scan from a computer's screen; Groups is the key in groups of
	// four, to type.
	QR      template.URL
	Groups  []string
	Refused bool // a first code did not match
}

// withCode fills v's QR code and the key's groups from its link and key.
func (v totpView) withCode() totpView {
	for s := v.Secret; s != ""; {
		n := min(4, len(s))
		v.Groups, s = append(v.Groups, s[:n]), s[n:]
	}
	if v.URL == "" {
		return v
	}
	key, err := otp.NewKeyFromURL(string(v.URL))
	if err != nil {
		return v
	}
	img, err := key.Image(240, 240)
	if err != nil {
		return v
	}
	var b bytes.Buffer
	if png.Encode(&b, img) != nil {
		return v
	}
	// A data URL of the server's own making (CSP: img-src 'self' data:).
	v.QR = template.URL("data:image/png;base64," + base64.StdEncoding.EncodeToString(b.Bytes()))
	return v
}

// totpBegin enrols an authenticator app (a first one, or one in place of
// the app in use) with the holder's proof from the ways-in form.
func (pt *portal) totpBegin(w http.ResponseWriter, r *http.Request) error {
	pr, err := auth.MustFromContext(r.Context())
	if err != nil {
		return err
	}
	en, err := pt.eid.EnrollTOTP(r.Context(), pr, identity.Proof{Password: r.PostForm.Get("password"), Code: strings.TrimSpace(r.PostForm.Get("code"))})
	if problem.Is(err, problem.Invalid) {
		pt.proofRefused(w, r)
		return nil
	}
	if err != nil {
		return err
	}
	pt.totpPage(w, r, http.StatusOK, totpView{Secret: en.Secret, URL: otpauthURL(en.Secret, en.URL)})
	return nil
}

// totpPage shows the set-up page v, with the session's CSRF token.
func (pt *portal) totpPage(w http.ResponseWriter, r *http.Request, status int, v totpView) {
	sess, _ := identity.SessionFrom(r.Context())
	v = v.withCode()
	v.CSRF = sess.CSRF
	pt.k.Render(w, r, status, "totp", "portal.totp.title", "", v)
}

// totpConfirm enables the enrolled app with its first code; a code that
// does not match shows the page again (the secret, sent back with the
// form, is only shown: the code is checked against the one enrolled).
func (pt *portal) totpConfirm(w http.ResponseWriter, r *http.Request) error {
	pr, err := auth.MustFromContext(r.Context())
	if err != nil {
		return err
	}
	_, err = pt.eid.ConfirmTOTP(r.Context(), pr, identity.TOTPCode{Code: strings.TrimSpace(r.PostForm.Get("code"))})
	if problem.Is(err, problem.Invalid) {
		secret := r.PostForm.Get("secret")
		pt.totpPage(w, r, http.StatusUnprocessableEntity, totpView{Secret: secret, URL: otpauthURL(secret, ""), Refused: true})
		return nil
	}
	if err != nil {
		return err
	}
	pt.backToWays(w, r, "flash.portal.totp_enabled")
	return nil
}

// otpauthURL is the link of an enrolment: url as enrolled, or, shown
// again, one made from the secret alone (base32 letters and digits only;
// anything else gives no link).
func otpauthURL(secret, url string) template.URL {
	if url != "" {
		return template.URL(url)
	}
	if secret == "" || strings.Trim(secret, "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567=") != "" {
		return ""
	}
	return template.URL("otpauth://totp/Populus?secret=" + secret + "&issuer=Populus")
}

// backToWays shows the portal's ways in again with the notice flash.
// The page opens at its notice (what was done or refused), which the
// layout shows above the page: opened at the ways-in section, the notice
// was out of sight and the buttons seemed to do nothing.
func (pt *portal) backToWays(w http.ResponseWriter, r *http.Request, flash string) {
	pt.k.Flash(w, r, flash)
	http.Redirect(w, r, "/eid/me#flash", http.StatusSeeOther)
}

// proofRefused says on the portal that the holder's proof was refused
// (the password, the app's code, or a passkey sign-in too old).
func (pt *portal) proofRefused(w http.ResponseWriter, r *http.Request) {
	pt.backToWays(w, r, "flash.refused.portal.proof")
}

// changePassword sets the holder's new password, with their proof; the
// account's other sessions end.
func (pt *portal) changePassword(w http.ResponseWriter, r *http.Request) error {
	pr, err := auth.MustFromContext(r.Context())
	if err != nil {
		return err
	}
	in := identity.PasswordChange{Password: r.PostForm.Get("password"), Code: strings.TrimSpace(r.PostForm.Get("code")), NewPassword: r.PostForm.Get("new_password")}
	_, err = pt.eid.ChangePassword(r.Context(), pr, in)
	if problem.Is(err, problem.Invalid) {
		pt.backToWays(w, r, "flash.refused.portal.password")
		return nil
	}
	if err != nil {
		return err
	}
	pt.backToWays(w, r, "flash.portal.password_changed")
	return nil
}

func (pt *portal) removePasskey(w http.ResponseWriter, r *http.Request) error {
	pr, err := auth.MustFromContext(r.Context())
	if err != nil {
		return err
	}
	in := identity.Proof{Password: r.PostForm.Get("password"), Code: strings.TrimSpace(r.PostForm.Get("code"))}
	err = pt.eid.RemovePasskey(r.Context(), pr, r.PathValue("id"), in)
	switch {
	case problem.Is(err, problem.Invalid):
		pt.proofRefused(w, r)
		return nil
	case problem.Is(err, problem.Conflict):
		pt.backToWays(w, r, "flash.refused.portal.last_method")
		return nil
	case err != nil:
		return err
	}
	pt.backToWays(w, r, "flash.portal.passkey_removed")
	return nil
}
