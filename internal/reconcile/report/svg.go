package report

import (
	"fmt"
	"html"
	"html/template"
	"math"
	"strings"
)

// svg builds an inline SVG drawing. Every text and attribute value that is
// not a number written here goes through html.EscapeString.
type svg struct {
	b strings.Builder
}

// newSVG opens a drawing of width × height user units that scales to its
// container, labelled by a title and a description (role img).
func newSVG(id string, width, height float64, class, title, desc string, data ...string) *svg {
	s := &svg{}
	fmt.Fprintf(&s.b, `<svg class="%s" viewBox="0 0 %s %s" width="%s" height="%s" role="img" aria-labelledby="%s-t %s-d" preserveAspectRatio="xMinYMin meet"`,
		esc(class), coord(width), coord(height), coord(width), coord(height), esc(id), esc(id))
	for i := 0; i+1 < len(data); i += 2 {
		fmt.Fprintf(&s.b, ` %s="%s"`, esc(data[i]), esc(data[i+1]))
	}
	fmt.Fprintf(&s.b, `><title id="%s-t">%s</title><desc id="%s-d">%s</desc>`, esc(id), esc(title), esc(id), esc(desc))
	return s
}

func esc(s string) string { return html.EscapeString(s) }

// rect draws a rectangle; a non-empty tip becomes its tooltip (title).
func (s *svg) rect(x, y, w, h float64, class, tip string, data ...string) {
	if w < 0 {
		x, w = x+w, -w
	}
	if h < 0 {
		y, h = y+h, -h
	}
	fmt.Fprintf(&s.b, `<rect x="%s" y="%s" width="%s" height="%s"`, coord(x), coord(y), coord(w), coord(h))
	if class != "" {
		fmt.Fprintf(&s.b, ` class="%s"`, esc(class))
	}
	for i := 0; i+1 < len(data); i += 2 {
		fmt.Fprintf(&s.b, ` %s="%s"`, esc(data[i]), esc(data[i+1]))
	}
	if tip == "" {
		s.b.WriteString("/>")
		return
	}
	fmt.Fprintf(&s.b, `><title>%s</title></rect>`, esc(tip))
}

func (s *svg) line(x1, y1, x2, y2 float64, class string) {
	fmt.Fprintf(&s.b, `<line x1="%s" y1="%s" x2="%s" y2="%s" class="%s"/>`, coord(x1), coord(y1), coord(x2), coord(y2), esc(class))
}

// text writes a label; anchor is start, middle or end.
func (s *svg) text(x, y float64, anchor, class, text string) {
	fmt.Fprintf(&s.b, `<text x="%s" y="%s" text-anchor="%s" class="%s">%s</text>`, coord(x), coord(y), esc(anchor), esc(class), esc(text))
}

// rotated writes a label turned by deg degrees around its anchor point.
func (s *svg) rotated(x, y, deg float64, anchor, class, text string) {
	fmt.Fprintf(&s.b, `<text x="%s" y="%s" text-anchor="%s" class="%s" transform="rotate(%s %s %s)">%s</text>`,
		coord(x), coord(y), esc(anchor), esc(class), coord(deg), coord(x), coord(y), esc(text))
}

func (s *svg) polyline(pts [][2]float64, class string) {
	var b strings.Builder
	for i, p := range pts {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(coord(p[0]) + "," + coord(p[1]))
	}
	fmt.Fprintf(&s.b, `<polyline points="%s" class="%s"/>`, b.String(), esc(class))
}

func (s *svg) circle(x, y, r float64, class, tip string) {
	fmt.Fprintf(&s.b, `<circle cx="%s" cy="%s" r="%s" class="%s"><title>%s</title></circle>`, coord(x), coord(y), coord(r), esc(class), esc(tip))
}

func (s *svg) open(tag, class, tip string) {
	fmt.Fprintf(&s.b, `<%s class="%s">`, tag, esc(class))
	if tip != "" {
		fmt.Fprintf(&s.b, `<title>%s</title>`, esc(tip))
	}
}

func (s *svg) close(tag string) { fmt.Fprintf(&s.b, `</%s>`, tag) }

// html closes the drawing. The content is safe: built here, every text
// escaped.
func (s *svg) html() template.HTML {
	s.b.WriteString("</svg>")
	return template.HTML(s.b.String())
}

// scale maps a domain [d0, d1] onto a range [r0, r1].
type scale struct{ d0, d1, r0, r1 float64 }

func (sc scale) at(v float64) float64 {
	if sc.d1 == sc.d0 {
		return sc.r0
	}
	return sc.r0 + (v-sc.d0)/(sc.d1-sc.d0)*(sc.r1-sc.r0)
}

// ticks returns about n round values covering [lo, hi].
func ticks(lo, hi float64, n int) []float64 {
	if !(hi > lo) || n < 1 {
		return []float64{lo}
	}
	raw := (hi - lo) / float64(n)
	mag := math.Pow(10, math.Floor(math.Log10(raw)))
	step := mag
	for _, m := range []float64{1, 2, 2.5, 5, 10} {
		if m*mag >= raw {
			step = m * mag
			break
		}
	}
	var out []float64
	for v := math.Ceil(lo/step) * step; v <= hi+step*1e-9; v += step {
		out = append(out, math.Round(v/step)*step)
	}
	return out
}

// decimals returns the decimals that tell ticks step apart.
func decimals(step float64) int {
	if step >= 1 || step <= 0 {
		return 0
	}
	return int(math.Ceil(-math.Log10(step) - 1e-9))
}
