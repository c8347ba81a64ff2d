package reconcile

import (
	"slices"

	"github.com/populus-vn/populus/internal/civil"
	"github.com/populus-vn/populus/internal/textfold"
)

// Null is the level of a comparison when either record lacks the value. It
// carries no evidence either way: its weight is 0.
const Null = -1

// Comparison sorts a pair of records into one of a few levels of agreement
// on one field. Levels are ordered from the strongest agreement to the last,
// "else" level; Level returns the first that applies, or Null. A Comparison
// must be symmetric, safe for concurrent use, and must not allocate: it runs
// for every candidate pair.
type Comparison interface {
	// Name identifies the comparison in models and reports ("full_name").
	Name() string
	// Levels labels the levels, strongest first; the last is "else". The
	// slice is shared and must not be modified.
	Levels() []string
	// Level returns the index of the first level that a and b satisfy, or
	// Null when either lacks the value.
	Level(a, b *Record) int
}

// TFComparison is a Comparison whose exact-agreement levels are adjusted for
// term frequency: agreeing on a common value (Nguyễn, 38% of surnames) is
// weak evidence, agreeing on a rare one strong, so the u of such a level is
// the frequency of the agreed value rather than the level's average.
type TFComparison interface {
	Comparison
	// TermFrequency returns the register frequency of the value a and b
	// agree on at level, and false when level is not term-frequency
	// adjusted or the frequency is not known (Record.TermFrequency is 0).
	TermFrequency(a, b *Record, level int) (float64, bool)
}

// DefaultComparisons returns the comparisons of a sector record against the
// register: full name, date of birth, sex, PIN, CMND, address and phone. The
// name is compared whole, not in parts as well, because the model assumes
// comparisons independent given the match status, and a family-name
// comparison would count the same agreement twice.
func DefaultComparisons() []Comparison {
	return []Comparison{FullName{}, BirthDate{}, Sex{}, PIN{}, CMND{}, Address{}, Phone{}}
}

// Levels of FullName. Faults that real files make (a typo, an OCR slip, a
// lost middle name, the given name written first, several of them at
// once) each have a level of their own, graded, so that a name with two
// faults is weaker evidence than one with one but not a full mismatch.
const (
	NameExact         = iota // equal with diacritics, ignoring case and spacing
	NameFolded               // equal once accents are folded (đ→d): a wrong or lost tone mark, hook or breve
	NameSwapped              // the same words in another order (family name last)
	NameMiddleMissing        // same family and given name, one name's words a subset of the other's
	NameOneEdit              // one edit apart once OCR confusions (rn/m, l/I/1, 0/O) are read as one letter
	NameWordsSubset          // the shorter name's words (two or more) all in the longer one, in any order
	NameWordsOneFault        // as NameWordsSubset, one word of them one edit off
	NameWordsFaults          // as NameWordsSubset, two or more words one edit off each
	NameJW92                 // Jaro–Winkler of the folded names ≥ 0.92
	NameJW88                 // ≥ 0.88
	NameTwoEdits             // two edits apart, OCR confusions read as one letter
	NameMostWords            // all words but one of the shorter name (three or more) in the longer, one edit off at most
	NameElse
)

// FullName compares whole names, term-frequency adjusted on its two
// equality levels by the frequency of the folded full name.
type FullName struct{}

var fullNameLevels = []string{
	"exact", "equal without diacritics", "name order swapped", "middle name missing",
	"one edit apart", "words a subset in any order", "words a subset, one word off", "words a subset, several words off",
	"Jaro–Winkler ≥ 0.92", "Jaro–Winkler ≥ 0.88", "two edits apart", "all words but one", "else",
}

func (FullName) Name() string     { return "full_name" }
func (FullName) Levels() []string { return fullNameLevels }

// Level is fullNameLevel, but for the levels of words and letters alike
// (from NameWordsSubset on), which need a family name in common: two names
// whose family names, the anchor of a Vietnamese name, are not within one
// edit of each other (either name's first or last word, for a name written
// given-name first) are "else", however many of the other words agree
// ("Nguyễn Thị Thảo" and "Lê Thị Thắm" share a middle name and two letters
// of the given one). Estimated on a dirty file, those levels otherwise
// learnt to count as evidence for a match.
func (FullName) Level(a, b *Record) int {
	l := fullNameLevel(a, b)
	if l >= NameWordsSubset && l < NameElse && !familyInCommon(a, b) {
		return NameElse
	}
	return l
}

// familyInCommon reports whether the two names may have a family name in
// common (folded): their first words within one edit, or one's first and
// the other's last (one written given-name first), or both last words
// equal (both written so: "Út Lê", "Ty Lê"; equal, as given names written
// family-first one edit apart, Thảo and Thắm, are different names).
func familyInCommon(a, b *Record) bool {
	if a.ntok == 0 || b.ntok == 0 {
		return true
	}
	af, al := a.token(0), a.token(int(a.ntok)-1)
	bf, bl := b.token(0), b.token(int(b.ntok)-1)
	near := func(x, y string) bool { return x == y || DLWithin(x, y, 1) }
	return near(af, bf) || near(af, bl) || near(al, bf) || al == bl
}

func fullNameLevel(a, b *Record) int {
	switch {
	case a.folded == "" || b.folded == "":
		return Null
	case a.name == b.name:
		return NameExact
	case a.folded == b.folded:
		return NameFolded
	case sameWords(a, b):
		return NameSwapped
	case middleMissing(a, b):
		return NameMiddleMissing
	}
	x, y := a.folded, b.folded
	ascii := a.asciiName && b.asciiName
	if ascii && within1ASCII(x, y, 1) || !ascii && DLWithin(x, y, 1) {
		return NameOneEdit
	}
	// One edit apart once OCR confusions are read, then the words, then
	// Jaro–Winkler and two edits. Most pairs here are of different
	// people, whose names the letters they share show too far apart for
	// Jaro–Winkler to reach 0.7 or 0.88, or for two edits (nameBounds):
	// for those neither is computed, nor the OCR forms.
	b70, b88, near2 := true, true, true
	if ascii {
		b70, b88, near2 = nameBounds(x, y)
	}
	if b70 && ocrNear(x, y, ascii) && JaroWinkler(x, y) >= 0.7 {
		return NameOneEdit
	}
	fallback := NameElse
	switch matched, faults, short := matchWords(a, b); {
	case short >= 2 && matched == short && faults == 0:
		return NameWordsSubset
	case short >= 2 && matched == short && faults == 1:
		return NameWordsOneFault
	case short >= 2 && matched == short:
		return NameWordsFaults
	case short >= 3 && matched == short-1:
		fallback = NameMostWords
	}
	if b88 {
		switch jw := JaroWinkler(x, y); {
		case jw >= 0.92:
			return NameJW92
		case jw >= 0.88:
			return NameJW88
		}
	}
	if near2 && within2(x, y) {
		return NameTwoEdits
	}
	return fallback
}

// nameBounds tells, from the letters two ASCII strings have in common
// (as a multiset, wherever they are), whether their Jaro–Winkler
// similarity can reach 0.7 (b70) and 0.88 (b88), and whether they can be
// two edits apart (near2). The letters in common, c, bound the
// characters Jaro matches (they are equal pairs), so Jaro is at most
// J = (c/|x| + c/|y| + 1)/3, and Jaro–Winkler at most J raised by the
// strings' common prefix of l letters: J + 0.1·l·(1 − J) when J > 0.7.
// That reaches a threshold t > 0.7 when J ≥ (t − 0.1·l)/(1 − 0.1·l), that
// is when c·(|x| + |y|) ≥ k·|x|·|y| with k = 3(t − 0.1·l)/(1 − 0.1·l) − 1
// (jwReach), which needs no division. Every character of the longer
// string that is not one of an equal pair costs an edit, so the distance
// is at least max(|x|, |y|) − c. Letters are counted by their low five
// bits (a to z apart, and the space): letters that share a count only
// raise c, so the bounds hold. Counting them takes a pass over each
// string, a fraction of either comparator.
func nameBounds(x, y string) (b70, b88, near2 bool) {
	if len(x) > 255 || len(y) > 255 {
		return true, true, true // the counts are bytes
	}
	var count [32]uint8
	for i := 0; i < len(x); i++ {
		count[x[i]&31]++
	}
	c := 0
	for i := 0; i < len(y); i++ {
		k := y[i] & 31
		n := count[k]
		var one uint8
		if n != 0 {
			one = 1
		}
		count[k] = n - one
		c += int(one)
	}
	l := 0
	for l < winklerMaxPrefix && l < len(x) && l < len(y) && x[l] == y[l] {
		l++
	}
	shared, product := float64(c*(len(x)+len(y))), float64(len(x)*len(y))
	return shared >= jwReach70*product, shared >= jwReach88[l]*product, max(len(x), len(y))-c <= 2
}

// boundSlack is what nameBounds leaves for the rounding of floating-point
// arithmetic: a bound closer than this to a threshold decides nothing.
const boundSlack = 1e-9

// jwReach70 and jwReach88[l] are nameBounds' k for Jaro–Winkler 0.7 (the
// prefix bonus starts above it: k is the same for every l) and 0.88 with a
// common prefix of l letters, less boundSlack.
var (
	jwReach70 = 3*(winklerBoost-boundSlack) - 1
	jwReach88 = func() (k [winklerMaxPrefix + 1]float64) {
		for l := range k {
			p := float64(l) * winklerScale
			k[l] = 3*(0.88-boundSlack-p)/(1-p) - 1
		}
		return k
	}()
)

// ocrChars are the letters an OCR form changes: a string without any is
// its own OCR form.
const ocrChars = "rl10"

func hasOCRChar(s string) bool {
	for i := 0; i < len(s); i++ {
		if isOCRChar[s[i]] {
			return true
		}
	}
	return false
}

var isOCRChar = func() (t [256]bool) {
	for i := 0; i < len(ocrChars); i++ {
		t[ocrChars[i]] = true
	}
	return t
}()

// ocrNear reports whether two strings are one edit apart once OCR
// confusions are read as one letter: their OCR forms, where "rn" is read
// as "m", "l", "I" (lower cased "i") and "1" as "i", "0" as "o". Only
// strings where one has a letter OCR confuses are read again, and only
// ASCII strings of at most stackLen bytes have a form. ascii says both
// are ASCII (false says nothing). The forms are read as they are
// compared, a character at a time, rather than written out: most strings
// differ early.
func ocrNear(x, y string, ascii bool) bool {
	if !hasOCRChar(x) && !hasOCRChar(y) {
		return false // their OCR forms are themselves, and not one edit apart
	}
	return ocrFormsNear(x, y, ascii)
}

// ocrFormsNear is ocrNear for strings one of which has a letter OCR
// confuses.
func ocrFormsNear(x, y string, ascii bool) bool {
	if d := len(x) - len(y); d > 3 || d < -3 {
		return false
	}
	if len(x) > stackLen || len(y) > stackLen || !ascii && (!textfold.IsASCII(x) || !textfold.IsASCII(y)) {
		return false // no form
	}
	// within1 on the forms: the common prefix, then at the first
	// difference one substitution, deletion, insertion or transposition
	// with the rest equal. Each of these implies the forms' lengths that
	// within1 tries it for, so all are tried.
	i, j := 0, 0
	for i < len(x) && j < len(y) {
		cx, ni := ocrNext(x, i)
		cy, nj := ocrNext(y, j)
		if cx != cy {
			break
		}
		i, j = ni, nj
	}
	switch {
	case i == len(x) && j == len(y):
		return true
	case i == len(x):
		_, nj := ocrNext(y, j)
		return nj == len(y)
	case j == len(y):
		_, ni := ocrNext(x, i)
		return ni == len(x)
	}
	cx, ni := ocrNext(x, i)
	cy, nj := ocrNext(y, j)
	if ocrRestEqual(x, ni, y, nj) || ocrRestEqual(x, ni, y, j) || ocrRestEqual(x, i, y, nj) {
		return true
	}
	if ni < len(x) && nj < len(y) {
		cx2, ni2 := ocrNext(x, ni)
		cy2, nj2 := ocrNext(y, nj)
		return cx == cy2 && cx2 == cy && ocrRestEqual(x, ni2, y, nj2)
	}
	return false
}

// ocrNext returns the character of s's OCR form that starts at byte i (a
// character of the form starts there), and where the next one starts.
func ocrNext(s string, i int) (byte, int) {
	switch c := s[i]; c {
	case 'r':
		if i+1 < len(s) && s[i+1] == 'n' {
			return 'm', i + 2
		}
		return c, i + 1
	case 'l', '1':
		return 'i', i + 1
	case '0':
		return 'o', i + 1
	default:
		return c, i + 1
	}
}

// ocrRestEqual reports whether the OCR forms of x from byte i and of y
// from byte j are equal.
func ocrRestEqual(x string, i int, y string, j int) bool {
	for i < len(x) && j < len(y) {
		cx, ni := ocrNext(x, i)
		cy, nj := ocrNext(y, j)
		if cx != cy {
			return false
		}
		i, j = ni, nj
	}
	return i == len(x) && j == len(y)
}

// within2 reports whether two strings are at most two edits apart:
// Levenshtein distance, bit-parallel on folded names (Myers), the
// optimal-string-alignment distance otherwise.
func within2(x, y string) bool {
	if d := len(x) - len(y); d > 2 || d < -2 {
		return false
	}
	if d, ok := levenshteinBits(x, y); ok {
		return d <= 2
	}
	return DLWithin(x, y, 2)
}

// levenshteinBits is the Levenshtein distance of two strings of at most 64
// bytes of the symbols jaroBits knows, by Myers' bit-parallel algorithm
// (Hyyrö's formulation); false outside that case.
func levenshteinBits(a, b string) (int, bool) {
	m := len(a)
	if m == 0 || m > 64 {
		return 0, false
	}
	var peq [symbols]uint64
	for i := 0; i < m; i++ {
		c := symbol[a[i]]
		if c < 0 {
			return 0, false
		}
		peq[c] |= 1 << i
	}
	pv, mv, score, last := ^uint64(0), uint64(0), m, uint64(1)<<(m-1)
	for j := 0; j < len(b); j++ {
		c := symbol[b[j]]
		if c < 0 {
			return 0, false
		}
		eq := peq[c]
		xv := eq | mv
		xh := (((eq & pv) + pv) ^ pv) | eq
		ph := mv | ^(xh | pv)
		mh := pv & xh
		if ph&last != 0 {
			score++
		} else if mh&last != 0 {
			score--
		}
		ph = ph<<1 | 1
		mh <<= 1
		pv = mh | ^(xv | ph)
		mv = ph & xv
	}
	return score, true
}

// matchWords pairs each word of the name with fewer words to a distinct word
// of the other, first equal words, then words one edit apart (OCR
// confusions read as one letter). It returns the words paired, how many of
// them one edit off, and the number of words of the shorter name. It
// stops early, with fewer words paired, when too few can be for any level:
// more than two words unpaired by equality, or, after the words one edit
// off, one word of a name of two or two of a longer one.
func matchWords(a, b *Record) (matched, faults, short int) {
	if a.ntok > b.ntok {
		a, b = b, a
	}
	na, nb := int(a.ntok), int(b.ntok)
	var wa, wb [MaxTokens]string
	a.tokens(&wa)
	b.tokens(&wb)
	var usedA, usedB uint16
	for i := range na {
		w := wa[i]
		for j := range nb {
			if usedB&(1<<j) == 0 && sameWord(wb[j], w) {
				usedA |= 1 << i
				usedB |= 1 << j
				matched++
				break
			}
		}
	}
	if matched+1 < na-1 {
		return matched, 0, na // too few for any level: skip the slower test
	}
	// Words of the shorter name that may stay unpaired.
	spare := 0
	if na >= 3 {
		spare = 1
	}
	ascii := a.asciiName && b.asciiName
	// The words left, and which have a letter OCR confuses.
	var ocrB uint16
	for j := range nb {
		if usedB&(1<<j) == 0 && hasOCRChar(wb[j]) {
			ocrB |= 1 << j
		}
	}
	for i := range na {
		if usedA&(1<<i) != 0 {
			continue
		}
		w := wa[i]
		ocr := ^uint16(0)
		if !hasOCRChar(w) {
			ocr = ocrB
		}
		found := false
		for j := range nb {
			if usedB&(1<<j) == 0 && wordNear(w, wb[j], ascii, ocr&(1<<j) != 0) {
				usedB |= 1 << j
				matched++
				faults++
				found = true
				break
			}
		}
		if !found {
			if spare == 0 {
				return matched, faults, na
			}
			spare--
		}
	}
	return matched, faults, na
}

// sameWord is x == y for the short strings words are, without a call.
func sameWord(x, y string) bool {
	if len(x) != len(y) {
		return false
	}
	if len(x) > 8 {
		return x == y
	}
	for i := 0; i < len(x); i++ {
		if x[i] != y[i] {
			return false
		}
	}
	return true
}

// wordNear reports whether two words are one edit apart once OCR
// confusions are read as one letter. Words of one letter are not near
// anything but themselves: an initial says too little. ascii says both
// are ASCII, ocr whether one has a letter OCR confuses.
func wordNear(x, y string, ascii, ocr bool) bool {
	if len(x) < 2 || len(y) < 2 {
		return false
	}
	if ascii {
		return within1ASCII(x, y, 1) || ocr && ocrFormsNear(x, y, true)
	}
	return DLWithin(x, y, 1) || ocr && ocrFormsNear(x, y, false)
}

func (FullName) TermFrequency(a, b *Record, level int) (float64, bool) {
	if level != NameExact && level != NameFolded {
		return 0, false
	}
	return pairFrequency(a, b, TFFullName)
}

// pairFrequency is the frequency of a value two records agree on. The
// register side has it (TermFrequencies are built from the register); which
// side is which does not matter, so either will do.
func pairFrequency(a, b *Record, f TFField) (float64, bool) {
	if t := b.tf[f]; t > 0 {
		return float64(t), true
	}
	if t := a.tf[f]; t > 0 {
		return float64(t), true
	}
	return 0, false
}

// sameWords reports whether the names have the same words, as a multiset,
// in a different order: "Văn An Nguyễn" written family name last.
func sameWords(a, b *Record) bool {
	// The same words with one space between them: the same length.
	n := int(a.ntok)
	if n != int(b.ntok) || n < 2 || len(a.folded) != len(b.folded) {
		return false
	}
	var used uint16
outer:
	for i := range n {
		w := a.token(i)
		for j := range n {
			if used&(1<<j) == 0 && b.token(j) == w {
				used |= 1 << j
				continue outer
			}
		}
		return false
	}
	return true
}

// middleMissing reports whether the shorter name's words appear in order in
// the longer one, with the same first (family) and last (given) word: "Lê
// Hồng" for "Lê Thị Hồng".
func middleMissing(a, b *Record) bool {
	if a.ntok > b.ntok {
		a, b = b, a
	}
	na, nb := int(a.ntok), int(b.ntok)
	if na < 2 || na == nb || a.token(0) != b.token(0) || a.token(na-1) != b.token(nb-1) {
		return false
	}
	j := 1
	for i := 1; i < na-1; i++ {
		for j < nb-1 && b.token(j) != a.token(i) {
			j++
		}
		if j == nb-1 {
			return false
		}
		j++
	}
	return true
}

// Levels of FamilyName.
const (
	FamilyExact   = iota
	FamilyFolded  // equal once accents are folded
	FamilyVariant // one surname in its northern and southern spellings: Hoàng/Huỳnh, Vũ/Võ
	FamilyDL1     // one edit apart
	FamilyElse
)

// FamilyName compares family names (họ), term-frequency adjusted on its
// equality levels. Use it instead of FullName, or with GivenName when the
// source keeps the parts apart, not beside FullName.
type FamilyName struct{}

var familyLevels = []string{"exact", "equal without diacritics", "regional spelling", "one edit apart", "else"}

func (FamilyName) Name() string     { return "family_name" }
func (FamilyName) Levels() []string { return familyLevels }

func (FamilyName) Level(a, b *Record) int {
	x, y := a.family(), b.family()
	switch {
	case x == "" || y == "":
		return Null
	case x == y && a.familyClean() == b.familyClean():
		return FamilyExact
	case x == y:
		return FamilyFolded
	case surnameVariant(x, y):
		return FamilyVariant
	case DLWithin(x, y, 1):
		return FamilyDL1
	}
	return FamilyElse
}

func (FamilyName) TermFrequency(a, b *Record, level int) (float64, bool) {
	if level != FamilyExact && level != FamilyFolded {
		return 0, false
	}
	return pairFrequency(a, b, TFFamilyName)
}

// surnameVariant reports whether two folded surnames are one name in two
// regional spellings: Hoàng in the north is Huỳnh from Quảng Trị south
// (a name taboo of the Nguyễn lords), Vũ is Võ.
func surnameVariant(x, y string) bool {
	if x > y {
		x, y = y, x
	}
	return x == "hoang" && y == "huynh" || x == "vo" && y == "vu"
}

// Levels of GivenName.
const (
	GivenExact  = iota
	GivenFolded // equal once accents are folded
	GivenJW92   // Jaro–Winkler ≥ 0.92
	GivenDL1    // one edit apart
	GivenElse
)

// GivenName compares given names (tên), term-frequency adjusted on its
// equality levels.
type GivenName struct{}

var givenLevels = []string{"exact", "equal without diacritics", "Jaro–Winkler ≥ 0.92", "one edit apart", "else"}

func (GivenName) Name() string     { return "given_name" }
func (GivenName) Levels() []string { return givenLevels }

func (GivenName) Level(a, b *Record) int {
	x, y := a.given(), b.given()
	switch {
	case x == "" || y == "":
		return Null
	case x == y && a.givenClean() == b.givenClean():
		return GivenExact
	case x == y:
		return GivenFolded
	case JaroWinkler(x, y) >= 0.92:
		return GivenJW92
	case DLWithin(x, y, 1):
		return GivenDL1
	}
	return GivenElse
}

func (GivenName) TermFrequency(a, b *Record, level int) (float64, bool) {
	if level != GivenExact && level != GivenFolded {
		return 0, false
	}
	return pairFrequency(a, b, TFGivenName)
}

// Levels of BirthDate.
const (
	DOBExact    = iota // both full and equal
	DOBSwapped         // day and month swapped (12/03 for 03/12), same year
	DOBOneDigit        // one digit of YYYYMMDD differs, or two adjacent digits are transposed
	DOBYearOff         // day and month agree, years one apart (1969 for 1970: two digits)
	DOBYearOnly        // one side partial (year, or year and month) and what both know agrees
	DOBYearNear        // years at most one apart
	DOBElse
)

// BirthDate compares dates of birth, which may be partial.
type BirthDate struct{}

var dobLevels = []string{"exact", "day and month swapped", "one digit off", "day and month agree, year ± 1", "partial date agrees", "year ± 1", "else"}

func (BirthDate) Name() string     { return "birth_date" }
func (BirthDate) Levels() []string { return dobLevels }

func (BirthDate) Level(a, b *Record) int {
	x, y := a.birth, b.birth
	if x.year == 0 || y.year == 0 {
		// The digits of a date written with a typing error (month 90)
		// agree with a full date they are one error from.
		if (x.year == 0 && a.dobKey[0] != 0 && y.full() || y.year == 0 && b.dobKey[0] != 0 && x.full()) && digitOff(&a.dobKey, &b.dobKey) {
			return DOBOneDigit
		}
		return Null
	}
	if x.full() && y.full() {
		switch {
		case x == y:
			return DOBExact
		case x.year == y.year && x.day == y.month && x.month == y.day:
			return DOBSwapped
		case digitOff(&a.dobKey, &b.dobKey):
			return DOBOneDigit
		case x.month == y.month && x.day == y.day && (x.year-y.year == 1 || y.year-x.year == 1):
			return DOBYearOff
		}
	} else if x.year == y.year && (x.month == 0 || y.month == 0 || x.month == y.month) {
		// Months agree or one is unknown; then one side has no day,
		// since they are not both full.
		return DOBYearOnly
	}
	if d := x.year - y.year; d >= -1 && d <= 1 {
		return DOBYearNear
	}
	return DOBElse
}

// digitOff reports whether two different 8-digit dates differ in one digit
// or in one transposition of neighbours.
func digitOff(x, y *[8]byte) bool {
	i := 0
	for i < len(x) && x[i] == y[i] {
		i++
	}
	switch {
	case i == len(x):
		return false
	case equalFrom(x, y, i+1):
		return true
	}
	return i+1 < len(x) && x[i] == y[i+1] && x[i+1] == y[i] && equalFrom(x, y, i+2)
}

func equalFrom(x, y *[8]byte, i int) bool {
	for ; i < len(x); i++ {
		if x[i] != y[i] {
			return false
		}
	}
	return true
}

// Levels of Sex.
const (
	SexAgree = iota
	SexElse
)

// Sex compares sexes.
type Sex struct{}

var sexLevels = []string{"equal", "else"}

func (Sex) Name() string     { return "sex" }
func (Sex) Levels() []string { return sexLevels }

func (Sex) Level(a, b *Record) int {
	switch {
	case a.sex == civil.SexUnknown || b.sex == civil.SexUnknown:
		return Null
	case a.sex == b.sex:
		return SexAgree
	}
	return SexElse
}

// Levels of PIN.
const (
	// PINExact: equal, well formed (a province-of-birth code, a century
	// and sex digit), and what it encodes agrees with both records' sex
	// and birth year where they know them. Its u is not estimated from a
	// sample, where two strangers never share a PIN: it is one over the
	// register's size (see the engine's training).
	PINExact    = iota
	PINOneDigit // one edit apart: a typing error
	// PINExactUnchecked: equal, but the PIN does not parse or what it
	// encodes disagrees with a record's sex or birth year: the number may
	// have been typed into the wrong person's record.
	PINExactUnchecked
	PINConsistent // different, but each PIN agrees with the other record's sex and birth year
	PINElse
)

// PIN compares personal identification numbers. Equality is not treated as
// proof here: a PIN typed into the wrong customer's record is the error the
// engine exists to find, so it is one piece of evidence among others, and
// only the engine's deterministic rule may act on it alone. A PIN that
// contradicts the record's own sex or birth year is weaker evidence than
// one that agrees with them, and has a level of its own.
type PIN struct{}

var pinLevels = []string{"exact", "one digit off", "exact, not the sex or birth year it encodes", "consistent with sex and birth year", "else"}

func (PIN) Name() string     { return "pin" }
func (PIN) Levels() []string { return pinLevels }

func (PIN) Level(a, b *Record) int {
	switch {
	case a.pin == "" || b.pin == "":
		return Null
	case a.pin == b.pin:
		if a.pinYear == 0 {
			return PINExactUnchecked
		}
		// a and b hold the same PIN: check it against both records.
		if ok, _ := pinFits(a, a); !ok {
			return PINExactUnchecked
		}
		if ok, _ := pinFits(a, b); !ok {
			return PINExactUnchecked
		}
		return PINExact
	case DLWithin(a.pin, b.pin, 1):
		return PINOneDigit
	case pinsConsistent(a, b):
		return PINConsistent
	}
	return PINElse
}

// pinsConsistent reports whether what each parsed PIN says (digit 4: sex
// and century; digits 5–6: the year) agrees with the other record's sex and
// birth year, where it knows them. Something must have been checked: two
// PINs that did not parse, or records that know neither sex nor year, are
// not consistent.
func pinsConsistent(a, b *Record) bool {
	ok1, n1 := pinFits(a, b)
	ok2, n2 := pinFits(b, a)
	return ok1 && ok2 && n1+n2 > 0
}

// pinFits checks x's PIN against y, returning the number of checks made.
func pinFits(x, y *Record) (ok bool, checked int) {
	if x.pinYear == 0 {
		return true, 0
	}
	if y.sex != civil.SexUnknown {
		if y.sex != x.pinSex {
			return false, 1
		}
		checked++
	}
	if y.birth.year != 0 {
		if y.birth.year != x.pinYear {
			return false, checked + 1
		}
		checked++
	}
	return true, checked
}

// Levels of CMND.
const (
	CMNDExact    = iota
	CMNDOneDigit // one edit apart
	CMNDElse
)

// CMND compares old 9-digit identity card numbers: the link between a
// sector record that still holds one and the register, which keeps each
// person's former number. Two people can share a CMND, so it is evidence,
// never an identifier.
type CMND struct{}

var cmndLevels = []string{"exact", "one digit off", "else"}

func (CMND) Name() string     { return "cmnd" }
func (CMND) Levels() []string { return cmndLevels }

func (CMND) Level(a, b *Record) int {
	switch {
	case a.cmnd == "" || b.cmnd == "":
		return Null
	case a.cmnd == b.cmnd:
		return CMNDExact
	case DLWithin(a.cmnd, b.cmnd, 1):
		return CMNDOneDigit
	}
	return CMNDElse
}

// Levels of Address.
const (
	PlaceCommune      = iota // same current commune, after mapping old communes to their successors
	PlaceCommuneName         // a commune name several communes share (no province, or shared within it) is one of them
	PlaceProvince            // same current province (after mapping pre-2025 provinces), a commune on one side at most
	PlaceOtherCommune        // same current province, another commune
	PlaceElse
)

// Address compares the places of the records' addresses in today's units,
// so an address written before the 2025 reorganisation (old:79, or a commune
// of the former Hà Tây, now in Hà Nội) agrees with today's. A record may
// hold several places (the register's permanent, current and temporary
// residences); the best-agreeing pair counts. A commune name that several
// communes share, which names no single place, is evidence too: the other
// record living in one of them is a level of its own, between the same
// commune and the same province (within a province, few communes share a
// name; across the country, three quarters of names are unique).
//
// The same province is two levels: where one record gives no commune, it
// is all the agreement there can be (most matches reach it); where both
// give one and they differ, the person has moved or a value is wrong.
// One level for both would weigh a province-only record's agreement by
// the moved people of the others.
type Address struct{}

var addressLevels = []string{"same commune", "commune name agrees", "same province", "same province, another commune", "else"}

func (Address) Name() string     { return "address" }
func (Address) Levels() []string { return addressLevels }

func (Address) Level(a, b *Record) int {
	if a.nplaces == 0 && a.choice == 0 || b.nplaces == 0 && b.choice == 0 {
		return Null
	}
	best := PlaceElse
	for _, p := range a.places[:a.nplaces] {
		for _, q := range b.places[:b.nplaces] {
			switch {
			case p.commune != 0 && p.commune == q.commune:
				return PlaceCommune
			case p.province != q.province:
			case p.commune == 0 && !communeIn(a, p.province) || q.commune == 0 && !communeIn(b, q.province):
				// A place known by its province alone (not the province
				// written beside the record's commune of it).
				best = PlaceProvince
			case best == PlaceElse:
				best = PlaceOtherCommune
			}
		}
	}
	if a.choice != 0 || b.choice != 0 {
		la, lb := choiceLevel(a, b), choiceLevel(b, a)
		if la == PlaceCommuneName || lb == PlaceCommuneName {
			return PlaceCommuneName
		}
		if a.nplaces == 0 || b.nplaces == 0 {
			// Only a name on one side: its communes are not the other's.
			return min(la, lb)
		}
		if best == PlaceProvince && (a.choice != 0 || b.choice != 0) {
			// A province and a commune name none of whose communes
			// is the other's: the province agrees, the commune not.
			best = PlaceOtherCommune
		}
	}
	return best
}

// communeIn reports whether one of r's places is a commune of the province.
func communeIn(r *Record, province int16) bool {
	for _, p := range r.places[:r.nplaces] {
		if p.commune != 0 && p.province == province {
			return true
		}
	}
	return false
}

// choiceLevel compares a's shared commune name with b's places: one of
// them one of its communes, a place known only by the province of one of
// them, or neither (PlaceElse, also when a has no such name).
func choiceLevel(a, b *Record) int {
	if a.choice == 0 {
		return PlaceElse
	}
	level := PlaceElse
	other := choiceSets.get(b.choice) // both sides with a shared name: one of the same communes
	for _, c := range choiceSets.get(a.choice) {
		if slices.Contains(other, c) {
			return PlaceCommuneName
		}
		for _, q := range b.places[:b.nplaces] {
			switch {
			case q.commune != 0 && q.commune == c.commune:
				return PlaceCommuneName
			case q.commune == 0 && q.province == c.province:
				level = PlaceProvince
			}
		}
	}
	return level
}

// Levels of Phone.
const (
	PhoneExact = iota
	PhoneElse
)

// Phone compares phone numbers in national form.
type Phone struct{}

var phoneLevels = []string{"exact", "else"}

func (Phone) Name() string     { return "phone" }
func (Phone) Levels() []string { return phoneLevels }

func (Phone) Level(a, b *Record) int {
	switch {
	case a.phone == "" || b.phone == "":
		return Null
	case a.phone == b.phone:
		return PhoneExact
	}
	return PhoneElse
}
