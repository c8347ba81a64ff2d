package pin

import (
	"errors"
	"testing"
	"unicode/utf8"
)

func TestParseCMND(t *testing.T) {
	for _, s := range []string{"023456789", "012345678", "271450001", "100000000"} {
		c, err := ParseCMND(s)
		if err != nil || string(c) != s {
			t.Errorf("ParseCMND(%q) = %q, %v", s, c, err)
		}
	}
	cases := []struct {
		in    string
		pos   int
		field string
		msg   string
	}{
		{"02345678", 0, FieldLength, "the number has 8 digits; an identity card (CMND) number has 9"},
		{"0234567890", 0, FieldLength, "the number has 10 digits; an identity card (CMND) number has 9"},
		{"", 0, FieldLength, "the number is empty; an identity card (CMND) number has 9 digits"},
		{"079203012345", 0, FieldLength, "the number has 12 digits; an identity card (CMND) number has 9 " +
			"(a 12-digit number is a personal identification number)"},
		{"0234S6789", 5, FieldDigit, `character 5 is "S", not a digit`},
		{"023-456-789", 4, FieldDigit, `character 4 is "-", not a digit`},
		{"000000000", 0, FieldDigit, "the number is all zeros, which no identity card carries"},
	}
	for _, c := range cases {
		got, err := ParseCMND(c.in)
		var e *Error
		if !errors.As(err, &e) || e.Pos != c.pos || e.Field != c.field || e.Msg != c.msg {
			t.Errorf("ParseCMND(%q) = %q, %v\nwant {Pos:%d Field:%s Msg:%s}", c.in, got, err, c.pos, c.field, c.msg)
		}
	}
}

func FuzzParseCMND(f *testing.F) {
	f.Add("023456789") // more seeds in testdata/fuzz/FuzzParseCMND
	f.Fuzz(func(t *testing.T, s string) {
		c, err := ParseCMND(s)
		if err != nil {
			var e *Error
			if !errors.As(err, &e) || e.Msg == "" || e.Pos < 0 || e.Pos > utf8.RuneCountInString(s) {
				t.Fatalf("ParseCMND(%q): bad error %#v", s, err)
			}
			return
		}
		if string(c) != s || len(s) != CMNDLength || !allDigits(s) || s == "000000000" {
			t.Fatalf("ParseCMND(%q) accepted %q", s, c)
		}
	})
}
