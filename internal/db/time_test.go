package db

import (
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
