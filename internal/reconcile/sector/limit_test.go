package sector

import (
	"errors"
	"io"
	"strings"
	"testing"
)

// endless is a header and a first row, then one field of n bytes of x
// (quoted or not), counting what was read.
type endless struct {
	head string
	n    int64
	read int64
}

func (e *endless) Read(p []byte) (int, error) {
	if e.head != "" {
		k := copy(p, e.head)
		e.head = e.head[k:]
		e.read += int64(k)
		return k, nil
	}
	if e.n <= 0 {
		return 0, io.EOF
	}
	k := min(int64(len(p)), e.n)
	for i := range k {
		p[i] = 'x'
	}
	e.n -= k
	e.read += k
	return int(k), nil
}

// A single field of 100 MiB is refused naming its line and column, after
// reading little more than the bound: memory stays bounded.
func TestCSVFieldTooLarge(t *testing.T) {
	for _, c := range []struct{ name, head string }{
		{"unquoted", "ID,HO_TEN\n1,An\n2,"},
		{"quoted", "ID,HO_TEN\n1,An\n2,\"a\"\"\nb"},
		{"many fields", "ID,HO_TEN\n1,An\n2," + strings.Repeat("y,", MaxRowBytes) + "x"},
	} {
		t.Run(c.name, func(t *testing.T) {
			src := &endless{head: c.head, n: 100 << 20}
			rows, err := OpenRows(src, "big.csv")
			if err != nil {
				t.Fatal(err)
			}
			if v, line, err := rows.Next(); err != nil || line != 2 || v[1] != "An" {
				t.Fatalf("first row: %q %d %v", v, line, err)
			}
			_, _, err = rows.Next()
			var tl *TooLargeError
			if !errors.As(err, &tl) || tl.Line != 3 {
				t.Fatalf("error %v, want a *TooLargeError on line 3", err)
			}
			if c.name != "many fields" && (tl.What != "field" || tl.Column != "2") {
				t.Errorf("error %v, want field 2", err)
			}
			if src.read > 4<<20 {
				t.Errorf("%d bytes read before the refusal", src.read)
			}
		})
	}
	// Quoted fields with separators, doubled quotes and newlines are read
	// as they were.
	rows, err := OpenRows(strings.NewReader("A,B\n\"x,\"\"y\"\"\nz\",2\n"), "ok.csv")
	if err != nil {
		t.Fatal(err)
	}
	if v, _, err := rows.Next(); err != nil || v[0] != "x,\"y\"\nz" || v[1] != "2" {
		t.Fatalf("%q %v", v, err)
	}
}
