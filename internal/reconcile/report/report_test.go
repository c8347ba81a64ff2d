package report

import (
	"bytes"
	"encoding/xml"
	"io"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/populus-vn/populus/internal/i18n"
	"github.com/populus-vn/populus/internal/reconcile"
	"github.com/populus-vn/populus/internal/reconcile/engine"
	"github.com/populus-vn/populus/internal/reconcile/sector"
)

// node is an element of the rendered page, as encoding/xml reads it.
type node struct {
	name     string
	attr     map[string]string
	children []*node
	text     strings.Builder // all the text inside, descendants included
}

func (n *node) has(class string) bool { return slices.Contains(strings.Fields(n.attr["class"]), class) }

// all returns the descendants (n included) that match.
func (n *node) all(match func(*node) bool) []*node {
	var out []*node
	var walk func(*node)
	walk = func(x *node) {
		if match(x) {
			out = append(out, x)
		}
		for _, c := range x.children {
			walk(c)
		}
	}
	walk(n)
	return out
}

func (n *node) first(match func(*node) bool) *node {
	if all := n.all(match); len(all) > 0 {
		return all[0]
	}
	return nil
}

func tag(name, class string) func(*node) bool {
	return func(n *node) bool { return n.name == name && (class == "" || n.has(class)) }
}

// parse reads the page as strict XML with HTML's entities (void elements
// are written <br/>): every element opened is closed, in order, and attributes are
// quoted. It fails the test otherwise.
func parse(t *testing.T, page []byte) *node {
	t.Helper()
	d := xml.NewDecoder(bytes.NewReader(page))
	d.Strict = true
	d.Entity = xml.HTMLEntity
	root := &node{name: "#document"}
	stack := []*node{root}
	for {
		tok, err := d.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			line := bytes.Count(page[:min(int(d.InputOffset()), len(page))], []byte("\n")) + 1
			t.Fatalf("the page is not well formed: line %d: %v", line, err)
		}
		switch x := tok.(type) {
		case xml.StartElement:
			n := &node{name: x.Name.Local, attr: map[string]string{}}
			for _, a := range x.Attr {
				n.attr[a.Name.Local] = a.Value
			}
			top := stack[len(stack)-1]
			top.children = append(top.children, n)
			stack = append(stack, n)
		case xml.EndElement:
			stack = stack[:len(stack)-1]
		case xml.CharData:
			for _, n := range stack {
				n.text.Write(x)
			}
		}
	}
	if len(stack) != 1 {
		t.Fatalf("%d elements left open", len(stack)-1)
	}
	return root
}

// renderOK renders s in lang and checks that no catalog key was missing.
func renderOK(t *testing.T, s *engine.Summary, lang string) ([]byte, *node) {
	t.Helper()
	var b bytes.Buffer
	missing, err := render(&b, testCatalog, s, lang)
	if err != nil {
		t.Fatal(err)
	}
	if len(missing) > 0 {
		t.Errorf("%s: keys missing from the catalog: %v", lang, missing)
	}
	return b.Bytes(), parse(t, b.Bytes())
}

func TestReportOfARealRun(t *testing.T) {
	withTruth, noTruth := summaries(t)
	for _, tc := range []struct {
		name string
		s    *engine.Summary
	}{{"truth", withTruth}, {"no-truth", noTruth}} {
		for _, lang := range []string{i18n.Vietnamese, i18n.English} {
			t.Run(tc.name+"/"+lang, func(t *testing.T) {
				s := tc.s
				page, doc := renderOK(t, s, lang)
				r := &renderer{cat: testCatalog, lang: lang, num: numbersFor(lang), missing: map[string]bool{}}
				if html := doc.first(tag("html", "")); html == nil || html.attr["lang"] != lang {
					t.Errorf("no <html lang=%q>", lang)
				}
				if title := doc.first(tag("title", "")); title == nil || !strings.Contains(title.text.String(), r.T("report.title")) {
					t.Error("no <title>")
				}
				checkSelfContained(t, page)

				// Every decision's count, in its row of the table, with
				// its share.
				var sum int64
				for _, k := range engine.Kinds() {
					n := s.Counts[k.String()]
					sum += n
					row := doc.first(tag("tr", "decision-"+k.String()))
					if row == nil {
						t.Errorf("no row for %s", k)
						continue
					}
					text := row.text.String()
					if !strings.Contains(text, r.num.Int(n)) || !strings.Contains(text, r.share(n, s.Input.Records)) || !strings.Contains(text, r.T("report.decision."+k.String())) {
						t.Errorf("%s row %q lacks the count %s or share %s", k, text, r.num.Int(n), r.share(n, s.Input.Records))
					}
				}
				if sum != s.Input.Records {
					t.Errorf("counts add to %d, records %d", sum, s.Input.Records)
				}

				// The histograms: one bar per non-empty bin, the
				// threshold marked.
				pairs := doc.first(func(n *node) bool { return n.name == "svg" && n.attr["data-chart"] == "pairs" })
				if pairs == nil {
					t.Fatal("no histogram of pairs")
				}
				nonEmpty := 0
				for _, n := range s.Weights.Pairs {
					if n > 0 {
						nonEmpty++
					}
				}
				if bars := pairs.all(tag("rect", "bar")); len(bars) != nonEmpty || nonEmpty == 0 {
					t.Errorf("pairs histogram: %d bars, %d non-empty bins", len(bars), nonEmpty)
				}
				if pairs.first(tag("line", "threshold")) == nil {
					t.Error("pairs histogram: threshold not marked")
				}
				best := doc.first(func(n *node) bool { return n.name == "svg" && n.attr["data-chart"] == "best" })
				if best == nil {
					t.Fatal("no histogram of best candidates")
				}
				nonEmpty = 0
				for i := range s.Weights.Pairs {
					for _, b := range s.Weights.Best {
						if b[i] > 0 {
							nonEmpty++
							break
						}
					}
				}
				if groups := best.all(tag("g", "bin")); len(groups) != nonEmpty || nonEmpty == 0 {
					t.Errorf("best histogram: %d bars, %d non-empty bins", len(groups), nonEmpty)
				}
				for _, k := range engine.Kinds() {
					var want int64
					for _, n := range s.Weights.Best[k.String()] {
						want += n
					}
					var got int64
					for _, seg := range best.all(tag("rect", "d-"+k.String())) {
						_, count, _ := strings.Cut(seg.text.String(), ": ")
						n, err := strconv.ParseInt(strings.NewReplacer(".", "", ",", "").Replace(count), 10, 64)
						if err != nil {
							t.Fatalf("segment tooltip %q", seg.text.String())
						}
						got += n
					}
					if got != want {
						t.Errorf("best histogram: %s segments add to %d, want %d", k, got, want)
					}
				}

				// The curve and the truth section exist iff there is a
				// truth.
				curve := doc.first(func(n *node) bool { return n.name == "svg" && n.attr["data-chart"] == "curve" })
				truth := doc.first(func(n *node) bool { return n.name == "section" && n.attr["id"] == "truth" })
				if (curve != nil) != (s.Truth != nil) || (truth != nil) != (s.Truth != nil) {
					t.Errorf("truth given: %v; curve drawn: %v, truth section: %v", s.Truth != nil, curve != nil, truth != nil)
				}
				if s.Truth != nil {
					if n := len(curve.all(tag("polyline", "series"))); n != 3 {
						t.Errorf("curve: %d lines, want precision, recall and F1", n)
					}
					if curve.first(tag("line", "threshold")) == nil {
						t.Error("curve: configured threshold not marked")
					}
					text := truth.text.String()
					for _, v := range []float64{s.Truth.Precision, s.Truth.Recall, s.Truth.F1} {
						if !strings.Contains(text, r.num.Fixed(v, 5)) {
							t.Errorf("truth section lacks %s", r.num.Fixed(v, 5))
						}
					}
					switch errs := truth.first(tag("table", "errors")); {
					case errs == nil && len(s.Truth.Errors) > 0:
						t.Errorf("no errors table for %d errors", len(s.Truth.Errors))
					case errs != nil && len(errs.all(tag("tr", ""))) != min(len(s.Truth.Errors), MaxErrors)+1:
						t.Errorf("errors table: %d rows for %d errors", len(errs.all(tag("tr", "")))-1, len(s.Truth.Errors))
					}
					for c := range s.Truth.ByCase {
						if !strings.Contains(text, r.opt("report.case."+slug(c), "?")) {
							t.Errorf("case %s not in the by-case table", c)
						}
					}
				}

				// The waterfalls: one per explanation, the steps adding up
				// from the prior to the weight.
				falls := doc.all(tag("svg", "waterfall"))
				if len(falls) != len(s.Explanations) || len(falls) == 0 {
					t.Fatalf("%d waterfalls for %d explanations", len(falls), len(s.Explanations))
				}
				byLine := map[string]engine.ExplanationSample{}
				for _, e := range s.Explanations {
					byLine[strconv.Itoa(e.Line)] = e
				}
				for i, wf := range falls {
					e, ok := byLine[wf.attr["data-line"]]
					if !ok {
						t.Fatalf("waterfall %d: no explanation of line %q", i, wf.attr["data-line"])
					}
					delete(byLine, wf.attr["data-line"])
					steps := wf.all(tag("rect", "step"))
					if len(steps) != len(e.Terms)+1 {
						t.Errorf("waterfall %d: %d steps for %d terms and the prior", i, len(steps), len(e.Terms))
					}
					total := 0.0
					for _, st := range steps {
						w, err := strconv.ParseFloat(st.attr["data-w"], 64)
						if err != nil {
							t.Fatal(err)
						}
						total += w
					}
					weight, _ := strconv.ParseFloat(wf.attr["data-weight"], 64)
					prior, _ := strconv.ParseFloat(wf.attr["data-prior"], 64)
					if math.Abs(total-weight) > 1e-9 || weight != e.Weight || prior != e.Prior {
						t.Errorf("waterfall %d: steps add to %v, weight %v (summary %v)", i, total, weight, e.Weight)
					}
					for _, term := range e.Terms {
						if !strings.Contains(wf.text.String(), r.level(term.Label)) {
							t.Errorf("waterfall %d lacks the level %q", i, r.level(term.Label))
						}
					}
				}

				// The model: every level, λ.
				model := doc.first(tag("table", "model"))
				levels := 0
				for _, c := range s.Model.Comparisons {
					levels += len(c.Levels)
				}
				if rows := model.first(tag("tbody", "")).all(tag("tr", "")); len(rows) != levels {
					t.Errorf("model table: %d rows for %d levels", len(rows), levels)
				}
				if !strings.Contains(model.text.String(), r.T("report.model.tf_badge")) {
					t.Error("no comparison marked as term-frequency adjusted")
				}
				if len(s.Estimation.Unseen) > 0 && !strings.Contains(model.text.String(), r.T("report.model.unseen_badge")) {
					t.Error("unseen levels not marked")
				}

				// Blocking: a row per rule, the slowest highlighted.
				rules := doc.first(tag("table", "rules")).first(tag("tbody", "")).all(tag("tr", ""))
				if len(rules) != len(s.Blocking.Rules) {
					t.Errorf("%d rule rows for %d rules", len(rules), len(s.Blocking.Rules))
				}
				slow := false
				for _, row := range rules {
					if row.has("slow") && strings.Contains(row.text.String(), s.Blocking.Slowest) {
						slow = true
					}
				}
				if !slow {
					t.Errorf("slowest rule %q not highlighted", s.Blocking.Slowest)
				}
				blocking := doc.first(func(n *node) bool { return n.name == "section" && n.attr["id"] == "blocking" }).text.String()
				for _, n := range []int64{s.Blocking.CandidatePairs, s.Blocking.ScoredPairs} {
					if !strings.Contains(blocking, r.num.Int(n)) {
						t.Errorf("blocking section lacks %s", r.num.Int(n))
					}
				}
				if s.Floor != nil && !strings.Contains(string(page), r.T("report.floor.caption")) {
					t.Error("no floor")
				}

				// Accessibility: every chart has a title and a
				// description, every table a caption.
				for _, svg := range doc.all(tag("svg", "chart")) {
					if len(svg.children) < 2 || svg.children[0].name != "title" || svg.children[1].name != "desc" || svg.attr["role"] != "img" {
						t.Errorf("chart %q lacks its title or description", svg.attr["class"])
					}
				}
				for _, tb := range doc.all(tag("table", "")) {
					if len(tb.children) == 0 || tb.children[0].name != "caption" || strings.TrimSpace(tb.children[0].text.String()) == "" {
						t.Error("a table without a caption")
					}
				}
			})
		}
	}
}

// checkSelfContained fails on anything that would load a resource.
func checkSelfContained(t *testing.T, page []byte) {
	t.Helper()
	low := strings.ToLower(string(page))
	for _, bad := range []string{"http://", "https://", "src=", "href=\"//", "url(", "@import", "<link", "<script", "<iframe", "<object", "<embed", "<img"} {
		if strings.Contains(low, bad) {
			i := strings.Index(low, bad)
			t.Errorf("the page refers outside itself: %q near %q", bad, low[max(0, i-60):min(len(low), i+60)])
		}
	}
	for _, m := range regexp.MustCompile(`href="([^"]*)"`).FindAllStringSubmatch(string(page), -1) {
		if !strings.HasPrefix(m[1], "#") {
			t.Errorf("link to %q", m[1])
		}
	}
}

// TestCatalogKeys checks that every key the package names is in both
// catalogs, and that the catalogs name the levels, fields, rules, cases and
// actions the engine uses.
func TestCatalogKeys(t *testing.T) {
	cat := testCatalog
	var keys []string
	files, _ := filepath.Glob("*.go")
	files = append(files, "report.html.tmpl")
	lit := regexp.MustCompile(`"(report\.[a-z0-9_.]*[a-z0-9_])"`)
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range lit.FindAllStringSubmatch(string(b), -1) {
			keys = append(keys, m[1])
		}
	}
	if len(keys) < 100 {
		t.Fatalf("only %d keys found in the sources", len(keys))
	}
	for _, k := range engine.Kinds() {
		keys = append(keys, "report.decision."+k.String(), "report.decision."+k.String()+".desc")
	}
	for _, c := range reconcile.DefaultComparisons() {
		keys = append(keys, "report.field."+c.Name())
		for _, l := range c.Levels() {
			keys = append(keys, "report.level."+slug(l))
		}
	}
	keys = append(keys, "report.level.missing", "report.field.death_date")
	for _, f := range sector.Fields() {
		keys = append(keys, "report.field."+f.String())
	}
	for _, r := range engine.DefaultRules() {
		keys = append(keys, "report.rule."+slug(r.Name))
	}
	for _, c := range []string{sector.CaseMatch, sector.CaseDeceased, sector.CaseDuplicate, sector.CaseSibling, sector.CaseTwin, sector.CaseNotInRegister} {
		keys = append(keys, "report.case."+slug(c))
	}
	for _, a := range actions {
		keys = append(keys, "report.action."+a)
	}
	for _, lang := range cat.Languages() {
		for _, k := range keys {
			if _, ok := cat.Lookup(lang, k); !ok {
				t.Errorf("%s.json has no %q", lang, k)
			}
		}
	}
}

func TestEscapesAndSurvivesOddSummaries(t *testing.T) {
	_, plain := summaries(t)
	s := *plain
	s.Input.File = `<script>alert("x")</script>.csv`
	s.Explanations = slices.Clone(s.Explanations)
	s.Explanations[0].Reason = `<b onmouseover="x">`
	s.Explanations[0].ID = `a"b<c>`
	s.Blocking.Rules = slices.Clone(s.Blocking.Rules)
	s.Blocking.Rules[0].Name = `<i>rule</i>`
	page, _ := renderOK(t, &s, "vi")
	for _, bad := range []string{"<script", "<b ", "<i>", `a"b`} {
		if bytes.Contains(page, []byte(bad)) {
			t.Errorf("%q was not escaped", bad)
		}
	}
	if !bytes.Contains(page, []byte("&lt;script&gt;")) {
		t.Error("the file name is missing")
	}

	// A summary with nothing in it still renders, and parses.
	empty := &engine.Summary{Counts: map[string]int64{}}
	for _, lang := range []string{"vi", "en"} {
		renderOK(t, empty, lang)
	}
	if err := Render(io.Discard, testCatalog, empty, "fr"); err == nil {
		t.Error("an unknown language was accepted")
	}
	if err := Render(io.Discard, testCatalog, nil, "vi"); err == nil {
		t.Error("no summary was accepted")
	}
}

func TestNumbers(t *testing.T) {
	vi, en := numbersFor("vi"), numbersFor("en")
	for _, c := range []struct{ got, want string }{
		{vi.Int(1234567), "1.234.567"},
		{en.Int(1234567), "1,234,567"},
		{vi.Int(-1234), "−1.234"},
		{en.Int(999), "999"},
		{vi.Fixed(1234.5678, 2), "1.234,57"},
		{en.Fixed(1234.5678, 2), "1,234.57"},
		{vi.Percent(0.123), "12,3%"},
		{en.Percent(0), "0%"},
		{en.Percent(0.0004), "0.04%"},
		{en.Percent(0.99996), "99.996%"},
		{vi.Prob(0.999), "0,999"},
		{en.Prob(0.99999999), "> 0.999999"},
		{en.Prob(1), "1"},
		{en.Small(0.8745), "0.8745"},
		{vi.Small(0.0000249990), "2,50 × 10⁻⁵"},
		{en.Signed(11.807), "+11.81"},
		{en.Signed(-12.0018), "−12.00"},
		{en.Signed(0), "0.00"},
		{en.Trim(9.5, 1), "9.5"},
		{en.Trim(10, 1), "10"},
	} {
		if c.got != c.want {
			t.Errorf("got %q, want %q", c.got, c.want)
		}
	}
	if s := slug("Jaro–Winkler ≥ 0.92"); s != "jaro_winkler_0_92" {
		t.Errorf("slug %q", s)
	}
}

// testCatalog is the shell's catalog with the report's fragment.
var testCatalog = i18n.MustLoad(Messages)

// Every reason the engine gives is said in the report's language, part
// by part; one of no known form is kept and marked as English.
func TestReasonsInWords(t *testing.T) {
	cat := i18n.MustLoad(Messages)
	vi := &renderer{cat: cat, lang: i18n.Vietnamese, missing: map[string]bool{}}
	for _, tc := range []struct{ reason, want string }{
		{"no register record shares a blocking key", "không bản ghi nào trong cơ sở dữ liệu có chung khóa phân khối"},
		{"3 candidates within 3.0 bits of the best", "3 ứng viên cách ứng viên tốt nhất không quá 3.0 bit"},
		{"best candidate's probability 0.9812 is below the threshold 0.999", "xác suất của ứng viên tốt nhất (0.9812) dưới ngưỡng 0.999"},
		{"one-to-one: the best candidate is assigned to the record on line 12 (a duplicate?); best candidate's probability 0.41 is below the review floor 0.5",
			"ghép một–một: ứng viên tốt nhất đã thuộc về bản ghi ở dòng 12 (có thể trùng lặp?); xác suất của ứng viên tốt nhất (0.41) dưới mức xem xét 0.5"},
		{"one-to-one: every candidate is assigned to another record; the best to the record on line 7 (a duplicate?)",
			"ghép một–một: mọi ứng viên đã thuộc về bản ghi khác; ứng viên tốt nhất thuộc bản ghi ở dòng 7 (có thể trùng lặp?)"},
		{"matched on one of the person's other names (tên gọi khác); register status: missing",
			"khớp theo một tên gọi khác của người này; tình trạng trong cơ sở dữ liệu: mất tích (theo tuyên bố của tòa án)"},
	} {
		if got, english := vi.reason(tc.reason); got != tc.want || english {
			t.Errorf("reason(%q) = %q (English %v), want %q", tc.reason, got, english, tc.want)
		}
	}
	if got, english := vi.reason("line 4: birth_date: not a date"); !english || got != "line 4: birth_date: not a date" {
		t.Errorf("an unknown reason: %q, English %v", got, english)
	}
}
