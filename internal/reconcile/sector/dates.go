package sector

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode"

	"golang.org/x/text/unicode/norm"

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
	v = stripTime(spelledDate(v))
	if d, ok := spreadsheetSerial(v); ok {
		return d, fmt.Sprintf("birth date %s is read as a spreadsheet's serial day number: %s", quote(v), d.VN())
	}
	groups := dateGroups(v)
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
				if format == FormatVN || format == FormatUS {
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
	var note string
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
		if format == FormatUS {
			d.Day, d.Month = n[1], n[0]
		}
	case len(groups) == 3 && len(groups[2]) == 2 && len(groups[0]) <= 2 && len(groups[1]) <= 2:
		// 03/03/13: a date of birth is not in the future, so the latest
		// century that does not put it there.
		d.Day, d.Month, d.Year = n[0], n[1], twoDigitYear(n[2])
		if format == FormatUS {
			d.Day, d.Month = n[1], n[0]
		}
		note = fmt.Sprintf("birth date %s has a two-digit year, read as %d", quote(v), d.Year)
	default:
		return bad(": the year must have four digits")
	}
	if d.Month == 0 {
		d.Day = 0 // 00/00/1950: only the year is known
	}
	if d.Day == 1 && d.Month == 1 {
		// 01/01/1950 is how registers and spreadsheets write a year whose
		// day and month are unknown: only the year is used.
		d.Day, d.Month = 0, 0
		note = strings.TrimPrefix(note+"; ", "; ") + fmt.Sprintf("birth date %s is 1 January, the usual stand-in for an unknown day and month; only the year %d is used", quote(v), d.Year)
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
	return d, note
}

// dateOrder tells what a date written with its year last says of the
// order of day and month: 'd' when it can only be day-first (25/05/1990),
// 'm' when it can only be month-first (05/25/1990), 0 otherwise (both 12
// or less, or not such a date).
func dateOrder(v string) byte {
	groups := dateGroups(v)
	if len(groups) != 3 || len(groups[0]) > 2 || len(groups[1]) > 2 || (len(groups[2]) != 4 && len(groups[2]) != 2) ||
		!allDigits(groups[0]) || !allDigits(groups[1]) || !allDigits(groups[2]) {
		return 0
	}
	a, b := atoi(groups[0]), atoi(groups[1])
	switch {
	case a > 12 && a <= 31 && b >= 1 && b <= 12:
		return 'd'
	case b > 12 && b <= 31 && a >= 1 && a <= 12:
		return 'm'
	}
	return 0
}

// dateDigits returns the YYYYMMDD digits of a date that parseDate could
// not read because a digit is wrong ("1985-90-16", "31/13/1990",
// "1746-11-12"): the same shapes, each part in range of its digits but
// not of the calendar. "" for anything else (a word, a partial date).
func dateDigits(v, format string) string {
	groups := dateGroups(v)
	if len(groups) == 1 && len(groups[0]) == 8 && allDigits(groups[0]) {
		g := groups[0]
		switch format {
		case FormatVN:
			return g[4:] + g[2:4] + g[:2]
		case FormatUS:
			return g[4:] + g[:2] + g[2:4]
		}
		return g
	}
	if len(groups) != 3 {
		return ""
	}
	for _, g := range groups {
		if !allDigits(g) || len(g) == 0 || len(g) > 4 {
			return ""
		}
	}
	pad := func(g string) string {
		if len(g) == 1 {
			return "0" + g
		}
		return g
	}
	switch {
	case len(groups[0]) == 4 && len(groups[1]) <= 2 && len(groups[2]) <= 2:
		return groups[0] + pad(groups[1]) + pad(groups[2])
	case len(groups[2]) == 4 && len(groups[0]) <= 2 && len(groups[1]) <= 2 && format == FormatUS:
		return groups[2] + pad(groups[0]) + pad(groups[1])
	case len(groups[2]) == 4 && len(groups[0]) <= 2 && len(groups[1]) <= 2:
		return groups[2] + pad(groups[1]) + pad(groups[0])
	}
	return ""
}

// dateGroups splits a date, its time left out, into its groups of digits
// at '/', '-' and '.'.
func dateGroups(v string) []string {
	return strings.FieldsFunc(stripTime(v), func(r rune) bool { return r == '/' || r == '-' || r == '.' })
}

// today is the current date in Vietnam (a variable for tests).
var today = func() civil.Date { return civil.InVietnam(time.Now()) }

// twoDigitYear reads a two-digit year of birth: in this century unless
// that is after the current year.
func twoDigitYear(yy int) int {
	if y := 2000 + yy; y <= today().Year {
		return y
	}
	return 1900 + yy
}

// Spreadsheets store a date as the number of days since 30 December 1899
// (Excel and LibreOffice alike, for dates after February 1900); a file
// exported without the cell's format holds that number. Five digits (with
// an optional ".0") from serialMin to today are read so: 1 January 1900 to
// now. Four digits are a year.
const serialMin = 10000 // 18 May 1927; older serials have four digits

func spreadsheetSerial(v string) (civil.Date, bool) {
	v = strings.TrimSuffix(strings.TrimSuffix(v, ".0"), ",0")
	if len(v) != 5 || !allDigits(v) {
		return civil.Date{}, false
	}
	n := atoi(v)
	d := civil.DateOf(time.Date(1899, 12, 30, 0, 0, 0, 0, time.UTC).AddDate(0, 0, n))
	if n < serialMin || today().Key() < d.Key() {
		return civil.Date{}, false
	}
	return d, true
}

// stripTime drops a time of day after a date ("1990-05-14 00:00:00",
// "1990-05-14T00:00:00Z").
// Dates written in words, rewritten in digits: the Vietnamese "ngày 17
// tháng 5 năm 1990" (with or without accents, any part left out), and a
// month's English name or abbreviation between the day and the year, as a
// spreadsheet's default format writes it ("17-May-90", "17 May 1990").
var (
	vnDateWords = regexp.MustCompile(`^(?:ng[aà]y\s*(\d{1,2})\s*)?(?:th[aá]ng\s*(\d{1,2})\s*)?n[aă]m\s*(\d{2,4})$`)
	monthWords  = regexp.MustCompile(`^(\d{1,2})[-/ .]+([a-z]{3,9})[-/ .,]+(\d{2}|\d{4})$`)
	monthNames  = map[string]int{"jan": 1, "feb": 2, "mar": 3, "apr": 4, "may": 5, "jun": 6, "jul": 7, "aug": 8, "sep": 9, "sept": 9, "oct": 10, "nov": 11, "dec": 12,
		"january": 1, "february": 2, "march": 3, "april": 4, "june": 6, "july": 7, "august": 8, "september": 9, "october": 10, "november": 11, "december": 12}
)

// spelledDate rewrites a date written in words (vnDateWords, monthWords)
// as day/month/year, and returns any other value as it is.
func spelledDate(v string) string {
	if !strings.ContainsFunc(v, unicode.IsLetter) {
		return v
	}
	low := strings.ToLower(norm.NFC.String(strings.TrimSpace(v)))
	if m := vnDateWords.FindStringSubmatch(strings.Join(strings.Fields(low), " ")); m != nil {
		switch {
		case m[1] != "" && m[2] != "":
			return m[1] + "/" + m[2] + "/" + m[3]
		case m[1] == "" && m[2] != "":
			return m[2] + "/" + m[3]
		case m[1] == "" && m[2] == "":
			return m[3]
		}
		return v // a day without a month
	}
	if m := monthWords.FindStringSubmatch(low); m != nil {
		if month, ok := monthNames[m[2]]; ok {
			return m[1] + "/" + strconv.Itoa(month) + "/" + m[3]
		}
	}
	return v
}

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
