package sector

import (
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/parquet-go/parquet-go"

	"github.com/populus-vn/populus/internal/civil"
)

// writeParquet writes rows of a struct type to a Parquet file in memory.
func writeParquet[T any](t testing.TB, rows []T, opts ...parquet.WriterOption) []byte {
	t.Helper()
	var b bytes.Buffer
	w := parquet.NewGenericWriter[T](&b, opts...)
	if _, err := w.Write(rows); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// A sector table as a database export would write it: typed columns,
// optional ones, an integer PIN.
type typedRow struct {
	ID      string    `parquet:"MA"`
	Name    *string   `parquet:"HO_TEN,optional"`
	Born    *int32    `parquet:"NGAY_SINH,date,optional"` // days since 1970 (the writer mishandles time.Time here)
	PIN     *int64    `parquet:"SO_CCCD,optional"`
	Female  bool      `parquet:"NU"`
	Count   int32     `parquet:"SO_LAN"`
	Score   float64   `parquet:"DIEM"`
	Issued  time.Time `parquet:"NGAY_CAP,timestamp(millisecond)"`
	Phone   *string   `parquet:"DIEN_THOAI,optional"`
	Comment string    `parquet:"GHI_CHU"`
}

func ptr[T any](v T) *T { return &v }

func days(y int, m time.Month, d int) *int32 {
	return ptr(int32(time.Date(y, m, d, 0, 0, 0, 0, time.UTC).Unix() / 86400))
}

func typedRows() []typedRow {
	return []typedRow{
		{ID: "S1", Name: ptr("Nguyễn Văn An"), Born: days(1985, 4, 2),
			PIN: ptr(int64(79085001234)), Female: false, Count: 3, Score: 0.5,
			Issued: time.Date(2020, 1, 2, 0, 0, 0, 0, civil.Vietnam), Phone: ptr("0912345678"), Comment: "a, \"b\""},
		{ID: "S2", Name: nil, Born: nil, PIN: nil, Female: true, Count: -1, Score: 1e21,
			Issued: time.Date(2021, 3, 4, 5, 6, 7, 0, time.UTC)},
		{ID: "S3", Name: ptr("Trần Thị Bích Ngọc"), Born: days(1990, 12, 3),
			PIN: ptr(int64(1190000101)), Count: 0, Issued: time.Date(1999, 9, 9, 0, 0, 0, 0, civil.Vietnam)},
	}
}

func TestParquetValues(t *testing.T) {
	file := writeParquet(t, typedRows(), parquet.MaxRowsPerRowGroup(2))
	rows, err := OpenRows(bytes.NewReader(file), "typed.parquet")
	if err != nil {
		t.Fatal(err)
	}
	wantHeader := []string{"MA", "HO_TEN", "NGAY_SINH", "SO_CCCD", "NU", "SO_LAN", "DIEM", "NGAY_CAP", "DIEN_THOAI", "GHI_CHU"}
	if !slices.Equal(rows.Header(), wantHeader) {
		t.Fatalf("header %q, want %q", rows.Header(), wantHeader)
	}
	got, lines, rowErrs, err := readAll(t, rows)
	if err != nil || len(rowErrs) > 0 {
		t.Fatal(err, rowErrs)
	}
	// Without a mapping, numbers are as stored: the PIN lost its zeros.
	want := [][]string{
		{"S1", "Nguyễn Văn An", "1985-04-02", "79085001234", "false", "3", "0.5", "2020-01-02", "0912345678", `a, "b"`},
		// The timestamp is adjusted to UTC: it is read in Vietnam's time.
		{"S2", "", "", "", "true", "-1", "1000000000000000000000", "2021-03-04 12:06:07", "", ""},
		{"S3", "Trần Thị Bích Ngọc", "1990-12-03", "1190000101", "false", "0", "0", "1999-09-09", "", ""},
	}
	if !slices.EqualFunc(got, want, slices.Equal) || !slices.Equal(lines, []int{1, 2, 3}) {
		t.Errorf("got %q on rows %v,\nwant %q on rows 1, 2, 3", got, lines, want)
	}

	// Through a mapping: the PIN gets its zeros back, the date its format.
	m, err := ParseMapping("id=MA, full_name=HO_TEN, birth_date=NGAY_SINH:DD/MM/YYYY, pin=SO_CCCD, phone=DIEN_THOAI")
	if err != nil {
		t.Fatal(err)
	}
	r, err := OpenReader(bytes.NewReader(file), "typed.parquet", m)
	if err != nil {
		t.Fatal(err)
	}
	var recs []Record
	for {
		rec, err := r.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		recs = append(recs, rec)
	}
	if len(recs) != 3 {
		t.Fatalf("%d records", len(recs))
	}
	if rec := recs[0]; rec.PIN != "079085001234" || rec.Raw(FieldBirthDate) != "02/04/1985" || rec.BirthDate.String() != "1985-04-02" || len(rec.Notes) != 0 {
		t.Errorf("record 1: PIN %q, date %q (%v), notes %v", rec.PIN, rec.Raw(FieldBirthDate), rec.BirthDate, rec.Notes)
	}
	if rec := recs[1]; rec.FullName != "" || !rec.BirthDate.IsZero() || rec.PIN != "" || rec.Line != 2 {
		t.Errorf("record 2 (nulls): %+v", rec)
	}
	if rec := recs[2]; rec.PIN != "001190000101" || len(rec.Notes) != 0 {
		t.Errorf("record 3: PIN %q (two zeros lost), notes %v", rec.PIN, rec.Notes)
	}
}

func readRecordsFrom(t *testing.T, in io.Reader, name string, m *Mapping) []Record {
	t.Helper()
	r, err := OpenReader(in, name, m)
	if err != nil {
		t.Fatal(err)
	}
	var recs []Record
	for {
		rec, err := r.Next()
		if err == io.EOF {
			return recs
		}
		if err != nil {
			t.Fatal(err)
		}
		recs = append(recs, rec)
	}
}

func TestParquetFromFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "drivers.PARQUET")
	if err := os.WriteFile(path, writeParquet(t, typedRows()), 0o644); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := OpenRows(f, filepath.Base(path))
	if err != nil {
		t.Fatal(err)
	}
	if p, ok := rows.(*Parquet); !ok || p.closer != nil {
		t.Fatalf("a file is read in place: %T", rows)
	}
	got, _, _, err := readAll(t, rows)
	if err != nil || len(got) != 3 {
		t.Fatalf("%d rows, %v", len(got), err)
	}
}

type nestedRow struct {
	ID      string   `parquet:"MA"`
	Name    string   `parquet:"HO_TEN"`
	Phones  []string `parquet:"DIEN_THOAI,list"`
	Aliases []string `parquet:"TEN_KHAC"`
	Address struct {
		Street string `parquet:"DUONG"`
		Ward   string `parquet:"XA"`
	} `parquet:"DIA_CHI"`
}

func TestParquetNestedColumns(t *testing.T) {
	rows := []nestedRow{{ID: "1", Name: "Lê Văn Tám", Phones: []string{"0912", "0913"}, Aliases: []string{"Tám"}}, {ID: "2", Name: "Đỗ Thị Mai"}}
	rows[0].Address.Street = "1 Lý Thái Tổ"
	file := writeParquet(t, rows)
	// Unmapped, they do not stop the file.
	m, _ := ParseMapping("id=MA, full_name=HO_TEN")
	recs := readRecordsFrom(t, bytes.NewReader(file), "n.parquet", m)
	if len(recs) != 2 || recs[0].FullName != "Lê Văn Tám" || recs[1].ID != "2" {
		t.Fatalf("records %+v", recs)
	}
	for _, tc := range []struct{ mapping, column, why string }{
		{"full_name=HO_TEN, phone=DIEN_THOAI", "DIEN_THOAI", "group"},
		{"full_name=HO_TEN, address=DIA_CHI", "DIA_CHI", "group"},
		{"full_name=TEN_KHAC", "TEN_KHAC", "repeated"},
	} {
		m, err := ParseMapping(tc.mapping)
		if err != nil {
			t.Fatal(err)
		}
		_, err = OpenReader(bytes.NewReader(file), "n.parquet", m)
		var pe *ParquetError
		if !errors.As(err, &pe) || pe.Column != tc.column || !strings.Contains(err.Error(), `column "`+tc.column+`"`) ||
			!strings.Contains(err.Error(), tc.why) {
			t.Errorf("mapping %s: %v", tc.mapping, err)
		}
	}
	m, _ = ParseMapping("full_name=TEN")
	_, err := OpenReader(bytes.NewReader(file), "n.parquet", m)
	var mc *MissingColumnError
	if !errors.As(err, &mc) || strings.Contains(err.Error(), "line") || !strings.Contains(err.Error(), "MA, HO_TEN, DIEN_THOAI, TEN_KHAC, DIA_CHI") {
		t.Errorf("missing column: %v", err)
	}
}

type textRow struct {
	ID   string  `parquet:"MA"`
	Name *string `parquet:"HO_TEN,optional"`
}

// TestParquetNotUTF8: text in a legacy Vietnamese encoding is decoded, and
// the records of its rows say so.
func TestParquetNotUTF8(t *testing.T) {
	// TCVN3: ễ is 0xD4, ă 0xA8, à 0xB5.
	file := writeParquet(t, []textRow{{"1", ptr("Lê")}, {"2", nil}, {"3", ptr("Nguy\xd4n V\xa8n H\xb5")}})
	m, err := ParseMapping("id=MA, full_name=HO_TEN")
	if err != nil {
		t.Fatal(err)
	}
	r, err := OpenReader(bytes.NewReader(file), "x.parquet", m)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	var noted []bool
	for {
		rec, err := r.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		names = append(names, rec.FullName)
		noted = append(noted, len(rec.Notes) > 0 && strings.Contains(rec.Notes[0].Msg, "read as TCVN3"))
	}
	if !slices.Equal(names, []string{"Lê", "", "Nguyễn Văn Hà"}) || !slices.Equal(noted, []bool{false, false, true}) {
		t.Errorf("names %q, legacy notes %v", names, noted)
	}
}

func TestParquetDamaged(t *testing.T) {
	var rows []textRow
	for i := range 2000 {
		rows = append(rows, textRow{ID: strings.Repeat("x", i%50), Name: ptr("Nguyễn Văn " + string(rune('A'+i%26)))})
	}
	file := writeParquet(t, rows, parquet.MaxRowsPerRowGroup(500), parquet.PageBufferSize(2048))
	check := func(name string, data []byte) {
		t.Helper()
		defer func() {
			if v := recover(); v != nil {
				t.Fatalf("%s: panic %v", name, v)
			}
		}()
		r, err := OpenRows(bytes.NewReader(data), "d.parquet")
		if err == nil {
			_, _, _, err = readAll(t, r)
		}
		var pe *ParquetError
		if err != nil && !errors.As(err, &pe) {
			var enc *EncodingError
			if !errors.As(err, &enc) {
				t.Fatalf("%s: error %T %v", name, err, err)
			}
		}
	}
	for n := 0; n < len(file); n += 1 + n/8 {
		check("truncated", file[:n])
	}
	// Bytes overwritten all over the file.
	for i := 0; i < len(file); i += 97 {
		d := slices.Clone(file)
		d[i] ^= 0x5a
		check("damaged", d)
	}
	for _, tc := range []struct{ name, data string }{
		{"empty.parquet", ""},
		{"magic only", "PAR1"},
		{"garbage.parquet", "ID,HO_TEN\n1,Lê\n"},
		{"two magics", "PAR1PAR1"},
	} {
		_, err := OpenRows(strings.NewReader(tc.data), tc.name)
		var pe *ParquetError
		if !errors.As(err, &pe) || !strings.Contains(err.Error(), "not a readable Parquet file") {
			t.Errorf("%s: %v", tc.name, err)
		}
	}
}

func TestCSVToParquet(t *testing.T) {
	in := "\ufeffid;line;p;note\nA;2;0.25;x\nB;;;\n\"C;1\";10;1e-3;\"two\nlines\"\n"
	var out bytes.Buffer
	w := NewParquetWriter(&out, func(c string) ParquetType {
		switch c {
		case "line":
			return ParquetInt64
		case "p":
			return ParquetDouble
		}
		return ParquetString
	})
	if _, err := io.Copy(w, iotestHalf(strings.NewReader(in))); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	f, err := parquet.OpenFile(bytes.NewReader(out.Bytes()), int64(out.Len()))
	if err != nil {
		t.Fatal(err)
	}
	var names, types []string
	for _, c := range f.Root().Columns() {
		names = append(names, c.Name())
		types = append(types, c.Type().String())
		if !c.Optional() {
			t.Errorf("column %s is not optional", c.Name())
		}
	}
	if !slices.Equal(names, []string{"id", "line", "p", "note"}) || !slices.Equal(types, []string{"STRING", "INT(64,true)", "DOUBLE", "STRING"}) {
		t.Errorf("columns %v %v", names, types)
	}
	rows, err := OpenRows(bytes.NewReader(out.Bytes()), "")
	if err != nil {
		t.Fatal(err)
	}
	got, _, _, err := readAll(t, rows)
	want := [][]string{{"A", "2", "0.25", "x"}, {"B", "", "", ""}, {"C;1", "10", "0.001", "two\nlines"}}
	if err != nil || !slices.EqualFunc(got, want, slices.Equal) {
		t.Errorf("got %q, %v; want %q", got, err, want)
	}

	// A value not of its column's type stops the conversion, and the
	// writer says so.
	w = NewParquetWriter(io.Discard, func(c string) ParquetType { return ParquetInt64 })
	_, err = io.WriteString(w, "n\n1\nx\n")
	if err = errors.Join(err, w.Close()); err == nil || !strings.Contains(err.Error(), `line 3, column 1: column n: "x" is not an integer`) {
		t.Errorf("bad integer: %v", err)
	}
	w = NewParquetWriter(io.Discard, nil)
	w.Abort(errors.New("stop"))
	w.Abort(errors.New("again"))
	if err := w.Close(); err == nil {
		t.Errorf("Close after Abort: no error")
	}
}

// iotestHalf reads at most 7 bytes at a time.
func iotestHalf(r io.Reader) io.Reader { return &smallReader{r} }

type smallReader struct{ r io.Reader }

func (s *smallReader) Read(p []byte) (int, error) { return s.r.Read(p[:min(len(p), 7)]) }
