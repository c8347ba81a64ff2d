package civil

import (
	"fmt"
	"testing"

	"github.com/populus-vn/populus/internal/textfold"
)

func TestEthnicities(t *testing.T) {
	all := Ethnicities()
	if len(all) != 54 {
		t.Fatalf("%d ethnic groups, want 54", len(all))
	}
	names := map[string]string{}
	sum := 0
	for i, e := range all {
		if want := fmt.Sprintf("%02d", i+1); e.Code != want {
			t.Errorf("group %d has code %q, want %q (codes run 01–54 in order)", i, e.Code, want)
		}
		f := textfold.Fold(e.Name)
		if other, dup := names[f]; dup {
			t.Errorf("%s and %s fold to the same name %q", other, e.Code, f)
		}
		names[f] = e.Code
		if e.Population <= 0 {
			t.Errorf("%s %s has no population", e.Code, e.Name)
		}
		sum += e.Population
	}
	// The census counted 96,208,984 people; the groups leave out only foreigners.
	if sum > 96208984 || sum < 96200000 {
		t.Errorf("populations sum to %d, not just under the census's 96,208,984", sum)
	}
	all[0].Name = "changed"
	if e, _ := EthnicityByCode("01"); e.Name != "Kinh" {
		t.Error("Ethnicities returned the package's own slice")
	}
}

func TestEthnicityLookup(t *testing.T) {
	for code, name := range map[string]string{"01": "Kinh", "05": "Khơ-me", "08": "HMông", "53": "Ơ-đu", "54": "Rơ-măm"} {
		e, ok := EthnicityByCode(code)
		if !ok || e.Name != name {
			t.Errorf("EthnicityByCode(%q) = %v, %v; want %s", code, e, ok, name)
		}
	}
	for _, code := range []string{"", "0", "00", "55", "1", "abc"} {
		if e, ok := EthnicityByCode(code); ok {
			t.Errorf("EthnicityByCode(%q) = %v", code, e)
		}
	}
	byName := map[string]string{
		"Kinh": "01", "KINH": "01", "Việt": "01",
		"Khơ-me": "05", "Khơ me": "05", "khome": "05", "Khmer": "05",
		"HMông": "08", "H'Mông": "08", "Mông": "08", "hmong": "08",
		"Ê-đê": "12", "Ê Đê": "12", "ede": "12",
		"Cờ Lao": "47", "Cơ Lao": "47",
		"Giẻ Triêng": "27", "M'Nông": "20", "X'Tiêng": "22", "Stiêng": "22",
		"Bru - Vân Kiều": "23", "Tà Ôi": "31", "Ơ Đu": "53", "Rơ Măm": "54",
		"  lào ": "37", "La Ha": "39", "La Hủ": "41", "Lự": "42",
	}
	for name, code := range byName {
		e, ok := EthnicityByName(name)
		if !ok || e.Code != code {
			t.Errorf("EthnicityByName(%q) = %v, %v; want code %s", name, e, ok, code)
		}
	}
	for _, name := range []string{"", "người nước ngoài", "Kinh Tày", "-"} {
		if e, ok := EthnicityByName(name); ok {
			t.Errorf("EthnicityByName(%q) = %v", name, e)
		}
	}
}

func TestEthnicityAliasesDoNotCollide(t *testing.T) {
	for alias, code := range ethnicityAliases {
		for _, e := range ethnicities {
			if nameKey(e.Name) == nameKey(alias) && e.Code != code {
				t.Errorf("alias %q of %s reads as %s %s", alias, code, e.Code, e.Name)
			}
		}
	}
}

func TestReligions(t *testing.T) {
	all := Religions()
	if len(all) != 17 {
		t.Fatalf("%d religions, want none plus the 16 recognised", len(all))
	}
	names := map[string]string{}
	followers := 0
	for i, r := range all {
		if want := fmt.Sprintf("%02d", i); r.Code != want {
			t.Errorf("religion %d has code %q, want %q", i, r.Code, want)
		}
		f := nameKey(r.Name)
		if other, dup := names[f]; dup {
			t.Errorf("%s and %s have the same name key %q", other, r.Code, f)
		}
		names[f] = r.Code
		if r.Adherents <= 0 {
			t.Errorf("%s %s has no adherents", r.Code, r.Name)
		}
		if r.Code != "00" {
			followers += r.Adherents
		}
	}
	// 96,208,984 people, 83,046,105 of them following none: 13,162,879 followers.
	if d := followers - 13162879; d < -1000 || d > 1000 {
		t.Errorf("followers sum to %d, %+d off the census's 13,162,879", followers, d)
	}
	for name, code := range map[string]string{
		"Không": "00", "không tôn giáo": "00", "Phật giáo": "01", "Thiên Chúa giáo": "02",
		"Công giáo": "02", "Tin Lành": "08", "Hòa Hảo": "03", "Baha'i": "12", "Bahá'í": "12",
		"Bà la môn": "13", "Mormon": "14", "Cao Đài": "05", "Tịnh độ cư sĩ Phật hội": "09",
	} {
		r, ok := ReligionByName(name)
		if !ok || r.Code != code {
			t.Errorf("ReligionByName(%q) = %v, %v; want code %s", name, r, ok, code)
		}
	}
	if r, ok := ReligionByCode("05"); !ok || r.Name != "Cao Đài" {
		t.Errorf("ReligionByCode(05) = %v, %v", r, ok)
	}
	if _, ok := ReligionByCode("17"); ok {
		t.Error("ReligionByCode(17) found something")
	}
	for alias, code := range religionAliases {
		for _, r := range religions {
			if nameKey(r.Name) == nameKey(alias) && r.Code != code {
				t.Errorf("alias %q of %s reads as %s %s", alias, code, r.Code, r.Name)
			}
		}
	}
}
