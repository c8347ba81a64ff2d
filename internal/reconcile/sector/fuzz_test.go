package sector

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"github.com/populus-vn/populus/internal/units"
)

// FuzzReader feeds arbitrary bytes to the CSV reader, read through a
// mapping that sends every field to some column, so that every value
// parser sees them too. It checks that nothing panics, that errors are the
// documented kinds and name a line, that rows have the header's width and
// come in line order, and that an encoding error is reported exactly at the
// first byte that is not UTF-8. The seed corpus is testdata/fuzz/FuzzReader.
func FuzzReader(f *testing.F) {
	f.Add([]byte("ID,HO_TEN,NGAY_SINH\n1,Nguyễn Văn A,14/05/1990\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := NewCSV(bytes.NewReader(data))
		if err != nil {
			checkInputError(t, data, err)
			return
		}
		header := c.Header()
		if strings.ContainsAny(strings.Join(header, ""), "\r\n") {
			return // a mapping cannot name a column with a line break
		}
		var text strings.Builder
		for i, f := range Fields() {
			if i > 0 {
				text.WriteString(",")
			}
			text.WriteString(f.String() + "=" + quoteColumn(header[i%len(header)]))
		}
		m, err := ParseMapping(text.String())
		if err != nil {
			t.Fatalf("mapping %q: %v", text.String(), err)
		}
		r, err := NewReader(c, m)
		if err != nil {
			t.Fatalf("header %q: %v", header, err)
		}
		last := 1
		for range 10_000 {
			rec, err := r.Next()
			if err == io.EOF {
				return
			}
			if IsRowError(err) {
				if rec.Line <= last && rec.Line != 0 {
					t.Fatalf("row error on line %d after line %d", rec.Line, last)
				}
				continue
			}
			if err != nil {
				checkInputError(t, data, err)
				return
			}
			if rec.Line <= last {
				t.Fatalf("record on line %d after line %d", rec.Line, last)
			}
			last = rec.Line
			if !utf8.ValidString(rec.FullName) || !utf8.ValidString(rec.Address) {
				t.Fatalf("invalid UTF-8 in %+v", rec)
			}
		}
	})
}

// checkInputError checks a fatal input error against the data.
func checkInputError(t *testing.T, data []byte, err error) {
	t.Helper()
	var enc *EncodingError
	var syn *SyntaxError
	switch {
	case errors.As(err, &enc):
		line, col, utf16 := firstBadByte(data)
		if enc.Line != line || enc.Column != col || enc.UTF16 != utf16 {
			t.Fatalf("%v; the first bad byte is at line %d, column %d (UTF-16 %v)", err, line, col, utf16)
		}
	case errors.As(err, &syn):
		if syn.Line < 1 {
			t.Fatalf("%v: no line", err)
		}
		if line, _, _ := firstBadByte(data); line > 0 && syn.Line > line {
			t.Fatalf("%v: reported past the bad byte on line %d", err, line)
		}
	default:
		t.Fatalf("error %T %v is neither an EncodingError nor a SyntaxError", err, err)
	}
	if !strings.Contains(err.Error(), "line ") {
		t.Fatalf("%q names no line", err)
	}
}

// firstBadByte finds, independently of the reader, where the input stops
// being text it can read: line 0 when it never does. A line that is not
// UTF-8 is read in a legacy Vietnamese encoding (TCVN3, VNI, Windows-1258),
// unless it holds a NUL byte.
func firstBadByte(data []byte) (line, col int, utf16 bool) {
	if bytes.HasPrefix(data, []byte{0xFF, 0xFE}) || bytes.HasPrefix(data, []byte{0xFE, 0xFF}) {
		return 1, 1, true
	}
	data = bytes.TrimPrefix(data, []byte("\ufeff"))
	line, start := 1, 0
	for i := 0; i < len(data); {
		r, size := utf8.DecodeRune(data[i:])
		switch {
		case r == 0:
			return line, i - start + 1, true
		case r == utf8.RuneError && size == 1:
			end := bytes.IndexByte(data[start:], '\n')
			if end < 0 {
				end = len(data) - start
			}
			if bytes.IndexByte(data[start:start+end], 0) < 0 {
				i = start + end // decoded as a legacy encoding: go on after it
				continue
			}
			return line, i - start + 1, false
		case r == '\n':
			line, start = line+1, i+1
		}
		i += size
	}
	return 0, 0, false
}

// FuzzParseMapping checks that any text either parses to a mapping that
// prints and parses back to itself, or fails with a *MappingError. The seed
// corpus is testdata/fuzz/FuzzParseMapping.
func FuzzParseMapping(f *testing.F) {
	f.Add("full_name=HO_TEN, birth_date=NGAY_SINH:DD/MM/YYYY, sex=GIOI_TINH:1=M/0=F")
	f.Fuzz(func(t *testing.T, text string) {
		m, err := ParseMapping(text)
		if err != nil {
			var me *MappingError
			if !errors.As(err, &me) || me.Msg == "" {
				t.Fatalf("ParseMapping(%q) = %v, want a *MappingError", text, err)
			}
			return
		}
		seen := map[Field]bool{}
		for _, e := range m.Entries() {
			if seen[e.Field] || e.Column == "" || e.Field == 0 || e.Field >= numFields {
				t.Fatalf("ParseMapping(%q): bad entry %+v", text, e)
			}
			seen[e.Field] = true
		}
		again, err := ParseMapping(m.String())
		if err != nil || again.String() != m.String() {
			t.Fatalf("ParseMapping(%q) = %s, which reads back as %v, %v", text, m, again, err)
		}
	})
}

// FuzzParquet feeds arbitrary bytes to the Parquet reader, read through a
// mapping that sends every field to some readable column. It checks that
// nothing panics, that errors are the documented kinds, that rows come
// numbered 1, 2, 3… with one value per column, and that text is UTF-8. The
// seed corpus is testdata/fuzz/FuzzParquet (small valid files: typed,
// nested, not UTF-8, several row groups, and damaged ones).
func FuzzParquet(f *testing.F) {
	f.Add([]byte("PAR1"))
	f.Fuzz(func(t *testing.T, data []byte) {
		rows, err := OpenRows(bytes.NewReader(data), "fuzz.parquet")
		if err != nil {
			checkParquetError(t, err)
			return
		}
		p := rows.(*Parquet)
		header := p.Header()
		var readable []string
		for i, c := range p.cols {
			if c.unreadable == "" && !strings.ContainsAny(header[i], "\r\n") {
				readable = append(readable, header[i])
			}
		}
		var next func() ([]string, int, error)
		if len(readable) == 0 {
			next = p.Next
		} else {
			var text strings.Builder
			for i, f := range Fields() {
				if i > 0 {
					text.WriteString(",")
				}
				text.WriteString(f.String() + "=" + quoteColumn(readable[i%len(readable)]))
			}
			m, err := ParseMapping(text.String())
			if err != nil {
				t.Fatalf("mapping %q: %v", text.String(), err)
			}
			r, err := NewReader(p, m)
			if err != nil {
				t.Fatalf("header %q: %v", header, err)
			}
			next = func() ([]string, int, error) {
				rec, err := r.Next()
				if err == nil && (!utf8.ValidString(rec.FullName) || !utf8.ValidString(rec.Address)) {
					t.Fatalf("invalid UTF-8 in %+v", rec)
				}
				return p.values, rec.Line, err
			}
		}
		for want := 1; want <= 100_000; want++ {
			values, row, err := next()
			if err == io.EOF {
				return
			}
			if err != nil {
				checkParquetError(t, err)
				return
			}
			if row != want || len(values) != len(header) {
				t.Fatalf("row %d with %d values, want row %d with %d", row, len(values), want, len(header))
			}
			for _, v := range values {
				if !utf8.ValidString(v) {
					t.Fatalf("row %d: value %q is not UTF-8", row, v)
				}
			}
		}
	})
}

func checkParquetError(t *testing.T, err error) {
	t.Helper()
	var pe *ParquetError
	var enc *EncodingError
	switch {
	case errors.As(err, &pe):
		if pe.Msg == "" {
			t.Fatalf("%v: no message", err)
		}
	case errors.As(err, &enc):
		if enc.Row < 1 || enc.ColumnName == "" || enc.Column < 1 {
			t.Fatalf("%#v: no row, column or byte", enc)
		}
	default:
		t.Fatalf("error %T %v is neither a ParquetError nor an EncodingError", err, err)
	}
	if !strings.Contains(err.Error(), "Parquet file") {
		t.Fatalf("%q does not say it is about the Parquet file", err)
	}
}

// FuzzAddressUnits feeds arbitrary text to the address parser and resolves
// what it finds, as the reader does. It checks that nothing panics, that
// the commune it returns opens with text of the address (spaces and
// hyphens aside) (its district
// follows a comma), that a province it returns is text of the address, and
// that the units found are the registry's communes and provinces. The seed
// corpus is testdata/fuzz/FuzzAddressUnits.
func FuzzAddressUnits(f *testing.F) {
	f.Add("Số 19, Phường Ninh Xá, Thị xã Thuận Thành, Tỉnh Bắc Ninh")
	f.Fuzz(func(t *testing.T, addr string) {
		if !utf8.ValidString(addr) {
			return // the reader hands the parser text, never raw bytes
		}
		commune, province := addressUnits(addr)
		first, _, _ := strings.Cut(commune, ", ")
		// Segments joined again at a hyphen lose their spaces and any
		// empty segment between them.
		spaced := func(s string) string {
			return strings.Map(func(r rune) rune {
				if unicode.IsSpace(r) || r == '-' {
					return -1
				}
				return r
			}, s)
		}
		if commune != "" && !strings.Contains(spaced(addr), spaced(first)) {
			t.Fatalf("addressUnits(%q): commune %q is not in the address", addr, commune)
		}
		if province != "" && !strings.Contains(spaced(addr), spaced(province)) {
			t.Fatalf("addressUnits(%q): province %q is not in the address", addr, province)
		}
		p := defaultPlaces()
		if commune != "" {
			key, choices, _ := p.commune(commune, false, "")
			for _, k := range append(choices, key) {
				if u, ok := p.reg.Lookup(k); k != "" && (!ok || u.Level != units.LevelCommune) {
					t.Fatalf("commune %q of %q resolved to %q, not a commune", commune, addr, k)
				}
			}
		}
		if province != "" {
			if key, _ := p.province(province, false); key != "" {
				if u, ok := p.reg.Lookup(key); !ok || u.Level != units.LevelProvince {
					t.Fatalf("province %q of %q resolved to %q, not a province", province, addr, key)
				}
			}
		}
	})
}
