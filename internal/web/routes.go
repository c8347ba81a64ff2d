package web

import (
	"net/http"

	"github.com/populus-vn/populus/internal/auth"
	"github.com/populus-vn/populus/internal/httpx"
)

// Routes returns every page of the UI, each with its access: the server puts
// the guard of that access in front of it, writing refusals with
// RenderError. The JSON API under /api/v1/ is not here.
func (s *Server) Routes() []httpx.Route {
	page := func(pattern string, h handler) httpx.Route {
		return httpx.Route{Pattern: pattern, Handler: s.handle(h), Access: httpx.AccessStaff}
	}
	open := func(pattern string, h handler) httpx.Route {
		return httpx.Route{Pattern: pattern, Handler: s.handle(h), Access: httpx.AccessStaffOptional}
	}
	rs := []httpx.Route{
		{Pattern: "GET /static/", Handler: s.static(), Access: httpx.AccessPublic},
		open("GET /login", s.loginForm),
		open("POST /login", s.login),
		open("POST /logout", s.logout),
		open("GET /lang/{lang}", s.setLanguage),

		page("GET /{$}", s.dashboard),
	}
	for _, m := range s.mods {
		if m.Routes != nil {
			rs = append(rs, m.Routes(s.kit(m))...)
		}
	}
	return rs
}

// kit is what m's pages and cards use of the shell.
func (s *Server) kit(m Module) *Kit { return &Kit{s: s, module: m.Name} }

// RenderError writes err as an error page; the server's guards write the
// refusals of pages with it.
func (s *Server) RenderError(w http.ResponseWriter, r *http.Request, err error) {
	s.renderError(w, r, err)
}

// handler is a page handler that may fail; its error becomes an error page.
type handler func(w http.ResponseWriter, r *http.Request) error

func (s *Server) handle(h func(w http.ResponseWriter, r *http.Request) error) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// A page records each person it discloses once.
		r = r.WithContext(auth.WithDisclosedOnce(r.Context()))
		if err := h(w, r); err != nil {
			s.renderError(w, r, err)
		}
	})
}
