package vntext

import (
	"strings"
	"unicode"
)

// Typing names the input method whose keystrokes DecodeTyping found.
type Typing string

const (
	Telex   Typing = "Telex"
	VNIKeys Typing = "VNI"
	VIQR    Typing = "VIQR"
)

// DecodeTyping reads the words of s that were typed with a Vietnamese input
// method switched off, so that its keystrokes are left in the text:
// Telex ("Nguyeexn Thij Lan", "Nguyeenx"), VNI ("Nguye64n Thi5") or VIQR
// ("Nguye^~n Thi."). A word is decoded only when it is not a Vietnamese
// syllable as it stands and its decoding is; "Lan", "Thanh", "John" and
// "Xuân" are left alone. It returns s unchanged and "" when no word was
// decoded, else the decoded text and the method of the first word decoded.
func DecodeTyping(s string) (string, Typing) {
	out, used := decodeTyping(s, false)
	if used != "" {
		// The input method was off for this text: a word that is a
		// syllable either way ("Coong", "Ngoo", which Vietnamese spells
		// only in loanwords) is read as typed too.
		out, _ = decodeTyping(out, true)
	}
	return out, used
}

// DecodeTypingToo decodes the words of s that hold keystrokes of an input
// method and decode to a syllable, even those that are syllables as they
// stand: for the other fields of a record one of whose fields DecodeTyping
// found typed with the input method off ("Ngoo" in the family name
// column when the given name column holds "Thij").
func DecodeTypingToo(s string) string {
	out, _ := decodeTyping(s, true)
	return out
}

func decodeTyping(s string, too bool) (string, Typing) {
	if !strings.ContainsFunc(s, func(r rune) bool {
		return r < 0x80 && (unicode.IsLetter(r) || unicode.IsDigit(r) || strings.ContainsRune("^(+'`?~.", r))
	}) {
		return s, ""
	}
	fields := strings.Fields(s)
	var used Typing
	changed := false
	for i, f := range fields {
		if !mayBeTyped(f) || !too && Plausible(f) {
			continue
		}
		for _, m := range []struct {
			t  Typing
			fn func(string) (string, bool)
		}{{Telex, decodeTelex}, {VNIKeys, decodeVNIKeys}, {VIQR, decodeVIQR}} {
			if d, ok := m.fn(f); ok && Plausible(d) {
				fields[i] = keepCase(f, d)
				if used == "" {
					used = m.t
				}
				changed = true
				break
			}
		}
	}
	if !changed {
		return s, ""
	}
	return strings.Join(fields, " "), used
}

// mayBeTyped reports, cheaply, whether w is ASCII and holds a keystroke
// of Telex (w, j, f, z, a doubled vowel or dd, or s, r, x after a vowel),
// VNI (a digit) or VIQR (^ ( + ' ` ? ~ .) that Vietnamese spelling does not
// have: most names are rejected without further work.
func mayBeTyped(w string) bool {
	vowel := false
	for i := 0; i < len(w); i++ {
		c := w[i] | 0x20 // lower case for letters
		switch {
		case w[i] >= 0x80:
			return false
		case w[i] >= '0' && w[i] <= '9', strings.IndexByte("^(+'`?~.", w[i]) >= 0:
			return true
		case c == 'w' || c == 'j' || c == 'f' || c == 'z':
			return true
		case vowel && (c == 's' || c == 'r' || c == 'x'):
			return true
		case i > 0 && c == w[i-1]|0x20 && (c == 'a' || c == 'e' || c == 'o' || c == 'd'):
			return true
		}
		vowel = vowel || strings.IndexByte("aeiouy", c) >= 0
	}
	return false
}

// keepCase gives decoded the case of the typed word: all upper case, or an
// upper-case initial.
func keepCase(typed, decoded string) string {
	letters := strings.Map(func(r rune) rune {
		if unicode.IsLetter(r) {
			return r
		}
		return -1
	}, typed)
	if letters != "" && strings.ToUpper(letters) == letters {
		return strings.ToUpper(decoded)
	}
	if r := []rune(typed); len(r) > 0 && unicode.IsUpper(r[0]) {
		d := []rune(decoded)
		d[0] = unicode.ToUpper(d[0])
		return string(d)
	}
	return decoded
}

// applyMark gives the last vowel of out that can take it the vowel mark m
// (circumflex on a, e, o; breve on a; horn on o and u, both of "uo"). It
// reports whether one could.
func applyMark(out []rune, m rune) bool {
	for i := len(out) - 1; i >= 0; i-- {
		r := out[i]
		switch {
		case m == circumflex && (r == 'a' || r == 'e' || r == 'o'):
			out[i] = map[rune]rune{'a': 'â', 'e': 'ê', 'o': 'ô'}[r]
			return true
		case m == breve && r == 'a':
			out[i] = 'ă'
			return true
		case m == horn && (r == 'o' || r == 'u'):
			out[i] = map[rune]rune{'o': 'ơ', 'u': 'ư'}[r]
			if r == 'o' && i > 0 && out[i-1] == 'u' {
				out[i-1] = 'ư'
			}
			return true
		}
	}
	return false
}

// finish puts tone on the syllable out (lower case, with its vowel marks).
func finish(out []rune, tone rune) (string, bool) {
	return withTone(out, tone), true
}

var telexTones = map[rune]rune{'s': acute, 'f': grave, 'r': hook, 'x': tilde, 'j': dot}

// decodeTelex decodes one word typed in Telex.
func decodeTelex(w string) (string, bool) {
	in := []rune(strings.ToLower(w))
	var out []rune
	var tone rune
	keys := false
	seenVowel := false
	for i := 0; i < len(in); i++ {
		c := in[i]
		switch {
		case c == 'd' && i+1 < len(in) && in[i+1] == 'd' && len(out) == 0:
			out = append(out, 'đ')
			i++
			keys = true
		case seenVowel && telexTones[c] != 0:
			tone = telexTones[c]
			keys = true
		case seenVowel && c == 'z':
			tone, keys = 0, true
		case c == 'w':
			if !applyMark(out, horn) && !applyMark(out, breve) {
				out = append(out, 'ư')
				seenVowel = true
			}
			keys = true
		case (c == 'a' || c == 'e' || c == 'o') && len(out) > 0 && out[len(out)-1] == c:
			applyMark(out, circumflex)
			keys = true
		default:
			if !unicode.IsLetter(c) {
				return "", false
			}
			out = append(out, c)
			if isVowel(c) {
				seenVowel = true
			}
		}
	}
	if !keys {
		return "", false
	}
	return finish(out, tone)
}

// keySpec is a way of typing marks with keys after the letters: VNI's
// digits or VIQR's punctuation (RFC 1456).
type keySpec struct {
	marks map[rune]rune // key → vowel mark
	tones map[rune]rune // key → tone mark
	// toneOnVowel: a tone key counts only right after a vowel (VIQR,
	// whose keys are also punctuation); otherwise after any letter.
	toneOnVowel bool
	clearTone   rune // the key that removes the tone (VNI 0), or 0
	dKey        rune // the key after a leading d that makes it đ (VNI 9), or 0 for "dd"
}

var (
	vniSpec = keySpec{
		marks:     map[rune]rune{'6': circumflex, '7': horn, '8': breve},
		tones:     map[rune]rune{'1': acute, '2': grave, '3': hook, '4': tilde, '5': dot},
		clearTone: '0', dKey: '9',
	}
	viqrSpec = keySpec{
		marks:       map[rune]rune{'^': circumflex, '+': horn, '(': breve},
		tones:       map[rune]rune{'\'': acute, '´': acute, '`': grave, '?': hook, '~': tilde, '.': dot},
		toneOnVowel: true,
	}
)

func decodeVNIKeys(w string) (string, bool) { return decodeKeys(w, &vniSpec) }

func decodeVIQR(w string) (string, bool) { return decodeKeys(w, &viqrSpec) }

// decodeKeys decodes one word typed with the keys of spec.
func decodeKeys(w string, spec *keySpec) (string, bool) {
	in := []rune(strings.ToLower(w))
	var out []rune
	var tone rune
	keys := false
	for i := 0; i < len(in); i++ {
		c := in[i]
		toneOK := len(out) > 0 && (!spec.toneOnVowel || isVowel(out[len(out)-1]))
		switch {
		case spec.dKey == 0 && c == 'd' && i+1 < len(in) && in[i+1] == 'd' && len(out) == 0:
			out = append(out, 'đ')
			i++
			keys = true
		case spec.dKey != 0 && c == spec.dKey && len(out) > 0 && out[0] == 'd':
			out[0], keys = 'đ', true
		case toneOK && spec.tones[c] != 0:
			if c == '.' && i == len(in)-1 && tone != 0 {
				continue // a full stop after a toned word
			}
			tone, keys = spec.tones[c], true
		case len(out) > 0 && spec.clearTone != 0 && c == spec.clearTone:
			tone, keys = 0, true
		case len(out) > 0 && spec.marks[c] != 0:
			if !applyMark(out, spec.marks[c]) {
				return "", false
			}
			keys = true
		case unicode.IsLetter(c):
			out = append(out, c)
		default:
			return "", false
		}
	}
	if !keys {
		return "", false
	}
	return finish(out, tone)
}
