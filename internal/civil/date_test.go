package civil

import (
	"encoding/json"
	"errors"
	"fmt"
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

// TestDateErrorsKeepTheirFormat: every date error is a *DateError that
// wraps ErrDate and keeps the format and arguments its message was made
// from (for translation on pages, see internal/i18n).
func TestDateErrorsKeepTheirFormat(t *testing.T) {
	var errs []error
	for _, s := range []string{"", "x", "20O3", "1799", "2003-13", "2023-02-29", "2003-00-15", "15/0x/2003"} {
		_, err := ParseDate(s)
		errs = append(errs, err)
	}
	var d Date
	errs = append(errs, d.UnmarshalJSON([]byte("3")), d.UnmarshalJSON([]byte(`"2001-02-30"`)))
	formats := map[string]bool{}
	for _, err := range errs {
		var e *DateError
		if !errors.As(err, &e) || !errors.Is(err, ErrDate) {
			t.Fatalf("%v: not a *DateError wrapping ErrDate", err)
		}
		format, args := e.FormatArgs()
		if !strings.HasPrefix(format, ErrDate.Error()+": ") || fmt.Sprintf(format, args...) != err.Error() {
			t.Errorf("%q: format %q and arguments %v do not make the message", err, format, args)
		}
		formats[format] = true
	}
	if len(formats) != 7 {
		t.Errorf("%d formats, want 7: %v", len(formats), formats)
	}
	if got := errs[2].Error(); got != `invalid date: "20O3": character 3 is 'O', not a digit` {
		t.Errorf("ParseDate(20O3) = %q", got)
	}
}

// TestDateString checks the hand-written formatting against fmt on years of
// one to five digits and every month and day width.
func TestDateString(t *testing.T) {
	for _, y := range []int{1, 9, 10, 99, 100, 999, 1000, 1903, 2026, 9999, 12345} {
		for _, m := range []int{0, 1, 9, 10, 12} {
			for _, d := range []int{0, 1, 9, 10, 31} {
				if m == 0 && d != 0 {
					continue
				}
				x := Date{y, m, d}
				want := fmt.Sprintf("%04d", y)
				if m != 0 {
					want += fmt.Sprintf("-%02d", m)
				}
				if d != 0 {
					want += fmt.Sprintf("-%02d", d)
				}
				if got := x.String(); got != want {
					t.Errorf("Date%v.String() = %q, want %q", x, got, want)
				}
				if got, _ := x.MarshalJSON(); string(got) != `"`+want+`"` {
					t.Errorf("Date%v.MarshalJSON() = %s, want %q", x, got, want)
				}
			}
		}
	}
	if s, j := (Date{}).String(), (Date{}).AppendJSON(nil); s != "" || string(j) != "null" {
		t.Errorf("zero Date: String %q, JSON %s; want \"\" and null", s, j)
	}
}
