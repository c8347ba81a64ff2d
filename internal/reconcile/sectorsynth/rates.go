package sectorsynth

import (
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/populus-vn/populus/internal/reconcile/sector"
)

// Rates are the probabilities of the corruption model of Synthesize. Each
// is drawn independently for every record unless its comment says on what
// it is conditional. README.md tabulates the defaults of each kind
// (RatesTable writes that table; a test keeps the two equal).
type Rates struct {
	// Which records.
	NotInRegister float64 // share of all records that are of people not in the register
	Deceased      float64 // share of all records that are of people who have died
	Duplicate     float64 // per person drawn: the person's record appears twice, under two ids
	Sibling       float64 // per person drawn who has an eligible sibling at home: the sibling's record follows, usually without its PIN
	LookAlike     float64 // per record of a person not in the register: made to look like the register person written before (same family and middle name, province and sex, a birth date days apart, another given name)

	// Name.
	OtherName    float64 // per person with another name (tên gọi khác): that name is written instead
	NoMiddle     float64 // the middle name is left out
	GivenFirst   float64 // the given name is written first (Western order)
	NameTypo     float64 // one keyboard, input-method, tone or OCR slip
	NoDiacritics float64 // diacritics dropped: Nguyễn Văn Đức → Nguyen Van Duc
	UpperCase    float64 // written in capitals (a style, not an error)
	SecondTypo   float64 // per name with a slip: a second slip of another kind
	IMEOff       float64 // every word typed with the input method off: Telex keystrokes (VNI one time in five)
	SplitName    float64 // (kinds with name columns) the name split another way: the middle name in the family or the given column, or the whole name in one column, as offices of one merged file each did
	LegacyText   float64 // the record's text (names, address, units) in TCVN3 or VNI-Windows: as the raw bytes of a legacy export (TCVN3), or read as Windows-1252 and saved as Unicode (either)

	// Date of birth.
	NoDate       float64 // left empty
	YearOnly     float64 // only the year is written
	DayMonthSwap float64 // day and month exchanged (only when both are 12 or less and differ)
	DateTypo     float64 // one digit of the written date wrong
	Placeholder  float64 // the day and month written 01/01, the usual stand-in for unknown ones
	YearOff      float64 // the year one off
	DayOff       float64 // the day one off, or ten off (a digit slip)
	TwoDigitYear float64 // (day-first kinds) the year written with two digits: 03/03/13
	SerialDate   float64 // the date as a spreadsheet's serial day number (32874 for 01/01/1990)

	// Sex.
	NoSex    float64 // left empty
	WrongSex float64 // the other sex

	// Identity number.
	NoPIN       float64 // left empty
	CMNDForPIN  float64 // per person whose register record has a CMND: that 9-digit number is written instead of the PIN
	UnknownCMND float64 // a 9-digit CMND the register does not know is written instead of the PIN
	PINTypo     float64 // one digit wrong, two swapped, or 0/1 read as O/l
	LostZero    float64 // the PIN's leading zero lost (a spreadsheet took it for a number)
	LostZeros   float64 // every leading zero of the PIN lost (two for provinces 001–009)
	SciNotation float64 // the PIN written by a spreadsheet in scientific notation, six digits kept (1.07585E+11): unreadable

	// Address.
	Moved           float64 // the address of another household (an address not updated after a move)
	OldUnits        float64 // written with the pre-2025 commune, district and province
	NoProvince      float64 // the province left out
	NoCommune       float64 // the commune left out (of its column and of the address)
	ProvinceAbbrev  float64 // the province written as people abbreviate it: TP.HCM, SG, HN, BR-VT, Daklak, T. Lâm Đồng
	CommuneDistrict float64 // per pre-2025 commune: its district in the same cell (Phường 8, Quận 10; F.8 - Q.10)

	// Phone (only kinds that have one).
	NoPhone       float64 // left empty
	PhoneLostZero float64 // written without its leading 0 (otherwise as 0…, +84…, 84 … or with dots)
}

// rateInfo names each rate for the table in README.md.
var rateInfo = []struct {
	name, tag, what string
	get             func(*Rates) *float64
}{
	{"NotInRegister", "not-in-register (case)", "share of all records: a person the register does not hold", func(r *Rates) *float64 { return &r.NotInRegister }},
	{"Deceased", "deceased (case)", "share of all records: a person who has died", func(r *Rates) *float64 { return &r.Deceased }},
	{"Duplicate", "duplicate (case)", "per person drawn: a second record, another id, corrupted anew", func(r *Rates) *float64 { return &r.Duplicate }},
	{"Sibling", "sibling, twin (case)", "per person drawn with an eligible sibling at home: the sibling's record follows (a twin first)", func(r *Rates) *float64 { return &r.Sibling }},
	{"LookAlike", "lookalike", "per record not in the register: a look-alike of the register person before it", func(r *Rates) *float64 { return &r.LookAlike }},
	{"OtherName", "name:other", "per person with a tên gọi khác: that name instead", func(r *Rates) *float64 { return &r.OtherName }},
	{"NoMiddle", "name:no-middle", "middle name left out", func(r *Rates) *float64 { return &r.NoMiddle }},
	{"GivenFirst", "name:given-first", "given name first", func(r *Rates) *float64 { return &r.GivenFirst }},
	{"NameTypo", "name:typo-KIND", "one typing or reading slip (see below)", func(r *Rates) *float64 { return &r.NameTypo }},
	{"NoDiacritics", "name:no-diacritics", "diacritics dropped", func(r *Rates) *float64 { return &r.NoDiacritics }},
	{"UpperCase", "name:upper", "written in capitals", func(r *Rates) *float64 { return &r.UpperCase }},
	{"SecondTypo", "name:typo2-KIND", "per name with a slip: a second slip", func(r *Rates) *float64 { return &r.SecondTypo }},
	{"SplitName", "name:split", "the name split across the name columns another way", func(r *Rates) *float64 { return &r.SplitName }},
	{"IMEOff", "name:ime-telex, name:ime-vni", "every word as Telex (or VNI) keystrokes", func(r *Rates) *float64 { return &r.IMEOff }},
	{"LegacyText", "text:tcvn3, text:tcvn3-1252, text:vni-1252", "text in TCVN3 bytes, or TCVN3/VNI read as Windows-1252", func(r *Rates) *float64 { return &r.LegacyText }},
	{"NoDate", "date:missing", "date of birth empty", func(r *Rates) *float64 { return &r.NoDate }},
	{"YearOnly", "date:year-only", "year of birth only", func(r *Rates) *float64 { return &r.YearOnly }},
	{"DayMonthSwap", "date:day-month-swapped", "day and month exchanged (day ≤ 12, day ≠ month)", func(r *Rates) *float64 { return &r.DayMonthSwap }},
	{"DateTypo", "date:typo", "one digit of the date wrong", func(r *Rates) *float64 { return &r.DateTypo }},
	{"Placeholder", "date:placeholder", "day and month written 01/01", func(r *Rates) *float64 { return &r.Placeholder }},
	{"YearOff", "date:year-off", "year one off", func(r *Rates) *float64 { return &r.YearOff }},
	{"DayOff", "date:day-off", "day one or ten off", func(r *Rates) *float64 { return &r.DayOff }},
	{"TwoDigitYear", "date:two-digit-year", "year in two digits (day-first kinds)", func(r *Rates) *float64 { return &r.TwoDigitYear }},
	{"SerialDate", "date:serial", "spreadsheet serial day number", func(r *Rates) *float64 { return &r.SerialDate }},
	{"NoSex", "sex:missing", "sex empty", func(r *Rates) *float64 { return &r.NoSex }},
	{"WrongSex", "sex:wrong", "the other sex", func(r *Rates) *float64 { return &r.WrongSex }},
	{"NoPIN", "pin:missing", "identity number empty", func(r *Rates) *float64 { return &r.NoPIN }},
	{"CMNDForPIN", "pin:cmnd", "per person with a CMND in the register: the CMND instead of the PIN", func(r *Rates) *float64 { return &r.CMNDForPIN }},
	{"UnknownCMND", "pin:unknown-cmnd", "a CMND the register does not know instead of the PIN", func(r *Rates) *float64 { return &r.UnknownCMND }},
	{"PINTypo", "pin:typo", "one digit wrong, two swapped, or 0/1 as O/l", func(r *Rates) *float64 { return &r.PINTypo }},
	{"LostZero", "pin:lost-zero", "PIN without its leading 0", func(r *Rates) *float64 { return &r.LostZero }},
	{"LostZeros", "pin:lost-zeros", "PIN without any of its leading zeros", func(r *Rates) *float64 { return &r.LostZeros }},
	{"SciNotation", "pin:scientific", "PIN in scientific notation, six digits kept", func(r *Rates) *float64 { return &r.SciNotation }},
	{"Moved", "addr:moved", "the previous household's address", func(r *Rates) *float64 { return &r.Moved }},
	{"OldUnits", "addr:old-units", "pre-2025 commune, district and province", func(r *Rates) *float64 { return &r.OldUnits }},
	{"NoProvince", "addr:no-province", "province left out", func(r *Rates) *float64 { return &r.NoProvince }},
	{"NoCommune", "addr:no-commune", "commune left out", func(r *Rates) *float64 { return &r.NoCommune }},
	{"ProvinceAbbrev", "addr:province-abbrev", "province abbreviated or run together", func(r *Rates) *float64 { return &r.ProvinceAbbrev }},
	{"CommuneDistrict", "addr:commune-district", "per pre-2025 commune: its district in the cell", func(r *Rates) *float64 { return &r.CommuneDistrict }},
	{"NoPhone", "phone:missing", "phone empty", func(r *Rates) *float64 { return &r.NoPhone }},
	{"PhoneLostZero", "phone:lost-zero", "phone without its leading 0", func(r *Rates) *float64 { return &r.PhoneLostZero }},
}

func (r Rates) check() error {
	for _, ri := range rateInfo {
		if p := *ri.get(&r); !(p >= 0 && p <= 1) {
			return fmt.Errorf("sector: rate %s is %v; rates are probabilities from 0 to 1", ri.name, p)
		}
	}
	if r.NotInRegister+r.Deceased > 1 {
		return fmt.Errorf("sector: rates NotInRegister and Deceased add up to more than 1")
	}
	return nil
}

// RatesTable returns the rates of every kind, in the default profile and
// in the hard one, as a Markdown table.
func RatesTable() string {
	var b strings.Builder
	b.WriteString("| rate | what | truth tag |")
	for _, p := range Profiles() {
		for _, k := range sector.Kinds() {
			if p == ProfileDefault {
				b.WriteString(" " + string(k) + " |")
			} else {
				b.WriteString(" " + string(p) + ": " + string(k) + " |")
			}
		}
	}
	b.WriteString("\n|---|---|---|")
	for range Profiles() {
		for range sector.Kinds() {
			b.WriteString("---:|")
		}
	}
	b.WriteString("\n")
	for _, ri := range rateInfo {
		fmt.Fprintf(&b, "| %s | %s | `%s` |", ri.name, ri.what, ri.tag)
		for _, p := range Profiles() {
			for _, k := range sector.Kinds() {
				r, _ := RatesFor(k, p)
				b.WriteString(" " + percent(*ri.get(&r)) + " |")
			}
		}
		b.WriteString("\n")
	}
	return b.String()
}

func percent(p float64) string {
	if p == 0 {
		return "—"
	}
	return strconv.FormatFloat(math.Round(p*1e6)/1e4, 'f', -1, 64) + "%"
}
