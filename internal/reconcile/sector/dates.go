package sector

import (
	"fmt"
	"strings"

	"github.com/populus-vn/populus/internal/civil"
)

// parseDate reads a date of birth by its shape: the group of four digits
// is the year, and a year written last means day first (the Vietnamese
// order; month-first is never assumed, but a date valid only with day and
// month swapped is read so, with a note). Separators may be '/', '-' or
// '.', days and months may have one digit, a time after the date is
// ignored, and a zero day or month ("00/00/1950", as old books write) means
// that part is unknown. Eight digits in a row are YYYYMMDD, or DDMMYYYY
// when the format is day first. It returns the zero Date and a note when
// the value is not a date.
func parseDate(v, format string) (civil.Date, string) {
	v = stripTime(v)
	groups := strings.FieldsFunc(v, func(r rune) bool { return r == '/' || r == '-' || r == '.' })
	bad := func(why string) (civil.Date, string) {
		want := format
		if want == "" {
			want = FormatVN + " or " + FormatISO
		}
		return civil.Date{}, fmt.Sprintf("birth date %s is not a date in %s%s", quote(v), want, why)
	}
	if len(groups) == 0 || len(groups) > 3 || strings.Count(v, "/")+strings.Count(v, "-")+strings.Count(v, ".") != len(groups)-1 {
		return bad("")
	}
	n := make([]int, len(groups))
	for i, g := range groups {
		if !allDigits(g) || len(g) > 4 {
			if len(groups) == 1 && len(g) == 8 && allDigits(g) {
				if format == FormatVN {
					groups = []string{g[:2], g[2:4], g[4:]}
				} else {
					groups = []string{g[:4], g[4:6], g[6:]}
				}
				return parseDate(strings.Join(groups, "-"), format)
			}
			return bad("")
		}
		n[i] = atoi(g)
	}
	var d civil.Date
	switch {
	case len(groups) == 1 && len(groups[0]) == 4:
		d.Year = n[0]
	case len(groups) == 2 && len(groups[1]) == 4 && len(groups[0]) <= 2:
		d.Month, d.Year = n[0], n[1]
	case len(groups) == 2 && len(groups[0]) == 4 && len(groups[1]) <= 2:
		d.Year, d.Month = n[0], n[1]
	case len(groups) == 3 && len(groups[0]) == 4 && len(groups[1]) <= 2 && len(groups[2]) <= 2:
		d.Year, d.Month, d.Day = n[0], n[1], n[2]
	case len(groups) == 3 && len(groups[2]) == 4 && len(groups[0]) <= 2 && len(groups[1]) <= 2:
		d.Day, d.Month, d.Year = n[0], n[1], n[2]
	default:
		return bad(": the year must have four digits")
	}
	if d.Month == 0 {
		d.Day = 0 // 00/00/1950: only the year is known
	}
	if !d.Valid() {
		if s := (civil.Date{Year: d.Year, Month: d.Day, Day: d.Month}); d.Day != 0 && s.Valid() {
			return s, fmt.Sprintf("birth date %s is read as %s: day and month appear swapped", quote(v), s.VN())
		}
		if d.Year < 1800 || d.Year > 2399 {
			return bad(fmt.Sprintf(": year %d is outside 1800–2399", d.Year))
		}
		return bad(": no such day")
	}
	return d, ""
}

// stripTime drops a time of day after a date ("1990-05-14 00:00:00",
// "1990-05-14T00:00:00Z").
func stripTime(v string) string {
	v = strings.TrimSpace(v)
	i := strings.IndexAny(v, " T")
	if i < 4 {
		return v
	}
	for _, c := range v[i+1:] {
		if !(c >= '0' && c <= '9' || c == ':' || c == '.' || c == 'Z' || c == '+' || c == ' ') {
			return v
		}
	}
	return v[:i]
}

func atoi(s string) int {
	n := 0
	for i := 0; i < len(s); i++ {
		n = n*10 + int(s[i]-'0')
	}
	return n
}
