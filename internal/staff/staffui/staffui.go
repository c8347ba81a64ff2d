// Package staffui is the administration of staff accounts in the staff UI
// (create, list, disable and enable, reset a password, unlock, assign a
// role and a unit), and the page where every officer changes their own
// password: a web.Module over staff.Service, which checks every change
// against auth.ManageStaff and audits it.
package staffui

import (
	"embed"
	"errors"
	"html/template"
	"io/fs"
	"net/http"
	"net/url"

	"github.com/populus-vn/populus/internal/auth"
	"github.com/populus-vn/populus/internal/httpx"
	"github.com/populus-vn/populus/internal/problem"
	"github.com/populus-vn/populus/internal/staff"
	"github.com/populus-vn/populus/internal/web"
)

//go:embed templates/*.html messages/*.json
var files embed.FS

// Module returns the accounts' pages: /admin/staff and below, shown to
// whoever may manage accounts, and /account/password, to every officer.
func Module(svc *staff.Service) web.Module {
	tpl, _ := fs.Sub(files, "templates")
	msgs, _ := fs.Sub(files, "messages")
	return web.Module{
		Name:      "staff",
		Templates: tpl,
		Messages:  msgs,
		Funcs: func(web.Locale) template.FuncMap {
			return template.FuncMap{
				// roleField is the form's role, a select of the roles.
				"roleField": func(f *web.Form) web.FormField {
					ff := f.Field("role", "select", true)
					ff.Options = roleOptions()
					return ff
				},
			}
		},
		Menu: []web.MenuEntry{
			{Path: "/admin/staff", Label: "staffui.nav", Nav: "staff", Actions: []auth.Action{auth.ManageStaff}},
			{Path: staff.PasswordPath, Label: "staffui.password.nav", Nav: "password"},
		},
		Cards: func(k *web.Kit) []web.Card {
			return []web.Card{{Template: "card-staff", Actions: []auth.Action{auth.ManageStaff}}}
		},
		Routes: func(k *web.Kit) []httpx.Route {
			p := &pages{kit: k, svc: svc}
			page := k.StaffPage
			return []httpx.Route{
				// The administration's first page is the staff's.
				page("GET /admin", func(w http.ResponseWriter, r *http.Request) error {
					http.Redirect(w, r, "/admin/staff", http.StatusSeeOther)
					return nil
				}),
				page("GET /admin/staff", p.list),
				page("GET /admin/staff/new", p.newForm),
				page("POST /admin/staff/new", p.create),
				page("GET /admin/staff/{username}", p.account),
				page("POST /admin/staff/{username}/assign", p.assign),
				page("POST /admin/staff/{username}/password", p.resetPassword),
				page("GET /admin/staff/{username}/disable", p.confirmDisable),
				page("POST /admin/staff/{username}/disable", p.disable),
				page("POST /admin/staff/{username}/enable", p.enable),
				page("POST /admin/staff/{username}/unlock", p.unlock),
				page("GET "+staff.PasswordPath, p.passwordForm),
				page("POST "+staff.PasswordPath, p.changePassword),
			}
		},
	}
}

type pages struct {
	kit *web.Kit
	svc *staff.Service
}

// maxForm bounds the forms of these pages.
const maxForm = 16 << 10

func operator(r *http.Request) (staff.Operator, auth.Principal) {
	p, _ := auth.FromContext(r.Context())
	return staff.Admin(p, httpx.ClientIP(r)), p
}

// roleOptions are the roles, for a select.
func roleOptions() []web.Option {
	var out []web.Option
	for _, r := range auth.Roles {
		out = append(out, web.Option{Value: string(r), Key: "role." + string(r)})
	}
	return out
}

type listView struct {
	Accounts    []staff.Account
	First, Next string // the pages' links (the "pagination" partial)
}

// pageSize is the number of accounts on a page of the list.
const pageSize = 50

func (p *pages) list(w http.ResponseWriter, r *http.Request) error {
	op, _ := operator(r)
	after := r.URL.Query().Get("after")
	accounts, next, err := p.svc.AccountsPage(r.Context(), op, after, pageSize)
	if err != nil {
		return err
	}
	v := listView{Accounts: accounts}
	if after != "" {
		v.First = "/admin/staff"
	}
	if next != "" {
		v.Next = "/admin/staff?" + url.Values{"after": {next}}.Encode()
	}
	p.kit.Render(w, r, http.StatusOK, "list", "staffui.title", "staff", v)
	return nil
}

type formView struct {
	Form    *web.Form
	Account staff.Account
	// Reset and Assign are the forms of the account's page.
	Reset, Assign *web.Form
}

func (p *pages) newForm(w http.ResponseWriter, r *http.Request) error {
	op, pr := operator(r)
	if err := p.svc.MayManage(r.Context(), op); err != nil {
		return err
	}
	f := p.kit.NewForm(r, url.Values{"role": {string(auth.Registrar)}, "unit_code": {pr.Unit}})
	p.kit.Render(w, r, http.StatusOK, "new", "staffui.new.title", "staff", formView{Form: f})
	return nil
}

func (p *pages) create(w http.ResponseWriter, r *http.Request) error {
	if err := p.kit.ParseForm(w, r, maxForm); err != nil {
		return err
	}
	op, _ := operator(r)
	f := p.kit.NewForm(r, r.PostForm)
	password := f.Values.Get("password")
	f.Values.Del("password")
	a, err := p.svc.CreateAccount(r.Context(), op, staff.NewAccount{Username: f.Get("username"), DisplayName: f.Get("display_name"),
		Password: password, Role: auth.Role(f.Get("role")), Unit: f.Get("unit_code"), MustChangePassword: true})
	if err != nil {
		if problem.Is(err, problem.Conflict) {
			f.Fail("username", "staffui.error.taken")
		} else if !problem.Is(err, problem.Invalid) {
			return err
		} else {
			f.AddProblem(err)
		}
		p.kit.Render(w, r, http.StatusUnprocessableEntity, "new", "staffui.new.title", "staff", formView{Form: f})
		return nil
	}
	p.kit.Flash(w, r, "flash.staff.created")
	http.Redirect(w, r, "/admin/staff/"+url.PathEscape(a.Username), http.StatusSeeOther)
	return nil
}

// accountPage renders the account's page with its forms.
func (p *pages) accountPage(w http.ResponseWriter, r *http.Request, status int, a staff.Account, reset, assign *web.Form) {
	if reset == nil {
		reset = p.kit.NewForm(r, nil)
	}
	if assign == nil {
		assign = p.kit.NewForm(r, url.Values{"role": {string(a.Role)}, "unit_code": {a.Unit}})
	}
	p.kit.Render(w, r, status, "account", "staffui.account.title", "staff", formView{Account: a, Reset: reset, Assign: assign})
}

func (p *pages) account(w http.ResponseWriter, r *http.Request) error {
	op, _ := operator(r)
	a, err := p.svc.Account(r.Context(), op, r.PathValue("username"))
	if err != nil {
		return err
	}
	p.accountPage(w, r, http.StatusOK, a, nil, nil)
	return nil
}

// change runs fn, an account change posted from the account's page, and
// redirects back to the page with the notice flash; a field error comes
// back on the form the field belongs to (form), a conflict as its detail.
func (p *pages) change(w http.ResponseWriter, r *http.Request, flash string, fn func(op staff.Operator, f *web.Form) error, onReset bool) error {
	if err := p.kit.ParseForm(w, r, maxForm); err != nil {
		return err
	}
	op, _ := operator(r)
	username := r.PathValue("username")
	a, err := p.svc.Account(r.Context(), op, username)
	if err != nil {
		return err
	}
	f := p.kit.NewForm(r, r.PostForm)
	err = fn(op, f)
	if problem.Is(err, problem.Invalid) || problem.Is(err, problem.Conflict) {
		f.AddProblem(err)
		if onReset {
			f.Values.Del("password")
			p.accountPage(w, r, http.StatusUnprocessableEntity, a, f, nil)
		} else {
			p.accountPage(w, r, http.StatusUnprocessableEntity, a, nil, f)
		}
		return nil
	}
	if err != nil {
		return err
	}
	p.kit.Flash(w, r, flash)
	http.Redirect(w, r, "/admin/staff/"+url.PathEscape(a.Username), http.StatusSeeOther)
	return nil
}

func (p *pages) assign(w http.ResponseWriter, r *http.Request) error {
	return p.change(w, r, "flash.staff.assigned", func(op staff.Operator, f *web.Form) error {
		return p.svc.Assign(r.Context(), op, r.PathValue("username"), auth.Role(f.Get("role")), f.Get("unit_code"))
	}, false)
}

func (p *pages) resetPassword(w http.ResponseWriter, r *http.Request) error {
	return p.change(w, r, "flash.staff.password_reset", func(op staff.Operator, f *web.Form) error {
		return p.svc.ResetPassword(r.Context(), op, r.PathValue("username"), f.Values.Get("password"), true)
	}, true)
}

func (p *pages) enable(w http.ResponseWriter, r *http.Request) error {
	return p.change(w, r, "flash.staff.enabled", func(op staff.Operator, f *web.Form) error {
		return p.svc.SetDisabled(r.Context(), op, r.PathValue("username"), false)
	}, false)
}

func (p *pages) unlock(w http.ResponseWriter, r *http.Request) error {
	return p.change(w, r, "flash.staff.unlocked", func(op staff.Operator, f *web.Form) error {
		pr := *op.Principal
		return p.svc.Unlock(r.Context(), pr.ActorID(), op.Remote, r.PathValue("username"))
	}, false)
}

// confirmDisable asks before disabling: the holder is signed out at once
// and cannot sign in until an administrator enables the account again.
func (p *pages) confirmDisable(w http.ResponseWriter, r *http.Request) error {
	op, _ := operator(r)
	a, err := p.svc.Account(r.Context(), op, r.PathValue("username"))
	if err != nil {
		return err
	}
	p.kit.Render(w, r, http.StatusOK, "disable", "staffui.disable.title", "staff", formView{Account: a})
	return nil
}

func (p *pages) disable(w http.ResponseWriter, r *http.Request) error {
	return p.change(w, r, "flash.staff.disabled", func(op staff.Operator, f *web.Form) error {
		return p.svc.SetDisabled(r.Context(), op, r.PathValue("username"), true)
	}, false)
}

type passwordView struct {
	Form   *web.Form
	Forced bool // the account must change its password before anything else
}

func (p *pages) passwordForm(w http.ResponseWriter, r *http.Request) error {
	sess, _ := staff.SessionFrom(r.Context())
	p.kit.Render(w, r, http.StatusOK, "password", "staffui.password.title", "password",
		passwordView{Form: p.kit.NewForm(r, nil), Forced: sess.Account.MustChangePassword})
	return nil
}

// changePassword changes the officer's own password; their sessions end
// with it, so they sign in again with the new one.
func (p *pages) changePassword(w http.ResponseWriter, r *http.Request) error {
	if err := p.kit.ParseForm(w, r, maxForm); err != nil {
		return err
	}
	_, pr := operator(r)
	sess, _ := staff.SessionFrom(r.Context())
	f := p.kit.NewForm(r, nil)
	current, next, again := r.PostForm.Get("current_password"), r.PostForm.Get("new_password"), r.PostForm.Get("new_password_again")
	var err error
	if next != again {
		f.Fail("new_password_again", "staffui.error.mismatch")
	} else {
		err = p.svc.ChangePassword(r.Context(), pr, httpx.ClientIP(r), current, next)
	}
	if problem.Is(err, problem.Invalid) {
		f.AddProblem(err)
	} else if err != nil {
		return err
	}
	if f.Failed() {
		p.kit.Render(w, r, http.StatusUnprocessableEntity, "password", "staffui.password.title", "password",
			passwordView{Form: f, Forced: sess.Account.MustChangePassword})
		return nil
	}
	// The change ended every session of the account, this one too:
	// sign in again with the new password, which also proves it.
	if _, err := p.svc.SignIn(w, r, pr.Username, next); err != nil {
		var rl *staff.RateLimitError
		if errors.As(err, &rl) {
			http.Redirect(w, r, "/login", http.StatusSeeOther)
			return nil
		}
		return err
	}
	p.kit.Flash(w, r, "flash.staff.password_changed")
	http.Redirect(w, r, "/", http.StatusSeeOther)
	return nil
}
