package civil

import (
	"strings"

	"github.com/populus-vn/populus/internal/textfold"
)

// Ethnicity is one of the 54 ethnic groups (dân tộc) of Vietnam.
//
// Code is the two-digit code of Decision 121-TCTK/PPCĐ of 2 March 1979, the
// list the register and civil-status software use. It is not the order of the
// statistics office's later list (Decision 1019/QĐ-TCTK, 2008), which renumbers
// by size (04 Mường, 05 Khơ-me, 06 Hoa, …); data from census tables must be
// mapped by name, not by code.
//
// Population is the count at the census of 1 April 2019. It is there to weight
// generated data, not to be quoted: the 54 groups sum to 96,205,082 of the
// census's 96,208,984 (the rest are foreigners).
type Ethnicity struct {
	Code       string
	Name       string
	Population int
}

// Decision 121 ends 52 Brâu, 53 Ơ-đu, 54 Rơ-măm; some lists put Ơ-đu last
// because they are sorted by population, not by code.
var ethnicities = []Ethnicity{
	{"01", "Kinh", 82085826},
	{"02", "Tày", 1845492},
	{"03", "Thái", 1820950},
	{"04", "Hoa", 749466},
	{"05", "Khơ-me", 1319652},
	{"06", "Mường", 1452095},
	{"07", "Nùng", 1083298},
	{"08", "HMông", 1393547},
	{"09", "Dao", 891151},
	{"10", "Gia-rai", 513930},
	{"11", "Ngái", 1649},
	{"12", "Ê-đê", 398671},
	{"13", "Ba-na", 286910},
	{"14", "Xơ-đăng", 212277},
	{"15", "Sán Chay", 201398},
	{"16", "Cơ-ho", 200800},
	{"17", "Chăm", 178948},
	{"18", "Sán Dìu", 183004},
	{"19", "Hrê", 149460},
	{"20", "Mnông", 127334},
	{"21", "Ra-glai", 146613},
	{"22", "Xtiêng", 100752},
	{"23", "Bru-Vân Kiều", 94598},
	{"24", "Thổ", 91430},
	{"25", "Giáy", 67858},
	{"26", "Cơ-tu", 74173},
	{"27", "Gié-Triêng", 63322},
	{"28", "Mạ", 50322},
	{"29", "Khơ-mú", 90612},
	{"30", "Co", 40442},
	{"31", "Tà-ôi", 52356},
	{"32", "Chơ-ro", 29520},
	{"33", "Kháng", 16180},
	{"34", "Xinh-mun", 29503},
	{"35", "Hà Nhì", 25539},
	{"36", "Chu-ru", 23242},
	{"37", "Lào", 17532},
	{"38", "La Chí", 15126},
	{"39", "La Ha", 10157},
	{"40", "Phù Lá", 12471},
	{"41", "La Hủ", 12113},
	{"42", "Lự", 6757},
	{"43", "Lô Lô", 4827},
	{"44", "Chứt", 7513},
	{"45", "Mảng", 4650},
	{"46", "Pà Thẻn", 8248},
	{"47", "Cơ Lao", 4003},
	{"48", "Cống", 2729},
	{"49", "Bố Y", 3232},
	{"50", "Si La", 909},
	{"51", "Pu Péo", 903},
	{"52", "Brâu", 525},
	{"53", "Ơ-đu", 428},
	{"54", "Rơ-măm", 639},
}

// Other names that records and census tables use for the same groups. Spelling
// variants that differ only in accents, hyphens, spaces or apostrophes
// (Cờ Lao, Giẻ Triêng, M'Nông, Ê Đê) need no entry: nameKey already joins them.
var ethnicityAliases = map[string]string{
	"Việt":     "01",
	"Khmer":    "05",
	"Mông":     "08",
	"Hán":      "04",
	"Stiêng":   "22",
	"Vân Kiều": "23",
	"Bru":      "23",
	"Raglay":   "21",
	"Khmu":     "29",
	"Cao Lan":  "15",
}

var (
	ethnicityByCode = map[string]int{}
	ethnicityByKey  = map[string]int{}
)

func init() {
	for i, e := range ethnicities {
		ethnicityByCode[e.Code] = i
		ethnicityByKey[nameKey(e.Name)] = i
	}
	for alias, code := range ethnicityAliases {
		ethnicityByKey[nameKey(alias)] = ethnicityByCode[code]
	}
}

// Ethnicities returns the 54 groups in code order. The slice is a copy.
func Ethnicities() []Ethnicity {
	return append([]Ethnicity(nil), ethnicities...)
}

// EthnicityByCode looks a group up by its two-digit code ("08").
func EthnicityByCode(code string) (Ethnicity, bool) {
	i, ok := ethnicityByCode[code]
	if !ok {
		return Ethnicity{}, false
	}
	return ethnicities[i], true
}

// EthnicityByName looks a group up by name, ignoring case, accents, hyphens,
// spaces and apostrophes, so "Khơ-me", "khome" and "Khmer" all find 05.
func EthnicityByName(name string) (Ethnicity, bool) {
	i, ok := ethnicityByKey[nameKey(name)]
	if !ok {
		return Ethnicity{}, false
	}
	return ethnicities[i], true
}

// nameKey folds a group or religion name and drops everything but letters and
// digits: the same name is written "Ê-đê", "Ê Đê" and "Êđê" in real records.
func nameKey(s string) string {
	return strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' {
			return r
		}
		return -1
	}, textfold.Fold(s))
}
