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
// "oo" (xoong, boong) is left out: it is spelt only in loanwords, never
// in names, and it is what Telex types for ô.
var nuclei = func() map[string]bool {
	m := map[string]bool{}
	for _, v := range strings.Fields(`a ă â e ê i o ô ơ u ư y
		ai ao au ay âu ây eo êu ia iê iu oa oă oe oi ôi ơi ua uâ uê ui uô uơ uy ưa ưi ưu ươ yê
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
	// Letters of the Vietnamese alphabet; vowel marks only where they
	// belong; at most one tone mark, on a vowel.
	var base []rune
	tone, tonedAt := rune(0), -1
	for _, r := range norm.NFD.String(strings.ToLower(word)) {
		switch {
		case r >= 'a' && r <= 'z':
			if r == 'f' || r == 'j' || r == 'w' || r == 'z' {
				return false
			}
			base = append(base, r)
		case r == 'đ':
			base = append(base, r)
		case r == circumflex || r == breve || r == horn:
			if len(base) == 0 {
				return false
			}
			last := base[len(base)-1]
			switch {
			case r == circumflex && (last == 'a' || last == 'e' || last == 'o'):
				base[len(base)-1] = map[rune]rune{'a': 'â', 'e': 'ê', 'o': 'ô'}[last]
			case r == breve && last == 'a':
				base[len(base)-1] = 'ă'
			case r == horn && (last == 'o' || last == 'u'):
				base[len(base)-1] = map[rune]rune{'o': 'ơ', 'u': 'ư'}[last]
			default:
				return false
			}
		case isTone(r):
			if tone != 0 || len(base) == 0 || !isVowel(base[len(base)-1]) {
				return false
			}
			tone, tonedAt = r, len(base)-1
		default:
			return false
		}
	}
	s := string(base)
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
	ok := nuclei[rest]
	closed := false
	for _, c := range codas {
		if n, found := strings.CutSuffix(rest, c); found && nuclei[n] && closedNuclei[n] {
			ok, closed = true, true
			break
		}
	}
	if !ok {
		return false
	}
	if tone != 0 {
		// On the vowel either convention puts it.
		trad := tonePosition(base)
		if tonedAt != trad && tonedAt != modernPosition(base, trad, closed) {
			return false
		}
	}
	return true
}

// closedNuclei are the vowel groups that a final consonant may follow.
var closedNuclei = func() map[string]bool {
	m := map[string]bool{}
	for _, v := range strings.Fields(`a ă â e ê i o ô ơ u ư y iê yê uô ươ oa oă oe uâ uê uy uyê`) {
		m[v] = true
	}
	return m
}()

// modernPosition is where the newer convention puts the tone: on the
// second vowel of an open oa, oe or uy (hoà, khoẻ, thuỷ); elsewhere as the
// traditional one (trad).
func modernPosition(base []rune, trad int, closed bool) int {
	if !closed && trad+1 < len(base) {
		pair := string(base[trad : trad+2])
		if pair == "oa" || pair == "oe" || pair == "uy" {
			return trad + 1
		}
	}
	return trad
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

// words splits s at white space and ASCII punctuation ("Hà Nội," is "Hà"
// and "Nội"; a CSV line splits into its values' words); a symbol beyond
// ASCII stays inside its word ("B¶o"), so that the word is not a syllable.
func words(s string) []string {
	return strings.FieldsFunc(s, func(r rune) bool { return r < 0x80 && !unicode.IsLetter(r) && !unicode.IsDigit(r) })
}
