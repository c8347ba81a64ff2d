package textfold

import "testing"

func TestFold(t *testing.T) {
	cases := map[string]string{
		"Nguyễn Văn Đức":      "nguyen van duc",
		"  TRẦN   thị  Hồng ": "tran thi hong",
		"Đặng Đình Đạt":       "dang dinh dat",
		"Thừa Thiên Huế":      "thua thien hue",
		"Bà Rịa–Vũng Tàu":     "ba ria–vung tau",
		"already plain":       "already plain",
		"":                    "",
		"Ê-đê":                "e-de",
		"H'Mông":              "h'mong",
		"Nguyê\u0303n (NFD)":  "nguyen (nfd)",
	}
	for in, want := range cases {
		if got := Fold(in); got != want {
			t.Errorf("Fold(%q) = %q, want %q", in, got, want)
		}
	}
}

func FuzzFold(f *testing.F) {
	f.Add("Nguyễn Văn Đức")
	f.Add("\xff\xfe")
	f.Fuzz(func(t *testing.T, s string) {
		once := Fold(s)
		if twice := Fold(once); twice != once {
			t.Fatalf("Fold not idempotent: %q -> %q -> %q", s, once, twice)
		}
	})
}

func TestInvisible(t *testing.T) {
	for _, r := range []rune{0x202E, 0x200B, 0x2066, 0xFEFF, 0x00AD, 0x2060, 0x061C, 0x034F, 0x3164, 0x115F, 0x2800, 0x2028, 0x2029, 0x3000, 0x00A0, 0x200A} {
		if !Invisible(r) {
			t.Errorf("%U is not invisible", r)
		}
	}
	for _, r := range "Nguyễn Văn Đức VN-CSGT-0042 (Điều 28), ./:" {
		if Invisible(r) {
			t.Errorf("%U %q is invisible", r, r)
		}
	}
}
