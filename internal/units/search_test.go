package units

import (
	"fmt"
	"strings"
	"testing"
)

func keys(us []Unit) []string {
	var out []string
	for _, u := range us {
		out = append(out, u.Key().String())
	}
	return out
}

func TestSearchFindsBaDinh(t *testing.T) {
	r := Default()
	for _, q := range []string{"ba dinh", "Ba Đình", "BA ĐÌNH", "Phường Ba Đình", "phuong ba dinh", "P. Ba Đình", "p.ba dinh", "  ba   dinh "} {
		got := r.Search(q, 3)
		if len(got) == 0 || got[0].Code != "00004" {
			t.Errorf("Search(%q) = %v, want 00004 Phường Ba Đình first", q, got)
		}
	}
	// Without a type word the ward still comes first (lower code), with
	// "xã" the commune of the same name in Thanh Hóa does.
	if got := r.Search("Xã Ba Đình", 1); len(got) != 1 || got[0].FullName() != "Xã Ba Đình" {
		t.Errorf("Search(Xã Ba Đình) = %v", got)
	}
}

func TestSearchProvinces(t *testing.T) {
	r := Default()
	cases := map[string]string{
		"Hồ Chí Minh":           "79",
		"thanh pho ho chi minh": "79",
		"TP. Hồ Chí Minh":       "79",
		"TP.HCM":                "79",
		"tphcm":                 "79",
		"tinh ca mau":           "96",
		"Tỉnh Cà Mau":           "96",
		"ha noi":                "01",
		"Đắk Lắk":               "66",
		"dak lak":               "66",
		"Khánh Hoà":             "56", // old-style tone placement
		"hue":                   "46",
	}
	for q, want := range cases {
		if got := r.Search(q, 5); len(got) == 0 || got[0].Code != want {
			t.Errorf("Search(%q) = %v, want %s first", q, keys(got), want)
		}
	}
}

func TestSearchOrder(t *testing.T) {
	r := Default()
	// "Tịnh Biên" is a name, although "tịnh" folds like "tỉnh".
	if got := r.Search("Tịnh Biên", 1); len(got) != 1 || got[0].Code != "30520" {
		t.Errorf("Search(Tịnh Biên) = %v", got)
	}
	got := r.Search("hue", 50)
	if len(got) < 2 || got[0].Code != "46" {
		t.Fatalf("Search(hue) = %v", got)
	}
	// Exact, then prefix, then substring.
	tier := func(u Unit) int {
		n := normalize(u.Name)
		switch {
		case n == "hue":
			return tierExact
		case strings.HasPrefix(n, "hue"):
			return tierPrefix
		}
		return tierSubstring
	}
	for i := 1; i < len(got); i++ {
		if tier(got[i]) < tier(got[i-1]) {
			t.Errorf("Search(hue): %v ranked after %v", got[i], got[i-1])
		}
	}
	if n := len(r.Search("an", 7)); n != 7 {
		t.Errorf("limit 7 gave %d", n)
	}
	for _, q := range []string{"", "   ", "...", "zzzz qqq"} {
		if got := r.Search(q, 5); len(got) != 0 {
			t.Errorf("Search(%q) = %v, want none", q, got)
		}
	}
	if got := r.Search("ba dinh", 0); got != nil {
		t.Errorf("limit 0 gave %v", got)
	}
	for _, u := range r.Search("an", 100) {
		if u.Legacy {
			t.Errorf("Search returned legacy unit %v", u)
		}
	}
}

func TestSearchPunctuation(t *testing.T) {
	r := Default()
	cases := map[string]string{
		"cu mgar":                 "24280", // Xã Cư M’gar
		"Cư M'gar":                "24280",
		"Văn Miếu Quốc Tử Giám":   "00226",
		"van mieu - quoc tu giam": "00226",
		"xuan huong da lat":       "24781", // Phường Xuân Hương - Đà Lạt
		"Đặc khu Phú Quốc":        "31078",
		"Phường 1 Bảo Lộc":        "24823",
		"B'Lao":                   "24829",
		"blao":                    "24829",
	}
	for q, want := range cases {
		if got := r.Search(q, 3); len(got) == 0 || got[0].Code != want {
			t.Errorf("Search(%q) = %v, want %s first", q, keys(got), want)
		}
	}
}

func TestSearchLegacy(t *testing.T) {
	r := Default()
	got := r.SearchLegacy("Thừa Thiên Huế", 3)
	if len(got) == 0 || got[0].Key().String() != "old:46" || got[0].Name != "Thừa Thiên Huế" {
		t.Errorf("SearchLegacy(Thừa Thiên Huế) = %v", got)
	}
	got = r.SearchLegacy("Bà Rịa–Vũng Tàu", 3)
	if len(got) == 0 || got[0].Key().String() != "old:77" {
		t.Errorf("SearchLegacy(Bà Rịa–Vũng Tàu) = %v", got)
	}
	got = r.SearchLegacy("phuong truc bach", 3)
	if len(got) == 0 || got[0].Key().String() != "old:00004" {
		t.Errorf("SearchLegacy(phuong truc bach) = %v", got)
	}
	for _, u := range r.SearchLegacy("an", 100) {
		if !u.Legacy {
			t.Errorf("SearchLegacy returned current unit %v", u)
		}
	}
	if got := r.Search("Thừa Thiên Huế", 3); len(got) != 0 {
		t.Errorf("Search found a legacy name: %v", got)
	}
}

func TestNormalize(t *testing.T) {
	cases := map[string]string{
		"Phường Ba Đình":   "phuong ba dinh",
		"P.Ba Đình":        "p ba dinh",
		"Bà Rịa–Vũng Tàu":  "ba ria vung tau",
		"Cư M’gar":         "cu mgar",
		"  TP.  HCM  ":     "tp hcm",
		"Đặc khu Côn Đảo!": "dac khu con dao",
		"":                 "",
	}
	for in, want := range cases {
		if got := normalize(in); got != want {
			t.Errorf("normalize(%q) = %q, want %q", in, got, want)
		}
	}
}

func ExampleRegistry_Search() {
	for _, u := range Default().Search("P. Ba Đình", 2) {
		fmt.Println(u.Code, u.FullName(), u.ParentCode)
	}
	// Output:
	// 00004 Phường Ba Đình 01
	// 16171 Xã Ba Đình 38
}

func ExampleRegistry_Successor() {
	r := Default()
	old, _ := r.ProvinceOfBirthRegistration("010")
	now, _ := r.Successor(old.Key().String())
	fmt.Println(old.Key(), old.FullName(), "->", now.Key(), now.FullName())
	// Output: old:10 Tỉnh Lào Cai -> 15 Tỉnh Lào Cai
}

func TestConcurrentFirstSearch(t *testing.T) {
	r, err := load()
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan []Unit)
	for i := range 8 {
		go func() {
			if i%2 == 0 {
				done <- r.Search("ba dinh", 1)
			} else {
				done <- r.SearchLegacy("truc bach", 1)
			}
		}()
	}
	for range 8 {
		if got := <-done; len(got) != 1 {
			t.Errorf("concurrent search gave %v", got)
		}
	}
}
