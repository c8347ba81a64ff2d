package reconcile

// The name comparison as it was at 4327ae7, before it was made faster,
// kept to check that the faster one returns the same level for every pair
// (TestFullNameSameAsBefore, FuzzFullNameSameAsBefore). Only the
// functions FullName.Level reached are copied, renamed with "ref"; the
// tables and constants they read (symbol, isOCRChar, stackLen, the
// levels) are the package's, unchanged.

import (
	"math/bits"
	"slices"
	"unicode/utf8"
)

func refFullNameLevel(a, b *Record) int {
	switch {
	case a.folded == "" || b.folded == "":
		return Null
	case a.name == b.name:
		return NameExact
	case a.folded == b.folded:
		return NameFolded
	case refSameWords(a, b):
		return NameSwapped
	case refMiddleMissing(a, b):
		return NameMiddleMissing
	}
	if refDLWithin(a.folded, b.folded, 1) {
		return NameOneEdit
	}
	// One Jaro–Winkler serves every threshold below. Names one edit apart
	// once OCR confusions are read are close by it too (≥ 0.7), so the
	// OCR forms are made only for those.
	jw := refJaroWinkler(a.folded, b.folded)
	if jw >= 0.7 && refOcrNear(a.folded, b.folded) {
		return NameOneEdit
	}
	switch matched, faults, short := refMatchWords(a, b); {
	case short >= 2 && matched == short && faults == 0:
		return NameWordsSubset
	case short >= 2 && matched == short && faults == 1:
		return NameWordsOneFault
	case short >= 2 && matched == short:
		return NameWordsFaults
	case short >= 3 && matched == short-1:
		return refNameStringLevel(a, b, jw, NameMostWords)
	}
	return refNameStringLevel(a, b, jw, NameElse)
}

func refNameStringLevel(a, b *Record, jw float64, fallback int) int {
	switch {
	case jw >= 0.92:
		return NameJW92
	case jw >= 0.88:
		return NameJW88
	}
	if refWithin2(a.folded, b.folded) {
		return NameTwoEdits
	}
	return fallback
}

func refHasOCRChar(s string) bool {
	for i := 0; i < len(s); i++ {
		if isOCRChar[s[i]] {
			return true
		}
	}
	return false
}

func refOcrNear(x, y string) bool {
	if d := len(x) - len(y); d > 3 || d < -3 || !refHasOCRChar(x) && !refHasOCRChar(y) {
		return false // their OCR forms are themselves, and not one edit apart
	}
	var bx, by [stackLen]byte
	cx, okx := refOcrForm(&bx, x)
	cy, oky := refOcrForm(&by, y)
	return okx && oky && refWithin1(cx, cy, 1)
}

func refWithin2(x, y string) bool {
	if d := len(x) - len(y); d > 2 || d < -2 {
		return false
	}
	if d, ok := refLevenshteinBits(x, y); ok {
		return d <= 2
	}
	return refDLWithin(x, y, 2)
}

func refLevenshteinBits(a, b string) (int, bool) {
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

func refOcrForm(buf *[stackLen]byte, s string) ([]byte, bool) {
	if len(s) > len(buf) {
		return nil, false
	}
	out := buf[:0]
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= utf8.RuneSelf:
			return nil, false
		case c == 'r' && i+1 < len(s) && s[i+1] == 'n':
			c = 'm'
			i++
		case c == 'l' || c == '1':
			c = 'i'
		case c == '0':
			c = 'o'
		}
		out = append(out, c)
	}
	return out, true
}

func refMatchWords(a, b *Record) (matched, faults, short int) {
	if a.ntok > b.ntok {
		a, b = b, a
	}
	na, nb := int(a.ntok), int(b.ntok)
	var usedA, usedB uint16
	for i := range na {
		w := a.token(i)
		for j := range nb {
			if usedB&(1<<j) == 0 && b.token(j) == w {
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
	for i := range na {
		if usedA&(1<<i) != 0 {
			continue
		}
		w := a.token(i)
		for j := range nb {
			if usedB&(1<<j) == 0 && refWordNear(w, b.token(j)) {
				usedB |= 1 << j
				matched++
				faults++
				break
			}
		}
	}
	return matched, faults, na
}

func refWordNear(x, y string) bool {
	if len(x) < 2 || len(y) < 2 {
		return false
	}
	return refDLWithin(x, y, 1) || refOcrNear(x, y)
}

func refSameWords(a, b *Record) bool {
	n := int(a.ntok)
	if n != int(b.ntok) || n < 2 {
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

func refMiddleMissing(a, b *Record) bool {
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

func refJaroWinkler(a, b string) float64 {
	if j, ok := refJaroBits(a, b); ok {
		return refWinkler(j, a, b)
	}
	if refIsASCII(a) && refIsASCII(b) {
		var ba, bb [stackLen]byte
		return refJaroWinklerChars(append(ba[:0], a...), append(bb[:0], b...))
	}
	var ra, rb [stackLen]rune
	return refJaroWinklerChars(refAppendRunes(ra[:0], a), refAppendRunes(rb[:0], b))
}

func refDLWithin(a, b string, k int) bool {
	if k < 0 {
		return false
	}
	if refIsASCII(a) && refIsASCII(b) {
		if k <= 1 {
			return refWithin1ASCII(a, b, k)
		}
		var ba, bb [stackLen]byte
		return refOsa(append(ba[:0], a...), append(bb[:0], b...), k) <= k
	}
	var ra, rb [stackLen]rune
	x, y := refAppendRunes(ra[:0], a), refAppendRunes(rb[:0], b)
	if k <= 1 {
		return refWithin1(x, y, k)
	}
	return refOsa(x, y, k) <= k
}

func refIsASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

func refAppendRunes(dst []rune, s string) []rune {
	for _, r := range s {
		dst = append(dst, r)
	}
	return dst
}

func refJaro[E chars](a, b []E) float64 {
	la, lb := len(a), len(b)
	if la == 0 || lb == 0 {
		if la == lb {
			return 1
		}
		return 0
	}
	// Characters match when equal and no further apart than half the longer
	// string, less one.
	window := max(la, lb)/2 - 1
	window = max(window, 0)
	var bufA, bufB [stackLen / 64]uint64
	ma, mb := newBitset(&bufA, la), newBitset(&bufB, lb)
	m := 0
	for i := 0; i < la; i++ {
		lo, hi := max(0, i-window), min(lb, i+window+1)
		for j := lo; j < hi; j++ {
			if a[i] == b[j] && !mb.has(j) {
				ma.set(i)
				mb.set(j)
				m++
				break
			}
		}
	}
	if m == 0 {
		return 0
	}
	// Half the matched characters that appear in a different order,
	// rounded down as in Winkler's strcmp95.
	t, j := 0, 0
	for i := 0; i < la; i++ {
		if !ma.has(i) {
			continue
		}
		for !mb.has(j) {
			j++
		}
		if a[i] != b[j] {
			t++
		}
		j++
	}
	fm := float64(m)
	return (fm/float64(la) + fm/float64(lb) + (fm-float64(t/2))/fm) / 3
}

func refJaroWinklerChars[E chars](a, b []E) float64 {
	j := refJaro(a, b)
	if j <= winklerBoost {
		return j
	}
	l := 0
	for l < winklerMaxPrefix && l < len(a) && l < len(b) && a[l] == b[l] {
		l++
	}
	return j + float64(l)*winklerScale*(1-j)
}

func refWinkler(j float64, a, b string) float64 {
	if j <= winklerBoost {
		return j
	}
	l := 0
	for l < winklerMaxPrefix && l < len(a) && l < len(b) && a[l] == b[l] {
		l++
	}
	return j + float64(l)*winklerScale*(1-j)
}

func refJaroBits(a, b string) (float64, bool) {
	la, lb := len(a), len(b)
	if la == 0 || lb == 0 || la > 64 || lb > 64 {
		return 0, false
	}
	var pos [symbols]uint64
	for j := 0; j < lb; j++ {
		c := symbol[b[j]]
		if c < 0 {
			return 0, false
		}
		pos[c] |= 1 << j
	}
	window := max(max(la, lb)/2-1, 0)
	var flagA, flagB uint64
	m := 0
	for i := 0; i < la; i++ {
		c := symbol[a[i]]
		if c < 0 {
			return 0, false
		}
		lo, hi := max(0, i-window), min(lb, i+window+1)
		if lo >= hi {
			continue
		}
		inWindow := (^uint64(0) >> (64 - (hi - lo))) << lo
		if cand := pos[c] & inWindow &^ flagB; cand != 0 {
			flagB |= cand & -cand
			flagA |= 1 << i
			m++
		}
	}
	if m == 0 {
		return 0, true
	}
	// Pair the matched characters of a and b in order.
	t := 0
	for fa, fb := flagA, flagB; fa != 0; fa, fb = fa&(fa-1), fb&(fb-1) {
		if a[bits.TrailingZeros64(fa)] != b[bits.TrailingZeros64(fb)] {
			t++
		}
	}
	fm := float64(m)
	return (fm/float64(la) + fm/float64(lb) + (fm-float64(t/2))/fm) / 3, true
}

func refOsa[E chars](a, b []E, k int) int {
	// Common prefixes and suffixes cost nothing and shrink the table.
	for len(a) > 0 && len(b) > 0 && a[0] == b[0] {
		a, b = a[1:], b[1:]
	}
	for len(a) > 0 && len(b) > 0 && a[len(a)-1] == b[len(b)-1] {
		a, b = a[:len(a)-1], b[:len(b)-1]
	}
	if len(a) < len(b) {
		a, b = b, a // b is the shorter: rows are len(b)+1 long
	}
	la, lb := len(a), len(b)
	if k >= 0 && la-lb > k {
		return k + 1
	}
	if lb == 0 {
		return la
	}
	// Three rows: two back for transpositions, the previous, the current.
	var buf [3 * (stackLen + 1)]int32
	var rows []int32
	if n := 3 * (lb + 1); n <= len(buf) {
		rows = buf[:n]
	} else {
		rows = make([]int32, n)
	}
	prev2, prev, cur := rows[:lb+1], rows[lb+1:2*(lb+1)], rows[2*(lb+1):]
	for j := range prev {
		prev[j] = int32(j)
	}
	for i := 1; i <= la; i++ {
		cur[0] = int32(i)
		rowMin := cur[0]
		for j := 1; j <= lb; j++ {
			cost := int32(1)
			if a[i-1] == b[j-1] {
				cost = 0
			}
			d := min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
			if i > 1 && j > 1 && a[i-1] == b[j-2] && a[i-2] == b[j-1] {
				d = min(d, prev2[j-2]+1)
			}
			cur[j] = d
			rowMin = min(rowMin, d)
		}
		// Every alignment passes through this row, so its minimum is a
		// lower bound on the distance.
		if k >= 0 && int(rowMin) > k {
			return k + 1
		}
		prev2, prev, cur = prev, cur, prev2
	}
	return int(prev[lb])
}

func refWithin1ASCII(a, b string, k int) bool {
	if len(a) < len(b) {
		a, b = b, a
	}
	if len(a)-len(b) > k {
		return false
	}
	i := 0
	for i < len(b) && a[i] == b[i] {
		i++
	}
	switch {
	case i == len(a):
		return true
	case k == 0:
		return false
	case len(a) == len(b):
		return a[i+1:] == b[i+1:] ||
			i+1 < len(a) && a[i] == b[i+1] && a[i+1] == b[i] && a[i+2:] == b[i+2:]
	}
	return a[i+1:] == b[i:]
}

func refWithin1[E chars](a, b []E, k int) bool {
	if len(a) < len(b) {
		a, b = b, a
	}
	if len(a)-len(b) > k {
		return false
	}
	i := 0
	for i < len(b) && a[i] == b[i] {
		i++
	}
	switch {
	case i == len(a):
		return true // identical
	case k == 0:
		return false
	case len(a) == len(b):
		return slices.Equal(a[i+1:], b[i+1:]) ||
			i+1 < len(a) && a[i] == b[i+1] && a[i+1] == b[i] && slices.Equal(a[i+2:], b[i+2:])
	}
	return slices.Equal(a[i+1:], b[i:]) // a has one character more, at i
}
