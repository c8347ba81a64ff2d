package sector

import (
	"errors"
	"io"
	"slices"
	"strings"
	"testing"
	"testing/iotest"
)

// readAll reads every row, collecting row errors.
func readAll(t *testing.T, rows Rows) (got [][]string, lines []int, rowErrs []error, err error) {
	t.Helper()
	for {
		v, line, err := rows.Next()
		if err == io.EOF {
			return got, lines, rowErrs, nil
		}
		if IsRowError(err) {
			rowErrs = append(rowErrs, err)
			continue
		}
		if err != nil {
			return got, lines, rowErrs, err
		}
		got = append(got, slices.Clone(v))
		lines = append(lines, line)
	}
}

func TestCSVDelimiterBOMAndLines(t *testing.T) {
	for _, tc := range []struct {
		name, in string
		comma    rune
	}{
		{"comma", "A,B;x,C\n1,2,3\n", ','},
		{"semicolon", "A;B;C\n1;2;3\n", ';'},
		{"semicolon with quoted comma", "\"A,1\";B;C\n1;2;3\n", ';'},
		{"BOM", "\ufeffA,B,C\r\n1,2,3\r\n", ','},
		{"one column", "A\n1\n", ','},
		{"tab-separated", "Họ tên\tNgày sinh\tĐịa chỉ\nLê An\t1990\tSố 1, Phố Huế\n", '\t'},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := NewCSV(strings.NewReader(tc.in))
			if err != nil {
				t.Fatal(err)
			}
			if c.Comma() != tc.comma {
				t.Errorf("comma %q, want %q", c.Comma(), tc.comma)
			}
			if v, _, err := c.Next(); err != nil || len(v) != len(c.Header()) {
				t.Errorf("the first row %q: %v", v, err)
			}
			if h := c.Header(); h[0] == "" || strings.HasPrefix(h[0], "\ufeff") {
				t.Errorf("header %q keeps the BOM", h)
			}
		})
	}

	in := "ID,NAME\n1,\"Nguyễn\nVăn A\"\n\n2,\"Trần \"\"Tí\"\"\"\n3,Lê\n"
	c, err := NewCSV(iotest.OneByteReader(strings.NewReader(in)))
	if err != nil {
		t.Fatal(err)
	}
	got, lines, _, err := readAll(t, c)
	if err != nil {
		t.Fatal(err)
	}
	want := [][]string{{"1", "Nguyễn\nVăn A"}, {"2", `Trần "Tí"`}, {"3", "Lê"}}
	if !slices.EqualFunc(got, want, slices.Equal) || !slices.Equal(lines, []int{2, 5, 6}) {
		t.Errorf("got %q on lines %v, want %q on 2, 5, 6", got, lines, want)
	}
}

func TestCSVEncodingErrors(t *testing.T) {
	for _, tc := range []struct {
		name, in  string
		line, col int
		utf16     bool
	}{
		{"UTF-16LE with BOM", "\xff\xfeI\x00D\x00", 1, 1, true},
		{"UTF-16BE without BOM", "\x00I\x00D\x00\n", 1, 1, true},
		{"UTF-16LE without BOM", "I\x00D\x00\n\x00", 1, 2, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for _, slow := range []bool{false, true} {
				var r io.Reader = strings.NewReader(tc.in)
				if slow {
					r = iotest.OneByteReader(r)
				}
				var err error
				var c *CSV
				if c, err = NewCSV(r); err == nil {
					_, _, _, err = readAll(t, c)
				}
				var enc *EncodingError
				if !errors.As(err, &enc) {
					t.Fatalf("err = %v, want an EncodingError", err)
				}
				if enc.Line != tc.line || enc.Column != tc.col || enc.UTF16 != tc.utf16 {
					t.Errorf("line %d column %d utf16 %v, want %d, %d, %v", enc.Line, enc.Column, enc.UTF16, tc.line, tc.col, tc.utf16)
				}
				msg := err.Error()
				for _, want := range []string{"line ", "column ", "must be UTF-8"} {
					if !strings.Contains(msg, want) {
						t.Errorf("message %q does not say %q", msg, want)
					}
				}
			}
		})
	}
}

// TestCSVLegacyEncodings: lines in the legacy Vietnamese encodings are
// decoded, not refused, each record of such a line has a note saying from
// what, and UTF-8 lines of the same file are kept as they are.
func TestCSVLegacyEncodings(t *testing.T) {
	for _, tc := range []struct {
		name, in string
		want     []string // the names, in order
		noted    []bool   // which records have the note
		enc      string
	}{
		// "Nguyễn" in Windows-1258: ê is 0xEA and the tilde the combining 0xDE.
		{"Windows-1258", "ID,HO_TEN\n1,Nguy\xea\xden V\xe3n A\n2,Tr\xe2\xccn Thi\xf2 Lan\n",
			[]string{"Nguyễn Văn A", "Trần Thị Lan"}, []bool{true, true}, "Windows-1258"},
		// TCVN3 (ABC) writes ễ as the single byte 0xD4, ệ as 0xD6.
		{"TCVN3", "ID,HO_TEN\n1,Lê\n2,Nguy\xd4n V\xa8n H\xb5\n3,Tr\xc7n Th\xde Lan\n",
			[]string{"Lê", "Nguyễn Văn Hà", "Trần Thị Lan"}, []bool{false, true, true}, "TCVN3"},
		{"VNI-Windows", "ID,HO_TEN\n1,Nguye\xe3n Va\xean Ha\xf8\n2,Nguyễn Văn Hà\n",
			[]string{"Nguyễn Văn Hà", "Nguyễn Văn Hà"}, []bool{true, false}, "VNI-Windows"},
		{"a record over two lines", "ID,HO_TEN\n1,\"Nguy\xd4n\nV\xa8n H\xb5\"\n2,Lê\n",
			[]string{"Nguyễn Văn Hà", "Lê"}, []bool{true, false}, "TCVN3"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for _, slow := range []bool{false, true} {
				var in io.Reader = strings.NewReader(tc.in)
				if slow {
					in = iotest.OneByteReader(in)
				}
				m, err := ParseMapping("id=ID, full_name=HO_TEN")
				if err != nil {
					t.Fatal(err)
				}
				r, err := OpenReader(in, "x.csv", m)
				if err != nil {
					t.Fatal(err)
				}
				for i, want := range tc.want {
					rec, err := r.Next()
					if err != nil {
						t.Fatalf("record %d: %v", i+1, err)
					}
					if rec.FullName != want {
						t.Errorf("record %d: name %q, want %q", i+1, rec.FullName, want)
					}
					noted := len(rec.Notes) > 0 && strings.Contains(rec.Notes[0].Msg, "not UTF-8; it was read as "+tc.enc)
					if noted != tc.noted[i] {
						t.Errorf("record %d: notes %v, want the legacy note: %v", i+1, rec.Notes, tc.noted[i])
					}
				}
				if _, err := r.Next(); err != io.EOF {
					t.Errorf("after the last record: %v", err)
				}
			}
		})
	}
}

func TestCSVBadInput(t *testing.T) {
	for _, tc := range []struct {
		name, in, want string
	}{
		{"empty", "", "line 1: the file is empty"},
		{"only a BOM", "\ufeff", "line 1: the file is empty"},
		{"only blank lines", "\n\n\n", "line 1: the file is empty"},
		{"empty column name", "ID,,NAME\n", "line 1, column 4: column 2 of the header has no name"},
		{"repeated column", "ID,NAME,ID\n", `line 1, column 9: the header names column "ID" twice (columns 1 and 3)`},
		{"unclosed quote", "ID,NAME\n1,\"Lê\n2,x\n", "line 3, column 5: a quoted field is not closed properly: a quote (\") inside a quoted field must be doubled (the field opens on line 2)"},
		{"quote after a quoted field", "ID,NAME\n1,\"Lê\"x\n", "line 2, column 7: a quoted field is not closed properly"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := NewCSV(strings.NewReader(tc.in))
			if err == nil {
				_, _, _, err = readAll(t, c)
			}
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("err = %v, want %q", err, tc.want)
			}
			var se *SyntaxError
			if !errors.As(err, &se) {
				t.Errorf("err is %T, want *SyntaxError", err)
			}
		})
	}
}

func TestCSVRowErrorsAreNotFatal(t *testing.T) {
	in := "ID,NAME\n1,a\n2,b,extra\n3,Nguyễn \"Tí\"\n4\n5,e\n"
	c, err := NewCSV(strings.NewReader(in))
	if err != nil {
		t.Fatal(err)
	}
	got, lines, rowErrs, err := readAll(t, c)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || !slices.Equal(lines, []int{2, 6}) {
		t.Errorf("rows %q on lines %v, want rows 1 and 5 on lines 2 and 6", got, lines)
	}
	want := []string{
		"line 3: the row has 3 fields; the header has 2",
		"line 4, column 12: a quote",
		"line 5: the row has 1 fields; the header has 2",
	}
	if len(rowErrs) != len(want) {
		t.Fatalf("row errors %v, want %d", rowErrs, len(want))
	}
	for i, w := range want {
		if !strings.HasPrefix(rowErrs[i].Error(), w) {
			t.Errorf("row error %q, want it to start %q", rowErrs[i], w)
		}
	}
}

func TestOpenRowsParquet(t *testing.T) {
	// Parquet is recognised by the extension or the magic; what is not a
	// Parquet file is then refused with a clear error.
	for _, tc := range []struct{ name, in string }{
		{"people.parquet", "ID\n1\n"},
		{"people.csv", "PAR1\x15\x00"},
		{"", "PAR1"},
	} {
		_, err := OpenRows(strings.NewReader(tc.in), tc.name)
		var pe *ParquetError
		if !errors.As(err, &pe) || !strings.Contains(err.Error(), "not a readable Parquet file") {
			t.Errorf("OpenRows(%q) = %v, want a ParquetError", tc.name, err)
		}
	}
	if _, err := OpenRows(strings.NewReader("ID\n1\n"), "people.csv"); err != nil {
		t.Errorf("CSV: %v", err)
	}
}
