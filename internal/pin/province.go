package pin

// Province is a code of the place of birth registration, the first three
// digits of a PIN.
type Province struct {
	Code string // "079"
	Name string
}

// provinces is Annex 1 of Circular 07/2016/TT-BCA: the 63 provinces as they
// were before the 2025 merger. How births registered after the merger are
// coded is not settled in public sources, so the rule stays a table here and
// is replaced as a whole when it is.
//
// Annex 2 of the same Circular gives codes for births registered abroad (the
// country of registration takes the place of the province). It has not been
// found in a verifiable copy, so such numbers are rejected as having an
// unknown province; this is a known gap.
var provinces = []Province{
	{"001", "Hà Nội"}, {"002", "Hà Giang"}, {"004", "Cao Bằng"}, {"006", "Bắc Kạn"},
	{"008", "Tuyên Quang"}, {"010", "Lào Cai"}, {"011", "Điện Biên"}, {"012", "Lai Châu"},
	{"014", "Sơn La"}, {"015", "Yên Bái"}, {"017", "Hòa Bình"}, {"019", "Thái Nguyên"},
	{"020", "Lạng Sơn"}, {"022", "Quảng Ninh"}, {"024", "Bắc Giang"}, {"025", "Phú Thọ"},
	{"026", "Vĩnh Phúc"}, {"027", "Bắc Ninh"}, {"030", "Hải Dương"}, {"031", "Hải Phòng"},
	{"033", "Hưng Yên"}, {"034", "Thái Bình"}, {"035", "Hà Nam"}, {"036", "Nam Định"},
	{"037", "Ninh Bình"}, {"038", "Thanh Hóa"}, {"040", "Nghệ An"}, {"042", "Hà Tĩnh"},
	{"044", "Quảng Bình"}, {"045", "Quảng Trị"}, {"046", "Thừa Thiên Huế"}, {"048", "Đà Nẵng"},
	{"049", "Quảng Nam"}, {"051", "Quảng Ngãi"}, {"052", "Bình Định"}, {"054", "Phú Yên"},
	{"056", "Khánh Hòa"}, {"058", "Ninh Thuận"}, {"060", "Bình Thuận"}, {"062", "Kon Tum"},
	{"064", "Gia Lai"}, {"066", "Đắk Lắk"}, {"067", "Đắk Nông"}, {"068", "Lâm Đồng"},
	{"070", "Bình Phước"}, {"072", "Tây Ninh"}, {"074", "Bình Dương"}, {"075", "Đồng Nai"},
	{"077", "Bà Rịa–Vũng Tàu"}, {"079", "TP Hồ Chí Minh"}, {"080", "Long An"}, {"082", "Tiền Giang"},
	{"083", "Bến Tre"}, {"084", "Trà Vinh"}, {"086", "Vĩnh Long"}, {"087", "Đồng Tháp"},
	{"089", "An Giang"}, {"091", "Kiên Giang"}, {"092", "Cần Thơ"}, {"093", "Hậu Giang"},
	{"094", "Sóc Trăng"}, {"095", "Bạc Liêu"}, {"096", "Cà Mau"},
}

// provinceIndex maps the code, read as a number 0–999, to its index in
// provinces plus one; an array keeps Parse free of map lookups and allocation.
var provinceIndex [1000]uint8

func init() {
	for i, p := range provinces {
		provinceIndex[num(p.Code)] = uint8(i + 1)
	}
}

// Provinces returns the province codes of birth registration in code order
// (pre-2025; post-2025 coding not settled). The slice is a copy.
func Provinces() []Province {
	return append([]Province(nil), provinces...)
}

// ProvinceName returns the name for a three-digit province code.
func ProvinceName(code string) (string, bool) {
	if len(code) != 3 || !allDigits(code) {
		return "", false
	}
	i := provinceIndex[num(code)]
	if i == 0 {
		return "", false
	}
	return provinces[i-1].Name, true
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// num reads a string of ASCII digits; callers have checked them.
func num(s string) int {
	n := 0
	for i := 0; i < len(s); i++ {
		n = n*10 + int(s[i]-'0')
	}
	return n
}
