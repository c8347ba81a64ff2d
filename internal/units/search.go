package units

import (
	"cmp"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/populus-vn/populus/internal/textfold"
)

// Search returns up to limit current units (provinces and communes of the
// 34-province system) whose name matches query, best first: exact matches,
// then names starting with the query, then names containing it. Matching
// ignores case, diacritics, punctuation and a leading type word, so "ba
// dinh", "Phường Ba Đình" and "P. Ba Đình" all find Phường Ba Đình; a type
// word also ranks units of that type first within a group. Ties go to
// provinces, then to lower codes.
func (r *Registry) Search(query string, limit int) []Unit {
	r.currentOnce.Do(func() { r.current = r.buildIndex(segProvince, segCommune) })
	return r.current.search(r, query, limit)
}

// SearchLegacy is Search over the pre-2025 provinces and communes, with
// every version of a renamed unit ("Thừa Thiên Huế" as well as "Huế").
func (r *Registry) SearchLegacy(query string, limit int) []Unit {
	r.legacyOnce.Do(func() { r.legacy = r.buildIndex(segLegacyProvince, segLegacyCommune) })
	return r.legacy.search(r, query, limit)
}

// searchIndex holds the normalized names of one system's units, sorted, so
// exact and prefix matches are binary searches and only substring matches
// need a scan.
type searchIndex struct {
	entries []searchEntry
}

type searchEntry struct {
	name string // normalized
	unit int32  // index into Registry.units
}

// buildIndex normalizes the names of the given segments. It runs on the
// first search of each system rather than at load: folding names costs more
// than parsing them, and most programs search only one system or none.
func (r *Registry) buildIndex(segs ...int) *searchIndex {
	x := &searchIndex{}
	for _, seg := range segs {
		s := r.segments[seg]
		for i := s.lo; i < s.hi; i++ {
			x.entries = append(x.entries, searchEntry{normalize(r.units[i].Name), i})
			for _, a := range r.aliases[i] {
				x.entries = append(x.entries, searchEntry{normalize(a), i})
			}
		}
	}
	slices.SortFunc(x.entries, func(a, b searchEntry) int {
		return cmp.Or(strings.Compare(a.name, b.name), cmp.Compare(a.unit, b.unit))
	})
	return x
}

// Match quality, best first.
const (
	tierExact = iota
	tierPrefix
	tierSubstring
)

type hit struct {
	unit     int32
	tier     int
	typeMiss bool
}

func (x *searchIndex) search(r *Registry, query string, limit int) []Unit {
	if limit <= 0 {
		return nil
	}
	q := normalize(query)
	if q == "" {
		return nil
	}
	// The query as typed and without its type word both count: "Tịnh
	// Biên" is a name although "tinh" is also the word for province.
	variants := []string{q}
	hintType, rest := stripType(q)
	if rest != "" && rest != q {
		variants = append(variants, rest)
	}

	best := map[int32]int{}
	note := func(unit int32, tier int) {
		if t, ok := best[unit]; !ok || tier < t {
			best[unit] = tier
		}
	}
	for _, v := range variants {
		lo, _ := slices.BinarySearchFunc(x.entries, v, func(e searchEntry, s string) int { return strings.Compare(e.name, s) })
		for i := lo; i < len(x.entries) && strings.HasPrefix(x.entries[i].name, v); i++ {
			if x.entries[i].name == v {
				note(x.entries[i].unit, tierExact)
			} else {
				note(x.entries[i].unit, tierPrefix)
			}
		}
	}
	// Substring matches are only worth a scan when the better ones leave
	// room; the scan is linear in the number of names (about 3,400 current).
	if len(best) < limit {
		for _, e := range x.entries {
			for _, v := range variants {
				if strings.Contains(e.name, v) {
					note(e.unit, tierSubstring)
				}
			}
		}
	}

	hits := make([]hit, 0, len(best))
	for u, t := range best {
		hits = append(hits, hit{u, t, hintType != "" && r.units[u].Type != hintType})
	}
	slices.SortFunc(hits, func(a, b hit) int {
		// Units are stored provinces first, then communes, each by code,
		// so the index order is the tie-break order.
		return cmp.Or(cmp.Compare(a.tier, b.tier), compareBool(a.typeMiss, b.typeMiss), cmp.Compare(a.unit, b.unit))
	})
	out := make([]Unit, 0, min(limit, len(hits)))
	for _, h := range hits[:min(limit, len(hits))] {
		out = append(out, r.units[h.unit])
	}
	return out
}

func compareBool(a, b bool) int {
	switch {
	case a == b:
		return 0
	case a:
		return 1
	}
	return -1
}

// normalize folds s for matching: no diacritics (textfold.Fold), lower case,
// apostrophes dropped ("Cư M’gar" = "cu mgar"), other punctuation turned into
// single spaces ("P.Ba Đình" = "p ba dinh", "Bà Rịa–Vũng Tàu" = "ba ria vung
// tau").
func normalize(s string) string {
	f := textfold.Fold(s)
	b := make([]byte, 0, len(f))
	space := false
	for _, c := range f {
		switch {
		case c == '\'' || c == '’' || c == '‘' || c == 'ʼ' || c == '`':
		case unicode.IsLetter(c) || unicode.IsDigit(c):
			if space && len(b) > 0 {
				b = append(b, ' ')
			}
			space = false
			b = utf8.AppendRune(b, c)
		default:
			space = true
		}
	}
	return string(b)
}

// typeWords are the leading words a query may carry, normalized, with the
// unit type they denote. District words (quận, huyện) are deliberately
// absent: a district is not a commune of the same name.
var typeWords = []struct{ word, typ string }{
	{"thanh pho", "Thành phố"},
	{"tp", "Thành phố"},
	{"tinh", "Tỉnh"},
	{"phuong", "Phường"},
	{"p", "Phường"},
	{"xa", "Xã"},
	{"x", "Xã"},
	{"dac khu", "Đặc khu"},
	{"thi tran", "Thị trấn"},
	{"tt", "Thị trấn"},
}

// stripType removes a leading type word from a normalized query.
func stripType(q string) (typ, rest string) {
	for _, w := range typeWords {
		if r, ok := strings.CutPrefix(q, w.word+" "); ok {
			return w.typ, r
		}
	}
	return "", q
}
