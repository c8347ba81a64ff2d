// Package eventsui is the administrators' page of change subscriptions:
// every member system's subscriptions and the state of their deliveries
// (a web.Module, apart from package events so that it never imports the
// UI).
package eventsui

import (
	"context"
	"embed"
	"io/fs"
	"net/http"

	"github.com/populus-vn/populus/internal/auth"
	"github.com/populus-vn/populus/internal/events"
	"github.com/populus-vn/populus/internal/httpx"
	"github.com/populus-vn/populus/internal/web"
)

//go:embed templates/*.html messages/*.json
var files embed.FS

// Subscriptions is what the page reads (*events.Service).
type Subscriptions interface {
	List(ctx context.Context, p auth.Principal) ([]events.Subscription, error)
}

var _ Subscriptions = (*events.Service)(nil)

// Module returns the page /events with its menu entry, shown to whoever may
// read the subscriptions (a nation-wide administrator).
func Module(s Subscriptions) web.Module {
	tpl, _ := fs.Sub(files, "templates")
	msgs, _ := fs.Sub(files, "messages")
	return web.Module{
		Name:      "events",
		Templates: tpl,
		Messages:  msgs,
		Menu:      []web.MenuEntry{{Path: "/events", Label: "changes.nav", Nav: "events", Actions: []auth.Action{events.ReadSubscriptions}}},
		Routes: func(k *web.Kit) []httpx.Route {
			p := &page{kit: k, s: s}
			return []httpx.Route{{Pattern: "GET /events", Handler: k.Page(p.list), Access: httpx.AccessStaff}}
		},
	}
}

type page struct {
	kit *web.Kit
	s   Subscriptions
}

// list is the page; events.Service.List decides who may read it.
func (pg *page) list(w http.ResponseWriter, r *http.Request) error {
	p, err := auth.MustFromContext(r.Context())
	if err != nil {
		return err
	}
	subs, err := pg.s.List(r.Context(), p)
	if err != nil {
		return err
	}
	pg.kit.Render(w, r, http.StatusOK, "events", "changes.title", "events", subs)
	return nil
}
