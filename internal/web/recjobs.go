package web

import (
	"context"
	"errors"
	"net/http"
	"net/url"

	"github.com/populus-vn/populus/internal/auth"
	"github.com/populus-vn/populus/internal/problem"
	"github.com/populus-vn/populus/internal/reconcile/sector"
	"github.com/populus-vn/populus/internal/reconcile/service"
)

// Reconcile is what the reconciliation jobs' page needs;
// *service.Service provides it. The service authorises and audits.
type Reconcile interface {
	Jobs(ctx context.Context, p auth.Principal, limit int, cursor string) ([]service.JobView, string, error)
	Submit(ctx context.Context, p auth.Principal, size int64, receive service.Receiver) (service.JobView, error)
	Receive(w http.ResponseWriter, r *http.Request) service.Receiver
	Cancel(ctx context.Context, p auth.Principal, id string) error
}

var _ Reconcile = (*service.Service)(nil)

// recJobsPageSize is the number of jobs on a page.
const recJobsPageSize = 20

type recJobsView struct {
	Jobs   []service.JobView
	Next   string // URL of the next page
	Active bool   // a job is queued or running: the list refreshes itself
	Form   *form
	Kinds  []string
}

// recJobs is /reconcile/jobs: the member's jobs with their progress and
// results, and the upload form.
func (s *Server) recJobs(w http.ResponseWriter, r *http.Request) error {
	return s.renderRecJobs(w, r, http.StatusOK, newForm(nil, s.cat.Negotiate(r), s.cat))
}

func (s *Server) renderRecJobs(w http.ResponseWriter, r *http.Request, status int, f *form) error {
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
	s.render(w, r, status, "recjobs", "recjob.title", "recjobs", v)
	return nil
}

// recSubmit takes the upload form. Without script the session guard reads
// the form for its CSRF field, which bounds it to 1 MiB; recjob.js sends
// the token in the header instead, for files of any size.
func (s *Server) recSubmit(w http.ResponseWriter, r *http.Request) error {
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
		f := newForm(nil, s.cat.Negotiate(r), s.cat)
		if r.MultipartForm != nil {
			f.Values.Set("mapping", r.FormValue("mapping"))
			f.Values.Set("kind", r.FormValue("kind"))
		}
		f.addProblem(err)
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
func (s *Server) recCancel(w http.ResponseWriter, r *http.Request) error {
	p, _ := auth.FromContext(r.Context())
	if err := s.rec.Cancel(r.Context(), p, r.PathValue("id")); err != nil && !problem.Is(err, problem.Conflict) {
		return err
	}
	http.Redirect(w, r, "/reconcile/jobs", http.StatusSeeOther)
	return nil
}
