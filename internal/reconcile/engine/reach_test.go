package engine

import (
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/populus-vn/populus/internal/units"
)

// A run limited to a reach names no one outside it, in any output, and
// hands every PIN it names to Disclosed before writing it.
func TestReachLimitsCandidates(t *testing.T) {
	x := memIndex(t)
	unitOf := map[string]string{}
	for i := range x.People() {
		unitOf[x.Record(i).PIN()] = x.UnitOf(i)
	}
	province := func(u string) string { return units.Default().ProvinceOf(u) }
	if province(unitOf["001190000101"]) != "01" || province(unitOf["079085001234"]) != "79" {
		t.Fatalf("the golden register changed: %q %q", unitOf["001190000101"], unitOf["079085001234"])
	}
	text := base + "C1,Phan Văn Long,08/08/1970,Nữ,021111111,Phường Phú Lợi,Tỉnh Bình Dương\n"

	// The whole register: the Hà Nội person is found.
	_, all, _ := reconcileText(t, x, text, Config{})
	if all["S02"][3] != "001190000101" {
		t.Fatalf("without a reach S02 is %v", all["S02"])
	}

	var disclosed []string
	inReach := func(u string) bool { return province(u) == "79" }
	cfg := Config{Reach: inReach, Disclosed: func(pins []string) error {
		disclosed = append(disclosed, pins...)
		return nil
	}}
	_, got, corr := reconcileText(t, x, text, cfg)
	if d := got["S02"]; d[2] != "not_found" || d[3] != "" || d[6] != "" {
		t.Errorf("S02 out of reach: %v", d)
	}
	if got["S01"][3] != "079085001234" {
		t.Errorf("S01 within reach: %v", got["S01"])
	}
	pinRE := regexp.MustCompile(`\b\d{12}\b`)
	var named []string
	for _, d := range got {
		named = append(named, pinRE.FindAllString(strings.Join(d, ","), -1)...)
	}
	for _, c := range corr {
		named = append(named, c[4])
		if c[1] == "pin" {
			named = append(named, c[3])
		}
	}
	if len(named) == 0 {
		t.Fatal("no PIN in the outputs")
	}
	for _, p := range named {
		if p == "" {
			continue
		}
		if u, ok := unitOf[p]; ok && !inReach(u) {
			t.Errorf("PIN %s of unit %s is outside the reach", p, u)
		}
		if !slices.Contains(disclosed, p) {
			t.Errorf("PIN %s is in the outputs but was not disclosed", p)
		}
	}
	for _, p := range disclosed {
		if !inReach(unitOf[p]) {
			t.Errorf("disclosed PIN %s is outside the reach", p)
		}
	}
}
