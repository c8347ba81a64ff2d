package httpx

import (
	"bytes"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/populus-vn/populus/internal/civil"
	"github.com/populus-vn/populus/internal/problem"
)

type inner struct {
	When civil.Date `json:"when"`
}

type sample struct {
	Name  string     `json:"name"`
	Birth civil.Date `json:"birth_date"`
	Count int        `json:"count"`
	Addr  inner      `json:"address"`
	Meta
}

type Meta struct {
	Effective civil.Date `json:"effective_date"`
}

func decode(t *testing.T, body string, limit int64) (sample, *problem.Body) {
	t.Helper()
	var v sample
	var got *problem.Body
	h := Handle(func(w http.ResponseWriter, r *http.Request) error { return DecodeJSON(w, r, &v, limit) })
	req := httptest.NewRequest("POST", "/x", strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	if rec.Code != 200 {
		if ct := rec.Header().Get("Content-Type"); ct != "application/problem+json" {
			t.Fatalf("content type %q", ct)
		}
		got = &problem.Body{}
		json.Unmarshal(rec.Body.Bytes(), got)
	}
	return v, got
}

func TestDecodeJSONNamesTheField(t *testing.T) {
	cases := []struct {
		body, field string
		status      int
	}{
		{`{"name": 5}`, "name", 400},
		{`{"count": "x"}`, "count", 400},
		{`{"birth_date": "2023-02-30"}`, "birth_date", 400},
		{`{"address": {"when": "13/13/2020"}}`, "address.when", 400},
		{`{"effective_date": "soon"}`, "effective_date", 400},
		{`{"nope": 1}`, "nope", 400},
	}
	for _, c := range cases {
		_, p := decode(t, c.body, 0)
		if p == nil || p.Status != c.status || len(p.Errors) != 1 || p.Errors[0].Field != c.field {
			t.Errorf("%s: problem = %+v, want field %s status %d", c.body, p, c.field, c.status)
		}
	}
}

func TestDecodeJSONRejectsMalformedAndLarge(t *testing.T) {
	for body, status := range map[string]int{
		`{"name": "a"`:              400,
		``:                          400,
		`{"name":"a"} {"name":"b"}`: 400,
		`{"name":"` + strings.Repeat("a", 200) + `"}`: 413,
	} {
		_, p := decode(t, body, 100)
		// Each names what is wrong: the body as a whole, and why.
		if p == nil || p.Status != status || len(p.Errors) != 1 || p.Errors[0].Field != "(body)" || p.Errors[0].Reason == "" {
			t.Errorf("%.30q: problem = %+v, want %d naming the body", body, p, status)
		}
	}
	v, p := decode(t, `{"name":"Lê Thị Hồng","birth_date":"1990-05"}`, 0)
	if p != nil || v.Name != "Lê Thị Hồng" || v.Birth != (civil.Date{Year: 1990, Month: 5}) {
		t.Errorf("good body: %+v, %+v", v, p)
	}
}

// A member given twice in one object, at any depth, or twice in different
// cases (encoding/json would keep the last, matching without regard to
// case), is refused with 400 naming its path; nothing is decoded.
func TestDecodeJSONRefusesDuplicateFields(t *testing.T) {
	for body, field := range map[string]string{
		`{"name":"a","name":"b"}`:                                "name",
		`{"name":"a","count":1,"Name":"b"}`:                      "Name",
		`{"address":{"when":"2020-01-01","when":"2021-01-01"}}`:  "address.when",
		`{"address":{"when":"2020-01-01","WHEN":"2021-01-01"}}`:  "address.WHEN",
		`{"effective_date":"2020","effective_date":"2021"}`:      "effective_date",
		`{"name":"a","nope":{"x":1,"x":2}}`:                      "nope.x",
		`{"birth_date":"2020","count":1,"birth_date":"2021-01"}`: "birth_date",
		`{"name":"a","n\u0061me":"b"}`:                           "name",
		`{"address":{},"addre\u017fs":{}}`:                       "addre\u017fs",
	} {
		_, p := decode(t, body, 0)
		if p == nil || p.Status != 400 || len(p.Errors) != 1 || p.Errors[0].Field != field || p.Errors[0].Reason != "appears more than once" {
			t.Errorf("%s: problem = %+v, want 400 naming %s", body, p, field)
		}
	}
}

// An unknown field inside a nested object is named by its full path.
func TestDecodeJSONNamesTheUnknownNestedField(t *testing.T) {
	for body, field := range map[string]string{
		`{"address":{"a":1}}`:                               "address.a",
		`{"name":"x","address":{"when":"2020","zone":"b"}}`: "address.zone",
		`{"a":1,"address":{"a":1}}`:                         "a",
		`{"address":{"when":"2020"},"b":2}`:                 "b",
	} {
		_, p := decode(t, body, 0)
		if p == nil || p.Status != 400 || len(p.Errors) != 1 || p.Errors[0].Field != field || p.Errors[0].Reason != "unknown field" {
			t.Errorf("%s: problem = %+v, want 400 naming %s", body, p, field)
		}
	}
}

// BenchmarkDecodeJSON measures the strict decoding of a write's body, the
// duplicate and unknown-field scan included.
func BenchmarkDecodeJSON(b *testing.B) {
	body := `{"name":"Lê Thị Hồng","birth_date":"1990-05-12","count":3,"address":{"when":"2020-01-01"},"effective_date":"2025-07-01"}`
	h := Handle(func(w http.ResponseWriter, r *http.Request) error {
		var v sample
		return DecodeJSON(w, r, &v, 0)
	})
	b.ReportAllocs()
	for b.Loop() {
		req := httptest.NewRequest("POST", "/x", strings.NewReader(body))
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != 200 {
			b.Fatal(rec.Body)
		}
	}
}

// TestUnavailableLoggedOncePerSecond: an outage answers every request 503;
// the log gets one line a second with the count of those not logged, while
// every other 5xx is logged each time.
func TestUnavailableLoggedOncePerSecond(t *testing.T) {
	var buf bytes.Buffer
	defer func(l *slog.Logger) { slog.SetDefault(l) }(slog.Default())
	slog.SetDefault(slog.New(slog.NewTextHandler(&buf, nil)))
	unavailableLines = sampler{}
	down := &problem.Error{Kind: problem.Unavailable, Detail: "down"}
	for range 50 {
		WriteProblem(httptest.NewRecorder(), httptest.NewRequest("GET", "/api/v1/x", nil), down)
	}
	if n := strings.Count(buf.String(), "service unavailable"); n != 1 {
		t.Errorf("50 refusals in under a second wrote %d lines, want 1:\n%s", n, buf.String())
	}
	unavailableLines.last = unavailableLines.last.Add(-time.Second)
	WriteProblem(httptest.NewRecorder(), httptest.NewRequest("GET", "/api/v1/x", nil), down)
	if !strings.Contains(buf.String(), "refused_since_last_line=49") {
		t.Errorf("the next line does not count the 49 refusals not logged:\n%s", buf.String())
	}
	buf.Reset()
	for range 3 {
		WriteProblem(httptest.NewRecorder(), httptest.NewRequest("GET", "/api/v1/x", nil), errors.New("boom"))
	}
	if n := strings.Count(buf.String(), "request failed"); n != 3 {
		t.Errorf("3 internal errors wrote %d lines, want 3", n)
	}
}

// PostedField reads a form's field; a form over the limit is a 413 problem,
// not a form without the field; a body of another type has no field.
func TestPostedField(t *testing.T) {
	for _, tc := range []struct {
		ctype, body string
		want        string
		status      int
	}{
		{"application/x-www-form-urlencoded", "csrf=abc&x=1", "abc", 0},
		{"application/x-www-form-urlencoded", "x=1", "", 0},
		{"application/x-www-form-urlencoded", "csrf=abc&x=" + strings.Repeat("y", 100), "", http.StatusRequestEntityTooLarge},
		{"application/json", `{"csrf":"abc"}`, "", 0},
	} {
		r := httptest.NewRequest("POST", "/form", strings.NewReader(tc.body))
		r.Header.Set("Content-Type", tc.ctype)
		got, err := PostedField(httptest.NewRecorder(), r, "csrf", 64)
		status := 0
		if err != nil {
			status = problem.BodyOf(err, "").Status
		}
		if got != tc.want || status != tc.status {
			t.Errorf("%s %q: %q, %v; want %q, status %d", tc.ctype, tc.body, got, err, tc.want, tc.status)
		}
	}
}

// A time that is not RFC 3339 is named, with what is expected, not with
// Go's layout.
func TestDecodeTimeField(t *testing.T) {
	var dst struct {
		ValidUntil time.Time `json:"valid_until"`
	}
	err := DecodeJSONBytes([]byte(`{"valid_until":"2027-06-01"}`), &dst)
	var pe *problem.Error
	if !errors.As(err, &pe) || len(pe.Fields) != 1 || pe.Fields[0].Field != "valid_until" || pe.Fields[0].Reason != timeReason || strings.Contains(pe.Error(), "2006-01-02") {
		t.Errorf("err = %v (%+v)", err, pe)
	}
}
