// Package identityui is the staff pages of the electronic identity: the
// police officer's level-2 page, and in the demo the outbox where the
// one-time codes "sent" to phones are shown.
package identityui

import (
	"embed"
	"io/fs"
	"net/http"

	"github.com/populus-vn/populus/internal/auth"
	"github.com/populus-vn/populus/internal/httpx"
	"github.com/populus-vn/populus/internal/identity"
	"github.com/populus-vn/populus/internal/problem"
	"github.com/populus-vn/populus/internal/web"
)

//go:embed templates/*.html messages/*.json
var files embed.FS

// Module returns the pages over svc; the outbox page is served only when
// outbox is not nil (the demo).
func Module(svc *identity.Service, outbox *identity.Outbox) web.Module {
	tpl, _ := fs.Sub(files, "templates")
	msgs, _ := fs.Sub(files, "messages")
	return web.Module{
		Name: "identity", Templates: tpl, Messages: msgs,
		Menu: []web.MenuEntry{
			{Path: "/identity/level2", Label: "identity.nav.level2", Nav: "identity", Actions: []auth.Action{identity.RaiseLevel}},
			{Path: "/identity/recovery", Label: "identity.nav.recovery", Nav: "identity", Actions: []auth.Action{identity.RecoverAccount}},
		},
		Routes: func(k *web.Kit) []httpx.Route {
			p := &pages{k: k, svc: svc, outbox: outbox}
			rs := []httpx.Route{
				{Pattern: "GET /identity/level2", Access: httpx.AccessStaff, Handler: k.Page(p.level2Form)},
				{Pattern: "POST /identity/level2", Access: httpx.AccessStaff, Handler: k.Page(p.level2Submit)},
				{Pattern: "GET /identity/recovery", Access: httpx.AccessStaff, Handler: k.Page(p.recoveryForm)},
				{Pattern: "POST /identity/recovery", Access: httpx.AccessStaff, Handler: k.Page(p.recoverySubmit)},
			}
			if outbox != nil {
				rs = append(rs, httpx.Route{Pattern: "GET /identity/outbox", Access: httpx.AccessPublic, Handler: k.Page(p.outboxPage)})
			}
			return rs
		},
	}
}

type pages struct {
	k      *web.Kit
	svc    *identity.Service
	outbox *identity.Outbox
}

// level2View is the form and, after a raise, the account raised.
type level2View struct {
	Form   *web.Form
	Fields []web.FormField
}

func (p *pages) level2View(f *web.Form) level2View {
	return level2View{Form: f, Fields: cardFields(f)}
}

// cardFields are the PIN and the card number read from the chip.
func cardFields(f *web.Form) []web.FormField {
	pin := f.Field(fieldPIN, inputPIN, true)
	pin.Label = "identity.field.pin"
	card := f.Field(fieldCard, inputText, true)
	card.Label = "identity.field.card_number"
	return []web.FormField{pin, card}
}

func (p *pages) recoveryView(f *web.Form) level2View {
	phone := f.Field(fieldPhone, inputTel, true)
	phone.Label = "identity.field.phone"
	return level2View{Form: f, Fields: append(cardFields(f), phone)}
}

// recoveryForm is the police officer's page that gives an account back to
// the holder of the chip card checked in person.
func (p *pages) recoveryForm(w http.ResponseWriter, r *http.Request) error {
	pr, err := auth.MustFromContext(r.Context())
	if err != nil {
		return err
	}
	if !auth.CanFrom(pr, identity.RecoverAccount) {
		return problem.New(problem.Forbidden, "only a police officer recovers an account")
	}
	f := p.k.NewForm(r, nil)
	f.Values.Set("pin", r.URL.Query().Get("pin"))
	p.k.Render(w, r, http.StatusOK, "recovery", "identity.recovery.title", "identity", p.recoveryView(f))
	return nil
}

func (p *pages) recoverySubmit(w http.ResponseWriter, r *http.Request) error {
	pr, err := auth.MustFromContext(r.Context())
	if err != nil {
		return err
	}
	if err := p.k.ParseForm(w, r, maxForm); err != nil {
		return err
	}
	f := p.k.NewForm(r, r.PostForm)
	_, err = p.svc.Recover(r.Context(), pr, identity.RecoveryRequest{PIN: f.Get(fieldPIN), CardNumber: f.Get(fieldCard), Phone: f.Get(fieldPhone)})
	if err == nil {
		p.k.Flash(w, r, "flash.identity.recovered")
		http.Redirect(w, r, "/identity/recovery", http.StatusSeeOther)
		return nil
	}
	switch kind := problem.KindOf(err); kind {
	case problem.Invalid, problem.Conflict, problem.NotFound:
		f.AddProblem(err)
		p.k.Render(w, r, kind.Status(), "recovery", "identity.recovery.title", "identity", p.recoveryView(f))
		return nil
	}
	return err
}

func (p *pages) level2Form(w http.ResponseWriter, r *http.Request) error {
	pr, err := auth.MustFromContext(r.Context())
	if err != nil {
		return err
	}
	if !auth.CanFrom(pr, identity.RaiseLevel) {
		return problem.New(problem.Forbidden, "only a police officer raises an account to level 2")
	}
	f := p.k.NewForm(r, nil)
	f.Values.Set("pin", r.URL.Query().Get("pin"))
	p.k.Render(w, r, http.StatusOK, "level2", "identity.level2.title", "identity", p.level2View(f))
	return nil
}

// The form's fields and their input types (names, not messages).
const (
	fieldPIN, fieldCard, fieldPhone = "pin", "card_number", "phone"
	inputPIN, inputText, inputTel   = "pin", "text", "tel"
)

// maxForm bounds the level-2 form.
const maxForm = 8 << 10

func (p *pages) level2Submit(w http.ResponseWriter, r *http.Request) error {
	pr, err := auth.MustFromContext(r.Context())
	if err != nil {
		return err
	}
	if err := p.k.ParseForm(w, r, maxForm); err != nil {
		return err
	}
	f := p.k.NewForm(r, r.PostForm)
	_, err = p.svc.RaiseToLevel2(r.Context(), pr, identity.Level2Request{PIN: f.Get(fieldPIN), CardNumber: f.Get(fieldCard)})
	if err == nil {
		p.k.Flash(w, r, "flash.identity.level2")
		http.Redirect(w, r, "/identity/level2", http.StatusSeeOther)
		return nil
	}
	switch kind := problem.KindOf(err); kind {
	case problem.Invalid, problem.Conflict, problem.NotFound:
		f.AddProblem(err)
		p.k.Render(w, r, kind.Status(), "level2", "identity.level2.title", "identity", p.level2View(f))
		return nil
	}
	return err
}

func (p *pages) outboxPage(w http.ResponseWriter, r *http.Request) error {
	ms, err := p.outbox.Recent(r.Context(), 50)
	if err != nil {
		return err
	}
	p.k.Render(w, r, http.StatusOK, "outbox", "identity.outbox.title", "", ms)
	return nil
}
