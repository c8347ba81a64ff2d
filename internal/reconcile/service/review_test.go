package service

import (
	"bytes"
	"context"
	"encoding/csv"
	"fmt"
	"math"
	"net/http"
	"net/http/httptest"
	"net/url"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/populus-vn/populus/internal/auth"
	"github.com/populus-vn/populus/internal/db"
	"github.com/populus-vn/populus/internal/problem"
)

// withoutReviewColumns returns a corrections download without the columns
// the review adds, and without the rows of reviewed links: the engine's
// corrections file.
func withoutReviewColumns(t *testing.T, b []byte) []byte {
	t.Helper()
	rows, err := csv.NewReader(bytes.NewReader(b)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	w := csv.NewWriter(&out)
	for i, r := range rows {
		if i == 0 && !slices.Equal(r[len(r)-len(reviewColumns):], reviewColumns) {
			t.Fatalf("the corrections' header %v lacks the review columns", r)
		}
		if i > 0 && r[9] == reviewedDecision {
			continue
		}
		w.Write(r[:len(r)-len(reviewColumns)])
	}
	w.Flush()
	return out.Bytes()
}

// reviewable counts the records of a decisions file left for review.
func reviewable(t *testing.T, dec []byte) (lines []int) {
	t.Helper()
	rows, err := csv.NewReader(bytes.NewReader(dec)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range rows[1:] {
		if r[2] == "ambiguous" || (r[2] == "not_found" && r[6] != "") {
			n, _ := strconv.Atoi(r[1])
			lines = append(lines, n)
		}
	}
	return lines
}

func testReview(t *testing.T, d *db.DB, file []byte) {
	h := newHarness(t, d, t.TempDir(), nil)
	h.user("review.officer", auth.ServiceOfficer, "VN")
	h.user("review.stranger", auth.ServiceOfficer, "79")
	h.user("review.admin", auth.Admin, "VN")
	if err := h.svc.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	defer h.svc.Stop()
	w := h.submit("review.officer", "drivers.csv", file, map[string]string{"kind": "drivers"})
	if w.Code != http.StatusAccepted {
		t.Fatalf("submit: %d %s", w.Code, w.Body.String())
	}
	v := h.wait("review.officer", decode[JobView](t, w).ID)
	if v.State != Done {
		t.Fatalf("job ended %+v", v)
	}
	base := "/api/v1/reconcile/jobs/" + v.ID + "/review"
	if v.Links["review"] != base {
		t.Errorf("links %v", v.Links)
	}
	dec := h.do("review.officer", "GET", v.Links["decisions.csv"], nil, "").Body.Bytes()
	want := reviewable(t, dec)
	if len(want) < 3 {
		t.Fatalf("%d records left for review: the test needs 3", len(want))
	}

	// The list, page by page, is every record left for review, in order.
	var got []int
	var list ReviewList
	for cursor := ""; ; {
		w := h.do("review.officer", "GET", base+"?limit=7&cursor="+cursor, nil, "")
		list = decode[ReviewList](t, w)
		for _, it := range list.Items {
			got = append(got, it.Line)
		}
		if cursor = list.NextCursor; cursor == "" {
			break
		}
	}
	if !slices.Equal(got, want) || list.Total != len(want) || list.Pending != len(want) || len(list.Reasons) == 0 {
		t.Fatalf("the list gave lines %v (total %d, pending %d), want %v", got, list.Total, list.Pending, want)
	}
	// Filtered by decision and by reason.
	amb := decode[ReviewList](t, h.do("review.officer", "GET", base+"?decision=ambiguous&limit=100", nil, ""))
	for _, it := range amb.Items {
		if it.Decision != "ambiguous" {
			t.Errorf("decision=ambiguous lists %+v", it)
		}
	}
	reason := list.Reasons[0]
	byReason := decode[ReviewList](t, h.do("review.officer", "GET", base+"?limit=100&reason="+url.QueryEscape(reason), nil, ""))
	if len(byReason.Items) == 0 {
		t.Errorf("no item of reason %q", reason)
	}
	for _, it := range byReason.Items {
		if it.ReasonKind != reason || !strings.Contains(it.Reason, strings.Split(reason, "%s")[0]) {
			t.Errorf("reason=%q lists %+v", reason, it)
		}
	}
	// By the best candidate's probability.
	likely := decode[ReviewList](t, h.do("review.officer", "GET", base+"?limit=100&min_probability=0.01", nil, ""))
	if len(likely.Items) == len(want) {
		t.Errorf("min_probability=0.01 leaves out nothing of %d records", len(want))
	}
	for _, it := range likely.Items {
		if it.Probability < 0.01 {
			t.Errorf("min_probability=0.01 lists %+v", it)
		}
	}
	wantProblem(t, h.do("review.officer", "GET", base+"?min_probability=2", nil, ""), http.StatusUnprocessableEntity, "min_probability")
	wantProblem(t, h.do("review.officer", "GET", base+"?min_probability=x", nil, ""), http.StatusUnprocessableEntity, "min_probability")
	wantProblem(t, h.do("review.officer", "GET", base+"?decision=exact", nil, ""), http.StatusUnprocessableEntity, "decision")
	wantProblem(t, h.do("review.officer", "GET", base+"?status=maybe", nil, ""), http.StatusUnprocessableEntity, "status")
	wantProblem(t, h.do("review.officer", "GET", base+"?cursor=x", nil, ""), http.StatusUnprocessableEntity, "cursor")

	// One record beside its candidates, each weight explained field by
	// field: the prior and the fields' weights add up to the engine's.
	line := want[0]
	rec := decode[ReviewRecord](t, h.do("review.officer", "GET", base+"/"+strconv.Itoa(line), nil, ""))
	if rec.Line != line || rec.Record.Line != line || rec.Record.ID != rec.ID || rec.Record.FullName == "" || len(rec.Candidates) == 0 || len(rec.Candidates) != rec.CandidateCount {
		t.Fatalf("record %+v", rec)
	}
	for _, c := range rec.Candidates {
		if c.Missing || c.FullName == "" || c.BirthDate.Year == 0 || len(c.Fields) == 0 {
			t.Errorf("candidate %+v", c)
			continue
		}
		sum := rec.PriorWeight
		for _, f := range c.Fields {
			sum += f.Weight
		}
		if !c.OtherName && math.Abs(sum-c.Weight) > 0.02 {
			t.Errorf("candidate %s: prior and fields add up to %.2f bits, the engine's weight is %.2f", c.PIN, sum, c.Weight)
		}
	}
	// Each candidate shown is audited as a read of that person.
	h.cfg.Audit.Sync(context.Background(), 5*time.Second)
	for _, c := range rec.Candidates {
		var n int
		d.QueryRow(`SELECT count(*) FROM audit_log WHERE actor = 'staff:review.officer' AND action = 'reconcile.read' AND subject = $1 AND detail = $2`,
			c.PIN, "reconcile job "+v.ID+", review of line "+strconv.Itoa(line)).Scan(&n)
		if n != 1 {
			t.Errorf("candidate %s shown, %d audit entries", c.PIN, n)
		}
	}
	wantProblem(t, h.do("review.officer", "GET", base+"/0", nil, ""), http.StatusUnprocessableEntity, "line")
	wantProblem(t, h.do("review.officer", "GET", base+"/999999", nil, ""), http.StatusNotFound, "")

	// Another member's officer gets the answer of an unknown job, and no
	// person; the administrator, who may not read people, is refused.
	for _, path := range []string{"", "/" + strconv.Itoa(line)} {
		theirs := h.do("review.stranger", "GET", base+path, nil, "")
		unknown := h.do("review.stranger", "GET", "/api/v1/reconcile/jobs/ffffffffffffffffffffffff/review"+path, nil, "")
		if theirs.Code != http.StatusNotFound || unknown.Code != theirs.Code ||
			strings.ReplaceAll(theirs.Body.String(), v.ID, "ffffffffffffffffffffffff") != unknown.Body.String() {
			t.Errorf("another member: %d %s; an unknown job: %d %s", theirs.Code, theirs.Body.String(), unknown.Code, unknown.Body.String())
		}
		wantProblem(t, h.do("review.admin", "GET", base+path, nil, ""), http.StatusForbidden, "")
	}
	put := func(as string, line int, body string) *httptest.ResponseRecorder {
		return h.do(as, "PUT", base+"/"+strconv.Itoa(line), strings.NewReader(body), "application/json")
	}
	wantProblem(t, put("review.stranger", line, `{"outcome":"rejected"}`), http.StatusNotFound, "")
	wantProblem(t, put("review.admin", line, `{"outcome":"rejected"}`), http.StatusForbidden, "")

	// Bad decisions name the field.
	wantProblem(t, put("review.officer", line, `{"outcome":"accepted","candidate":1}`), http.StatusUnprocessableEntity, "reason")
	wantProblem(t, put("review.officer", line, `{"outcome":"accepted","candidate":1,"reason":"a\nb"}`), http.StatusUnprocessableEntity, "reason")
	wantProblem(t, put("review.officer", line, `{"outcome":"accepted","candidate":1,"reason":"=1+1"}`), http.StatusUnprocessableEntity, "reason")
	wantProblem(t, put("review.officer", line, `{"outcome":"accepted","candidate":1,"reason":"`+strings.Repeat("x", MaxReviewReason+1)+`"}`), http.StatusUnprocessableEntity, "reason")
	wantProblem(t, put("review.officer", line, `{"outcome":"accepted","candidate":99,"reason":"same person"}`), http.StatusUnprocessableEntity, "candidate")
	wantProblem(t, put("review.officer", line, `{"outcome":"maybe"}`), http.StatusUnprocessableEntity, "outcome")
	wantProblem(t, put("review.officer", line, `{"outcome":"rejected","colour":"red"}`), http.StatusBadRequest, "colour")

	// Decisions: the second and third replace the first, which stay as
	// history.
	for i, body := range []string{`{"outcome":"rejected","reason":"none of them"}`, `{"outcome":"not_in_register"}`,
		`{"outcome":"accepted","candidate":1,"reason":"Cùng  ngày sinh, cùng nơi ở"}`} {
		w := put("review.officer", line, body)
		if w.Code != 200 {
			t.Fatalf("decision %d: %d %s", i+1, w.Code, w.Body.String())
		}
		if rv := decode[Review](t, w); rv.Revision != i+1 || rv.Reviewer != "review.officer" {
			t.Errorf("decision %d: %+v", i+1, rv)
		}
	}
	second := want[1]
	if w := put("review.officer", second, `{"outcome":"not_in_register","reason":"moved abroad"}`); w.Code != 200 {
		t.Fatalf("not in register: %d %s", w.Code, w.Body.String())
	}
	rec = decode[ReviewRecord](t, h.do("review.officer", "GET", base+"/"+strconv.Itoa(line), nil, ""))
	if len(rec.History) != 3 || rec.Review == nil || rec.Review.Outcome != Accepted || rec.Review.PIN != rec.Candidates[0].PIN ||
		rec.Review.Reason != "Cùng ngày sinh, cùng nơi ở" || rec.History[0].Outcome != Rejected {
		t.Errorf("after three decisions: review %+v, history %+v", rec.Review, rec.History)
	}
	accepted := rec.Candidates[0].PIN
	var rows, current int
	d.QueryRow(`SELECT count(*), sum(current) FROM reconcile_reviews WHERE job_id = $1 AND line = $2`, v.ID, line).Scan(&rows, &current)
	if rows != 3 || current != 1 {
		t.Errorf("stored: %d rows, %d current", rows, current)
	}
	h.cfg.Audit.Sync(context.Background(), 5*time.Second)
	var audited int
	d.QueryRow(`SELECT count(*) FROM audit_log WHERE actor = 'staff:review.officer' AND action = 'reconcile.review' AND outcome = 'ok' AND subject = $1`, "reconcile:"+v.ID).Scan(&audited)
	if audited != 4 {
		t.Errorf("%d decisions audited, want 4", audited)
	}

	// The list knows what was decided.
	rl := decode[ReviewList](t, h.do("review.officer", "GET", base+"?status=reviewed", nil, ""))
	if rl.Reviewed != 2 || rl.Pending != len(want)-2 || len(rl.Items) != 2 || rl.Items[0].Review == nil || rl.Items[0].Review.PIN != "" {
		t.Errorf("reviewed: %+v", rl)
	}

	// The exports: the corrections hold the accepted link with who, when
	// and why; the reviewed decisions hold both.
	w = h.do("review.officer", "GET", v.Links["corrections.csv"], nil, "")
	cor, err := csv.NewReader(bytes.NewReader(w.Body.Bytes())).ReadAll()
	if err != nil || w.Code != 200 {
		t.Fatalf("corrections: %d %v", w.Code, err)
	}
	var links [][]string
	for _, r := range cor[1:] {
		if r[9] == reviewedDecision {
			links = append(links, r)
		}
	}
	if len(links) != 1 || links[0][1] != "pin" || links[0][4] != accepted || links[0][5] != strconv.Itoa(line) ||
		links[0][11] != "review.officer" || links[0][13] != "Cùng ngày sinh, cùng nơi ở" || links[0][12] == "" {
		t.Errorf("reviewed links in the corrections: %q", links)
	}
	w = h.do("review.officer", "GET", v.Links["reviews.csv"], nil, "")
	rs, err := csv.NewReader(bytes.NewReader(w.Body.Bytes())).ReadAll()
	if err != nil || w.Code != 200 || len(rs) != 3 || !slices.Equal(rs[0], ReviewsHeader) {
		t.Fatalf("reviews.csv: %d %v %q", w.Code, err, rs)
	}
	if rs[1][4] != "accepted" || rs[1][5] != accepted || rs[1][9] != "3" || rs[2][4] != "not_in_register" || rs[2][5] != "" || rs[2][8] != "moved abroad" {
		t.Errorf("reviews.csv: %q", rs)
	}
	wantProblem(t, h.do("review.stranger", "GET", v.Links["reviews.csv"], nil, ""), http.StatusNotFound, "")
}

// TestReasonKind: the engine's reasons without their numbers.
func TestReasonKind(t *testing.T) {
	for _, c := range []struct {
		in, want string
		args     []any
	}{
		{"best candidate's probability 2.11e-06 is below the review floor 0.5", "best candidate's probability %s is below the review floor %s", []any{"2.11e-06", "0.5"}},
		{"2 candidates within 3.0 bits of the best", "%s candidates within %s bits of the best", []any{"2", "3.0"}},
		{"one-to-one: the best candidate is assigned to the record on line 17 (a duplicate?); 100% sure", "one-to-one: the best candidate is assigned to the record on line %s (a duplicate?); %s%% sure", []any{"17", "100"}},
		{"one-to-one: every candidate is assigned to another record", "one-to-one: every candidate is assigned to another record", nil},
	} {
		got, args := ReasonKind(c.in)
		if got != c.want || !reflect.DeepEqual(args, c.args) {
			t.Errorf("ReasonKind(%q) = %q %q, want %q %q", c.in, got, args, c.want, c.args)
		}
		if back := fmt.Sprintf(got, args...); back != c.in {
			t.Errorf("ReasonKind(%q) formats back as %q", c.in, back)
		}
	}
}

// TestReviewReason: the reason's text rules.
func TestReviewReason(t *testing.T) {
	for _, c := range []struct{ in, want, why string }{
		{"  Cùng   ngày sinh ", "Cùng ngày sinh", ""},
		{"Cu\u0300ng", "Cùng", ""}, // NFC
		{"", "", ""},
		{"2 PINs differ by one digit", "2 PINs differ by one digit", ""},
		{"a\tb", "", "may not hold control characters such as tab or newline"},
		{"a\u202eb", "", "may not hold bidirectional-control characters (U+202A–U+202E, U+2066–U+2069)"},
		{"@SUM(A1)", "", "may not begin with =, +, - or @"},
		{"\xff", "", "is not valid UTF-8 text (invalid bytes or a lone surrogate)"},
		{strings.Repeat("ư", MaxReviewReason), strings.Repeat("ư", MaxReviewReason), ""},
		{strings.Repeat("ư", MaxReviewReason+1), "", "is longer than 500 characters"},
	} {
		var fs problem.Fields
		got, ok := reviewReason(c.in, &fs)
		why := ""
		if err := fs.Err(); err != nil {
			why = err.(*problem.Error).Fields[0].Reason
		}
		if got != c.want || why != c.why || ok != (why == "") {
			t.Errorf("reviewReason(%q) = %q, %v, %q; want %q, %q", c.in, got, ok, why, c.want, c.why)
		}
	}
}

// TestCell: the exports neutralise cells as the engine's do.
func TestCell(t *testing.T) {
	for in, want := range map[string]string{"=1+1": "'=1+1", "+84": "'+84", "-3": "'-3", "@x": "'@x", "\tx": "'\tx", "'x": "''x", "Lan": "Lan", "": ""} {
		if got := cell(in); got != want {
			t.Errorf("cell(%q) = %q, want %q", in, got, want)
		}
		if got := uncell(cell(in)); got != in {
			t.Errorf("uncell(cell(%q)) = %q", in, got)
		}
	}
}

// FuzzReviewReason: a reason that passes is clean text within the limit,
// unchanged when checked again; one that fails says why, once.
func FuzzReviewReason(f *testing.F) {
	for _, s := range []string{"Cùng ngày sinh", "  a  b ", "a\tb", "=1+1", "a\u202eb", "\xff", strings.Repeat("ư", 501), "Cu\u0300ng"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		var fs problem.Fields
		got, ok := reviewReason(in, &fs)
		err := fs.Err()
		if ok != (err == nil) || (!ok && got != "") || (!ok && len(err.(*problem.Error).Fields) != 1) {
			t.Fatalf("reviewReason(%q) = %q, %v, %v", in, got, ok, err)
		}
		if !ok {
			return
		}
		if utf8.RuneCountInString(got) > MaxReviewReason || strings.ContainsFunc(got, unicode.IsControl) || got != strings.TrimSpace(got) {
			t.Fatalf("reviewReason(%q) passed %q", in, got)
		}
		var again problem.Fields
		if twice, ok := reviewReason(got, &again); !ok || twice != got {
			t.Fatalf("reviewReason(%q) = %q, but %q gives %q, %v", in, got, got, twice, again.Err())
		}
	})
}
