package sector

import (
	"bufio"
	"fmt"
	"io"

	"github.com/parquet-go/parquet-go/encoding/thrift"
	"github.com/parquet-go/parquet-go/format"
)

// Bounds on what one row of a sector file may hold, so that reading a file
// takes bounded memory whatever it holds: a field is a name, a date, a PIN
// or an address, never more than a few hundred bytes.
const (
	// MaxFieldBytes bounds one value of a CSV, XLSX or Parquet file.
	MaxFieldBytes = 64 << 10
	// MaxRowBytes bounds one CSV row (its fields and separators).
	MaxRowBytes = 1 << 20
	// MaxPageBytes bounds the uncompressed size of one page of a Parquet
	// file, read from the page's header before it is decompressed.
	MaxPageBytes = 16 << 20
)

// TooLargeError is a value, row or Parquet page over its bound. It is
// fatal: the file is refused.
type TooLargeError struct {
	Line   int    // CSV: the line the field or row starts on
	Row    int64  // Parquet: the row, when known
	Column string // the column's name, or its number for CSV
	What   string // "field", "row", "page"
	Limit  int64
}

func (e *TooLargeError) Error() string {
	where := ""
	switch {
	case e.Line > 0 && e.Column != "":
		where = fmt.Sprintf("line %d, column %s: ", e.Line, e.Column)
	case e.Line > 0:
		where = fmt.Sprintf("line %d: ", e.Line)
	case e.Row > 0 && e.Column != "":
		where = fmt.Sprintf("Parquet file, row %d, column %q: ", e.Row, e.Column)
	case e.Column != "":
		where = fmt.Sprintf("Parquet file, column %q: ", e.Column)
	}
	return fmt.Sprintf("%sa %s is larger than the %d bytes it may hold", where, e.What, e.Limit)
}

// csvLimiter passes a CSV stream through, following its quoting (RFC 4180:
// a field that starts with a quote is quoted; a doubled quote inside it is
// a quote), and fails with a *TooLargeError as soon as a field or a row
// passes its bound, before encoding/csv, which has no bound, buffers it.
// Bytes that do not follow the quoting (a bare quote) are left for
// encoding/csv to refuse.
type csvLimiter struct {
	r                io.Reader
	comma            byte
	maxField, maxRow int
	line             int // the current line, 1-based
	rowLine          int // the line the row starts on
	fieldStart       bool
	quoted, quote    bool // in a quoted field; a quote seen in it, maybe the closing one
	field, row       int  // bytes of the current field and row
	col              int  // the current field's number, 1-based
	err              error
}

func newCSVLimiter(r io.Reader, comma rune, maxField, maxRow int) *csvLimiter {
	return &csvLimiter{r: r, comma: byte(comma), maxField: maxField, maxRow: maxRow, line: 1, rowLine: 1, fieldStart: true, col: 1}
}

func (l *csvLimiter) Read(p []byte) (int, error) {
	if l.err != nil {
		return 0, l.err
	}
	n, err := l.r.Read(p)
	for i := 0; i < n; i++ {
		if e := l.step(p[i]); e != nil {
			// The bytes before the offending one pass, so that the rows
			// before it are read; the error comes next.
			l.err = e
			return i, nil
		}
	}
	return n, err
}

func (l *csvLimiter) step(c byte) error {
	if l.quoted {
		if l.quote {
			l.quote = false
			if c == '"' { // a doubled quote: one quote of the value
				return l.count()
			}
			l.quoted = false // the closing quote: c is after the field
		} else {
			if c == '"' {
				l.quote = true
				return nil
			}
			if c == '\n' {
				l.line++
			}
			return l.count()
		}
	}
	switch {
	case c == '\n':
		l.line++
		l.rowLine, l.row, l.field, l.col, l.fieldStart = l.line, 0, 0, 1, true
		return nil
	case c == l.comma:
		l.field, l.fieldStart = 0, true
		l.col++
		return l.countRow()
	case c == '"' && l.fieldStart:
		l.quoted, l.fieldStart = true, false
		return nil
	}
	l.fieldStart = false
	return l.count()
}

func (l *csvLimiter) count() error {
	if l.field++; l.field > l.maxField {
		return &TooLargeError{Line: l.rowLine, Column: fmt.Sprint(l.col), What: "field", Limit: int64(l.maxField)}
	}
	return l.countRow()
}

func (l *csvLimiter) countRow() error {
	if l.row++; l.row > l.maxRow {
		return &TooLargeError{Line: l.rowLine, What: "row", Limit: int64(l.maxRow)}
	}
	return nil
}

// checkPages reads the header of every page of the file (a few bytes each,
// never the pages) and refuses the file when a page would decompress to
// more than maxPage bytes: a small file can hold one highly compressed
// value of hundreds of MiB, which the Parquet library would decompress
// whole into memory.
func checkPages(ra io.ReaderAt, size int64, md *format.FileMetaData, names []string, maxPage int64) error {
	var proto thrift.CompactProtocol
	rbuf := bufio.NewReaderSize(nil, 4<<10)
	for _, g := range md.RowGroups {
		for ci, cc := range g.Columns {
			m := &cc.MetaData
			start := m.DataPageOffset
			if m.DictionaryPageOffset > 0 && m.DictionaryPageOffset < start {
				start = m.DictionaryPageOffset
			}
			end := start + m.TotalCompressedSize
			if start < 0 || m.TotalCompressedSize <= 0 || end > size {
				continue // nothing to check here; the library refuses what it cannot read
			}
			name := ""
			if ci < len(names) {
				name = names[ci]
			}
			for pos := start; pos < end; {
				sr := io.NewSectionReader(ra, pos, end-pos)
				rbuf.Reset(sr)
				var h format.PageHeader
				if err := thrift.NewDecoder(proto.NewReader(rbuf)).Decode(&h); err != nil {
					return fmt.Errorf("the header of a page of column %q cannot be read: %w", name, err)
				}
				if int64(h.UncompressedPageSize) > maxPage {
					return &TooLargeError{Column: name, What: "page (uncompressed)", Limit: maxPage}
				}
				if h.CompressedPageSize < 0 || h.UncompressedPageSize < 0 {
					return fmt.Errorf("a page of column %q has a negative size", name)
				}
				read, _ := sr.Seek(0, io.SeekCurrent)
				pos += read - int64(rbuf.Buffered()) + int64(h.CompressedPageSize)
			}
		}
	}
	return nil
}
