package sector

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"strings"

	"github.com/populus-vn/populus/internal/vntext"
)

// Rows is a source of sector rows: a header naming the columns, then one
// row of raw values at a time. Implementations stream: memory does not grow
// with the number of rows.
type Rows interface {
	// Header returns the column names, trimmed of surrounding spaces.
	Header() []string
	// Next returns the values of the next row, one per header column, and
	// the line (for CSV, the line the row starts on) to cite in messages. The
	// slice is reused by the next call. After the last row it returns
	// io.EOF. A *RowError spoils only its row: Next may be called again.
	// Any other error ends the input.
	Next() (values []string, line int, err error)
}

// SyntaxError is input that cannot be read as CSV, at a line and column.
// It is fatal.
type SyntaxError struct {
	Line, Column int // 1-based; the column counts bytes
	Msg          string
}

func (e *SyntaxError) Error() string {
	if e.Column == 0 {
		return fmt.Sprintf("line %d: %s", e.Line, e.Msg)
	}
	return fmt.Sprintf("line %d, column %d: %s", e.Line, e.Column, e.Msg)
}

// RowError is a row that cannot be used, such as one with the wrong number
// of fields. It is not fatal: the rows after it can still be read.
type RowError struct {
	Line   int
	Column int // 0 when the whole row is at fault
	Msg    string
}

func (e *RowError) Error() string {
	if e.Column == 0 {
		return fmt.Sprintf("line %d: %s", e.Line, e.Msg)
	}
	return fmt.Sprintf("line %d, column %d: %s", e.Line, e.Column, e.Msg)
}

// parquetMagic opens (and closes) every Parquet file.
var parquetMagic = []byte("PAR1")

// OpenRows returns the Rows of a sector file: Parquet (a *Parquet) when
// the name ends in .parquet or the content starts with the Parquet magic
// PAR1, the first worksheet of an Excel workbook (an *XLSX) when it starts
// as a ZIP archive does, CSV otherwise. name is used only to recognise the format and may
// be empty. Parquet is read in place when r is a regular *os.File or has
// ReadAt and Size; any other reader is first copied to a temporary file
// (see OpenParquet).
func OpenRows(r io.Reader, name string) (Rows, error) {
	if strings.EqualFold(filepath.Ext(name), ".parquet") {
		return OpenParquet(r, name)
	}
	br := bufio.NewReaderSize(r, 64<<10)
	head, _ := br.Peek(len(xlsMagic))
	switch {
	case bytes.HasPrefix(head, parquetMagic):
		return openParquetStream(r, br)
	case bytes.HasPrefix(head, xlsxMagic):
		return OpenXLSX(br)
	case bytes.HasPrefix(head, xlsMagic):
		return nil, &SyntaxError{Line: 1, Msg: "the file is an Excel 97–2003 workbook (.xls), which is not read: save it as an Excel workbook (.xlsx) or as CSV UTF-8"}
	}
	return NewCSV(br)
}

// CSV reads RFC 4180 CSV: UTF-8 with an optional byte-order mark, a header
// row, comma, semicolon or tab delimiter (whichever the header line holds more
// of, outside quotes). A line that is not UTF-8 is decoded from the legacy
// Vietnamese encoding that reads best (legacyReader; DecodedAs tells which);
// UTF-16 stops it with an *EncodingError naming the line and byte column.
type CSV struct {
	r          *csv.Reader
	header     []string
	headerLine int
	comma      rune
	legacy     *legacyReader
	// decoded is the legacy encoding the last row was decoded from.
	decoded vntext.Encoding
}

// DecodedAs returns the legacy encoding (TCVN3, VNI-Windows, Windows-1258)
// the last row returned by Next was decoded from, "" when it was UTF-8.
func (c *CSV) DecodedAs() vntext.Encoding { return c.decoded }

// NewCSV reads the header of a CSV file. An empty file, or a header with an
// empty or repeated column name, is an error naming the line and column.
func NewCSV(r io.Reader) (*CSV, error) {
	legacy := newLegacyReader(r)
	br := bufio.NewReaderSize(newUTF8Reader(legacy), 64<<10)
	comma := sniffComma(br)
	// The limiter bounds fields and rows before encoding/csv buffers them.
	cr := csv.NewReader(newCSVLimiter(br, comma, MaxFieldBytes, MaxRowBytes))
	cr.Comma = comma
	cr.ReuseRecord = true
	header, err := cr.Read()
	if err == io.EOF {
		return nil, &SyntaxError{Line: 1, Msg: "the file is empty; it must start with a header row naming the columns"}
	}
	if err != nil {
		return nil, convertErr(err)
	}
	c := &CSV{r: cr, header: make([]string, len(header)), comma: comma, legacy: legacy}
	c.headerLine, _ = cr.FieldPos(0)
	seen := make(map[string]int, len(header))
	for i, h := range header {
		h = strings.TrimSpace(h)
		line, col := cr.FieldPos(i)
		if h == "" {
			return nil, &SyntaxError{Line: line, Column: col, Msg: fmt.Sprintf("column %d of the header has no name", i+1)}
		}
		if j, dup := seen[h]; dup {
			return nil, &SyntaxError{Line: line, Column: col, Msg: fmt.Sprintf("the header names column %q twice (columns %d and %d)", h, j+1, i+1)}
		}
		seen[h] = i
		c.header[i] = h
	}
	cr.FieldsPerRecord = len(header)
	return c, nil
}

// Header returns the column names.
func (c *CSV) Header() []string { return c.header }

// Comma returns the delimiter found in the header line.
func (c *CSV) Comma() rune { return c.comma }

// Next returns the next row.
func (c *CSV) Next() ([]string, int, error) {
	rec, err := c.r.Read()
	if err == nil {
		line, _ := c.r.FieldPos(0)
		last, _ := c.r.FieldPos(len(rec) - 1)
		c.decoded = c.legacy.decodedAs(line, last)
		return rec, line, nil
	}
	if err == io.EOF {
		return nil, 0, io.EOF
	}
	var pe *csv.ParseError
	if errors.As(err, &pe) && errors.Is(pe.Err, csv.ErrFieldCount) {
		return nil, pe.StartLine, &RowError{Line: pe.StartLine,
			Msg: fmt.Sprintf("the row has %d fields; the header has %d", len(rec), len(c.header))}
	}
	if errors.As(err, &pe) && errors.Is(pe.Err, csv.ErrBareQuote) && pe.StartLine == pe.Line {
		return nil, pe.StartLine, &RowError{Line: pe.Line, Column: pe.Column,
			Msg: `a quote (") inside a field that does not start with one; quote the whole field and double the inner quote`}
	}
	return nil, 0, convertErr(err)
}

// convertErr turns the errors of encoding/csv into ours, which say what to do.
func convertErr(err error) error {
	var enc *EncodingError
	if errors.As(err, &enc) {
		return enc
	}
	var tl *TooLargeError
	if errors.As(err, &tl) {
		return tl
	}
	var pe *csv.ParseError
	if !errors.As(err, &pe) {
		return err
	}
	msg := pe.Err.Error()
	switch {
	case errors.Is(pe.Err, csv.ErrQuote):
		msg = `a quoted field is not closed properly: a quote (") inside a quoted field must be doubled`
		if pe.StartLine != pe.Line {
			msg += fmt.Sprintf(" (the field opens on line %d)", pe.StartLine)
		}
	case errors.Is(pe.Err, csv.ErrBareQuote):
		msg = `a quote (") inside a field that does not start with one; quote the whole field and double the inner quote`
	}
	return &SyntaxError{Line: pe.Line, Column: pe.Column, Msg: msg}
}

// sniffComma picks ';' when the first record (up to its first newline
// outside quotes, within the first 64 KiB) holds more semicolons than
// commas outside quotes, and ',' otherwise.
func sniffComma(br *bufio.Reader) rune {
	head, _ := br.Peek(br.Size())
	commas, semis, tabs, quoted := 0, 0, 0, false
	for _, c := range head {
		switch {
		case c == '"':
			quoted = !quoted
		case quoted:
		case c == '\n':
			return commaOf(commas, semis, tabs)
		case c == ',':
			commas++
		case c == ';':
			semis++
		case c == '\t':
			tabs++
		}
	}
	return commaOf(commas, semis, tabs)
}

// commaOf is the delimiter the header line holds most of: a comma, a
// semicolon (a spreadsheet's CSV where the comma is the decimal mark), or a
// tab (a file exported as "text, tab-separated"); a comma when none.
func commaOf(commas, semis, tabs int) rune {
	switch {
	case tabs > commas && tabs > semis:
		return '\t'
	case semis > commas:
		return ';'
	}
	return ','
}
