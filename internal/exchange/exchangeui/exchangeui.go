// Package exchangeui is the administrators' page of the data exchange
// (package exchange): the members within reach with their subsystems,
// the catalogue of services and purposes, the rights; a member added or
// revoked from it.
package exchangeui

import (
	"embed"
	"errors"
	"io/fs"
	"net/http"
	"net/url"

	"github.com/populus-vn/populus/internal/auth"
	"github.com/populus-vn/populus/internal/exchange"
	"github.com/populus-vn/populus/internal/httpx"
	"github.com/populus-vn/populus/internal/problem"
	"github.com/populus-vn/populus/internal/web"
)

//go:embed templates/*.html messages/*.json
var files embed.FS

// Module returns the page /exchange with its menu entry.
func Module(x *exchange.Exchange) web.Module {
	tpl, _ := fs.Sub(files, "templates")
	msgs, _ := fs.Sub(files, "messages")
	return web.Module{
		Name: "exchange", Templates: tpl, Messages: msgs,
		Menu: []web.MenuEntry{{Path: "/exchange", Label: "exchangeui.nav", Nav: "exchange", Actions: []auth.Action{exchange.ManageExchange}}},
		Routes: func(k *web.Kit) []httpx.Route {
			p := &pages{k: k, x: x}
			return []httpx.Route{
				k.StaffPage("GET /exchange", p.list),
				k.StaffPage("POST /exchange/members", p.add),
				k.StaffPage("POST /exchange/revoke", p.revoke),
			}
		},
	}
}

type pages struct {
	k *web.Kit
	x *exchange.Exchange
}

type view struct {
	exchange.Manage
	Form *web.Form
}

func (p *pages) render(w http.ResponseWriter, r *http.Request, status int, f *web.Form) error {
	pr, err := auth.MustFromContext(r.Context())
	if err != nil {
		return err
	}
	m, err := p.x.Overview(r.Context(), pr)
	if err != nil {
		return err
	}
	p.k.Render(w, r, status, "exchange", "exchangeui.title", "exchange", view{Manage: m, Form: f})
	return nil
}

func (p *pages) list(w http.ResponseWriter, r *http.Request) error {
	pr, _ := auth.MustFromContext(r.Context())
	return p.render(w, r, http.StatusOK, p.k.NewForm(r, url.Values{"unit_code": {pr.Unit}}))
}

// formFields maps the exchange's field names to the form's.
var formFields = map[string]string{"id": "member_id", "name": "member_name"}

func (p *pages) add(w http.ResponseWriter, r *http.Request) error {
	if err := p.k.ParseForm(w, r, 16<<10); err != nil {
		return err
	}
	pr, err := auth.MustFromContext(r.Context())
	if err != nil {
		return err
	}
	f := p.k.NewForm(r, r.PostForm)
	_, err = p.x.AdminAddMember(r.Context(), pr, exchange.Member{ID: f.Get("member_id"), Name: f.Get("member_name"), Unit: f.Get("unit_code")})
	if err != nil {
		if !problem.Is(err, problem.Invalid) {
			return err
		}
		var pe *problem.Error
		if errors.As(err, &pe) {
			for i, fe := range pe.Fields {
				if n, ok := formFields[fe.Field]; ok {
					pe.Fields[i].Field = n
				}
			}
		}
		f.AddProblem(err)
		return p.render(w, r, http.StatusUnprocessableEntity, f)
	}
	p.k.Flash(w, r, "flash.exchange.added")
	http.Redirect(w, r, "/exchange", http.StatusSeeOther)
	return nil
}

func (p *pages) revoke(w http.ResponseWriter, r *http.Request) error {
	if err := p.k.ParseForm(w, r, 4<<10); err != nil {
		return err
	}
	pr, err := auth.MustFromContext(r.Context())
	if err != nil {
		return err
	}
	if err := p.x.AdminRevoke(r.Context(), pr, r.PostForm.Get("id")); err != nil {
		return err
	}
	p.k.Flash(w, r, "flash.exchange.revoked")
	http.Redirect(w, r, "/exchange", http.StatusSeeOther)
	return nil
}
