// Package pin reads, checks and makes personal identification numbers (số
// định danh cá nhân, the number on the chip ID card) and reads the old 9-digit
// identity card numbers (CMND) that sector databases still hold.
//
// A PIN is PPP C YY RRRRRR (Decree 137/2015 art. 13, Circular 07/2016/TT-BCA
// art. 7, kept by the 2023 Law on Identity): the province where the birth was
// registered, one digit for century and sex, the last two digits of the birth
// year, and six random digits. There is no check digit, so a mistyped serial
// cannot be caught here; only the register can say whether a number was issued.
//
// Errors are *Error and name the digits at fault, so a form can point at them.
// Their English text is kept as a format and arguments (Error.Format, Args),
// so that pages can show it in the officer's language: every format is
// written in a call of newError or phrase, which the test of internal/i18n
// finds, and translated in internal/i18n/reasons.vi.json.
// The package never stores or looks up people.
package pin

import (
	"errors"
	"fmt"

	"github.com/populus-vn/populus/internal/civil"
)

// PIN is a 12-digit personal identification number that has passed Parse.
type PIN string

// Parts is what the digits of a PIN say.
type Parts struct {
	Province     string    // digits 1–3, e.g. "079"
	ProvinceName string    // from the table of Circular 07/2016, annex 1
	Sex          civil.Sex // from digit 4
	Century      int       // from digit 4: 1900, 2000, …, 2300
	BirthYear    int       // Century plus digits 5–6
	Serial       string    // digits 7–12
}

// Field names an *Error's subject, for an HTTP layer to map to a form field.
const (
	FieldProvince   = "province"
	FieldSexCentury = "sex_century"
	FieldBirthYear  = "birth_year"
	FieldSerial     = "serial" // no rule limits digits 7–12; named so a form can label them
	FieldLength     = "length"
	FieldDigit      = "digit"
)

// Error says exactly what is wrong with a number.
type Error struct {
	Pos   int    // 1-based position of the first character at fault; 0 for the whole number
	Field string // one of the Field constants
	Msg   string // in English: fmt.Sprintf(Format, Args...)
	// Format and Args are what Msg was made from, so that the message can
	// be translated (problem.Formatted). An argument may itself be a
	// translatable word or phrase (a sex, what the record says).
	Format string
	Args   []any
}

func (e *Error) Error() string { return e.Msg }

// FormatArgs returns the English format of the message and its arguments.
func (e *Error) FormatArgs() (string, []any) { return e.Format, e.Args }

// newError makes an *Error; format is a constant, so that the catalog of
// translations can be checked against the source.
func newError(pos int, field, format string, args ...any) *Error {
	return &Error{Pos: pos, Field: field, Msg: fmt.Sprintf(format, args...), Format: format, Args: args}
}

// text is a word or phrase inside a message, kept as a format and
// arguments so that it is translated with the message (problem.Formatted).
type text struct {
	format string
	args   []any
}

// phrase makes a text; format is a constant, as for newError.
func phrase(format string, args ...any) text { return text{format, args} }

func (t text) String() string              { return fmt.Sprintf(t.format, t.args...) }
func (t text) FormatArgs() (string, []any) { return t.format, t.args }

// Length is the number of digits in a PIN.
const Length = 12

// Parse checks that s is twelve digits starting with one of the 63 province
// codes (see Provinces) and reports what the digits say. s is taken as typed:
// a space is an error, so that positions in messages match the input. Parse
// does not know today's date, so a PIN for a birth in 2150 is structurally
// fine; compare with the record using CheckPerson.
func Parse(s string) (PIN, Parts, error) {
	if err := digitsOnly(s, Length, phrase("a personal identification number")); err != nil {
		return "", Parts{}, err
	}
	i := provinceIndex[num(s[:3])]
	if i == 0 {
		return "", Parts{}, newError(1, FieldProvince,
			"digits 1–3 are %s, which is not a province code of birth registration", s[:3])
	}
	return PIN(s), parts(s, provinces[i-1].Name), nil
}

func parts(s, province string) Parts {
	c := int(s[3] - '0')
	century := 1900 + c/2*100
	return Parts{
		Province:     s[:3],
		ProvinceName: province,
		Sex:          sexOf(c),
		Century:      century,
		BirthYear:    century + num(s[4:6]),
		Serial:       s[6:],
	}
}

// Even digits are male, odd female, two per century from 1900.
func sexOf(c int) civil.Sex {
	if c%2 == 0 {
		return civil.Male
	}
	return civil.Female
}

// digitsOnly reports the first character that is not an ASCII digit, then a
// wrong length. Characters are counted as runes, so the position matches what
// the user typed even after a Vietnamese letter; invalid UTF-8 shows as U+FFFD.
func digitsOnly(s string, want int, what text) error {
	n := 0
	for _, r := range s {
		n++
		if r < '0' || r > '9' {
			return newError(n, FieldDigit, "character %d is %q, not a digit", n, string(r))
		}
	}
	switch n {
	case want:
		return nil
	case 0:
		return newError(0, FieldLength, "the number is empty; %s has %d digits", what, want)
	case 1:
		return newError(0, FieldLength, "the number has 1 digit; %s has %d", what, want)
	}
	return newError(0, FieldLength, "the number has %d digits; %s has %d", n, what, want)
}

// Parts re-reads a PIN that came from Parse, New or a trusted store; it
// returns the zero Parts for a string that is not twelve digits.
func (p PIN) Parts() Parts {
	s := string(p)
	if len(s) != Length || !allDigits(s) {
		return Parts{}
	}
	name, _ := ProvinceName(s[:3])
	return parts(s, name)
}

func (p PIN) String() string { return string(p) }

// UnmarshalText parses, so that a PIN field in a JSON request is validated on
// decoding and the error names the digit at fault.
func (p *PIN) UnmarshalText(b []byte) error {
	x, _, err := Parse(string(b))
	if err != nil {
		return err
	}
	*p = x
	return nil
}

func (p PIN) MarshalText() ([]byte, error) { return []byte(p), nil }

// CheckPerson reports where the PIN disagrees with a person's recorded sex and
// birth date. An unknown sex is not checked; a year-only or year-and-month
// date still checks digit 4's century and digits 5–6; an unknown date checks
// nothing about the year. Each disagreement is an *Error; when there are two
// they are joined, and errors.As finds the first (digit 4).
func (p Parts) CheckPerson(sex civil.Sex, birth civil.Date) error {
	year := birth.Year // 0 when the date is unknown
	var errs []error
	digit := digit4(p.Sex, p.Century)
	if (sex.Valid() && sex != p.Sex) || (year != 0 && year/100*100 != p.Century) {
		errs = append(errs, newError(4, FieldSexCentury,
			"digit 4 is %d (%s, born %d–%d) but the record says %s",
			digit, sexWord(p.Sex), p.Century, p.Century+99, record(sex, year)))
	}
	if year != 0 && year%100 != p.BirthYear%100 {
		errs = append(errs, newError(5, FieldBirthYear,
			"digits 5–6 are %02d (born %d) but the record says born %d",
			p.BirthYear%100, p.BirthYear, year))
	}
	return errors.Join(errs...)
}

func digit4(sex civil.Sex, century int) int {
	d := (century - 1900) / 100 * 2
	if sex == civil.Female {
		d++
	}
	return d
}

// sexWord is "male" or "female" (civil.Sex.Word), for messages.
func sexWord(sex civil.Sex) text {
	switch sex {
	case civil.Male:
		return phrase("male")
	case civil.Female:
		return phrase("female")
	}
	return phrase("unknown")
}

// record describes what the record knows: "male, born 2003", "born 2003", "female".
func record(sex civil.Sex, year int) text {
	switch {
	case !sex.Valid():
		return phrase("born %d", year)
	case year == 0:
		return sexWord(sex)
	}
	return phrase("%s, born %d", sexWord(sex), year)
}

// Prefix returns the first six digits of a PIN for a birth registered in the
// given province: the part fixed by facts, before the serial.
func Prefix(province string, sex civil.Sex, birthYear int) (string, error) {
	if _, ok := ProvinceName(province); !ok {
		return "", newError(1, FieldProvince, "%q is not a province code of birth registration", province)
	}
	if !sex.Valid() {
		return "", newError(4, FieldSexCentury, "digit 4 needs the sex, male or female, and it is unknown")
	}
	if birthYear < 1900 || birthYear > 2399 {
		return "", newError(4, FieldBirthYear,
			"birth year %d is outside 1900–2399, the years digit 4 can encode", birthYear)
	}
	b := []byte(province + "000")
	b[3] = byte('0' + digit4(sex, birthYear/100*100))
	b[4] = byte('0' + birthYear/10%10)
	b[5] = byte('0' + birthYear%10)
	return string(b), nil
}

// New joins a prefix from Prefix and a serial in 0..999999. Both come from the
// program, not from a person, so a bad one is a bug and New panics.
func New(prefix string, serial int) PIN {
	if len(prefix) != 6 || !allDigits(prefix) || serial < 0 || serial > 999999 {
		panic(fmt.Sprintf("pin.New(%q, %d): want a 6-digit prefix and a serial in 0..999999", prefix, serial))
	}
	var b [Length]byte
	copy(b[:], prefix)
	for i := Length - 1; i >= 6; i-- {
		b[i] = byte('0' + serial%10)
		serial /= 10
	}
	return PIN(b[:])
}
