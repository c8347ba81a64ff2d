// Package vntext reads Vietnamese text as sector databases hold it: written
// in the legacy 8-bit encodings of the 1990s and 2000s (TCVN3, the ABC
// fonts' encoding, and VNI-Windows), either as raw bytes or as the
// "mojibake" they become when read as Windows-1252 and saved as Unicode
// ("NguyÔn Hµ" for "Nguyễn Hà", "Nguyeãn Haø"); typed with the Vietnamese
// input method switched off, so that the keystrokes of Telex, VNI or VIQR
// are left in the text ("Nguyeexn Thij", "Nguye64n", "Nguye^~n"); and with
// the tone mark placed by either of the two conventions ("Hoà" and "Hòa").
//
// Every decision is made word by word and only when the result is a
// plausible Vietnamese syllable and the input is not: a foreign name, an
// ethnic-minority name or an English word is left as it is.
package vntext

import (
	"strings"
	"sync"
	"sync/atomic"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// Tone marks, as combining characters, in the order Telex and VNI number
// them: sắc (acute), huyền (grave), hỏi (hook), ngã (tilde), nặng (dot).
const (
	acute = '\u0301'
	grave = '\u0300'
	hook  = '\u0309'
	tilde = '\u0303'
	dot   = '\u0323'
	// Vowel marks.
	circumflex = '\u0302'
	breve      = '\u0306'
	horn       = '\u031b'
)

func isTone(r rune) bool {
	return r == acute || r == grave || r == hook || r == tilde || r == dot
}

// split returns the letters of a word in lower case without tone marks
// (keeping â ă ê ô ơ ư đ), and its tone marks.
func split(word string) (base []rune, tones []rune) {
	for _, r := range norm.NFD.String(strings.ToLower(word)) {
		if isTone(r) {
			tones = append(tones, r)
			continue
		}
		base = append(base, r)
	}
	return []rune(norm.NFC.String(string(base))), tones
}

var onsets = []string{"ngh", "ng", "gh", "gi", "kh", "nh", "ph", "qu", "th", "tr", "ch",
	"b", "c", "d", "đ", "g", "h", "k", "l", "m", "n", "p", "r", "s", "t", "v", "x"}

var codas = []string{"ch", "ng", "nh", "c", "m", "n", "p", "t"}

// nuclei are the vowel groups of Vietnamese syllables (with their glides),
// written without tone marks.
var nuclei = func() map[string]bool {
	m := map[string]bool{}
	for _, v := range strings.Fields(`a ă â e ê i o ô ơ u ư y
		ai ao au ay âu ây eo êu ia iê iu oa oă oe oi ôi ơi oo ua uâ uê ui uô uơ uy ưa ưi ưu ươ yê
		iêu yêu oai oay oao oeo uây uôi ươi ươu uya uyê uyu uơi`) {
		m[v] = true
	}
	return m
}()

// Plausible reports whether word is one Vietnamese syllable as the
// orthography writes it: an onset, a vowel group and a coda from the
// language's inventory, and at most one tone mark. Case is ignored.
func Plausible(word string) bool {
	if word == "" {
		return false
	}
	if v, ok := plausibleCache.Load(word); ok {
		return v.(bool)
	}
	ok := plausible(word)
	if plausibleCached.Add(1) <= plausibleCacheMax {
		plausibleCache.Store(word, ok)
	}
	return ok
}

// Names are made of few words: Plausible remembers its answers for the
// first plausibleCacheMax words it is asked about.
var (
	plausibleCache  sync.Map
	plausibleCached atomic.Int64
)

const plausibleCacheMax = 1 << 17

func plausible(word string) bool {
	base, tones := split(word)
	if len(tones) > 1 {
		return false
	}
	s := string(base)
	for _, r := range s {
		if !unicode.IsLetter(r) {
			return false
		}
	}
	// The longest onset that leaves a vowel ("gi" alone is a syllable: "gì").
	rest := s
	for _, o := range onsets {
		if strings.HasPrefix(s, o) && len(s) > len(o) {
			rest = s[len(o):]
			if o == "gi" && !startsVowel(rest) {
				rest = s[1:] // "gin": g + in
			}
			break
		}
	}
	if rest == s && strings.HasPrefix(s, "gi") {
		rest = s[1:]
	}
	for _, c := range codas {
		if strings.HasSuffix(rest, c) && nuclei[rest[:len(rest)-len(c)]] {
			return true
		}
	}
	return nuclei[rest]
}

func startsVowel(s string) bool {
	r, _ := utf8.DecodeRuneInString(s)
	return strings.ContainsRune("aăâeêioôơuưy", r)
}

// score counts the plausible syllables among the words of s.
func score(s string) int {
	n := 0
	for _, w := range words(s) {
		if Plausible(w) {
			n++
		}
	}
	return n
}

// words splits s at anything that is neither a letter nor a combining mark.
func words(s string) []string {
	return strings.FieldsFunc(s, func(r rune) bool { return !unicode.IsLetter(r) && !unicode.Is(unicode.Mn, r) })
}
