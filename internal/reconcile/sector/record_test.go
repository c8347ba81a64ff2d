package sector

import (
	"errors"
	"fmt"
	"github.com/populus-vn/populus/internal/units"
	"io"
	"slices"
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
		{"14/05/90", FormatVN, "1990-05-14", "has a two-digit year, read as 1990"},
		{"03/03/13", FormatVN, "2013-03-03", "has a two-digit year, read as 2013"},
		{"3/3/45", "", "1945-03-03", "two-digit year, read as 1945"},
		{"32874", "", "1990-01-01", "spreadsheet's serial day number: 01/01/1990"},
		{"33007.0", "", "1990-05-14", "serial day number: 14/05/1990"},
		{"99999", "", "", "is not a date"},
		{"01/01/1950", FormatVN, "1950", "the usual stand-in for an unknown day and month"},
		{"1950-01-01", "", "1950", "only the year 1950 is used"},
		{"01/01/50", FormatVN, "1950", "two-digit year, read as 1950; birth date '01/01/50' is 1 January"},
		{"14/05/1990 extra", FormatVN, "", "is not a date"},
		{"1/2/3", FormatVN, "", "the year must have four digits"},
		{"14/05/0990", FormatVN, "", "year 990 is outside 1800–2399"},
		{"ngày 14", FormatVN, "", "is not a date in DD/MM/YYYY"},
		// Written in words.
		{"ngày 17 tháng 5 năm 1990", FormatVN, "1990-05-17", ""},
		{"Ngay 17 thang 05 nam 1990", FormatVN, "1990-05-17", ""},
		{"tháng 5 năm 1990", "", "1990-05", ""},
		{"năm 1990", "", "1990", ""},
		{"ngày 17 năm 1990", FormatVN, "", "is not a date"},
		{"17-May-90", FormatVN, "1990-05-17", "two-digit year, read as 1990"},
		{"17 May 1990", "", "1990-05-17", ""},
		{"3-Sept-1985", "", "1985-09-03", ""},
		{"17-Mai-1990", "", "", "is not a date"},
		{"14//1990", "", "", "is not a date in DD/MM/YYYY or YYYY-MM-DD"},
		{"1990-05-14-01", "", "", "is not a date"},
		{"05/25/1990", FormatUS, "1990-05-25", ""},
		{"05/06/1990", FormatUS, "1990-05-06", ""},
		{"25/05/1990", FormatUS, "1990-05-25", "day and month appear swapped"},
		{"05251990", FormatUS, "1990-05-25", ""},
		{"03/04/13", FormatUS, "2013-03-04", "two-digit year, read as 2013"},
		{"01/01/1950", FormatUS, "1950", "only the year 1950 is used"},
	} {
		d, note := parseDate(tc.in, tc.format)
		if d.String() != tc.want || !strings.Contains(note, tc.note) || (tc.note == "") != (note == "") {
			t.Errorf("parseDate(%q, %q) = %v, %q; want %q, %q", tc.in, tc.format, d, note, tc.want, tc.note)
		}
	}
}

// openReader opens a reader of a CSV through a mapping.
func openReader(t *testing.T, mapping, csv string) *Reader {
	t.Helper()
	m, err := ParseMapping(mapping)
	if err != nil {
		t.Fatal(err)
	}
	r, err := OpenReader(strings.NewReader(csv), "", m)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// readOne reads the first record of a CSV through a mapping.
func readOne(t *testing.T, mapping, csv string) Record {
	t.Helper()
	rec, err := openReader(t, mapping, csv).Next()
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
		{"PIN bad province", "A;x;;;;999090001234;;;;;", func(r Record) bool { return r.PIN == "999090001234" },
			[]string{"is not a valid PIN (digits 1–3 are 999, which is not a province code of birth registration); it is compared as a PIN with a typing error"}},
		{"PIN that lost one of its two leading zeros", "A;x;;;;01179766070;;;;;", func(r Record) bool { return r.PIN == "001179766070" }, []string{"a lost leading zero is restored"}},
		{"11 digits that no zero makes a PIN", "A;x;;;;09979766070;;;;;", func(r Record) bool { return r.PIN == "" }, []string{"has 11 digits"}},
		{"CMND in PIN column", "A;x;;;;012345678;;;;;", func(r Record) bool { return r.PIN == "" && r.CMND == "012345678" }, []string{"holds a 9-digit CMND"}},
		{"PIN in CMND column", "A;x;;;;;079090001234;;;;", func(r Record) bool { return r.PIN == "079090001234" && r.CMND == "" }, []string{"holds a 12-digit PIN"}},
		{"CMND lost zero", "A;x;;;;;12345678;;;;", func(r Record) bool { return r.CMND == "012345678" }, []string{"lost its leading zero"}},
		{"number in scientific notation, digits lost", "A;x;;;;7.9090E+10;;;;;", func(r Record) bool { return r.PIN == "" }, []string{"kept only its first digits"}},
		{"Excel's General format", "A;x;;;;1.07585E+11;;;;;", func(r Record) bool { return r.PIN == "" }, []string{"kept only its first digits"}},
		{"number in scientific notation, whole", "A;x;;;;7.9090001234E+10;;;;;", func(r Record) bool { return r.PIN == "079090001234" },
			[]string{"scientific notation; it is read as 79090001234", "a lost leading zero is restored"}},
		{"PIN of province 001 that lost two zeros", "A;x;;;;1090000001;;;;;", func(r Record) bool { return r.PIN == "001090000001" },
			[]string{"two lost leading zeros are restored"}},
		{"not a number", "A;x;;;;abc;;;;;", func(r Record) bool { return r.PIN == "" }, []string{"is not a number"}},
		{"a label before the PIN", "A;x;;;;CCCD: 038064076651;;;;;", func(r Record) bool { return r.PIN == "038064076651" }, []string{`the label 'CCCD' before the number is left out`}},
		{"a Vietnamese label", "A;x;;;;Số CCCD 038064076651;;;;;", func(r Record) bool { return r.PIN == "038064076651" }, []string{`the label 'Số CCCD' before the number`}},
		{"a CMND labelled", "A;x;;;;CMND số: 012345678;;;;;", func(r Record) bool { return r.CMND == "012345678" }, []string{`the label 'CMND số' before the number`, "read as a CMND"}},
		{"number too short", "A;x;;;;12345;;;;;", func(r Record) bool { return r.PIN == "" }, []string{"has 5 digits"}},
		{"old province name", "A;x;;;;;;Bình Dương;;;", func(r Record) bool { return r.Province == "old:74" }, nil},
		{"province alias", "A;x;;;;;;TP.HCM;;;", func(r Record) bool { return r.Province == "79" }, nil},
		{"province code", "A;x;;;;;;01;;;", func(r Record) bool { return r.Province == "01" }, nil},
		{"province birth-registration code", "A;x;;;;;;074;;;", func(r Record) bool { return r.Province == "old:74" }, nil},
		{"province unknown", "A;x;;;;;;Atlantis;;;", func(r Record) bool { return r.Province == "" }, []string{"province 'Atlantis' is not a known province"}},
		{"province code unknown", "A;x;;;;;;03;;;", func(r Record) bool { return r.Province == "" }, []string{"not a province of the current system"}},
		{"commune code gives province", "A;x;;;;;;;26743;;", func(r Record) bool { return r.Commune == "26743" && r.Province == "79" }, nil},
		{"old commune name in new province", "A;x;;;;;;Hồ Chí Minh;Xã Thạnh An;;", func(r Record) bool { return r.Commune != "" }, nil},
		{"commune without province, unique in the country", "A;x;;;;;;;Phường Bến Thành;;",
			func(r Record) bool { return r.Commune == "26743" && r.Province == "79" }, []string{"the only commune of that name in the country (province 79)"}},
		{"commune without province, shared", "A;x;;;;;;;Phường 8;;", func(r Record) bool { return r.Commune == "" && r.Province == "" },
			[]string{"several communes have that name"}},
		{"commune without province, shared by a few", "A;x;;;;;;;Xã Phú Nghĩa;;", func(r Record) bool {
			want := currentCommunesNamed("Phú Nghĩa")
			if r.Commune != "" || r.Province != "" || len(want) < 2 || len(r.Communes) < len(want) || len(r.Communes) > 8 {
				return false
			}
			for _, k := range want {
				if !slices.Contains(r.Communes, k) {
					return false
				}
			}
			for _, k := range r.Communes {
				if u, ok := units.Default().Lookup(k); !ok || u.Level != units.LevelCommune || u.Legacy {
					return false
				}
			}
			return true
		}, []string{"several communes have that name; it is compared with the candidates' communes"}},
		{"commune and district in one cell", "A;x;;;;;;Hồ Chí Minh;Phường 8, Quận Tân Bình;;", func(r Record) bool { return r.Commune == "old:26998" }, nil},
		{"numbered ward, district abbreviated", "A;x;;;;;;TP.HCM;F.8 - Q.10;;", func(r Record) bool { return r.Commune == "old:27187" }, nil},
		{"numbered ward without district", "A;x;;;;;;Hồ Chí Minh;Phường 8;;", func(r Record) bool { return r.Commune == "" }, []string{"shared by several communes"}},
		{"unread province keeps the commune", "A;x;;;;;;Atlantis;Phường Bến Thành;;", func(r Record) bool { return r.Commune == "26743" && r.Province == "79" },
			[]string{"province 'Atlantis' is not a known province", "the only commune of that name"}},
		{"province run together", "A;x;;;;;;Daklak;;;", func(r Record) bool { return r.Province == "66" }, nil},
		{"province spelt with c", "A;x;;;;;;Đắc Lắc;;;", func(r Record) bool { return r.Province == "66" }, nil},
		{"province abbreviated", "A;x;;;;;;SG;;;", func(r Record) bool { return r.Province == "79" }, nil},
		{"province BR-VT", "A;x;;;;;;BR-VT;;;", func(r Record) bool { return r.Province == "old:77" }, nil},
		{"province by its city", "A;x;;;;;;Vũng Tàu;;;", func(r Record) bool { return r.Province == "old:77" }, nil},
		{"province T.", "A;x;;;;;;T. Lâm Đồng;;;", func(r Record) bool { return r.Province == "68" }, nil},
		{"province Kontum", "A;x;;;;;;Kontum;;;", func(r Record) bool { return r.Province == "old:62" }, nil},
		{"TCVN3 name as Windows-1252", "A;NguyÔn V¨n Hµ;;;;;;Hµ Néi;;;", func(r Record) bool { return r.FullName == "Nguyễn Văn Hà" && r.Province == "01" },
			[]string{"full_name: 'NguyÔn V¨n Hµ' is TCVN3", "province: 'Hµ Néi' is TCVN3"}},
		{"VNI name as Windows-1252", "A;Nguyeãn Vaên Haø;;;;;;;;;", func(r Record) bool { return r.FullName == "Nguyễn Văn Hà" }, []string{"is VNI-Windows"}},
		{"Telex name", "A;Nguyeexn Thij Lan;;;;;;;;;", func(r Record) bool { return r.FullName == "Nguyễn Thị Lan" }, []string{"typed with Telex keystrokes"}},
		{"foreign name kept", "A;José Müller;;;;;;;;;", func(r Record) bool { return r.FullName == "José Müller" }, nil},
		{"commune elsewhere", "A;x;;;;;;Hà Nội;26743;;", func(r Record) bool { return r.Commune == "26743" }, []string{"commune 26743 is not in province 01"}},
		{"address names commune and province", "A;x;;;;;;;;Số 12 Lê Lợi, Phường Bến Thành, TP.HCM;",
			func(r Record) bool { return r.Commune == "26743" && r.Province == "79" }, []string{"address: province 79 is read from the address"}},
		{"address names the commune, province column", "A;x;;;;;;Hồ Chí Minh;;12 Lê Lợi, P. Bến Thành;",
			func(r Record) bool { return r.Commune == "26743" && r.Province == "79" }, nil},
		{"address: ward and district abbreviated, dashes", "A;x;;;;;;;;12 Lê Lợi - F.8 - Q.10 - TP.HCM;",
			func(r Record) bool { return r.Commune == "old:27187" && r.Province == "79" }, []string{"address: province 79"}},
		{"address: a room before the commune", "A;x;;;;;;;;P.203, Số 12 Lê Lợi, P. Bến Thành, TP.HCM;",
			func(r Record) bool { return r.Commune == "26743" && r.Province == "79" }, []string{"address: province 79"}},
		{"address: commune in the column wins", "A;x;;;;;;;Phường Bến Thành;Phường 8, Quận 10, TP.HCM;",
			func(r Record) bool { return r.Commune == "26743" }, []string{"the only commune of that name"}},
		{"address without units", "A;x;;;;;;;;Số 5 đường Lý Tự Trọng, khu phố 6;",
			func(r Record) bool { return r.Commune == "" && r.Province == "" && r.Communes == nil }, nil},
		{"address: a village last is no province", "A;x;;;;;;;;Số nhà 12, bản Pác Bó;",
			func(r Record) bool { return r.Commune == "" && r.Province == "" }, nil},
		{"address: numbered ward without district", "A;x;;;;;;Hồ Chí Minh;;12 Lê Lợi, Phường 8;",
			func(r Record) bool { return r.Commune == "" && len(r.Communes) == 8 },
			[]string{"address: in the address: commune name 'Phường 8' is shared by several communes of province 79; it is compared with the candidates' communes"}},
		{"address: unread province keeps the commune", "A;x;;;;;;Atlantis;;Ấp 2, Phường Bến Thành;",
			func(r Record) bool { return r.Commune == "26743" && r.Province == "79" },
			[]string{"province 'Atlantis' is not a known province", "address: in the address: commune 'Phường Bến Thành' is given without a province"}},
		{"address in TCVN3 as Windows-1252", "A;NguyÔn V¨n Hµ;;;;;;;;Sè 12, Ph­êng BÕn Thµnh;",
			func(r Record) bool { return r.Commune == "26743" }, []string{"full_name: 'NguyÔn V¨n Hµ' is TCVN3", "address: 'Sè 12, Ph­êng BÕn Thµnh' is TCVN3", "address: in the address"}},
		{"date with a digit that makes it none", "A;x;16/90/1985;;;;;;;;", func(r Record) bool { return r.BirthDate.IsZero() && r.BirthDigits == "19859016" },
			[]string{"birth_date: birth date '16/90/1985' is not a date in DD/MM/YYYY: no such day; its digits are compared with the register's dates, one typing error apart"}},
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
	// Column names composed one way in the mapping and the other in the
	// file (a file saved where accents are decomposed, NFD) are the same.
	nfd, _ := ParseMapping("full_name=Họ và tên, id=Mã KH")
	if r, err := OpenReader(strings.NewReader("Ma\u0303 KH,Ho\u0323 va\u0300 te\u0302n\nKH1,Lê\n"), "", nfd); err != nil {
		t.Errorf("decomposed column names: %v", err)
	} else if rec, err := r.Next(); err != nil || rec.FullName != "Lê" {
		t.Errorf("%+v, %v", rec, err)
	}
	// The header pasted again below: that row is left out, saying why.
	if r, err := OpenReader(strings.NewReader("HO_TEN,NGAY_SINH\nLê,1990\nHo_Ten , ngay_sinh\nTrần,1991\n"), "", m); err != nil {
		t.Error(err)
	} else {
		r.Next()
		if _, err := r.Next(); !IsRowError(err) || !strings.Contains(err.Error(), "line 3: the row repeats the header's column names") {
			t.Errorf("the header again: %v", err)
		}
		if rec, err := r.Next(); err != nil || rec.FullName != "Trần" {
			t.Errorf("the row after: %+v %v", rec, err)
		}
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

// TestUnreadableNotes: a note says whether its value was left missing
// (unreadable, counted per column in the summary) or read under an
// assumption.
func TestUnreadableNotes(t *testing.T) {
	const mapping = "full_name=TEN, birth_date=NS, pin=SO, province=TINH, commune=XA, phone=SDT, sex=GT"
	for _, tc := range []struct {
		row        string
		field      Field
		unreadable bool
	}{
		{"x;31/02/1990;;;;;", FieldBirthDate, true},
		{"x;05/25/1990;;;;;", FieldBirthDate, false},
		{"x;14/05/90;;;;;", FieldBirthDate, false},
		{"x;;1.07585E+11;;;;", FieldPIN, true},
		{"x;;79090001234;;;;", FieldPIN, false},
		{"x;;;Atlantis;;;", FieldProvince, true},
		{"x;;;;Phường 8;;", FieldCommune, true},
		{"x;;;;Phường Bến Thành;;", FieldCommune, false},
		{"x;;;;Xã Phú Nghĩa;;", FieldCommune, false}, // shared by a few communes: compared with the candidates'

		{"x;;;;;call me;", FieldPhone, true},
		{"x;;;;;912345678;", FieldPhone, false},
		{"x;;;;;;?", FieldSex, true},
		{"NguyÔn;;;;;;", FieldFullName, false},
	} {
		r := readOne(t, mapping, "TEN;NS;SO;TINH;XA;SDT;GT\n"+tc.row+"\n")
		if len(r.Notes) == 0 || r.Notes[0].Field != tc.field || r.Notes[0].Unreadable != tc.unreadable {
			t.Errorf("%q: notes %+v, want one on %s with unreadable %v", tc.row, r.Notes, tc.field, tc.unreadable)
		}
	}
}

// currentCommunesNamed returns the keys of today's communes of a name.
func currentCommunesNamed(name string) []string {
	var out []string
	reg := units.Default()
	for _, p := range reg.Provinces() {
		for _, c := range reg.Communes(p.Code) {
			if c.Name == name {
				out = append(out, c.Key().String())
			}
		}
	}
	return out
}

func TestAddressUnits(t *testing.T) {
	for _, tc := range []struct{ in, commune, province string }{
		{"Số 19 đường Phan Đình Phùng, Phường Ninh Xá, Thị xã Thuận Thành", "Phường Ninh Xá, Thị xã Thuận Thành", ""},
		{"Số 19, Phường Ninh Xá, Thị xã Thuận Thành, Tỉnh Bắc Ninh", "Phường Ninh Xá, Thị xã Thuận Thành", "Tỉnh Bắc Ninh"},
		{"ấp 3 xã Tân Phú huyện Châu Thành tỉnh Tiền Giang", "xã Tân Phú, huyện Châu Thành", "Tiền Giang"},
		{"Thôn 2 xã Kim Sơn, Gia Lai", "xã Kim Sơn", "Gia Lai"},
		{"12 Lê Lợi - F.8 - Q.10 - TP.HCM", "F.8, Q.10", "TP.HCM"},
		{"SO 5, PHUONG DICH VONG, QUAN CAU GIAY, HA NOI", "PHUONG DICH VONG, QUAN CAU GIAY", "HA NOI"},
		{"Thôn Hậu Ái, Xã Bạch Đích", "Xã Bạch Đích", ""},
		{"P.203, Số 12 Lê Lợi, P. Bến Thành, TP.HCM", "P. Bến Thành, TP.HCM", "TP.HCM"}, // TP: a city, district or province
		{"Thôn Hậu Ái", "", "Thôn Hậu Ái"},
		{"thon Ninh Xa, huyen Thuan Thanh", "", ""},
		{"Số 29/20 đường Trường Chinh, khu phố 15", "", "khu phố 15"},
		{"Số 50, ngõ 354, Phường Văn Miếu - Quốc Tử Giám", "Phường Văn Miếu - Quốc Tử Giám", ""},
		{"Xã Tân Lập – Huyện Đan Phượng – Hà Nội", "Xã Tân Lập, Huyện Đan Phượng", "Hà Nội"},
		{"", "", ""},
		{" , ; - ", "", ""},
	} {
		c, p := addressUnits(tc.in)
		if c != tc.commune || p != tc.province {
			t.Errorf("addressUnits(%q) = %q, %q; want %q, %q", tc.in, c, p, tc.commune, tc.province)
		}
	}
}

func TestDateDigits(t *testing.T) {
	for _, tc := range []struct{ in, format, want string }{
		{"1985-90-16", FormatISO, "19859016"},
		{"16/90/1985", FormatVN, "19859016"},
		{"1/2/1746", FormatVN, "17460201"},
		{"19859016", FormatISO, "19859016"},
		{"16901985", FormatVN, "19859016"},
		{"1985-90", FormatISO, ""},
		{"ngày 16", FormatVN, ""},
		{"16/90/85", FormatVN, ""},
		{"90/16/1985", FormatUS, "19859016"},
		{"90161985", FormatUS, "19859016"},
	} {
		if got := dateDigits(tc.in, tc.format); got != tc.want {
			t.Errorf("dateDigits(%q, %q) = %q, want %q", tc.in, tc.format, got, tc.want)
		}
	}
}

// BenchmarkAddressUnits is the address parser on addresses as bank files
// hold them, with and without units: it runs on every record whose commune
// column is missing or empty.
func BenchmarkAddressUnits(b *testing.B) {
	addrs := []string{"Số 19 đường Phan Đình Phùng, Phường Ninh Xá, Thị xã Thuận Thành", "Số nhà 187, xóm 8, thôn Long Hưng",
		"Số 121/10/5 đường Lê Quý Đôn, khu phố 13", "Bản Pá Khoang, Xã Na Khê, Huyện Yên Minh", "ấp 3 xã Tân Phú huyện Châu Thành tỉnh Tiền Giang"}
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		addressUnits(addrs[i%len(addrs)])
	}
}

// TestMonthFirstColumn: a birth-date column whose dates show they are
// month-first is read so (its ambiguous dates too, each with a note); a
// day-first one, or one of both habits, is read day-first; a column
// declared MM/DD/YYYY is read month-first. Reading ahead keeps every row,
// its line and a row error in their places.
func TestMonthFirstColumn(t *testing.T) {
	read := func(mapping, csv string) (*Reader, []Record) {
		r := openReader(t, mapping, csv)
		var out []Record
		for {
			rec, err := r.Next()
			if err == io.EOF {
				return r, out
			}
			if err != nil && !IsRowError(err) {
				t.Fatal(err)
			}
			if IsRowError(err) {
				rec.ID = "row error"
			}
			out = append(out, rec)
		}
	}
	const mapping = "id=ID, birth_date=NS"
	us := "ID;NS\nA;05/25/1990\nB;06/04/1985\nC;12/31/1970\nD;01/13/2000\nE;a;b\nF;25/05/1990\n"
	want := []struct{ id, date string }{{"A", "1990-05-25"}, {"B", "1985-06-04"}, {"C", "1970-12-31"}, {"D", "2000-01-13"}, {"row error", ""}, {"F", "1990-05-25"}}
	for i := range 17 { // one day-first date in twenty that tell is allowed
		us += fmt.Sprintf("G%d;03/%d/1980\n", i, 14+i)
		want = append(want, struct{ id, date string }{fmt.Sprintf("G%d", i), fmt.Sprintf("1980-03-%d", 14+i)})
	}
	r, recs := read(mapping, us)
	if len(recs) != len(want) {
		t.Fatalf("%d records, want %d", len(recs), len(want))
	}
	for i, w := range want {
		if recs[i].ID != w.id || (w.date != "" && recs[i].BirthDate.String() != w.date) || recs[i].Line != i+2 {
			t.Errorf("record %d: %s %v line %d, want %s %s line %d", i, recs[i].ID, recs[i].BirthDate, recs[i].Line, w.id, w.date, i+2)
		}
	}
	if !strings.Contains(r.DateOrder(), "of its first 22, 20 can only be read month-first and 1 only day-first") {
		t.Errorf("DateOrder %q", r.DateOrder())
	}
	if len(recs[1].Notes) != 1 || !strings.Contains(recs[1].Notes[0].Msg, "read month-first, as 04/06/1985") || len(recs[0].Notes) != 0 {
		t.Errorf("notes %v, %v", recs[0].Notes, recs[1].Notes)
	}
	for _, tc := range []struct{ name, csv, mapping, b string }{
		{"day-first", "ID;NS\nA;25/05/1990\nB;06/04/1985\nC;31/12/1970\nD;13/01/2000\n", mapping, "1985-04-06"},
		{"both habits", "ID;NS\nA;05/25/1990\nB;06/04/1985\nC;12/31/1970\nD;13/01/2000\n", mapping, "1985-04-06"},
		{"too few", "ID;NS\nA;05/25/1990\nB;06/04/1985\nC;12/31/1970\n", mapping, "1985-04-06"},
		{"declared", "ID;NS\nA;05/25/1990\nB;06/04/1985\n", "id=ID, birth_date=NS:MM/DD/YYYY", "1985-06-04"},
		{"year first", "ID;NS\nA;1990-05-25\nB;1985-06-04\n", "id=ID, birth_date=NS:YYYY-MM-DD", "1985-06-04"},
	} {
		r, recs := read(tc.mapping, tc.csv)
		if len(recs) < 2 || recs[1].BirthDate.String() != tc.b || r.DateOrder() != "" {
			t.Errorf("%s: %v, DateOrder %q", tc.name, recs, r.DateOrder())
		}
	}
}
