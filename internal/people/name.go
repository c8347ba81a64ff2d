package people

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// The rule of a person's name (full_name, and each of other_names, which
// hold former full names).
//
// A name is what is written on the civil-status act: Vietnamese names with
// their tone marks (Nguyễn Thị Ánh Tuyết), names of the 54 ethnic groups
// written in Vietnamese letters with apostrophes and several words (H'Hen
// Niê, Ksor H'Bia, Y Ngông Niê Kđăm), foreign names in Latin letters with
// hyphens, apostrophes and full stops (Jean-Luc O'Brien, Müller, St. John).
// So a name holds:
//
//   - letters of any script (Unicode L*) and combining marks (M*), which
//     the NFC normalisation below composes where a composed letter exists;
//   - spaces (U+0020; a run of them is one space), hyphens (-, U+2010),
//     apostrophes (', U+2019) and full stops;
//
// it begins with a letter (so never with a spreadsheet's formula character
// =, +, - or @) and it has 1 to MaxNameLen characters (code points, after
// normalisation, not bytes). It is stored in Unicode normalisation form C,
// so that one name has one spelling for search, matching and equality.
//
// Refused, each with its own reason: text that is not valid UTF-8, and
// U+FFFD, which a JSON decoder puts in place of invalid UTF-8 and of lone
// surrogates (\ud800); control characters (tab, newline, …); the
// bidirectional embedding, override and isolate characters (U+202A–U+202E,
// U+2066–U+2069), which make a name display other than it reads; any other
// character (digits, symbols, emoji, punctuation, invisible format
// characters).
const MaxNameLen = 100

// MaxOtherNames bounds how many former names a record holds.
const MaxOtherNames = 10

// NormalizeName returns name trimmed, with runs of spaces made one and in
// NFC, or the reason it is not a name under the rule above.
func NormalizeName(name string) (string, string) {
	if !utf8.ValidString(name) || strings.ContainsRune(name, utf8.RuneError) {
		return "", why("is not valid UTF-8 text (invalid bytes or a lone surrogate)")
	}
	for _, r := range name {
		switch {
		case r >= 0x202A && r <= 0x202E, r >= 0x2066 && r <= 0x2069:
			return "", why("may not hold bidirectional-control characters (U+202A–U+202E, U+2066–U+2069)")
		case unicode.IsControl(r):
			return "", why("may not hold control characters such as tab or newline")
		}
	}
	name = strings.Join(strings.FieldsFunc(norm.NFC.String(name), func(r rune) bool { return r == ' ' }), " ")
	n := utf8.RuneCountInString(name)
	switch {
	case n == 0:
		return "", why("is required")
	case n > MaxNameLen:
		return "", why("is longer than 100 characters")
	}
	first, _ := utf8.DecodeRuneInString(name)
	if !unicode.IsLetter(first) {
		if strings.ContainsRune("=+-@", first) {
			return "", why("may not begin with =, +, - or @")
		}
		return "", why("must begin with a letter")
	}
	for _, r := range name {
		if !nameRune(r) {
			return "", why("may hold letters, spaces, hyphens, apostrophes and full stops only")
		}
	}
	return name, ""
}

// why marks a reason of NormalizeName, so that the catalog test of
// internal/i18n finds it and checks that it is translated.
func why(reason string) string { return reason }

func nameRune(r rune) bool {
	switch r {
	case ' ', '-', '\u2010', '\'', '\u2019', '.':
		return true
	}
	return unicode.IsLetter(r) || unicode.IsMark(r)
}
