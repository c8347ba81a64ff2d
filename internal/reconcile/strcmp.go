package reconcile

import (
	"math/bits"
	"slices"

	"github.com/populus-vn/populus/internal/textfold"
)

// String comparators. They run for every candidate pair, so they must not
// allocate for names of ordinary length. Folded Vietnamese names are
// lower-case ASCII: Jaro runs on them bit-parallel (jaroBits) and the
// one-edit test reads them in place. Anything else is copied into stack
// buffers, bytes when both strings are ASCII and runes otherwise, so that
// every character counts once however many bytes UTF-8 gives it. Only
// strings longer than stackLen characters reach the heap.

// stackLen is the longest input, in characters, compared without allocating.
const stackLen = 64

// Jaro–Winkler constants: Winkler's prefix scale and longest rewarded prefix,
// and the Jaro similarity below which the prefix bonus is not given
// (Winkler's "boost threshold", as in strcmp95, jellyfish and rapidfuzz).
const (
	winklerScale     = 0.1
	winklerMaxPrefix = 4
	winklerBoost     = 0.7
)

// Jaro returns the Jaro similarity of a and b, in [0, 1], comparing Unicode
// code points. Two empty strings are identical (1); an empty string and a
// non-empty one share nothing (0).
func Jaro(a, b string) float64 {
	if j, ok := jaroBits(a, b); ok {
		return j
	}
	if textfold.IsASCII(a) && textfold.IsASCII(b) {
		var ba, bb [stackLen]byte
		return jaro(append(ba[:0], a...), append(bb[:0], b...))
	}
	var ra, rb [stackLen]rune
	return jaro(appendRunes(ra[:0], a), appendRunes(rb[:0], b))
}

// JaroWinkler returns the Jaro–Winkler similarity of a and b: the Jaro
// similarity raised by 0.1 per character of common prefix, up to 4, when the
// Jaro similarity exceeds 0.7. It compares code points, so fold both strings
// first (textfold.Fold) for accent-insensitive matching.
func JaroWinkler(a, b string) float64 {
	if j, ok := jaroBits(a, b); ok {
		return winkler(j, a, b)
	}
	if textfold.IsASCII(a) && textfold.IsASCII(b) {
		var ba, bb [stackLen]byte
		return jaroWinkler(append(ba[:0], a...), append(bb[:0], b...))
	}
	var ra, rb [stackLen]rune
	return jaroWinkler(appendRunes(ra[:0], a), appendRunes(rb[:0], b))
}

// DamerauLevenshtein returns the optimal-string-alignment distance between a
// and b in code points: the number of insertions, deletions, substitutions
// and transpositions of adjacent characters that turn a into b, where no
// substring is edited twice (so "CA"→"ABC" is 3, not 2 as in the
// unrestricted distance). Record linkage uses this variant: it is what typing
// errors produce and it is cheaper.
func DamerauLevenshtein(a, b string) int {
	if textfold.IsASCII(a) && textfold.IsASCII(b) {
		var ba, bb [stackLen]byte
		return osa(append(ba[:0], a...), append(bb[:0], b...), -1)
	}
	var ra, rb [stackLen]rune
	return osa(appendRunes(ra[:0], a), appendRunes(rb[:0], b), -1)
}

// DLWithin reports whether DamerauLevenshtein(a, b) <= k. It stops as soon as
// the bound is exceeded, and for k <= 1 (the level used on names) it is a
// single linear scan, with no table at all.
func DLWithin(a, b string, k int) bool {
	if k < 0 {
		return false
	}
	if textfold.IsASCII(a) && textfold.IsASCII(b) {
		if k <= 1 {
			return within1ASCII(a, b, k)
		}
		var ba, bb [stackLen]byte
		return osa(append(ba[:0], a...), append(bb[:0], b...), k) <= k
	}
	var ra, rb [stackLen]rune
	x, y := appendRunes(ra[:0], a), appendRunes(rb[:0], b)
	if k <= 1 {
		return within1(x, y, k)
	}
	return osa(x, y, k) <= k
}

func appendRunes(dst []rune, s string) []rune {
	for _, r := range s {
		dst = append(dst, r)
	}
	return dst
}

// chars is what the generic comparators work on: bytes of ASCII strings or
// decoded runes.
type chars interface{ ~byte | ~rune }

// bitset is a set of positions backed by a stack array for short inputs.
type bitset []uint64

func newBitset(buf *[stackLen / 64]uint64, n int) bitset {
	words := (n + 63) / 64
	if words <= len(buf) {
		s := buf[:words]
		clear(s)
		return s
	}
	return make(bitset, words)
}

func (s bitset) has(i int) bool { return s[i>>6]&(1<<(i&63)) != 0 }
func (s bitset) set(i int)      { s[i>>6] |= 1 << (i & 63) }

func jaro[E chars](a, b []E) float64 {
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

func jaroWinkler[E chars](a, b []E) float64 {
	j := jaro(a, b)
	if j <= winklerBoost {
		return j
	}
	l := 0
	for l < winklerMaxPrefix && l < len(a) && l < len(b) && a[l] == b[l] {
		l++
	}
	return j + float64(l)*winklerScale*(1-j)
}

// winkler adds the prefix bonus to the Jaro similarity j of two ASCII strings.
func winkler(j float64, a, b string) float64 {
	if j <= winklerBoost {
		return j
	}
	l := 0
	for l < winklerMaxPrefix && l < len(a) && l < len(b) && a[l] == b[l] {
		l++
	}
	return j + float64(l)*winklerScale*(1-j)
}

// symbol numbers the bytes that folded names, dates and numbers are made
// of, for jaroBits; -1 marks every other byte.
var symbol = func() (t [256]int8) {
	for i := range t {
		t[i] = -1
	}
	n := int8(0)
	for _, c := range []byte("abcdefghijklmnopqrstuvwxyz0123456789 -'.") {
		t[c] = n
		n++
	}
	return t
}()

const symbols = 40

// jaroBits is Jaro for the common case, strings of at most 64 bytes of
// lower-case letters, digits and a little punctuation, computed bit-parallel:
// a mask per symbol of where it occurs in b, so that finding the first
// unmatched equal character in the window is one AND and a lowest-bit pick
// instead of a scan. It gives exactly jaro's result, and false when the
// strings are outside its case.
func jaroBits(a, b string) (float64, bool) {
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

// osa is the optimal-string-alignment distance. With k >= 0 it returns k+1
// as soon as the distance is known to exceed k.
func osa[E chars](a, b []E, k int) int {
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

// within1ASCII is within1 on the bytes of ASCII strings, without copying
// them out: the same steps, with string comparison for slices.Equal.
func within1ASCII(a, b string, k int) bool {
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

// within1 decides distance <= k for k in {0, 1} in one pass: equal lengths
// allow one substitution or one adjacent transposition, lengths one apart
// one insertion or deletion.
func within1[E chars](a, b []E, k int) bool {
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
