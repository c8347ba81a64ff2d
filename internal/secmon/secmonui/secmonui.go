// Package secmonui is the security events' page in the staff UI: a
// web.Module with its template, its messages and its menu entry, kept apart
// from package secmon so that the monitor never imports the UI.
package secmonui

import (
	"context"
	"embed"
	"html/template"
	"io/fs"
	"net/http"
	"strconv"

	"github.com/populus-vn/populus/internal/auth"
	"github.com/populus-vn/populus/internal/httpx"
	"github.com/populus-vn/populus/internal/secmon"
	"github.com/populus-vn/populus/internal/web"
)

//go:embed templates/*.html messages/*.json
var files embed.FS

// Events is what the page reads (*secmon.Monitor).
type Events interface {
	Events(ctx context.Context, p auth.Principal, before int64, limit int) ([]secmon.Event, int64, error)
}

var _ Events = (*secmon.Monitor)(nil)

// Module returns the security events' page, /security, with its menu entry,
// shown to whoever may read the events from their scope (a nation-wide
// auditor).
func Module(ev Events) web.Module {
	tpl, _ := fs.Sub(files, "templates")
	msgs, _ := fs.Sub(files, "messages")
	return web.Module{
		Name:      "security",
		Templates: tpl,
		Messages:  msgs,
		Funcs:     func(l web.Locale) template.FuncMap { return funcs(l) },
		Menu:      []web.MenuEntry{{Path: "/security", Label: "security.nav", Nav: "security", Actions: []auth.Action{secmon.ReadEvents}}},
		Routes: func(k *web.Kit) []httpx.Route {
			p := &page{kit: k, ev: ev}
			return []httpx.Route{{Pattern: "GET /security", Handler: k.Page(p.events), Access: httpx.AccessStaff}}
		},
	}
}

type page struct {
	kit *web.Kit
	ev  Events
}

const pageSize = 50

type view struct {
	Events      []secmon.Event
	First, Next string
}

// events is the page: the events, newest first. secmon.Monitor.Events
// checks who may read them and records the read.
func (s *page) events(w http.ResponseWriter, r *http.Request) error {
	p, err := auth.MustFromContext(r.Context())
	if err != nil {
		return err
	}
	var before int64
	if c := r.URL.Query().Get("cursor"); c != "" {
		before, _ = strconv.ParseInt(c, 10, 64) // a bad cursor starts at the newest
	}
	events, last, err := s.ev.Events(r.Context(), p, before, pageSize)
	if err != nil {
		return err
	}
	v := view{Events: events}
	if before > 0 {
		v.First = "/security"
	}
	if last > 0 {
		v.Next = "/security?cursor=" + strconv.FormatInt(last, 10)
	}
	s.kit.Render(w, r, http.StatusOK, "security", "security.title", "security", v)
	return nil
}
