package staff

import "testing"

func TestPasswordWeakness(t *testing.T) {
	for pw, want := range map[string]Weakness{
		"            ":                Blank,
		"aaaaaaaaaaaa":                Repeated,
		"abcabcabcabc":                Repeated,
		"ab12ab12ab12a":               Repeated,
		"123456789012":                Sequence,
		"987654321098":                Sequence,
		"abcdefghijkl":                Sequence,
		"qwertyuiopqw":                Sequence,
		"Password1234":                Common,
		"Mật khẩu 12345":              Common,
		"001190000001":                Personal,
		"my pin 001190000001 is safe": Personal,
		"registrar.badinh!":           Personal,
		"correct horse battery":       Strong,
		"mật-khẩu-đủ-dài-2025":        Strong,
		"tôi đi học lúc 7 giờ":        Strong,
		"1234 tôi yêu Hà Nội":         Strong,
	} {
		if got := PasswordWeakness(pw, "001190000001", "registrar.badinh"); got != want {
			t.Errorf("%q: %d, want %d", pw, got, want)
		}
	}
}
