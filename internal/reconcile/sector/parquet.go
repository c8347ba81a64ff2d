package sector

import (
	"bufio"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"math"
	"math/big"
	"os"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/format"

	"github.com/populus-vn/populus/internal/civil"
	"github.com/populus-vn/populus/internal/vntext"
)

// ParquetError is a Parquet file that cannot be read: not a Parquet file,
// truncated or damaged, or a column that cannot be read as a sector
// column. It is fatal. Row is 0 when no row is concerned, Column "" when
// no column is.
type ParquetError struct {
	Row    int64  // 1-based row of the file
	Column string // top-level column name
	Msg    string
}

func (e *ParquetError) Error() string {
	var b strings.Builder
	b.WriteString("Parquet file")
	if e.Row > 0 {
		fmt.Fprintf(&b, ", row %d", e.Row)
	}
	if e.Column != "" {
		fmt.Fprintf(&b, ", column %q", e.Column)
	}
	b.WriteString(": ")
	b.WriteString(e.Msg)
	return b.String()
}

// parquetBatch is the number of rows read from a row group at a time.
const parquetBatch = 256

// Parquet reads the rows of a Parquet file: the header is the file's
// top-level columns, each row one value per column, as text. It streams
// one row group at a time, and within it a few pages per column, so
// memory does not depend on the file's size. Next returns the row number
// (1-based, the first row of data is row 1) where CSV returns the line.
//
// Values are converted to text: strings as they are (decoded from a legacy
// Vietnamese encoding when they are not UTF-8: DecodedAs), integers in decimal,
// DATE as YYYY-MM-DD (DD/MM/YYYY when the column is mapped to birth_date
// with that format, YYYY when mapped to birth_year), timestamps as the
// date and, when not midnight, the time (an instant adjusted to UTC is
// read in Vietnam's time, UTC+7), booleans as true/false, floating point
// in the shortest form (NaN as missing), decimals with their scale; null
// is the empty string.
//
// A column that is a group (struct, list, map) or repeated, or of a type
// that is not text, a number, a date or a boolean, has empty values; a
// mapping that names it is refused by NewReader with a *ParquetError
// naming the column.
type Parquet struct {
	file      *parquet.File
	header    []string
	cols      []pqColumn
	leafToCol []int // leaf column index → header index, -1 for leaves of groups and repeated columns
	groups    []parquet.RowGroup
	group     int // next row group
	rows      parquet.Rows
	buf       []parquet.Row
	n, i      int
	row       int64 // rows returned so far
	values    []string
	scratch   []byte
	err       error // sticky: the fatal error, or io.EOF
	closer    func() error
	// dec decodes text that is not UTF-8 from a legacy Vietnamese
	// encoding; decoded is the encoding of the last row, "" when none.
	dec     vntext.Decoder
	decoded vntext.Encoding
}

// DecodedAs returns the legacy encoding (TCVN3, VNI-Windows, Windows-1258)
// text of the last row returned by Next was decoded from, "" when all of
// it was UTF-8.
func (p *Parquet) DecodedAs() vntext.Encoding { return p.decoded }

// pqColumn is one top-level column of a Parquet file.
type pqColumn struct {
	name       string
	typ        parquet.Type
	unreadable string // why the column cannot be mapped; "" when it can
	integer    bool   // an integer (or floating point) column: numbers written without leading zeros
	pad        int    // width to restore lost leading zeros to, when mapped to pin (12) or cmnd (9)
	date       string // time layout of DATE and timestamp values
}

// OpenParquet reads a Parquet file from r. When r is an *os.File of a
// regular file, or has ReadAt and Size (bytes.Reader, io.SectionReader), it
// is read in place; otherwise it is first copied to a temporary file,
// removed when the rows are closed or read to the end (on systems that
// allow it, at once). name is used in messages only.
func OpenParquet(r io.Reader, name string) (*Parquet, error) {
	if ra, size, ok := readerAtSize(r); ok {
		return newParquet(ra, size, nil)
	}
	return spoolParquet(r)
}

// openParquetStream opens a Parquet file whose first bytes were already
// read into br: orig is read in place if it can be, else br is spooled.
func openParquetStream(orig io.Reader, br *bufio.Reader) (*Parquet, error) {
	if ra, size, ok := readerAtSize(orig); ok {
		return newParquet(ra, size, nil)
	}
	return spoolParquet(br)
}

func readerAtSize(r io.Reader) (io.ReaderAt, int64, bool) {
	switch x := r.(type) {
	case *os.File:
		if fi, err := x.Stat(); err == nil && fi.Mode().IsRegular() {
			return x, fi.Size(), true
		}
	case interface {
		io.ReaderAt
		Size() int64
	}:
		return x, x.Size(), true
	}
	return nil, 0, false
}

// spoolParquet copies r to a temporary file and opens that.
func spoolParquet(r io.Reader) (*Parquet, error) {
	f, err := os.CreateTemp("", "populus-parquet-*")
	if err != nil {
		return nil, fmt.Errorf("Parquet input that is not a file is copied to a temporary file first: %w", err)
	}
	removed := os.Remove(f.Name()) == nil // the open file stays readable where this is allowed
	closer := func() error {
		err := f.Close()
		if !removed {
			err = errors.Join(err, os.Remove(f.Name()))
		}
		return err
	}
	size, err := io.Copy(f, r)
	if err != nil {
		closer()
		return nil, fmt.Errorf("copying the Parquet input to a temporary file: %w", err)
	}
	p, err := newParquet(f, size, closer)
	if err != nil {
		closer()
		return nil, err
	}
	return p, nil
}

// guard runs fn, turning a panic of the Parquet library (which a damaged
// file can cause) into an error.
func guard(fn func() error) (err error) {
	defer func() {
		if v := recover(); v != nil {
			err = fmt.Errorf("the Parquet reader failed: %v", v)
		}
	}()
	return fn()
}

func newParquet(ra io.ReaderAt, size int64, closer func() error) (*Parquet, error) {
	// The library sizes its footer buffer from the file's last bytes
	// before it checks them against the file's size: check first.
	if err := checkFrame(ra, size); err != nil {
		return nil, &ParquetError{Msg: "not a readable Parquet file (truncated, damaged, or not Parquet): " + err.Error()}
	}
	var f *parquet.File
	err := guard(func() error {
		var err error
		f, err = parquet.OpenFile(ra, size, parquet.SkipPageIndex(true), parquet.SkipBloomFilters(true),
			parquet.ReadBufferSize(64<<10))
		return err
	})
	if err != nil {
		return nil, &ParquetError{Msg: "not a readable Parquet file (truncated, damaged, or not Parquet): " + err.Error()}
	}
	p := &Parquet{file: f, closer: closer}
	if err := guard(p.readSchema); err != nil {
		var pe *ParquetError
		if errors.As(err, &pe) {
			return nil, pe
		}
		return nil, &ParquetError{Msg: "the schema cannot be read: " + err.Error()}
	}
	err = guard(func() error {
		p.groups = f.RowGroups()
		for _, g := range p.groups {
			if len(g.ColumnChunks()) != len(p.leafToCol) {
				return fmt.Errorf("a row group has %d columns; the schema %d", len(g.ColumnChunks()), len(p.leafToCol))
			}
		}
		return nil
	})
	if err != nil {
		return nil, &ParquetError{Msg: "the row groups cannot be read: " + err.Error()}
	}
	names := make([]string, len(p.leafToCol))
	for i, c := range p.leafToCol {
		if c >= 0 {
			names[i] = p.header[c]
		}
	}
	if err := guard(func() error { return checkPages(ra, size, f.Metadata(), names, MaxPageBytes) }); err != nil {
		var tl *TooLargeError
		if errors.As(err, &tl) {
			return nil, tl
		}
		return nil, &ParquetError{Msg: "the pages cannot be read: " + err.Error()}
	}
	return p, nil
}

// checkFrame checks the magic at both ends of a Parquet file and that the
// footer's length fits in it.
func checkFrame(ra io.ReaderAt, size int64) error {
	const magic, tail = 4, 8 // PAR1; the footer's length and PAR1
	if size < magic+tail {
		return fmt.Errorf("%d bytes is too short", size)
	}
	var head [magic]byte
	var end [tail]byte
	if _, err := ra.ReadAt(head[:], 0); err != nil {
		return err
	}
	if _, err := ra.ReadAt(end[:], size-tail); err != nil {
		return err
	}
	if string(head[:]) != "PAR1" || string(end[4:]) != "PAR1" {
		return errors.New("it does not start and end with PAR1")
	}
	if n := int64(binary.LittleEndian.Uint32(end[:4])); n > size-magic-tail {
		return fmt.Errorf("the footer's length, %d bytes, is more than the file holds", n)
	}
	return nil
}

// readSchema sets the header and the columns.
func (p *Parquet) readSchema() error {
	root := p.file.Root()
	top := root.Columns()
	if len(top) == 0 {
		return &ParquetError{Msg: "the file has no columns"}
	}
	nleaves := 0
	var count func(c *parquet.Column)
	count = func(c *parquet.Column) {
		if c.Leaf() {
			nleaves++
			return
		}
		for _, s := range c.Columns() {
			count(s)
		}
	}
	count(root)
	p.leafToCol = make([]int, nleaves)
	for i := range p.leafToCol {
		p.leafToCol[i] = -1
	}
	seen := make(map[string]int, len(top))
	for i, c := range top {
		name := strings.TrimSpace(c.Name())
		if !utf8.ValidString(name) {
			return &ParquetError{Msg: fmt.Sprintf("the name of column %d is not UTF-8", i+1)}
		}
		if name == "" {
			return &ParquetError{Msg: fmt.Sprintf("column %d has no name", i+1)}
		}
		if j, dup := seen[name]; dup {
			return &ParquetError{Column: name, Msg: fmt.Sprintf("the file names column %q twice (columns %d and %d)", name, j+1, i+1)}
		}
		seen[name] = i
		col := pqColumn{name: name, date: "2006-01-02"}
		switch {
		case !c.Leaf():
			col.unreadable = "it is a group (a struct, list or map) of nested columns; only flat columns of text, numbers, dates or booleans can be mapped"
		case c.Repeated():
			col.unreadable = "it is repeated (several values per row); only columns of one value per row can be mapped"
		default:
			col.typ = c.Type()
			col.unreadable, col.integer = classify(col.typ)
			if idx := c.Index(); idx >= 0 && idx < nleaves {
				p.leafToCol[idx] = i
			}
		}
		p.header = append(p.header, name)
		p.cols = append(p.cols, col)
	}
	p.values = make([]string, len(p.header))
	return nil
}

// classify says whether a leaf type can be read, and whether it holds
// plain numbers.
func classify(t parquet.Type) (unreadable string, integer bool) {
	lt := t.LogicalType()
	if lt != nil && lt.Value != nil {
		switch v := lt.Value.(type) {
		case *format.StringType, *format.EnumType, *format.JsonType, *format.UUIDType, *format.DateType,
			*format.TimestampType, *format.TimeType, *format.NullType, *format.DecimalType:
			return "", false
		case *format.IntType:
			return "", true
		default:
			return fmt.Sprintf("its type %s is not text, a number, a date or a boolean", v), false
		}
	}
	switch t.Kind() {
	case parquet.Int32, parquet.Int64, parquet.Float, parquet.Double:
		return "", true
	case parquet.Boolean, parquet.Int96, parquet.ByteArray, parquet.FixedLenByteArray:
		return "", false
	}
	return fmt.Sprintf("its type %s is not text, a number, a date or a boolean", t), false
}

// bind prepares column i for the field it is mapped to.
func (p *Parquet) bind(i int, e Entry) error {
	c := &p.cols[i]
	if c.unreadable != "" {
		return &ParquetError{Column: c.name, Msg: fmt.Sprintf("field %s is mapped to this column, but %s", e.Field, c.unreadable)}
	}
	switch e.Field {
	case FieldPIN:
		if c.integer {
			c.pad = 12
		}
	case FieldCMND:
		if c.integer {
			c.pad = 9
		}
	case FieldBirthDate:
		if e.Format == FormatVN {
			c.date = "02/01/2006"
		}
	case FieldBirthYear:
		c.date = "2006"
	}
	return nil
}

// Header returns the top-level column names.
func (p *Parquet) Header() []string { return p.header }

// NumRows returns the number of rows the file declares.
func (p *Parquet) NumRows() int64 { return p.file.NumRows() }

// Close releases the file (and removes the temporary copy, if any). Next
// closes it by itself at the end of the rows or on a fatal error.
func (p *Parquet) Close() error {
	if p.rows != nil {
		rows := p.rows
		p.rows = nil
		guard(rows.Close) // a damaged file may make the library panic here too
	}
	if p.closer == nil {
		return nil
	}
	c := p.closer
	p.closer = nil
	return c()
}

// Next returns the values of the next row and its 1-based row number.
func (p *Parquet) Next() ([]string, int, error) {
	if p.err != nil {
		return nil, 0, p.err
	}
	values, err := p.next()
	if err != nil {
		p.err = err
		p.Close()
		return nil, 0, err
	}
	return values, int(p.row), nil
}

func (p *Parquet) next() ([]string, error) {
	for empty := 0; p.i >= p.n; {
		if p.rows == nil {
			if p.group >= len(p.groups) {
				if p.row != p.file.NumRows() && p.file.NumRows() >= 0 {
					return nil, &ParquetError{Msg: fmt.Sprintf("the file declares %d rows but holds %d; it is damaged", p.file.NumRows(), p.row)}
				}
				return nil, io.EOF
			}
			g := p.groups[p.group]
			p.group++
			if err := guard(func() error { p.rows = g.Rows(); return nil }); err != nil {
				return nil, &ParquetError{Row: p.row + 1, Msg: fmt.Sprintf("row group %d cannot be read: %v", p.group, err)}
			}
			if p.buf == nil {
				p.buf = make([]parquet.Row, parquetBatch)
			}
		}
		var n int
		err := guard(func() error {
			var err error
			n, err = p.rows.ReadRows(p.buf)
			return err
		})
		p.n, p.i = n, 0
		switch {
		case err == io.EOF:
			rows := p.rows
			p.rows = nil
			if err := guard(rows.Close); err != nil {
				return nil, &ParquetError{Row: p.row + 1, Msg: fmt.Sprintf("row group %d is damaged: %v", p.group, err)}
			}
		case err != nil:
			return nil, &ParquetError{Row: p.row + int64(n) + 1, Msg: fmt.Sprintf("row group %d is damaged: %v", p.group, err)}
		case n == 0:
			if empty++; empty > 3 {
				return nil, &ParquetError{Row: p.row + 1, Msg: fmt.Sprintf("row group %d yields no rows; it is damaged", p.group)}
			}
		}
	}
	row := p.buf[p.i]
	p.i++
	p.row++
	p.decoded = ""
	clear(p.values)
	for _, v := range row {
		ci := v.Column()
		if ci < 0 || ci >= len(p.leafToCol) || p.leafToCol[ci] < 0 || v.IsNull() || v.RepetitionLevel() != 0 {
			continue
		}
		i := p.leafToCol[ci]
		s, err := p.text(&p.cols[i], v)
		if err != nil {
			return nil, err
		}
		p.values[i] = s
	}
	return p.values, nil
}

// text converts a value of column c to text.
func (p *Parquet) text(c *pqColumn, v parquet.Value) (string, error) {
	var lt format.LogicalTypeValue
	if t := c.typ.LogicalType(); t != nil {
		lt = t.Value
	}
	switch v.Kind() {
	case parquet.Boolean:
		return strconv.FormatBool(v.Boolean()), nil
	case parquet.Int32, parquet.Int64:
		n := v.Int64()
		if v.Kind() == parquet.Int32 {
			n = int64(v.Int32())
		}
		switch t := lt.(type) {
		case *format.DateType:
			return time.Unix(n*86400, 0).UTC().Format(c.date), nil
		case *format.TimestampType:
			return c.timestamp(n, unitOf(&t.Unit), t.IsAdjustedToUTC), nil
		case *format.TimeType:
			d := time.Duration(n) * unitOf(&t.Unit)
			return time.Unix(0, 0).UTC().Add(d).Format("15:04:05"), nil
		case *format.DecimalType:
			return decimalText(big.NewInt(n), int(t.Scale)), nil
		case *format.IntType:
			if !t.IsSigned {
				if v.Kind() == parquet.Int32 {
					return c.number(strconv.FormatUint(uint64(v.Uint32()), 10)), nil
				}
				return c.number(strconv.FormatUint(v.Uint64(), 10)), nil
			}
		}
		return c.number(strconv.FormatInt(n, 10)), nil
	case parquet.Int96:
		// The legacy timestamp: nanoseconds of the day, then the Julian day.
		i := v.Int96()
		nanos := int64(i[1])<<32 | int64(i[0])
		day := int64(i[2]) - 2440588 // the Julian day of 1970-01-01
		return c.timestamp(day*86400e9+nanos, time.Nanosecond, false), nil
	case parquet.Float, parquet.Double:
		x, bits := v.Double(), 64
		if v.Kind() == parquet.Float {
			x, bits = float64(v.Float()), 32
		}
		if math.IsNaN(x) {
			return "", nil
		}
		return c.number(strconv.FormatFloat(x, 'f', -1, bits)), nil
	case parquet.ByteArray, parquet.FixedLenByteArray:
		b := v.ByteArray()
		switch t := lt.(type) {
		case *format.DecimalType:
			n := new(big.Int).SetBytes(b)
			if len(b) > 0 && b[0]&0x80 != 0 { // two's complement
				n.Sub(n, new(big.Int).Lsh(big.NewInt(1), uint(8*len(b))))
			}
			return decimalText(n, int(t.Scale)), nil
		case *format.UUIDType:
			if len(b) == 16 {
				h := hex.EncodeToString(b)
				return h[:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:], nil
			}
		}
		if len(b) > MaxFieldBytes {
			return "", &TooLargeError{Row: p.row, Column: c.name, What: "field", Limit: MaxFieldBytes}
		}
		if i := invalidUTF8(b); i >= 0 {
			s := string(p.dec.Decode(b))
			p.decoded = p.dec.Used
			return s, nil
		}
		return string(b), nil
	}
	return "", &ParquetError{Row: p.row, Column: c.name, Msg: fmt.Sprintf("a value of type %s cannot be read", v.Kind())}
}

// number restores the leading zeros a PIN or CMND loses in a numeric
// column: a PIN has 12 digits and starts with 0 (00 for the provinces
// coded 001–009), so 10 or 11 digits are padded to 12; a CMND of 8 digits
// to 9. Other lengths are left for the reader to judge.
func (c *pqColumn) number(s string) string {
	if c.pad == 0 {
		return s
	}
	if c.pad == 12 && (len(s) == 10 || len(s) == 11) || c.pad == 9 && len(s) == 8 {
		if allDigits(s) {
			return strings.Repeat("0", c.pad-len(s)) + s
		}
	}
	return s
}

func (c *pqColumn) timestamp(n int64, unit time.Duration, utc bool) string {
	sec, rem := n/int64(time.Second/unit), n%int64(time.Second/unit)
	if rem < 0 {
		sec--
		rem += int64(time.Second / unit)
	}
	t := time.Unix(sec, rem*int64(unit)).UTC()
	if utc {
		t = t.In(civil.Vietnam)
	}
	if t.Hour() == 0 && t.Minute() == 0 && t.Second() == 0 && t.Nanosecond() == 0 || c.date == "2006" {
		return t.Format(c.date)
	}
	return t.Format(c.date + " 15:04:05")
}

func unitOf(u *format.TimeUnit) time.Duration {
	switch u.Value.(type) {
	case *format.MilliSeconds:
		return time.Millisecond
	case *format.MicroSeconds:
		return time.Microsecond
	}
	return time.Nanosecond
}

// decimalText writes n × 10^-scale.
func decimalText(n *big.Int, scale int) string {
	s := n.String()
	if scale <= 0 || scale > 1000 {
		return s
	}
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	if len(s) <= scale {
		s = strings.Repeat("0", scale-len(s)+1) + s
	}
	s = s[:len(s)-scale] + "." + s[len(s)-scale:]
	if neg {
		s = "-" + s
	}
	return s
}

// invalidUTF8 returns the index of the first byte of b that is not UTF-8,
// or -1.
func invalidUTF8(b []byte) int {
	for i := 0; i < len(b); {
		if b[i] < utf8.RuneSelf {
			i++
			continue
		}
		r, size := utf8.DecodeRune(b[i:])
		if r == utf8.RuneError && size == 1 {
			return i
		}
		i += size
	}
	return -1
}
