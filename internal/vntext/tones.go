package vntext

import (
	"strings"
	"unicode"

	"golang.org/x/text/unicode/norm"
)

func isVowel(r rune) bool { return strings.ContainsRune("aăâeêioôơuưy", r) }

func hasVowelMark(r rune) bool { return strings.ContainsRune("ăâêôơư", r) }

// tonePosition returns the index in base (lower case letters without tone
// marks) of the vowel that carries the tone, -1 when there is no vowel. It
// follows the traditional placement that most registers use: in an open
// syllable ending in oa, oe or uy the tone goes on the first of the two
// (hòa, khỏe, thủy); a vowel with its own mark takes it (the ơ of ươ);
// before a final consonant, the last vowel takes it (hoàng, toán).
func tonePosition(base []rune) int {
	start := 0
	// "qu" and "gi" before a vowel: the u and i are part of the onset.
	if len(base) > 2 && (base[0] == 'q' && base[1] == 'u' || base[0] == 'g' && base[1] == 'i' && isVowel(base[2])) {
		start = 2
	}
	first, last := -1, -1
	for i := start; i < len(base); i++ {
		if isVowel(base[i]) {
			if first < 0 {
				first = i
			}
			last = i
		} else if first >= 0 {
			break
		}
	}
	if first < 0 {
		if start == 2 {
			return 1 // "gì": the i of gi
		}
		return -1
	}
	for i := last; i >= first; i-- {
		if hasVowelMark(base[i]) {
			return i
		}
	}
	closed := last+1 < len(base)
	n := last - first + 1
	switch {
	case n == 1:
		return first
	case closed:
		return last
	case n == 3:
		return first + 1
	}
	return first
}

// withTone returns base with tone (a combining mark, or 0) put on the vowel
// tonePosition chooses, in NFC.
func withTone(base []rune, tone rune) string {
	i := tonePosition(base)
	if tone == 0 || i < 0 {
		return norm.NFC.String(string(base))
	}
	out := make([]rune, 0, len(base)+1)
	out = append(out, base[:i+1]...)
	out = append(out, tone)
	out = append(out, base[i+1:]...)
	return norm.NFC.String(string(out))
}

// CanonicalTones puts the tone mark of each Vietnamese syllable of s where
// the traditional placement puts it, so that both conventions compare
// equal: "Hoà" and "Hòa" are "Hòa", "Thuỷ" and "Thủy" are "Thủy". Words
// that are not Vietnamese syllables are left as they are; case is kept.
func CanonicalTones(s string) string {
	if !strings.ContainsFunc(s, func(r rune) bool { return r >= 0x80 }) {
		return s
	}
	var b strings.Builder
	word := []rune{}
	flush := func() {
		if len(word) > 0 {
			b.WriteString(canonicalWord(string(word)))
			word = word[:0]
		}
	}
	for _, r := range norm.NFC.String(s) {
		if unicode.IsLetter(r) || unicode.Is(unicode.Mn, r) {
			word = append(word, r)
			continue
		}
		flush()
		b.WriteRune(r)
	}
	flush()
	return b.String()
}

func canonicalWord(w string) string {
	base, tones := split(w)
	if len(tones) != 1 || !Plausible(w) {
		return w
	}
	out := []rune(withTone(base, tones[0]))
	// Restore the case of each letter (tone marks do not change the
	// number of letters in NFC).
	orig := []rune(w)
	if len(orig) == len(out) {
		for i, r := range orig {
			if unicode.IsUpper(r) {
				out[i] = unicode.ToUpper(out[i])
			}
		}
	}
	return string(out)
}
