package sector

import (
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/populus-vn/populus/internal/civil"
)

func TestParseDate(t *testing.T) {
	for _, tc := range []struct {
		in, format string
		want       string // civil.Date.String(); "" for missing
		note       string
	}{
		{"14/05/1990", FormatVN, "1990-05-14", ""},
		{"4/5/1990", FormatVN, "1990-05-04", ""},
		{"14-05-1990", "", "1990-05-14", ""},
		{"14.05.1990", FormatVN, "1990-05-14", ""},
		{"1990-05-14", FormatVN, "1990-05-14", ""},
		{"1990-05-14 00:00:00", FormatISO, "1990-05-14", ""},
		{"1990-05-14T00:00:00Z", FormatISO, "1990-05-14", ""},
		{"1990/5/4", "", "1990-05-04", ""},
		{"05/1990", FormatMonthVN, "1990-05", ""},
		{"1990-05", "", "1990-05", ""},
		{"1990", FormatVN, "1990", ""},
		{"00/00/1950", FormatVN, "1950", ""},
		{"00/03/1950", FormatVN, "1950-03", ""},
		{"19900514", FormatISO, "1990-05-14", ""},
		{"14051990", FormatVN, "1990-05-14", ""},
		{"05/25/1990", FormatVN, "1990-05-25", "day and month appear swapped"},
		{"31/02/1990", FormatVN, "", "no such day"},
		{"14/05/90", FormatVN, "", "the year must have four digits"},
		{"14/05/0990", FormatVN, "", "year 990 is outside 1800–2399"},
		{"ngày 14", FormatVN, "", "is not a date in DD/MM/YYYY"},
		{"14//1990", "", "", "is not a date in DD/MM/YYYY or YYYY-MM-DD"},
		{"1990-05-14-01", "", "", "is not a date"},
	} {
		d, note := parseDate(tc.in, tc.format)
		if d.String() != tc.want || !strings.Contains(note, tc.note) || (tc.note == "") != (note == "") {
			t.Errorf("parseDate(%q, %q) = %v, %q; want %q, %q", tc.in, tc.format, d, note, tc.want, tc.note)
		}
	}
}

// readOne reads the first record of a CSV through a mapping.
func readOne(t *testing.T, mapping, csv string) Record {
	t.Helper()
	m, err := ParseMapping(mapping)
	if err != nil {
		t.Fatal(err)
	}
	r, err := OpenReader(strings.NewReader(csv), "", m)
	if err != nil {
		t.Fatal(err)
	}
	rec, err := r.Next()
	if err != nil {
		t.Fatal(err)
	}
	return rec
}

func TestRecordValues(t *testing.T) {
	const mapping = "id=ID, full_name=TEN, birth_date=NS:DD/MM/YYYY, birth_year=NAM, sex=GT:1=M/2=F, pin=SO, cmnd=CMND, " +
		"province=TINH, commune=XA, address=DC, phone=SDT"
	const header = "ID;TEN;NS;NAM;GT;SO;CMND;TINH;XA;DC;SDT\n"
	for _, tc := range []struct {
		name, row string
		check     func(r Record) bool
		notes     []string
	}{
		{"clean", "A1;Nguyễn Văn  An;14/05/1990;;Nam;079090001234;;Hồ Chí Minh;Phường Bến Thành;12 Lê Lợi;0912345678",
			func(r Record) bool {
				return r.ID == "A1" && r.FullName == "Nguyễn Văn An" && r.BirthDate == civil.Date{Year: 1990, Month: 5, Day: 14} &&
					r.Sex == civil.Male && r.PIN == "079090001234" && r.Province == "79" && r.Commune == "26743" &&
					r.Address == "12 Lê Lợi" && r.Phone == "0912345678" && r.Line == 2
			}, nil},
		{"decomposed name", "A1;Nguye\u0302\u0303n;;;;;;;;;", func(r Record) bool { return r.FullName == "Nguyễn" }, nil},
		{"no id", ";x;;;;;;;;;", func(r Record) bool { return r.ID == "" }, []string{"id: the record has no id"}},
		{"year column", "A;x;;1950;;;;;;;", func(r Record) bool { return r.BirthDate == civil.Date{Year: 1950} }, nil},
		{"year disagrees", "A;x;14/05/1990;1991;;;;;;;", func(r Record) bool { return r.BirthDate.Year == 1990 },
			[]string{"birth_year: birth year 1991 disagrees"}},
		{"sex codes", "A;x;;;2;;;;;;", func(r Record) bool { return r.Sex == civil.Female }, nil},
		{"sex undeclared code", "A;x;;;3;;;;;;", func(r Record) bool { return r.Sex == 0 }, []string{"sex code 3 is not one of the mapping's codes 1=M/2=F"}},
		{"sex word", "A;x;;;NỮ;;;;;;", func(r Record) bool { return r.Sex == civil.Female }, nil},
		{"sex junk", "A;x;;;?;;;;;;", func(r Record) bool { return r.Sex == 0 }, []string{"sex: sex '?' is not one of"}},
		{"PIN lost zero", "A;x;;;;79090001234;;;;;", func(r Record) bool { return r.PIN == "079090001234" }, []string{"lost leading zero"}},
		{"PIN with spaces and apostrophe", "A;x;;;;'079 090 001 234;;;;;", func(r Record) bool { return r.PIN == "079090001234" }, nil},
		{"PIN OCR", "A;x;;;;O79O9OOO1234;;;;;", func(r Record) bool { return r.PIN == "079090001234" }, []string{"letters O, l or I"}},
		{"PIN bad province", "A;x;;;;999090001234;;;;;", func(r Record) bool { return r.PIN == "" }, []string{"is not a valid PIN: digits 1–3 are 999"}},
		{"CMND in PIN column", "A;x;;;;012345678;;;;;", func(r Record) bool { return r.PIN == "" && r.CMND == "012345678" }, []string{"holds a 9-digit CMND"}},
		{"PIN in CMND column", "A;x;;;;;079090001234;;;;", func(r Record) bool { return r.PIN == "079090001234" && r.CMND == "" }, []string{"holds a 12-digit PIN"}},
		{"CMND lost zero", "A;x;;;;;12345678;;;;", func(r Record) bool { return r.CMND == "012345678" }, []string{"lost its leading zero"}},
		{"number in scientific notation", "A;x;;;;7.9090E+10;;;;;", func(r Record) bool { return r.PIN == "" }, []string{"is not a number"}},
		{"number too short", "A;x;;;;12345;;;;;", func(r Record) bool { return r.PIN == "" }, []string{"has 5 digits"}},
		{"old province name", "A;x;;;;;;Bình Dương;;;", func(r Record) bool { return r.Province == "old:74" }, nil},
		{"province alias", "A;x;;;;;;TP.HCM;;;", func(r Record) bool { return r.Province == "79" }, nil},
		{"province code", "A;x;;;;;;01;;;", func(r Record) bool { return r.Province == "01" }, nil},
		{"province birth-registration code", "A;x;;;;;;074;;;", func(r Record) bool { return r.Province == "old:74" }, nil},
		{"province unknown", "A;x;;;;;;Atlantis;;;", func(r Record) bool { return r.Province == "" }, []string{"province 'Atlantis' is not a known province"}},
		{"province code unknown", "A;x;;;;;;03;;;", func(r Record) bool { return r.Province == "" }, []string{"not a province of the current system"}},
		{"commune code gives province", "A;x;;;;;;;26743;;", func(r Record) bool { return r.Commune == "26743" && r.Province == "79" }, nil},
		{"old commune name in new province", "A;x;;;;;;Hồ Chí Minh;Xã Thạnh An;;", func(r Record) bool { return r.Commune != "" }, nil},
		{"commune without province", "A;x;;;;;;;Phường Bến Thành;;", func(r Record) bool { return r.Commune == "" }, []string{"without a province"}},
		{"commune elsewhere", "A;x;;;;;;Hà Nội;26743;;", func(r Record) bool { return r.Commune == "26743" }, []string{"commune 26743 is not in province 01"}},
		{"phone +84", "A;x;;;;;;;;;+84 912 345 678", func(r Record) bool { return r.Phone == "0912345678" }, nil},
		{"phone dots", "A;x;;;;;;;;;0912.345.678", func(r Record) bool { return r.Phone == "0912345678" }, nil},
		{"phone lost zero", "A;x;;;;;;;;;912345678", func(r Record) bool { return r.Phone == "0912345678" }, []string{"lost leading zero"}},
		{"phone junk", "A;x;;;;;;;;;call me", func(r Record) bool { return r.Phone == "" }, []string{"is not a phone number"}},
		{"phone short", "A;x;;;;;;;;;12345", func(r Record) bool { return r.Phone == "" }, []string{"is not a Vietnamese number"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := readOne(t, mapping, header+tc.row+"\n")
			if !tc.check(r) {
				t.Errorf("record %+v", r)
			}
			if len(r.Notes) != len(tc.notes) {
				t.Fatalf("notes %v, want %d like %q", r.Notes, len(tc.notes), tc.notes)
			}
			for i, n := range tc.notes {
				if !strings.Contains(r.Notes[i].String(), n) {
					t.Errorf("note %q, want %q", r.Notes[i], n)
				}
			}
		})
	}
}

func TestRecordParts(t *testing.T) {
	r := readOne(t, "family_name=HO, middle_name=DEM, given_name=TEN, province=TINH:old, commune=XA:old",
		"HO,DEM,TEN,TINH,XA\nTôn Nữ,Thị,Hà,74,25747\n")
	if r.FullName != "Tôn Nữ Thị Hà" || r.FamilyName != "Tôn Nữ" || r.GivenName != "Hà" || r.Province != "old:74" ||
		r.Commune != "old:25747" || r.Raw(FieldCommune) != "25747" || len(r.Notes) != 0 {
		t.Errorf("record %+v", r)
	}
}

func TestReaderColumns(t *testing.T) {
	m, _ := ParseMapping("full_name=ho_ten, birth_date=NGAY_SINH")
	// A column matches ignoring case when only one does.
	r, err := OpenReader(strings.NewReader("HO_TEN,NGAY_SINH\nLê,1990\n"), "", m)
	if err != nil {
		t.Fatal(err)
	}
	if rec, err := r.Next(); err != nil || rec.FullName != "Lê" {
		t.Errorf("%+v, %v", rec, err)
	}
	if _, err := r.Next(); err != io.EOF {
		t.Errorf("after the last row: %v", err)
	}
	// Missing column: the error names the field, the column, the header line and its columns.
	_, err = OpenReader(strings.NewReader("HO_TEN,NGAYSINH,GT\n"), "", m)
	var mc *MissingColumnError
	want := `line 1: field birth_date is mapped to column "NGAY_SINH", which the header does not have; the header's columns are: HO_TEN, NGAYSINH, GT`
	if !errors.As(err, &mc) || err.Error() != want {
		t.Errorf("err = %v\nwant %s", err, want)
	}
	// Two columns differing only in case do not match a third spelling.
	_, err = OpenReader(strings.NewReader("Ho_Ten,HO_TEN_,HO_TEn\n"), "", m)
	if !errors.As(err, &mc) {
		t.Errorf("ambiguous case: %v", err)
	}
	// A row error passes through and reading goes on.
	r, _ = OpenReader(strings.NewReader("HO_TEN,NGAY_SINH\na\nb,1990\n"), "", m)
	if _, err := r.Next(); !IsRowError(err) || !strings.HasPrefix(err.Error(), "line 2:") {
		t.Errorf("short row: %v", err)
	}
	if rec, err := r.Next(); err != nil || rec.Line != 3 {
		t.Errorf("after a row error: %+v, %v", rec, err)
	}
	// The empty file.
	if _, err := OpenReader(strings.NewReader(""), "", m); err == nil || !strings.Contains(err.Error(), "line 1: the file is empty") {
		t.Errorf("empty file: %v", err)
	}
	if _, err := NewReader(nil, &Mapping{}); err == nil {
		t.Error("empty mapping accepted")
	}
}
