package db

import (
	"math/rand/v2"
	"testing"
	"time"
)

func TestTimeScan(t *testing.T) {
	want := time.Date(2025, 7, 1, 8, 30, 0, 123000, time.UTC)
	for _, src := range []any{FormatTime(want), []byte(FormatTime(want)), want.In(time.FixedZone("x", 3600))} {
		var got time.Time
		if err := (Time{&got}).Scan(src); err != nil || !got.Equal(want) {
			t.Errorf("Scan(%v) = %v, %v; want %v", src, got, err, want)
		}
	}
	for _, src := range []any{nil, ""} {
		got := want
		if err := (Time{&got}).Scan(src); err != nil || !got.IsZero() {
			t.Errorf("Scan(%#v) = %v, %v; want the zero time", src, got, err)
		}
	}
	var got time.Time
	if err := (Time{&got}).Scan("01/07/2025"); err == nil {
		t.Error("a value that is not a stored timestamp scanned without error")
	}
	if err := (Time{&got}).Scan(42); err == nil {
		t.Error("an integer scanned without error")
	}
}

// TestParseTimeAgreesWithTimeParse: the fast path of ParseTime gives what
// time.Parse gives, on stored values and on near misses of every kind.
func TestParseTimeAgreesWithTimeParse(t *testing.T) {
	cases := []string{"2026-12-06T10:41:11.123456Z", "0001-01-01T00:00:00.000000Z", "9999-12-31T23:59:59.999999Z",
		"2024-02-29T12:00:00.000001Z", "2023-02-29T12:00:00.000000Z", "2026-04-31T00:00:00.000000Z",
		"2026-13-01T00:00:00.000000Z", "2026-00-01T00:00:00.000000Z", "2026-01-00T00:00:00.000000Z",
		"2026-01-01T24:00:00.000000Z", "2026-01-01T00:60:00.000000Z", "2026-01-01T00:00:60.000000Z",
		"2026-01-01T00:00:00.00000aZ", "2026-01-01 00:00:00.000000Z", "2026-01-01T00:00:00.000000+",
		"2026-01-01T00:00:00.000000", "2026-01-01T00:00:00Z", "+026-01-01T00:00:00.000000Z", ""}
	r := rand.New(rand.NewPCG(1, 2))
	for range 2000 {
		ts := time.Unix(r.Int64N(400*365*86400)-200*365*86400, r.Int64N(1e9)).UTC().Truncate(time.Microsecond)
		cases = append(cases, FormatTime(ts))
		b := []byte(FormatTime(ts))
		b[r.IntN(len(b))] = "0123456789-:.TZ x"[r.IntN(17)]
		cases = append(cases, string(b))
	}
	for _, s := range cases {
		got, gerr := ParseTime(s)
		want, werr := time.Parse(TimeFormat, s)
		if (gerr == nil) != (werr == nil) || !got.Equal(want) || got.Location() != want.Location() {
			t.Fatalf("ParseTime(%q) = %v, %v; time.Parse gives %v, %v", s, got, gerr, want, werr)
		}
	}
}

func BenchmarkParseTime(b *testing.B) {
	s := FormatTime(time.Now())
	for b.Loop() {
		if _, err := ParseTime(s); err != nil {
			b.Fatal(err)
		}
	}
}
