package sectorsynth

import (
	"github.com/populus-vn/populus/internal/reconcile/sector"

	"github.com/populus-vn/populus/internal/civil"
	"github.com/populus-vn/populus/internal/wyrand"
)

// kindSpec is the layout and the rates of one kind of sector file.
type kindSpec struct {
	header []string
	comma  rune
	bom    bool
	minAge int  // people younger than this (at the reference date, or at death) hold no record
	iso    bool // dates written YYYY-MM-DD, not DD/MM/YYYY
	zeros  bool // a year-only date is written 00/00/YYYY half the time, as old books do
	phone  bool // the file has a phone column
	idHalf uint64
	rates  Rates
	row    func(s *synthesizer, d *draft) // fills s.row
}

func spec(k sector.Kind) *kindSpec {
	switch k {
	case sector.Drivers:
		return &drivers
	case sector.Bank:
		return &bank
	case sector.CivilStatus:
		return &civilStatus
	}
	return nil
}

// RatesOf returns the default corruption rates of the kind.
func RatesOf(k sector.Kind) Rates {
	if s := spec(k); s != nil {
		return s.rates
	}
	return Rates{}
}

// HeaderOf returns the columns of the files of the kind.
func HeaderOf(k sector.Kind) []string {
	if s := spec(k); s != nil {
		return append([]string(nil), s.header...)
	}
	return nil
}

// drivers: a licensing authority's export, in Excel's CSV (with a
// byte-order mark). Licences were mostly issued before the 2025 reform, so
// half the addresses still name pre-2025 units; names are often in capitals.
var drivers = kindSpec{
	header: []string{"SO_GPLX", "HANG", "HO_TEN", "NGAY_SINH", "GIOI_TINH", "SO_CCCD", "NOI_CU_TRU", "XA_PHUONG", "TINH", "NGAY_CAP"},
	comma:  ',',
	bom:    true,
	minAge: 18,
	idHalf: 1_000_000,
	rates: Rates{
		NotInRegister: 0.02, Deceased: 0.01, Duplicate: 0.015, Sibling: 0.25,
		OtherName: 0.2, NoMiddle: 0.02, GivenFirst: 0.01, NameTypo: 0.03, NoDiacritics: 0.05, UpperCase: 0.3,
		NoDate: 0.005, YearOnly: 0.01, DayMonthSwap: 0.01, DateTypo: 0.005,
		NoSex: 0.01, WrongSex: 0.002,
		NoPIN: 0.03, CMNDForPIN: 0.6, UnknownCMND: 0.03, PINTypo: 0.005,
		Moved: 0.03, OldUnits: 0.5, NoProvince: 0.01,
	},
	row: func(s *synthesizer, d *draft) {
		s.row = append(s.row[:0], d.id, wyrand.Pick(&s.r, licenceClasses), d.name, d.birthText, sexWord(d.sex),
			d.number, d.addressText(true), d.commune.FullName(), d.provinceName(true), d.issued.VN())
	},
}

var licenceClasses = []string{"A1", "A1", "A1", "A1", "A1", "A2", "B1", "B2", "B2", "B2", "C", "D", "E"}

// bank: a core-banking export, semicolon-separated, dates year first, sex
// coded 1 (male) and 0 (female); names mostly in capitals without
// diacritics, as card embossing wants them.
var bank = kindSpec{
	header: []string{"MA_KH", "TEN_KH", "NGAY_SINH", "GIOI_TINH", "LOAI_GTTT", "SO_GTTT", "DIEN_THOAI", "DIA_CHI", "TINH_TP"},
	comma:  ';',
	minAge: 15,
	iso:    true,
	phone:  true,
	idHalf: 100_000,
	rates: Rates{
		NotInRegister: 0.03, Deceased: 0.005, Duplicate: 0.02, Sibling: 0.2,
		OtherName: 0.2, NoMiddle: 0.03, GivenFirst: 0.02, NameTypo: 0.02, NoDiacritics: 0.4, UpperCase: 0.6,
		NoDate: 0.01, YearOnly: 0.01, DayMonthSwap: 0.015, DateTypo: 0.005,
		NoSex: 0.02, WrongSex: 0.003,
		NoPIN: 0.02, CMNDForPIN: 0.5, UnknownCMND: 0.05, PINTypo: 0.005, LostZero: 0.03,
		Moved: 0.05, OldUnits: 0.4, NoProvince: 0.02,
		NoPhone: 0.1, PhoneLostZero: 0.05,
	},
	row: func(s *synthesizer, d *draft) {
		sex := map[civil.Sex]string{civil.Male: "1", civil.Female: "0"}[d.sex]
		s.row = append(s.row[:0], "KH"+d.id, d.name, d.birthText, sex, d.numberKind, d.number, d.phone,
			d.addressText(false), d.provinceName(false))
	},
}

// civilStatus: birth (and death) registrations from the civil-status
// books, name in three parts, place of registration as pre-2025 codes.
// Books older than the PIN (2016) carry none, hence the high NoPIN.
var civilStatus = kindSpec{
	header: []string{"SO_DANG_KY", "LOAI_VIEC", "HO", "CHU_DEM", "TEN", "NGAY_SINH", "GIOI_TINH", "SO_DINH_DANH",
		"NOI_DANG_KY", "TINH_DANG_KY", "NGAY_DANG_KY"},
	comma:  ',',
	minAge: 0,
	zeros:  true,
	idHalf: 100_000,
	rates: Rates{
		NotInRegister: 0.01, Deceased: 0.03, Duplicate: 0.005, Sibling: 0.3,
		OtherName: 0.05, NoMiddle: 0.005, GivenFirst: 0.005, NameTypo: 0.05, NoDiacritics: 0.01,
		NoDate: 0.005, YearOnly: 0.04, DayMonthSwap: 0.005, DateTypo: 0.015,
		NoSex: 0.005, WrongSex: 0.002,
		NoPIN: 0.4, PINTypo: 0.01,
		NoProvince: 0.01,
	},
	row: func(s *synthesizer, d *draft) {
		family, middle, given := sector.SplitName(d.name)
		event, registered := "Khai sinh", d.birth
		if d.dead {
			event, registered = "Khai tử", d.death
		}
		if registered.Full() {
			registered = addDays(registered, s.r.Intn(60))
		}
		s.row = append(s.row[:0], "HT"+d.id, event, family, middle, given, d.birthText, sexWord(d.sex), d.number,
			d.commune.Code, d.province.Code, registered.VN())
	},
}

func sexWord(s civil.Sex) string {
	switch s {
	case civil.Male:
		return "Nam"
	case civil.Female:
		return "Nữ"
	}
	return ""
}
