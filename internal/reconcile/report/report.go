// Package report renders the summary of a reconciliation run
// (engine.Summary, summary.json) as one self-contained HTML page: styles
// inline, charts drawn here as inline SVG, no script, no external
// resource, so that it reads offline and prints. Every string a reader
// sees comes from the message catalogs of package i18n (keys report.*),
// in Vietnamese (the default) or English; numbers are written the
// language's way.
package report

import (
	"bytes"
	"embed"
	"errors"
	"fmt"
	"html/template"
	"io"
	"io/fs"
	"maps"
	"math"
	"os"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/populus-vn/populus/internal/i18n"
	"github.com/populus-vn/populus/internal/reconcile"
	"github.com/populus-vn/populus/internal/reconcile/engine"
)

//go:embed report.html.tmpl
var pageText string

//go:embed messages/vi.json messages/en.json
var messages embed.FS

// Messages is the report's fragment of the message catalog (vi.json and
// en.json): the catalog given to Render must hold it (i18n.Load(Messages)).
var Messages = func() fs.FS { f, _ := fs.Sub(messages, "messages"); return f }()

var (
	page = template.Must(template.New("report").Funcs(template.FuncMap{
		"t": func(string, ...any) string { return "" }, // replaced per page
	}).Parse(pageText))
)

// MaxErrors is the number of wrong decisions (of the truth's first ones)
// the report lists.
const MaxErrors = 25

// Render writes the report of s in lang ("vi" or "en"; "" means
// Vietnamese), with the messages of cat, which holds Messages.
func Render(w io.Writer, cat *i18n.Catalog, s *engine.Summary, lang string) error {
	_, err := render(w, cat, s, lang)
	return err
}

// WriteFile writes the report of s in lang to path (report.html).
func WriteFile(path string, cat *i18n.Catalog, s *engine.Summary, lang string) error {
	var b bytes.Buffer
	if err := Render(&b, cat, s, lang); err != nil {
		return err
	}
	return os.WriteFile(path, b.Bytes(), 0o644)
}

// render writes the report and returns the catalog keys it asked for and
// did not find (shown as the key; the tests keep the list empty).
func render(w io.Writer, cat *i18n.Catalog, s *engine.Summary, lang string) (missing []string, err error) {
	if s == nil {
		return nil, errors.New("report: no summary")
	}
	if cat == nil {
		return nil, errors.New("report: no catalog")
	}
	if lang == "" {
		lang = i18n.Vietnamese
	}
	if !cat.Supported(lang) {
		return nil, fmt.Errorf("report: language %q is not one of %s", lang, strings.Join(cat.Languages(), ", "))
	}
	r := &renderer{cat: cat, lang: lang, num: numbersFor(lang), sum: s, missing: map[string]bool{}}
	v := r.build()
	tp, err := page.Clone()
	if err != nil {
		return nil, err
	}
	tp.Funcs(template.FuncMap{"t": r.T})
	var buf bytes.Buffer
	if err := tp.Execute(&buf, v); err != nil {
		return nil, fmt.Errorf("report: %w", err)
	}
	if _, err := w.Write(buf.Bytes()); err != nil {
		return nil, err
	}
	return slices.Sorted(maps.Keys(r.missing)), nil
}

// renderer holds what building the page needs.
type renderer struct {
	cat     *i18n.Catalog
	lang    string
	num     numbers
	sum     *engine.Summary
	missing map[string]bool
	ids     int
}

// T returns the message key, formatted with args.
func (r *renderer) T(key string, args ...any) string {
	if m, ok := r.cat.Lookup(r.lang, key, args...); ok {
		return m
	}
	r.missing[key] = true
	return key
}

// opt returns the message key if the catalog has it, else fallback: for
// names that come from the data (fields, levels, cases), of which the
// catalog knows the usual ones.
func (r *renderer) opt(key, fallback string) string {
	if m, ok := r.cat.Lookup(r.lang, key); ok {
		return m
	}
	return fallback
}

func (r *renderer) id(prefix string) string {
	r.ids++
	return fmt.Sprintf("%s-%d", prefix, r.ids)
}

func (r *renderer) decisionLabel(k string) string { return r.T("report.decision." + k) }
func (r *renderer) field(name string) string      { return r.opt("report.field."+name, name) }
func (r *renderer) level(label string) string     { return r.opt("report.level."+slug(label), label) }
func (r *renderer) rule(name, desc string) string {
	return r.opt("report.rule."+slug(name), desc)
}

// slug turns a label into a key: lower-case ASCII letters and digits, runs
// of anything else one underscore ("Jaro–Winkler ≥ 0.92" →
// "jaro_winkler_0_92").
func slug(s string) string {
	var b strings.Builder
	gap := false
	for _, c := range strings.ToLower(s) {
		if c >= 'a' && c <= 'z' || c >= '0' && c <= '9' {
			if gap && b.Len() > 0 {
				b.WriteByte('_')
			}
			gap = false
			b.WriteRune(c)
			continue
		}
		gap = true
	}
	return b.String()
}

func (r *renderer) seconds(s float64) string {
	switch {
	case s <= 0:
		return r.T("report.unit.seconds", r.num.Fixed(0, 0))
	case s < 1:
		return r.T("report.unit.ms", r.num.Trim(s*1000, 1))
	case s < 100:
		return r.T("report.unit.seconds", r.num.Fixed(s, 2))
	}
	return r.T("report.unit.seconds", r.num.Fixed(s, 0))
}

func (r *renderer) mib(b int64) string {
	return r.T("report.unit.mib", r.num.Fixed(float64(b)/(1<<20), 1))
}

func (r *renderer) share(n, of int64) string {
	if of <= 0 {
		return "–"
	}
	return r.num.Percent(float64(n) / float64(of))
}

func (r *renderer) yesNo(b bool) string {
	if b {
		return r.T("report.yes")
	}
	return r.T("report.no")
}

// The page's model.

type view struct {
	Lang, Title, Subtitle, Generated string
	Cards                            []card
	Nav                              []navItem

	DecisionBar            template.HTML
	Decisions, Input       *table
	Notes, Config          *table
	PairsChart, BestChart  template.HTML
	Legend                 []legendItem
	Lambda                 string
	Model, UEst, EM, MFrom *table
	Unseen                 []string
	Estimation             *table
	Truth                  *truthView
	Explanations           []explanation
	Rules, BlockingTotals  *table
	RuleChart              template.HTML
	Corrections, Differing *table
	Timing, Speed, Memory  *table
	Register, Floor        *table
	TopNames               *table
	Version                string
}

type card struct{ Label, Value, Note string }

type navItem struct{ ID, Label string }

type legendItem struct{ Key, Label string }

type table struct {
	Caption string
	Class   string
	Head    []cell
	Rows    []row
	Foot    []row
	Empty   string // said instead of an empty table
}

type row struct {
	Class string
	Cells []cell
}

type cell struct {
	Text   string
	Head   bool // a row header
	Num    bool // right-aligned number
	Class  string
	Swatch string // a decision's colour key
	Badge  string
	Note   string // a smaller line below
	HTML   template.HTML
	Span   int // colspan
}

type truthView struct {
	Metrics, Precision, Curve, ByCase, Errors *table
	CurveChart                                template.HTML
	ErrorsNote                                string
}

type explanation struct {
	Heading, Facts, Reason string
	// ReasonEnglish marks a reason kept as the engine wrote it.
	ReasonEnglish bool
	Chart         template.HTML
	Decision      string
}

func th(s string) cell   { return cell{Text: s, Head: true} }
func num(s string) cell  { return cell{Text: s, Num: true} }
func txt(s string) cell  { return cell{Text: s} }
func hnum(s string) cell { return cell{Text: s, Num: true, Head: true} }

// kv is a two-column table of named values.
func kv(caption string, pairs ...[2]string) *table {
	t := &table{Caption: caption, Class: "kv"}
	for _, p := range pairs {
		t.Rows = append(t.Rows, row{Cells: []cell{th(p[0]), num(p[1])}})
	}
	return t
}

type decisionRow struct {
	Key, Label, Count, Share string
	n                        int64
}

type ruleRow struct {
	Name, Seconds string
	seconds       float64
	Slow          bool
}

func (r *renderer) build() *view {
	s := r.sum
	v := &view{Lang: r.lang, Title: r.T("report.title")}
	v.Subtitle = r.T("report.subtitle", s.Input.File, r.num.Int(s.Input.Records), r.num.Int(int64(s.Register.People)))
	if t, err := time.Parse(time.RFC3339, s.Generated); err == nil {
		v.Generated = r.T("report.generated", i18n.Time(t))
	}
	v.Version = r.T("report.footer", s.Version)

	total := s.Input.Records
	var linked int64
	var rows []decisionRow
	for _, k := range engine.Kinds() {
		n := s.Counts[k.String()]
		if k.Linked() {
			linked += n
		}
		rows = append(rows, decisionRow{Key: k.String(), Label: r.decisionLabel(k.String()), Count: r.num.Int(n), Share: r.share(n, total), n: n})
	}
	r.overview(v, total, linked)
	r.decisions(v, rows, total)
	r.config(v)
	r.weights(v)
	r.model(v)
	if s.Truth != nil {
		v.Truth = r.truth(s.Truth)
	}
	r.explanations(v)
	r.blocking(v)
	r.corrections(v, linked)
	r.performance(v)

	v.Nav = append(v.Nav, navItem{"overview", r.T("report.overview.heading")}, navItem{"decisions", r.T("report.decisions.heading")})
	if v.Truth != nil {
		v.Nav = append(v.Nav, navItem{"truth", r.T("report.truth.heading")})
	}
	v.Nav = append(v.Nav, navItem{"weights", r.T("report.weights.heading")})
	if len(v.Explanations) > 0 {
		v.Nav = append(v.Nav, navItem{"explanations", r.T("report.explain.heading")})
	}
	v.Nav = append(v.Nav, navItem{"model", r.T("report.model.heading")}, navItem{"blocking", r.T("report.blocking.heading")},
		navItem{"corrections", r.T("report.corrections.heading")}, navItem{"performance", r.T("report.perf.heading")})
	return v
}

func (r *renderer) overview(v *view, total, linked int64) {
	s := r.sum
	v.Cards = []card{
		{r.T("report.card.records"), r.num.Int(total), r.T("report.card.register", r.num.Int(int64(s.Register.People)))},
		{r.T("report.card.linked"), r.share(linked, total), r.T("report.card.linked_note", r.num.Int(linked))},
		{r.T("report.card.review"), r.num.Int(s.Counts["ambiguous"]), r.T("report.card.review_note", r.share(s.Counts["ambiguous"], total))},
		{r.T("report.card.not_found"), r.num.Int(s.Counts["not_found"]), r.T("report.card.not_found_note", r.share(s.Counts["not_found"], total))},
	}
	if t := s.Truth; t != nil {
		v.Cards = append(v.Cards, card{r.T("report.card.f1"), r.num.Fixed(t.F1, 4),
			r.T("report.card.f1_note", r.num.Fixed(t.Precision, 4), r.num.Fixed(t.Recall, 4))})
	}
	v.Cards = append(v.Cards, card{r.T("report.card.time"), r.seconds(s.Timing.Total),
		r.T("report.card.time_note", r.num.Compact(s.Speed.RecordsPerSecond))})
}

func (r *renderer) decisions(v *view, rows []decisionRow, total int64) {
	s := r.sum
	v.DecisionBar = r.decisionBar(rows, total)
	t := &table{Caption: r.T("report.decisions.caption", r.num.Int(total)), Class: "decisions",
		Head: []cell{txt(r.T("report.decisions.col_decision")), txt(r.T("report.decisions.col_meaning")),
			hnum(r.T("report.decisions.col_records")), hnum(r.T("report.decisions.col_share"))}}
	var sum int64
	for _, d := range rows {
		sum += d.n
		t.Rows = append(t.Rows, row{Class: "decision-" + d.Key, Cells: []cell{
			{Text: d.Label, Head: true, Swatch: d.Key}, txt(r.T("report.decision." + d.Key + ".desc")), num(d.Count), num(d.Share)}})
		v.Legend = append(v.Legend, legendItem{d.Key, d.Label})
	}
	t.Foot = []row{{Cells: []cell{{Text: r.T("report.total"), Head: true, Span: 2}, num(r.num.Int(sum)), num(r.share(sum, total))}}}
	v.Decisions = t

	in := s.Input
	v.Input = kv(r.T("report.input.caption"),
		[2]string{r.T("report.input.file"), in.File},
		[2]string{r.T("report.input.records"), r.num.Int(in.Records)},
		[2]string{r.T("report.input.row_errors"), r.num.Int(in.RowErrors)},
		[2]string{r.T("report.input.with_notes"), r.num.Int(in.RecordsWithNotes)},
	)
	if in.Mapping != "" {
		v.Input.Rows = append(v.Input.Rows, row{Cells: []cell{th(r.T("report.input.mapping")), {Text: in.Mapping, Class: "code"}}})
	}
	if len(in.Notes) > 0 {
		v.Notes = &table{Caption: r.T("report.input.notes_caption"), Head: []cell{txt(r.T("report.col.field")), hnum(r.T("report.col.records")),
			hnum(r.T("report.col.unreadable"))}}
		for _, f := range sortedByCount(in.Notes) {
			v.Notes.Rows = append(v.Notes.Rows, row{Cells: []cell{th(r.field(f)), num(r.num.Int(in.Notes[f])), num(r.num.Int(in.Unreadable[f]))}})
		}
	}
}

// sortedByCount returns the keys, the largest count first.
func sortedByCount(m map[string]int64) []string {
	keys := slices.Sorted(maps.Keys(m))
	sort.SliceStable(keys, func(i, j int) bool { return m[keys[i]] > m[keys[j]] })
	return keys
}

func (r *renderer) config(v *view) {
	c := r.sum.Config
	v.Config = kv(r.T("report.config.caption"),
		[2]string{r.T("report.config.threshold"), r.T("report.config.threshold_value", r.num.Prob(c.Threshold), r.num.Fixed(reconcile.Weight(c.Threshold), 2))},
		[2]string{r.T("report.config.review_floor"), r.T("report.config.threshold_value", r.num.Prob(c.ReviewFloor), r.num.Fixed(reconcile.Weight(c.ReviewFloor), 2))},
		[2]string{r.T("report.config.margin"), r.T("report.unit.bits", r.num.Trim(c.Margin, 2))},
		[2]string{r.T("report.config.one_to_one"), r.yesNo(c.OneToOne)},
		[2]string{r.T("report.config.max_block"), r.num.Int(int64(c.MaxBlock))},
		[2]string{r.T("report.config.workers"), r.num.Int(int64(c.Workers))},
		[2]string{r.T("report.config.train_sample"), r.num.Int(int64(c.TrainSample))},
		[2]string{r.T("report.config.u_pairs"), r.num.Int(int64(c.UPairs))},
		[2]string{r.T("report.config.max_em_pairs"), r.num.Int(int64(c.MaxEMPairs))},
		[2]string{r.T("report.config.top_n"), r.num.Int(int64(c.TopN))},
		[2]string{r.T("report.config.seed"), fmt.Sprint(c.Seed)},
		[2]string{r.T("report.config.model"), r.yesNo(r.sum.Estimation.FromModel)},
	)
}

func (r *renderer) weights(v *view) {
	v.PairsChart, _ = r.pairsHistogram()
	v.BestChart, _ = r.bestHistogram()
}

// tfComparisons names the comparisons whose exact-agreement levels are
// adjusted for term frequency: those of the default model that are, and
// any an explanation shows adjusted.
func (r *renderer) tfComparisons() map[string]bool {
	tf := map[string]bool{}
	for _, c := range reconcile.DefaultComparisons() {
		if _, ok := c.(reconcile.TFComparison); ok {
			tf[c.Name()] = true
		}
	}
	for _, e := range r.sum.Explanations {
		for _, t := range e.Terms {
			if t.TF {
				tf[t.Comparison] = true
			}
		}
	}
	return tf
}

func (r *renderer) model(v *view) {
	s := r.sum
	m := s.Model
	v.Lambda = r.T("report.model.lambda", r.num.Small(m.Lambda), r.num.Signed(m.PriorWeight))
	unseen := map[string]bool{}
	for _, u := range s.Estimation.Unseen {
		unseen[u] = true
	}
	tf := r.tfComparisons()
	top := 0.0
	for _, c := range m.Comparisons {
		for _, l := range c.Levels {
			if !math.IsInf(l.Weight, 0) && !math.IsNaN(l.Weight) {
				top = math.Max(top, math.Abs(l.Weight))
			}
		}
	}
	t := &table{Caption: r.T("report.model.caption"), Class: "model",
		Head: []cell{txt(r.T("report.model.col_comparison")), txt(r.T("report.model.col_level")), hnum("m"), hnum("u"),
			hnum(r.T("report.model.col_weight")), {Text: r.T("report.model.col_bar"), Class: "bar-col"}}}
	for _, c := range m.Comparisons {
		for i, l := range c.Levels {
			name := cell{Text: r.field(c.Name), Head: true}
			if i > 0 {
				name = cell{Head: true, Class: "cont"}
			} else if tf[c.Name] {
				name.Badge = r.T("report.model.tf_badge")
			}
			level := txt(r.level(l.Label))
			if unseen[c.Name+": "+l.Label] {
				level.Badge = r.T("report.model.unseen_badge")
			}
			class := ""
			if i == 0 {
				class = "group-start"
			}
			t.Rows = append(t.Rows, row{Class: class, Cells: []cell{name, level, num(r.num.Small(l.M)), num(r.num.Small(l.U)),
				num(r.num.Signed(l.Weight)), {HTML: r.weightBar(l.Weight, top), Class: "bar-col"}}})
		}
	}
	v.Model = t
	for _, u := range s.Estimation.Unseen {
		c, l, ok := strings.Cut(u, ": ")
		if ok {
			u = r.field(c) + ": " + r.level(l)
		}
		v.Unseen = append(v.Unseen, u)
	}

	e := s.Estimation
	pr := e.Prior
	v.Estimation = kv(r.T("report.est.caption"),
		[2]string{r.T("report.est.sample"), r.num.Int(int64(e.Sample))},
		[2]string{r.T("report.est.lambda"), r.num.Small(pr.Lambda)},
		[2]string{r.T("report.est.prior_weight"), r.num.Signed(pr.PriorWeight)},
		[2]string{r.T("report.est.rule_pairs"), r.num.Int(pr.RulePairs)},
		[2]string{r.T("report.est.pin_recall"), r.num.Percent(pr.Recall)},
	)
	if pr.Note != "" {
		v.Estimation.Rows = append(v.Estimation.Rows, row{Cells: []cell{th(r.T("report.est.note")), txt(pr.Note)}})
	}
	if len(e.U) > 0 {
		v.UEst = &table{Caption: r.T("report.est.u_caption"), Head: []cell{txt(r.T("report.model.col_comparison")), hnum(r.T("report.est.u_pairs")),
			hnum(r.T("report.est.sector_holders")), hnum(r.T("report.est.register_holders")), txt(r.T("report.est.note"))}}
		for _, u := range e.U {
			v.UEst.Rows = append(v.UEst.Rows, row{Cells: []cell{th(r.field(u.Comparison)), num(r.num.Int(u.Pairs)),
				num(r.num.Int(int64(u.SectorHolders))), num(r.num.Int(int64(u.RegisterHolders))), txt(u.Note)}})
		}
	}
	if len(e.EM) > 0 {
		v.EM = &table{Caption: r.T("report.est.em_caption"), Head: []cell{txt(r.T("report.blocking.col_rule")), txt(r.T("report.est.skip")),
			hnum(r.T("report.est.pairs")), hnum(r.T("report.est.patterns")), hnum(r.T("report.est.iterations")), txt(r.T("report.est.converged")), hnum("λ"), txt(r.T("report.est.note"))}}
		for _, s := range e.EM {
			var skip []string
			for _, f := range s.Skip {
				skip = append(skip, r.field(f))
			}
			v.EM.Rows = append(v.EM.Rows, row{Cells: []cell{th(s.Rule), txt(strings.Join(skip, ", ")), num(r.num.Int(s.Pairs)),
				num(r.num.Int(int64(s.Patterns))), num(r.num.Int(int64(s.Iterations))), txt(r.yesNo(s.Converged)), num(r.num.Prob(s.Lambda)), txt(s.Note)}})
		}
	}
	if len(e.MFrom) > 0 {
		v.MFrom = &table{Caption: r.T("report.est.mfrom_caption"), Head: []cell{txt(r.T("report.model.col_comparison")), txt(r.T("report.est.sessions"))}}
		for _, c := range m.Comparisons {
			if rules, ok := e.MFrom[c.Name]; ok {
				v.MFrom.Rows = append(v.MFrom.Rows, row{Cells: []cell{th(r.field(c.Name)), txt(strings.Join(rules, ", "))}})
			}
		}
	}
}

func (r *renderer) precisionRow(label string, p engine.PrecisionCount) row {
	return row{Cells: []cell{th(label), num(r.num.Fixed(p.Precision, 5)), num(r.num.Int(p.Correct)), num(r.num.Int(p.Linked)), num(r.num.Int(p.Linked - p.Correct))}}
}

func (r *renderer) truth(t *engine.TruthSummary) *truthView {
	tv := &truthView{}
	tv.Metrics = kv(r.T("report.truth.metrics_caption", r.num.Int(t.Records)),
		[2]string{r.T("report.truth.precision"), r.num.Fixed(t.Precision, 5)},
		[2]string{r.T("report.truth.recall"), r.num.Fixed(t.Recall, 5)},
		[2]string{r.T("report.truth.f1"), r.num.Fixed(t.F1, 5)},
		[2]string{r.T("report.truth.in_register"), r.num.Int(t.InRegister)},
		[2]string{r.T("report.truth.linked"), r.num.Int(t.Linked)},
		[2]string{r.T("report.truth.correct"), r.num.Int(t.Correct)},
	)
	tv.Precision = &table{Caption: r.T("report.truth.precision_caption"),
		Head: []cell{txt(r.T("report.truth.col_links")), hnum(r.T("report.truth.precision")), hnum(r.T("report.truth.col_correct")),
			hnum(r.T("report.truth.col_linked")), hnum(r.T("report.truth.col_wrong"))},
		Rows: []row{r.precisionRow(r.T("report.truth.auto"), t.Auto), r.precisionRow(r.T("report.truth.verified"), t.Verified),
			r.precisionRow(r.T("report.truth.probabilistic"), t.Probabilistic)}}
	tv.CurveChart = r.curveChart(t.Curve)
	if len(t.Curve) > 0 {
		tv.Curve = &table{Caption: r.T("report.truth.curve_caption"), Head: []cell{hnum(r.T("report.truth.col_threshold")),
			hnum(r.T("report.truth.col_linked")), hnum(r.T("report.truth.precision")), hnum(r.T("report.truth.recall")), hnum(r.T("report.truth.f1"))}}
		for _, p := range t.Curve {
			rw := row{Cells: []cell{{Text: r.num.Prob(p.Threshold), Num: true, Head: true}, num(r.num.Int(p.Linked)),
				num(r.num.Fixed(p.Precision, 5)), num(r.num.Fixed(p.Recall, 5)), num(r.num.Fixed(p.F1, 5))}}
			if math.Abs(p.Threshold-r.sum.Config.Threshold) < 1e-12 {
				rw.Class = "current"
				rw.Cells[0].Badge = r.T("report.truth.configured")
			}
			tv.Curve.Rows = append(tv.Curve.Rows, rw)
		}
	}
	// By case: a column per decision seen, the wrong links after.
	seen := map[string]bool{}
	for _, m := range t.ByCase {
		for d := range m {
			seen[d] = true
		}
	}
	var cols []string
	for _, prefix := range []string{"", "wrong:"} {
		for _, k := range engine.Kinds() {
			if seen[prefix+k.String()] {
				cols = append(cols, prefix+k.String())
				delete(seen, prefix+k.String())
			}
		}
	}
	cols = append(cols, slices.Sorted(maps.Keys(seen))...)
	bc := &table{Caption: r.T("report.truth.bycase_caption"), Class: "bycase", Head: []cell{txt(r.T("report.truth.col_case"))}}
	for _, c := range cols {
		label := c
		if d, ok := strings.CutPrefix(c, "wrong:"); ok {
			label = r.T("report.truth.wrong", r.decisionLabel(d))
		} else if slices.ContainsFunc(engine.Kinds(), func(k engine.Kind) bool { return k.String() == c }) {
			label = r.decisionLabel(c)
		}
		bc.Head = append(bc.Head, hnum(label))
	}
	bc.Head = append(bc.Head, hnum(r.T("report.total")))
	cases := slices.Sorted(maps.Keys(t.ByCase))
	order := map[string]int{"match": 0, "deceased": 1, "duplicate": 2, "sibling": 3, "twin": 4, "not-in-register": 5}
	sort.SliceStable(cases, func(i, j int) bool {
		oi, ok1 := order[cases[i]]
		oj, ok2 := order[cases[j]]
		if !ok1 {
			oi = 99
		}
		if !ok2 {
			oj = 99
		}
		return oi < oj
	})
	for _, c := range cases {
		rw := row{Cells: []cell{th(r.opt("report.case."+slug(c), c))}}
		var sum int64
		for _, col := range cols {
			n := t.ByCase[c][col]
			sum += n
			ce := num(r.num.Int(n))
			if n == 0 {
				ce.Class = "zero"
			} else if strings.HasPrefix(col, "wrong:") {
				ce.Class = "bad"
			}
			rw.Cells = append(rw.Cells, ce)
		}
		rw.Cells = append(rw.Cells, num(r.num.Int(sum)))
		bc.Rows = append(bc.Rows, rw)
	}
	tv.ByCase = bc

	tv.Errors = &table{Caption: r.T("report.truth.errors_caption"), Class: "errors", Empty: r.T("report.truth.no_errors"),
		Head: []cell{txt(r.T("report.col.id")), hnum(r.T("report.col.line")), txt(r.T("report.truth.col_case")), txt(r.T("report.truth.col_corruptions")),
			txt(r.T("report.decisions.col_decision")), txt(r.T("report.truth.col_true_pin")), txt(r.T("report.truth.col_pin")),
			hnum(r.T("report.col.probability")), hnum(r.T("report.col.weight")), txt(r.T("report.col.reason"))}}
	for _, e := range t.Errors[:min(len(t.Errors), MaxErrors)] {
		tv.Errors.Rows = append(tv.Errors.Rows, row{Cells: []cell{{Text: e.ID, Class: "pin"}, num(r.num.Int(int64(e.Line))),
			txt(r.opt("report.case."+slug(e.Case), e.Case)), {Text: e.Corruptions, Class: "code"}, {Text: r.decisionLabel(e.Decision), Swatch: e.Decision},
			{Text: e.TruePIN, Class: "pin"}, {Text: e.PIN, Class: "pin"}, num(r.num.Prob(e.Probability)), num(r.num.Signed(e.Weight)), r.reasonCell(e.Reason)}})
	}
	if len(t.Errors) > MaxErrors {
		tv.ErrorsNote = r.T("report.truth.errors_note", r.num.Int(MaxErrors), r.num.Int(int64(len(t.Errors))))
	}
	return tv
}

func (r *renderer) explanations(v *view) {
	// One of each decision first, in the order of the decisions table.
	order := map[string]int{}
	for i, k := range engine.Kinds() {
		order[k.String()] = i
	}
	samples := slices.Clone(r.sum.Explanations)
	seen := map[string]int{}
	rank := make(map[*engine.ExplanationSample]int, len(samples))
	for i := range samples {
		e := &samples[i]
		rank[e] = seen[e.Decision]*100 + order[e.Decision]
		seen[e.Decision]++
	}
	idx := make([]int, len(samples))
	for i := range idx {
		idx[i] = i
	}
	sort.SliceStable(idx, func(a, b int) bool { return rank[&samples[idx[a]]] < rank[&samples[idx[b]]] })
	for _, i := range idx {
		e := samples[i]
		x := explanation{Decision: e.Decision, Chart: r.waterfall(e)}
		x.Heading = r.T("report.explain.sample", r.decisionLabel(e.Decision), e.ID, r.num.Int(int64(e.Line)))
		x.Facts = r.T("report.explain.facts", e.PIN, r.num.Signed(e.Weight), r.num.Prob(e.Probability), r.num.Prob(e.CompetingProbability))
		if e.OtherName {
			x.Facts += " " + r.T("report.explain.other_name")
		}
		x.Reason, x.ReasonEnglish = r.reason(e.Reason)
		v.Explanations = append(v.Explanations, x)
	}
}

func (r *renderer) blocking(v *view) {
	b := r.sum.Blocking
	var slowest float64
	for _, ru := range b.Rules {
		slowest = max(slowest, ru.Seconds)
	}
	t := &table{Caption: r.T("report.blocking.caption"), Class: "rules",
		Head: []cell{txt(r.T("report.blocking.col_rule")), hnum(r.T("report.blocking.col_keys")),
			hnum(r.T("report.blocking.col_max_key")), hnum(r.T("report.blocking.col_lookups")), hnum(r.T("report.blocking.col_pairs")),
			hnum(r.T("report.blocking.col_capped_lookups")), hnum(r.T("report.blocking.col_capped_pairs")),
			hnum(r.T("report.blocking.col_estimate_s")), hnum(r.T("report.blocking.col_run_s"))}}
	var rows []ruleRow
	for _, ru := range b.Rules {
		// The slow rules: the slowest, and any taking at least half its time.
		slow := ru.Name == b.Slowest || slowest > 0 && ru.Seconds >= slowest/2
		name := cell{Text: ru.Name, Head: true, Class: "rule", Note: r.rule(ru.Name, ru.Description)}
		if ru.Name == b.Slowest {
			name.Badge = r.T("report.blocking.slowest")
		}
		rw := row{Cells: []cell{name, num(r.num.Int(int64(ru.RegisterKeys))), num(r.num.Int(int64(ru.MaxKey))),
			num(r.num.Int(ru.Lookups)), num(r.num.Int(ru.EstimatedPairs)), num(r.num.Int(ru.CappedLookups)), num(r.num.Int(ru.CappedPairs)),
			num(r.seconds(ru.EstimateSeconds)), num(r.seconds(ru.Seconds))}}
		if slow {
			rw.Class = "slow"
		}
		t.Rows = append(t.Rows, rw)
		rows = append(rows, ruleRow{Name: ru.Name, Seconds: r.seconds(ru.Seconds), seconds: ru.Seconds, Slow: slow})
	}
	v.Rules = t
	v.RuleChart = r.ruleChart(rows)
	records := max(r.sum.Input.Records-r.sum.Input.RowErrors, 1)
	v.BlockingTotals = kv(r.T("report.blocking.totals_caption"),
		[2]string{r.T("report.blocking.estimated"), r.num.Int(b.EstimatedPairs)},
		[2]string{r.T("report.blocking.candidates"), r.num.Int(b.CandidatePairs)},
		[2]string{r.T("report.blocking.scored"), r.num.Int(b.ScoredPairs)},
		[2]string{r.T("report.blocking.per_record"), r.num.Fixed(float64(b.CandidatePairs)/float64(records), 1)},
	)
}

var actions = []string{engine.ActionCorrect, engine.ActionFill, engine.ActionNormalise, engine.ActionDeceased}

func (r *renderer) corrections(v *view, linked int64) {
	s := r.sum
	cols := slices.Clone(actions)
	for _, m := range s.Corrections {
		for a := range m {
			if !slices.Contains(cols, a) {
				cols = append(cols, a)
			}
		}
	}
	t := &table{Caption: r.T("report.corrections.caption"), Empty: r.T("report.corrections.none"), Head: []cell{txt(r.T("report.col.field"))}}
	for _, a := range cols {
		t.Head = append(t.Head, hnum(r.opt("report.action."+a, a)))
	}
	t.Head = append(t.Head, hnum(r.T("report.total")))
	fieldTotals := map[string]int64{}
	for f, m := range s.Corrections {
		for _, n := range m {
			fieldTotals[f] += n
		}
	}
	colTotals := make([]int64, len(cols))
	for _, f := range sortedByCount(fieldTotals) {
		rw := row{Cells: []cell{th(r.field(f))}}
		for i, a := range cols {
			n := s.Corrections[f][a]
			colTotals[i] += n
			c := num(r.num.Int(n))
			if n == 0 {
				c.Class = "zero"
			}
			rw.Cells = append(rw.Cells, c)
		}
		rw.Cells = append(rw.Cells, num(r.num.Int(fieldTotals[f])))
		t.Rows = append(t.Rows, rw)
	}
	if len(t.Rows) > 0 {
		foot := row{Cells: []cell{th(r.T("report.total"))}}
		var all int64
		for _, n := range colTotals {
			foot.Cells = append(foot.Cells, num(r.num.Int(n)))
			all += n
		}
		foot.Cells = append(foot.Cells, num(r.num.Int(all)))
		t.Foot = []row{foot}
	}
	v.Corrections = t

	d := &table{Caption: r.T("report.differing.caption", r.num.Int(linked)), Empty: r.T("report.differing.none"),
		Head: []cell{txt(r.T("report.col.field")), hnum(r.T("report.col.records")), hnum(r.T("report.differing.col_share"))}}
	for _, f := range sortedByCount(s.Differing) {
		n := s.Differing[f]
		if n == 0 {
			continue
		}
		d.Rows = append(d.Rows, row{Cells: []cell{th(r.field(f)), num(r.num.Int(n)), num(r.share(n, linked))}})
	}
	v.Differing = d
}

func (r *renderer) performance(v *view) {
	s := r.sum
	tm := s.Timing
	v.Timing = kv(r.T("report.perf.timing_caption"),
		[2]string{r.T("report.perf.estimate"), r.seconds(tm.Estimate)},
		[2]string{r.T("report.perf.train"), r.seconds(tm.Train)},
	)
	if tm.Load > 0 {
		v.Timing.Rows = slices.Insert(v.Timing.Rows, 0, row{Cells: []cell{th(r.T("report.perf.load")), num(r.seconds(tm.Load))}})
	}
	if s.Config.OneToOne || tm.Claims > 0 {
		v.Timing.Rows = append(v.Timing.Rows, row{Cells: []cell{th(r.T("report.perf.claims")), num(r.seconds(tm.Claims))}})
	}
	v.Timing.Rows = append(v.Timing.Rows, row{Cells: []cell{th(r.T("report.perf.match")), num(r.seconds(tm.Match))}})
	v.Timing.Foot = []row{{Cells: []cell{th(r.T("report.perf.total")), num(r.seconds(tm.Total))}}}
	sp := s.Speed
	v.Speed = kv(r.T("report.perf.speed_caption"),
		[2]string{r.T("report.perf.workers"), r.num.Int(int64(sp.Workers))},
		[2]string{r.T("report.perf.records_per_s"), r.num.Compact(sp.RecordsPerSecond)},
		[2]string{r.T("report.perf.pairs_per_s"), r.num.Compact(sp.PairsPerSecond)},
		[2]string{r.T("report.perf.pairs_per_core"), r.num.Compact(sp.PairsPerSecondPerCore)},
	)
	if sp.PairsPerCPUSecond > 0 {
		v.Speed.Rows = append(v.Speed.Rows,
			kv("", [2]string{r.T("report.perf.pairs_per_cpu_s"), r.num.Compact(sp.PairsPerCPUSecond)}).Rows...)
	}
	mem := s.Memory
	v.Memory = kv(r.T("report.perf.memory_caption"),
		[2]string{r.T("report.perf.heap_in_use"), r.mib(mem.HeapInUse)},
		[2]string{r.T("report.perf.heap_peak"), r.mib(mem.HeapPeak)},
		[2]string{r.T("report.perf.sys"), r.mib(mem.Sys)},
	)
	if f := s.Floor; f != nil {
		v.Floor = kv(r.T("report.floor.caption"),
			[2]string{r.T("report.floor.seconds"), r.seconds(f.Seconds)},
			[2]string{r.T("report.floor.matched"), r.T("report.floor.matched_value", r.num.Int(f.Matched), r.num.Int(f.Records))},
			[2]string{r.T("report.floor.ratio"), r.T("report.floor.ratio_value", r.num.Fixed(f.Ratio, 1))},
		)
	}
	st := s.Register
	v.Register = kv(r.T("report.register.caption"),
		[2]string{r.T("report.register.people"), r.num.Int(int64(st.People))},
		[2]string{r.T("report.register.other_names"), r.num.Int(int64(st.OtherNames))},
		[2]string{r.T("report.register.not_alive"), r.num.Int(int64(st.NotAlive))},
		[2]string{r.T("report.register.bytes_per_person"), r.T("report.unit.bytes", r.num.Fixed(st.BytesPerPerson, 0))},
		[2]string{r.T("report.register.index_size"), r.mib(st.RecordBytes + st.BlockBytes + st.OtherBytes)},
	)
	if st.HeapBytesPerPerson > 0 {
		v.Register.Rows = append(v.Register.Rows, row{Cells: []cell{th(r.T("report.register.heap_per_person")), num(r.T("report.unit.bytes", r.num.Fixed(st.HeapBytesPerPerson, 0)))}})
	}
	if st.LoadSeconds > 0 {
		v.Register.Rows = append(v.Register.Rows, row{Cells: []cell{th(r.T("report.register.load")), num(r.seconds(st.LoadSeconds))}})
	}
	if len(s.TopFamilyNames) > 0 {
		t := &table{Caption: r.T("report.register.names_caption"), Head: []cell{txt(r.T("report.register.col_name")), hnum(r.T("report.col.people")), hnum(r.T("report.col.share"))}}
		for _, n := range s.TopFamilyNames[:min(len(s.TopFamilyNames), 10)] {
			t.Rows = append(t.Rows, row{Cells: []cell{th(n.Value), num(r.num.Int(n.Count)), num(r.num.Percent(n.Share))}})
		}
		v.TopNames = t
	}
}

// reasonCell is a decision's reason in a table, in the report's language
// where reason has its words (class "en" marks one kept as written).
func (r *renderer) reasonCell(reason string) cell {
	t, english := r.reason(reason)
	c := txt(t)
	if english {
		c.Class = "en"
	}
	return c
}
