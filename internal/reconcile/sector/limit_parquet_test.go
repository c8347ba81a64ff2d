package sector

import (
	"bytes"
	"errors"
	"runtime"
	"strings"
	"testing"

	"github.com/parquet-go/parquet-go"
)

type bombRow struct {
	ID    string `parquet:"ID"`
	HoTen string `parquet:"HO_TEN,zstd"`
}

func bombFile(t *testing.T, value string) []byte {
	t.Helper()
	var b bytes.Buffer
	w := parquet.NewGenericWriter[bombRow](&b, parquet.SkipPageBounds("HO_TEN"), parquet.SkipPageStatistics("HO_TEN"),
		parquet.ColumnIndexSizeLimit(func([]string) int { return 16 }))
	if _, err := w.Write([]bombRow{{"1", "An"}, {"2", value}}); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// A small Parquet file holding one highly compressed value larger than a
// page may be is refused when it is opened, from the pages' headers,
// without decompressing it.
func TestParquetPageTooLarge(t *testing.T) {
	file := bombFile(t, strings.Repeat("x", MaxPageBytes+1<<20))
	if len(file) > 64<<10 {
		t.Fatalf("the compressed file has %d bytes", len(file))
	}
	runtime.GC()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	_, err := OpenRows(bytes.NewReader(file), "bomb.parquet")
	runtime.ReadMemStats(&after)
	var tl *TooLargeError
	if !errors.As(err, &tl) || tl.Column != "HO_TEN" {
		t.Fatalf("error %v, want a *TooLargeError naming HO_TEN", err)
	}
	if n := after.TotalAlloc - before.TotalAlloc; n > 4<<20 {
		t.Errorf("%d bytes allocated to refuse it", n)
	}
}

// A value larger than a field may be, within a page, is refused naming
// its row and column.
func TestParquetFieldTooLarge(t *testing.T) {
	rows, err := OpenRows(bytes.NewReader(bombFile(t, strings.Repeat("x", MaxFieldBytes+1))), "big.parquet")
	if err != nil {
		t.Fatal(err)
	}
	if v, _, err := rows.Next(); err != nil || v[1] != "An" {
		t.Fatalf("row 1: %q %v", v, err)
	}
	_, _, err = rows.Next()
	var tl *TooLargeError
	if !errors.As(err, &tl) || tl.Row != 2 || tl.Column != "HO_TEN" || tl.What != "field" {
		t.Fatalf("error %v, want a *TooLargeError for row 2, HO_TEN", err)
	}
}
