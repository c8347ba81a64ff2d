package sectorsynth

import (
	"fmt"

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
	parts  bool // the name is in family, middle and given columns
	idHalf uint64
	rates  Rates
	hard   Rates // the rates of the hard profile
	// text are the columns of free text (names, address, unit names),
	// which LegacyText writes in a legacy encoding.
	text []int
	row  func(s *synthesizer, d *draft) // fills s.row
}

// Profile names a set of corruption rates.
type Profile string

const (
	// ProfileDefault is each kind's model as sector files usually are.
	ProfileDefault Profile = "default"
	// ProfileHard is harsher than real files: a third of the records or
	// more without a PIN, missing units, several faults in one name,
	// keystrokes of an input method switched off, legacy encodings,
	// spreadsheet damage to dates and numbers, and look-alikes of
	// register people who are not in it.
	ProfileHard Profile = "hard"
)

// Profiles lists the profiles.
func Profiles() []Profile { return []Profile{ProfileDefault, ProfileHard} }

// ParseProfile reads a profile's name ("" is the default).
func ParseProfile(s string) (Profile, error) {
	switch Profile(s) {
	case "", ProfileDefault:
		return ProfileDefault, nil
	case ProfileHard:
		return ProfileHard, nil
	}
	return "", fmt.Errorf("profile %q is not one of default, hard", s)
}

// RatesFor returns the corruption rates of the kind in the profile.
func RatesFor(k sector.Kind, p Profile) (Rates, error) {
	s := spec(k)
	if s == nil {
		_, err := sector.ParseKind(string(k))
		return Rates{}, err
	}
	switch p {
	case "", ProfileDefault:
		return s.rates, nil
	case ProfileHard:
		return s.hard, nil
	}
	_, err := ParseProfile(string(p))
	return Rates{}, err
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
	hard: Rates{
		NotInRegister: 0.05, LookAlike: 0.5, Deceased: 0.01, Duplicate: 0.02, Sibling: 0.25,
		OtherName: 0.2, NoMiddle: 0.06, GivenFirst: 0.04, NameTypo: 0.12, SecondTypo: 0.3, NoDiacritics: 0.25, UpperCase: 0.4,
		IMEOff: 0.03, LegacyText: 0.04,
		NoDate: 0.01, YearOnly: 0.04, DayMonthSwap: 0.02, DateTypo: 0.02, Placeholder: 0.03, YearOff: 0.01, DayOff: 0.015,
		TwoDigitYear: 0.04, SerialDate: 0.02,
		NoSex: 0.03, WrongSex: 0.005,
		NoPIN: 0.35, CMNDForPIN: 0.5, UnknownCMND: 0.05, PINTypo: 0.03, LostZero: 0.03, LostZeros: 0.02, SciNotation: 0.01,
		Moved: 0.06, OldUnits: 0.5, NoProvince: 0.08, NoCommune: 0.1, ProvinceAbbrev: 0.15, CommuneDistrict: 0.4,
	},
	text: []int{2, 6, 7, 8},
	row: func(s *synthesizer, d *draft) {
		s.row = append(s.row[:0], d.id, wyrand.Pick(&s.r, licenceClasses), d.name, d.birthText, sexWord(d.sex),
			d.number, d.addressText(true), d.communeName(), d.provinceName(true), d.issued.VN())
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
	hard: Rates{
		NotInRegister: 0.06, LookAlike: 0.5, Deceased: 0.005, Duplicate: 0.03, Sibling: 0.2,
		OtherName: 0.2, NoMiddle: 0.08, GivenFirst: 0.05, NameTypo: 0.1, SecondTypo: 0.3, NoDiacritics: 0.6, UpperCase: 0.7,
		IMEOff: 0.02, LegacyText: 0.03,
		NoDate: 0.02, YearOnly: 0.03, DayMonthSwap: 0.03, DateTypo: 0.02, Placeholder: 0.03, YearOff: 0.01, DayOff: 0.015,
		SerialDate: 0.03,
		NoSex:      0.04, WrongSex: 0.005,
		NoPIN: 0.35, CMNDForPIN: 0.4, UnknownCMND: 0.08, PINTypo: 0.03, LostZero: 0.05, LostZeros: 0.03, SciNotation: 0.02,
		Moved: 0.08, OldUnits: 0.4, NoProvince: 0.1, NoCommune: 0.15, ProvinceAbbrev: 0.2,
		NoPhone: 0.15, PhoneLostZero: 0.08,
	},
	text: []int{1, 7, 8},
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
	parts:  true,
	idHalf: 100_000,
	rates: Rates{
		NotInRegister: 0.01, Deceased: 0.03, Duplicate: 0.005, Sibling: 0.3,
		OtherName: 0.05, NoMiddle: 0.005, GivenFirst: 0.005, NameTypo: 0.05, NoDiacritics: 0.01,
		NoDate: 0.005, YearOnly: 0.04, DayMonthSwap: 0.005, DateTypo: 0.015,
		NoSex: 0.005, WrongSex: 0.002,
		NoPIN: 0.4, PINTypo: 0.01,
		NoProvince: 0.01,
	},
	hard: Rates{
		NotInRegister: 0.03, LookAlike: 0.5, Deceased: 0.03, Duplicate: 0.01, Sibling: 0.3,
		OtherName: 0.05, NoMiddle: 0.02, GivenFirst: 0.01, NameTypo: 0.12, SecondTypo: 0.3, NoDiacritics: 0.05,
		IMEOff: 0.02, LegacyText: 0.08, SplitName: 0.15,
		NoDate: 0.01, YearOnly: 0.08, DayMonthSwap: 0.01, DateTypo: 0.03, Placeholder: 0.05, YearOff: 0.01, DayOff: 0.02,
		TwoDigitYear: 0.03, SerialDate: 0.02,
		NoSex: 0.01, WrongSex: 0.003,
		NoPIN: 0.55, PINTypo: 0.03, LostZeros: 0.02, SciNotation: 0.01,
		NoProvince: 0.05, NoCommune: 0.05,
	},
	text: []int{2, 3, 4},
	row: func(s *synthesizer, d *draft) {
		family, middle, given := splitAs(d.name, d.split)
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

// splitAs splits a name into the family, middle and given columns: the
// Vietnamese way (first word, last word, the rest between), or, as the
// offices of a merged file each did, with the middle name in the family
// column (1) or in the given column (2), or the whole name in the family
// (3) or the given column (4).
func splitAs(name string, how uint8) (family, middle, given string) {
	family, middle, given = sector.SplitName(name)
	switch {
	case how == 1 && middle != "":
		return family + " " + middle, "", given
	case how == 2 && middle != "":
		return family, "", middle + " " + given
	case how == 3:
		return name, "", ""
	case how == 4:
		return "", "", name
	}
	return family, middle, given
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
