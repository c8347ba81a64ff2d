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
