package web

import (
	"net/http"
	"net/url"
	"strconv"

	"github.com/populus-vn/populus/internal/audit"
	"github.com/populus-vn/populus/internal/auth"
	"github.com/populus-vn/populus/internal/problem"
)

// auditPageSize is the number of entries on a page of the audit log.
const auditPageSize = 50

type auditView struct {
	Form        *form
	Entries     []audit.View
	First, Next string
}

// auditLog is the audit log's page: the entries about a PIN (every entry
// when none is given), newest first, for a nation-wide auditor or admin.
// audit.Log.Read checks who may read it and records the read.
func (s *Server) auditLog(w http.ResponseWriter, r *http.Request) error {
	p, _ := auth.FromContext(r.Context())
	f := newForm(r.URL.Query(), s.cat.Negotiate(r), s.cat)
	v := auditView{Form: f}
	var before int64
	if c := f.Get("cursor"); c != "" {
		before, _ = strconv.ParseInt(c, 10, 64) // a bad cursor starts at the newest
	}
	subject := f.Get("subject")
	entries, last, err := s.audit.Read(r.Context(), p, subject, before, auditPageSize)
	if problem.Is(err, problem.Invalid) {
		f.addProblem(err)
		s.render(w, r, http.StatusUnprocessableEntity, "audit", "audit.title", "audit", v)
		return nil
	}
	if err != nil {
		return err
	}
	v.Entries = entries
	page := url.Values{}
	if subject != "" {
		page.Set("subject", subject)
	}
	if before > 0 {
		v.First = "/audit?" + page.Encode()
	}
	if last > 0 {
		page.Set("cursor", strconv.FormatInt(last, 10))
		v.Next = "/audit?" + page.Encode()
	}
	s.render(w, r, http.StatusOK, "audit", "audit.title", "audit", v)
	return nil
}
