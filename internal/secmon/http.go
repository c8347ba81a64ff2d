package secmon

import (
	_ "embed"
	"net/http"
	"strconv"

	"github.com/populus-vn/populus/internal/auth"
	"github.com/populus-vn/populus/internal/httpx"
	"github.com/populus-vn/populus/internal/problem"
)

//go:embed openapi.json
var openAPI []byte

// OpenAPI is the fragment documenting Routes (httpx.Documented).
func (*Monitor) OpenAPI() []byte { return openAPI }

// Routes returns the security events' API. It may be called on a nil
// *Monitor, to list them.
func (m *Monitor) Routes() []httpx.Route {
	return []httpx.Route{
		{Pattern: "GET /api/v1/security/events", Handler: httpx.Handle(m.list), Access: httpx.AccessStaff},
	}
}

// list answers GET /api/v1/security/events: the events, newest first,
// ?limit= at a time (1–200, default 50), ?cursor= being the next_cursor of
// the page before.
func (m *Monitor) list(w http.ResponseWriter, r *http.Request) error {
	p, err := auth.MustFromContext(r.Context())
	if err != nil {
		return err
	}
	page, err := httpx.ParsePage(r, 50, 200)
	if err != nil {
		return err
	}
	var before int64
	if page.Cursor != "" {
		if before, err = strconv.ParseInt(page.Cursor, 10, 64); err != nil || before <= 0 {
			return problem.Field("cursor", "not a cursor this API returned")
		}
	}
	events, last, err := m.Events(r.Context(), p, before, page.Limit)
	if err != nil {
		return err
	}
	out := httpx.List[Event]{Items: events}
	if last > 0 {
		out.NextCursor = strconv.FormatInt(last, 10)
	}
	return httpx.WriteJSON(w, http.StatusOK, out)
}
