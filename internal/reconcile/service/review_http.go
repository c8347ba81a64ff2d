package service

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"time"

	"github.com/populus-vn/populus/internal/audit"
	"github.com/populus-vn/populus/internal/auth"
	"github.com/populus-vn/populus/internal/httpx"
	"github.com/populus-vn/populus/internal/problem"
)

// reviewRoutes are the review's routes, under the job's.
func (s *Service) reviewRoutes(staff func(string, http.Handler) httpx.Route) []httpx.Route {
	return []httpx.Route{
		staff("GET /api/v1/reconcile/jobs/{id}/review", httpx.Handle(s.listReviews)),
		staff("GET /api/v1/reconcile/jobs/{id}/review/{line}", httpx.Handle(s.getReview)),
		staff("PUT /api/v1/reconcile/jobs/{id}/review/{line}", httpx.Handle(s.putReview)),
		staff("GET /api/v1/reconcile/jobs/{id}/reviews.csv", s.exportReviews()),
	}
}

// ReviewFilterOf reads the review list's query: decision, reason, status,
// min_probability, limit (1 to 100, default 20) and cursor.
func ReviewFilterOf(r *http.Request) (ReviewFilter, error) {
	page, err := httpx.ParsePage(r, 20, 100)
	if err != nil {
		return ReviewFilter{}, err
	}
	q := r.URL.Query()
	f := ReviewFilter{Decision: q.Get("decision"), Reason: q.Get("reason"), Status: q.Get("status"), Limit: page.Limit, Cursor: page.Cursor}
	if v := q.Get("min_probability"); v != "" {
		if f.MinProbability, err = strconv.ParseFloat(v, 64); err != nil {
			return f, problem.Field("min_probability", "is a probability from 0 to 1")
		}
	}
	return f, nil
}

// LineOf reads the {line} of a review's path.
func LineOf(r *http.Request) (int, error) {
	n, err := strconv.Atoi(r.PathValue("line"))
	if err != nil || n < 1 {
		return 0, problem.Field("line", "is the record's line in the uploaded file, a whole number from 1")
	}
	return n, nil
}

func (s *Service) listReviews(w http.ResponseWriter, r *http.Request) error {
	p, err := auth.MustFromContext(r.Context())
	if err != nil {
		return err
	}
	f, err := ReviewFilterOf(r)
	if err != nil {
		return err
	}
	l, err := s.Reviews(r.Context(), p, r.PathValue("id"), f)
	if err != nil {
		return err
	}
	w.Header().Set("Cache-Control", "no-store")
	return httpx.WriteJSON(w, http.StatusOK, l)
}

func (s *Service) getReview(w http.ResponseWriter, r *http.Request) error {
	p, err := auth.MustFromContext(r.Context())
	if err != nil {
		return err
	}
	line, err := LineOf(r)
	if err != nil {
		return err
	}
	v, err := s.ReviewRecord(r.Context(), p, r.PathValue("id"), line)
	if err != nil {
		return err
	}
	w.Header().Set("Cache-Control", "no-store")
	return httpx.WriteJSON(w, http.StatusOK, v)
}

// maxReviewBody bounds a decision's JSON.
const maxReviewBody = 16 << 10

func (s *Service) putReview(w http.ResponseWriter, r *http.Request) error {
	p, err := auth.MustFromContext(r.Context())
	if err != nil {
		return err
	}
	line, err := LineOf(r)
	if err != nil {
		return err
	}
	var d ReviewDecision
	if err := httpx.DecodeJSON(w, r, &d, maxReviewBody); err != nil {
		return err
	}
	rv, err := s.Decide(r.Context(), p, r.PathValue("id"), line, d)
	if err != nil {
		return err
	}
	return httpx.WriteJSON(w, http.StatusOK, rv)
}

// exportReviews serves the reviewed-decisions CSV, audited as the
// results' downloads are.
func (s *Service) exportReviews() http.Handler {
	return httpx.Handle(func(w http.ResponseWriter, r *http.Request) error {
		return s.serveWith(w, r, reviewedFile, func(ctx context.Context, w io.Writer, j Job, current map[int]Review) error {
			return s.writeReviews(w, j, current)
		})
	})
}

// serveWith serves a file of a done job made by write from the job's
// results and its reviews; the download is audited first.
func (s *Service) serveWith(w http.ResponseWriter, r *http.Request, name string, write func(ctx context.Context, w io.Writer, j Job, current map[int]Review) error) error {
	ctx := r.Context()
	p, err := auth.MustFromContext(ctx)
	if err != nil {
		return err
	}
	id := r.PathValue("id")
	j, err := s.reviewJob(ctx, p, auth.ReadReconcile, id)
	if err != nil {
		return err
	}
	current, err := s.store.currentReviews(ctx, id)
	if err != nil {
		return err
	}
	if err := s.cfg.Audit.Record(ctx, audit.Of(p, auth.ReadReconcile, subject(id)).With(name)); err != nil {
		return fmt.Errorf("audit: %w", err)
	}
	h := w.Header()
	h.Set("Content-Type", "text/csv; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	h.Set("Content-Disposition", fmt.Sprintf(`attachment; filename="%s-%s"`, id, name))
	http.NewResponseController(w).SetWriteDeadline(time.Now().Add(time.Hour))
	return write(ctx, w, j, current)
}

// exportCorrections serves the engine's corrections with the review
// columns and the links officers accepted (see writeCorrections).
func (s *Service) exportCorrections() http.Handler {
	return httpx.Handle(func(w http.ResponseWriter, r *http.Request) error {
		return s.serveWith(w, r, correctionsFile, s.writeCorrections)
	})
}
