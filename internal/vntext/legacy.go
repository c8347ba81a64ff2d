package vntext

import (
	"strings"
	"unicode/utf8"

	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/unicode/norm"
)

// Encoding names a legacy Vietnamese encoding.
type Encoding string

const (
	None   Encoding = ""
	TCVN3  Encoding = "TCVN3"  // TCVN 5712:1993, the ABC (.VnTime) fonts
	VNI    Encoding = "VNI"    // VNI-Windows (VNI-Times) fonts
	CP1258 Encoding = "CP1258" // Windows-1258
)

// tcvn3Table is tcvn3 indexed by byte.
var tcvn3Table = func() (t [256]rune) {
	for i := range t {
		t[i] = rune(i)
	}
	for b, r := range tcvn3 {
		t[b] = r
	}
	return t
}()

// decodeTCVN3 decodes TCVN3 bytes (the combining marks 0xB0–0xB4 attach to
// the letter before them).
func decodeTCVN3(b []byte) string {
	var sb strings.Builder
	sb.Grow(2 * len(b))
	for _, c := range b {
		sb.WriteRune(tcvn3Table[c])
	}
	return norm.NFC.String(sb.String())
}

// VNI-Windows writes a letter with marks as the base letter followed by one
// byte that stands for its marks (in the VNI-Times font that byte is drawn
// as the marks); a few letters have a byte of their own.
var (
	vniMarks = map[byte][]rune{
		0xF9: {acute}, 0xF8: {grave}, 0xFB: {hook}, 0xF5: {tilde}, 0xEF: {dot},
		0xE2: {circumflex}, 0xE1: {circumflex, acute}, 0xE0: {circumflex, grave}, 0xE5: {circumflex, hook},
		0xE3: {circumflex, tilde}, 0xE4: {circumflex, dot},
		0xEA: {breve}, 0xE9: {breve, acute}, 0xE8: {breve, grave}, 0xFA: {breve, hook},
		0xFC: {breve, tilde}, 0xEB: {breve, dot},
	}
	vniLetters = map[byte]rune{
		0xF4: 'ơ', 0xF6: 'ư', 0xF1: 'đ', 0xEC: 'ì', 0xED: 'í', 0xE6: 'ỉ', 0xF3: 'ĩ', 0xF2: 'ị', 0xEE: 'ỵ',
		0xD4: 'Ơ', 0xD6: 'Ư', 0xD1: 'Đ', 0xCC: 'Ì', 0xCD: 'Í', 0xC6: 'Ỉ', 0xD3: 'Ĩ', 0xD2: 'Ị', 0xCE: 'Ỵ',
	}
)

// vniMark returns the marks a VNI byte stands for; upper-case letters take
// the same bytes less 0x20.
func vniMark(c byte) ([]rune, bool) {
	if m, ok := vniMarks[c]; ok {
		return m, true
	}
	if c >= 0xC0 && c < 0xE0 {
		m, ok := vniMarks[c+0x20]
		return m, ok
	}
	return nil, false
}

// decodeVNI decodes VNI-Windows bytes. A mark byte applies to the vowel
// before it; anywhere else it is read as the Windows-1252 letter it is.
func decodeVNI(b []byte) string {
	var sb strings.Builder
	sb.Grow(2 * len(b))
	prevVowel := false
	for _, c := range b {
		if c < 0x80 {
			sb.WriteByte(c)
			prevVowel = strings.IndexByte("aeiouyAEIOUY", c) >= 0
			continue
		}
		if m, ok := vniMark(c); ok && prevVowel {
			for _, r := range m {
				sb.WriteRune(r)
			}
			continue
		}
		if r, ok := vniLetters[c]; ok {
			sb.WriteRune(r)
			prevVowel = r != 'đ' && r != 'Đ'
			continue
		}
		sb.WriteRune(cp1252Rune(c))
		prevVowel = false
	}
	return norm.NFC.String(sb.String())
}

var cp1252Decoder = charmap.Windows1252

func cp1252Rune(c byte) rune { return cp1252Decoder.DecodeByte(c) }

// decodeCP1258 decodes Windows-1258 (which composes tone marks as
// combining characters after the letter).
func decodeCP1258(b []byte) string {
	s, err := charmap.Windows1258.NewDecoder().Bytes(b)
	if err != nil {
		return string(b)
	}
	return norm.NFC.String(string(s))
}

// Decoder decodes the lines of a file that are not UTF-8, choosing among
// TCVN3, VNI-Windows and Windows-1258 the one whose text reads as the most
// Vietnamese syllables, over all the lines it has decoded so far (one file
// is in one encoding; a line of numbers says little on its own).
type Decoder struct {
	total map[Encoding]int
	// Lines counts the lines decoded; Used is the encoding of the last.
	Lines int
	Used  Encoding
}

// Decode returns line as UTF-8: unchanged when it is UTF-8 already, else
// decoded from the legacy encoding that reads best. Characters of the line
// that are valid UTF-8 beyond ASCII are kept as they are (a file merged
// from Unicode and legacy sheets mixes both in one line); only the runs of
// bytes between them are decoded.
func (d *Decoder) Decode(line []byte) []byte {
	if utf8.Valid(line) {
		return line
	}
	if d.total == nil {
		d.total = map[Encoding]int{}
	}
	cands := map[Encoding]string{
		TCVN3:  decodeRuns(line, decodeTCVN3),
		VNI:    decodeRuns(line, decodeVNI),
		CP1258: decodeRuns(line, decodeCP1258),
	}
	for e, s := range cands {
		d.total[e] += score(s)
	}
	best := CP1258
	for _, e := range []Encoding{TCVN3, VNI} {
		if d.total[e] > d.total[best] {
			best = e
		}
	}
	d.Lines++
	d.Used = best
	return []byte(cands[best])
}

// decodeRuns decodes the runs of b that are not UTF-8 characters beyond
// ASCII with dec, and keeps those characters.
func decodeRuns(b []byte, dec func([]byte) string) string {
	var sb strings.Builder
	sb.Grow(2 * len(b))
	start := 0
	for i := 0; i < len(b); {
		r, n := utf8.DecodeRune(b[i:])
		if n > 1 && r != utf8.RuneError {
			sb.WriteString(dec(b[start:i]))
			sb.Write(b[i : i+n])
			start = i + n
		}
		i += n
	}
	sb.WriteString(dec(b[start:]))
	return norm.NFC.String(sb.String())
}

// FixMojibake reads s back when it is text of a legacy encoding that was
// read as Windows-1252 (or Latin-1) and stored as Unicode: "NguyÔn V¨n
// Hµ" (TCVN3) or "Nguyeãn Vaên Haø" (VNI) becomes "Nguyễn Văn Hà". It
// returns s and None when s holds any character that such text cannot
// (a letter beyond Latin-1 such as "ễ"), or when the reading is not more
// Vietnamese than s itself: "José", "Müller" and "Hòa" are left alone.
func FixMojibake(s string) (string, Encoding) {
	b, ok := latin1Bytes(s)
	if !ok {
		return s, None
	}
	best, enc := score(s), None
	if best == len(words(s)) {
		return s, None // every word reads already
	}
	for _, c := range []struct {
		e Encoding
		s string
	}{{TCVN3, decodeTCVN3(b)}, {VNI, decodeVNI(b)}} {
		if n := score(c.s); n > best {
			best, enc, s = n, c.e, c.s
		}
	}
	return s, enc
}

// DecodeAs reads s back as text of the legacy encoding e stored as
// Windows-1252 characters, when that reads at least as well as s (for the
// other fields of a record one of whose fields FixMojibake found in e: a
// short value such as "Thò", VNI for "Thị", is a word either way). ok is
// false when s cannot be such text or nothing changes.
func DecodeAs(s string, e Encoding) (string, bool) {
	b, ok := latin1Bytes(s)
	if !ok {
		return s, false
	}
	var d string
	switch e {
	case TCVN3:
		d = decodeTCVN3(b)
	case VNI:
		d = decodeVNI(b)
	default:
		return s, false
	}
	if d == s || score(d) < score(s) {
		return s, false
	}
	return d, true
}

// latin1Bytes returns the bytes that s would have been if it was text of
// a single-byte encoding read as Windows-1252: false when s is ASCII (no
// mojibake) or holds a character that Windows-1252 does not.
func latin1Bytes(s string) ([]byte, bool) {
	high := false
	for _, r := range s {
		if r >= 0x80 {
			if r >= 0x100 {
				if _, ok := cp1252Decoder.EncodeRune(r); !ok {
					return nil, false
				}
			}
			high = true
		}
	}
	if !high {
		return nil, false
	}
	b := make([]byte, 0, len(s))
	for _, r := range s {
		if r < 0x100 {
			b = append(b, byte(r))
			continue
		}
		c, _ := cp1252Decoder.EncodeRune(r)
		b = append(b, c)
	}
	return b, true
}
