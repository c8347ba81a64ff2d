// Package usageui is the citizen's "who used my data" page in the portal,
// /eid/me/usage.
package usageui

import (
	"embed"
	"io/fs"
	"net/http"

	"github.com/populus-vn/populus/internal/auth"
	"github.com/populus-vn/populus/internal/httpx"
	"github.com/populus-vn/populus/internal/usage"
	"github.com/populus-vn/populus/internal/web"
)

//go:embed templates/*.html messages/*.json
var files embed.FS

// Path is the page's path.
const Path = "/eid/me/usage"

// Module returns the page over the service s.
func Module(s *usage.Service) web.Module {
	tpl, _ := fs.Sub(files, "templates")
	msgs, _ := fs.Sub(files, "messages")
	return web.Module{
		Name: "usage", Templates: tpl, Messages: msgs,
		Routes: func(k *web.Kit) []httpx.Route {
			return []httpx.Route{{Pattern: "GET " + Path, Access: httpx.AccessCitizenLevel2,
				Handler: k.Page(func(w http.ResponseWriter, r *http.Request) error {
					pr, err := auth.MustFromContext(r.Context())
					if err != nil {
						return err
					}
					page, err := httpx.ParsePage(r, usage.DefaultLimit, usage.MaxLimit)
					if err != nil {
						return err
					}
					p, err := s.Usage(r.Context(), pr, page.Cursor, page.Limit)
					if err != nil {
						return err
					}
					k.Render(w, r, http.StatusOK, "usage", "usage.title", "", p)
					return nil
				})}}
		},
	}
}
