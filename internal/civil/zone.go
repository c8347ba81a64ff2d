package civil

import "time"

// Vietnam is the time zone of civil dates and of the register's wall clock:
// UTC+7, without daylight saving time since 1975. It is fixed here, once,
// so that the binary needs no time-zone database and every server agrees.
var Vietnam = time.FixedZone("ICT", 7*3600)

// InVietnam returns the civil date of the instant t in Vietnam (civil acts
// are dated there: the UTC date lags by a day before 07:00).
func InVietnam(t time.Time) Date { return DateOf(t.In(Vietnam)) }

// EndOfDay is the last instant of the full date d in Vietnam: a record "as
// of" a day is the record as that day closed.
func EndOfDay(d Date) time.Time {
	return time.Date(d.Year, time.Month(d.Month), d.Day+1, 0, 0, 0, 0, Vietnam).Add(-time.Nanosecond)
}
