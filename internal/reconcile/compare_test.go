package reconcile

import (
	"testing"
	"unsafe"

	"github.com/populus-vn/populus/internal/civil"
)

func date(y, m, d int) civil.Date { return civil.Date{Year: y, Month: m, Day: d} }

func named(full string) Fields { return Fields{FullName: full} }

// Vietnamese edge cases: each row names the comparison, two records and the
// level they must fall in, whichever record comes first.
func TestLevels(t *testing.T) {
	cases := []struct {
		name string
		c    Comparison
		a, b Fields
		want int
	}{
		// Full names.
		{"case and spacing only", FullName{}, named("NGUYỄN  VĂN AN"), named("Nguyễn Văn An"), NameExact},
		{"NFD input", FullName{}, named("Nguye\u0302\u0303n Va\u0306n An"), named("Nguyễn Văn An"), NameExact},
		{"diacritics dropped", FullName{}, named("Nguyễn Văn An"), named("nguyen van an"), NameFolded},
		{"đ folds to d", FullName{}, named("Đặng Văn Đức"), named("DANG VAN DUC"), NameFolded},
		{"wrong diacritic", FullName{}, named("Nguyễn Văn Ân"), named("Nguyễn Văn An"), NameFolded},
		{"family name last", FullName{}, named("Văn An Nguyễn"), named("Nguyễn Văn An"), NameSwapped},
		{"given name first", FullName{}, named("Trần Đức Minh"), named("Minh Trần Đức"), NameSwapped},
		{"swapped and folded", FullName{}, named("Tran Duc Minh"), named("Minh Trần Đức"), NameSwapped},
		{"middle name missing", FullName{}, named("Lê Thị Hồng"), named("Le Hong"), NameMiddleMissing},
		{"one of two middle names", FullName{}, named("Nguyễn Thị Ngọc Mai"), named("Nguyễn Ngọc Mai"), NameMiddleMissing},
		{"middle differs, not missing", FullName{}, named("Nguyễn Văn An"), named("Nguyễn Đức An"), NameJW88},
		{"typo at the end", FullName{}, named("Nguyễn Văn Anh"), named("Nguyễn Văn An"), NameOneEdit},
		{"keyboard swap", FullName{}, named("Nguyễn Văn An"), named("Ngyuễn Văn An"), NameOneEdit},
		{"Jaro–Winkler 0.91", FullName{}, named("Trần Văn An"), named("Trần An Bình"), NameJW88},
		{"first letter of a short name", FullName{}, named("Lê An"), named("Kê An"), NameOneEdit},
		{"OCR rn for m", FullName{}, named("Phạm Văn Nam"), named("PHARN VAN NARN"), NameOneEdit},
		{"OCR I and 1 for l, 0 for O", FullName{}, named("Lê Thị Loan"), named("IE THI 10AN"), NameOneEdit},
		{"OCR slip and a typo", FullName{}, named("Lâm Văn Minh"), named("Iam Van Mihn"), NameOneEdit},
		{"lost hook, tone and one typo", FullName{}, named("Trương Thị Ánh"), named("Truong Thi Anhh"), NameOneEdit},
		{"given name first, middle name missing", FullName{}, named("Nhàn Nguyễn"), named("Nguyễn Ngọc Nhàn"), NameWordsSubset},
		{"middle missing and a typo", FullName{}, named("HPAN MINH"), named("Phan Thiên Minh"), NameWordsOneFault},
		{"given first, middle missing, a typo", FullName{}, named("Tugn Nguyen"), named("Nguyễn Nhật Tùng"), NameWordsOneFault},
		{"two words off, middle missing", FullName{}, named("Ngyuen Tugn"), named("Nguyễn Nhật Tùng"), NameWordsFaults},
		{"two words off", FullName{}, named("Bé Tý"), named("Bi Tú"), NameWordsFaults},
		{"two edits", FullName{}, named("Út Lê"), named("Ty Lê"), NameTwoEdits},
		{"all words but one, order changed", FullName{}, named("Anh Hoàng Thị Mai"), named("Hoàng Thị Lan Anh"), NameMostWords},
		{"one word of three", FullName{}, named("Nguyễn Văn Hùng"), named("Nguyễn Thị Mai"), NameElse},
		// Words alike but no family name in common.
		{"another family, the given name one edit off", FullName{}, named("Nguyễn Thị Thảo"), named("Lê Thị Thắm"), NameElse},
		{"another family, given-name first", FullName{}, named("Thị Thảo Nguyễn"), named("Lê Thị Thắm"), NameElse},
		{"the family one edit off, given-name first", FullName{}, named("Thị Thảo Nguyen"), named("Nguyễn Thị Thắm"), NameWordsOneFault},
		{"an initial is not near", FullName{}, named("Nguyễn A"), named("Nguyễn B"), NameOneEdit},
		{"different people", FullName{}, named("Nguyễn Thị Mai"), named("Trần Văn Hùng"), NameElse},
		{"name missing", FullName{}, named(""), named("Trần Văn Hùng"), Null},
		{"parts against whole", FullName{},
			Fields{FamilyName: "Nguyễn", MiddleName: "Văn", GivenName: "An"}, named("Nguyễn Văn An"), NameExact},

		// Family and given names.
		{"surname exact", FamilyName{}, named("Nguyễn Văn An"), named("nguyễn thị bình"), FamilyExact},
		{"surname folded", FamilyName{}, named("Nguyễn Văn An"), named("NGUYEN VAN AN"), FamilyFolded},
		{"Hoàng is Huỳnh", FamilyName{}, named("Hoàng Văn Nam"), named("Huỳnh Văn Nam"), FamilyVariant},
		{"Vũ is Võ", FamilyName{}, named("Vũ Văn Kiệt"), named("Võ Văn Kiệt"), FamilyVariant},
		{"surname typo", FamilyName{}, named("Phạm Văn An"), named("Pham Văn An"), FamilyFolded},
		{"surname one edit", FamilyName{}, named("Phan Văn An"), named("Phạm Văn An"), FamilyDL1},
		{"surname from parts", FamilyName{}, Fields{FamilyName: "Tôn Nữ", GivenName: "Hoa"}, Fields{FamilyName: "Ton Nu", GivenName: "Hoa"}, FamilyFolded},
		{"single word has no surname", FamilyName{}, named("An"), named("Nguyễn Văn An"), Null},
		{"given name exact", GivenName{}, named("Nguyễn Văn An"), named("Trần An"), GivenExact},
		{"given name folded", GivenName{}, named("Nguyễn Văn Đức"), named("Nguyen Van Duc"), GivenFolded},
		{"given name typo", GivenName{}, named("Nguyễn Văn Hùng"), named("Nguyễn Văn Hưng"), GivenFolded},
		{"given name one edit", GivenName{}, named("Nguyễn Văn An"), named("Nguyễn Văn Anh"), GivenDL1},

		// Dates of birth.
		{"same date", BirthDate{}, Fields{BirthDate: date(1985, 3, 12)}, Fields{BirthDate: date(1985, 3, 12)}, DOBExact},
		{"12/03 for 03/12", BirthDate{}, Fields{BirthDate: date(1985, 3, 12)}, Fields{BirthDate: date(1985, 12, 3)}, DOBSwapped},
		{"year one off across a decade", BirthDate{}, Fields{BirthDate: date(1969, 3, 12)}, Fields{BirthDate: date(1970, 3, 12)}, DOBYearOff},
		{"year one off, another day", BirthDate{}, Fields{BirthDate: date(1969, 3, 12)}, Fields{BirthDate: date(1970, 3, 13)}, DOBYearNear},
		{"year one digit off", BirthDate{}, Fields{BirthDate: date(1968, 3, 12)}, Fields{BirthDate: date(1969, 3, 12)}, DOBOneDigit},
		{"one digit of the day", BirthDate{}, Fields{BirthDate: date(1985, 4, 2)}, Fields{BirthDate: date(1985, 4, 3)}, DOBOneDigit},
		{"one digit of the year", BirthDate{}, Fields{BirthDate: date(1985, 4, 2)}, Fields{BirthDate: date(1995, 4, 2)}, DOBOneDigit},
		{"digits of the day transposed", BirthDate{}, Fields{BirthDate: date(1985, 4, 12)}, Fields{BirthDate: date(1985, 4, 21)}, DOBOneDigit},
		{"1985 against 1985-04-02", BirthDate{}, Fields{BirthDate: date(1985, 0, 0)}, Fields{BirthDate: date(1985, 4, 2)}, DOBYearOnly},
		{"month known on both", BirthDate{}, Fields{BirthDate: date(1985, 4, 0)}, Fields{BirthDate: date(1985, 4, 2)}, DOBYearOnly},
		{"both year only", BirthDate{}, Fields{BirthDate: date(1985, 0, 0)}, Fields{BirthDate: date(1985, 0, 0)}, DOBYearOnly},
		{"months disagree", BirthDate{}, Fields{BirthDate: date(1985, 5, 0)}, Fields{BirthDate: date(1985, 4, 2)}, DOBYearNear},
		{"year one off", BirthDate{}, Fields{BirthDate: date(1985, 0, 0)}, Fields{BirthDate: date(1986, 4, 2)}, DOBYearNear},
		{"different day, same year", BirthDate{}, Fields{BirthDate: date(1985, 1, 30)}, Fields{BirthDate: date(1985, 7, 2)}, DOBYearNear},
		{"different dates", BirthDate{}, Fields{BirthDate: date(1985, 4, 2)}, Fields{BirthDate: date(1990, 4, 2)}, DOBElse},
		{"date missing", BirthDate{}, Fields{}, Fields{BirthDate: date(1985, 4, 2)}, Null},
		{"no date: month 90 for 10", BirthDate{}, Fields{BirthDigits: "19859016"}, Fields{BirthDate: date(1985, 10, 16)}, DOBOneDigit},
		{"no date: year 1746 for 1946", BirthDate{}, Fields{BirthDate: date(1946, 11, 12)}, Fields{BirthDigits: "17461112"}, DOBOneDigit},
		{"no date: month 17 for 11", BirthDate{}, Fields{BirthDigits: "20011715"}, Fields{BirthDate: date(2001, 11, 15)}, DOBOneDigit},
		{"no date: two digits from the date", BirthDate{}, Fields{BirthDigits: "19859016"}, Fields{BirthDate: date(1985, 3, 16)}, Null},
		{"no date against a partial date", BirthDate{}, Fields{BirthDigits: "19859016"}, Fields{BirthDate: date(1985, 10, 0)}, Null},
		{"digits with a date are not used", BirthDate{}, Fields{BirthDate: date(1990, 1, 1), BirthDigits: "19859016"}, Fields{BirthDate: date(1985, 10, 16)}, DOBElse},

		// Sex.
		{"same sex", Sex{}, Fields{Sex: civil.Female}, Fields{Sex: civil.Female}, SexAgree},
		{"other sex", Sex{}, Fields{Sex: civil.Male}, Fields{Sex: civil.Female}, SexElse},
		{"sex unknown", Sex{}, Fields{}, Fields{Sex: civil.Female}, Null},

		// PIN: 079 Hồ Chí Minh, 0 male 19xx, 85.
		{"same PIN", PIN{}, Fields{PIN: "079085001234"}, Fields{PIN: "079 085 001 234"}, PINExact},
		{"same PIN, the sex and year it encodes", PIN{},
			Fields{PIN: "079085001234", Sex: civil.Male, BirthDate: date(1985, 4, 2)}, Fields{PIN: "079085001234", Sex: civil.Male}, PINExact},
		{"same PIN, another sex than it encodes", PIN{},
			Fields{PIN: "079085001234", Sex: civil.Female}, Fields{PIN: "079085001234", Sex: civil.Male}, PINExactUnchecked},
		{"same PIN, another year than it encodes", PIN{},
			Fields{PIN: "079085001234", BirthDate: date(1958, 4, 2)}, Fields{PIN: "079085001234"}, PINExactUnchecked},
		{"same PIN, register's year disagrees", PIN{},
			Fields{PIN: "079085001234"}, Fields{PIN: "079085001234", BirthDate: date(1986, 1, 1)}, PINExactUnchecked},
		{"same PIN, no province of birth 999", PIN{}, Fields{PIN: "999085001234"}, Fields{PIN: "999085001234"}, PINExactUnchecked},
		{"PIN digits transposed", PIN{}, Fields{PIN: "079085001243"}, Fields{PIN: "079085001234"}, PINOneDigit},
		{"PIN digit dropped", PIN{}, Fields{PIN: "07908500123"}, Fields{PIN: "079085001234"}, PINOneDigit},
		{"PIN of the right sex and year", PIN{},
			Fields{PIN: "001085999999"}, Fields{PIN: "079085001234", Sex: civil.Male, BirthDate: date(1985, 4, 2)}, PINConsistent},
		{"PIN of a woman", PIN{},
			Fields{PIN: "001185999999"}, Fields{PIN: "079085001234", Sex: civil.Male, BirthDate: date(1985, 4, 2)}, PINElse},
		{"PIN of another year", PIN{},
			Fields{PIN: "001086999999", Sex: civil.Male}, Fields{PIN: "079085001234", Sex: civil.Male, BirthDate: date(1985, 4, 2)}, PINElse},
		{"PIN with nothing to check", PIN{}, Fields{PIN: "001085999999"}, Fields{PIN: "079085001234"}, PINElse},
		{"PIN missing", PIN{}, Fields{}, Fields{PIN: "079085001234"}, Null},

		// CMND, including a CMND held in the PIN column.
		{"CMND in the PIN column", CMND{}, Fields{PIN: "025123456"}, Fields{PIN: "079085001234", CMND: "025123456"}, CMNDExact},
		{"CMND typo", CMND{}, Fields{CMND: "025123465"}, Fields{CMND: "025123456"}, CMNDOneDigit},
		{"other CMND", CMND{}, Fields{CMND: "111111111"}, Fields{CMND: "025123456"}, CMNDElse},
		{"no CMND in the register", CMND{}, Fields{CMND: "025123456"}, Fields{PIN: "079085001234"}, Null},

		// Addresses through the 2025 reorganisation.
		{"Hồ Chí Minh 79 and old:79", Address{}, Fields{Units: []string{"old:79"}}, Fields{Units: []string{"79"}}, PlaceProvince},
		{"Bình Dương is now Hồ Chí Minh", Address{}, Fields{Units: []string{"old:74"}}, Fields{Units: []string{"79"}}, PlaceProvince},
		{"Hà Giang is now Tuyên Quang", Address{}, Fields{Units: []string{"old:02"}}, Fields{Units: []string{"08"}}, PlaceProvince},
		// Hà Tây itself merged into Hà Nội in 2008, before the 63 provinces
		// the tables start from; its communes are Hà Nội's there. Phường
		// Quang Trung of Hà Đông, the old Hà Tây capital, is in Phường Hà Đông.
		{"former Hà Tây in Hà Nội", Address{}, Fields{Units: []string{"old:09538"}}, Fields{Units: []string{"01"}}, PlaceProvince},
		{"old commune, its successor", Address{}, Fields{Units: []string{"old:09538"}}, Fields{Units: []string{"09556"}}, PlaceCommune},
		{"commune and its province", Address{}, Fields{Units: []string{"09556"}}, Fields{Units: []string{"01"}}, PlaceProvince},
		{"second residence agrees", Address{}, Fields{Units: []string{"79"}}, Fields{Units: []string{"01", "old:79"}}, PlaceProvince},
		{"other province", Address{}, Fields{Units: []string{"79"}}, Fields{Units: []string{"01"}}, PlaceElse},
		{"same province, another commune", Address{}, Fields{Units: []string{"03646"}}, Fields{Units: []string{"04000"}}, PlaceOtherCommune},
		{"a commune, a residence known by its province alone", Address{}, Fields{Units: []string{"03646"}}, Fields{Units: []string{"26743", "14"}}, PlaceProvince},
		{"another commune, the province beside it", Address{}, Fields{Units: []string{"03646"}}, Fields{Units: []string{"04000", "14"}}, PlaceOtherCommune},
		{"province only against a commune of it", Address{}, Fields{Units: []string{"14"}}, Fields{Units: []string{"04000"}}, PlaceProvince},
		{"commune and its province against another commune", Address{}, Fields{Units: []string{"03646", "14"}}, Fields{Units: []string{"04000"}}, PlaceOtherCommune},

		// A commune name that several communes share (Đoàn Kết: 03388 in
		// 12, 04000 in 14, 06001 in 20), no province.
		{"shared commune name, one of its communes", Address{}, Fields{Communes: doanKet}, Fields{Units: []string{"04000"}}, PlaceCommuneName},
		{"shared commune name, register side first", Address{}, Fields{Units: []string{"12", "06001"}}, Fields{Communes: doanKet}, PlaceCommuneName},
		{"shared commune name, another commune", Address{}, Fields{Communes: doanKet}, Fields{Units: []string{"26743"}}, PlaceElse},
		{"shared commune name, only the province of one", Address{}, Fields{Communes: doanKet}, Fields{Units: []string{"14"}}, PlaceProvince},
		{"shared commune name, register without address", Address{}, Fields{Communes: doanKet}, Fields{}, Null},
		{"shared commune name beside the province", Address{}, Fields{Units: []string{"14"}, Communes: doanKet}, Fields{Units: []string{"04000"}}, PlaceCommuneName},
		{"shared commune name beside the province, other commune", Address{}, Fields{Units: []string{"14"}, Communes: doanKet}, Fields{Units: []string{"03646"}}, PlaceOtherCommune},
		{"old commune among the choices, its successor", Address{}, Fields{Communes: []string{"old:09538", "26743"}}, Fields{Units: []string{"09556"}}, PlaceCommuneName},
		{"two shared names with a commune in common", Address{}, Fields{Communes: doanKet}, Fields{Communes: []string{"26743", "06001"}}, PlaceCommuneName},
		{"two shared names, no commune in common", Address{}, Fields{Communes: doanKet}, Fields{Communes: []string{"26743", "25750"}}, PlaceElse},
		{"more communes than kept", Address{}, Fields{Communes: []string{"03388", "04000", "06001", "26743", "09556", "03646", "25750", "25747", "00004"}}, Fields{Units: []string{"04000"}}, Null},
		{"unknown unit", Address{}, Fields{Units: []string{"99"}}, Fields{Units: []string{"01"}}, Null},
		{"no address", Address{}, Fields{}, Fields{Units: []string{"01"}}, Null},

		// Phones.
		{"+84 and 0", Phone{}, Fields{Phone: "+84 912 345 678"}, Fields{Phone: "0912.345.678"}, PhoneExact},
		{"other phone", Phone{}, Fields{Phone: "0912345678"}, Fields{Phone: "0912345679"}, PhoneElse},
		{"phone missing", Phone{}, Fields{Phone: "12"}, Fields{Phone: "0912345679"}, Null},
	}
	for _, c := range cases {
		a, b := NewRecord(c.a), NewRecord(c.b)
		ab, ba := c.c.Level(&a, &b), c.c.Level(&b, &a)
		if ab != c.want || ba != c.want {
			t.Errorf("%s: %s levels %s, %s; want %s", c.name, c.c.Name(), label(c.c, ab), label(c.c, ba), label(c.c, c.want))
		}
	}
}

func label(c Comparison, l int) string {
	if l == Null {
		return "null"
	}
	if l < 0 || l >= len(c.Levels()) {
		return "out of range"
	}
	return c.Levels()[l]
}

func TestRecordFromPerson(t *testing.T) {
	// FieldsOf takes the register's residences as places.
	p := samplePerson()
	r := NewRecord(FieldsOf(&p))
	if r.Name() != "nguyễn văn an" || r.FoldedName() != "nguyen van an" || r.FamilyName() != "nguyen" || r.GivenName() != "an" {
		t.Errorf("names: %q %q %q %q", r.Name(), r.FoldedName(), r.FamilyName(), r.GivenName())
	}
	if r.PIN() != p.PIN || r.CMND() != p.CMND || r.Sex() != civil.Male || r.BirthDate() != p.BirthDate {
		t.Errorf("record %+v from %+v", r, p)
	}
	if r.nplaces != 2 {
		t.Errorf("%d places, want 2", r.nplaces)
	}
}

func TestRecordLimits(t *testing.T) {
	// The register side is held as one Record per person: 10 million of
	// them must fit in memory with room to spare.
	if n := unsafe.Sizeof(Record{}); n > 160 {
		t.Errorf("a Record is %d bytes", n)
	}
	r := NewRecord(named("a b c d e f g h i j"))
	if int(r.ntok) != MaxTokens || r.token(MaxTokens-1) != "h i j" || r.GivenName() != "h i j" {
		t.Errorf("%d tokens, last %q", r.ntok, r.token(int(r.ntok)-1))
	}
	r = NewRecord(Fields{Units: []string{"01", "04", "08", "11"}})
	if r.nplaces != MaxPlaces {
		t.Errorf("%d places", r.nplaces)
	}
	r = NewRecord(Fields{PIN: "07908500123x", BirthDate: civil.Date{Year: 1985, Day: 3}})
	if r.PIN() != "" || !r.BirthDate().IsZero() {
		t.Errorf("bad values kept: %q %v", r.PIN(), r.BirthDate())
	}
}

func TestLevelsDoNotAllocate(t *testing.T) {
	a := NewRecord(Fields{FullName: "Nguyễn Thị Ngọc Bích", BirthDate: date(1990, 2, 3), Sex: civil.Female,
		PIN: "001190001234", CMND: "012345678", Units: []string{"old:09538"}, Phone: "0912345678"})
	b := NewRecord(Fields{FullName: "Nguyen Thi Bich Ngoc", BirthDate: date(1990, 3, 2), Sex: civil.Female,
		PIN: "001190001243", CMND: "012345687", Units: []string{"01", "79"}, Phone: "0912345679"})
	cs := append(DefaultComparisons(), FamilyName{}, GivenName{})
	n := testing.AllocsPerRun(100, func() {
		for _, c := range cs {
			c.Level(&a, &b)
		}
	})
	if n != 0 {
		t.Errorf("comparing allocates %v times", n)
	}
}

func TestRecordNameParts(t *testing.T) {
	cases := []struct {
		f                     Fields
		name, family, given   string
		familyExact, givExact string
	}{
		{named("Nguyễn Văn An"), "nguyễn văn an", "nguyen", "an", "nguyễn", "an"},
		{named("An"), "an", "", "an", "", "an"},
		// Parts compose the name; the family and given names are its first
		// and last words, as the register's whole names are read.
		{Fields{FamilyName: "Tôn Nữ", MiddleName: "Thị", GivenName: "Hoa"}, "tôn nữ thị hoa", "ton", "hoa", "tôn", "hoa"},
		{Fields{FullName: "TÔN NỮ HOA", FamilyName: "Tôn Nữ", GivenName: "Hoa"}, "tôn nữ hoa", "ton", "hoa", "tôn", "hoa"},
		{Fields{FamilyName: "Nguyễn", GivenName: "Ngọc Anh"}, "nguyễn ngọc anh", "nguyen", "anh", "nguyễn", "anh"},
		{Fields{FullName: "Văn An Nguyễn", FamilyName: "Nguyễn", GivenName: "An"}, "văn an nguyễn", "van", "nguyen", "văn", "nguyễn"},
		{Fields{FamilyName: "Nguyễn"}, "nguyễn", "nguyen", "", "nguyễn", ""},
		{Fields{MiddleName: "Văn"}, "văn", "", "van", "", "văn"},
		// A stray combining mark is no word in either form.
		{named("Lê \u0301 Hồng"), "lê hồng", "le", "hong", "lê", "hồng"},
	}
	for _, c := range cases {
		r := NewRecord(c.f)
		if r.Name() != c.name || r.FamilyName() != c.family || r.GivenName() != c.given ||
			r.familyClean() != c.familyExact || r.givenClean() != c.givExact {
			t.Errorf("%+v: name %q family %q/%q given %q/%q", c.f, r.Name(), r.FamilyName(), r.familyClean(), r.GivenName(), r.givenClean())
		}
	}
}

// TestRecordNameSplits: one name split across the family, middle and given
// columns in the ways merged files do has the blocking keys' family and
// given names of the register's whole name, and compares with it as exact.
func TestRecordNameSplits(t *testing.T) {
	reg := NewRecord(named("Nguyễn Văn Thành An"))
	for _, f := range []Fields{
		{FamilyName: "Nguyễn", MiddleName: "Văn Thành", GivenName: "An"},
		{FamilyName: "Nguyễn Văn", MiddleName: "Thành", GivenName: "An"},
		{FamilyName: "Nguyễn Văn Thành", GivenName: "An"},
		{FamilyName: "Nguyễn", GivenName: "Văn Thành An"},
		{FamilyName: "Nguyễn Văn Thành An"},
		{GivenName: "Nguyễn Văn Thành An"},
		{MiddleName: "Nguyễn Văn Thành An"},
		{FamilyName: "NGUYEN VAN", MiddleName: "", GivenName: "THANH AN"},
	} {
		r := NewRecord(f)
		if r.FamilyName() != reg.FamilyName() || r.GivenName() != reg.GivenName() {
			t.Errorf("%+v: family %q given %q, the register's %q %q", f, r.FamilyName(), r.GivenName(), reg.FamilyName(), reg.GivenName())
		}
		if l := (FullName{}).Level(&r, &reg); l != NameExact && l != NameFolded {
			t.Errorf("%+v: full-name level %d against the register's whole name", f, l)
		}
	}
}

// What files put in names that is no part of one does not make them
// differ: a zero-width space or joiner inside a word, a byte-order mark, a
// comma after the family name, a full stop, quotes, the eth typed for Đ.
// Hyphens and apostrophes stay.
func TestRecordNameNoise(t *testing.T) {
	for want, forms := range map[string][]string{
		"hoàng thị phương": {"Hoàng \u200bThị Phương", "Hoàng Th\u200bị Phương", "\ufeffHoàng Thị\u200d Phương", "Hoàng Thị\u00a0Phương", "Hoàng Thị Ph\u00adương"},
		"nguyễn quỳnh vi":  {"Nguyễn, Quỳnh Vi", "NGUYỄN; QUỲNH VI", "\"Nguyễn Quỳnh Vi\"", "Nguyễn (Quỳnh) Vi", "Nguyễn. Quỳnh Vi"},
		"đặng văn đức":     {"Ðặng Văn Ðức", "ðặng văn ðức"},
		"h'hen niê":        {"H'Hen Niê"},
		"ka-sô liễng":      {"Ka-Sô Liễng"},
	} {
		for _, f := range forms {
			if r := NewRecord(named(f)); r.Name() != want {
				t.Errorf("%q read as %q, want %q", f, r.Name(), want)
			}
		}
	}
}

// Whatever the input, preparing and comparing records must not panic, and
// every comparison must be symmetric and within its levels.
func FuzzRecords(f *testing.F) {
	f.Add("Nguyễn Văn An", "", "", "079085001234", "old:79", 1985, 4, 2, "nguyen van an", "An", "an", "025123456", "79")
	f.Add("", "Tôn Nữ", "Hoa", "", "", 0, 0, 0, "Hoa", "", "", "", "old:09538")
	f.Add(" \u0301 ", "x", "", "12", "bad", 2000, 13, 40, "đ", "đ", "", "0912345678", "old:001")
	f.Fuzz(func(t *testing.T, full, family, given, pinA, unitA string, y, m, d int, fullB, familyB, givenB, pinB, unitB string) {
		a := NewRecord(Fields{FullName: full, FamilyName: family, GivenName: given, PIN: pinA, CMND: pinB,
			Units: []string{unitA}, BirthDate: civil.Date{Year: y, Month: m, Day: d}, Sex: civil.Male, Phone: pinA})
		b := NewRecord(Fields{FullName: fullB, FamilyName: familyB, GivenName: givenB, PIN: pinB, CMND: pinA,
			Units: []string{unitB, unitA}, BirthDate: civil.Date{Year: y + 1, Month: d, Day: m}, Phone: pinB})
		// Shared commune names: alone, and beside a place.
		c := NewRecord(Fields{FullName: full, Communes: []string{unitA, unitB}})
		e := NewRecord(Fields{FullName: fullB, Units: []string{unitB}, Communes: []string{unitB, unitA}})
		for _, p := range [][2]*Record{{&a, &b}, {&a, &c}, {&b, &e}, {&c, &e}, {&c, &c}, {&e, &e}} {
			ab, ba := (Address{}).Level(p[0], p[1]), (Address{}).Level(p[1], p[0])
			if ab != ba || ab < Null || ab >= len(addressLevels) {
				t.Fatalf("address with commune names: levels %d and %d", ab, ba)
			}
			if self := (Address{}).Level(p[0], p[0]); self == PlaceElse || self == PlaceOtherCommune {
				t.Fatalf("address with commune names: a record disagrees with itself (%d)", self)
			}
		}
		for _, c := range append(DefaultComparisons(), FamilyName{}, GivenName{}) {
			ab, ba := c.Level(&a, &b), c.Level(&b, &a)
			if ab != ba || ab < Null || ab >= len(c.Levels()) {
				t.Fatalf("%s: levels %d and %d", c.Name(), ab, ba)
			}
			// A partial value agrees with itself at a weaker level than
			// exact (a province, a year), but never disagrees.
			if self := c.Level(&a, &a); self == len(c.Levels())-1 {
				t.Fatalf("%s: a record disagrees with itself", c.Name())
			}
		}
	})
}

// doanKet are today's communes named Đoàn Kết.
var doanKet = []string{"03388", "04000", "06001"}
