package synth

import (
	"github.com/populus-vn/populus/internal/civil"
	"github.com/populus-vn/populus/internal/wyrand"
)

// Surnames (họ) with their share of the population in percent. The first
// rows are the shares the project brief quotes (the usual figures, from
// Lê Trung Hoa's surveys as repeated in the press); the long tail is an
// estimate, scaled so the table sums to 100. Huỳnh/Hoàng and Vũ/Võ are one
// name written two ways: the northern spelling in the north, the southern
// one from Quảng Trị southwards (see region), with some mixing.
var surnameTable = []struct {
	north, south string
	share        float64
}{
	{"Nguyễn", "Nguyễn", 38.4},
	{"Trần", "Trần", 11},
	{"Lê", "Lê", 9.5},
	{"Phạm", "Phạm", 7.1},
	{"Hoàng", "Huỳnh", 5.1},
	{"Phan", "Phan", 4.5},
	{"Vũ", "Võ", 3.9},
	{"Đặng", "Đặng", 2.1},
	{"Bùi", "Bùi", 2},
	{"Đỗ", "Đỗ", 1.4},
	{"Hồ", "Hồ", 1.3},
	{"Ngô", "Ngô", 1.3},
	{"Dương", "Dương", 1},
	{"Lý", "Lý", 0.5},
}

// headShare is the total of surnameTable; the tail below fills the rest.
const headShare = 89.1

// surnameTail are less common surnames with rough relative weights.
var surnameTail = []struct {
	name   string
	weight float64
}{
	{"Trương", 0.9}, {"Đinh", 0.8}, {"Đoàn", 0.6}, {"Trịnh", 0.6}, {"Đào", 0.6},
	{"Lâm", 0.5}, {"Mai", 0.5}, {"Hà", 0.5}, {"Cao", 0.45}, {"Lương", 0.4},
	{"Lưu", 0.35}, {"Phùng", 0.3}, {"Chu", 0.3}, {"Tạ", 0.3}, {"Tô", 0.3},
	{"Nông", 0.3}, {"Châu", 0.3}, {"Thái", 0.2}, {"Lại", 0.2}, {"La", 0.2},
	{"Kiều", 0.2}, {"Quách", 0.2}, {"Triệu", 0.2}, {"Vương", 0.15}, {"Thạch", 0.15},
	{"Tăng", 0.12}, {"Tống", 0.12}, {"Nghiêm", 0.1}, {"Hứa", 0.1}, {"Từ", 0.1},
	{"Thân", 0.1}, {"Lò", 0.1}, {"Mạc", 0.1}, {"Kim", 0.1}, {"Giang", 0.1},
	{"Đàm", 0.1}, {"Vi", 0.1}, {"Văn", 0.08}, {"Khúc", 0.05}, {"Âu", 0.05},
	{"Diệp", 0.05}, {"Khổng", 0.05}, {"Lục", 0.05}, {"Ông", 0.05}, {"Phó", 0.05},
	{"Tôn", 0.05}, {"Ninh", 0.05}, {"Bạch", 0.05}, {"Cù", 0.05}, {"Mã", 0.05},
	{"Doãn", 0.05}, {"Lã", 0.05}, {"Quan", 0.05}, {"Trình", 0.05}, {"Chung", 0.05},
	{"Hầu", 0.03}, {"Kha", 0.03}, {"Hoa", 0.03}, {"Ân", 0.02}, {"Sầm", 0.02},
}

// Middle names (tên đệm). Văn for men and Thị for women are drawn first
// with a probability that falls with the year of birth (vanShare,
// thiShare); otherwise one of these, weighted by rank and era.
var (
	maleMiddle = nameList{
		neutral: []string{"Đức", "Minh", "Hữu", "Quang", "Thanh", "Đình", "Xuân", "Công", "Quốc", "Ngọc",
			"Hoàng", "Duy", "Thế", "Anh", "Tuấn", "Tiến", "Mạnh", "Bá", "Trọng", "Chí", "Thành", "Tấn",
			"Hải", "Trung", "Phú", "Hồng", "Viết", "Khắc", "Huy", "Đắc", "Kim", "Thiện", "Vĩnh", "Như",
			"Trường", "Phước", "Hoài", "Sỹ", "Cao", "Nhật"},
		old:   []string{"Ngọc", "Xuân", "Đình", "Bá", "Khắc", "Viết", "Hữu", "Tất", "Thừa"},
		young: []string{"Gia", "Bảo", "Minh", "Đăng", "Nhật", "Khánh", "Hoàng", "Phúc", "Thiên", "Tuệ", "An", "Trí"},
	}
	femaleMiddle = nameList{
		neutral: []string{"Ngọc", "Thanh", "Thu", "Minh", "Kim", "Hồng", "Bảo", "Phương", "Thùy", "Khánh",
			"Mai", "Bích", "Hoài", "Mỹ", "Quỳnh", "Thảo", "Xuân", "Gia", "Hải", "Diệu", "Ánh", "Thúy",
			"Tuyết", "Cẩm", "Như", "Hương", "Lan", "Hà", "Huyền", "Vân", "Kiều", "Hoàng", "Trúc", "Yến",
			"Hạnh", "Diễm", "Tường", "Thiên", "Phước", "Bạch"},
		old:   []string{"Kim", "Hồng", "Bích", "Xuân", "Thu", "Tuyết", "Ngọc", "Lệ"},
		young: []string{"Bảo", "Gia", "Khánh", "Minh", "An", "Tường", "Hà", "Ngọc", "Thảo", "Quỳnh", "Diệp", "Tuệ"},
	}
)

// Given names (tên), a few hundred, ordered roughly by frequency: weights
// fall as 1/(rank+3), a Zipf-like law. Names of the old list are favoured for
// people born before 1965, the young list for those born from 1995 (see
// eraWeight); there is no public frequency table, so ranks are estimates.
var (
	maleGiven = nameList{
		neutral: []string{"Anh", "Minh", "Hùng", "Dũng", "Tuấn", "Hải", "Long", "Nam", "Huy", "Đức",
			"Thắng", "Hoàng", "Quân", "Sơn", "Tùng", "Phong", "Khánh", "Trung", "Hiếu", "Thành",
			"Tú", "Cường", "Hưng", "Bình", "Việt", "Hòa", "Thanh", "Phúc", "Lâm", "Toàn",
			"Vinh", "Duy", "Khoa", "Bảo", "Tài", "Tâm", "Thịnh", "Nghĩa", "Quang", "Lộc",
			"Tiến", "Trí", "Đạt", "Thông", "Kiên", "Hiệp", "Hậu", "Quý", "Sang", "Thiện",
			"Phát", "Tân", "Lợi", "Luân", "Trọng", "Chiến", "Công", "Định", "Hào", "Hợp",
			"Huấn", "Khải", "Lực", "Mạnh", "Nhân", "Ninh", "Phú", "Phương", "Quốc", "Thái",
			"Tín", "Tường", "Vũ", "Hiển", "Hiền", "Dương", "Giang", "Hội", "Luật", "Thuận",
			"Trường", "Khiêm", "Kỳ", "Nhật", "Đông", "Chung", "Điệp", "Hậu", "Hiệu", "Học",
			"Khương", "Linh", "Mẫn", "Nhất", "Quyết", "Sáng", "Sĩ", "Thạch", "Thiệu", "Tỉnh",
			"Triều", "Tuyên", "Uy", "Văn", "Vương", "Xuân", "Yên", "Bằng", "Cảnh", "Chính"},
		old: []string{"Tư", "Ba", "Bảy", "Tám", "Út", "Sáu", "Năm", "Chín", "Mười", "Lượng",
			"Đoàn", "Tụng", "Sỹ", "Được", "Khoát", "Mão", "Mừng", "Quế", "Sinh", "Thìn",
			"Thường", "Tịnh", "Toản", "Tuyến", "Vượng", "Xuyên", "Dần", "Sửu", "Ngọ", "Hách",
			"Lộ", "Phụng", "Quảng", "Thiềng", "Thới", "Trạch", "Xứng", "Đẩu", "Cẩn", "Lạc"},
		young: []string{"Khôi", "Khang", "Kiệt", "Nguyên", "An", "Bách", "Thiên", "Vỹ", "Đăng", "Phát",
			"Lâm", "Nhật", "Quân", "Huy", "Khoa", "Bảo", "Duy", "Phúc", "Hiếu", "Minh",
			"Tùng", "Thịnh", "Trí", "Đức", "Long", "Hoàng", "Tín", "Vinh", "Danh", "Khải",
			"Luân", "Nhân", "Sơn", "Tuệ", "Vĩ", "Lộc", "Tài", "Định", "Thái", "Triết"},
	}
	femaleGiven = nameList{
		neutral: []string{"Linh", "Anh", "Trang", "Hương", "Hà", "Thảo", "Ngọc", "Lan", "Hằng", "Huyền",
			"Phương", "Mai", "Hoa", "Nhung", "Hạnh", "Yến", "Thủy", "Dung", "Nga", "Hiền",
			"Vân", "Loan", "Thu", "Hồng", "Quỳnh", "Trâm", "Giang", "Oanh", "Liên", "Tâm",
			"Thúy", "Tuyết", "Hậu", "Hải", "Ly", "Ngân", "Châu", "Duyên", "Hòa", "Huệ",
			"Kiều", "Lệ", "Liễu", "Lý", "My", "Nguyệt", "Nhi", "Như", "Phượng", "Quyên",
			"Sương", "Tiên", "Trinh", "Tú", "Uyên", "Vy", "Xuân", "Ánh", "Bích", "Diễm",
			"Hường", "Cẩm", "Chi", "Thư", "Khánh", "Diệu", "Tuyền", "Vi", "Hạ", "Thắm",
			"Thoa", "Thanh", "Minh", "Phúc", "Hiên", "Lam", "Nhàn", "Thương", "Trúc", "Yên",
			"Diệp", "Hân", "An", "Hậu", "Loan", "Mỹ", "Nhã", "Quế", "Thục", "Vương",
			"Điệp", "Đào", "Gấm", "Hạnh", "Lài", "Mơ", "Nương", "Thơ", "Tình", "Xinh"},
		old: []string{"Lài", "Lựu", "Gái", "Sen", "Cúc", "Đào", "Mận", "Tươi", "Hường", "Thơm",
			"Lụa", "Thìn", "Tý", "Mùi", "Dần", "Bé", "Út", "Nhàn", "Mến", "Thoa",
			"Lành", "Thắm", "Xoan", "Huê", "Sáu", "Bảy", "Tám", "Nở", "Ngát", "Liễu",
			"Mát", "Bông", "Lùn", "Huế", "Hợi", "Hến", "Chanh", "Đượm", "Vàng", "Sửu"},
		young: []string{"Nhi", "Vy", "My", "Như", "Uyên", "Tiên", "Hân", "Thư", "Chi", "An",
			"Khánh", "Diệp", "Nhiên", "Thy", "Ngân", "Trâm", "Quyên", "Băng", "Hiên", "Linh",
			"Anh", "Ngọc", "Hà", "Trang", "Thảo", "Phương", "Vân", "Yến", "Châu", "Tâm",
			"Mai", "Quỳnh", "Giao", "Ly", "Tú", "Nghi", "Đan", "Kỳ", "Thùy", "Hằng"},
	}
)

// birthOrderNames are the southern names for the second, third, … child
// ("anh Hai", "chị Ba"): older people often carry one as their other name.
var birthOrderNames = []string{"Hai", "Ba", "Tư", "Năm", "Sáu", "Bảy", "Tám", "Chín", "Mười", "Út"}

// nameList is a name table in three parts: names used in every generation,
// names mostly of the old, and names mostly of the young.
type nameList struct{ neutral, old, young []string }

// Eras of birth for name fashion.
const (
	eraOld   = iota // born before 1965
	eraMid          // 1965–1994
	eraYoung        // 1995 onwards
	eras
)

func eraOf(birthYear int) int {
	switch {
	case birthYear < 1965:
		return eraOld
	case birthYear < 1995:
		return eraMid
	}
	return eraYoung
}

// eraWeight multiplies the weight of a name of the old (0) or young (1) list
// for a person of the given era.
var eraWeight = [2][eras]float64{
	{3, 0.8, 0.1}, // old list
	{0.1, 0.5, 4}, // young list
}

// picker draws names for one sex, one alias table per era.
type picker struct {
	names []string
	table [eras]alias
}

func newPicker(l nameList) picker {
	var p picker
	p.names = append(append(append(p.names, l.neutral...), l.old...), l.young...)
	for era := range eras {
		w := make([]float64, 0, len(p.names))
		for i := range l.neutral {
			w = append(w, 1/float64(i+3))
		}
		for i := range l.old {
			w = append(w, 0.5*eraWeight[0][era]/float64(i+3))
		}
		for i := range l.young {
			w = append(w, 0.6*eraWeight[1][era]/float64(i+3))
		}
		p.table[era] = newAlias(w)
	}
	return p
}

func (p *picker) draw(r *wyrand.Rand, era int) string { return p.names[p.table[era].draw(r)] }

// vanShare and thiShare are the chances that a man's middle name is Văn and
// a woman's Thị, by decade of birth (index 0: before 1960, then 1960s …
// 2010s and later). The decline is well documented (Thị is now often felt as
// old-fashioned); the figures are estimates, not survey results.
var (
	vanShare = [7]float64{0.65, 0.58, 0.5, 0.4, 0.28, 0.15, 0.08}
	thiShare = [7]float64{0.9, 0.85, 0.78, 0.65, 0.45, 0.28, 0.15}
)

func decadeIndex(birthYear int) int {
	i := (birthYear - 1950) / 10
	if birthYear < 1960 {
		return 0
	}
	if i > 6 {
		i = 6
	}
	return i
}

// namer draws the parts of Vietnamese names.
type namer struct {
	surnames                   alias
	surnameNorth, surnameSouth []string
	maleMiddle, femaleMiddle   picker
	maleGiven, femaleGiven     picker
}

func newNamer() *namer {
	n := &namer{
		maleMiddle:   newPicker(maleMiddle),
		femaleMiddle: newPicker(femaleMiddle),
		maleGiven:    newPicker(maleGiven),
		femaleGiven:  newPicker(femaleGiven),
	}
	var w []float64
	for _, s := range surnameTable {
		n.surnameNorth = append(n.surnameNorth, s.north)
		n.surnameSouth = append(n.surnameSouth, s.south)
		w = append(w, s.share)
	}
	var tail float64
	for _, s := range surnameTail {
		tail += s.weight
	}
	for _, s := range surnameTail {
		n.surnameNorth = append(n.surnameNorth, s.name)
		n.surnameSouth = append(n.surnameSouth, s.name)
		w = append(w, s.weight*(100-headShare)/tail)
	}
	n.surnames = newAlias(w)
	return n
}

// surname draws a surname; south selects the southern spelling of the
// names written two ways, which 10% of families keep the other way round
// (migration in both directions).
func (n *namer) surname(r *wyrand.Rand, south bool) string {
	i := n.surnames.draw(r)
	if n.surnameNorth[i] != n.surnameSouth[i] && r.Chance(0.1) {
		south = !south
	}
	if south {
		return n.surnameSouth[i]
	}
	return n.surnameNorth[i]
}

func (n *namer) middle(r *wyrand.Rand, sex civil.Sex, birthYear int) string {
	d := decadeIndex(birthYear)
	if sex == civil.Male {
		if r.Chance(vanShare[d]) {
			return "Văn"
		}
		return n.maleMiddle.draw(r, eraOf(birthYear))
	}
	if r.Chance(thiShare[d]) {
		return "Thị"
	}
	return n.femaleMiddle.draw(r, eraOf(birthYear))
}

func (n *namer) given(r *wyrand.Rand, sex civil.Sex, birthYear int) string {
	if sex == civil.Male {
		return n.maleGiven.draw(r, eraOf(birthYear))
	}
	return n.femaleGiven.draw(r, eraOf(birthYear))
}
