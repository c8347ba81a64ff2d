package staff

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// Weakness is what makes a password of acceptable length easy to guess
// (NIST SP 800-63B §5.1.1.2: no composition rules, but a check against
// values known to be chosen often, repetitive or sequential, or taken from
// the account itself).
type Weakness int

const (
	// Strong enough: none of the below.
	Strong Weakness = iota
	// Blank: spaces only.
	Blank
	// Repeated: one character, or one short group, over and over.
	Repeated
	// Sequence: a run of consecutive digits or letters, or keyboard rows.
	Sequence
	// Personal: the account's own name or number (a PIN, a username).
	Personal
	// Common: one of the passwords people choose most.
	Common
)

// PasswordWeakness judges a password whose length is already checked;
// personal are the account's identifiers, which it must not be nor hold.
func PasswordWeakness(pw string, personal ...string) Weakness {
	if strings.TrimSpace(pw) == "" {
		return Blank
	}
	folded := strings.ToLower(strings.Join(strings.FieldsFunc(pw, unicode.IsSpace), ""))
	for _, p := range personal {
		if p = strings.ToLower(strings.TrimSpace(p)); len(p) >= 4 && strings.Contains(folded, p) {
			return Personal
		}
	}
	if repeated(folded) {
		return Repeated
	}
	if sequence(folded) {
		return Sequence
	}
	if _, ok := common[folded]; ok {
		return Common
	}
	return Strong
}

// repeated reports whether s is one group of up to 4 characters repeated
// (the last time perhaps in part).
func repeated(s string) bool {
	rs := []rune(s)
	for n := 1; n <= 4 && 2*n < len(rs); n++ {
		same := true
		for i := n; i < len(rs) && same; i++ {
			same = rs[i] == rs[i%n]
		}
		if same {
			return true
		}
	}
	return false
}

// sequence reports whether s is a run of consecutive characters (up or
// down, digits wrapping 9→0: 123456789012) or lies along a keyboard row.
func sequence(s string) bool {
	if utf8.RuneCountInString(s) < 4 {
		return false
	}
	rs := []rune(s)
	for _, step := range []rune{1, -1} {
		run := true
		for i := 1; i < len(rs) && run; i++ {
			d := rs[i] - rs[i-1]
			wrap := unicode.IsDigit(rs[i]) && unicode.IsDigit(rs[i-1]) && (d == 9*-step)
			run = d == step || wrap
		}
		if run {
			return true
		}
	}
	for _, row := range keyboardRows {
		for _, r := range []string{row, reverse(row)} {
			if strings.Contains(strings.Repeat(r, 3), s) {
				return true
			}
		}
	}
	return false
}

var keyboardRows = []string{"1234567890", "qwertyuiop", "asdfghjkl", "zxcvbnm", "1qaz2wsx3edc4rfv5tgb6yhn", "q1w2e3r4t5y6u7i8o9p0"}

func reverse(s string) string {
	rs := []rune(s)
	for i, j := 0, len(rs)-1; i < j; i, j = i+1, j-1 {
		rs[i], rs[j] = rs[j], rs[i]
	}
	return string(rs)
}

// common are passwords of 12 characters or more chosen most often, in
// breach corpora and in Vietnamese (lowercase, spaces removed).
var common = map[string]struct{}{}

func init() {
	for _, p := range []string{
		"password1234", "password12345", "password123456", "passwordpassword", "123456789abc", "abc123456789",
		"iloveyou1234", "qwerty123456", "123456qwerty", "1q2w3e4r5t6y", "1qaz2wsx3edc", "zaq12wsxcde3",
		"administrator", "welcome12345", "letmein12345", "changeme1234", "football1234", "princess1234",
		"matkhau12345", "matkhau123456", "matkhaucuatoi", "matkhaumoi123", "anhyeuem1234", "emyeuanh1234",
		"vietnam12345", "vietnam123456", "vietnamvodich", "hanoi1234567", "saigon123456", "admin1234567",
		"mậtkhẩu12345", "mậtkhẩucủatôi", "anhyêuem1234", "emyêuanh1234", "việtnam12345", "populus12345",
	} {
		common[p] = struct{}{}
	}
}
