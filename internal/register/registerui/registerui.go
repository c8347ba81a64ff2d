// Package registerui is the population register's pages in the staff UI:
// searching the register, person and household pages with their history,
// and the forms of the civil events. It is a web.Module with its
// templates, their functions, its messages, its menu entries, its cards
// on the dashboard and its routes, kept apart from package register so
// that the register itself never imports the UI.
//
// The pages decide nothing about who may do what: the register checks
// every call and answers Forbidden, rendered as a 403 page.
package registerui

import (
	"context"
	"embed"
	"io/fs"
	"net/http"

	"github.com/populus-vn/populus/internal/auth"
	"github.com/populus-vn/populus/internal/civil"
	"github.com/populus-vn/populus/internal/httpx"
	"github.com/populus-vn/populus/internal/people"
	"github.com/populus-vn/populus/internal/register"
	"github.com/populus-vn/populus/internal/web"
)

//go:embed templates/*.html messages/*.json
var files embed.FS

// Register is what the pages need of the population register;
// *register.Register provides it.
type Register interface {
	Get(ctx context.Context, p auth.Principal, pin string) (people.Person, error)
	GetAsOf(ctx context.Context, p auth.Principal, pin string, d civil.Date) (people.Person, error)
	History(ctx context.Context, p auth.Principal, pin string) ([]people.Event, error)
	Search(ctx context.Context, p auth.Principal, q register.Query) ([]people.Person, string, error)
	Count(ctx context.Context, p auth.Principal, q register.Query) (int, error)
	Household(ctx context.Context, p auth.Principal, id string) (people.Household, []people.Member, error)
	HouseholdAsOf(ctx context.Context, p auth.Principal, id string, d civil.Date) (people.Household, []people.Member, error)
	RegisterBirth(ctx context.Context, p auth.Principal, b people.BirthRegistration) (people.Person, error)
	RegisterDeath(ctx context.Context, p auth.Principal, d people.DeathRegistration) (people.Person, error)
	RegisterMarriage(ctx context.Context, p auth.Principal, m people.MarriageRegistration) ([]people.Person, error)
	RecordDivorce(ctx context.Context, p auth.Principal, d people.DivorceRecord) ([]people.Person, error)
	RegisterResidence(ctx context.Context, p auth.Principal, rr people.ResidenceRegistration) (people.Person, error)
	RemoveResidence(ctx context.Context, p auth.Principal, rr people.ResidenceRemoval) (people.Person, error)
	Correct(ctx context.Context, p auth.Principal, c people.Correction) (people.Person, error)
	Annul(ctx context.Context, p auth.Principal, a people.Annulment) (people.Person, error)
	ChangeHead(ctx context.Context, p auth.Principal, hc people.HeadChange) (people.Person, error)
}

var _ Register = (*register.Register)(nil)

// Module returns the register's pages under /register/, with their menu
// entries (search, civil events) and their cards on the dashboard (search,
// open a record by PIN, the civil-event forms), each shown to whoever may
// use it from their scope.
func Module(reg Register) web.Module {
	tpl, _ := fs.Sub(files, "templates")
	msgs, _ := fs.Sub(files, "messages")
	return web.Module{
		Name:      "register",
		Templates: tpl,
		Funcs:     funcs,
		Messages:  msgs,
		Menu: []web.MenuEntry{
			{Path: "/register/search", Label: "nav.search", Nav: "search", Actions: []auth.Action{auth.SearchRegister}},
			{Path: "/register/events", Label: "nav.events", Nav: "events", Actions: eventActions()},
		},
		Cards: func(k *web.Kit) []web.Card {
			form := func(r *http.Request) any { return k.NewForm(r, nil) }
			return []web.Card{
				{Template: "card-search", Actions: []auth.Action{auth.SearchRegister}, Data: form},
				{Template: "card-pin", Actions: []auth.Action{auth.ReadPerson}, Data: pinCard(k)},
				{Template: "card-events", Actions: eventActions(), Data: func(r *http.Request) any {
					p, _ := auth.FromContext(r.Context())
					return allowedEvents(p)
				}},
			}
		},
		Routes: func(k *web.Kit) []httpx.Route {
			s := &pages{kit: k, reg: reg}
			page := func(pattern string, h func(http.ResponseWriter, *http.Request) error) httpx.Route {
				return httpx.Route{Pattern: pattern, Handler: k.Page(h), Access: httpx.AccessStaff}
			}
			rs := []httpx.Route{
				page("GET /register/search", s.search),
				page("GET /register/persons", s.openPerson),
				page("GET /register/persons/{pin}", s.person),
				page("GET /register/households/{id}", s.household),
				page("GET /register/events", s.eventIndex),
				page("GET /register/lookup", s.lookup),
			}
			// One GET (the form) and one POST per civil event, under
			// /register/events/: birth, death, marriage, divorce,
			// residence, residence-removal, correction (see eventForms).
			for _, ef := range eventForms {
				path := "/register/events/" + ef.slug
				rs = append(rs, page("GET "+path, s.eventForm(ef)), page("POST "+path, s.eventSubmit(ef)))
			}
			return rs
		},
	}
}

// pages are the register's page handlers.
type pages struct {
	kit *web.Kit
	reg Register
}

// eventActions are the actions of the civil-event forms: the events' menu
// entry and card show to whoever may use one.
func eventActions() []auth.Action {
	var as []auth.Action
	for _, ef := range eventForms {
		as = append(as, ef.action)
		if ef.also != "" {
			as = append(as, ef.also)
		}
	}
	return as
}
