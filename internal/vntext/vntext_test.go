package vntext

import (
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/unicode/norm"
)

func TestPlausible(t *testing.T) {
	for _, w := range []string{"Nguyễn", "thị", "Lan", "người", "giường", "gì", "quý", "khuỷu", "Hòa", "hoà", "thủy", "ngoài",
		"Trường", "ĐỨC", "a", "yến", "oanh", "khoẻ", "Thanh", "ngh"[0:3] + "ĩa"} {
		if !Plausible(w) {
			t.Errorf("Plausible(%q) = false, want true", w)
		}
	}
	for _, w := range []string{"", "Nguyeexn", "Thij", "John", "Smith", "Müller", "José", "nguyễễn", "hòá", "Néi", "NguyÔn",
		"Haø", "x1", "str", "Nguye64n", "Pierre", "Wilson",
		"xoong", "Coong", "Quaùch", "Ñan", "B¶o"} {
		if Plausible(w) {
			t.Errorf("Plausible(%q) = true, want false", w)
		}
	}
}

// asMojibake is text of a legacy single-byte encoding read as Windows-1252.
func asMojibake(t *testing.T, b []byte) string {
	t.Helper()
	s, err := charmap.Windows1252.NewDecoder().Bytes(b)
	if err != nil {
		t.Fatal(err)
	}
	return string(s)
}

func TestFixMojibake(t *testing.T) {
	for _, c := range []struct {
		in   string
		want string
		enc  Encoding
	}{
		// TCVN3: Nguyễn = Nguy + 0xD4 + n; Hà = H + 0xB5; Nội = N + 0xE9 + i.
		{"NguyÔn", "Nguyễn", TCVN3},
		{"Hµ Néi", "Hà Nội", TCVN3},
		{"TrÇn V¨n §øc", "Trần Văn Đức", TCVN3},
		{"B¶o Th¾ng", "Bảo Thắng", TCVN3},
		// VNI-Windows: marks as a byte after the vowel.
		{"Nguyeãn Vaên Haø", "Nguyễn Văn Hà", VNI},
		{"Tröôøng", "Trường", VNI},
		{"Haø Noäi", "Hà Nội", VNI},
		{"Ñoã Thò Mai", "Đỗ Thị Mai", VNI},
		// Left alone: Unicode Vietnamese, foreign names, ASCII.
		{"Hòa", "Hòa", None},
		{"Nguyễn Văn Hà", "Nguyễn Văn Hà", None},
		{"José Müller", "José Müller", None},
		{"Nguyen Van Ha", "Nguyen Van Ha", None},
		{"Lê Thị Ánh", "Lê Thị Ánh", None},
		{"", "", None},
	} {
		got, enc := FixMojibake(c.in)
		if got != c.want || enc != c.enc {
			t.Errorf("FixMojibake(%q) = %q, %q; want %q, %q", c.in, got, enc, c.want, c.enc)
		}
	}
}

func TestDecoderChoosesTheFileEncoding(t *testing.T) {
	// The same names as raw bytes of each legacy encoding.
	tcvn := []byte("Nguy\xd4n V\xa8n H\xb5,Tr\xc7n Th\xde Lan,H\xb5 N\xe9i")
	vni := []byte("Nguye\xe3n Va\xean Ha\xf8,Tra\xe0n Th\xf2 Lan,Ha\xf8 No\xe4i")
	// Windows-1258 has the letters with vowel marks, and the tone marks
	// as combining characters.
	var split1258 []rune
	for _, r := range "Nguyễn Văn Hà,Trần Thị Lan,Hà Nội" {
		base, tones := split(string(r))
		if r >= 'A' && r <= 'Z' {
			base = []rune{r}
		}
		split1258 = append(append(split1258, base...), tones...)
	}
	cp, err := charmap.Windows1258.NewEncoder().String(string(split1258))
	if err != nil {
		t.Fatal(err)
	}
	for name, c := range map[string]struct {
		in  []byte
		enc Encoding
	}{"tcvn3": {tcvn, TCVN3}, "vni": {vni, VNI}, "cp1258": {[]byte(cp), CP1258}} {
		var d Decoder
		got := string(d.Decode(c.in))
		if got != "Nguyễn Văn Hà,Trần Thị Lan,Hà Nội" || d.Used != c.enc {
			t.Errorf("%s: Decode = %q (%s), want the names in Unicode (%s)", name, got, d.Used, c.enc)
		}
	}
	var m Decoder
	if got := string(m.Decode([]byte("Nguyễn Văn Hà,Nguy\xd4n V\xa8n H\xb5"))); got != "Nguyễn Văn Hà,Nguyễn Văn Hà" || m.Used != TCVN3 {
		t.Errorf("a line mixing Unicode and TCVN3: %q (%s)", got, m.Used)
	}
	var d Decoder
	if got := string(d.Decode([]byte("Nguyễn,1990"))); got != "Nguyễn,1990" || d.Lines != 0 {
		t.Errorf("a UTF-8 line was changed: %q, %d lines decoded", got, d.Lines)
	}
}

func TestCanonicalTones(t *testing.T) {
	for in, want := range map[string]string{
		"Hoà":                 "Hòa",
		"Hòa":                 "Hòa",
		"Thuỷ":                "Thủy",
		"THUỶ":                "THỦY",
		"khoẻ":                "khỏe",
		"Nguyễn Thị Hoà":      "Nguyễn Thị Hòa",
		"Hoàng":               "Hoàng",
		"Khánh Hoà, Việt Nam": "Khánh Hòa, Việt Nam",
		"Quý":                 "Quý",
		"José":                "José",
		"Nguyen":              "Nguyen",
	} {
		if got := CanonicalTones(in); got != want {
			t.Errorf("CanonicalTones(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestDecodeTyping(t *testing.T) {
	for _, c := range []struct {
		in, want string
		typing   Typing
	}{
		{"Nguyeexn Thij Lan", "Nguyễn Thị Lan", Telex},
		{"Nguyeenx Thij Lan", "Nguyễn Thị Lan", Telex},
		{"TRAANF VAWN DDUWCS", "TRẦN VĂN ĐỨC", Telex},
		{"Phamj Thuyf Dung", "Phạm Thùy Dung", Telex},
		{"Truwowngf", "Trường", Telex},
		{"Nguye64n Thi5 Lan", "Nguyễn Thị Lan", VNIKeys},
		{"Tra62n Va8n D9u71c", "Trần Văn Đức", VNIKeys},
		{"Nguye^~n Thi. Lan", "Nguyễn Thị Lan", VIQR},
		{"DDu+'c", "Đức", VIQR},
		// Left alone.
		{"Nguyen Thi Lan", "Nguyen Thi Lan", ""},
		{"John Smith", "John Smith", ""},
		{"Nguyễn Thị Lan", "Nguyễn Thị Lan", ""},
		{"Thanh Xuan", "Thanh Xuan", ""},
	} {
		got, typ := DecodeTyping(c.in)
		if got != c.want || typ != c.typing {
			t.Errorf("DecodeTyping(%q) = %q, %q; want %q, %q", c.in, got, typ, c.want, c.typing)
		}
	}
}

func FuzzDecodeTyping(f *testing.F) {
	for _, s := range []string{"Nguyeexn Thij Lan", "Nguye64n", "Nguye^~n Thi.", "DDu+'c", "aaaaww", "ddddd", "qu", "gi", "w", "9", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, typ := DecodeTyping(s)
		if !utf8.ValidString(got) && utf8.ValidString(s) {
			t.Fatalf("DecodeTyping(%q) = %q: not UTF-8", s, got)
		}
		if typ == "" && got != s {
			t.Fatalf("DecodeTyping(%q) changed the text to %q without naming a method", s, got)
		}
		if again, _ := DecodeTyping(got); typ != "" && again != got {
			t.Fatalf("decoding is not stable: %q → %q → %q", s, got, again)
		}
		CanonicalTones(s)
	})
}

func FuzzFixMojibake(f *testing.F) {
	for _, s := range []string{"NguyÔn", "Hµ Néi", "Nguyeãn Vaên Haø", "José", "€‚ƒ", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, enc := FixMojibake(s)
		if enc == None && got != s {
			t.Fatalf("FixMojibake(%q) changed the text to %q without naming an encoding", s, got)
		}
		if utf8.ValidString(s) && !utf8.ValidString(got) {
			t.Fatalf("FixMojibake(%q) = %q: not UTF-8", s, got)
		}
		var d Decoder
		if out := d.Decode([]byte(s)); !utf8.Valid(out) {
			t.Fatalf("Decode(%q) = %q: not UTF-8", s, out)
		}
	})
}

// BenchmarkCleanNames is the cost on the names sector files mostly hold
// (Unicode, or without diacritics), which every record pays.
func BenchmarkCleanNames(b *testing.B) {
	names := []string{"Nguyễn Văn An", "NGUYEN THI LAN", "Lê Hà", "Tran Van Duc", "Hoàng Thị Thu Hà", "Pham Xuan Truong"}
	for i := 0; b.Loop(); i++ {
		s := names[i%len(names)]
		s, _ = FixMojibake(s)
		DecodeTyping(s)
	}
}

// TestEncodeRoundTrip: every Vietnamese letter, written in TCVN3 or VNI and
// read back (raw bytes, and as mojibake), is itself (TCVN3: in small
// letters where the ABC fonts had no capital).
func TestEncodeRoundTrip(t *testing.T) {
	var letters []rune
	for _, b := range "aăâeêioôơuưy" {
		for _, tone := range []rune{0, acute, grave, hook, tilde, dot} {
			s := string(b)
			if tone != 0 {
				s += string(tone)
			}
			r := []rune(norm.NFC.String(s))[0]
			if r >= 0x80 {
				letters = append(letters, r, unicode.ToUpper(r))
			}
		}
	}
	letters = append(letters, 'đ', 'Đ')
	if len(letters) != 134 {
		t.Fatalf("%d Vietnamese letters, want 134", len(letters))
	}
	for _, r := range letters {
		s := "Nguy" + string(r) + "n"
		if got := decodeVNI(EncodeVNI(s)); got != s {
			t.Errorf("VNI: %q → %q → %q", s, EncodeVNI(s), got)
		}
		if got := decodeTCVN3(EncodeTCVN3(s)); !strings.EqualFold(got, s) {
			t.Errorf("TCVN3: %q → %q → %q", s, EncodeTCVN3(s), got)
		}
	}
	for _, name := range []string{"Nguyễn Thị Hồng Nhung", "TRẦN VĂN ĐỨC", "Phạm Ngọc Tường Vy", "Lê Thị Thủy", "Hoàng Quốc Việt"} {
		for _, enc := range []struct {
			e Encoding
			b []byte
		}{{TCVN3, EncodeTCVN3(name)}, {VNI, EncodeVNI(name)}} {
			got, e := FixMojibake(Mojibake(enc.b))
			if !strings.EqualFold(got, name) || e != enc.e {
				t.Errorf("%s mojibake of %q: %q read as %q (%s)", enc.e, name, Mojibake(enc.b), got, e)
			}
			var d Decoder
			if got := string(d.Decode(enc.b)); !strings.EqualFold(got, name) || d.Used != enc.e {
				t.Errorf("%s bytes of %q read as %q (%s)", enc.e, name, got, d.Used)
			}
		}
	}
}
