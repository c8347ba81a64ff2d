package register

// pinProvince is the 3-digit province code put at the head of the PIN of a
// birth registered in each province in force since 1 July 2025.
//
// How births are coded after the 2025 merger is not settled in public
// sources (Circular 07/2016's annex lists the 63 earlier provinces). Until it
// is, a new province issues the code of the earlier province whose GSO code
// it kept (the province of its administrative seat), which is a valid code of
// the annex, so every number issued stays parseable by systems that know
// only the annex. Change this table, not the code, when the rule is set.
var pinProvince = map[string]string{
	"01": "001", // Thành phố Hà Nội
	"04": "004", // Tỉnh Cao Bằng
	"08": "008", // Tỉnh Tuyên Quang
	"11": "011", // Tỉnh Điện Biên
	"12": "012", // Tỉnh Lai Châu
	"14": "014", // Tỉnh Sơn La
	"15": "015", // Tỉnh Lào Cai
	"19": "019", // Tỉnh Thái Nguyên
	"20": "020", // Tỉnh Lạng Sơn
	"22": "022", // Tỉnh Quảng Ninh
	"24": "024", // Tỉnh Bắc Ninh
	"25": "025", // Tỉnh Phú Thọ
	"31": "031", // Thành phố Hải Phòng
	"33": "033", // Tỉnh Hưng Yên
	"37": "037", // Tỉnh Ninh Bình
	"38": "038", // Tỉnh Thanh Hóa
	"40": "040", // Tỉnh Nghệ An
	"42": "042", // Tỉnh Hà Tĩnh
	"44": "044", // Tỉnh Quảng Trị
	"46": "046", // Thành phố Huế
	"48": "048", // Thành phố Đà Nẵng
	"51": "051", // Tỉnh Quảng Ngãi
	"52": "052", // Tỉnh Gia Lai
	"56": "056", // Tỉnh Khánh Hòa
	"66": "066", // Tỉnh Đắk Lắk
	"68": "068", // Tỉnh Lâm Đồng
	"75": "075", // Tỉnh Đồng Nai
	"79": "079", // Thành phố Hồ Chí Minh
	"80": "080", // Tỉnh Tây Ninh
	"82": "082", // Tỉnh Đồng Tháp
	"86": "086", // Tỉnh Vĩnh Long
	"91": "091", // Tỉnh An Giang
	"92": "092", // Thành phố Cần Thơ
	"96": "096", // Tỉnh Cà Mau
}
