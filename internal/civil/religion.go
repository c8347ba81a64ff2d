package civil

// Religion is a religion (tôn giáo) recognised by the State, or "Không" for a
// person who follows none of them.
//
// Codes 01–14 are those of the statistics office's list of religions (Decision
// 1019/QĐ-TCTK of 2008; 14, the Latter-day Saints, added after their
// recognition in 2014). The Seventh-day Adventists, listed under 08 Tin lành
// in 2008, and Phật giáo Hiếu Nghĩa Tà Lơn were recognised as religions of
// their own later; 15 and 16 are Populus's codes for them, as is 00 for none.
// The register's own code list is not public.
//
// Adherents is the count at the census of 1 April 2019, to weight generated
// data. Rows marked "est." are estimates (see the comment on the table).
type Religion struct {
	Code      string
	Name      string
	Adherents int
}

// Rows marked exact are the 2019 census's national religion table (Kết quả
// toàn bộ TĐTDS 2019, Biểu 3). The five unmarked rows agree with the shares
// GSO published (Công giáo 44.6% and Phật giáo 35.0% of the 13,162,879
// followers; Hòa Hảo 1.02%, Cao Đài 0.58%, Hồi giáo 0.07% of the population).
// The rows marked est. could not be read from any source at hand: they split
// the remaining ~97,700 followers, Minh Sư, Minh Lý and Bà-la-môn after their
// 2009 counts (709, 366, 56,427), Tứ Ân Hiếu Nghĩa and Bửu Sơn Kỳ Hương by
// guess. Good for weighting, not for quoting.
var religions = []Religion{
	{"00", "Không", 83046105}, // exact
	{"01", "Phật giáo", 4606638},
	{"02", "Công giáo", 5866764},
	{"03", "Phật giáo Hòa Hảo", 983079},
	{"04", "Hồi giáo", 70934},
	{"05", "Cao Đài", 556234},
	{"06", "Minh Sư đạo", 700},                      // est.
	{"07", "Minh Lý đạo", 350},                      // est.
	{"08", "Tin lành", 960558},                      // exact
	{"09", "Tịnh độ Cư sĩ Phật hội Việt Nam", 2306}, // exact
	{"10", "Tứ Ân Hiếu Nghĩa", 28000},               // est.
	{"11", "Bửu Sơn Kỳ Hương", 4000},                // est.
	{"12", "Bahá'í", 2153},                          // exact
	{"13", "Bà-la-môn", 64500},                      // est.
	{"14", "Mặc Môn", 4281},                         // exact
	{"15", "Cơ đốc Phục lâm", 11830},                // exact
	{"16", "Phật giáo Hiếu Nghĩa Tà Lơn", 401},      // exact
}

// Other names in use: the full names of the religious organisations, the
// census's labels and everyday words ("Thiên Chúa giáo" for Catholic).
var religionAliases = map[string]string{
	"Không tôn giáo":      "00",
	"Không theo tôn giáo": "00",
	"Đạo Phật":            "01",
	"Thiên Chúa giáo":     "02",
	"Hòa Hảo":             "03",
	"Islam":               "04",
	"Đạo Cao Đài":         "05",
	"Phật đường Nam tông Minh Sư đạo":              "06",
	"Minh Lý đạo – Tam Tông Miếu":                  "07",
	"Đạo Tin lành":                                 "08",
	"Tịnh độ Cư sĩ Phật hội":                       "09",
	"Đạo Tứ Ân Hiếu Nghĩa":                         "10",
	"Đạo Bửu Sơn Kỳ Hương":                         "11",
	"Chăm Bà-la-môn":                               "13",
	"Mormon":                                       "14",
	"Các Thánh hữu Ngày sau của Chúa Giê-su Ky-tô": "14",
	"Giáo hội Cơ đốc Phục lâm Việt Nam":            "15",
	"Hiếu Nghĩa Tà Lơn":                            "16",
}

var (
	religionByCode = map[string]int{}
	religionByKey  = map[string]int{}
)

func init() {
	for i, r := range religions {
		religionByCode[r.Code] = i
		religionByKey[nameKey(r.Name)] = i
	}
	for alias, code := range religionAliases {
		religionByKey[nameKey(alias)] = religionByCode[code]
	}
}

// Religions returns "Không" and the 16 recognised religions in code order.
// The slice is a copy.
func Religions() []Religion {
	return append([]Religion(nil), religions...)
}

// ReligionByCode looks a religion up by its two-digit code.
func ReligionByCode(code string) (Religion, bool) {
	i, ok := religionByCode[code]
	if !ok {
		return Religion{}, false
	}
	return religions[i], true
}

// ReligionByName looks a religion up by name or a common alias, ignoring case,
// accents, hyphens, spaces and apostrophes.
func ReligionByName(name string) (Religion, bool) {
	i, ok := religionByKey[nameKey(name)]
	if !ok {
		return Religion{}, false
	}
	return religions[i], true
}
