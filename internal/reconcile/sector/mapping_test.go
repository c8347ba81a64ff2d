package sector

import (
	"errors"
	"strings"
	"testing"
)

func TestParseMapping(t *testing.T) {
	oneLine := "full_name=HO_TEN, birth_date=NGAY_SINH:DD/MM/YYYY, sex=GIOI_TINH, pin=SO_DINH_DANH, cmnd=SO_CMND, " +
		"province=TINH, commune=XA, address=DIA_CHI, phone=SDT, id=MA_HO_SO"
	file := `# drivers' licences, export of 2024
full_name = HO_TEN
birth_date = NGAY_SINH : dd/mm/yyyy   # day first
sex = GIOI_TINH
pin = SO_DINH_DANH
cmnd = SO_CMND

province = TINH
commune = XA
address = DIA_CHI
phone = SDT
ID = MA_HO_SO
`
	a, err := ParseMapping(oneLine)
	if err != nil {
		t.Fatal(err)
	}
	b, err := ParseMapping(strings.ReplaceAll(file, "\n", "\r\n"))
	if err != nil {
		t.Fatal(err)
	}
	if a.String() != b.String() || a.String() != oneLine {
		t.Errorf("one line:\n%s\nfile:\n%s\nwant:\n%s", a, b, oneLine)
	}
	if e, _ := b.Entry(FieldProvince); e.Line != 8 || e.Column != "TINH" {
		t.Errorf("province entry %+v, want line 8, column TINH", e)
	}

	m, err := ParseMapping(`full_name="Họ và tên", birth_year="Năm: sinh":YYYY, sex=GT:1=Nam/2=Nữ, province=TINH:OLD, id="a""b"`)
	if err != nil {
		t.Fatal(err)
	}
	want := `full_name=Họ và tên, birth_year="Năm: sinh":YYYY, sex=GT:1=M/2=F, province=TINH:old, id="a""b"`
	if m.String() != want {
		t.Errorf("got %s\nwant %s", m, want)
	}
	if again, err := ParseMapping(m.String()); err != nil || again.String() != want {
		t.Errorf("round trip: %v, %v", again, err)
	}
}

func TestParseMappingErrors(t *testing.T) {
	for _, tc := range []struct {
		in, field, want string
	}{
		{"ngaysinh=NGAY_SINH", "ngaysinh", "the mapping names an unknown field 'ngaysinh'; known fields: id, full_name, family_name, middle_name, given_name, birth_date, birth_year, sex, pin, cmnd, province, commune, address, phone"},
		{"birthdate=NGAY_SINH", "birthdate", "(did you mean birth_date?)"},
		{"full_name=A\npin=B\nfull_name=C", "full_name", "mapping line 3: the mapping names field full_name twice (lines 1 and 3)"},
		{"full_name=A, full_name=B", "full_name", "the mapping names field full_name twice;"},
		{"", "", "the mapping is empty"},
		{"# nothing\n\n , ,", "", "the mapping is empty"},
		{"full_name", "full_name", `entry "full_name" has no '='`},
		{"full_name=", "full_name", "field full_name names no column"},
		{"full_name=:x", "full_name", "field full_name names no column"},
		{"birth_date=NS:DD-MM-YY", "birth_date", `field birth_date: date format "DD-MM-YY" is not one of`},
		{"sex=GT:1", "sex", `field sex: sex codes "1": write digit=sex pairs`},
		{"sex=GT:1=M/1=F", "sex", "code 1 is given twice"},
		{"sex=GT:1=X", "sex", `"X" is not M, F, Nam or Nữ`},
		{"province=T:older", "province", `format "older" is not "old"`},
		{"phone=SDT:digits", "phone", "this field takes no format"},
		{`full_name="HO TEN`, "", "a quoted column name is not closed"},
		{"full_name=\"HO\nTEN\"", "", "mapping line 1: a quoted column name runs past the end of the line"},
		{`full_name="HO"x`, "full_name", "unexpected"},
		{`full_name=HO"T"EN`, "full_name", "holds a quote"}, {`full_name=HO"TEN`, "", "a quoted column name is not closed"},
	} {
		_, err := ParseMapping(tc.in)
		var me *MappingError
		if !errors.As(err, &me) {
			t.Errorf("ParseMapping(%q) = %v, want a MappingError", tc.in, err)
			continue
		}
		if !strings.Contains(err.Error(), tc.want) || me.Field != tc.field {
			t.Errorf("ParseMapping(%q) = %q (field %q), want %q (field %q)", tc.in, err, me.Field, tc.want, tc.field)
		}
	}
}
