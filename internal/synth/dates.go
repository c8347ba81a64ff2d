package synth

import "github.com/populus-vn/populus/internal/civil"

// Dates are handled as day numbers (days since 1970-01-01) in the hot path:
// time.Time arithmetic is several times slower and the generator makes
// millions of dates.

// dayOf returns the day number of a proleptic Gregorian date (Hinnant's days_from_civil).
func dayOf(y, m, d int) int {
	if m <= 2 {
		y--
	}
	era := y / 400
	if y < 0 && y%400 != 0 {
		era--
	}
	yoe := y - era*400
	mp := (m + 9) % 12
	doy := (153*mp+2)/5 + d - 1
	doe := yoe*365 + yoe/4 - yoe/100 + doy
	return era*146097 + doe - 719468
}

// dateOfDay inverts dayOf (Hinnant's civil_from_days).
func dateOfDay(z int) civil.Date {
	z += 719468
	era := z / 146097
	if z < 0 && z%146097 != 0 {
		era--
	}
	doe := z - era*146097
	yoe := (doe - doe/1460 + doe/36524 - doe/146096) / 365
	y := yoe + era*400
	doy := doe - (365*yoe + yoe/4 - yoe/100)
	mp := (5*doy + 2) / 153
	d := doy - (153*mp+2)/5 + 1
	m := mp + 3
	if m > 12 {
		m -= 12
		y++
	}
	return civil.Date{Year: y, Month: m, Day: d}
}

func dayOfDate(d civil.Date) int { return dayOf(d.Year, d.Month, d.Day) }

// anniversary is the day a person born on day b turns n, with 29 February
// births turning on 1 March in common years (the usual legal reading).
func anniversary(b civil.Date, n int) int {
	y := b.Year + n
	if b.Month == 2 && b.Day == 29 && civil.DaysIn(y, 2) == 28 {
		return dayOf(y, 3, 1)
	}
	return dayOf(y, b.Month, b.Day)
}

// appendInt appends n ≥ 0 in decimal, zero-padded to width digits.
func appendInt(b []byte, n, width int) []byte {
	var buf [20]byte
	i := len(buf)
	for n > 0 || width > 0 || i == len(buf) {
		i--
		buf[i] = byte('0' + n%10)
		n /= 10
		width--
	}
	return append(b, buf[i:]...)
}
