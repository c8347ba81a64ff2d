package sector

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/populus-vn/populus/internal/textfold"
)

// communeWords are the type words that open a commune's name in an
// address: "Phường Dịch Vọng", "P.8", "F.8", "Xã Tân Lập", "X. Tân Lập",
// "Thị trấn Đông Anh", "TT Đông Anh", "Đặc khu Phú Quốc".
var communeWords = [][]string{{"phường"}, {"p"}, {"f"}, {"xã"}, {"x"}, {"thị", "trấn"}, {"tt"}, {"đặc", "khu"}}

// provinceWords are the type words that open a province's name.
var provinceWords = [][]string{{"thành", "phố"}, {"tp"}, {"tỉnh"}, {"t"}}

// addressUnits finds the commune and the province written in a free-text
// address, as the sector files of banks and of merged district lists hold
// them: "Số 19 đường Phan Đình Phùng, Phường Ninh Xá, Thị xã Thuận Thành,
// Bắc Ninh", "F.8 - Q.10 - TP.HCM", "ấp 3 xã Tân Phú huyện Châu Thành
// tỉnh Tiền Giang". The commune is returned with its district after a
// comma when one is written ("Phường 8, Quận 10"), as the commune column
// takes it; the province is the last part of the address when that part
// names one by its type word or is not a unit of another kind (the caller
// looks it up). Either is "" when the address does not name it: house
// numbers, streets, hamlets and villages are not units.
func addressUnits(addr string) (commune, province string) {
	parts := addressParts(addr)
	// The last part that opens as a commune does: addresses run from the
	// house to the province, and an earlier one may be a room ("P.203",
	// phòng 203) or a street named like a commune.
	ci := -1
	for i, p := range parts {
		if opens(p, communeTypes) {
			ci = i
		}
	}
	if ci < 0 {
		// No part opens with a commune: the units may be run together in
		// one part, introduced by their type words spelt with diacritics.
		for i := range parts {
			if c, d, p := inlineUnits(parts[i]); c != "" {
				commune = c
				if d != "" {
					commune += ", " + d
				}
				if p == "" && i+1 < len(parts) {
					p = lastProvince(parts[i+1:])
				}
				return commune, p
			}
		}
		return "", lastProvince(parts)
	}
	commune = parts[ci]
	for _, p := range parts[ci+1:] {
		if opens(p, districtTypes) {
			commune += ", " + p
			break
		}
	}
	if ci+1 < len(parts) {
		province = lastProvince(parts[ci+1:])
	}
	return commune, province
}

// addressParts splits an address at commas, semicolons and long dashes,
// and at a hyphen set apart by spaces when a unit's type word follows it
// ("F.8 - Q.10 - TP.HCM"): names have dashes of their own ("Phường Văn
// Miếu - Quốc Tử Giám", "Lang Biang - Đà Lạt").
func addressParts(addr string) []string {
	var parts []string
	for _, p := range strings.FieldsFunc(addr, func(r rune) bool { return r == ',' || r == ';' || r == '|' }) {
		segs := strings.FieldsFunc(p, func(r rune) bool { return r == '–' || r == '—' })
		hyphens := len(segs) == 1
		if hyphens {
			segs = strings.Split(p, " - ")
		}
		start := len(parts) // this part's first segment
		for _, q := range segs {
			q = strings.TrimSpace(q)
			if q == "" {
				continue
			}
			if hyphens && len(parts) > start && !opens(q, communeTypes) && !opens(q, districtTypes) && !opens(q, provinceTypes) {
				parts[len(parts)-1] += " - " + q
				continue
			}
			parts = append(parts, q)
		}
	}
	return parts
}

// opens reports whether the text opens with one of the type words,
// followed by a name: its first words, split as placeWords splits them,
// are the type word's, spelt exactly (lower case) or, when written without
// diacritics, as its folded form. It looks at three words at most and folds
// nothing, since it is asked of every part of every address.
func opens(s string, words unitWords) bool {
	var lead [3]string
	n := 0
	for i := 0; i < len(s) && n < len(lead); {
		r, size := utf8.DecodeRuneInString(s[i:])
		if !placeRune(r) {
			i += size
			continue
		}
		j := i
		for j < len(s) {
			r, size := utf8.DecodeRuneInString(s[j:])
			if !placeRune(r) {
				break
			}
			j += size
		}
		lead[n] = s[i:j]
		n++
		i = j
	}
	for k, tw := range words.exact {
		if n <= len(tw) {
			continue
		}
		ok := true
		for i, w := range tw {
			if !strings.EqualFold(lead[i], w) && (!textfold.IsASCII(lead[i]) || !strings.EqualFold(lead[i], words.folded[k][i])) {
				ok = false
				break
			}
		}
		if ok {
			return true
		}
	}
	return false
}

// placeRune reports whether r belongs to a word as placeWords splits them.
func placeRune(r rune) bool {
	return unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.Is(unicode.Mn, r) || r == '\'' || r == '’'
}

// unitWords are the type words of one kind of unit, as written and
// folded (without diacritics).
type unitWords struct{ exact, folded [][]string }

func newUnitWords(words [][]string) unitWords {
	u := unitWords{exact: words, folded: make([][]string, len(words))}
	for i, tw := range words {
		for _, w := range tw {
			u.folded[i] = append(u.folded[i], textfold.Fold(w))
		}
	}
	return u
}

var (
	communeTypes  = newUnitWords(communeWords)
	districtTypes = newUnitWords(districtWords)
	provinceTypes = newUnitWords(provinceWords)
)

// lastProvince returns the last of the parts when it may name a province:
// it opens with a province's type word, or with no unit's type word at all
// (a village, a hamlet or a street is looked up and not found).
func lastProvince(parts []string) string {
	if len(parts) == 0 {
		return ""
	}
	p := parts[len(parts)-1]
	switch {
	case strings.IndexFunc(p, placeRune) < 0:
		return ""
	case opens(p, provinceTypes):
		return p
	case opens(p, communeTypes), opens(p, districtTypes):
		return ""
	}
	return p
}

// inlineUnits reads the units of a part that runs them together after
// their type words, which must then be written with their diacritics
// (without them "xa" and "huyen" are also syllables of names): "ấp 3 xã
// Tân Phú huyện Châu Thành tỉnh Tiền Giang" is commune "xã Tân Phú",
// district "huyện Châu Thành", province "Tiền Giang".
func inlineUnits(part string) (commune, district, province string) {
	if textfold.IsASCII(part) {
		return "", "", "" // the type words it reads have diacritics
	}
	words := strings.Fields(part)
	type unit struct {
		kind  byte // 'c', 'd' or 'p'
		start int  // the type word's index
		name  int  // the name's first word's index
	}
	var found []unit
	for i := 0; i < len(words); i++ {
		w, next := words[i], ""
		if i+1 < len(words) {
			next = words[i+1]
		}
		is := strings.EqualFold
		switch {
		case is(w, "thị") && is(next, "trấn"):
			found = append(found, unit{'c', i, i + 2})
			i++
		case is(w, "thị") && is(next, "xã"), is(w, "thành") && is(next, "phố"):
			kind := byte('d')
			if is(w, "thành") && len(found) > 0 && found[len(found)-1].kind == 'd' {
				kind = 'p'
			}
			found = append(found, unit{kind, i, i + 2})
			i++
		case is(w, "xã") || is(w, "phường"):
			found = append(found, unit{'c', i, i + 1})
		case is(w, "huyện") || is(w, "quận"):
			found = append(found, unit{'d', i, i + 1})
		case is(w, "tỉnh"):
			found = append(found, unit{'p', i, i + 1})
		}
	}
	for j, u := range found {
		end := len(words)
		if j+1 < len(found) {
			end = found[j+1].start
		}
		if u.name >= end {
			continue
		}
		text := strings.Join(words[u.start:end], " ")
		switch {
		case u.kind == 'c' && commune == "":
			commune = text
		case u.kind == 'd' && commune != "" && district == "":
			district = text
		case u.kind == 'p' && commune != "":
			province = strings.Join(words[u.name:end], " ")
		}
	}
	if commune == "" {
		return "", "", ""
	}
	return commune, district, province
}
