package engine

import (
	"strings"
	"testing"
)

// TestProbesFindWhatKeysMiss: records whose every blocking key misses the
// right person (typos in the surname and the given name, no province)
// find them through the fallback probes: a PIN one digit off, the given
// name with every day of a year-only date, the date of birth and sex in
// every province, an over-large key filtered by the date of birth, and a
// name of two words with the register's common middle names put back (also
// when other keys found candidates, if the record names a province).
func TestProbesFindWhatKeysMiss(t *testing.T) {
	x := memIndex(t)
	text := header +
		"P1,Pham Van Lonh,08/08/1970,,079070001011,,\n" + // Phan Văn Long's PIN, last digit wrong
		"P2,Dyong Thi Lan,1978,Nữ,,,\n" + // Dương Thị Lan, 12/12/1978: given name and year
		"P3,Dko Van Hunq,05/05/1965,Nam,,,\n" + // Đỗ Văn Hùng: date of birth and sex, no province
		"P4,Nguyen Vn Ann,20/04/1985,,,,\n" + // Nguyễn Văn Anh: Nguyễn and 1985 held by 3 > MaxBlock
		"P5,Lý Thu,,Nữ,,,79\n" + // Lý Thị Thu: no date, middle name lost
		// Lý Thị Thu again, with a candidate of its own (the PIN is
		// Nguyễn Văn Anh's): the middle names are put back all the same.
		"P6,Lý Thu,,Nữ,079085001235,,79\n"
	want := map[string]string{"P1": "079070001010", "P2": "079178001414", "P3": "001065001313", "P4": "079085001235", "P5": "079199001212", "P6": "079199001212"}
	sum, got, _ := reconcileText(t, x, text, Config{MaxBlock: 2})
	for id, pin := range want {
		if d := got[id]; !strings.Contains(d[6], pin) {
			t.Errorf("%s: candidates %q, want %s among them (%v)", id, d[6], pin, d)
		}
	}
	var probed int64
	for _, r := range sum.Blocking.Rules {
		probed += r.ProbedPairs
		if r.Name == "family_year" && r.FilteredRecords == 0 {
			t.Errorf("family_year: no over-large key filtered: %+v", r)
		}
	}
	if probed < int64(len(want)) {
		t.Errorf("%d probed pairs, want at least %d", probed, len(want))
	}
}
