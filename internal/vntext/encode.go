package vntext

import (
	"strings"
	"unicode"

	"golang.org/x/text/unicode/norm"
)

// tcvn3Encode maps the precomposed letters TCVN3 has to their bytes.
var tcvn3Encode = func() map[rune]byte {
	m := map[rune]byte{'ý': 0xFD} // the one letter at its Latin-1 place
	for b, r := range tcvn3 {
		if !unicode.Is(unicode.Mn, r) {
			m[r] = b
		}
	}
	return m
}()

// EncodeTCVN3 writes s in TCVN3 as the ABC fonts were used: capitals with
// tone marks take the bytes of the small letters (the .VnTimeH fonts drew
// those as capitals), since the capitals' own bytes (TCVN 5712's first
// table, among the control characters) were rarely typed. A character
// TCVN3 lacks becomes '?'. For tests and synthetic files.
func EncodeTCVN3(s string) []byte {
	out := make([]byte, 0, len(s))
	for _, r := range norm.NFC.String(s) {
		switch {
		case r < 0x80:
			out = append(out, byte(r))
		default:
			b, ok := tcvn3Encode[r]
			if !ok || b < 0xA0 && unicode.IsUpper(r) {
				b, ok = tcvn3Encode[unicode.ToLower(r)]
			}
			if !ok {
				b = '?'
			}
			out = append(out, b)
		}
	}
	return out
}

// vniMarkByte is the VNI-Windows byte for a set of marks on a vowel, in
// small letters (capitals take it less 0x20).
var vniMarkByte = func() map[string]byte {
	m := map[string]byte{}
	for b, marks := range vniMarks {
		m[string(marks)] = b
	}
	return m
}()

// vniLetterByte is the byte of a letter VNI-Windows writes whole.
var vniLetterByte = func() map[rune]byte {
	m := map[rune]byte{}
	for b, r := range vniLetters {
		m[r] = b
	}
	return m
}()

// EncodeVNI writes s in VNI-Windows: a letter with marks as its base
// letter followed by the byte of its marks (ơ, ư, đ and the i's and ỵ by
// bytes of their own, ơ and ư followed by their tone's byte). A character
// VNI lacks becomes '?'. For tests and synthetic files.
func EncodeVNI(s string) []byte {
	out := make([]byte, 0, 2*len(s))
	for _, r := range norm.NFC.String(s) {
		if r < 0x80 {
			out = append(out, byte(r))
			continue
		}
		if b, ok := vniLetterByte[r]; ok {
			out = append(out, b)
			continue
		}
		d := []rune(norm.NFD.String(string(r)))
		base, marks := d[0], d[1:]
		upper := unicode.IsUpper(base)
		var tone []rune
		var vowelMark []rune
		for _, m := range marks {
			if isTone(m) {
				tone = append(tone, m)
			} else {
				vowelMark = append(vowelMark, m)
			}
		}
		if len(vowelMark) == 1 && vowelMark[0] == horn {
			// ơ and ư: their own byte, then the tone's.
			letter := map[rune]rune{'o': 'ơ', 'u': 'ư', 'O': 'Ơ', 'U': 'Ư'}[base]
			b, ok := vniLetterByte[letter]
			if !ok {
				out = append(out, '?')
				continue
			}
			out = append(out, b)
			vowelMark = nil
			if len(tone) == 0 {
				continue
			}
		} else if base < 0x80 {
			out = append(out, byte(base))
		} else {
			out = append(out, '?')
			continue
		}
		mb, ok := vniMarkByte[string(append(vowelMark, tone...))]
		if !ok {
			out = append(out, '?')
			continue
		}
		if upper {
			mb -= 0x20
		}
		out = append(out, mb)
	}
	return out
}

// Mojibake is the text that bytes of a legacy encoding become when read as
// Windows-1252: "NguyÔn" for Nguyễn in TCVN3. For tests and synthetic files.
func Mojibake(b []byte) string {
	var sb strings.Builder
	for _, c := range b {
		sb.WriteRune(cp1252Rune(c))
	}
	return sb.String()
}
