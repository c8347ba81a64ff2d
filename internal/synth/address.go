package synth

import "github.com/populus-vn/populus/internal/wyrand"

// Address details (house number, lane, street, hamlet) in the forms each
// region uses: ngõ/ngách and phố in the north, kiệt in the centre, hẻm
// numbers like 12/5 and khu phố in the south; thôn and xóm in the northern
// countryside, bản in the mountains, buôn and làng in the Central Highlands,
// ấp in the south. The names are common ones, not the real streets and
// hamlets of the commune.

var streets = []string{
	"Trần Hưng Đạo", "Lê Lợi", "Nguyễn Huệ", "Hai Bà Trưng", "Lý Thường Kiệt", "Quang Trung",
	"Nguyễn Trãi", "Lê Duẩn", "Hùng Vương", "Phan Đình Phùng", "Nguyễn Văn Cừ", "Điện Biên Phủ",
	"Cách Mạng Tháng Tám", "Võ Thị Sáu", "Trần Phú", "Lê Lai", "Ngô Quyền", "Lý Thái Tổ",
	"Nguyễn Du", "Bà Triệu", "Phan Chu Trinh", "Phan Bội Châu", "Nguyễn Thị Minh Khai",
	"Hoàng Diệu", "Lê Thánh Tông", "Nguyễn Văn Linh", "Trường Chinh", "Nguyễn Chí Thanh",
	"Tôn Đức Thắng", "Lạc Long Quân", "Âu Cơ", "Nguyễn Đình Chiểu", "Chu Văn An", "Lê Hồng Phong",
	"Nguyễn Thái Học", "Hoàng Hoa Thám", "Trần Quang Khải", "Lý Tự Trọng", "Đinh Tiên Hoàng",
	"Võ Văn Kiệt", "Phạm Văn Đồng", "30 Tháng 4", "Hà Huy Tập", "Nguyễn Trung Trực", "Yersin",
	"Lê Văn Sỹ", "Nguyễn Văn Trỗi", "Trần Nhân Tông", "Lê Quý Đôn", "Nguyễn Khuyến",
}

var hamlets = []string{
	"Đông", "Tây", "Nam", "Bắc", "Thượng", "Hạ", "Trung", "Tân Lập", "Tân Hòa", "Bình An",
	"Phú Mỹ", "An Lạc", "Hòa Bình", "Thạnh Lợi", "Long Hưng", "Mỹ Phú", "Vĩnh Thuận", "Phước Lộc",
	"Đồng Tâm", "Quyết Thắng", "Tiền Phong", "Đoàn Kết", "Thống Nhất", "Tân Tiến", "Hưng Long",
	"An Phú", "Bình Minh", "Phú Lợi", "Tân Thành", "Xuân Lộc", "Hòa Hiệp", "Tân Phú", "Thuận An",
	"Long Thạnh", "Đông Hòa", "Trung Hậu", "Yên Phú", "Cẩm Bào", "Văn Giáp", "Hậu Ái",
}

var mountainHamlets = []string{
	"Nà Phặc", "Pác Bó", "Nà Lòa", "Khuổi Khon", "Lũng Pù", "Co Mạ", "Nậm Cắn", "Nà Hang",
	"Pá Khoang", "Huổi Só", "Bó Mạ", "Phiêng Luông", "Lũng Cú", "Nậm Pồ", "Khau Vai", "Tả Van",
}

var highlandHamlets = []string{
	"Ako Dhông", "Trấp", "Ma Đung", "Kon Klor", "Plei Ốp", "Đê Tar", "Ea Kmar", "Kon Tu Dốp",
	"Plei Phun", "Ea Bông", "Tơ Nừng", "Đăk Rơ Wa",
}

// appendUrban writes a street address in a ward.
func appendUrban(b []byte, r *wyrand.Rand, region int) []byte {
	b = append(b, "Số "...)
	b = appendInt(b, r.Between(1, 250), 0)
	switch region {
	case regSoutheast, regMekong, regHighlands:
		x := r.Float64()
		if x < 0.5 {
			b = append(b, '/')
			b = appendInt(b, r.Between(1, 60), 0)
		} else if x < 0.65 {
			b = append(b, '/')
			b = appendInt(b, r.Between(1, 60), 0)
			b = append(b, '/')
			b = appendInt(b, r.Between(1, 20), 0)
		}
		b = append(b, " đường "...)
		b = append(b, wyrand.Pick(r, streets)...)
		if r.Chance(0.6) {
			b = append(b, ", khu phố "...)
			b = appendInt(b, r.Between(1, 25), 0)
		}
	case regCentralCoast:
		if r.Chance(0.35) {
			b = append(b, ", kiệt "...)
			b = appendInt(b, r.Between(1, 300), 0)
			b = append(b, ',')
		}
		b = append(b, " đường "...)
		b = append(b, wyrand.Pick(r, streets)...)
	default:
		x := r.Float64()
		if x < 0.7 {
			if x < 0.2 {
				b = append(b, ", ngách "...)
				b = appendInt(b, r.Between(1, 80), 0)
			}
			b = append(b, ", ngõ "...)
			b = appendInt(b, r.Between(1, 400), 0)
			b = append(b, ',')
		}
		if region == regNorthDelta && r.Chance(0.5) {
			b = append(b, " phố "...)
		} else {
			b = append(b, " đường "...)
		}
		b = append(b, wyrand.Pick(r, streets)...)
		if r.Chance(0.3) {
			b = append(b, ", tổ dân phố "...)
			b = appendInt(b, r.Between(1, 30), 0)
		}
	}
	return b
}

// appendRural writes a countryside address.
func appendRural(b []byte, r *wyrand.Rand, region int) []byte {
	if r.Chance(0.2) {
		b = append(b, "Số nhà "...)
		b = appendInt(b, r.Between(1, 300), 0)
		b = append(b, ", "...)
		return appendHamlet(b, r, region, false)
	}
	return appendHamlet(b, r, region, true)
}

func appendHamlet(b []byte, r *wyrand.Rand, region int, capital bool) []byte {
	word := func(b []byte, upper, lower string) []byte {
		if capital {
			return append(append(b, upper...), ' ')
		}
		return append(append(b, lower...), ' ')
	}
	x := r.Float64()
	switch region {
	case regSoutheast, regMekong:
		b = word(b, "Ấp", "ấp")
		if x < 0.3 {
			b = appendInt(b, r.Between(1, 12), 0)
		} else {
			b = append(b, wyrand.Pick(r, hamlets)...)
		}
	case regNorthMountain:
		if x < 0.5 {
			b = word(b, "Bản", "bản")
			b = append(b, wyrand.Pick(r, mountainHamlets)...)
		} else {
			b = word(b, "Thôn", "thôn")
			b = append(b, wyrand.Pick(r, hamlets)...)
		}
	case regHighlands:
		switch {
		case x < 0.4:
			b = word(b, "Thôn", "thôn")
			b = appendInt(b, r.Between(1, 15), 0)
		case x < 0.65:
			b = word(b, "Buôn", "buôn")
			b = append(b, wyrand.Pick(r, highlandHamlets)...)
		case x < 0.8:
			b = word(b, "Làng", "làng")
			b = append(b, wyrand.Pick(r, highlandHamlets)...)
		default:
			b = word(b, "Thôn", "thôn")
			b = append(b, wyrand.Pick(r, hamlets)...)
		}
	case regCentralCoast:
		b = word(b, "Thôn", "thôn")
		if x < 0.3 {
			b = appendInt(b, r.Between(1, 12), 0)
		} else {
			b = append(b, wyrand.Pick(r, hamlets)...)
		}
	default:
		if x < 0.3 {
			b = word(b, "Xóm", "xóm")
			b = appendInt(b, r.Between(1, 15), 0)
			b = append(b, ", thôn "...)
			b = append(b, wyrand.Pick(r, hamlets)...)
		} else {
			b = word(b, "Thôn", "thôn")
			b = append(b, wyrand.Pick(r, hamlets)...)
		}
	}
	return b
}

// appendAddress writes the detail of an address in commune c.
func appendAddress(b []byte, r *wyrand.Rand, c *commune, region int) []byte {
	if c.ward {
		return appendUrban(b, r, region)
	}
	return appendRural(b, r, region)
}
