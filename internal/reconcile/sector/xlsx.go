package sector

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/xuri/excelize/v2"
)

// xlsxMagic opens every XLSX workbook (a ZIP archive); xlsMagic the Excel
// 97–2003 workbooks (a compound file), which are not read.
var (
	xlsxMagic = []byte("PK\x03\x04")
	xlsMagic  = []byte{0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1}
)

// Bounds on an XLSX workbook: its size as read, and what its parts may
// unpack to (a small archive that unpacks to gigabytes is refused).
const (
	MaxXLSXBytes      = 256 << 20
	maxXLSXUnpacked   = 2 << 30
	maxXLSXPartMemory = 16 << 20 // a worksheet larger is unpacked to a temporary file by excelize
)

// XLSX reads the first worksheet of an Excel workbook (.xlsx): its first
// row that holds a value is the header, each row after it a record.
// Values are read as stored, not as the cell's format shows them (which
// depends on the spreadsheet's locale: 5/17/90 or 17/05/1990): a number is
// its digits, and a number in a cell formatted as a date is that date,
// written YYYY-MM-DD (a serial day before 1927 is a number of four digits
// or fewer, which would pass for a year). A workbook is read whole into
// memory (at most MaxXLSXBytes); its rows are streamed.
type XLSX struct {
	f      *excelize.File
	rows   *excelize.Rows
	header []string
	sheet  string
	line   int // the worksheet's row number of the last row read
	values []string
	// dateStyle tells, by style id, whether a cell's format is a date's.
	dateStyle map[int]bool
	date1904  bool
}

// OpenXLSX reads the header of the first worksheet of the workbook r.
func OpenXLSX(r io.Reader) (*XLSX, error) {
	data, err := io.ReadAll(io.LimitReader(r, MaxXLSXBytes+1))
	if err != nil {
		return nil, err
	}
	if len(data) > MaxXLSXBytes {
		return nil, &TooLargeError{What: "workbook", Limit: MaxXLSXBytes}
	}
	if len(data) == 0 {
		return nil, &SyntaxError{Line: 1, Msg: "the file is empty; it must start with a header row naming the columns"}
	}
	f, err := excelize.OpenReader(bytes.NewReader(data), excelize.Options{RawCellValue: true, UnzipSizeLimit: maxXLSXUnpacked, UnzipXMLSizeLimit: maxXLSXPartMemory})
	if err != nil {
		return nil, &SyntaxError{Line: 1, Msg: "the file is not a readable Excel workbook (.xlsx): " + xlsxReason(err) + "; save it again from the spreadsheet, or as CSV UTF-8"}
	}
	x := &XLSX{f: f, dateStyle: map[int]bool{}}
	if props, err := f.GetWorkbookProps(); err == nil && props.Date1904 != nil {
		x.date1904 = *props.Date1904
	}
	sheets := f.GetSheetList()
	if len(sheets) == 0 {
		f.Close()
		return nil, &SyntaxError{Line: 1, Msg: "the workbook has no worksheet"}
	}
	x.sheet = sheets[0]
	if x.rows, err = f.Rows(x.sheet); err != nil {
		f.Close()
		return nil, &SyntaxError{Line: 1, Msg: fmt.Sprintf("worksheet %q cannot be read: %s", x.sheet, xlsxReason(err))}
	}
	for {
		row, line, err := x.next()
		if err == io.EOF {
			x.Close()
			return nil, &SyntaxError{Line: 1, Msg: fmt.Sprintf("worksheet %q is empty; it must start with a header row naming the columns", x.sheet)}
		}
		if err != nil {
			x.Close()
			return nil, err
		}
		if !blank(row) {
			if err := x.setHeader(row, line); err != nil {
				x.Close()
				return nil, err
			}
			return x, nil
		}
	}
}

// setHeader takes the header row, trimmed, refusing a column without a
// name (one after the last named is dropped) or named twice.
func (x *XLSX) setHeader(row []string, line int) error {
	n := len(row)
	for n > 0 && strings.TrimSpace(row[n-1]) == "" {
		n--
	}
	seen := make(map[string]int, n)
	x.header = make([]string, n)
	for i := range n {
		h := strings.TrimSpace(row[i])
		if h == "" {
			return &SyntaxError{Line: line, Column: i + 1, Msg: fmt.Sprintf("column %s of the header has no name", columnName(i))}
		}
		if j, dup := seen[h]; dup {
			return &SyntaxError{Line: line, Column: i + 1, Msg: fmt.Sprintf("the header names column %q twice (columns %s and %s)", h, columnName(j), columnName(i))}
		}
		seen[h] = i
		x.header[i] = h
	}
	x.values = make([]string, n)
	return nil
}

// next returns the next row of the worksheet as stored and its number.
func (x *XLSX) next() ([]string, int, error) {
	if !x.rows.Next() {
		if err := x.rows.Error(); err != nil {
			return nil, x.line + 1, &SyntaxError{Line: x.line + 1, Msg: "the worksheet cannot be read further: " + xlsxReason(err)}
		}
		return nil, 0, io.EOF
	}
	x.line++
	row, err := x.rows.Columns(excelize.Options{RawCellValue: true})
	if err != nil {
		return nil, x.line, &RowError{Line: x.line, Msg: "the row cannot be read: " + xlsxReason(err)}
	}
	return row, x.line, nil
}

// Header returns the column names.
func (x *XLSX) Header() []string { return x.header }

// Next returns the next row that holds a value, one value per column of
// the header (cells beyond it holding a value spoil the row); the line is
// the worksheet's row number.
func (x *XLSX) Next() ([]string, int, error) {
	for {
		row, line, err := x.next()
		if err != nil {
			return nil, line, err
		}
		if blank(row) {
			continue
		}
		for i := range x.values {
			x.values[i] = ""
		}
		for i, v := range row {
			switch {
			case len(v) > MaxFieldBytes:
				return nil, line, &TooLargeError{Line: line, Column: columnName(i), What: "field", Limit: MaxFieldBytes}
			case i >= len(x.values):
				if strings.TrimSpace(v) != "" {
					return nil, line, &RowError{Line: line, Column: i + 1, Msg: fmt.Sprintf("cell %s%d holds a value, beyond the header's %d columns", columnName(i), line, len(x.header))}
				}
			case !utf8.ValidString(v):
				return nil, line, &RowError{Line: line, Column: i + 1, Msg: fmt.Sprintf("cell %s%d is not text", columnName(i), line)}
			default:
				x.values[i] = x.dated(v, i, line)
			}
		}
		return x.values, line, nil
	}
}

// dated is v, the value of the cell at column i of row line, or the date
// it stands for when it is a number in a cell formatted as a date.
func (x *XLSX) dated(v string, i, line int) string {
	serial, err := strconv.ParseFloat(v, 64)
	if err != nil || serial < 1 {
		return v
	}
	cell, err := excelize.CoordinatesToCellName(i+1, line)
	if err != nil {
		return v
	}
	id, err := x.f.GetCellStyle(x.sheet, cell)
	if err != nil {
		return v
	}
	isDate, known := x.dateStyle[id]
	if !known {
		isDate = dateFormat(x.f, id)
		x.dateStyle[id] = isDate
	}
	if !isDate {
		return v
	}
	t, err := excelize.ExcelDateToTime(serial, x.date1904)
	if err != nil {
		return v
	}
	return t.Format("2006-01-02")
}

// dateFormat reports whether the style id formats numbers as dates: one
// of Excel's built-in date formats, or a format of its own that writes a
// day, a month or a year (outside quoted text and bracketed codes).
func dateFormat(f *excelize.File, id int) bool {
	st, err := f.GetStyle(id)
	if err != nil || st == nil {
		return false
	}
	switch n := st.NumFmt; {
	case n >= 14 && n <= 17, n == 22, n >= 27 && n <= 36, n >= 50 && n <= 58:
		return true
	}
	if st.CustomNumFmt == nil {
		return false
	}
	quoted, bracket := false, false
	for _, r := range strings.ToLower(*st.CustomNumFmt) {
		switch {
		case r == '"':
			quoted = !quoted
		case quoted:
		case r == '[':
			bracket = true
		case r == ']':
			bracket = false
		case bracket:
		case r == 'd' || r == 'y':
			return true
		}
	}
	return false
}

// Close releases the workbook.
func (x *XLSX) Close() error {
	if x.rows != nil {
		x.rows.Close()
	}
	return x.f.Close()
}

// Sheet returns the name of the worksheet read.
func (x *XLSX) Sheet() string { return x.sheet }

func blank(row []string) bool {
	for _, v := range row {
		if strings.TrimSpace(v) != "" {
			return false
		}
	}
	return true
}

// columnName is a column's letters, as a spreadsheet names it (0: A).
func columnName(i int) string {
	name, err := excelize.ColumnNumberToName(i + 1)
	if err != nil {
		return fmt.Sprint(i + 1)
	}
	return name
}

// xlsxReason is what excelize says, without its own name.
func xlsxReason(err error) string {
	switch {
	case errors.Is(err, excelize.ErrOptionsUnzipSizeLimit):
		return "it unpacks to more than 2 GiB"
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return "it is a ZIP archive without a whole workbook in it"
	}
	return strings.TrimPrefix(err.Error(), "excelize: ")
}
