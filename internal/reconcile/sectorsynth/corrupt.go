package sectorsynth

import (
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"

	"github.com/populus-vn/populus/internal/civil"
	"github.com/populus-vn/populus/internal/units"
	"github.com/populus-vn/populus/internal/vntext"
	"github.com/populus-vn/populus/internal/wyrand"
)

// Combining marks of Vietnamese, as NFD writes them.
const (
	markGrave      = '\u0300' // huyền
	markAcute      = '\u0301' // sắc
	markTilde      = '\u0303' // ngã
	markHook       = '\u0309' // hỏi
	markDot        = '\u0323' // nặng
	markCircumflex = '\u0302' // â ê ô
	markBreve      = '\u0306' // ă
	markHorn       = '\u031B' // ơ ư
)

// stripDiacritics drops diacritics and keeps case: "Nguyễn Đức" → "Nguyen Duc".
func stripDiacritics(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	for _, r := range norm.NFD.String(s) {
		switch {
		case r == 'đ':
			b.WriteByte('d')
		case r == 'Đ':
			b.WriteByte('D')
		case unicode.Is(unicode.Mn, r):
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// Typo kinds, as recorded in the truth file (name:typo-KIND).
const (
	typoKeyboard  = "keyboard"  // a letter replaced by a neighbouring key
	typoTelex     = "telex"     // a word left as its Telex keystrokes: Nguyễn → Nguyeenx
	typoVNI       = "vni"       // a word left as its VNI keystrokes: Nguyễn → Nguye6n4
	typoTone      = "tone"      // hỏi and ngã confused, or a tone mark lost
	typoOCR       = "ocr"       // o→0, l→1, m→rn, ư→u, …
	typoTranspose = "transpose" // two neighbouring letters swapped
	typoDropped   = "dropped"   // a letter left out or typed twice
)

var typoKinds = []string{typoKeyboard, typoTelex, typoVNI, typoTone, typoOCR, typoTranspose, typoDropped}
var typoWeights = []int{25, 15, 5, 20, 15, 10, 10}

// typo makes one typing or reading error in s, returning the new text and
// the kind of error; when the drawn kind does not apply to s (no diacritics
// to mistype) it falls back to a keyboard error.
func typo(r *wyrand.Rand, s string) (string, string) {
	kind := typoKinds[r.Weighted(typoWeights)]
	var out string
	switch kind {
	case typoTelex, typoVNI:
		out = imeLeak(r, s, kind == typoVNI)
	case typoTone:
		out = toneSlip(r, s)
	case typoOCR:
		out = ocrSlip(r, s)
	case typoTranspose:
		out = transpose(r, s)
	case typoDropped:
		out = dropOrDouble(r, s)
	}
	if out == "" || out == s {
		kind, out = typoKeyboard, neighbourKey(r, s)
	}
	return out, kind
}

// qwerty lists the keys around each letter.
var qwerty = map[rune]string{
	'q': "wa", 'w': "qes", 'e': "wrd", 'r': "etf", 't': "ryg", 'y': "tuh", 'u': "yij", 'i': "uok", 'o': "ipl", 'p': "ol",
	'a': "qsz", 's': "adwx", 'd': "sfec", 'f': "dgrv", 'g': "fhtb", 'h': "gjyn", 'j': "hkum", 'k': "jli", 'l': "ko",
	'z': "xa", 'x': "zcs", 'c': "xvd", 'v': "cbf", 'b': "vng", 'n': "bmh", 'm': "nj",
}

// neighbourKey replaces one letter (diacritics and all) with a key next to
// its base letter.
func neighbourKey(r *wyrand.Rand, s string) string {
	rs := []rune(s)
	var at []int
	for i, c := range rs {
		if _, ok := qwerty[unicode.ToLower(base(c))]; ok {
			at = append(at, i)
		}
	}
	if len(at) == 0 {
		return s
	}
	i := wyrand.Pick(r, at)
	near := []rune(qwerty[unicode.ToLower(base(rs[i]))])
	c := wyrand.Pick(r, near)
	if unicode.IsUpper(rs[i]) {
		c = unicode.ToUpper(c)
	}
	rs[i] = c
	return string(rs)
}

// base returns the letter under a character's diacritics.
func base(c rune) rune {
	if c == 'đ' {
		return 'd'
	}
	if c == 'Đ' {
		return 'D'
	}
	var buf [utf8.UTFMax]byte
	n := utf8.EncodeRune(buf[:], c)
	d := norm.NFD.Bytes(buf[:n])
	b, _ := utf8.DecodeRune(d)
	return b
}

// words returns the byte ranges of the words of s.
func words(s string) [][2]int {
	var out [][2]int
	start := -1
	for i, c := range s {
		if unicode.IsLetter(c) {
			if start < 0 {
				start = i
			}
			continue
		}
		if start >= 0 {
			out = append(out, [2]int{start, i})
			start = -1
		}
	}
	if start >= 0 {
		out = append(out, [2]int{start, len(s)})
	}
	return out
}

// pickWord returns a random word holding a character for which ok is true.
func pickWord(r *wyrand.Rand, s string, ok func(rune) bool) (lo, hi int, found bool) {
	var cands [][2]int
	for _, w := range words(s) {
		if strings.IndexFunc(s[w[0]:w[1]], ok) >= 0 {
			cands = append(cands, w)
		}
	}
	if len(cands) == 0 {
		return 0, 0, false
	}
	w := wyrand.Pick(r, cands)
	return w[0], w[1], true
}

func hasDiacritic(c rune) bool { return c >= utf8.RuneSelf && unicode.IsLetter(c) }

// imeLeak writes one word with diacritics as the keys typed for it, as
// when the input method was off: Telex doubles a letter for the circumflex,
// adds w for the horn and breve, dd for đ, and puts the tone key (s f r x
// j) after the word; VNI uses the digits 6 7 8 9 and 1–5.
func imeLeak(r *wyrand.Rand, s string, vni bool) string {
	lo, hi, ok := pickWord(r, s, hasDiacritic)
	if !ok {
		return ""
	}
	return s[:lo] + imeWord(s[lo:hi], vni) + s[hi:]
}

// imeAll writes every word of s as its keystrokes (imeLeak's).
func imeAll(s string, vni bool) string {
	ws := strings.Fields(s)
	for i, w := range ws {
		if strings.ContainsFunc(w, hasDiacritic) {
			ws[i] = imeWord(w, vni)
		}
	}
	return strings.Join(ws, " ")
}

// imeWord writes the word w as the keys typed for it.
func imeWord(w string, vni bool) string {
	upper := strings.ToUpper(w) == w
	var b strings.Builder
	var tone rune
	for _, c := range norm.NFD.String(w) {
		key := func(telex, digit rune) {
			if vni {
				b.WriteRune(digit)
				return
			}
			if upper {
				telex = unicode.ToUpper(telex)
			}
			b.WriteRune(telex)
		}
		switch c {
		case 'đ', 'Đ':
			b.WriteRune(base(c))
			key('d', '9')
		case markCircumflex:
			last, _ := utf8.DecodeLastRuneInString(b.String())
			key(unicode.ToLower(last), '6')
		case markHorn:
			key('w', '7')
		case markBreve:
			key('w', '8')
		case markAcute, markGrave, markHook, markTilde, markDot:
			tone = c
		default:
			b.WriteRune(c)
		}
	}
	if tone != 0 {
		t := map[rune][2]rune{markAcute: {'s', '1'}, markGrave: {'f', '2'}, markHook: {'r', '3'}, markTilde: {'x', '4'}, markDot: {'j', '5'}}[tone]
		switch {
		case vni:
			b.WriteRune(t[1])
		case upper:
			b.WriteRune(unicode.ToUpper(t[0]))
		default:
			b.WriteRune(t[0])
		}
	}
	return b.String()
}

// LegacyText's encodings, as truth tags say them (text:…).
const (
	legacyTCVN3       = "tcvn3"      // the raw bytes of a TCVN3 export
	legacyTCVN3As1252 = "tcvn3-1252" // TCVN3 read as Windows-1252, saved as Unicode
	legacyVNIAs1252   = "vni-1252"   // VNI-Windows read as Windows-1252, saved as Unicode
)

// legacyText writes s in a legacy encoding.
func legacyText(s, enc string) string {
	switch enc {
	case legacyTCVN3:
		return string(vntext.EncodeTCVN3(s))
	case legacyTCVN3As1252:
		return vntext.Mojibake(vntext.EncodeTCVN3(s))
	case legacyVNIAs1252:
		return vntext.Mojibake(vntext.EncodeVNI(s))
	}
	return s
}

// serialOf is a date's spreadsheet serial day number (days since
// 30 December 1899).
func serialOf(d civil.Date) int {
	t := time.Date(d.Year, time.Month(d.Month), d.Day, 0, 0, 0, 0, time.UTC)
	return int(t.Sub(time.Date(1899, 12, 30, 0, 0, 0, 0, time.UTC)).Hours() / 24)
}

// provinceAbbreviations are the ways people shorten some provinces' names.
var provinceAbbreviations = map[string][]string{
	"79":     {"TP.HCM", "TP HCM", "SG", "HCM", "Tp Hồ Chí Minh"},
	"01":     {"HN", "Tp Hà Nội", "TP. Hà Nội"},
	"31":     {"HP", "Tp Hải Phòng"},
	"66":     {"Daklak", "Đắc Lắc", "Dak Lak"},
	"old:66": {"Daklak", "Đắc Lắc"},
	"old:77": {"BR-VT", "BRVT"},
	"old:62": {"Kontum"},
	"old:67": {"Daknong", "Đắc Nông"},
	"old:46": {"TT Huế", "TTH"},
}

// abbreviate writes a province as people shorten it: a known abbreviation,
// else "T. " or "Tp " and the name, or the name without diacritics run
// together.
func abbreviate(r *wyrand.Rand, u units.Unit) string {
	if ab := provinceAbbreviations[u.Key().String()]; len(ab) > 0 && r.Chance(0.7) {
		return wyrand.Pick(r, ab)
	}
	switch r.Intn(3) {
	case 0:
		if u.Type == "Tỉnh" {
			return "T. " + u.Name
		}
		return "Tp " + u.Name
	case 1:
		return strings.ReplaceAll(stripDiacritics(u.Name), " ", "")
	}
	return stripDiacritics(u.Name)
}

// withDistrict writes a pre-2025 commune with its district in one cell, in
// full or abbreviated: "Phường 8, Quận 10", "F.8 - Q.10", "Xã Tân Lập,
// Huyện Đan Phượng".
func withDistrict(r *wyrand.Rand, u units.Unit) string {
	if r.Chance(0.6) {
		return u.FullName() + ", " + u.District
	}
	short := map[string]string{"Phường": "P.", "Xã": "X.", "Thị trấn": "TT."}[u.Type]
	if short == "" {
		short = u.Type + " "
	}
	if u.Type == "Phường" && r.Chance(0.5) {
		short = "F."
	}
	d := u.District
	for full, ab := range map[string]string{"Quận ": "Q.", "Huyện ": "H.", "Thị xã ": "TX.", "Thành phố ": "TP."} {
		if strings.HasPrefix(d, full) {
			d = ab + strings.TrimPrefix(d, full)
			break
		}
	}
	return short + u.Name + " - " + d
}

// toneSlip confuses hỏi and ngã in one syllable, the commonest Vietnamese
// spelling slip, or else drops the tone mark of one syllable.
func toneSlip(r *wyrand.Rand, s string) string {
	isTone := func(c rune) bool {
		d := norm.NFD.String(string(c))
		return strings.ContainsAny(d, "\u0300\u0301\u0303\u0309\u0323")
	}
	lo, hi, ok := pickWord(r, s, isTone)
	if !ok {
		return ""
	}
	var b strings.Builder
	for _, c := range norm.NFD.String(s[lo:hi]) {
		switch c {
		case markHook:
			b.WriteRune(markTilde)
		case markTilde:
			b.WriteRune(markHook)
		case markAcute, markGrave, markDot:
		default:
			b.WriteRune(c)
		}
	}
	return s[:lo] + norm.NFC.String(b.String()) + s[hi:]
}

// ocrSlips are misreadings of scanned forms.
var ocrSlips = [][2]string{{"o", "0"}, {"O", "0"}, {"l", "1"}, {"I", "1"}, {"i", "l"}, {"m", "rn"}, {"rn", "m"},
	{"ư", "u"}, {"ơ", "o"}, {"ă", "a"}, {"â", "a"}, {"ê", "e"}, {"ô", "o"}, {"đ", "d"}, {"Đ", "D"}, {"h", "b"}, {"c", "e"}}

// ocrSlip replaces one occurrence of a confusable letter.
func ocrSlip(r *wyrand.Rand, s string) string {
	type hit struct {
		at   int
		slip [2]string
	}
	var hits []hit
	for _, sl := range ocrSlips {
		for i := 0; ; {
			j := strings.Index(s[i:], sl[0])
			if j < 0 {
				break
			}
			hits = append(hits, hit{i + j, sl})
			i += j + len(sl[0])
		}
	}
	if len(hits) == 0 {
		return ""
	}
	h := wyrand.Pick(r, hits)
	return s[:h.at] + h.slip[1] + s[h.at+len(h.slip[0]):]
}

// transpose swaps two neighbouring letters of one word.
func transpose(r *wyrand.Rand, s string) string {
	rs := []rune(s)
	var at []int
	for i := 0; i+1 < len(rs); i++ {
		if unicode.IsLetter(rs[i]) && unicode.IsLetter(rs[i+1]) && rs[i] != rs[i+1] {
			at = append(at, i)
		}
	}
	if len(at) == 0 {
		return ""
	}
	i := wyrand.Pick(r, at)
	rs[i], rs[i+1] = rs[i+1], rs[i]
	return string(rs)
}

// dropOrDouble leaves out one letter of a word longer than two, or types
// one twice.
func dropOrDouble(r *wyrand.Rand, s string) string {
	rs := []rune(s)
	var at []int
	for _, w := range words(s) {
		n := utf8.RuneCountInString(s[w[0]:w[1]])
		start := utf8.RuneCountInString(s[:w[0]])
		if n > 2 {
			for i := 1; i < n; i++ {
				at = append(at, start+i)
			}
		}
	}
	if len(at) == 0 {
		return ""
	}
	i := wyrand.Pick(r, at)
	if r.Chance(0.5) {
		return string(rs[:i]) + string(rs[i+1:])
	}
	return string(rs[:i+1]) + string(rs[i:])
}

// digitTypo changes one digit of a number: a wrong digit, two neighbours
// swapped, or (one time in five) a digit misread as a letter (0→O, 1→l).
func digitTypo(r *wyrand.Rand, s string) string {
	if len(s) < 2 {
		return s
	}
	b := []byte(s)
	i := r.Intn(len(b))
	switch k := r.Intn(5); {
	case k == 0 && (b[i] == '0' || b[i] == '1'):
		b[i] = map[byte]byte{'0': 'O', '1': 'l'}[b[i]]
	case k <= 1 && i+1 < len(b) && b[i] != b[i+1]:
		b[i], b[i+1] = b[i+1], b[i]
	default:
		b[i] = byte('0' + (int(b[i]-'0')+1+r.Intn(9))%10)
	}
	return string(b)
}
