package web

import (
	"bytes"
	"html/template"
	"net/http"

	"github.com/populus-vn/populus/internal/auth"
	"github.com/populus-vn/populus/internal/staff"
)

// moduleCard is a card of the dashboard with the module that writes it.
type moduleCard struct {
	Card
	module string
}

type dashboardView struct {
	Cards []template.HTML // the cards the officer is shown, written
}

// dashboard is the home page: the modules' cards that the officer may use
// (auth.CanFrom, as for the menu), or a notice that there is none.
func (s *Server) dashboard(w http.ResponseWriter, r *http.Request) error {
	p, _ := auth.FromContext(r.Context())
	lang := s.cat.Negotiate(r)
	var v dashboardView
	for _, c := range s.cards {
		if !canOne(p, c.Actions) {
			continue
		}
		cv := view{Lang: lang, User: &p, CSRF: staff.CSRFToken(r.Context()), Path: r.URL.RequestURI(), Nav: "home", Demo: s.demo, Asset: s.assetV}
		if c.Data != nil {
			cv.Data = c.Data(r)
		}
		var buf bytes.Buffer
		if err := s.partials[lang][c.module].ExecuteTemplate(&buf, c.Template, cv); err != nil {
			return err
		}
		v.Cards = append(v.Cards, template.HTML(buf.String()))
	}
	s.render(w, r, http.StatusOK, "dashboard", "nav.home", "home", v)
	return nil
}
