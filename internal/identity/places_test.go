package identity_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/populus-vn/populus/internal/db"
	"github.com/populus-vn/populus/internal/db/dbtest"
	"github.com/populus-vn/populus/internal/identity"
	"github.com/populus-vn/populus/internal/problem"
	"github.com/populus-vn/populus/internal/units"
)

func readPlaces(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "places", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// A wrong file names each wrong line and column, and says why.
func TestParsePlacesErrors(t *testing.T) {
	_, err := identity.ParsePlaces(bytes.NewReader(readPlaces(t, "wrong.csv")), units.Default())
	var pe *problem.Error
	if !errors.As(err, &pe) || pe.Kind != problem.Invalid {
		t.Fatalf("err = %v", err)
	}
	want := map[string]string{
		"line 2, column 1 (cidr)":     "host bits are set; the range is 10.0.0.0/8",
		"line 3, column 2 (province)": `"99" is not the code of a current province`,
		"line 4, column 3 (name)":     "give a province code or a place name",
		"line 5, column 1 (cidr)":     "10.20.0.0/16 is already on line 3",
	}
	got := map[string]string{}
	for _, f := range pe.Fields {
		got[f.Field] = f.Reason
	}
	if len(got) != len(want) {
		t.Errorf("fields = %v, want %v", got, want)
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s: %q, want %q", k, got[k], v)
		}
	}
	for in, field := range map[string]string{
		"":                           "line 1, column 1 (header)",
		"ip,province,name,network\n": "line 1, column 1 (cidr)",
		"cidr,province,name,network\n1.2.3.0/24,01\n":             "line 2, column 3 (name)",
		"cidr,province,name,network\n::ffff:1.2.3.0/120,01,,\n":   "line 2, column 1 (cidr)",
		"cidr,province,name,network\n# c\n\n1.2.3.0/24,01,\"x,\n": "line 4, column ",
		"cidr,province,name,network\n1.2.3.0/24,old:01,,\n":       "line 2, column 2 (province)",
	} {
		_, err := identity.ParsePlaces(strings.NewReader(in), units.Default())
		if !errors.As(err, &pe) || len(pe.Fields) == 0 || !strings.HasPrefix(pe.Fields[0].Field, field) {
			t.Errorf("%q: %v, want the field %q", in, err, field)
		}
	}
}

// The longest prefix holding the address wins, in IPv4 and IPv6; an
// address with no row is local (loopback, private) or unknown; a row with
// a province and no name is named after the province.
func TestPlacesLookup(t *testing.T) {
	dbtest.Engines(t, schemas, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		pl := e.Svc.Places()
		n, err := pl.Import(e.Ctx, bytes.NewReader(readPlaces(t, "ok.csv")))
		if err != nil || n != 5 {
			t.Fatalf("import: %d %v", n, err)
		}
		hanoi, _ := units.Default().Lookup("01")
		for remote, want := range map[string]identity.Place{
			"10.1.2.3":            {Kind: identity.PlaceListed, Name: "Trụ sở", Network: "Mạng nội bộ Bộ Công an"},
			"10.20.1.1":           {Kind: identity.PlaceListed, Province: "01", Name: hanoi.Type + " " + hanoi.Name, Network: "VNPT Hà Nội"},
			"10.20.30.40:5555":    {Kind: identity.PlaceListed, Province: "79", Name: "Quận 1, TP HCM", Network: "Viettel"},
			"::ffff:10.20.30.41":  {Kind: identity.PlaceListed, Province: "79", Name: "Quận 1, TP HCM", Network: "Viettel"},
			"2001:db8:abcd:1::5":  {Kind: identity.PlaceListed, Name: "Đà Nẵng", Network: "FPT"},
			"[2001:db8:1::1]:443": {Kind: identity.PlaceListed, Province: "01", Name: hanoi.Type + " " + hanoi.Name, Network: "Mạng IPv6"},
			"127.0.0.1":           {Kind: identity.PlaceLocal},
			"192.168.1.10":        {Kind: identity.PlaceLocal},
			"fd00::1":             {Kind: identity.PlaceLocal},
			"8.8.8.8":             {Kind: identity.PlaceUnknown},
			"2a00::1":             {Kind: identity.PlaceUnknown},
			"not an address":      {Kind: identity.PlaceUnknown},
		} {
			got, err := pl.Lookup(e.Ctx, remote)
			if err != nil || got != want {
				t.Errorf("%s: %+v %v, want %+v", remote, got, err, want)
			}
		}
		list, err := pl.List(e.Ctx)
		if err != nil || len(list) != 5 || list[0].CIDR != netip.MustParsePrefix("10.0.0.0/8") || list[4].CIDR != netip.MustParsePrefix("2001:db8:abcd::/48") {
			t.Errorf("list = %v %v", list, err)
		}
		// A wrong file changes nothing.
		if _, err := pl.Import(e.Ctx, bytes.NewReader(readPlaces(t, "wrong.csv"))); err == nil {
			t.Error("a wrong file imported")
		}
		if got, _ := pl.Lookup(e.Ctx, "10.1.2.3"); got.Name != "Trụ sở" {
			t.Errorf("after a wrong import: %+v", got)
		}
		// Another process's import is seen once the table is read again.
		other := identity.NewPlaces(d, units.Default())
		if _, err := other.Import(e.Ctx, strings.NewReader("cidr,province,name,network\n10.0.0.0/8,,Chi nhánh,\n")); err != nil {
			t.Fatal(err)
		}
		if got, _ := other.Lookup(e.Ctx, "10.20.1.1"); got.Name != "Chi nhánh" {
			t.Errorf("the importer's own table: %+v", got)
		}
	})
}

// A sign-in keeps the place its address had then, shown in the history
// and named in the new-device alert; a later table does not rewrite it.
func TestLoginPlace(t *testing.T) {
	dbtest.Engines(t, schemas, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		a := e.Active(e.Lan)
		if err := e.Svc.Places().SeedDemo(e.Ctx); err != nil {
			t.Fatal(err)
		}
		if _, err := e.login(e.Lan, "correct horse battery", "203.0.113.9"); err != nil {
			t.Fatal(err)
		}
		msgs, _ := e.Out.Recent(e.Ctx, 1)
		if len(msgs) == 0 || !strings.Contains(msgs[0].Body, "thiet bi moi") || !strings.Contains(msgs[0].Body, "tai Thanh pho Da Nang (Mang tai lieu TEST-NET-3)") {
			t.Errorf("alert = %+v", msgs)
		}
		if _, err := e.login(e.Lan, "wrong", "198.18.0.1"); err == nil {
			t.Fatal("wrong password accepted")
		}
		if _, err := e.Svc.Places().Import(e.Ctx, strings.NewReader("cidr,province,name,network\n203.0.113.0/24,,Nơi khác,\n")); err != nil {
			t.Fatal(err)
		}
		if _, err := e.login(e.Lan, "correct horse battery", "10.9.8.7"); err != nil {
			t.Fatal(err)
		}
		logins, err := e.Svc.Logins(e.Ctx, a.Principal(""), 0, 10)
		if err != nil || len(logins) != 3 {
			t.Fatalf("history = %+v %v", logins, err)
		}
		want := []identity.Place{
			{Kind: identity.PlaceLocal},
			{Kind: identity.PlaceUnknown},
			{Kind: identity.PlaceListed, Province: "48", Name: "Thành phố Đà Nẵng", Network: "Mạng tài liệu TEST-NET-3"},
		}
		for i, w := range want {
			if logins[i].Place != w {
				t.Errorf("entry %d: %+v, want %+v", i, logins[i].Place, w)
			}
		}
	})
}

// The table's reader never panics; what it accepts is valid, and reads
// back the same once written out again.
func FuzzParsePlaces(f *testing.F) {
	for _, name := range []string{"ok.csv", "wrong.csv"} {
		f.Add(readPlaces(f, name))
	}
	f.Add([]byte(identity.DemoPlaces))
	f.Add([]byte("cidr,province,name,network\n0.0.0.0/0,01,,\n::/0,,x,\"a\"\"b\"\n"))
	reg := units.Default()
	f.Fuzz(func(t *testing.T, in []byte) {
		rows, err := identity.ParsePlaces(bytes.NewReader(in), reg)
		if err != nil {
			var pe *problem.Error
			if !errors.As(err, &pe) || pe.Kind != problem.Invalid || len(pe.Fields) == 0 || !strings.HasPrefix(pe.Fields[0].Field, "line ") {
				t.Fatalf("error %v names no line", err)
			}
			return
		}
		var b bytes.Buffer
		w := csv.NewWriter(&b)
		w.Write([]string{"cidr", "province", "name", "network"})
		for _, r := range rows {
			if !r.CIDR.IsValid() || r.CIDR.Masked() != r.CIDR || (r.Province == "" && r.Name == "") {
				t.Fatalf("accepted %+v", r)
			}
			w.Write([]string{r.CIDR.String(), r.Province, r.Name, r.Network})
		}
		w.Flush()
		again, err := identity.ParsePlaces(&b, reg)
		if err != nil || len(again) != len(rows) {
			t.Fatalf("written out and read again: %d rows, %v; was %d", len(again), err, len(rows))
		}
		for i := range rows {
			if again[i] != rows[i] {
				t.Fatalf("row %d: %+v, was %+v", i, again[i], rows[i])
			}
		}
	})
}

// A look-up in a table of 10,000 IPv4 and 10,000 IPv6 ranges of mixed
// lengths (one map probe per length present).
func BenchmarkPlacesLookup(b *testing.B) {
	d := dbtest.SQLite(b, schemas...)
	pl := identity.NewPlaces(d, units.Default())
	var file strings.Builder
	file.WriteString("cidr,province,name,network\n")
	for i := range 10000 {
		fmt.Fprintf(&file, "10.%d.%d.0/24,01,,net%d\n", i/256, i%256, i)
		fmt.Fprintf(&file, "2001:db8:%x::/48,79,,net6-%d\n", i, i)
	}
	file.WriteString("10.0.0.0/8,,Trụ sở,\n172.16.0.0/12,,Nội bộ,\n")
	ctx := context.Background()
	if _, err := pl.Import(ctx, strings.NewReader(file.String())); err != nil {
		b.Fatal(err)
	}
	addrs := []string{"10.3.7.9", "10.200.1.1", "2001:db8:1f::1", "8.8.8.8", "172.16.5.5"}
	b.ResetTimer()
	for i := range b.N {
		if _, err := pl.Lookup(ctx, addrs[i%len(addrs)]); err != nil {
			b.Fatal(err)
		}
	}
}
