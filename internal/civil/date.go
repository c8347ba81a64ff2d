package civil

import (
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"
)

// Date is a calendar date that may be partial: year only, year and month, or
// a full date. The zero Date is "unknown". Month and Day are 0 when unknown.
type Date struct {
	Year  int
	Month int
	Day   int
}

// ErrDate is wrapped by every date parse error.
var ErrDate = errors.New("invalid date")

// DateError is a date parse error. Its English text is kept as a format and
// arguments, so that pages can show it in the officer's language
// (problem.Formatted): every format is written in a call of dateError, which
// the test of internal/i18n finds, and translated in
// internal/i18n/reasons.vi.json. It wraps ErrDate.
type DateError struct {
	Format string // starts with "invalid date: ", ErrDate's text
	Args   []any
}

// dateError makes a *DateError; format is a constant, so that the catalog
// of translations can be checked against the source.
func dateError(format string, args ...any) *DateError {
	return &DateError{Format: format, Args: args}
}

func (e *DateError) Error() string { return fmt.Sprintf(e.Format, e.Args...) }

// Unwrap returns ErrDate.
func (e *DateError) Unwrap() error { return ErrDate }

// FormatArgs returns the English format of the message and its arguments.
func (e *DateError) FormatArgs() (string, []any) { return e.Format, e.Args }

// ParseDate accepts YYYY, YYYY-MM and YYYY-MM-DD, and the Vietnamese
// day-first forms DD/MM/YYYY and MM/YYYY. Years run from 1800 to 2399.
func ParseDate(s string) (Date, error) {
	var d Date
	var err *DateError
	switch {
	case len(s) == 4:
		d.Year, err = digits(s, 0, 4)
	case len(s) == 7 && s[4] == '-':
		d.Year, err = digits(s, 0, 4)
		if err == nil {
			d.Month, err = digits(s, 5, 7)
		}
	case len(s) == 10 && s[4] == '-' && s[7] == '-':
		d.Year, err = digits(s, 0, 4)
		if err == nil {
			d.Month, err = digits(s, 5, 7)
		}
		if err == nil {
			d.Day, err = digits(s, 8, 10)
		}
	case len(s) == 10 && s[2] == '/' && s[5] == '/':
		d.Day, err = digits(s, 0, 2)
		if err == nil {
			d.Month, err = digits(s, 3, 5)
		}
		if err == nil {
			d.Year, err = digits(s, 6, 10)
		}
	case len(s) == 7 && s[2] == '/':
		d.Month, err = digits(s, 0, 2)
		if err == nil {
			d.Year, err = digits(s, 3, 7)
		}
	default:
		return Date{}, dateError("invalid date: %q is not YYYY, YYYY-MM, YYYY-MM-DD or DD/MM/YYYY", s)
	}
	if err != nil {
		return Date{}, err
	}
	if err := d.check(s); err != nil {
		return Date{}, err
	}
	return d, nil
}

// digits reads s[from:to] as a decimal number.
func digits(s string, from, to int) (int, *DateError) {
	n := 0
	for i := from; i < to; i++ {
		c := s[i]
		if c < '0' || c > '9' {
			return 0, dateError("invalid date: %q: character %d is %q, not a digit", s, i+1, c)
		}
		n = n*10 + int(c-'0')
	}
	return n, nil
}

// check reports what is wrong with d, parsed from s.
func (d Date) check(s string) *DateError {
	if d.Year < 1800 || d.Year > 2399 {
		return dateError("invalid date: %q: year %d is outside 1800–2399", s, d.Year)
	}
	if d.Month == 0 {
		if d.Day != 0 {
			return dateError("invalid date: %q: a day without a month", s)
		}
		return nil
	}
	if d.Month < 1 || d.Month > 12 {
		return dateError("invalid date: %q: month %d does not exist", s, d.Month)
	}
	if d.Day == 0 {
		return nil
	}
	if last := DaysIn(d.Year, d.Month); d.Day < 1 || d.Day > last {
		return dateError("invalid date: %q: day %d does not exist in %04d-%02d (it has %d days)", s, d.Day, d.Year, d.Month, last)
	}
	return nil
}

// DaysIn returns the number of days in a month of the proleptic Gregorian calendar.
func DaysIn(year, month int) int {
	return time.Date(year, time.Month(month)+1, 0, 0, 0, 0, 0, time.UTC).Day()
}

// DateOf returns the full Date of t in t's location.
func DateOf(t time.Time) Date {
	y, m, d := t.Date()
	return Date{y, int(m), d}
}

// IsZero reports whether the date is unknown.
func (d Date) IsZero() bool { return d.Year == 0 }

// Full reports whether year, month and day are all known.
func (d Date) Full() bool { return d.Day != 0 }

// Valid reports whether d is the zero Date or a well-formed date.
func (d Date) Valid() bool { return d.IsZero() || d.check("") == nil }

// String formats as YYYY, YYYY-MM or YYYY-MM-DD; "" for the zero Date.
func (d Date) String() string {
	if d.Year == 0 {
		return ""
	}
	var buf [10]byte
	return string(d.Append(buf[:0]))
}

// Append appends String's form of d to b.
func (d Date) Append(b []byte) []byte {
	if d.Year == 0 {
		return b
	}
	b = appendPadded(b, d.Year, 4)
	if d.Month == 0 {
		return b
	}
	b = appendPadded(append(b, '-'), d.Month, 2)
	if d.Day == 0 {
		return b
	}
	return appendPadded(append(b, '-'), d.Day, 2)
}

// appendPadded appends v in decimal, with leading zeros to width digits.
func appendPadded(b []byte, v, width int) []byte {
	for p := 10; width > 1; width-- {
		if v < p {
			b = append(b, '0')
		} else {
			p *= 10
		}
	}
	return strconv.AppendInt(b, int64(v), 10)
}

// VN formats the date the Vietnamese way: DD/MM/YYYY, MM/YYYY or YYYY.
func (d Date) VN() string {
	switch {
	case d.Year == 0:
		return ""
	case d.Month == 0:
		return strconv.Itoa(d.Year)
	case d.Day == 0:
		return fmt.Sprintf("%02d/%04d", d.Month, d.Year)
	}
	return fmt.Sprintf("%02d/%02d/%04d", d.Day, d.Month, d.Year)
}

// Earliest returns the first day the partial date may mean; Latest the last.
func (d Date) Earliest() time.Time {
	m, day := d.Month, d.Day
	if m == 0 {
		m = 1
	}
	if day == 0 {
		day = 1
	}
	return time.Date(d.Year, time.Month(m), day, 0, 0, 0, 0, time.UTC)
}

func (d Date) Latest() time.Time {
	m, day := d.Month, d.Day
	if m == 0 {
		m = 12
	}
	if day == 0 {
		day = DaysIn(d.Year, m)
	}
	return time.Date(d.Year, time.Month(m), day, 0, 0, 0, 0, time.UTC)
}

// CertainlyBefore reports whether every day d may mean is before every day e may mean.
func (d Date) CertainlyBefore(e Date) bool {
	if d.IsZero() || e.IsZero() {
		return false
	}
	return d.Latest().Before(e.Earliest())
}

// Key is a sortable integer YYYYMMDD with zeros for unknown parts.
func (d Date) Key() int { return d.Year*10000 + d.Month*100 + d.Day }

// DateFromKey inverts Key.
func DateFromKey(k int) Date { return Date{k / 10000, k / 100 % 100, k % 100} }

func (d Date) MarshalJSON() ([]byte, error) { return d.AppendJSON(nil), nil }

// AppendJSON appends MarshalJSON's form of d: a string, or null for the zero Date.
func (d Date) AppendJSON(b []byte) []byte {
	if d.IsZero() {
		return append(b, "null"...)
	}
	return append(d.Append(append(b, '"')), '"')
}

func (d *Date) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		*d = Date{}
		return nil
	}
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return dateError("invalid date: must be a string like 2003-07-15, 2003-07 or 2003")
	}
	if s == "" {
		*d = Date{}
		return nil
	}
	x, err := ParseDate(s)
	if err != nil {
		return err
	}
	*d = x
	return nil
}
