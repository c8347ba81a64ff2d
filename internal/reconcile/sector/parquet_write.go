package sector

import (
	"bufio"
	"encoding/csv"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/parquet-go/parquet-go"
)

// ParquetType is the type of a column written by CSVToParquet.
type ParquetType int

// Column types of CSVToParquet. Every column is optional: an empty CSV
// value is written as null.
const (
	ParquetString ParquetType = iota // BYTE_ARRAY, logical type STRING
	ParquetInt64                     // INT64
	ParquetDouble                    // DOUBLE
	// ParquetText is a string column whose CSV cells were neutralised for
	// spreadsheets (a single quote before a value that begins with a
	// formula character or a quote): the quote is removed, the Parquet
	// value is the value itself.
	ParquetText
)

// ParquetRowGroupRows is the number of rows of each row group
// CSVToParquet writes: the writer holds one row group in memory.
const ParquetRowGroupRows = 64 << 10

// CSVToParquet copies CSV (a header row, comma or semicolon, an optional
// UTF-8 byte-order mark, as NewCSV reads it) from r to w as a Parquet
// file with the same columns in the same order: typeOf gives each
// column's type (nil: all strings), empty values are null. Row groups
// hold ParquetRowGroupRows rows, so memory does not depend on the size of
// the input. A value that is not of its column's type is an error naming
// its line and column.
func CSVToParquet(w io.Writer, r io.Reader, typeOf func(column string) ParquetType) error {
	br := bufio.NewReaderSize(r, 64<<10)
	if b, _ := br.Peek(3); string(b) == "\ufeff" {
		br.Discard(3)
	}
	cr := csv.NewReader(br)
	cr.Comma = sniffComma(br)
	cr.ReuseRecord = true
	header, err := cr.Read()
	if err == io.EOF {
		return &SyntaxError{Line: 1, Msg: "the file is empty; it must start with a header row naming the columns"}
	}
	if err != nil {
		return convertErr(err)
	}
	header = slices.Clone(header)
	types := make([]ParquetType, len(header))
	group := orderedGroup{Group: parquet.Group{}, order: header}
	for i, h := range header {
		if typeOf != nil {
			types[i] = typeOf(h)
		}
		if _, dup := group.Group[h]; dup {
			return &SyntaxError{Line: 1, Msg: fmt.Sprintf("the header names column %q twice", h)}
		}
		var n parquet.Node
		switch types[i] {
		case ParquetInt64:
			n = parquet.Leaf(parquet.Int64Type)
		case ParquetDouble:
			n = parquet.Leaf(parquet.DoubleType)
		default:
			n = parquet.String()
		}
		group.Group[h] = parquet.Optional(n)
	}
	pw := parquet.NewWriter(w, parquet.NewSchema("sector", group),
		parquet.MaxRowsPerRowGroup(ParquetRowGroupRows), parquet.Compression(&parquet.Snappy))
	batch := make([]parquet.Row, 0, parquetBatch)
	flush := func() error {
		if _, err := pw.WriteRows(batch); err != nil {
			return err
		}
		batch = batch[:0]
		return nil
	}
	for {
		rec, err := cr.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			return convertErr(err)
		}
		line, _ := cr.FieldPos(0)
		if len(batch) == cap(batch) {
			if err := flush(); err != nil {
				return err
			}
		}
		batch = batch[:len(batch)+1]
		row := batch[len(batch)-1][:0]
		for i, s := range rec {
			var v parquet.Value
			switch {
			case s == "":
				row = append(row, parquet.NullValue().Level(0, 0, i))
				continue
			case types[i] == ParquetInt64:
				n, err := strconv.ParseInt(s, 10, 64)
				if err != nil {
					_, col := cr.FieldPos(i)
					return &SyntaxError{Line: line, Column: col, Msg: fmt.Sprintf("column %s: %q is not an integer", header[i], s)}
				}
				v = parquet.Int64Value(n)
			case types[i] == ParquetDouble:
				x, err := strconv.ParseFloat(s, 64)
				if err != nil {
					_, col := cr.FieldPos(i)
					return &SyntaxError{Line: line, Column: col, Msg: fmt.Sprintf("column %s: %q is not a number", header[i], s)}
				}
				v = parquet.DoubleValue(x)
			case types[i] == ParquetText && s[0] == '\'':
				v = parquet.ByteArrayValue([]byte(s[1:]))
			default:
				v = parquet.ByteArrayValue([]byte(s))
			}
			row = append(row, v.Level(0, 1, i))
		}
		batch[len(batch)-1] = row
	}
	if err := flush(); err != nil {
		return err
	}
	return pw.Close()
}

// orderedGroup is a Parquet group whose columns keep the order given
// (parquet.Group sorts them by name).
type orderedGroup struct {
	parquet.Group
	order []string
}

func (g orderedGroup) Fields() []parquet.Field {
	fields := g.Group.Fields()
	rank := make(map[string]int, len(g.order))
	for i, n := range g.order {
		rank[n] = i
	}
	sorted := slices.Clone(fields)
	slices.SortStableFunc(sorted, func(a, b parquet.Field) int { return rank[a.Name()] - rank[b.Name()] })
	return sorted
}

func (g orderedGroup) String() string {
	var b strings.Builder
	b.WriteString("message {")
	for _, f := range g.Fields() {
		fmt.Fprintf(&b, " %s %s;", f.Name(), f)
	}
	b.WriteString(" }")
	return b.String()
}

// ParquetWriter converts the CSV written to it into Parquet, as
// CSVToParquet does, while it is written: nothing but a row group is held.
// Close must be called; it finishes the file and returns the conversion's
// error.
type ParquetWriter struct {
	pw   *io.PipeWriter
	done chan error
	once sync.Once
	err  error
}

// NewParquetWriter returns a ParquetWriter writing to w, with column
// types given by typeOf (nil: all strings).
func NewParquetWriter(w io.Writer, typeOf func(column string) ParquetType) *ParquetWriter {
	pr, pw := io.Pipe()
	p := &ParquetWriter{pw: pw, done: make(chan error, 1)}
	go func() {
		err := CSVToParquet(w, pr, typeOf)
		if err != nil {
			pr.CloseWithError(err) // the next Write returns it
		} else {
			pr.Close()
		}
		p.done <- err
	}()
	return p
}

// Write takes CSV text.
func (p *ParquetWriter) Write(b []byte) (int, error) { return p.pw.Write(b) }

// Close ends the CSV, waits for the Parquet file to be written, and
// returns the first error of the conversion.
func (p *ParquetWriter) Close() error { return p.finish(nil) }

// Abort stops the conversion, leaving the Parquet file incomplete, and
// waits for it to end. It is a no-op after Close.
func (p *ParquetWriter) Abort(err error) { p.finish(err) }

func (p *ParquetWriter) finish(abort error) error {
	p.once.Do(func() {
		if abort != nil {
			p.pw.CloseWithError(abort)
		} else {
			p.pw.Close()
		}
		p.err = <-p.done
	})
	return p.err
}
