package db_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"testing"

	"github.com/populus-vn/populus/internal/db"
	"github.com/populus-vn/populus/internal/db/dbtest"
)

// Values of every kind the register stores, packed by each engine and
// unpacked, come back as they went in.
func TestPackColumnsRoundTrip(t *testing.T) {
	texts := []string{"", "Nguyễn Văn A", `quote " and \ backslash`, "tab\tnew\nline\r\x01\x1f", "\u2028\u2029",
		"😀 emoji", "<html> & 'apostrophe'", "null", "123", "[1,2]", "/slash/"}
	dbtest.Engines(t, testSchemas, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		if _, err := d.ExecContext(ctx, `CREATE TABLE pack_test (id INTEGER PRIMARY KEY, s TEXT, n INTEGER, z TEXT)`); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { d.ExecContext(context.Background(), `DROP TABLE pack_test`) })
		for i, s := range texts {
			if _, err := d.ExecContext(ctx, `INSERT INTO pack_test (id, s, n, z) VALUES ($1, $2, $3, NULL)`, i, s, -i*1000); err != nil {
				t.Fatal(err)
			}
		}
		rows, err := d.QueryContext(ctx, `SELECT `+d.PackColumns([]string{"id", "s", "n", "z"})+` FROM pack_test ORDER BY id`)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		n := 0
		for ; rows.Next(); n++ {
			var packed string
			if err := rows.Scan(&packed); err != nil {
				t.Fatal(err)
			}
			out := make([]string, 4)
			if err := db.UnpackRow(packed, out); err != nil {
				t.Fatalf("%s: %v", packed, err)
			}
			want := []string{strconv.Itoa(n), texts[n], strconv.Itoa(-n * 1000), ""}
			if fmt.Sprint(out) != fmt.Sprint(want) {
				t.Errorf("row %d: packed %s, unpacked %q, want %q", n, packed, out, want)
			}
		}
		if n != len(texts) {
			t.Fatalf("%d rows, want %d", n, len(texts))
		}
	})
}

// Malformed packed rows are refused, not misread.
func TestUnpackRowRefuses(t *testing.T) {
	for _, s := range []string{``, `{}`, `["a"`, `["a","b"]`, `["a","b","c","d"]`, `["a" "b","c"]`, `["a","b",tru]`, `["a","b","c"] x`, `["a","b","c`} {
		if err := db.UnpackRow(s, make([]string, 3)); err == nil {
			t.Errorf("UnpackRow(%q) accepted", s)
		}
	}
}

// FuzzUnpackRow checks UnpackRow against encoding/json on arrays written
// the way either engine writes them, and that no input makes it panic.
func FuzzUnpackRow(f *testing.F) {
	for _, s := range []string{"", "Nguyễn", `"\`, "\x00\x1f", "\u2028", "\xff", "😀"} {
		f.Add(s, s+"b", int64(-12), false)
	}
	f.Fuzz(func(t *testing.T, a, b string, k int64, spaced bool) {
		packed, _ := json.Marshal([]any{a, k, nil, b})
		s := string(packed)
		if spaced {
			s = strings.ReplaceAll(s, `,`, `, `) // wrong inside strings, but then both sides see the same text
		}
		var want []any
		err := json.Unmarshal([]byte(s), &want)
		out := make([]string, 4)
		uerr := db.UnpackRow(s, out)
		if err != nil || len(want) != 4 {
			return
		}
		if uerr != nil {
			t.Fatalf("UnpackRow(%q): %v", s, uerr)
		}
		for i, w := range want {
			var ws string
			switch w := w.(type) {
			case string:
				ws = w
			case float64:
				ws = strconv.FormatInt(k, 10)
			}
			if out[i] != ws {
				t.Fatalf("UnpackRow(%q)[%d] = %q, want %q", s, i, out[i], ws)
			}
		}
		db.UnpackRow(a, out) // any text: an error at most
	})
}
