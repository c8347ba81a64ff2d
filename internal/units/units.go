// Package units is Vietnam's register of administrative units, embedded in the
// binary: the 34 provinces and 3,321 communes (xã, phường, đặc khu) in force
// since 1 July 2025, the 63 provinces and about 10,000 communes of the system
// they replaced, the mapping from old units to new ones, and the 3-digit
// province codes of birth registration that open every personal
// identification number.
//
// Addresses, civil-status records and identity numbers issued before the 2025
// reorganisation name pre-2025 units, whose codes overlap the current ones:
// "15" is Yên Bái in the old system and Lào Cai in the new, "00004" was
// Phường Trúc Bạch and is now Phường Ba Đình. So every unit is identified by a
// Key, which records the system it belongs to, and written as a string a
// legacy key carries the prefix "old:" ("old:15", "old:00004"). A bare code
// always means the current system; the legacy system is reached only through
// that prefix or through methods whose names say Legacy.
//
// The data is parsed on first use (Default) and never changes afterwards; all
// methods are safe for concurrent use. docs/units.md records where the data
// comes from and how to update it.
package units

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Level is the tier of a unit in the administrative hierarchy.
type Level uint8

// Since 1 July 2025 there are two tiers. The pre-2025 district tier is known
// only by name (Unit.District): the data source gives no district codes.
const (
	LevelProvince Level = iota + 1 // tỉnh, thành phố trực thuộc trung ương
	LevelCommune                   // xã, phường, đặc khu; before 2025 also thị trấn
)

func (l Level) String() string {
	switch l {
	case LevelProvince:
		return "province"
	case LevelCommune:
		return "commune"
	}
	return "Level(" + strconv.Itoa(int(l)) + ")"
}

// LegacyPrefix marks the string form of a key of the pre-2025 system.
const LegacyPrefix = "old:"

// Key identifies a unit across both systems. Codes are the statistics
// office's: 2 digits for a province, 5 for a commune.
type Key struct {
	Code   string
	Legacy bool // a unit of the pre-2025 (63-province) system
}

// String returns the code, prefixed with LegacyPrefix for legacy units.
func (k Key) String() string {
	if k.Legacy {
		return LegacyPrefix + k.Code
	}
	return k.Code
}

// Level is the tier the code's length denotes.
func (k Key) Level() Level {
	if len(k.Code) == 2 {
		return LevelProvince
	}
	return LevelCommune
}

// ErrInvalidKey is returned, wrapped, by ParseKey.
var ErrInvalidKey = errors.New("units: invalid unit key")

// ParseKey parses a unit key: "01" and "00004" name current units, "old:01"
// and "old:00004" pre-2025 ones. A pre-2025 province may also be written with
// its 3-digit birth-registration form, "old:001"; it parses to "old:01". A
// bare 3-digit code is rejected rather than guessed at: it can only be a
// pre-2025 birth-registration code, and callers must say so.
func ParseKey(s string) (Key, error) {
	s = strings.TrimSpace(s)
	code, legacy := strings.CutPrefix(s, LegacyPrefix)
	if !digits(code) {
		return Key{}, fmt.Errorf("%w %q: want 2 or 5 digits", ErrInvalidKey, s)
	}
	switch {
	case len(code) == 2 || len(code) == 5:
	case len(code) == 3 && legacy && code[0] == '0':
		code = code[1:]
	case len(code) == 3:
		return Key{}, fmt.Errorf("%w %q: a 3-digit code is a pre-2025 birth-registration code; write %s%s", ErrInvalidKey, s, LegacyPrefix, code)
	default:
		return Key{}, fmt.Errorf("%w %q: want 2 or 5 digits", ErrInvalidKey, s)
	}
	return Key{Code: code, Legacy: legacy}, nil
}

func digits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// Unit is one version of an administrative unit. A unit whose name or type
// changed while keeping its code has one Unit per version, with disjoint
// validity periods.
type Unit struct {
	Code   string // statistics-office code: 2 digits (province) or 5 (commune)
	Name   string // without the type word: "Ba Đình", "Hồ Chí Minh"
	Type   string // "Tỉnh", "Thành phố", "Phường", "Xã", "Đặc khu", "Thị trấn"
	Level  Level
	Legacy bool // part of the pre-2025 system; see Key

	// ParentCode is the province of a commune, in the same system as the
	// commune; empty for provinces. Use ParentKey to look it up.
	ParentCode string
	// District is, for pre-2025 communes only, the name of the district
	// (quận, huyện, thị xã, thành phố) they belonged to, with its type word.
	District string

	// ValidFrom and ValidTo are the first and last day the unit was in
	// force, inclusive. A zero ValidTo means still in force; a zero
	// ValidFrom means the start is not recorded (pre-2025 communes).
	ValidFrom Date
	ValidTo   Date

	// Population is an approximate 2024 population, for current provinces
	// only (docs/units.md gives the source); use it as a weight, not a count.
	Population int
}

// Key returns the unit's key.
func (u Unit) Key() Key { return Key{Code: u.Code, Legacy: u.Legacy} }

// ParentKey returns the key of the unit's province; ok is false for provinces.
func (u Unit) ParentKey() (k Key, ok bool) {
	if u.ParentCode == "" {
		return Key{}, false
	}
	return Key{Code: u.ParentCode, Legacy: u.Legacy}, true
}

// FullName is the name with its type word, as written in addresses:
// "Phường Ba Đình", "Thành phố Hồ Chí Minh".
func (u Unit) FullName() string { return u.Type + " " + u.Name }

// ActiveOn reports whether the unit was in force on day d.
func (u Unit) ActiveOn(d Date) bool {
	return (u.ValidFrom.IsZero() || !d.Before(u.ValidFrom)) &&
		(u.ValidTo.IsZero() || !u.ValidTo.Before(d))
}

func (u Unit) String() string { return u.Key().String() + " " + u.FullName() }

// Date is a civil date. Effective dates of administrative units are days, not
// instants, so they are not time.Time: a decision in force "from 1 July 2025"
// is in force all that day in Vietnam, whatever the caller's time zone.
type Date struct {
	Year  int
	Month time.Month
	Day   int
}

// DateOf returns the date of t in t's location. For an instant, convert it to
// Vietnam's time first (UTC+7) to get the day the law counts.
func DateOf(t time.Time) Date {
	y, m, d := t.Date()
	return Date{y, m, d}
}

// ParseDate parses a date written YYYY-MM-DD.
func ParseDate(s string) (Date, error) {
	// By hand rather than with time.Parse: the tables hold some 13,000
	// dates and loading should stay cheap.
	if len(s) != 10 || s[4] != '-' || s[7] != '-' || !digits(s[:4]) || !digits(s[5:7]) || !digits(s[8:]) {
		return Date{}, fmt.Errorf("units: bad date %q, want YYYY-MM-DD", s)
	}
	y, _ := strconv.Atoi(s[:4])
	m, _ := strconv.Atoi(s[5:7])
	d, _ := strconv.Atoi(s[8:])
	if DateOf(time.Date(y, time.Month(m), d, 0, 0, 0, 0, time.UTC)) != (Date{y, time.Month(m), d}) {
		return Date{}, fmt.Errorf("units: no such day %q", s)
	}
	return Date{y, time.Month(m), d}, nil
}

// IsZero reports whether d is the zero Date.
func (d Date) IsZero() bool { return d == Date{} }

// Before reports whether d is earlier than e.
func (d Date) Before(e Date) bool {
	if d.Year != e.Year {
		return d.Year < e.Year
	}
	if d.Month != e.Month {
		return d.Month < e.Month
	}
	return d.Day < e.Day
}

// String returns YYYY-MM-DD, or "" for the zero Date.
func (d Date) String() string {
	if d.IsZero() {
		return ""
	}
	return fmt.Sprintf("%04d-%02d-%02d", d.Year, int(d.Month), d.Day)
}

// Dates of the 2025 reorganisation.
var (
	// ReorganisedOn is the day the 34-province, two-tier system took effect.
	ReorganisedOn = Date{2025, time.July, 1}
	// LastLegacyDay is the last day of the 63-province system.
	LastLegacyDay = Date{2025, time.June, 30}
)
