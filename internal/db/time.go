package db

import (
	"database/sql/driver"
	"fmt"
	"time"
)

// Time is a stored timestamp (TimeFormat) as an sql.Scanner: scanning into
// &db.Time{&t} fills t, and a value that is not a timestamp is an error of
// the scan, never a silent zero. SQL NULL and ” (a step not yet reached,
// such as a job not yet started) leave the zero time.
type Time struct{ T *time.Time }

// Scan implements sql.Scanner.
func (t Time) Scan(src any) error {
	var s string
	switch v := src.(type) {
	case nil:
		*t.T = time.Time{}
		return nil
	case time.Time:
		*t.T = v.UTC()
		return nil
	case string:
		s = v
	case []byte:
		s = string(v)
	default:
		return fmt.Errorf("db.Time: cannot scan %T", src)
	}
	if s == "" {
		*t.T = time.Time{}
		return nil
	}
	x, err := ParseTime(s)
	if err != nil {
		return fmt.Errorf("stored timestamp %q: %w", s, err)
	}
	*t.T = x
	return nil
}

// Value implements driver.Valuer: the stored form of the time.
func (t Time) Value() (driver.Value, error) { return FormatTime(*t.T), nil }
