package civil

import (
	"encoding/json"
	"strings"
	"testing"
)

func TestParseDate(t *testing.T) {
	good := map[string]Date{
		"2003":       {2003, 0, 0},
		"2003-07":    {2003, 7, 0},
		"2003-07-15": {2003, 7, 15},
		"15/07/2003": {2003, 7, 15},
		"07/2003":    {2003, 7, 0},
		"2024-02-29": {2024, 2, 29},
	}
	for in, want := range good {
		got, err := ParseDate(in)
		if err != nil || got != want {
			t.Errorf("ParseDate(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	bad := map[string]string{
		"2023-02-29": "day 29 does not exist",
		"2003-13":    "month 13",
		"1799":       "outside",
		"20O3":       "not a digit",
		"2003/07/15": "is not YYYY",
		"":           "is not YYYY",
		"31/04/2020": "day 31",
	}
	for in, want := range bad {
		_, err := ParseDate(in)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("ParseDate(%q) error = %v; want it to mention %q", in, err, want)
		}
	}
}

func TestDateOrderAndJSON(t *testing.T) {
	y := Date{Year: 1990}
	full := Date{1990, 6, 1}
	if y.CertainlyBefore(full) || full.CertainlyBefore(y) {
		t.Error("a year-only date overlaps a date within that year")
	}
	if !(Date{1989, 12, 31}).CertainlyBefore(y) {
		t.Error("1989-12-31 is before 1990")
	}
	b, _ := json.Marshal(struct{ D Date }{Date{2001, 5, 0}})
	if string(b) != `{"D":"2001-05"}` {
		t.Errorf("marshal = %s", b)
	}
	var v struct{ D Date }
	if err := json.Unmarshal([]byte(`{"D":"2001-02-30"}`), &v); err == nil {
		t.Error("2001-02-30 accepted")
	}
	if DateFromKey(full.Key()) != full {
		t.Error("Key does not round-trip")
	}
}

func TestParseSex(t *testing.T) {
	for in, want := range map[string]Sex{"M": Male, "nữ": Female, "Nam": Male, "female": Female} {
		if got, err := ParseSex(in); err != nil || got != want {
			t.Errorf("ParseSex(%q) = %v, %v", in, got, err)
		}
	}
	if _, err := ParseSex("x"); err == nil {
		t.Error("x accepted")
	}
}

func FuzzParseDate(f *testing.F) {
	for _, s := range []string{"2003", "2003-07", "2003-07-15", "15/07/2003", "07/2003", "2024-02-30", "99/99/9999"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d, err := ParseDate(s)
		if err != nil {
			return
		}
		if !d.Valid() {
			t.Fatalf("ParseDate(%q) accepted an invalid date %+v", s, d)
		}
		back, err := ParseDate(d.String())
		if err != nil || back != d {
			t.Fatalf("round trip of %q: %v -> %q -> %v, %v", s, d, d.String(), back, err)
		}
		if d.Earliest().After(d.Latest()) {
			t.Fatalf("%v: earliest after latest", d)
		}
	})
}
