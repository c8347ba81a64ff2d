// Package textfold folds Vietnamese text for matching: it removes diacritics
// (mapping đ/Đ to d explicitly, since they do not decompose under NFD),
// lowercases, and collapses white space. It is used everywhere names are
// compared or searched, so that "Nguyễn Văn Đức" and "nguyen van duc" meet.
//
// It must never be used to store or display a name: folding loses information.
package textfold

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// Fold returns s without diacritics, in lower case, with runs of white space
// collapsed to one space and no leading or trailing space.
func Fold(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	space := false
	it := norm.Iter{}
	it.InitString(norm.NFD, s)
	for !it.Done() {
		seg := it.Next()
		for len(seg) > 0 {
			r, n := utf8.DecodeRune(seg)
			seg = seg[n:]
			switch {
			case r == 'đ' || r == 'Đ':
				r = 'd'
			case unicode.Is(unicode.Mn, r):
				continue
			case unicode.IsSpace(r):
				space = b.Len() > 0
				continue
			}
			if space {
				b.WriteByte(' ')
				space = false
			}
			b.WriteRune(unicode.ToLower(r))
		}
	}
	return b.String()
}

// IsASCII reports whether s is all ASCII: text that Fold changes only in
// case and spaces (a name written without diacritics).
func IsASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

// Invisible reports whether r changes how text reads without being seen:
// a format character (direction marks and overrides, zero-width ones), a
// line or paragraph separator, a space other than the plain one, a blank
// that draws nothing (the Hangul fillers, the braille blank, the combining
// grapheme joiner). An identifier or a name shown to people holds none:
// "VN-CSGT-0042" and the same with a filler after it must not look alike.
func Invisible(r rune) bool {
	switch r {
	case ' ':
		return false
	case 0x034F, 0x115F, 0x1160, 0x3164, 0xFFA0, 0x2800, 0x180E:
		return true
	}
	return unicode.In(r, unicode.Cf, unicode.Zl, unicode.Zp, unicode.Zs)
}
