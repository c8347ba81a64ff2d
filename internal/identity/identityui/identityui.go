// Package identityui is the staff pages of the electronic identity: the
// police officer's level-2 page, and in the demo the outbox where the
// one-time codes "sent" to phones are shown.
package identityui

import (
	"context"
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
			{Path: "/identity/level2", Label: "identity.nav.level2", Nav: "identity-level2", Actions: []auth.Action{identity.RaiseLevel}},
			{Path: "/identity/recovery", Label: "identity.nav.recovery", Nav: "identity-recovery", Actions: []auth.Action{identity.RecoverAccount}},
		},
		Routes: func(k *web.Kit) []httpx.Route {
			p := &pages{k: k, svc: svc, outbox: outbox}
			var rs []httpx.Route
			for _, c := range p.counters() {
				rs = append(rs,
					httpx.Route{Pattern: "GET /identity/" + c.Name, Access: httpx.AccessStaff, Handler: k.Page(p.counterForm(c))},
					httpx.Route{Pattern: "POST /identity/" + c.Name, Access: httpx.AccessStaff, Handler: k.Page(p.counterSubmit(c))})
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

// counter is a police officer's act at the counter, after checking the
// holder's chip card in person: its page (template counter.html, its
// messages identity.<Name>.*, at /identity/<Name>), the action that allows
// it, what it asks beyond the PIN and the card, and what it does.
type counter struct {
	Name   string
	action auth.Action
	// refused is the page's refusal to an officer without the action.
	refused string
	phone   bool
	do      func(ctx context.Context, pr auth.Principal, f *web.Form) error
}

// counters are the officer's acts: raising an account to level 2, and
// giving it back to the card's holder.
func (p *pages) counters() []counter {
	return []counter{
		{Name: "level2", action: identity.RaiseLevel, refused: "only a police officer raises an account to level 2",
			do: func(ctx context.Context, pr auth.Principal, f *web.Form) error {
				_, err := p.svc.RaiseToLevel2(ctx, pr, identity.Level2Request{PIN: f.Get(fieldPIN), CardNumber: f.Get(fieldCard), CardIssued: f.Date(fieldIssued)})
				return err
			}},
		{Name: "recovery", action: identity.RecoverAccount, refused: "only a police officer recovers an account", phone: true,
			do: func(ctx context.Context, pr auth.Principal, f *web.Form) error {
				_, err := p.svc.Recover(ctx, pr, identity.RecoveryRequest{PIN: f.Get(fieldPIN), CardNumber: f.Get(fieldCard), CardIssued: f.Date(fieldIssued), Phone: f.Get(fieldPhone)})
				return err
			}},
	}
}

// counterView is a counter page's form.
type counterView struct {
	Page   counter
	Form   *web.Form
	Fields []web.FormField
}

// view is c's form: the PIN, the card number read from the chip, the
// card's date of issue, and the holder's phone where c asks for one.
func (c counter) view(f *web.Form) counterView {
	pin := f.Field(fieldPIN, inputPIN, true)
	pin.Label = "identity.field.pin"
	card := f.Field(fieldCard, inputText, true)
	card.Label = "identity.field.card_number"
	issued := f.Field(fieldIssued, inputDate, true)
	issued.Label = "identity.field.card_issued"
	fields := []web.FormField{pin, card, issued}
	if c.phone {
		phone := f.Field(fieldPhone, inputTel, true)
		phone.Label = "identity.field.phone"
		fields = append(fields, phone)
	}
	return counterView{Page: c, Form: f, Fields: fields}
}

func (p *pages) counterForm(c counter) func(w http.ResponseWriter, r *http.Request) error {
	return func(w http.ResponseWriter, r *http.Request) error {
		pr, err := auth.MustFromContext(r.Context())
		if err != nil {
			return err
		}
		if !auth.CanFrom(pr, c.action) {
			return problem.New(problem.Forbidden, "%s", c.refused)
		}
		f := p.k.NewForm(r, nil)
		f.Values.Set(fieldPIN, r.URL.Query().Get(fieldPIN))
		p.k.Render(w, r, http.StatusOK, "counter", "identity."+c.Name+".title", "identity-"+c.Name, c.view(f))
		return nil
	}
}

func (p *pages) counterSubmit(c counter) func(w http.ResponseWriter, r *http.Request) error {
	return func(w http.ResponseWriter, r *http.Request) error {
		pr, err := auth.MustFromContext(r.Context())
		if err != nil {
			return err
		}
		if err := p.k.ParseForm(w, r, maxForm); err != nil {
			return err
		}
		f := p.k.NewForm(r, r.PostForm)
		err = c.do(r.Context(), pr, f)
		if err == nil {
			p.k.Flash(w, r, "flash.identity."+c.Name)
			http.Redirect(w, r, "/identity/"+c.Name, http.StatusSeeOther)
			return nil
		}
		switch kind := problem.KindOf(err); kind {
		case problem.Invalid, problem.Conflict, problem.NotFound:
			f.AddProblem(err)
			p.k.Render(w, r, kind.Status(), "counter", "identity."+c.Name+".title", "identity-"+c.Name, c.view(f))
			return nil
		}
		return err
	}
}

// The form's fields and their input types (names, not messages).
const (
	fieldPIN, fieldCard, fieldPhone, fieldIssued = "pin", "card_number", "phone", "card_issued"
	inputPIN, inputText, inputTel, inputDate     = "pin", "text", "tel", "date"
)

// maxForm bounds the counter forms.
const maxForm = 8 << 10

func (p *pages) outboxPage(w http.ResponseWriter, r *http.Request) error {
	ms, err := p.outbox.Recent(r.Context(), 50)
	if err != nil {
		return err
	}
	p.k.Render(w, r, http.StatusOK, "outbox", "identity.outbox.title", "", ms)
	return nil
}
