package pin

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/populus-vn/populus/internal/civil"
)

func TestParseCenturySexDigit(t *testing.T) {
	cases := []struct {
		digit   byte
		sex     civil.Sex
		century int
	}{
		{'0', civil.Male, 1900}, {'1', civil.Female, 1900},
		{'2', civil.Male, 2000}, {'3', civil.Female, 2000},
		{'4', civil.Male, 2100}, {'5', civil.Female, 2100},
		{'6', civil.Male, 2200}, {'7', civil.Female, 2200},
		{'8', civil.Male, 2300}, {'9', civil.Female, 2300},
	}
	for _, c := range cases {
		s := "079" + string(c.digit) + "07" + "123456"
		p, parts, err := Parse(s)
		if err != nil {
			t.Fatalf("Parse(%q): %v", s, err)
		}
		want := Parts{Province: "079", ProvinceName: "TP Hồ Chí Minh", Sex: c.sex,
			Century: c.century, BirthYear: c.century + 7, Serial: "123456"}
		if string(p) != s || parts != want {
			t.Errorf("Parse(%q) = %q, %+v; want %+v", s, p, parts, want)
		}
		if p.Parts() != want {
			t.Errorf("PIN(%q).Parts() = %+v", s, p.Parts())
		}
	}
}

func TestBoundaryYears(t *testing.T) {
	cases := []struct {
		year         int
		male, female string // the six-digit prefix for province 001
	}{
		{1900, "001000", "001100"},
		{1999, "001099", "001199"},
		{2000, "001200", "001300"},
		{2099, "001299", "001399"},
		{2100, "001400", "001500"},
		{2399, "001899", "001999"},
	}
	for _, c := range cases {
		for sex, want := range map[civil.Sex]string{civil.Male: c.male, civil.Female: c.female} {
			got, err := Prefix("001", sex, c.year)
			if err != nil || got != want {
				t.Errorf("Prefix(001, %s, %d) = %q, %v; want %q", sex, c.year, got, err, want)
				continue
			}
			p := New(got, 42)
			_, parts, err := Parse(string(p))
			if err != nil || parts.BirthYear != c.year || parts.Sex != sex || parts.Serial != "000042" {
				t.Errorf("Parse(New(%q, 42)) = %+v, %v", got, parts, err)
			}
			if err := parts.CheckPerson(sex, civil.Date{Year: c.year}); err != nil {
				t.Errorf("%s against its own facts: %v", p, err)
			}
		}
	}
}

func TestParseErrors(t *testing.T) {
	cases := []struct {
		in    string
		pos   int
		field string
		msg   string
	}{
		{"099085012345", 1, FieldProvince, "digits 1–3 are 099, which is not a province code of birth registration"},
		{"000085012345", 1, FieldProvince, "digits 1–3 are 000, which is not a province code of birth registration"},
		{"07908501234", 0, FieldLength, "the number has 11 digits; a personal identification number has 12"},
		{"0790850123456", 0, FieldLength, "the number has 13 digits; a personal identification number has 12"},
		{"0", 0, FieldLength, "the number has 1 digit; a personal identification number has 12"},
		{"", 0, FieldLength, "the number is empty; a personal identification number has 12 digits"},
		{"079085O12345", 7, FieldDigit, `character 7 is "O", not a digit`},
		{" 79085012345", 1, FieldDigit, `character 1 is " ", not a digit`},
		{"079 085 012345", 4, FieldDigit, `character 4 is " ", not a digit`},
		{"Đ79085012345", 1, FieldDigit, `character 1 is "Đ", not a digit`},
		{"0790850１2345", 8, FieldDigit, `character 8 is "１", not a digit`}, // full-width one
		{"ư9085012345x", 1, FieldDigit, `character 1 is "ư", not a digit`},
		{"07ư085012345x", 3, FieldDigit, `character 3 is "ư", not a digit`},
		{"0790\xff5012345", 5, FieldDigit, "character 5 is \"\ufffd\", not a digit"}, // invalid UTF-8
	}
	for _, c := range cases {
		p, parts, err := Parse(c.in)
		var e *Error
		if !errors.As(err, &e) {
			t.Errorf("Parse(%q) = %q, %+v, %v; want an *Error", c.in, p, parts, err)
			continue
		}
		if e.Pos != c.pos || e.Field != c.field || e.Msg != c.msg || err.Error() != c.msg {
			t.Errorf("Parse(%q) error = %+v\nwant {Pos:%d Field:%s Msg:%s}", c.in, *e, c.pos, c.field, c.msg)
		}
	}
}

func TestEveryProvinceParses(t *testing.T) {
	all := Provinces()
	if len(all) != 63 {
		t.Fatalf("%d provinces, want the 63 of Circular 07/2016", len(all))
	}
	seen := map[string]bool{}
	for _, p := range all {
		if seen[p.Code] || seen[p.Name] {
			t.Errorf("duplicate %v", p)
		}
		seen[p.Code], seen[p.Name] = true, true
		_, parts, err := Parse(p.Code + "203000001")
		if err != nil || parts.ProvinceName != p.Name {
			t.Errorf("Parse with province %s: %+v, %v", p.Code, parts, err)
		}
	}
	known := 0
	for n := 0; n < 1000; n++ {
		code := string([]byte{byte('0' + n/100), byte('0' + n/10%10), byte('0' + n%10)})
		if _, ok := ProvinceName(code); ok {
			known++
		}
	}
	if known != 63 {
		t.Errorf("%d of 000–999 are province codes, want 63", known)
	}
	for _, code := range []string{"", "1", "79", "0079", "07a"} {
		if name, ok := ProvinceName(code); ok {
			t.Errorf("ProvinceName(%q) = %q", code, name)
		}
	}
}

func TestCheckPerson(t *testing.T) {
	parse := func(s string) Parts {
		t.Helper()
		_, p, err := Parse(s)
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	female1903 := parse("079103000001") // digit 4 = 1: female, 1900s
	male1985 := parse("001085000001")
	female2003 := parse("001303000001")

	type want struct {
		pos   int
		field string
		msg   string
	}
	cases := []struct {
		name  string
		parts Parts
		sex   civil.Sex
		birth civil.Date
		want  []want // in order; nil for no error
	}{
		{"sex and century wrong", female1903, civil.Male, civil.Date{Year: 2003, Month: 7, Day: 15}, []want{
			{4, FieldSexCentury, "digit 4 is 1 (female, born 1900–1999) but the record says male, born 2003"}}},
		{"year wrong", male1985, civil.Male, civil.Date{Year: 1986, Month: 1, Day: 2}, []want{
			{5, FieldBirthYear, "digits 5–6 are 85 (born 1985) but the record says born 1986"}}},
		{"sex wrong only", male1985, civil.Female, civil.Date{Year: 1985, Month: 3, Day: 0}, []want{
			{4, FieldSexCentury, "digit 4 is 0 (male, born 1900–1999) but the record says female, born 1985"}}},
		{"sex wrong, date unknown", male1985, civil.Female, civil.Date{}, []want{
			{4, FieldSexCentury, "digit 4 is 0 (male, born 1900–1999) but the record says female"}}},
		{"century wrong, sex unknown", female2003, civil.SexUnknown, civil.Date{Year: 1903}, []want{
			{4, FieldSexCentury, "digit 4 is 3 (female, born 2000–2099) but the record says born 1903"}}},
		{"century and year wrong", male1985, civil.Male, civil.Date{Year: 2086}, []want{
			{4, FieldSexCentury, "digit 4 is 0 (male, born 1900–1999) but the record says male, born 2086"},
			{5, FieldBirthYear, "digits 5–6 are 85 (born 1985) but the record says born 2086"}}},
		{"year outside any century", male1985, civil.Male, civil.Date{Year: 1885}, []want{
			{4, FieldSexCentury, "digit 4 is 0 (male, born 1900–1999) but the record says male, born 1885"}}},
		{"full date agrees", male1985, civil.Male, civil.Date{Year: 1985, Month: 12, Day: 31}, nil},
		{"year-only date agrees", female2003, civil.Female, civil.Date{Year: 2003}, nil},
		{"year-and-month date agrees", female2003, civil.Female, civil.Date{Year: 2003, Month: 2}, nil},
		{"year-only date disagrees", female2003, civil.Female, civil.Date{Year: 2004}, []want{
			{5, FieldBirthYear, "digits 5–6 are 03 (born 2003) but the record says born 2004"}}},
		{"unknown date checks no year", male1985, civil.Male, civil.Date{}, nil},
		{"nothing known", female1903, civil.SexUnknown, civil.Date{}, nil},
	}
	for _, c := range cases {
		err := c.parts.CheckPerson(c.sex, c.birth)
		if c.want == nil {
			if err != nil {
				t.Errorf("%s: unexpected error %v", c.name, err)
			}
			continue
		}
		var got []*Error
		if j, ok := err.(interface{ Unwrap() []error }); ok {
			for _, e := range j.Unwrap() {
				got = append(got, e.(*Error))
			}
		}
		if len(got) != len(c.want) {
			t.Errorf("%s: got %v, want %d errors", c.name, err, len(c.want))
			continue
		}
		for i, w := range c.want {
			if g := got[i]; g.Pos != w.pos || g.Field != w.field || g.Msg != w.msg {
				t.Errorf("%s: error %d = %+v\nwant %+v", c.name, i, *g, w)
			}
		}
		var first *Error
		if !errors.As(err, &first) || first.Field != c.want[0].field {
			t.Errorf("%s: errors.As found %v", c.name, first)
		}
	}
}

func TestPrefixErrors(t *testing.T) {
	cases := []struct {
		province string
		sex      civil.Sex
		year     int
		field    string
		msg      string
	}{
		{"099", civil.Male, 2000, FieldProvince, `"099" is not a province code of birth registration`},
		{"79", civil.Male, 2000, FieldProvince, `"79" is not a province code of birth registration`},
		{"079", civil.SexUnknown, 2000, FieldSexCentury, "digit 4 needs the sex, male or female, and it is unknown"},
		{"079", civil.Female, 1899, FieldBirthYear, "birth year 1899 is outside 1900–2399, the years digit 4 can encode"},
		{"079", civil.Female, 2400, FieldBirthYear, "birth year 2400 is outside 1900–2399, the years digit 4 can encode"},
	}
	for _, c := range cases {
		got, err := Prefix(c.province, c.sex, c.year)
		var e *Error
		if !errors.As(err, &e) || e.Field != c.field || e.Msg != c.msg {
			t.Errorf("Prefix(%q, %v, %d) = %q, %v; want %s: %s", c.province, c.sex, c.year, got, err, c.field, c.msg)
		}
	}
}

func TestNew(t *testing.T) {
	if got := New("079203", 0); got != "079203000000" {
		t.Errorf("New(079203, 0) = %s", got)
	}
	if got := New("079203", 999999); got != "079203999999" {
		t.Errorf("New(079203, 999999) = %s", got)
	}
	for _, bad := range []struct {
		prefix string
		serial int
	}{{"07920", 1}, {"0792031", 1}, {"07920a", 1}, {"079203", -1}, {"079203", 1000000}} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("New(%q, %d) did not panic", bad.prefix, bad.serial)
				}
			}()
			New(bad.prefix, bad.serial)
		}()
	}
}

func TestJSON(t *testing.T) {
	var v struct {
		PIN  PIN
		CMND CMND
	}
	if err := json.Unmarshal([]byte(`{"PIN":"079203012345","CMND":"023456789"}`), &v); err != nil {
		t.Fatal(err)
	}
	if v.PIN != "079203012345" || v.CMND != "023456789" {
		t.Errorf("decoded %+v", v)
	}
	b, _ := json.Marshal(v)
	if string(b) != `{"PIN":"079203012345","CMND":"023456789"}` {
		t.Errorf("encoded %s", b)
	}
	err := json.Unmarshal([]byte(`{"PIN":"099203012345"}`), &v)
	var e *Error
	if !errors.As(err, &e) || e.Field != FieldProvince {
		t.Errorf("bad PIN in JSON: %v", err)
	}
}

// FuzzParse checks that whatever Parse accepts reads back consistently and
// that whatever it rejects is an *Error pointing inside the input.
func FuzzParse(f *testing.F) {
	f.Add("079203012345") // more seeds in testdata/fuzz/FuzzParse
	f.Fuzz(func(t *testing.T, s string) {
		p, parts, err := Parse(s)
		if err != nil {
			var e *Error
			if !errors.As(err, &e) || e.Msg == "" || e.Pos < 0 || e.Pos > utf8.RuneCountInString(s) {
				t.Fatalf("Parse(%q): bad error %#v", s, err)
			}
			switch e.Field {
			case FieldDigit, FieldLength, FieldProvince:
			default:
				t.Fatalf("Parse(%q): unexpected field %q", s, e.Field)
			}
			return
		}
		if string(p) != s || len(s) != Length || p.Parts() != parts {
			t.Fatalf("Parse(%q) = %q, %+v; Parts() = %+v", s, p, parts, p.Parts())
		}
		prefix, err := Prefix(parts.Province, parts.Sex, parts.BirthYear)
		if err != nil {
			t.Fatalf("Prefix from %+v: %v", parts, err)
		}
		if q := New(prefix, num(parts.Serial)); q != p {
			t.Fatalf("rebuilt %q as %q", s, q)
		}
		if err := parts.CheckPerson(parts.Sex, civil.Date{Year: parts.BirthYear}); err != nil {
			t.Fatalf("%q disagrees with its own facts: %v", s, err)
		}
		if !strings.HasPrefix(s, parts.Province) || parts.ProvinceName == "" {
			t.Fatalf("%q: province %+v", s, parts)
		}
	})
}

func BenchmarkParse(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if _, _, err := Parse("079203012345"); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkParseError(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if _, _, err := Parse("099203012345"); err == nil {
			b.Fatal("accepted")
		}
	}
}

// TestErrorsKeepTheirFormat: every *Error keeps the format and arguments
// its message was made from (for translation on pages, see
// internal/i18n), and they give the message back; words inside a message
// are kept the same way.
func TestErrorsKeepTheirFormat(t *testing.T) {
	var errs []error
	for _, s := range []string{"", "0", "0790850123456", "079085O12345", "099085012345"} {
		_, _, err := Parse(s)
		errs = append(errs, err)
	}
	for _, s := range []string{"079085012345", "1234", "000000000", "12345678x"} {
		_, err := ParseCMND(s)
		errs = append(errs, err)
	}
	for _, c := range []struct {
		p string
		s civil.Sex
		y int
	}{{"099", civil.Male, 2000}, {"079", civil.SexUnknown, 2000}, {"079", civil.Female, 1899}} {
		_, err := Prefix(c.p, c.s, c.y)
		errs = append(errs, err)
	}
	_, parts, _ := Parse("001085000001")
	for _, sex := range []civil.Sex{civil.SexUnknown, civil.Female} {
		if j, ok := parts.CheckPerson(sex, civil.Date{Year: 2086}).(interface{ Unwrap() []error }); ok {
			errs = append(errs, j.Unwrap()...)
		}
	}
	if len(errs) != 16 {
		t.Fatalf("%d errors, want 16", len(errs))
	}
	words := 0
	for _, err := range errs {
		var e *Error
		if !errors.As(err, &e) {
			t.Fatalf("%v is not an *Error", err)
		}
		format, args := e.FormatArgs()
		if format == "" || format != e.Format || len(args) != len(e.Args) || fmt.Sprintf(format, args...) != e.Msg {
			t.Errorf("%q: format %q and arguments %v do not make the message", e.Msg, format, args)
		}
		for _, a := range args {
			if w, ok := a.(interface{ FormatArgs() (string, []any) }); ok {
				words++
				if f, wa := w.FormatArgs(); fmt.Sprint(a) != fmt.Sprintf(f, wa...) {
					t.Errorf("%q: word %v made from %q, %v", e.Msg, a, f, wa)
				}
			}
		}
	}
	if words < 6 { // what a PIN or CMND is, the sexes, what the record says
		t.Errorf("%d words inside messages are kept for translation, want at least 6", words)
	}
}
