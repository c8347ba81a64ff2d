package people_test

import (
	"strings"
	"testing"

	"github.com/populus-vn/populus/internal/people"
)

// TestNormalizeName: the names the register must take (Vietnamese,
// ethnic-minority, foreign in Latin letters) are taken, in NFC; what could
// corrupt a record, a page or a spreadsheet is refused with its reason.
func TestNormalizeName(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"Nguyễn Thị Ánh Tuyết", "Nguyễn Thị Ánh Tuyết"},
		{"Nguye\u0302\u0303n Va\u0306n A\u0301nh", "Nguyễn Văn Ánh"}, // decomposed → NFC
		{"  H'Hen   Niê ", "H'Hen Niê"},
		{"Ksor H’Bia", "Ksor H’Bia"},
		{"Y Ngông Niê Kđăm", "Y Ngông Niê Kđăm"},
		{"Jean-Luc O'Brien", "Jean-Luc O'Brien"},
		{"John St. Clair", "John St. Clair"},
		{"Müller Þórr Łukasz", "Müller Þórr Łukasz"},
		{"王小明", "王小明"},
		{strings.Repeat("Ắ", 100), strings.Repeat("Ắ", 100)}, // 100 characters, 300 bytes
	} {
		got, why := people.NormalizeName(tc.in)
		if why != "" || got != tc.want {
			t.Errorf("NormalizeName(%q) = %q, %q; want %q", tc.in, got, why, tc.want)
		}
	}
	for _, tc := range []struct{ in, why string }{
		{"Nguy\xffn", "UTF-8"},
		{"Nguy\xed\xa0\x80n", "UTF-8"}, // a surrogate encoded in UTF-8
		{"Nguy\ufffdn", "UTF-8"},       // what encoding/json makes of \ud800
		{"Nguyễn\nVăn", "control"},
		{"Nguyễn\tVăn", "control"},
		{"Nguyễn\x00", "control"},
		{"Nguyễn \u202eVăn", "bidirectional"},
		{"Nguyễn \u2066Văn\u2069", "bidirectional"},
		{"Nguyễn \u202aVăn", "bidirectional"},
		{"=SUM(A:A)", "=, +, - or @"},
		{"+Nguyễn", "=, +, - or @"},
		{"-Nguyễn", "=, +, - or @"},
		{"@Nguyễn", "=, +, - or @"},
		{"'Nguyễn", "begin with a letter"},
		{"Nguyễn 😀", "letters"},
		{"Nguyễn Văn 2", "letters"},
		{"Nguyễn <b>", "letters"},
		{"Nguyễn\u200bVăn", "letters"}, // zero-width space
		{"Nguyễn\u00a0Văn", "letters"}, // no-break space
		{"   ", "required"},
		{strings.Repeat("Ắ", 101), "100 characters"},
	} {
		got, why := people.NormalizeName(tc.in)
		if !strings.Contains(why, tc.why) || got != "" {
			t.Errorf("NormalizeName(%q) = %q, %q; want a refusal saying %q", tc.in, got, why, tc.why)
		}
	}
}
