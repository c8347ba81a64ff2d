package jobsui

import (
	"context"
	"fmt"
	"html/template"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/populus-vn/populus/internal/auth"
	"github.com/populus-vn/populus/internal/problem"
	"github.com/populus-vn/populus/internal/reconcile"
	"github.com/populus-vn/populus/internal/reconcile/service"
	"github.com/populus-vn/populus/internal/web"
)

// Review is what the review pages need; *service.Service provides it. The
// service authorises and audits (every candidate shown is a read).
type Review interface {
	Reviews(ctx context.Context, p auth.Principal, id string, f service.ReviewFilter) (service.ReviewList, error)
	ReviewRecord(ctx context.Context, p auth.Principal, id string, line int) (service.ReviewRecord, error)
	Decide(ctx context.Context, p auth.Principal, id string, line int, d service.ReviewDecision) (service.Review, error)
}

var _ Review = (*service.Service)(nil)

// reviewPageSize is the number of records on a page of the list.
const reviewPageSize = 25

type reviewListView struct {
	JobID string
	List  service.ReviewList
	Why   map[int]string // each item's reason in the page's language, by line
	Kinds []kindOption   // the kinds of reasons to filter by
	// Minimums are the best candidate's probabilities to filter from.
	Minimums []float64
	From     string // the filter, for a record's page to lead back to
	Filter   service.ReviewFilter
	Next     string // URL of the next page
	Base     string // the list's URL
	Results  string // the job's results' URL
}

// recReview is /reconcile/jobs/{id}/review: the records the job left for
// review, filtered by decision, reason and status.
func (s *pages) recReview(w http.ResponseWriter, r *http.Request) error {
	p, _ := auth.FromContext(r.Context())
	id := r.PathValue("id")
	f, err := service.ReviewFilterOf(r)
	if err != nil {
		return err
	}
	if f.Limit == 20 && r.URL.Query().Get("limit") == "" {
		f.Limit = reviewPageSize
	}
	l, err := s.rec.Reviews(r.Context(), p, id, f)
	if problem.Is(err, problem.Invalid) {
		// A filter or cursor typed by hand: the whole list instead.
		f = service.ReviewFilter{Limit: reviewPageSize}
		l, err = s.rec.Reviews(r.Context(), p, id, f)
	}
	if err != nil {
		return err
	}
	base := "/reconcile/jobs/" + id + "/review"
	v := reviewListView{JobID: id, List: l, Filter: f, Base: base, Results: "/api/v1/reconcile/jobs/" + id, Why: map[int]string{},
		Minimums: []float64{0.01, 0.1, 0.5, 0.9}, From: filterQuery(f).Encode()}
	lang := s.kit.Lang(r)
	for _, it := range l.Items {
		v.Why[it.Line] = s.why(lang, it.Reason)
	}
	for _, k := range l.Reasons {
		v.Kinds = append(v.Kinds, kindOption{Value: k, Label: s.kindLabel(lang, k)})
	}
	if l.NextCursor != "" {
		q := filterQuery(f)
		q.Set("cursor", l.NextCursor)
		v.Next = base + "?" + q.Encode()
	}
	s.kit.Render(w, r, http.StatusOK, "recreview", "recreview.title", "recjobs", v)
	return nil
}

// kindOption is a kind of reason in the filter.
type kindOption struct{ Value, Label string }

// why is an engine's reason in lang: the catalog's message for its kind
// (recreview.why.<kind>) with its numbers, else as the engine wrote it.
func (s *pages) why(lang, reason string) string {
	kind, args := service.ReasonKind(reason)
	if m, ok := s.kit.Catalog().Lookup(lang, "recreview.why."+kind, args...); ok {
		return m
	}
	return reason
}

// kindLabel is a kind of reason in lang, its numbers shown as "…".
func (s *pages) kindLabel(lang, kind string) string {
	dots := make([]any, strings.Count(kind, "%s"))
	for i := range dots {
		dots[i] = "…"
	}
	if m, ok := s.kit.Catalog().Lookup(lang, "recreview.why."+kind, dots...); ok {
		return m
	}
	return fmt.Sprintf(kind, dots...)
}

func filterQuery(f service.ReviewFilter) url.Values {
	q := url.Values{}
	for k, v := range map[string]string{"decision": f.Decision, "reason": f.Reason, "status": f.Status} {
		if v != "" {
			q.Set(k, v)
		}
	}
	if f.MinProbability > 0 {
		q.Set("min_probability", strconv.FormatFloat(f.MinProbability, 'g', -1, 64))
	}
	return q
}

type reviewRecordView struct {
	JobID string
	Rec   service.ReviewRecord
	Why   string // the engine's reason in the page's language
	Form  *web.Form
	Base  string
	Back  string // the list, with the filter it was opened from
	From  string // that filter, as a query
	// Levels are the comparisons' levels in the page's language, by the
	// engine's label (the label itself where the catalog lacks it).
	Levels map[string]string
	Fields []string
}

// recReviewRecord is /reconcile/jobs/{id}/review/{line}: the record beside
// its candidates, and the decision form.
func (s *pages) recReviewRecord(w http.ResponseWriter, r *http.Request) error {
	return s.renderRecord(w, r, http.StatusOK, s.kit.NewForm(r, nil))
}

func (s *pages) renderRecord(w http.ResponseWriter, r *http.Request, status int, f *web.Form) error {
	p, _ := auth.FromContext(r.Context())
	id := r.PathValue("id")
	line, err := service.LineOf(r)
	if err != nil {
		return err
	}
	rec, err := s.rec.ReviewRecord(r.Context(), p, id, line)
	if err != nil {
		return err
	}
	base := "/reconcile/jobs/" + id + "/review"
	from, _ := fromFilter(r)
	back := base
	if from != "" {
		back += "?" + from
	}
	v := reviewRecordView{JobID: id, Rec: rec, Form: f, Base: base, Back: back, From: from, Why: s.why(s.kit.Lang(r), rec.Reason)}
	if len(rec.Candidates) > 0 {
		for _, fw := range rec.Candidates[0].Fields {
			v.Fields = append(v.Fields, fw.Comparison)
		}
	}
	v.Levels = map[string]string{}
	lang := s.kit.Lang(r)
	for _, c := range rec.Candidates {
		for _, fw := range c.Fields {
			m, ok := s.kit.Catalog().Lookup(lang, "recreview.level."+fw.Level)
			if !ok {
				m = fw.Level
			}
			v.Levels[fw.Level] = m
		}
	}
	s.kit.Render(w, r, status, "recreviewrecord", "recreview.record_title", "recjobs", v)
	return nil
}

// maxDecisionForm bounds the decision form.
const maxDecisionForm = 16 << 10

// recDecide takes the decision form, then goes to the next record waiting
// for review, or back to the list after the last.
func (s *pages) recDecide(w http.ResponseWriter, r *http.Request) error {
	p, err := auth.MustFromContext(r.Context())
	if err != nil {
		return err
	}
	if err := s.kit.ParseForm(w, r, maxDecisionForm); err != nil {
		return err
	}
	id := r.PathValue("id")
	line, err := service.LineOf(r)
	if err != nil {
		return err
	}
	// Each accept button sends the candidate's rank as "candidate"; the
	// other buttons send "outcome".
	d := service.ReviewDecision{Outcome: service.Outcome(r.PostFormValue("outcome")), Reason: r.PostFormValue("reason")}
	if c := r.PostFormValue("candidate"); c != "" && d.Outcome == "" {
		d.Outcome = service.Accepted
		if d.Candidate, err = strconv.Atoi(c); err != nil {
			return problem.Field("candidate", "is the rank of the candidate accepted, from 1")
		}
	}
	if _, err := s.rec.Decide(r.Context(), p, id, line, d); err != nil {
		if problem.Is(err, problem.Invalid) || problem.Is(err, problem.Conflict) {
			f := s.kit.NewForm(r, url.Values{"reason": {r.PostFormValue("reason")}})
			f.AddProblem(err)
			return s.renderRecord(w, r, problem.BodyOf(err, "").Status, f)
		}
		return err
	}
	s.kit.Flash(w, r, "flash.recreview_saved")
	// The next record waiting in the list the record was opened from.
	base := "/reconcile/jobs/" + id + "/review"
	from, f := fromFilter(r)
	f.Status, f.Cursor, f.Limit = "pending", strconv.Itoa(line), 1
	next, err := s.rec.Reviews(r.Context(), p, id, f)
	if err == nil && len(next.Items) > 0 {
		to := fmt.Sprintf("%s/%d", base, next.Items[0].Line)
		if from != "" {
			to += "?" + url.Values{"from": {from}}.Encode()
		}
		http.Redirect(w, r, to, http.StatusSeeOther)
		return nil
	}
	if from != "" {
		base += "?" + from
	}
	http.Redirect(w, r, base, http.StatusSeeOther)
	return nil
}

// fromFilter returns the filter of the list a record was opened from (its
// query "from"), as a query and as a filter; none when it is not one.
func fromFilter(r *http.Request) (string, service.ReviewFilter) {
	q, err := url.ParseQuery(r.URL.Query().Get("from"))
	if err != nil {
		return "", service.ReviewFilter{}
	}
	f, err := service.ReviewFilterOf(&http.Request{URL: &url.URL{RawQuery: q.Encode()}})
	if err != nil {
		return "", service.ReviewFilter{}
	}
	f.Limit, f.Cursor = 0, ""
	return filterQuery(f).Encode(), f
}

// funcs are the review pages' template functions in one language.
func funcs(l web.Locale) template.FuncMap {
	return template.FuncMap{
		// comparison names one of the model's comparisons.
		"comparison": func(name string) string {
			return l.T("recreview.cmp." + name)
		},
		// bits writes a weight in bits, signed.
		"bits": func(w float64) string { return fmt.Sprintf("%+.1f", w) },
		// percent writes a probability.
		"percent": func(p float64) string { return fmt.Sprintf("%.2f%%", 100*p) },
	}
}

// Levels are the labels of the model's comparison levels, which the
// catalog names ("missing" when either value is).
func Levels() []string {
	out := []string{"missing"}
	for _, c := range reconcile.DefaultComparisons() {
		for _, l := range c.Levels() {
			if !slices.Contains(out, l) {
				out = append(out, l)
			}
		}
	}
	return out
}

// Comparisons are the model's comparisons, which the catalog names.
func Comparisons() []string {
	var out []string
	for _, c := range reconcile.DefaultComparisons() {
		out = append(out, c.Name())
	}
	return out
}
