package units

import (
	"slices"
	"strings"
	"testing"
	"time"
)

func TestDefaultIsShared(t *testing.T) {
	if Default() != Default() {
		t.Fatal("Default returned two registries")
	}
}

func TestCounts(t *testing.T) {
	r := Default()
	if n := len(r.Provinces()); n != 34 {
		t.Errorf("%d provinces, want 34", n)
	}
	if n := len(r.LegacyProvinces()); n != 63 {
		t.Errorf("%d legacy provinces, want 63", n)
	}
	types := map[string]int{}
	for _, p := range r.Provinces() {
		for _, c := range r.Communes(p.Code) {
			types[c.Type]++
		}
	}
	// Official breakdown of the 3,321: 2,621 xã, 687 phường, 13 đặc khu.
	if want := map[string]int{"Xã": 2621, "Phường": 687, "Đặc khu": 13}; !mapsEqual(types, want) {
		t.Errorf("commune types %v, want %v", types, want)
	}
	legacy := map[string]int{}
	for _, p := range r.LegacyProvinces() {
		for _, c := range r.LegacyCommunes(p.Code) {
			legacy[c.Type]++
		}
	}
	if want := map[string]int{"Xã": 7691, "Phường": 1726, "Thị trấn": 617}; !mapsEqual(legacy, want) {
		t.Errorf("legacy commune types %v, want %v", legacy, want)
	}
}

func mapsEqual(a, b map[string]int) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

// Communes per province as published with Decision 19/2025/QĐ-TTg and the
// commune resolutions of 16 June 2025.
var communesPerProvince = map[string]int{
	"01": 126, "04": 56, "08": 124, "11": 45, "12": 38, "14": 75, "15": 99, "19": 92, "20": 65,
	"22": 54, "24": 99, "25": 148, "31": 114, "33": 104, "37": 129, "38": 166, "40": 130, "42": 69,
	"44": 78, "46": 40, "48": 94, "51": 96, "52": 135, "56": 65, "66": 102, "68": 124, "75": 95,
	"79": 168, "80": 96, "82": 102, "86": 124, "91": 102, "92": 103, "96": 64,
}

func TestCommunesPerProvince(t *testing.T) {
	r := Default()
	for code, want := range communesPerProvince {
		if got := len(r.Communes(code)); got != want {
			t.Errorf("province %s: %d communes, want %d", code, got, want)
		}
	}
	if r.Communes("99") != nil || r.Communes("old:01") != nil {
		t.Error("Communes of a non-province is not nil")
	}
}

func TestCodes(t *testing.T) {
	r := Default()
	check := func(units []Unit, legacy bool, level Level, n int) {
		t.Helper()
		seen := map[string]bool{}
		for _, u := range units {
			if len(u.Code) != n || !digits(u.Code) {
				t.Errorf("%v: code is not %d digits", u, n)
			}
			if seen[u.Code] {
				t.Errorf("%v: duplicate code", u)
			}
			seen[u.Code] = true
			if u.Legacy != legacy || u.Level != level {
				t.Errorf("%v: legacy %v level %v", u, u.Legacy, u.Level)
			}
			if got, ok := r.Lookup(u.Key().String()); !ok || got != u {
				t.Errorf("Lookup(%q) = %v, %v", u.Key(), got, ok)
			}
			if u.Name == "" || strings.TrimSpace(u.Name) != u.Name || strings.Contains(u.Name, "  ") {
				t.Errorf("%v: bad name %q", u, u.Name)
			}
		}
	}
	check(r.Provinces(), false, LevelProvince, 2)
	check(r.LegacyProvinces(), true, LevelProvince, 2)
	var communes, legacy []Unit
	for _, p := range r.Provinces() {
		communes = append(communes, r.Communes(p.Code)...)
	}
	for _, p := range r.LegacyProvinces() {
		legacy = append(legacy, r.LegacyCommunes(p.Code)...)
	}
	check(communes, false, LevelCommune, 5)
	check(legacy, true, LevelCommune, 5)
	if len(communes) != 3321 || len(legacy) != 10034 {
		t.Errorf("%d communes, %d legacy communes", len(communes), len(legacy))
	}
}

func TestParents(t *testing.T) {
	r := Default()
	for _, p := range r.Provinces() {
		if _, ok := p.ParentKey(); ok {
			t.Errorf("%v has a parent", p)
		}
		cs := r.Communes(p.Code)
		if !slices.IsSortedFunc(cs, func(a, b Unit) int { return strings.Compare(a.Code, b.Code) }) {
			t.Errorf("communes of %s not in code order", p.Code)
		}
		for _, c := range cs {
			k, ok := c.ParentKey()
			parent, found := r.Lookup(k.String())
			if !ok || !found || parent != p {
				t.Errorf("%v: parent %v %v, want %v", c, parent, found, p)
			}
		}
	}
	for _, p := range r.LegacyProvinces() {
		cs := r.LegacyCommunes(p.Code)
		if len(cs) == 0 {
			t.Errorf("%v has no communes", p)
		}
		for _, c := range cs {
			k, _ := c.ParentKey()
			if parent, ok := r.Lookup(k.String()); !ok || parent.Key() != p.Key() || c.District == "" {
				t.Errorf("%v: parent %v, district %q", c, parent, c.District)
			}
		}
	}
}

// The merger of Resolution 202/2025/QH15: new province <- old provinces.
var merger = map[string][]string{
	"01": {"01"}, "04": {"04"}, "08": {"02", "08"}, "11": {"11"}, "12": {"12"}, "14": {"14"},
	"15": {"10", "15"}, "19": {"06", "19"}, "20": {"20"}, "22": {"22"}, "24": {"24", "27"},
	"25": {"17", "25", "26"}, "31": {"30", "31"}, "33": {"33", "34"}, "37": {"35", "36", "37"},
	"38": {"38"}, "40": {"40"}, "42": {"42"}, "44": {"44", "45"}, "46": {"46"}, "48": {"48", "49"},
	"51": {"51", "62"}, "52": {"52", "64"}, "56": {"56", "58"}, "66": {"54", "66"},
	"68": {"60", "67", "68"}, "75": {"70", "75"}, "79": {"74", "77", "79"}, "80": {"72", "80"},
	"82": {"82", "87"}, "86": {"83", "84", "86"}, "91": {"89", "91"}, "92": {"92", "93", "94"},
	"96": {"95", "96"},
}

func TestProvinceMapping(t *testing.T) {
	r := Default()
	for _, old := range r.LegacyProvinces() {
		s, ok := r.Successor(old.Code)
		if !ok || s.Legacy || s.Level != LevelProvince {
			t.Errorf("Successor(%s) = %v, %v", old.Code, s, ok)
			continue
		}
		if !slices.Contains(merger[s.Code], old.Code) {
			t.Errorf("%v became %v, not per Resolution 202", old, s)
		}
	}
	total := 0
	for _, p := range r.Provinces() {
		var got []string
		for _, u := range r.Predecessors(p.Code) {
			if !u.Legacy || u.Level != LevelProvince {
				t.Errorf("predecessor %v of %v is not a legacy province", u, p)
			}
			got = append(got, u.Code)
		}
		total += len(got)
		if !slices.Equal(got, merger[p.Code]) {
			t.Errorf("Predecessors(%s) = %v, want %v", p.Code, got, merger[p.Code])
		}
	}
	if total != 63 {
		t.Errorf("%d predecessors in all, want 63", total)
	}
	// The three forms of an old code, and the new code of a renamed seat.
	for _, in := range []string{"10", "010", "old:10", " old:010 "} {
		if s, ok := r.Successor(in); !ok || s.Code != "15" || s.Name != "Lào Cai" {
			t.Errorf("Successor(%q) = %v, %v; want 15 Lào Cai", in, s, ok)
		}
	}
	if _, ok := r.Successor("99"); ok {
		t.Error("Successor of an unknown code")
	}
}

func TestCommuneMapping(t *testing.T) {
	r := Default()
	for _, p := range r.LegacyProvinces() {
		prov, _ := r.Successor(p.Code)
		for _, c := range r.LegacyCommunes(p.Code) {
			s, ok := r.Successor(c.Key().String())
			if !ok || s.Legacy || s.Level != LevelCommune || s.ParentCode != prov.Code {
				t.Errorf("Successor(%v) = %v, %v; want a commune of %v", c, s, ok, prov)
			}
		}
	}
	var unmapped []string
	for _, p := range r.Provinces() {
		for _, c := range r.Communes(p.Code) {
			for _, old := range r.Predecessors(c.Code) {
				if s, _ := r.Successor(old.Key().String()); s != c {
					t.Errorf("%v is a predecessor of %v but succeeded by %v", old, c, s)
				}
			}
			if len(r.Predecessors(c.Code)) == 0 {
				unmapped = append(unmapped, c.Code)
			}
		}
	}
	// Five special zones were island districts without communes; the
	// source has no predecessor for Xã Ia Mơ (23737, Gia Lai).
	if want := []string{"11948", "19742", "20333", "21548", "23737", "26732"}; !slices.Equal(unmapped, want) {
		t.Errorf("communes without predecessors %v, want %v", unmapped, want)
	}
	got := r.Predecessors("00004")
	if len(got) == 0 || got[0].Code != "00004" || got[0].Name != "Trúc Bạch" {
		t.Errorf("Predecessors(00004) = %v", got)
	}
}

func TestSpotChecks(t *testing.T) {
	r := Default()
	cases := []struct{ key, full, parent string }{
		{"00004", "Phường Ba Đình", "01"},
		{"00070", "Phường Hoàn Kiếm", "01"},
		{"26743", "Phường Bến Thành", "79"},
		{"26740", "Phường Sài Gòn", "79"},
		{"22736", "Đặc khu Trường Sa", "56"},
		{"20333", "Đặc khu Hoàng Sa", "48"},
		{"31078", "Đặc khu Phú Quốc", "91"},
		{"24280", "Xã Cư M’gar", "66"},
		{"01", "Thành phố Hà Nội", ""},
		{"79", "Thành phố Hồ Chí Minh", ""},
		{"96", "Tỉnh Cà Mau", ""},
		// New provinces take the code of the unit holding their seat,
		// not always of the one they are named after.
		{"15", "Tỉnh Lào Cai", ""},
		{"24", "Tỉnh Bắc Ninh", ""},
		{"44", "Tỉnh Quảng Trị", ""},
		{"52", "Tỉnh Gia Lai", ""},
		{"80", "Tỉnh Tây Ninh", ""},
		{"82", "Tỉnh Đồng Tháp", ""},
		{"91", "Tỉnh An Giang", ""},
		{"old:15", "Tỉnh Yên Bái", ""},
		{"old:10", "Tỉnh Lào Cai", ""},
		{"old:77", "Tỉnh Bà Rịa - Vũng Tàu", ""},
		{"old:00004", "Phường Trúc Bạch", "01"},
		{"old:26743", "Phường Bến Thành", "79"},
	}
	for _, c := range cases {
		u, ok := r.Lookup(c.key)
		if !ok || u.FullName() != c.full || u.ParentCode != c.parent {
			t.Errorf("Lookup(%q) = %v (parent %q), %v; want %s in %q", c.key, u, u.ParentCode, ok, c.full, c.parent)
		}
	}
	if u, _ := r.Lookup("old:00004"); u.District != "Quận Ba Đình" {
		t.Errorf("old:00004 district %q", u.District)
	}
	for _, bad := range []string{"", "1", "001", "0004", "000004", "99", "00000", "old:99", "new:01", "ab"} {
		if u, ok := r.Lookup(bad); ok {
			t.Errorf("Lookup(%q) = %v", bad, u)
		}
	}
}

func TestPopulation(t *testing.T) {
	total := 0
	for _, p := range Default().Provinces() {
		if p.Population < 400_000 || p.Population > 15_000_000 {
			t.Errorf("%v: population %d", p, p.Population)
		}
		total += p.Population
	}
	if total != 113_571_926 {
		t.Errorf("total population %d, want 113,571,926 (sum of the published figures)", total)
	}
	if hcm, _ := Default().Lookup("79"); hcm.Population != 14_002_598 {
		t.Errorf("TP Hồ Chí Minh population %d", hcm.Population)
	}
}

// The annex of Circular 07/2016/TT-BCA as given in the domain brief.
const birthCodes = `001 Hà Nội, 002 Hà Giang, 004 Cao Bằng, 006 Bắc Kạn, 008 Tuyên Quang, 010 Lào Cai, 011 Điện Biên,
012 Lai Châu, 014 Sơn La, 015 Yên Bái, 017 Hòa Bình, 019 Thái Nguyên, 020 Lạng Sơn, 022 Quảng Ninh,
024 Bắc Giang, 025 Phú Thọ, 026 Vĩnh Phúc, 027 Bắc Ninh, 030 Hải Dương, 031 Hải Phòng, 033 Hưng Yên,
034 Thái Bình, 035 Hà Nam, 036 Nam Định, 037 Ninh Bình, 038 Thanh Hóa, 040 Nghệ An, 042 Hà Tĩnh,
044 Quảng Bình, 045 Quảng Trị, 046 Thừa Thiên Huế, 048 Đà Nẵng, 049 Quảng Nam, 051 Quảng Ngãi,
052 Bình Định, 054 Phú Yên, 056 Khánh Hòa, 058 Ninh Thuận, 060 Bình Thuận, 062 Kon Tum, 064 Gia Lai,
066 Đắk Lắk, 067 Đắk Nông, 068 Lâm Đồng, 070 Bình Phước, 072 Tây Ninh, 074 Bình Dương, 075 Đồng Nai,
077 Bà Rịa–Vũng Tàu, 079 TP Hồ Chí Minh, 080 Long An, 082 Tiền Giang, 083 Bến Tre, 084 Trà Vinh,
086 Vĩnh Long, 087 Đồng Tháp, 089 An Giang, 091 Kiên Giang, 092 Cần Thơ, 093 Hậu Giang,
094 Sóc Trăng, 095 Bạc Liêu, 096 Cà Mau`

func TestBirthRegistration(t *testing.T) {
	r := Default()
	entries := strings.Split(strings.ReplaceAll(birthCodes, "\n", " "), ",")
	if len(entries) != 63 {
		t.Fatalf("%d entries in the annex", len(entries))
	}
	for _, e := range entries {
		code, name, _ := strings.Cut(strings.TrimSpace(e), " ")
		u, ok := r.ProvinceOfBirthRegistration(code)
		if !ok || !u.Legacy || u.Level != LevelProvince || "0"+u.Code != code {
			t.Errorf("ProvinceOfBirthRegistration(%s) = %v, %v", code, u, ok)
			continue
		}
		// The annex names units as they were in 2016.
		then, _ := r.AsOf(u.Key().String(), Date{2016, time.January, 1})
		if _, want := stripType(normalize(name)); normalize(then.Name) != want {
			t.Errorf("%s: %q, annex says %q", code, then.Name, name)
		}
		if l, ok := r.LookupLegacyProvince(code); !ok || l != u {
			t.Errorf("LookupLegacyProvince(%s) = %v", code, l)
		}
	}
	for _, bad := range []string{"003", "01", "0001", "097", "", "abc"} {
		if u, ok := r.ProvinceOfBirthRegistration(bad); ok {
			t.Errorf("ProvinceOfBirthRegistration(%q) = %v", bad, u)
		}
	}
}

func TestLegacyProvinceForms(t *testing.T) {
	r := Default()
	for _, in := range []string{"33", "033", "old:33", "old:033"} {
		if u, ok := r.LookupLegacyProvince(in); !ok || u.Name != "Hưng Yên" || !u.Legacy {
			t.Errorf("LookupLegacyProvince(%q) = %v, %v", in, u, ok)
		}
	}
	for _, bad := range []string{"00004", "old:00004", "3", "133", "99"} {
		if u, ok := r.LookupLegacyProvince(bad); ok {
			t.Errorf("LookupLegacyProvince(%q) = %v", bad, u)
		}
	}
	if cs := r.LegacyCommunes("001"); len(cs) != len(r.LegacyCommunes("old:01")) || len(cs) == 0 {
		t.Errorf("LegacyCommunes forms disagree")
	}
}

func TestEffectiveDates(t *testing.T) {
	r := Default()
	for _, p := range r.Provinces() {
		if p.ValidFrom != ReorganisedOn || !p.ValidTo.IsZero() {
			t.Errorf("%v valid %s..%s", p, p.ValidFrom, p.ValidTo)
		}
	}
	for _, c := range r.Communes("01") {
		if c.ValidFrom != ReorganisedOn || !c.ValidTo.IsZero() {
			t.Errorf("%v valid %s..%s", c, c.ValidFrom, c.ValidTo)
		}
	}
	for _, p := range r.LegacyProvinces() {
		if p.ValidTo != LastLegacyDay {
			t.Errorf("%v valid to %s", p, p.ValidTo)
		}
	}
	for _, c := range r.LegacyCommunes("79") {
		if !c.ValidFrom.IsZero() || c.ValidTo != LastLegacyDay {
			t.Errorf("%v valid %s..%s", c, c.ValidFrom, c.ValidTo)
		}
	}
	cases := []struct {
		key  string
		day  Date
		want string // full name in force, "" for none
	}{
		{"01", LastLegacyDay, ""},
		{"01", ReorganisedOn, "Thành phố Hà Nội"},
		{"01", Date{2040, time.January, 1}, "Thành phố Hà Nội"},
		{"old:01", LastLegacyDay, "Thành phố Hà Nội"},
		{"old:01", ReorganisedOn, ""},
		{"old:01", Date{2008, time.July, 31}, ""},
		{"old:46", Date{2024, time.December, 31}, "Tỉnh Thừa Thiên Huế"},
		{"old:46", Date{2025, time.January, 1}, "Thành phố Huế"},
		{"old:46", ReorganisedOn, ""},
		{"46", ReorganisedOn, "Thành phố Huế"},
		{"old:00004", Date{1990, time.May, 1}, "Phường Trúc Bạch"},
		{"old:00004", ReorganisedOn, ""},
		{"00004", LastLegacyDay, ""},
		{"00004", ReorganisedOn, "Phường Ba Đình"},
		{"nonsense", ReorganisedOn, ""},
	}
	for _, c := range cases {
		u, ok := r.AsOf(c.key, c.day)
		if got := map[bool]string{true: u.FullName()}[ok]; got != c.want {
			t.Errorf("AsOf(%q, %s) = %q, want %q", c.key, c.day, got, c.want)
		}
	}
	if u, _ := r.LookupLegacyProvince("46"); u.Name != "Huế" {
		t.Errorf("latest version of old:46 is %v", u)
	}
}

func TestDate(t *testing.T) {
	d, err := ParseDate("2025-07-01")
	if err != nil || d != ReorganisedOn || d.String() != "2025-07-01" {
		t.Errorf("ParseDate = %v, %v", d, err)
	}
	for _, bad := range []string{"", "2025-02-30", "2025-7-1", "2025/07/01", "20250701xx", "2025-13-01"} {
		if _, err := ParseDate(bad); err == nil {
			t.Errorf("ParseDate(%q) succeeded", bad)
		}
	}
	if !LastLegacyDay.Before(ReorganisedOn) || ReorganisedOn.Before(LastLegacyDay) || ReorganisedOn.Before(ReorganisedOn) {
		t.Error("Before is wrong")
	}
	vn := time.FixedZone("ICT", 7*3600)
	if got := DateOf(time.Date(2025, 6, 30, 17, 30, 0, 0, time.UTC).In(vn)); got != ReorganisedOn {
		t.Errorf("DateOf = %v", got)
	}
	if (Date{}).String() != "" || !(Date{}).IsZero() {
		t.Error("zero Date")
	}
}

func TestParseKey(t *testing.T) {
	valid := map[string]Key{
		"01":          {"01", false},
		"00004":       {"00004", false},
		" 79 ":        {"79", false},
		"old:15":      {"15", true},
		"old:015":     {"15", true},
		"old:00004":   {"00004", true},
		"old:99":      {"99", true}, // well formed, even if no such unit
		"12345":       {"12345", false},
		"old:96":      {"96", true},
		"\told:001\n": {"01", true},
	}
	for in, want := range valid {
		got, err := ParseKey(in)
		if err != nil || got != want {
			t.Errorf("ParseKey(%q) = %v, %v; want %v", in, got, err, want)
		}
		if back, err := ParseKey(got.String()); err != nil || back != got {
			t.Errorf("ParseKey(%q) does not round-trip: %v, %v", got, back, err)
		}
	}
	for _, in := range []string{"", "1", "001", "0004", "000004", "old:", "old:1", "old:101", "OLD:01", "old:old:01", "+1", "0x1", "٠١", "01 ", "old: 01"} {
		if in == "01 " {
			continue // surrounding space is trimmed; checked above
		}
		if k, err := ParseKey(in); err == nil {
			t.Errorf("ParseKey(%q) = %v, want an error", in, k)
		}
	}
	if k, _ := ParseKey("old:15"); k.Level() != LevelProvince || k.String() != "old:15" {
		t.Errorf("key %v", k)
	}
	if LevelCommune.String() != "commune" || Level(9).String() != "Level(9)" {
		t.Error("Level.String")
	}
}

func TestReturnedSlicesAreCopies(t *testing.T) {
	r := Default()
	p := r.Provinces()
	p[0].Name = "changed"
	c := r.Communes("01")
	c[0].Name = "changed"
	s := r.Search("ba dinh", 1)
	s[0].Name = "changed"
	if u, _ := r.Lookup("01"); u.Name != "Hà Nội" {
		t.Error("Provinces leaked internal storage")
	}
	if u, _ := r.Lookup("00004"); u.Name != "Ba Đình" {
		t.Error("Communes or Search leaked internal storage")
	}
}
