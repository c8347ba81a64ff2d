package sector

import (
	"fmt"
	"strings"

	"github.com/populus-vn/populus/internal/civil"
	"github.com/populus-vn/populus/internal/wyrand"
)

// Kind is a kind of sector database that Synthesize imitates.
type Kind string

const (
	Drivers     Kind = "drivers"      // driver's licences (giấy phép lái xe)
	Bank        Kind = "bank"         // bank customers (khách hàng)
	CivilStatus Kind = "civil-status" // civil-status books (sổ hộ tịch): birth and death registrations
)

// Kinds returns every kind.
func Kinds() []Kind { return []Kind{Drivers, Bank, CivilStatus} }

// ParseKind reads a kind's name.
func ParseKind(s string) (Kind, error) {
	for _, k := range Kinds() {
		if string(k) == s {
			return k, nil
		}
	}
	return "", fmt.Errorf("sector: unknown kind %q; known kinds: drivers, bank, civil-status", s)
}

// kindSpec is the layout and the rates of one kind of sector file.
type kindSpec struct {
	header  []string
	comma   rune
	bom     bool
	mapping string
	minAge  int  // people younger than this (at the reference date, or at death) hold no record
	iso     bool // dates written YYYY-MM-DD, not DD/MM/YYYY
	zeros   bool // a year-only date is written 00/00/YYYY half the time, as old books do
	phone   bool // the file has a phone column
	idHalf  uint64
	rates   Rates
	row     func(s *synthesizer, d *draft) // fills s.row
}

func (k Kind) spec() *kindSpec {
	switch k {
	case Drivers:
		return &drivers
	case Bank:
		return &bank
	case CivilStatus:
		return &civilStatus
	}
	return nil
}

// Mapping returns the mapping that reads the files Synthesize writes for
// the kind; nil for an unknown kind.
func (k Kind) Mapping() *Mapping {
	s := k.spec()
	if s == nil {
		return nil
	}
	m, err := ParseMapping(s.mapping)
	if err != nil {
		panic("sector: mapping of " + string(k) + ": " + err.Error())
	}
	return m
}

// Rates returns the kind's default corruption rates.
func (k Kind) Rates() Rates {
	if s := k.spec(); s != nil {
		return s.rates
	}
	return Rates{}
}

// Header returns the columns of the kind's files.
func (k Kind) Header() []string {
	if s := k.spec(); s != nil {
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
	mapping: "id=SO_GPLX, full_name=HO_TEN, birth_date=NGAY_SINH:DD/MM/YYYY, sex=GIOI_TINH, pin=SO_CCCD, " +
		"address=NOI_CU_TRU, commune=XA_PHUONG, province=TINH",
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
	mapping: "id=MA_KH, full_name=TEN_KH, birth_date=NGAY_SINH:YYYY-MM-DD, sex=GIOI_TINH:1=M/0=F, pin=SO_GTTT, " +
		"phone=DIEN_THOAI, address=DIA_CHI, province=TINH_TP",
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
	comma: ',',
	mapping: "id=SO_DANG_KY, family_name=HO, middle_name=CHU_DEM, given_name=TEN, birth_date=NGAY_SINH:DD/MM/YYYY, " +
		"sex=GIOI_TINH, pin=SO_DINH_DANH, commune=NOI_DANG_KY:old, province=TINH_DANG_KY:old",
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
		family, middle, given := SplitName(d.name)
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

// SplitName splits a full name the way sector forms do: the first word is
// the family name, the last the given name, the rest the middle name.
func SplitName(s string) (family, middle, given string) {
	w := strings.Fields(s)
	switch len(w) {
	case 0:
		return "", "", ""
	case 1:
		return "", "", w[0]
	}
	return w[0], strings.Join(w[1:len(w)-1], " "), w[len(w)-1]
}
