package sector

import (
	"fmt"
	"strings"
)

// Kind is a kind of sector database: a layout of its files, with the
// mapping that reads them (internal/reconcile/sectorsynth imitates each).
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

// kindMappings are the mappings that read the files of each kind (as
// internal/reconcile/sectorsynth writes them).
var kindMappings = map[Kind]string{
	Drivers: "id=SO_GPLX, full_name=HO_TEN, birth_date=NGAY_SINH:DD/MM/YYYY, sex=GIOI_TINH, pin=SO_CCCD, " +
		"address=NOI_CU_TRU, commune=XA_PHUONG, province=TINH",
	Bank: "id=MA_KH, full_name=TEN_KH, birth_date=NGAY_SINH:YYYY-MM-DD, sex=GIOI_TINH:1=M/0=F, pin=SO_GTTT, " +
		"phone=DIEN_THOAI, address=DIA_CHI, province=TINH_TP",
	CivilStatus: "id=SO_DANG_KY, family_name=HO, middle_name=CHU_DEM, given_name=TEN, birth_date=NGAY_SINH:DD/MM/YYYY, " +
		"sex=GIOI_TINH, pin=SO_DINH_DANH, commune=NOI_DANG_KY:old, province=TINH_DANG_KY:old",
}

// Mapping returns the mapping that reads the files of the kind (those
// sectorsynth.Synthesize writes); nil for an unknown kind.
func (k Kind) Mapping() *Mapping {
	s, ok := kindMappings[k]
	if !ok {
		return nil
	}
	m, err := ParseMapping(s)
	if err != nil {
		panic("sector: mapping of " + string(k) + ": " + err.Error())
	}
	return m
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
