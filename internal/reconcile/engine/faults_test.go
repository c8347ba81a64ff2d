package engine

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestFaultsGolden reconciles a small hand-made file with one record for
// each fault of hard sector files against the golden register: an OCR
// slip (rn for m), Telex and VNI keystrokes, a name with the given name
// first, the middle name missing and a transposition, a year-only date
// and no address, a digit slip in the day, a PIN one digit off, a wrong
// tone mark in capitals, diacritics dropped with the year one digit off,
// a lost hook, a date that a digit makes no date. Each must have the right person as its best candidate and
// never be linked to anyone else; those the evidence settles are linked.
func TestFaultsGolden(t *testing.T) {
	x := goldenIndex(t)
	var dec, cor bytes.Buffer
	_, err := Run(context.Background(), x, fileInput(t, "testdata/faults_sector.csv", goldenMapping),
		Output{Decisions: &dec, Corrections: &cor}, Config{Model: loadModel(t), Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	got := decisionsByID(t, dec.Bytes())
	// link: the evidence settles it, so it is linked (exact, match,
	// conflict or deceased); otherwise it may be left for review or not
	// found, but with the right person first.
	want := map[string]struct {
		pin  string
		link bool
	}{
		"F01": {"001050000505", true},  // OCR: Pharn for Phạm
		"F02": {"079088000202", true},  // Telex: Ddawngj Vawn Dduwcs
		"F03": {"079203000909", true},  // VNI: Bu2i
		"F04": {"079070001010", false}, // Long Phna: given name first, middle missing, a transposition
		"F05": {"079199001212", false}, // year only, no address
		"F06": {"001301000808", true},  // 20/06 for 30/06
		"F07": {"079178001414", true},  // PIN one digit off, no diacritics
		"F08": {"001065001313", true},  // wrong tone mark, capitals
		"F09": {"001190000101", false}, // no diacritics, year one digit off, a commune name without its province
		"F10": {"001092000707", false}, // Tuân for Tuấn, nothing else but the date
		"F11": {"001065001313", true},  // 05/50/1965 for 05/05/1965: no date, its digits one off
	}
	linked := map[string]bool{"exact": true, "match": true, "conflict": true, "deceased": true}
	for id, w := range want {
		r, ok := got[id]
		if !ok {
			t.Errorf("%s: no decision", id)
			continue
		}
		if r[3] != "" && r[3] != w.pin {
			t.Errorf("%s: linked to %s, want %s: %v", id, r[3], w.pin, r)
		}
		if len(r[6]) < len(w.pin) || r[6][:len(w.pin)] != w.pin {
			t.Errorf("%s: best candidate is not %s: %v", id, w.pin, r)
		}
		if w.link && !linked[r[2]] {
			t.Errorf("%s: decision %s, want it linked: %v", id, r[2], r)
		}
	}
}

// TestMonthFirstFile: a file whose dates are written month-first, as a
// spreadsheet set to US English writes them, is read so by the run's
// parallel readers: its ambiguous dates (04/02/1985 for 2 April) agree
// with the register's, and no correction of the date is proposed.
func TestMonthFirstFile(t *testing.T) {
	x := goldenIndex(t)
	path := filepath.Join(t.TempDir(), "us.csv")
	rows := "MA,HO_TEN,NGAY_SINH,GIOI_TINH,SO_GIAY_TO\n" +
		"U1,Nguyễn Văn An,04/02/1985,Nam,079085001234\n" + // ambiguous
		"U2,Trần Thị Bích Ngọc,12/03/1990,Nữ,001190000101\n" + // ambiguous
		"U3,Nguyễn Văn Anh,04/20/1985,Nam,079085001235\n" +
		"U4,Đặng Văn Đức,07/15/1988,Nam,079088000202\n" +
		"U5,Lê Thị Hồng,02/20/1975,Nữ,001175000303\n"
	if err := os.WriteFile(path, []byte(rows), 0o600); err != nil {
		t.Fatal(err)
	}
	var dec, cor bytes.Buffer
	_, err := Run(context.Background(), x, fileInput(t, path, "id=MA, full_name=HO_TEN, birth_date=NGAY_SINH, sex=GIOI_TINH, pin=SO_GIAY_TO"),
		Output{Decisions: &dec, Corrections: &cor}, Config{Model: loadModel(t), Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	got := decisionsByID(t, dec.Bytes())
	for _, id := range []string{"U1", "U2", "U3", "U4", "U5"} {
		if r := got[id]; r[2] != "exact" || strings.Contains(r[7], "birth_date") {
			t.Errorf("%s: %v", id, r)
		}
	}
	if strings.Contains(cor.String(), "birth_date") {
		t.Errorf("a date corrected:\n%s", cor.String())
	}
	if !strings.Contains(got["U1"][9], "read month-first, as 02/04/1985") {
		t.Errorf("U1's notes %q", got["U1"][9])
	}
}
