package sectorsynth

import (
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/populus-vn/populus/internal/wyrand"
)

func TestIMELeak(t *testing.T) {
	for _, tc := range []struct{ in, telex, vni string }{
		{"Nguyễn", "Nguyeenx", "Nguye6n4"},
		{"NGUYỄN", "NGUYEENX", "NGUYE6N4"},
		{"Đức", "Dduwcs", "D9u7c1"},
		{"Trương", "Truwowng", "Tru7o7ng"},
		{"Hằng", "Hawngf", "Ha8ng2"},
		{"Lực", "Luwcj", "Lu7c5"},
	} {
		r := wyrand.Rand{}
		if got := imeLeak(&r, tc.in, false); got != tc.telex {
			t.Errorf("Telex %q = %q, want %q", tc.in, got, tc.telex)
		}
		if got := imeLeak(&r, tc.in, true); got != tc.vni {
			t.Errorf("VNI %q = %q, want %q", tc.in, got, tc.vni)
		}
	}
	if got := imeLeak(&wyrand.Rand{}, "Lan Anh", false); got != "" {
		t.Errorf("no diacritics: %q, want no change", got)
	}
}

func TestSlips(t *testing.T) {
	r := wyrand.Rand{}
	if got := toneSlip(&r, "Nguyễn"); got != "Nguyển" {
		t.Errorf("toneSlip(Nguyễn) = %q", got)
	}
	if got := toneSlip(&r, "Đức"); got != "Đưc" {
		t.Errorf("toneSlip(Đức) = %q", got)
	}
	if got := stripDiacritics("Nguyễn Văn Đức"); got != "Nguyen Van Duc" {
		t.Errorf("stripDiacritics = %q", got)
	}
	for seed := range uint64(200) {
		r := wyrand.New(seed)
		const name = "Nguyễn Thị Hương"
		got, kind := typo(&r, name)
		if got == name || !utf8.ValidString(got) {
			t.Errorf("typo %s: %q", kind, got)
		}
		if d := digitTypo(&r, "079090001234"); d == "079090001234" || len(d) != 12 {
			t.Errorf("digitTypo: %q", d)
		}
		if d := dateTypo(&r, "14/05/1990"); d == "14/05/1990" || strings.Count(d, "/") != 2 {
			t.Errorf("dateTypo: %q", d)
		}
	}
}

func TestFeistelIsABijection(t *testing.T) {
	f := newFeistel(7, 100)
	seen := make(map[uint64]bool)
	for i := range uint64(100 * 100) {
		n := f.apply(i)
		if n >= 100*100 || seen[n] {
			t.Fatalf("apply(%d) = %d: out of range or repeated", i, n)
		}
		seen[n] = true
	}
}
