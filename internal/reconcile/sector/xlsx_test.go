package sector

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"
)

// workbook builds an XLSX workbook whose first sheet holds rows (a cell
// given as a number is stored as one).
func workbook(t testing.TB, rows ...[]any) []byte {
	t.Helper()
	f := excelize.NewFile()
	defer f.Close()
	for i, row := range rows {
		cell, _ := excelize.CoordinatesToCellName(1, i+1)
		if err := f.SetSheetRow("Sheet1", cell, &row); err != nil {
			t.Fatal(err)
		}
	}
	var b bytes.Buffer
	if _, err := f.WriteTo(&b); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// readRows reads every row of rows, each as what of its values, and their
// lines; a row's error fails the test.
func readRows(t *testing.T, rows Rows, what func([]string) string) ([]string, []int) {
	t.Helper()
	var got []string
	var lines []int
	for {
		v, line, err := rows.Next()
		if err == io.EOF {
			return got, lines
		}
		if err != nil {
			t.Fatal(err)
		}
		got, lines = append(got, what(v)), append(lines, line)
	}
}

// An Excel workbook is read as a CSV file is: its first worksheet, the
// header first, values as stored (a date cell's serial number, a PIN
// typed as a number without its leading zero, both of which the reader
// of records takes), blank rows skipped, whatever the file is named.
func TestXLSX(t *testing.T) {
	data := workbook(t,
		[]any{},
		[]any{" Họ và tên ", "Ngày sinh", "Số CCCD", "Tỉnh/TP"},
		[]any{"Nguyễn Văn An", 32980, 1090000123, "Hà Nội"},
		[]any{},
		[]any{"Lê Thị Bình", "17/05/1990", "001190000124", "TP. Hồ Chí Minh"},
	)
	for _, name := range []string{"khach-hang.xlsx", "khach-hang.csv", ""} {
		rows, err := OpenRows(bytes.NewReader(data), name)
		if err != nil {
			t.Fatalf("%q: %v", name, err)
		}
		if h := rows.Header(); strings.Join(h, "|") != "Họ và tên|Ngày sinh|Số CCCD|Tỉnh/TP" {
			t.Errorf("header %q", h)
		}
		got, lines := readRows(t, rows, func(v []string) string { return strings.Join(v, "|") })
		if strings.Join(got, "\n") != "Nguyễn Văn An|32980|1090000123|Hà Nội\nLê Thị Bình|17/05/1990|001190000124|TP. Hồ Chí Minh" || lines[0] != 3 || lines[1] != 5 {
			t.Errorf("%q: rows %q at %v", name, got, lines)
		}
	}
	m, err := ParseMapping("full_name=Họ và tên, birth_date=Ngày sinh, pin=Số CCCD, province=Tỉnh/TP")
	if err != nil {
		t.Fatal(err)
	}
	r, err := OpenReader(bytes.NewReader(data), "x.xlsx", m)
	if err != nil {
		t.Fatal(err)
	}
	rec, err := r.Next()
	if err != nil || rec.BirthDate.String() != "1990-04-17" || rec.PIN != "001090000123" {
		t.Errorf("record %+v, %v", rec, err)
	}
}

// What cannot be read is said, naming the cell or the file's kind.
func TestXLSXRefusals(t *testing.T) {
	for _, tc := range []struct {
		name string
		data []byte
		want string
	}{
		{"empty sheet", workbook(t), "is empty"},
		{"a header column without a name", workbook(t, []any{"Họ tên", "", "Ngày sinh"}), "column B of the header has no name"},
		{"a column named twice", workbook(t, []any{"Họ tên", "Họ tên"}), `names column "Họ tên" twice (columns A and B)`},
		{"a damaged archive", append(append([]byte{}, xlsxMagic...), "not a zip at all"...), "not a readable Excel workbook"},
		{"an Excel 97–2003 file", append(append([]byte{}, xlsMagic...), make([]byte, 512)...), "Excel 97–2003 workbook (.xls)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := OpenRows(bytes.NewReader(tc.data), "f.xlsx")
			var se *SyntaxError
			if !errors.As(err, &se) || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("%v, want a syntax error saying %q", err, tc.want)
			}
		})
	}
	// A value beyond the header spoils its row only.
	rows, err := OpenRows(bytes.NewReader(workbook(t, []any{"Họ tên", "Ngày sinh"}, []any{"An", "1990", "lạc"}, []any{"Bình", "1991"})), "f.xlsx")
	if err != nil {
		t.Fatal(err)
	}
	_, _, err = rows.Next()
	var re *RowError
	if !errors.As(err, &re) || !strings.Contains(err.Error(), "cell C2 holds a value, beyond the header's 2 columns") {
		t.Errorf("a value beyond the header: %v", err)
	}
	if v, line, err := rows.Next(); err != nil || line != 3 || v[0] != "Bình" {
		t.Errorf("the row after: %v %d %v", v, line, err)
	}
}

// FuzzXLSX: any bytes that start as a ZIP archive give rows or an error of
// the documented kinds, never a panic, each row as wide as the header.
func FuzzXLSX(f *testing.F) {
	f.Add(workbook(f, []any{"Họ tên", "Ngày sinh"}, []any{"An", 32980}))
	f.Add(append(append([]byte{}, xlsxMagic...), "junk"...))
	f.Fuzz(func(t *testing.T, data []byte) {
		if !bytes.HasPrefix(data, xlsxMagic) {
			return // not read as a workbook (FuzzReader reads the rest)
		}
		rows, err := OpenRows(bytes.NewReader(data), "fuzz.xlsx")
		if err != nil {
			var se *SyntaxError
			var tl *TooLargeError
			if !errors.As(err, &se) && !errors.As(err, &tl) {
				t.Fatalf("error of an undocumented kind %T: %v", err, err)
			}
			return
		}
		n := len(rows.Header())
		for i := 0; i < 10000; i++ {
			v, _, err := rows.Next()
			if err == io.EOF {
				return
			}
			var re *RowError
			if errors.As(err, &re) {
				continue
			}
			if err != nil {
				return
			}
			if len(v) != n {
				t.Fatalf("a row of %d values under a header of %d", len(v), n)
			}
		}
	})
}

// A number in a cell formatted as a date is that date (a serial day
// before 1927 has four digits or fewer, and passed for a year), whatever
// the format, built-in or the workbook's own; a number in a plain cell
// stays a number (a year typed alone).
func TestXLSXDateCells(t *testing.T) {
	f := excelize.NewFile()
	defer f.Close()
	rows := [][]any{{"Họ tên", "Ngày sinh"}, {"Cụ An", 1943}, {"Bà Bình", 32980}, {"Ông Cường", 1943}, {"Chị Dung", 32980}}
	for i, row := range rows {
		cell, _ := excelize.CoordinatesToCellName(1, i+1)
		if err := f.SetSheetRow("Sheet1", cell, &row); err != nil {
			t.Fatal(err)
		}
	}
	builtin, _ := f.NewStyle(&excelize.Style{NumFmt: 14})
	custom := "dd/mm/yyyy"
	own, _ := f.NewStyle(&excelize.Style{CustomNumFmt: &custom})
	f.SetCellStyle("Sheet1", "B2", "B2", builtin)
	f.SetCellStyle("Sheet1", "B3", "B3", own)
	var b bytes.Buffer
	if _, err := f.WriteTo(&b); err != nil {
		t.Fatal(err)
	}
	r, err := OpenRows(bytes.NewReader(b.Bytes()), "x.xlsx")
	if err != nil {
		t.Fatal(err)
	}
	got, _ := readRows(t, r, func(v []string) string { return v[1] })
	if want := []string{"1905-04-26", "1990-04-17", "1943", "32980"}; strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("dates %q, want %q", got, want)
	}
}
