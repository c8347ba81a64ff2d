package example

import (
	_ "embed"
	"net/http"

	"github.com/populus-vn/populus/internal/auth"
	"github.com/populus-vn/populus/internal/httpx"
)

//go:embed openapi.json
var openAPI []byte

// OpenAPI is the fragment documenting Routes (httpx.Documented).
func (*Notices) OpenAPI() []byte { return openAPI }

// Routes returns the capability's API, for signed-in staff. It may be
// called on a nil *Notices, to list them.
func (n *Notices) Routes() []httpx.Route {
	return []httpx.Route{
		{Pattern: "GET /api/v1/example/notices", Handler: httpx.Handle(n.list), Access: httpx.AccessStaff},
		{Pattern: "POST /api/v1/example/notices", Handler: httpx.Command(n.Post, 4<<10), Access: httpx.AccessStaff},
	}
}

func (n *Notices) list(w http.ResponseWriter, r *http.Request) error {
	p, err := auth.MustFromContext(r.Context())
	if err != nil {
		return err
	}
	ns, err := n.List(r.Context(), p, 50)
	if err != nil {
		return err
	}
	if ns == nil {
		ns = []Notice{}
	}
	return httpx.WriteJSON(w, http.StatusOK, httpx.List[Notice]{Items: ns})
}
