package service

import (
	"context"
	"errors"
	"fmt"
	"math"
	"net/http"
	"os"
	"path/filepath"
	"time"

	"github.com/populus-vn/populus/internal/audit"
	"github.com/populus-vn/populus/internal/auth"
	"github.com/populus-vn/populus/internal/httpx"
	"github.com/populus-vn/populus/internal/problem"
)

// Routes returns the service's routes under /api/v1/reconcile, for staff of
// member units. It may be called on a nil *Service, to list them.
func (s *Service) Routes() []httpx.Route {
	staff := func(pattern string, h http.Handler) httpx.Route {
		return httpx.Route{Pattern: pattern, Handler: h, Access: httpx.AccessStaff}
	}
	return append([]httpx.Route{
		staff("POST /api/v1/reconcile/jobs", httpx.Handle(s.postJob)),
		staff("GET /api/v1/reconcile/jobs", httpx.Handle(s.listJobs)),
		staff("GET /api/v1/reconcile/jobs/{id}", httpx.Handle(s.getJob)),
		staff("DELETE /api/v1/reconcile/jobs/{id}", httpx.Handle(s.deleteJob)),
		staff("GET /api/v1/reconcile/jobs/{id}/decisions.csv", s.download(decisionsFile)),
		staff("GET /api/v1/reconcile/jobs/{id}/corrections.csv", s.exportCorrections()),
		staff("GET /api/v1/reconcile/jobs/{id}/summary.json", s.download(summaryFile)),
		staff("GET /api/v1/reconcile/jobs/{id}/report.html", s.download(reportFile)),
	}, s.reviewRoutes(staff)...)
}

// JobView is a job as the API shows it.
type JobView struct {
	ID         string           `json:"id"`
	State      State            `json:"state"`
	FileName   string           `json:"file_name"`
	FileBytes  int64            `json:"file_bytes"`
	Mapping    string           `json:"mapping"`
	Options    Options          `json:"options"`
	Unit       string           `json:"unit"`
	Owner      string           `json:"owner"`
	Progress   Progress         `json:"progress"`
	Counts     map[string]int64 `json:"counts"`
	Error      string           `json:"error,omitempty"`
	CreatedAt  time.Time        `json:"created_at"`
	StartedAt  *time.Time       `json:"started_at,omitempty"`
	FinishedAt *time.Time       `json:"finished_at,omitempty"`
	// Links are the job's own URL and, once done, its results'.
	Links map[string]string `json:"links"`
}

// Progress is how far a job is.
type Progress struct {
	Records int64   `json:"records"` // rows of the file
	Decided int64   `json:"decided"` // rows decided and written
	Percent float64 `json:"percent"`
	// Rate and ETASeconds are known while the job runs in the answering
	// process and has passed a checkpoint.
	Rate       float64 `json:"records_per_second,omitempty"`
	ETASeconds float64 `json:"eta_seconds,omitempty"`
}

func (s *Service) view(j Job) JobView {
	v := JobView{ID: j.ID, State: j.State, FileName: j.FileName, FileBytes: j.FileBytes, Mapping: j.Mapping, Options: j.Options,
		Unit: j.Unit, Owner: j.Owner, Counts: j.Counts, Error: j.Error, CreatedAt: j.Created.UTC(),
		Progress: Progress{Records: j.Read, Decided: j.Decided}}
	if v.Counts == nil {
		v.Counts = map[string]int64{}
	}
	if !j.Started.IsZero() {
		t := j.Started.UTC()
		v.StartedAt = &t
	}
	if !j.Finished.IsZero() {
		t := j.Finished.UTC()
		v.FinishedAt = &t
	}
	if j.Read > 0 {
		v.Progress.Percent = math.Round(1000*float64(j.Decided)/float64(j.Read)) / 10
	}
	if j.State == Running {
		if rate, ok := s.liveRate(j.ID); ok && rate > 0 {
			v.Progress.Rate = math.Round(rate)
			v.Progress.ETASeconds = math.Ceil(float64(max(j.Read-j.Decided, 0)) / rate)
		}
	}
	self := "/api/v1/reconcile/jobs/" + j.ID
	v.Links = map[string]string{"self": self}
	if j.State == Done {
		for _, f := range []string{decisionsFile, correctionsFile, summaryFile, reviewedFile} {
			v.Links[f] = self + "/" + f
		}
		if s.cfg.Report != nil {
			v.Links[reportFile] = self + "/" + reportFile
		}
		v.Links["review"] = self + "/review"
	}
	return v
}

// authorize checks the action with the guard, which audits a refusal.
func (s *Service) authorize(ctx context.Context, p auth.Principal, a auth.Action, id string) error {
	return s.cfg.Guard.Check(ctx, p, a, "", subject(id))
}

// own returns the job if p may do a on it: a member sees only its own jobs;
// another member's is not found (and the attempt audited).
func (s *Service) own(ctx context.Context, p auth.Principal, a auth.Action, id string) (Job, error) {
	if err := s.authorize(ctx, p, a, id); err != nil {
		return Job{}, err
	}
	j, err := s.store.get(ctx, id)
	if err != nil {
		return Job{}, err
	}
	if j.Unit != p.Unit {
		s.cfg.Audit.Deny(ctx, p, a, subject(id), "job of unit "+j.Unit)
		return Job{}, errNoJob(id)
	}
	return j, nil
}

// Jobs returns the member's jobs, newest first.
func (s *Service) Jobs(ctx context.Context, p auth.Principal, limit int, cursor string) ([]JobView, string, error) {
	if err := s.authorize(ctx, p, auth.ReadReconcile, ""); err != nil {
		return nil, "", err
	}
	jobs, next, err := s.store.list(ctx, p.Unit, limit, cursor)
	if err != nil {
		return nil, "", err
	}
	out := make([]JobView, len(jobs))
	for i, j := range jobs {
		out[i] = s.view(j)
	}
	return out, next, nil
}

// Job returns one of the member's jobs.
func (s *Service) Job(ctx context.Context, p auth.Principal, id string) (JobView, error) {
	j, err := s.own(ctx, p, auth.ReadReconcile, id)
	if err != nil {
		return JobView{}, err
	}
	return s.view(j), nil
}

// Cancel cancels a queued or running job of the member and deletes its
// files; a finished job is a conflict.
func (s *Service) Cancel(ctx context.Context, p auth.Principal, id string) error {
	j, err := s.own(ctx, p, auth.SubmitReconcile, id)
	if err != nil {
		return err
	}
	ok, err := s.store.cancel(ctx, id)
	if err != nil {
		return err
	}
	if !ok {
		if j.State == Done || j.State == Failed {
			// A finished job: its files are deleted, to free the
			// member's quota; the job's row stays.
			if err := os.RemoveAll(s.jobDir(id)); err != nil {
				return err
			}
			return s.cfg.Audit.Record(ctx, audit.Of(p, auth.SubmitReconcile, subject(id)).With("files deleted"))
		}
		return problem.New(problem.Conflict, "the job has already ended (%s)", j.State)
	}
	if !s.cancelRunning(id) {
		// Queued, or running in another process, which stops at its next
		// checkpoint.
		os.RemoveAll(s.jobDir(id))
	}
	return s.cfg.Audit.Record(ctx, audit.Of(p, auth.SubmitReconcile, subject(id)).With("cancelled"))
}

func (s *Service) postJob(w http.ResponseWriter, r *http.Request) error {
	p, err := auth.MustFromContext(r.Context())
	if err != nil {
		return err
	}
	v, err := s.Submit(r.Context(), p, r.ContentLength, s.Receive(w, r))
	if err != nil {
		return err
	}
	w.Header().Set("Location", v.Links["self"])
	return httpx.WriteJSON(w, http.StatusAccepted, v)
}

func (s *Service) listJobs(w http.ResponseWriter, r *http.Request) error {
	p, err := auth.MustFromContext(r.Context())
	if err != nil {
		return err
	}
	page, err := httpx.ParsePage(r, 20, 100)
	if err != nil {
		return err
	}
	jobs, next, err := s.Jobs(r.Context(), p, page.Limit, page.Cursor)
	if err != nil {
		return err
	}
	return httpx.WriteJSON(w, http.StatusOK, httpx.List[JobView]{Items: jobs, NextCursor: next})
}

func (s *Service) getJob(w http.ResponseWriter, r *http.Request) error {
	p, err := auth.MustFromContext(r.Context())
	if err != nil {
		return err
	}
	v, err := s.Job(r.Context(), p, r.PathValue("id"))
	if err != nil {
		return err
	}
	w.Header().Set("Cache-Control", "no-store")
	return httpx.WriteJSON(w, http.StatusOK, v)
}

func (s *Service) deleteJob(w http.ResponseWriter, r *http.Request) error {
	p, err := auth.MustFromContext(r.Context())
	if err != nil {
		return err
	}
	if err := s.Cancel(r.Context(), p, r.PathValue("id")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

var contentTypes = map[string]string{
	decisionsFile:   "text/csv; charset=utf-8",
	correctionsFile: "text/csv; charset=utf-8",
	summaryFile:     "application/json",
	reportFile:      "text/html; charset=utf-8",
}

// download serves one result file of a done job. The decisions and
// corrections hold PINs: every download is audited first, and refused if
// it cannot be.
func (s *Service) download(name string) http.Handler {
	return httpx.Handle(func(w http.ResponseWriter, r *http.Request) error {
		ctx := r.Context()
		p, err := auth.MustFromContext(ctx)
		if err != nil {
			return err
		}
		id := r.PathValue("id")
		j, err := s.own(ctx, p, auth.ReadReconcile, id)
		if err != nil {
			return err
		}
		// The results name people: only a role that may read them may
		// download them (from the job's unit, its reach is the owner's).
		if err := s.cfg.Guard.Role(ctx, p, auth.ReadPerson, subject(id)); err != nil {
			return err
		}
		if j.State != Done {
			return problem.New(problem.Conflict, "the job is %s; its results can be downloaded once it is done", j.State)
		}
		f, err := os.Open(filepath.Join(s.jobDir(id), name))
		if errors.Is(err, os.ErrNotExist) {
			return problem.New(problem.NotFound, "the job has no %s", name)
		}
		if err != nil {
			return err
		}
		defer f.Close()
		st, err := f.Stat()
		if err != nil {
			return err
		}
		if err := s.cfg.Audit.Record(ctx, audit.Of(p, auth.ReadReconcile, subject(id)).With(name)); err != nil {
			return fmt.Errorf("audit: %w", err)
		}
		h := w.Header()
		h.Set("Content-Type", contentTypes[name])
		h.Set("Cache-Control", "no-store")
		// Downloaded, never shown in the site's origin: the report is a
		// file to open, with its own styles.
		h.Set("Content-Disposition", fmt.Sprintf(`attachment; filename="%s-%s"`, id, name))
		http.NewResponseController(w).SetWriteDeadline(time.Now().Add(time.Hour))
		http.ServeContent(w, r, "", st.ModTime(), f)
		return nil
	})
}
