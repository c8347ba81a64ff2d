// Package exampleui is the page of the worked example (package example):
// a web.Module with its template, its messages and its menu entry.
package exampleui

import (
	"embed"
	"io/fs"
	"net/http"

	"github.com/populus-vn/populus/internal/auth"
	"github.com/populus-vn/populus/internal/example"
	"github.com/populus-vn/populus/internal/httpx"
	"github.com/populus-vn/populus/internal/web"
)

//go:embed templates/*.html messages/*.json
var files embed.FS

// Module returns the notices page, /example/notices, with its menu entry.
func Module(n *example.Notices) web.Module {
	tpl, _ := fs.Sub(files, "templates")
	msgs, _ := fs.Sub(files, "messages")
	return web.Module{
		Name: "example", Templates: tpl, Messages: msgs,
		Menu: []web.MenuEntry{{Path: "/example/notices", Label: "example.nav", Nav: "example", Actions: []auth.Action{example.ReadNotices}}},
		Routes: func(k *web.Kit) []httpx.Route {
			return []httpx.Route{{Pattern: "GET /example/notices", Access: httpx.AccessStaff,
				Handler: k.Page(func(w http.ResponseWriter, r *http.Request) error {
					p, err := auth.MustFromContext(r.Context())
					if err != nil {
						return err
					}
					ns, err := n.List(r.Context(), p, 50)
					if err != nil {
						return err
					}
					k.Render(w, r, http.StatusOK, "notices", "example.title", "example", ns)
					return nil
				})}}
		},
	}
}
