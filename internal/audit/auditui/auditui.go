// Package auditui is the audit log's page in the staff UI: a web.Module
// with its template, its messages and its menu entry, kept apart from
// package audit so that the log itself never imports the UI.
package auditui

import (
	"context"
	"embed"
	"io/fs"
	"net/http"
	"net/url"
	"strconv"

	"github.com/populus-vn/populus/internal/audit"
	"github.com/populus-vn/populus/internal/auth"
	"github.com/populus-vn/populus/internal/httpx"
	"github.com/populus-vn/populus/internal/problem"
	"github.com/populus-vn/populus/internal/web"
)

//go:embed templates/*.html messages/*.json
var files embed.FS

// Log is what the audit log's page reads (*audit.Reader).
type Log interface {
	Read(ctx context.Context, p auth.Principal, subject string, before int64, limit int) ([]audit.View, int64, error)
}

var _ Log = (*audit.Reader)(nil)

// Module returns the audit log's page, /audit, with its menu entry, shown
// to whoever may read the log from their scope (a nation-wide auditor or
// administrator). accounts names the staff accounts of the entries (nil:
// they are shown by their IDs).
func Module(log Log, accounts Accounts) web.Module {
	tpl, _ := fs.Sub(files, "templates")
	msgs, _ := fs.Sub(files, "messages")
	return web.Module{
		Name:      "audit",
		Templates: tpl,
		Messages:  msgs,
		Menu:      []web.MenuEntry{{Path: "/audit", Label: "audit.nav", Nav: "audit", Actions: []auth.Action{auth.ReadAudit}}},
		Routes: func(k *web.Kit) []httpx.Route {
			p := &page{kit: k, log: log, accounts: accounts}
			return []httpx.Route{{Pattern: "GET /audit", Handler: k.Page(p.auditLog), Access: httpx.AccessStaff}}
		},
	}
}

type page struct {
	kit      *web.Kit
	log      Log
	accounts Accounts
}

// auditPageSize is the number of entries on a page of the audit log.
const auditPageSize = 50

type auditView struct {
	Form        *web.Form
	Entries     []row
	First, Next string
}

// auditLog is the audit log's page: the entries about a PIN (every entry
// when none is given), newest first, for a nation-wide auditor or admin.
// audit.Log.Read checks who may read it and records the read.
func (s *page) auditLog(w http.ResponseWriter, r *http.Request) error {
	p, _ := auth.FromContext(r.Context())
	f := s.kit.NewForm(r, r.URL.Query())
	v := auditView{Form: f}
	var before int64
	if c := f.Get("cursor"); c != "" {
		before, _ = strconv.ParseInt(c, 10, 64) // a bad cursor starts at the newest
	}
	subject := f.Get("subject")
	entries, last, err := s.log.Read(r.Context(), p, subject, before, auditPageSize)
	if problem.Is(err, problem.Invalid) {
		f.AddProblem(err)
		s.kit.Render(w, r, http.StatusUnprocessableEntity, "audit", "audit.title", "audit", v)
		return nil
	}
	if err != nil {
		return err
	}
	w2 := words{cat: s.kit.Catalog(), lang: s.kit.Lang(r)}
	if s.accounts != nil {
		if w2.actors, err = actorsOf(r.Context(), s.accounts, usernames(entries)); err != nil {
			return err
		}
	}
	v.Entries = w2.rows(entries, s.kit.UnitName(r))
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
	s.kit.Render(w, r, http.StatusOK, "audit", "audit.title", "audit", v)
	return nil
}
