package sector

import (
	"slices"
	"strings"
	"sync"
	"unicode"

	"golang.org/x/text/unicode/norm"

	"github.com/populus-vn/populus/internal/textfold"
	"github.com/populus-vn/populus/internal/units"
)

// places resolves the province and commune values of sector files, codes or
// names, to unit keys of the registry. Name lookups are map lookups on
// folded names, built once, so that resolving costs the same for every
// record of a large file.
type places struct {
	reg       *units.Registry
	provinces map[string][]placeEntry // folded name → current provinces first, then pre-2025
	communes  map[string][]placeEntry // province key + "|" + folded name → communes
	// squashed holds the provinces by squash(folded name), for names
	// written run together or spelt with c for k ("Daklak", "Kontum",
	// "Đắc Lắc"); a key two provinces share is left out.
	squashed map[string]units.Key
	// national holds the communes by folded name across the country, the
	// current system's before the pre-2025 one's, for a commune given
	// without its province.
	national map[string][]placeEntry
}

// placeEntry is a unit found under a folded name, with its name in lower
// case but with its diacritics, to tell "Thạnh An" from "Thanh An".
type placeEntry struct {
	key   units.Key
	exact string
	// district is the folded name of a pre-2025 commune's district,
	// without its type word ("" for other units).
	district string
}

// defaultPlaces is the index of units.Default(), built on first use.
var defaultPlaces = sync.OnceValue(func() *places { return newPlaces(units.Default()) })

// provinceAliases are names and abbreviations in common use that the
// registry does not hold (folded, words separated by one space). "ĐN" is
// left out: it is Đà Nẵng to some and Đồng Nai to others.
var provinceAliases = map[string]string{
	"hcm": "79", "tphcm": "79", "tp hcm": "79", "sai gon": "79", "sg": "79", "ho chi minh": "79",
	"hn": "01", "hp": "31",
	"thua thien hue": "old:46", "tth": "old:46", "tt hue": "old:46",
	"ba ria vung tau": "old:77", "brvt": "old:77", "br vt": "old:77",
	// The province's best-known city standing for it, as addresses write
	// it ("…, Vũng Tàu"): the same province as the city.
	"vung tau": "old:77",
}

func newPlaces(reg *units.Registry) *places {
	p := &places{reg: reg, provinces: map[string][]placeEntry{}, communes: map[string][]placeEntry{},
		squashed: map[string]units.Key{}, national: map[string][]placeEntry{}}
	entry := func(u units.Unit) (placeEntry, []string) {
		exact, folded := placeWords(u.Name)
		e := placeEntry{key: u.Key(), exact: strings.Join(exact, " ")}
		if u.District != "" {
			e.district = districtName(u.District)
		}
		return e, folded
	}
	shared := map[string]bool{}
	for _, provs := range [][]units.Unit{reg.Provinces(), reg.LegacyProvinces()} {
		for _, u := range provs {
			e, folded := entry(u)
			k := placeKey(folded)
			p.provinces[k] = append(p.provinces[k], e)
			sq := squash(folded)
			if prev, ok := p.squashed[sq]; ok && prev != u.Key() && !shared[sq] {
				// The same squashed name in both systems is the current
				// province (the first seen); two provinces of one system
				// make the key useless.
				if prev.Legacy == u.Key().Legacy {
					shared[sq] = true
				}
			} else if !ok {
				p.squashed[sq] = u.Key()
			}
			communes := reg.Communes(u.Code)
			if u.Legacy {
				communes = reg.LegacyCommunes(u.Code)
			}
			for _, c := range communes {
				ce, cf := entry(c)
				ck := placeKey(cf)
				p.communes[u.Key().String()+"|"+ck] = append(p.communes[u.Key().String()+"|"+ck], ce)
				p.national[ck] = append(p.national[ck], ce)
			}
		}
	}
	for sq := range shared {
		delete(p.squashed, sq)
	}
	for name, key := range provinceAliases {
		if k, err := units.ParseKey(key); err == nil && len(p.provinces[name]) == 0 {
			p.provinces[name] = []placeEntry{{key: k}}
		}
	}
	return p
}

// squash joins folded words without spaces and writes k as c (the same
// sound: "Đắk Lắk", "Dak Lak", "Daklak" and "Đắc Lắc" are one key).
func squash(folded []string) string {
	return strings.ReplaceAll(strings.Join(folded, ""), "k", "c")
}

// districtWords are the type words of pre-2025 districts, as written in
// addresses.
var districtWords = [][]string{{"thành", "phố"}, {"thị", "xã"}, {"huyện"}, {"quận"}, {"tp"}, {"tx"}, {"h"}, {"q"}}

// districtName is the folded name of a district without its type word:
// "Quận 1" is "1", "Huyện Đan Phượng" is "dan phuong".
func districtName(s string) string {
	exact, folded := placeWords(s)
	for _, tw := range districtWords {
		if len(exact) > len(tw) && typeWordAt(exact, folded, tw) {
			return placeKey(folded[len(tw):])
		}
	}
	return placeKey(folded)
}

// typeWords are the words naming a unit's type that may open a name as
// written in an address, with and without diacritics.
var typeWords = [][]string{{"thành", "phố"}, {"tp"}, {"tỉnh"}, {"t"}, {"phường"}, {"p"}, {"f"}, {"xã"}, {"x"}, {"thị", "trấn"},
	{"tt"}, {"đặc", "khu"}}

var apostrophes = strings.NewReplacer("'", "", "’", "")

// placeWords splits a place name into lower-case words, as written (NFC)
// and folded (no diacritics); punctuation separates words, apostrophes
// vanish ("Cư M’gar" is "cư mgar").
func placeWords(s string) (exact, folded []string) {
	exact = strings.FieldsFunc(strings.ToLower(norm.NFC.String(s)), func(c rune) bool {
		return !unicode.IsLetter(c) && !unicode.IsDigit(c) && !unicode.Is(unicode.Mn, c) && c != '\'' && c != '’'
	})
	folded = make([]string, len(exact))
	for i, w := range exact {
		if strings.ContainsAny(w, "'’") {
			w = apostrophes.Replace(w)
			exact[i] = w
		}
		folded[i] = textfold.Fold(w)
	}
	return exact, folded
}

// placeKey is the lookup key of folded words: joined, with leading zeros
// of a lone number dropped ("Phường 01" is commune "1").
func placeKey(folded []string) string {
	if len(folded) == 1 {
		if t := strings.TrimLeft(folded[0], "0"); t != "" && allDigits(t) {
			return t
		}
	}
	return strings.Join(folded, " ")
}

// find looks a name up under prefix: without a leading type word first
// (matched with its diacritics when it has them: "Phường Phượng Sơn" is
// commune Phượng Sơn), then as written. Among units sharing the folded
// name it picks the one spelt exactly so, when the name has diacritics
// (without them, "Thanh An" may be "Thạnh An"). n is the number of units
// the name may mean.
func (p *places) find(m map[string][]placeEntry, prefix, name string) []placeEntry {
	exact, folded := placeWords(name)
	for _, tw := range typeWords {
		if len(exact) <= len(tw) || !typeWordAt(exact, folded, tw) {
			continue
		}
		if found := choose(m[prefix+placeKey(folded[len(tw):])], strings.Join(exact[len(tw):], " "), name); len(found) > 0 {
			return found
		}
		break
	}
	return choose(m[prefix+placeKey(folded)], strings.Join(exact, " "), name)
}

// typeWordAt reports whether the name opens with the type word tw: spelt
// exactly, or in letters without diacritics.
func typeWordAt(exact, folded, tw []string) bool {
	for i, w := range tw {
		if exact[i] != w && (hasNonASCII(exact[i]) || folded[i] != textfold.Fold(w)) {
			return false
		}
	}
	return true
}

// choose narrows the units found under a folded name to those spelt
// exactly as name, when it has diacritics and some are.
func choose(found []placeEntry, exact, name string) []placeEntry {
	if len(found) <= 1 || !hasNonASCII(name) {
		return found
	}
	var same []placeEntry
	for _, e := range found {
		if e.exact == exact {
			same = append(same, e)
		}
	}
	if len(same) == 0 {
		return found
	}
	return same
}

func hasNonASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return true
		}
	}
	return false
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}

// province resolves a province code or name. Bare codes are of the current
// system unless old is set; "old:NN" and 3-digit birth-registration codes
// ("001") are always pre-2025. A name is looked up in the current system
// first (in the pre-2025 one first if old is set). It returns the key, or a
// note saying why there is none.
func (p *places) province(v string, old bool) (key string, note string) {
	v = strings.TrimSpace(v)
	code, legacy := strings.CutPrefix(v, units.LegacyPrefix)
	if allDigits(code) {
		legacy = legacy || old || len(code) == 3
		if len(code) == 1 {
			code = "0" + code
		}
		k, err := units.ParseKey(prefix(legacy) + code)
		if err != nil {
			return "", "province code " + quote(v) + " is not a 2-digit province code"
		}
		if u, ok := p.reg.Lookup(k.String()); !ok || u.Level != units.LevelProvince {
			return "", "province code " + quote(v) + " is not a province of the " + system(legacy) + " system"
		}
		return k.String(), ""
	}
	exact, folded := placeWords(v)
	names := make([][]string, 0, 2)
	for _, tw := range typeWords {
		if len(exact) > len(tw) && typeWordAt(exact, folded, tw) {
			names = append(names, folded[len(tw):])
			break
		}
	}
	for _, name := range append(names, folded) {
		found := p.provinces[placeKey(name)]
		if len(found) == 0 {
			if k, ok := p.squashed[squash(name)]; ok {
				return k.String(), ""
			}
			continue
		}
		k := found[0].key // a name of both systems means the current province
		if old {
			for _, e := range found {
				if e.key.Legacy {
					k = e.key
					break
				}
			}
		}
		return k.String(), ""
	}
	return "", "province " + quote(v) + " is not a known province name or code"
}

// maxCommuneChoices is the most communes a shared commune name may mean for
// the name to be kept as evidence (Record.Communes): a name that more share
// ("Phường 1") says too little.
const maxCommuneChoices = 8

// commune resolves a commune code or name; a name is looked up in the given
// province (a unit key), then in the provinces that correspond to it in the
// other system. A name that several communes share is not resolved: choices
// are then the units it may mean, at most maxCommuneChoices of them.
func (p *places) commune(v string, old bool, province string) (key string, choices []string, note string) {
	key, found, note := p.communeFound(v, old, province)
	if key != "" || len(found) < 2 {
		return key, nil, note
	}
	// Today's communes: a pre-2025 commune counts as the one it became
	// part of, or as its old key when it has no recorded successor.
	for _, e := range found {
		k := e.key.String()
		if e.key.Legacy {
			if u, ok := p.reg.Successor(e.key.Code); ok {
				k = u.Key().String()
			}
		}
		if !slices.Contains(choices, k) {
			if len(choices) == maxCommuneChoices {
				return "", nil, note
			}
			choices = append(choices, k)
		}
	}
	return "", choices, note
}

func (p *places) communeFound(v string, old bool, province string) (key string, found []placeEntry, note string) {
	v = strings.TrimSpace(v)
	code, legacy := strings.CutPrefix(v, units.LegacyPrefix)
	if allDigits(code) {
		legacy = legacy || old
		if len(code) < 5 {
			code = strings.Repeat("0", 5-len(code)) + code
		}
		k, err := units.ParseKey(prefix(legacy) + code)
		if err != nil {
			return "", nil, "commune code " + quote(v) + " is not a 5-digit commune code"
		}
		if u, ok := p.reg.Lookup(k.String()); !ok || u.Level != units.LevelCommune {
			return "", nil, "commune code " + quote(v) + " is not a commune of the " + system(legacy) + " system"
		}
		return k.String(), nil, ""
	}
	lookup := func(name, district string) []placeEntry {
		var found []placeEntry
		if province == "" {
			// Across the country: a name only one commune has is as good
			// as a code (the current system's first).
			found = p.find(p.national, "", name)
		} else {
			// The province itself first (its own system), then the
			// provinces of the other system that overlap it, together: a
			// name that several of those have is ambiguous there.
			rel := p.related(province)
			found = p.find(p.communes, rel[0]+"|", name)
			if len(found) == 0 || district != "" && len(byDistrict(found, district)) == 0 {
				var other []placeEntry
				for _, prov := range rel[1:] {
					other = append(other, p.find(p.communes, prov+"|", name)...)
				}
				if len(found) == 0 || len(byDistrict(other, district)) > 0 {
					found = other
				}
			}
		}
		if in := byDistrict(found, district); len(in) > 0 {
			found = in
		}
		return found
	}
	found = lookup(v, "")
	if len(found) == 0 {
		// "Xã Tân Lập, Huyện Đan Phượng", "F.8 - Q.10": the commune, then
		// its district (which tells apart the communes of one name in a
		// province: the numbered wards), or more of the address. Names
		// with a dash of their own ("Lang Biang - Đà Lạt") were found
		// whole above.
		if parts := strings.FieldsFunc(v, func(r rune) bool { return r == ',' || r == ';' || r == '-' || r == '–' }); len(parts) > 1 {
			district := ""
			for _, part := range parts[1:] {
				exact, folded := placeWords(part)
				for _, tw := range districtWords {
					if len(exact) > len(tw) && typeWordAt(exact, folded, tw) {
						district = placeKey(folded[len(tw):])
						break
					}
				}
				if district != "" {
					break
				}
			}
			found = lookup(strings.TrimSpace(parts[0]), district)
		}
	}
	if k, ok := oneOf(found); ok {
		return k.String(), found, ""
	}
	switch {
	case len(found) == 0 && province == "":
		return "", nil, "commune " + quote(v) + " is not a known commune name"
	case len(found) == 0:
		return "", nil, "commune " + quote(v) + " is not a known commune of province " + province
	case province == "":
		return "", found, "commune " + quote(v) + " is given by name without a province, and several communes have that name"
	}
	return "", found, "commune name " + quote(v) + " is shared by several communes of province " + province
}

// byDistrict returns the communes of the district, when one is named.
func byDistrict(found []placeEntry, district string) []placeEntry {
	if district == "" {
		return nil
	}
	var in []placeEntry
	for _, e := range found {
		if e.district == district {
			in = append(in, e)
		}
	}
	return in
}

// oneOf returns the commune found when there is one, or when the current
// system has exactly one (a name of both systems means the current unit).
func oneOf(found []placeEntry) (units.Key, bool) {
	if len(found) == 1 {
		return found[0].key, true
	}
	var cur []placeEntry
	for _, e := range found {
		if !e.key.Legacy {
			cur = append(cur, e)
		}
	}
	if len(cur) == 1 && len(cur) < len(found) {
		return cur[0].key, true
	}
	return units.Key{}, false
}

// related returns the province, then those of the other system that
// overlap it: its successor, or its predecessors.
func (p *places) related(province string) []string {
	out := []string{province}
	if code, ok := strings.CutPrefix(province, units.LegacyPrefix); ok {
		if u, ok := p.reg.Successor(code); ok {
			out = append(out, u.Key().String())
		}
		return out
	}
	for _, u := range p.reg.Predecessors(province) {
		out = append(out, u.Key().String())
	}
	return out
}

// parentOf returns the province key of a commune key.
func (p *places) parentOf(commune string) string {
	u, ok := p.reg.Lookup(commune)
	if !ok {
		return ""
	}
	k, ok := u.ParentKey()
	if !ok {
		return ""
	}
	return k.String()
}

// sameArea reports whether a commune lies in a province, across systems.
func (p *places) sameArea(commune, province string) bool {
	parent := p.parentOf(commune)
	for _, r := range p.related(province) {
		if r == parent {
			return true
		}
	}
	return false
}

func prefix(legacy bool) string {
	if legacy {
		return units.LegacyPrefix
	}
	return ""
}

func system(legacy bool) string {
	if legacy {
		return "pre-2025"
	}
	return "current"
}

func quote(s string) string { return "'" + s + "'" }
