// Package jobsui is the reconciliation jobs' page in the staff UI: a
// web.Module with its template, its messages and its menu entry, kept
// apart from package service so that the service never imports the UI.
//
// The page names the decisions with the report's messages: the catalog
// given to web.New holds report.Messages.
package jobsui

import (
	"context"
	"embed"
	"errors"
	"io/fs"
	"net/http"
	"net/url"

	"github.com/populus-vn/populus/internal/auth"
	"github.com/populus-vn/populus/internal/httpx"
	"github.com/populus-vn/populus/internal/problem"
	"github.com/populus-vn/populus/internal/reconcile/sector"
	"github.com/populus-vn/populus/internal/reconcile/service"
	"github.com/populus-vn/populus/internal/web"
)

//go:embed templates/*.html messages/*.json
var files embed.FS

// Module returns the reconciliation jobs' pages, /reconcile/jobs with its
// upload and cancel forms and the review of the records a job left for
// review (/reconcile/jobs/{id}/review), and their menu entry, shown to whoever may read
// the jobs. Its script, recjob.js, is one of the shell's static files.
func Module(rec Reconcile) web.Module {
	tpl, _ := fs.Sub(files, "templates")
	msgs, _ := fs.Sub(files, "messages")
	return web.Module{
		Name:      "reconcile",
		Templates: tpl,
		Messages:  msgs,
		Funcs:     funcs,
		Menu:      []web.MenuEntry{{Path: "/reconcile/jobs", Label: "recjob.nav", Nav: "recjobs", Actions: []auth.Action{auth.ReadReconcile}}},
		Cards: func(k *web.Kit) []web.Card {
			return []web.Card{{Template: "card-recjobs", Actions: []auth.Action{auth.SubmitReconcile}}}
		},
		Routes: func(k *web.Kit) []httpx.Route {
			s := &pages{kit: k, rec: rec}
			page := k.StaffPage
			return []httpx.Route{
				page("GET /reconcile/jobs", s.recJobs),
				page("POST /reconcile/jobs", s.recSubmit),
				page("POST /reconcile/jobs/{id}/cancel", s.recCancel),
				page("GET /reconcile/jobs/{id}/review", s.recReview),
				page("GET /reconcile/jobs/{id}/review/{line}", s.recReviewRecord),
				page("POST /reconcile/jobs/{id}/review/{line}", s.recDecide),
			}
		},
	}
}

type pages struct {
	kit *web.Kit
	rec Reconcile
}

// Reconcile is what the reconciliation jobs' page needs;
// *service.Service provides it. The service authorises and audits.
type Reconcile interface {
	Jobs(ctx context.Context, p auth.Principal, limit int, cursor string) ([]service.JobView, string, error)
	Submit(ctx context.Context, p auth.Principal, size int64, receive service.Receiver) (service.JobView, error)
	Receive(w http.ResponseWriter, r *http.Request) service.Receiver
	Cancel(ctx context.Context, p auth.Principal, id string) error
	Review
}

var _ Reconcile = (*service.Service)(nil)

// recJobsPageSize is the number of jobs on a page.
const recJobsPageSize = 20

type recJobsView struct {
	Jobs   []service.JobView
	Next   string // URL of the next page
	Active bool   // a job is queued or running: the list refreshes itself
	Form   *web.Form
	Kinds  []string
}

// recJobs is /reconcile/jobs: the member's jobs with their progress and
// results, and the upload form.
func (s *pages) recJobs(w http.ResponseWriter, r *http.Request) error {
	return s.renderRecJobs(w, r, http.StatusOK, s.kit.NewForm(r, nil))
}

func (s *pages) renderRecJobs(w http.ResponseWriter, r *http.Request, status int, f *web.Form) error {
	p, _ := auth.FromContext(r.Context())
	cursor := r.URL.Query().Get("cursor")
	jobs, next, err := s.rec.Jobs(r.Context(), p, recJobsPageSize, cursor)
	if problem.Is(err, problem.Invalid) && cursor != "" {
		jobs, next, err = s.rec.Jobs(r.Context(), p, recJobsPageSize, "")
	}
	if err != nil {
		return err
	}
	v := recJobsView{Jobs: jobs, Form: f}
	if next != "" {
		v.Next = "/reconcile/jobs?" + url.Values{"cursor": {next}}.Encode()
	}
	for _, j := range jobs {
		if !j.State.Finished() {
			v.Active = true
		}
	}
	for _, k := range sector.Kinds() {
		v.Kinds = append(v.Kinds, string(k))
	}
	s.kit.Render(w, r, status, "recjobs", "recjob.title", "recjobs", v)
	return nil
}

// recSubmit takes the upload form. Without script the session guard reads
// the form for its CSRF field, which bounds it to 1 MiB; recjob.js sends
// the token in the header instead, for files of any size.
func (s *pages) recSubmit(w http.ResponseWriter, r *http.Request) error {
	p, err := auth.MustFromContext(r.Context())
	if err != nil {
		return err
	}
	_, err = s.rec.Submit(r.Context(), p, r.ContentLength, s.rec.Receive(w, r))
	if err == nil {
		http.Redirect(w, r, "/reconcile/jobs", http.StatusSeeOther)
		return nil
	}
	switch problem.KindOf(err) {
	case problem.Invalid, problem.TooLarge, problem.RateLimited, problem.Unsupported:
		f := s.kit.NewForm(r, nil)
		if r.MultipartForm != nil {
			f.Values.Set("mapping", r.FormValue("mapping"))
			f.Values.Set("kind", r.FormValue("kind"))
		}
		f.AddProblem(err)
		if f.Detail == "" {
			var pe *problem.Error
			if errors.As(err, &pe) {
				f.Detail = pe.Detail
			}
		}
		return s.renderRecJobs(w, r, problem.BodyOf(err, "").Status, f)
	}
	return err
}

// recCancel cancels a job from the list.
func (s *pages) recCancel(w http.ResponseWriter, r *http.Request) error {
	p, _ := auth.FromContext(r.Context())
	if err := s.rec.Cancel(r.Context(), p, r.PathValue("id")); err != nil && !problem.Is(err, problem.Conflict) {
		return err
	}
	http.Redirect(w, r, "/reconcile/jobs", http.StatusSeeOther)
	return nil
}
