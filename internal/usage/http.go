package usage

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
func (*Service) OpenAPI() []byte { return openAPI }

// Routes returns the capability's API: the person's accesses (citizen)
// and the covert flags (police officers). It may be called on a nil
// *Service, to list them.
func (s *Service) Routes() []httpx.Route {
	return []httpx.Route{
		{Pattern: "GET /api/v1/usage/me", Handler: httpx.Handle(s.getUsage), Access: httpx.AccessCitizenLevel2},
		{Pattern: "POST /api/v1/usage/covert", Handler: httpx.Command(s.Flag, 4<<10), Access: httpx.AccessStaff},
	}
}

// getUsage answers GET /api/v1/usage/me?limit=&cursor= (or &offset=, as
// findUsage pages).
func (s *Service) getUsage(w http.ResponseWriter, r *http.Request) error {
	pr, err := auth.MustFromContext(r.Context())
	if err != nil {
		return err
	}
	page, err := httpx.ParsePage(r, DefaultLimit, MaxLimit)
	if err != nil {
		return err
	}
	var out Page
	if o := r.URL.Query().Get("offset"); o != "" {
		n, err := strconv.Atoi(o)
		if err != nil {
			return problem.Field("offset", "must be a whole number from 0 to %d", MaxOffset)
		}
		if page.Cursor != "" {
			return problem.Field("offset", "must be left out with a cursor")
		}
		out, err = s.FindUsage(r.Context(), pr, n, page.Limit)
		if err != nil {
			return err
		}
		return httpx.WriteJSON(w, http.StatusOK, out)
	}
	out, err = s.Usage(r.Context(), pr, page.Cursor, page.Limit)
	if err != nil {
		return err
	}
	return httpx.WriteJSON(w, http.StatusOK, out)
}
