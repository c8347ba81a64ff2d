package web

import (
	"net/http"

	"github.com/populus-vn/populus/internal/staff"
)

// Routes registers every page of the UI on mux. The JSON API under /api/v1/
// is not here; it shares the session guard (staff.Service.Protect).
//
// Each route is wrapped on its own, rather than the mux as a whole, so that
// the mux records the route pattern on the request the metrics see.
func (s *Server) Routes(mux *http.ServeMux) {
	mux.Handle("GET /static/", s.static())

	mux.Handle("GET /login", s.public(s.loginForm))
	mux.Handle("POST /login", s.public(s.login))
	mux.Handle("POST /logout", s.public(s.logout))
	mux.Handle("GET /lang/{lang}", s.public(s.setLanguage))

	mux.Handle("GET /{$}", s.page(s.dashboard))
	mux.Handle("GET /register/search", s.page(s.search))
	mux.Handle("GET /register/persons", s.page(s.openPerson))
	mux.Handle("GET /register/persons/{pin}", s.page(s.person))
	mux.Handle("GET /register/households/{id}", s.page(s.household))
	mux.Handle("GET /register/events", s.page(s.eventIndex))
	if s.audit != nil {
		mux.Handle("GET /audit", s.page(s.auditLog))
	}
	// One GET (the form) and one POST per civil event, under
	// /register/events/: birth, death, marriage, divorce, residence,
	// residence-removal, correction (see eventForms).
	for _, ef := range eventForms {
		path := "/register/events/" + ef.slug
		mux.Handle("GET "+path, s.page(s.eventForm(ef)))
		mux.Handle("POST "+path, s.page(s.eventSubmit(ef)))
	}
	if s.rec != nil {
		mux.Handle("GET /reconcile/jobs", s.page(s.recJobs))
		mux.Handle("POST /reconcile/jobs", s.page(s.recSubmit))
		mux.Handle("POST /reconcile/jobs/{id}/cancel", s.page(s.recCancel))
	}
}

// handler is a page handler that may fail; its error becomes an error page.
type handler func(w http.ResponseWriter, r *http.Request) error

// public serves a page that needs no sign-in, but knows the session if
// there is one (to leave the sign-in page for a signed-in officer).
func (s *Server) public(h handler) http.Handler {
	return s.staff.Protect(s.handle(h), s.renderError)
}

// page serves a page that needs a signed-in officer.
func (s *Server) page(h handler) http.Handler {
	return s.staff.Protect(staff.RequireSignIn(s.handle(h)), s.renderError)
}

func (s *Server) handle(h handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := h(w, r); err != nil {
			s.renderError(w, r, err)
		}
	})
}
