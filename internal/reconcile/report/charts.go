package report

import (
	"html/template"
	"math"
	"slices"
	"strconv"

	"github.com/populus-vn/populus/internal/reconcile"
	"github.com/populus-vn/populus/internal/reconcile/engine"
)

// Colours of the decisions (Okabe–Ito, readable by colour-blind readers)
// are in the style sheet, as classes d-<decision>.

// decisionBar is a single bar split by decision, as wide as the records.
func (r *renderer) decisionBar(rows []decisionRow, total int64) template.HTML {
	const w, h = 900.0, 40.0
	s := newSVG(r.id("decisions"), w, h, "chart decision-bar", r.T("report.decisions.chart_title"), r.T("report.decisions.chart_desc"))
	x := 0.0
	for _, d := range rows {
		if d.n == 0 || total == 0 {
			continue
		}
		dw := w * float64(d.n) / float64(total)
		s.rect(x, 4, dw, h-8, "d-"+d.Key, d.Label+": "+d.Count+" ("+d.Share+")")
		x += dw
	}
	return s.html()
}

// histRange is the span of weights worth drawing: the non-empty bins,
// the marks, a bin of room on each side.
func histRange(h engine.WeightHistogram, marks ...float64) (lo, hi float64, ok bool) {
	first, last := -1, -1
	note := func(bins []int64) {
		for i, n := range bins {
			if n > 0 {
				if first < 0 || i < first {
					first = i
				}
				last = max(last, i)
			}
		}
	}
	note(h.Pairs)
	for _, b := range h.Best {
		note(b)
	}
	if first < 0 {
		return 0, 0, false
	}
	width := float64(max(h.BinWidth, 1))
	lo = float64(h.Min) + float64(first)*width - width
	hi = float64(h.Min) + float64(last+1)*width + width
	for _, m := range marks {
		if !math.IsInf(m, 0) && !math.IsNaN(m) {
			lo, hi = min(lo, math.Floor(m)-width), max(hi, math.Ceil(m)+width)
		}
	}
	return lo, hi, true
}

type frame struct {
	w, h, left, right, top, bottom float64
}

func (f frame) x(lo, hi float64) scale { return scale{lo, hi, f.left, f.w - f.right} }

// xAxis draws the weight axis with its ticks and the threshold marks.
func (r *renderer) weightAxis(s *svg, f frame, x scale, title string) {
	base := f.h - f.bottom
	s.line(f.left, base, f.w-f.right, base, "axis")
	for _, t := range ticks(x.d0, x.d1, 12) {
		px := x.at(t)
		s.line(px, base, px, base+4, "axis")
		s.text(px, base+16, "middle", "tick", r.num.Trim(t, 1))
	}
	s.text((f.left+f.w-f.right)/2, f.h-6, "middle", "axis-title", title)
}

// marks draws the threshold and the review floor as dashed lines.
func (r *renderer) marks(s *svg, f frame, x scale) {
	c := r.sum.Config
	for _, m := range []struct {
		p     float64
		class string
		key   string
	}{{c.Threshold, "mark threshold", "report.chart.threshold_mark"}, {c.ReviewFloor, "mark floor", "report.chart.floor_mark"}} {
		w := reconcile.Weight(m.p)
		if math.IsInf(w, 0) || w < x.d0 || w > x.d1 {
			continue
		}
		px := x.at(w)
		s.line(px, f.top-4, px, f.h-f.bottom, m.class)
		anchor, dx := "start", 4.0
		if px > f.w*0.8 {
			anchor, dx = "end", -4
		}
		y := f.top + 6
		if m.class != "mark threshold" {
			y += 14
		}
		s.text(px+dx, y, anchor, "mark-label "+m.class, r.T(m.key, r.num.Prob(m.p), r.num.Fixed(w, 2)))
	}
}

// pairsHistogram draws every scored pair's weight, one bar per non-empty
// bin, on a logarithmic count scale (non-matches outnumber matches).
func (r *renderer) pairsHistogram() (template.HTML, int) {
	h := r.sum.Weights
	c := r.sum.Config
	lo, hi, ok := histRange(h, reconcile.Weight(c.Threshold), reconcile.Weight(c.ReviewFloor))
	if !ok {
		return "", 0
	}
	f := frame{w: 900, h: 300, left: 64, right: 16, top: 28, bottom: 44}
	s := newSVG(r.id("pairs"), f.w, f.h, "chart histogram", r.T("report.weights.pairs_title"), r.T("report.weights.pairs_desc"), "data-chart", "pairs")
	x := f.x(lo, hi)
	var top int64
	for _, n := range h.Pairs {
		top = max(top, n)
	}
	const floor = 0.3 // a count of 1 still shows
	L := math.Log10(float64(max(top, 1))) + floor
	y := scale{0, L, f.h - f.bottom, f.top}
	for k := 0.0; k <= math.Log10(float64(max(top, 1)))+1e-9; k++ {
		py := y.at(k + floor)
		s.line(f.left, py, f.w-f.right, py, "grid")
		s.text(f.left-6, py+4, "end", "tick", r.num.Int(int64(math.Pow(10, k))))
	}
	s.rotated(14, (f.top+f.h-f.bottom)/2, -90, "middle", "axis-title", r.T("report.weights.pairs_axis"))
	bars := 0
	width := float64(max(h.BinWidth, 1))
	for i, n := range h.Pairs {
		if n == 0 {
			continue
		}
		bars++
		e := float64(h.Min) + float64(i)*width
		x0, x1 := x.at(e), x.at(e+width)
		yt := y.at(math.Log10(float64(n)) + floor)
		s.rect(x0+0.5, yt, max(x1-x0-1, 1), f.h-f.bottom-yt, "bar", r.binTip(i, e, width, n))
	}
	r.marks(s, f, x)
	r.weightAxis(s, f, x, r.T("report.weights.axis"))
	return s.html(), bars
}

func (r *renderer) binTip(i int, e, width float64, n int64) string {
	h := r.sum.Weights
	switch {
	case i == 0:
		return r.T("report.weights.bin_below", r.num.Trim(e+width, 1), r.num.Int(n))
	case i == len(h.Pairs)-1:
		return r.T("report.weights.bin_above", r.num.Trim(e, 1), r.num.Int(n))
	}
	return r.T("report.weights.bin", r.num.Trim(e, 1), r.num.Trim(e+width, 1), r.num.Int(n))
}

// bestHistogram draws each record's best candidate, bars stacked by
// decision, one group per non-empty bin.
func (r *renderer) bestHistogram() (template.HTML, int) {
	h := r.sum.Weights
	c := r.sum.Config
	lo, hi, ok := histRange(h, reconcile.Weight(c.Threshold), reconcile.Weight(c.ReviewFloor))
	if !ok || len(h.Best) == 0 {
		return "", 0
	}
	nbins := 0
	for _, b := range h.Best {
		nbins = max(nbins, len(b))
	}
	totals := make([]int64, nbins)
	for _, b := range h.Best {
		for i, n := range b {
			totals[i] += n
		}
	}
	top := slices.Max(totals)
	if top == 0 {
		return "", 0
	}
	f := frame{w: 900, h: 300, left: 64, right: 16, top: 28, bottom: 44}
	s := newSVG(r.id("best"), f.w, f.h, "chart histogram stacked", r.T("report.weights.best_title"), r.T("report.weights.best_desc"), "data-chart", "best")
	x := f.x(lo, hi)
	y := scale{0, float64(top), f.h - f.bottom, f.top}
	for _, t := range ticks(0, float64(top), 5) {
		if t != math.Trunc(t) {
			continue
		}
		py := y.at(t)
		s.line(f.left, py, f.w-f.right, py, "grid")
		s.text(f.left-6, py+4, "end", "tick", r.num.Compact(t))
	}
	s.rotated(14, (f.top+f.h-f.bottom)/2, -90, "middle", "axis-title", r.T("report.weights.best_axis"))
	width := float64(max(h.BinWidth, 1))
	groups := 0
	for i, tot := range totals {
		if tot == 0 {
			continue
		}
		groups++
		e := float64(h.Min) + float64(i)*width
		x0, x1 := x.at(e), x.at(e+width)
		s.open("g", "bin", r.binTip(i, e, width, tot))
		acc := int64(0)
		for _, k := range engine.Kinds() {
			b := h.Best[k.String()]
			if i >= len(b) || b[i] == 0 {
				continue
			}
			y0, y1 := y.at(float64(acc)), y.at(float64(acc+b[i]))
			acc += b[i]
			s.rect(x0+0.5, y1, max(x1-x0-1, 1), y0-y1, "seg d-"+k.String(), r.decisionLabel(k.String())+": "+r.num.Int(b[i]))
		}
		s.close("g")
	}
	r.marks(s, f, x)
	r.weightAxis(s, f, x, r.T("report.weights.axis"))
	return s.html(), groups
}

// curveChart draws precision, recall and F1 against the threshold, on a
// log-odds axis, with the configured threshold marked.
func (r *renderer) curveChart(curve []engine.CurvePoint) template.HTML {
	if len(curve) == 0 {
		return ""
	}
	f := frame{w: 900, h: 340, left: 64, right: 24, top: 48, bottom: 64}
	s := newSVG(r.id("curve"), f.w, f.h, "chart curve", r.T("report.truth.curve_title"), r.T("report.truth.curve_desc"), "data-chart", "curve")
	thr := r.sum.Config.Threshold
	xs := []float64{reconcile.Weight(thr)}
	ylo := 1.0
	for _, p := range curve {
		xs = append(xs, reconcile.Weight(p.Threshold))
		ylo = min(ylo, p.Precision, p.Recall, p.F1)
	}
	xs = slices.DeleteFunc(xs, func(v float64) bool { return math.IsInf(v, 0) || math.IsNaN(v) })
	xlo, xhi := slices.Min(xs)-1, slices.Max(xs)+1
	// The y axis starts at a round value below the lowest point, so that
	// differences of a thousandth show.
	step := 0.001
	for _, st := range []float64{0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2} {
		step = st
		if (1-ylo)/st <= 8 {
			break
		}
	}
	ylo = math.Max(0, math.Floor(ylo/step-1e-9)*step-step)
	if ylo >= 1 {
		ylo = 1 - step
	}
	x := f.x(xlo, xhi)
	y := scale{ylo, 1, f.h - f.bottom, f.top}
	for t := ylo; t <= 1+1e-9; t += step {
		py := y.at(t)
		s.line(f.left, py, f.w-f.right, py, "grid")
		s.text(f.left-6, py+4, "end", "tick", r.num.Fixed(t, decimals(step)))
	}
	base := f.h - f.bottom
	s.line(f.left, base, f.w-f.right, base, "axis")
	for _, p := range curve {
		px := x.at(reconcile.Weight(p.Threshold))
		s.line(px, base, px, base+4, "axis")
		s.rotated(px, base+14, -40, "end", "tick", r.num.Prob(p.Threshold))
	}
	s.text((f.left+f.w-f.right)/2, f.h-4, "middle", "axis-title", r.T("report.truth.curve_axis"))
	// The configured threshold.
	if w := reconcile.Weight(thr); !math.IsInf(w, 0) {
		px := x.at(w)
		s.line(px, f.top-14, px, base, "mark threshold")
		anchor, dx := "start", 4.0
		if px > f.w*0.7 {
			anchor, dx = "end", -4
		}
		s.text(px+dx, f.top-6, anchor, "mark-label", r.T("report.truth.curve_threshold", r.num.Prob(thr)))
	}
	series := []struct {
		key, class string
		v          func(engine.CurvePoint) float64
	}{
		{"report.truth.precision", "s-precision", func(p engine.CurvePoint) float64 { return p.Precision }},
		{"report.truth.recall", "s-recall", func(p engine.CurvePoint) float64 { return p.Recall }},
		{"report.truth.f1", "s-f1", func(p engine.CurvePoint) float64 { return p.F1 }},
	}
	for i, se := range series {
		var pts [][2]float64
		name := r.T(se.key)
		for _, p := range curve {
			pts = append(pts, [2]float64{x.at(reconcile.Weight(p.Threshold)), y.at(se.v(p))})
		}
		s.polyline(pts, "series "+se.class)
		for j, p := range curve {
			s.circle(pts[j][0], pts[j][1], 3.5, "point "+se.class,
				r.T("report.truth.curve_point", name, r.num.Prob(p.Threshold), r.num.Fixed(se.v(p), 4), r.num.Int(p.Linked)))
		}
		// Legend, in a row above the plot.
		lx, ly := f.left+float64(i)*180, 14.0
		s.line(lx, ly-4, lx+28, ly-4, "series "+se.class)
		s.text(lx+34, ly, "start", "legend", name)
	}
	return s.html()
}

// waterfall draws one explanation: from the prior, each comparison's
// weight added in turn, to the final weight. Every step carries its weight
// in data-w, the drawing the prior and total in data-prior and
// data-weight.
func (r *renderer) waterfall(e engine.ExplanationSample) template.HTML {
	rows := len(e.Terms) + 2
	const rowH, top, valueW, width = 22.0, 8.0, 80.0, 900.0
	// Room for the longest label, at about 6.8 units a character.
	labels := make([]string, len(e.Terms))
	longest := len([]rune(r.T("report.explain.prior")))
	for i, t := range e.Terms {
		labels[i] = r.field(t.Comparison) + ": " + r.level(t.Label)
		if t.TF {
			labels[i] += " " + r.T("report.model.tf_short")
		}
		longest = max(longest, len([]rune(labels[i])))
	}
	labelW := min(max(6.8*float64(longest), 220), 460)
	h := top + float64(rows)*rowH + 34
	// The domain: every running sum and zero.
	lo, hi, cum := math.Min(0, e.Prior), math.Max(0, e.Prior), e.Prior
	for _, t := range e.Terms {
		cum += t.Weight
		lo, hi = math.Min(lo, cum), math.Max(hi, cum)
	}
	lo, hi = math.Min(lo, e.Weight), math.Max(hi, e.Weight)
	lo, hi = math.Floor(lo)-1, math.Ceil(hi)+1
	x := scale{lo, hi, labelW + 10, width - valueW}
	title := r.T("report.explain.chart_title", e.ID, r.decisionLabel(e.Decision))
	desc := r.T("report.explain.chart_desc", r.num.Signed(e.Prior), r.num.Signed(e.Weight))
	s := newSVG(r.id("wf"), width, h, "chart waterfall", title, desc, "data-line", strconv.Itoa(e.Line), "data-prior", raw(e.Prior), "data-weight", raw(e.Weight))
	base := top + float64(rows)*rowH
	for _, t := range ticks(lo, hi, 10) {
		px := x.at(t)
		s.line(px, top, px, base, "grid")
		s.text(px, base+14, "middle", "tick", r.num.Trim(t, 1))
	}
	s.line(x.at(0), top, x.at(0), base, "zero")
	s.text((x.r0+x.r1)/2, base+30, "middle", "axis-title", r.T("report.weights.axis"))
	row := func(i int, label, class string, from, to float64, w float64, tip string, data ...string) {
		y := top + float64(i)*rowH
		s.text(labelW, y+rowH/2+4, "end", "wf-label", label)
		x0, x1 := x.at(from), x.at(to)
		if math.Abs(x1-x0) < 1 && w == 0 {
			// No evidence: a thin mark where the running sum stands.
			s.rect(x0-1, y+5, 2, rowH-10, class, tip, data...)
		} else {
			s.rect(x0, y+4, x1-x0, rowH-8, class, tip, data...)
		}
		s.text(width-valueW+8, y+rowH/2+4, "start", "wf-value", r.num.Signed(w))
	}
	prior := r.T("report.explain.prior")
	row(0, prior, "step wf-prior", 0, e.Prior, e.Prior, prior+": "+r.num.Signed(e.Prior), "data-w", raw(e.Prior))
	cum = e.Prior
	for i, t := range e.Terms {
		class := "step wf-up"
		switch {
		case t.Weight < 0:
			class = "step wf-down"
		case t.Weight == 0:
			class = "step wf-zero"
		}
		label := labels[i]
		tip := label + ": " + r.num.Signed(t.Weight)
		if t.Level >= 0 {
			tip += " (m = " + r.num.Small(t.M) + ", u = " + r.num.Small(t.U) + ")"
		}
		y := top + float64(i+1)*rowH
		s.line(x.at(cum), y-4, x.at(cum), y+4, "connector")
		row(i+1, label, class, cum, cum+t.Weight, t.Weight, tip, "data-w", raw(t.Weight))
		cum += t.Weight
	}
	final := r.T("report.explain.final")
	row(rows-1, final, "wf-total", 0, e.Weight, e.Weight, final+": "+r.num.Signed(e.Weight))
	return s.html()
}

// weightBar is a small diverging bar of a level's weight, scaled to the
// largest weight of the model.
func (r *renderer) weightBar(w, scaleMax float64) template.HTML {
	const width, height = 160.0, 14.0
	s := &svg{}
	s.b.WriteString(`<svg class="wbar" viewBox="0 0 160 14" width="160" height="14" aria-hidden="true">`)
	x := scale{-scaleMax, scaleMax, 2, width - 2}
	s.line(x.at(0), 0, x.at(0), height, "zero")
	if !math.IsNaN(w) && !math.IsInf(w, 0) && scaleMax > 0 {
		class := "wf-up"
		if w < 0 {
			class = "wf-down"
		}
		s.rect(x.at(0), 2, x.at(w)-x.at(0), height-4, class, "")
	}
	return s.html()
}

// ruleChart draws each blocking rule's time in the run, the slow ones
// highlighted.
func (r *renderer) ruleChart(rules []ruleRow) template.HTML {
	if len(rules) == 0 {
		return ""
	}
	const rowH, labelW, width = 24.0, 170.0, 900.0
	h := 8 + float64(len(rules))*rowH + 34
	top := 0.0
	for _, ru := range rules {
		top = max(top, ru.seconds)
	}
	if top <= 0 {
		return ""
	}
	s := newSVG(r.id("rules"), width, h, "chart rules", r.T("report.blocking.chart_title"), r.T("report.blocking.chart_desc"))
	x := scale{0, top, labelW + 10, width - 110}
	base := 8 + float64(len(rules))*rowH
	unit, axis := 1000.0, "report.blocking.chart_axis_ms"
	if top >= 1 {
		unit, axis = 1, "report.blocking.chart_axis_s"
	}
	for _, t := range ticks(0, top, 6) {
		px := x.at(t)
		s.line(px, 8, px, base, "grid")
		s.text(px, base+14, "middle", "tick", r.num.Trim(t*unit, 3))
	}
	s.text((x.r0+x.r1)/2, base+30, "middle", "axis-title", r.T(axis))
	for i, ru := range rules {
		y := 8 + float64(i)*rowH
		s.text(labelW, y+rowH/2+4, "end", "wf-label", ru.Name)
		class := "bar"
		if ru.Slow {
			class = "bar slow"
		}
		s.rect(x.at(0), y+4, x.at(ru.seconds)-x.at(0), rowH-8, class, ru.Name+": "+ru.Seconds)
		s.text(x.at(ru.seconds)+6, y+rowH/2+4, "start", "wf-value", ru.Seconds)
	}
	return s.html()
}
