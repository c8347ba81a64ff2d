package report

import (
	"math"
	"strconv"
	"strings"
)

// numbers writes numbers the way a language does: Vietnamese groups
// thousands with a dot and writes a decimal comma (1.234.567,8), English
// the other way round (1,234,567.8).
type numbers struct {
	group, point string
}

func numbersFor(lang string) numbers {
	if lang == "en" {
		return numbers{group: ",", point: "."}
	}
	return numbers{group: ".", point: ","}
}

// Int writes an integer with thousand separators.
func (f numbers) Int(n int64) string {
	s := strconv.FormatInt(n, 10)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	s = f.grouped(s)
	if neg {
		return "−" + s
	}
	return s
}

func (f numbers) grouped(digits string) string {
	if len(digits) <= 3 {
		return digits
	}
	var b strings.Builder
	lead := len(digits) % 3
	if lead > 0 {
		b.WriteString(digits[:lead])
	}
	for i := lead; i < len(digits); i += 3 {
		if b.Len() > 0 {
			b.WriteString(f.group)
		}
		b.WriteString(digits[i : i+3])
	}
	return b.String()
}

// Fixed writes x with prec decimals and thousand separators.
func (f numbers) Fixed(x float64, prec int) string {
	switch {
	case math.IsNaN(x):
		return "–"
	case math.IsInf(x, 1):
		return "∞"
	case math.IsInf(x, -1):
		return "−∞"
	}
	s := strconv.FormatFloat(x, 'f', prec, 64)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	whole, frac, _ := strings.Cut(s, ".")
	s = f.grouped(whole)
	if frac != "" {
		s += f.point + frac
	}
	if neg && strings.Trim(s, "0"+f.point+f.group) != "" {
		return "−" + s
	}
	return s
}

// Trim writes x with at most prec decimals, dropping trailing zeros.
func (f numbers) Trim(x float64, prec int) string {
	s := f.Fixed(x, prec)
	if prec > 0 && strings.Contains(s, f.point) {
		s = strings.TrimRight(s, "0")
		s = strings.TrimSuffix(s, f.point)
	}
	return s
}

// Signed writes a weight in bits with its sign and two decimals.
func (f numbers) Signed(x float64) string {
	s := f.Fixed(x, 2)
	if x >= 0.005 {
		return "+" + s
	}
	return s
}

// Percent writes a share in [0, 1] as a percentage: one decimal, more for
// small shares that are not zero.
func (f numbers) Percent(share float64) string {
	if math.IsNaN(share) || math.IsInf(share, 0) {
		return "–"
	}
	p := 100 * share
	switch {
	case p == 0 || p == 100:
		return f.Fixed(p, 0) + "%"
	case p < 0.1:
		return f.Trim(p, 3) + "%"
	case p > 99.9:
		return f.Trim(p, 3) + "%"
	}
	return f.Fixed(p, 1) + "%"
}

// Prob writes a probability with as many decimals as it takes to tell it
// from 1 (up to six).
func (f numbers) Prob(p float64) string {
	switch {
	case math.IsNaN(p):
		return "–"
	case p >= 1:
		return "1"
	case p <= 0:
		return "0"
	case p > 0.9999995:
		return "> " + f.Fixed(0.999999, 6)
	}
	return f.Trim(p, 6)
}

// Small writes a probability that may be tiny (m and u): four significant
// digits, as a power of ten below a thousandth.
func (f numbers) Small(x float64) string {
	switch {
	case x == 0 || math.IsNaN(x) || math.IsInf(x, 0):
		return f.Trim(x, 0)
	case math.Abs(x) >= 0.001:
		return f.Trim(x, 4)
	}
	e := int(math.Floor(math.Log10(math.Abs(x))))
	m := x / math.Pow(10, float64(e))
	if math.Abs(m) >= 9.995 {
		m /= 10
		e++
	}
	return f.Fixed(m, 2) + " × 10" + superscript(e)
}

func superscript(n int) string {
	const digits = "⁰¹²³⁴⁵⁶⁷⁸⁹"
	sup := []rune(digits)
	var b strings.Builder
	if n < 0 {
		b.WriteRune('⁻')
		n = -n
	}
	for _, c := range strconv.Itoa(n) {
		b.WriteRune(sup[c-'0'])
	}
	return b.String()
}

// Compact writes a count with a thousand separator.
func (f numbers) Compact(x float64) string {
	return f.Int(int64(math.Round(x)))
}

// raw writes a float for a data attribute: exact, locale-free.
func raw(x float64) string { return strconv.FormatFloat(x, 'g', -1, 64) }

// coord writes an SVG coordinate.
func coord(x float64) string {
	if math.IsNaN(x) || math.IsInf(x, 0) {
		return "0"
	}
	return strconv.FormatFloat(math.Round(x*100)/100, 'f', -1, 64)
}
