// Package oidcui is the citizen's pages of the OpenID provider: sign-in
// with the electronic identity, and the consent screen in plain Vietnamese
// (and English) listing what the service will receive.
package oidcui

import (
	"embed"
	"io/fs"
	"net/http"
	"net/url"
	"time"

	"github.com/populus-vn/populus/internal/audit"
	"github.com/populus-vn/populus/internal/auth"
	"github.com/populus-vn/populus/internal/httpx"
	"github.com/populus-vn/populus/internal/i18n"
	"github.com/populus-vn/populus/internal/identity"
	"github.com/populus-vn/populus/internal/oidc"
	"github.com/populus-vn/populus/internal/register"
	"github.com/populus-vn/populus/internal/web"
)

//go:embed templates/*.html messages/*.json
var files embed.FS

// Module returns the pages over the provider p and the accounts eid. They
// are open to anyone (AccessStaffOptional: cross-origin protection, and a
// staff session's CSRF token if the browser holds one); the citizen's own
// session is the identity's cookie.
func Module(p *oidc.Provider, eid *identity.Service, reg *register.Register, log *audit.Log) web.Module {
	tpl, _ := fs.Sub(files, "templates")
	msgs, _ := fs.Sub(files, "messages")
	return web.Module{
		Name: "oidc", Templates: tpl, Messages: msgs,
		Menu: []web.MenuEntry{{Path: "/relying-parties", Label: "oidc.nav.clients", Nav: "oidc", Actions: []auth.Action{oidc.ManageClients}}},
		Routes: func(k *web.Kit) []httpx.Route {
			pg := &pages{k: k, p: p, eid: eid}
			route := func(pattern string, h func(http.ResponseWriter, *http.Request) error) httpx.Route {
				return httpx.Route{Pattern: pattern, Handler: k.Page(h), Access: httpx.AccessStaffOptional}
			}
			rs := []httpx.Route{
				route("GET /eid/login", pg.login),
				route("POST /eid/login", pg.loginSubmit),
				route("GET /eid/consent", pg.consent),
				route("POST /eid/consent", pg.consentSubmit),
				{Pattern: "GET /relying-parties", Handler: k.Page(pg.clients), Access: httpx.AccessStaff},
				{Pattern: "POST /relying-parties", Handler: k.Page(pg.clientSubmit), Access: httpx.AccessStaff},
				{Pattern: "GET /relying-parties/{id}", Handler: k.Page(pg.clientEdit), Access: httpx.AccessStaff},
				{Pattern: "POST /relying-parties/{id}", Handler: k.Page(pg.clientUpdate), Access: httpx.AccessStaff},
				{Pattern: "POST /relying-parties/{id}/disable", Handler: k.Page(pg.clientDisable), Access: httpx.AccessStaff},
			}
			pt := &portal{k: k, p: p, eid: eid, reg: reg, log: log}
			return append(rs, pt.routes()...)
		},
	}
}

type pages struct {
	k   *web.Kit
	p   *oidc.Provider
	eid *identity.Service
}

type loginView struct {
	Pending  *oidc.Pending
	Form     *web.Form
	Fields   []web.FormField
	Passkeys bool // the server offers signing in with a passkey
}

func (pg *pages) loginView(pd *oidc.Pending, f *web.Form) loginView {
	pin := f.Labelled(fieldPIN, inputPIN, true, "oidc.field.pin")
	pw := f.Labelled(fieldPassword, inputPassword, true, "oidc.field.password")
	return loginView{Pending: pd, Form: f, Fields: []web.FormField{pin, pw, totpField(f)}, Passkeys: pg.eid.PasskeysEnabled()}
}

func (pg *pages) login(w http.ResponseWriter, r *http.Request) error {
	id := r.URL.Query().Get("id")
	if !pg.p.Bound(r, id) {
		return oidc.ErrNotThisBrowser()
	}
	pd, err := pg.p.Pending(r.Context(), id)
	if err != nil {
		return err
	}
	sess, ok, err := pg.eid.SessionOf(r)
	if err != nil {
		return err
	}
	if ok && pd.Fresh(sess.CreatedAt, sess.AMR, time.Now()) && pg.p.HintFits(r, pd, sess.Account.ID) {
		http.Redirect(w, r, "/eid/consent?id="+url.QueryEscape(id), http.StatusSeeOther)
		return nil
	}
	if pd.Has("none") {
		to, err := pg.p.Interaction(r.Context(), id, "login_required")
		if err != nil {
			return err
		}
		http.Redirect(w, r, to, http.StatusSeeOther)
		return nil
	}
	r = pg.uiLocale(w, r, pd)
	var hint url.Values // the PIN the request's login_hint names
	if pd.LoginHint != "" {
		hint = url.Values{fieldPIN: {pd.LoginHint}}
	}
	httpx.AllowFormTarget(w, pd.RedirectURI)
	pg.k.Render(w, r, http.StatusOK, "login", "oidc.login.title", "", pg.loginView(pd, pg.k.NewForm(r, hint)))
	return nil
}

const maxForm = 8 << 10

// The sign-in form's fields and their input types (names, not messages).
const (
	fieldPIN, fieldPassword, fieldTOTP = "pin", "password", "totp"
	inputPIN, inputPassword            = "pin", "password"
)

// totpField is the optional code of an authenticator app.
func totpField(f *web.Form) web.FormField {
	t := f.Labelled(fieldTOTP, inputCode, false, "oidc.field.totp")
	return t
}

func (pg *pages) loginSubmit(w http.ResponseWriter, r *http.Request) error {
	if err := pg.k.ParseForm(w, r, maxForm); err != nil {
		return err
	}
	id := r.PostForm.Get("id")
	if !pg.p.Bound(r, id) {
		return oidc.ErrNotThisBrowser()
	}
	pd, err := pg.p.Pending(r.Context(), id)
	if err != nil {
		return err
	}
	f := pg.k.NewForm(r, r.PostForm)
	sess, err := pg.eid.SignIn(w, r, f.Get(fieldPIN), r.PostForm.Get(fieldPassword), r.PostForm.Get(fieldTOTP))
	if err == nil {
		pg.p.MarkSignedIn(w, id, sess)
		http.Redirect(w, r, "/eid/consent?id="+url.QueryEscape(id), http.StatusSeeOther)
		return nil
	}
	f.Values.Del(fieldTOTP) // a code is used once: a refused one is typed anew
	httpx.AllowFormTarget(w, pd.RedirectURI)
	return formError(pg.k, w, r, err, "login", "oidc.login.title", func(f *web.Form) any { return pg.loginView(pd, f) }, f)
}

type consentView struct {
	Pending *oidc.Pending
	Level   int
}

// consent asks the signed-in citizen, unless they consented to exactly
// this client and scope set before: then the request goes on at once.
func (pg *pages) consent(w http.ResponseWriter, r *http.Request) error {
	id := r.URL.Query().Get("id")
	if !pg.p.Bound(r, id) {
		return oidc.ErrNotThisBrowser()
	}
	pd, err := pg.p.Pending(r.Context(), id)
	if err != nil {
		return err
	}
	sess, ok, err := pg.eid.SessionOf(r)
	if err != nil {
		return err
	}
	if !ok || !pg.satisfied(r, pd, sess) {
		http.Redirect(w, r, "/eid/login?id="+url.QueryEscape(id), http.StatusSeeOther)
		return nil
	}
	if !pg.p.HintFits(r, pd, sess.Account.ID) {
		// Signed in here with another account than the hinted one.
		to, err := pg.p.OtherAccount(r.Context(), id)
		if err != nil {
			return err
		}
		http.Redirect(w, r, to, http.StatusSeeOther)
		return nil
	}
	// An account below the level the service requires is answered at
	// once (unmet_authentication_requirements, the refusal recorded), not
	// after the citizen has read and approved the consent screen.
	if sess.Account.Level < pd.Level {
		to, err := pg.p.Authorize(r.Context(), id, sess, nil, false, httpx.ClientIP(r))
		if err != nil {
			return err
		}
		http.Redirect(w, r, to, http.StatusSeeOther)
		return nil
	}
	if granted, ok, err := pg.p.Remembered(r.Context(), id, sess); err != nil {
		return err
	} else if ok && !pd.Has("consent") {
		to, err := pg.p.Authorize(r.Context(), id, sess, granted, false, httpx.ClientIP(r))
		if err != nil {
			return err
		}
		http.Redirect(w, r, to, http.StatusSeeOther)
		return nil
	}
	if pd.Has("none") {
		to, err := pg.p.Interaction(r.Context(), id, "consent_required")
		if err != nil {
			return err
		}
		http.Redirect(w, r, to, http.StatusSeeOther)
		return nil
	}
	httpx.AllowFormTarget(w, pd.RedirectURI)
	pg.k.Render(w, r, http.StatusOK, "consent", "oidc.consent.title", "", consentView{Pending: pd, Level: sess.Account.Level})
	return nil
}

// uiLocale shows the sign-in in the first language of the request's
// ui_locales the site has, for a browser that has not chosen one (no lang
// cookie); the choice is kept for the pages after. It returns r as the
// page is to be rendered.
func (pg *pages) uiLocale(w http.ResponseWriter, r *http.Request, pd *oidc.Pending) *http.Request {
	if _, err := r.Cookie(i18n.CookieName); err == nil {
		return r
	}
	for _, lang := range pd.UILocales {
		if pg.k.Catalog().Supported(lang) {
			pg.k.SetLanguage(w, r, lang)
			r = r.Clone(r.Context())
			r.AddCookie(&http.Cookie{Name: i18n.CookieName, Value: lang})
			return r
		}
	}
	return r
}

// satisfied reports whether sess may answer the request pd without
// signing in again: one made on this request's sign-in page in this
// browser, or a session fresh enough for it (prompt=login, max_age, two
// factors) of the account its id_token_hint names, if any. The consent
// page sends any other back to sign in: going to it directly must not skip
// what the sign-in page asks.
func (pg *pages) satisfied(r *http.Request, pd *oidc.Pending, sess identity.Session) bool {
	return pg.p.SignedInFor(r, pd.ID, sess) || pd.Fresh(sess.CreatedAt, sess.AMR, time.Now()) && pg.p.HintFits(r, pd, sess.Account.ID)
}

func (pg *pages) consentSubmit(w http.ResponseWriter, r *http.Request) error {
	if err := pg.k.ParseForm(w, r, maxForm); err != nil {
		return err
	}
	id := r.PostForm.Get("id")
	if !pg.p.Bound(r, id) {
		return oidc.ErrNotThisBrowser()
	}
	pd, err := pg.p.Pending(r.Context(), id)
	if err != nil {
		return err
	}
	sess, ok, err := pg.eid.SessionOf(r)
	if err != nil {
		return err
	}
	if !ok || !pg.satisfied(r, pd, sess) {
		http.Redirect(w, r, "/eid/login?id="+url.QueryEscape(id), http.StatusSeeOther)
		return nil
	}
	var to string
	switch {
	case !pg.p.HintFits(r, pd, sess.Account.ID):
		to, err = pg.p.OtherAccount(r.Context(), id)
	case r.PostForm.Get("decision") == "approve":
		to, err = pg.p.Authorize(r.Context(), id, sess, r.PostForm["scope"], true, httpx.ClientIP(r))
	default:
		to, err = pg.p.Decline(r.Context(), id, sess)
	}
	if err != nil {
		return err
	}
	http.Redirect(w, r, to, http.StatusSeeOther)
	return nil
}
