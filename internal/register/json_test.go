package register_test

import (
	"bytes"
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/populus-vn/populus/internal/civil"
	"github.com/populus-vn/populus/internal/db"
	"github.com/populus-vn/populus/internal/db/dbtest"
	"github.com/populus-vn/populus/internal/register"
	"github.com/populus-vn/populus/internal/synth"
)

// checkAppendJSON fails unless p.AppendJSON writes what encoding/json does.
func checkAppendJSON(t *testing.T, p *register.Person) {
	t.Helper()
	want, err := json.Marshal(p)
	if err != nil {
		t.Fatal(err)
	}
	if got := p.AppendJSON([]byte("prefix")); !bytes.Equal(got, append([]byte("prefix"), want...)) {
		t.Fatalf("AppendJSON differs from encoding/json:\n got %s\nwant prefix%s", got, want)
	}
}

// TestPersonAppendJSON compares the hand-written encoding of the person read
// with encoding/json on a synthetic population and on people whose fields
// need every kind of escaping or are left empty.
func TestPersonAppendJSON(t *testing.T) {
	n := 0
	err := synth.Generate(context.Background(), synth.Config{People: 3000, Seed: 7}, func(_ *register.Household, members []register.Person) error {
		for i := range members {
			checkAppendJSON(t, &members[i])
			n++
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if n < 3000 {
		t.Fatalf("only %d people generated", n)
	}

	at := time.Date(2026, 11, 23, 9, 30, 0, 123456789, time.UTC)
	odd := []register.Person{
		{}, // every optional field empty, zero dates and times
		{
			PIN: "001203000001", CMND: "012345678", FullName: `Nguyễn "Văn" <A> & B\C`,
			OtherNames: []string{"Tèo", "line\nbreak\ttab", "\u2028sep\u2029", "bad \xff utf-8", ""},
			BirthDate:  civil.Date{Year: 1903}, Sex: civil.Female, BirthPlace: "01", Hometown: "79",
			Ethnicity: "01", Religion: "00", Nationality: "VN",
			Permanent:   register.Address{Unit: "00004", Detail: "Số 1 <ngõ> 2"},
			Temporary:   register.Address{Unit: "", Detail: "\x00\x1f"},
			HouseholdID: "hh-1", Relation: register.Head, FatherPIN: "001170000002", SpousePIN: "001203000003",
			Card:   register.IDCard{Number: "001203000001", Issued: civil.Date{Year: 2021, Month: 7}, Expires: civil.Date{Year: 2043, Month: 7, Day: 1}},
			Status: register.Deceased, DeathDate: civil.Date{Year: 2026, Month: 1, Day: 31}, Version: 12,
			CreatedAt: at, UpdatedAt: at.In(time.FixedZone("ICT", 7*3600)),
		},
		{PIN: "079099000004", FullName: "Lê Thị B", MotherPIN: "079070000005", Card: register.IDCard{Issued: civil.Date{Year: 999, Month: 1, Day: 2}}, Status: register.Missing},
	}
	for i := range odd {
		checkAppendJSON(t, &odd[i])
	}
}

// FuzzPersonAppendJSON feeds arbitrary strings to every string field.
func FuzzPersonAppendJSON(f *testing.F) {
	for _, s := range []string{"", "Nguyễn Văn A", `"\<>&`, "\u2028\u2029", "\xff\xfe", "\x00\x7f", "𝔸"} {
		f.Add(s, s+"x", 2)
	}
	f.Fuzz(func(t *testing.T, a, b string, k int) {
		p := register.Person{
			PIN: a, CMND: b, FullName: a + b, OtherNames: []string{b, a}, BirthPlace: a, Hometown: b,
			Ethnicity: a, Religion: b, Nationality: a, Permanent: register.Address{Unit: a, Detail: b},
			Current: register.Address{Unit: b, Detail: a}, HouseholdID: b, Relation: register.Relation(a),
			FatherPIN: a, MotherPIN: b, SpousePIN: a, Card: register.IDCard{Number: b}, Status: register.Status(b), Version: k,
		}
		checkAppendJSON(t, &p)
	})
}

// Every field of a person survives the store: people of a synthetic
// population, loaded in bulk, read back by PIN and by search, equal what
// went in (times to the store's microsecond), on each engine.
func TestPersonRoundTrip(t *testing.T) {
	dbtest.Engines(t, testSchemas, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		ctx := context.Background()
		people := importSynthetic(t, d, 400, 3)
		norm := func(p register.Person) string {
			p.CreatedAt = p.CreatedAt.UTC().Truncate(time.Microsecond)
			p.UpdatedAt = p.UpdatedAt.UTC().Truncate(time.Microsecond)
			return string(p.AppendJSON(nil))
		}
		fields := map[string]bool{} // fields seen set, so that the sample covers them
		for _, want := range people {
			got, err := e.reg.Get(ctx, nation, want.PIN)
			if err != nil {
				t.Fatal(err)
			}
			if g, w := norm(got), norm(want); g != w {
				t.Fatalf("read back\n %s\nwrote\n %s", g, w)
			}
			var m map[string]any
			json.Unmarshal(got.AppendJSON(nil), &m)
			for k, v := range m {
				if v != nil && v != "" {
					fields[k] = true
				}
			}
		}
		for _, f := range []string{"cmnd", "other_names", "father_pin", "mother_pin", "spouse_pin", "household_id", "death_date", "id_card"} {
			if !fields[f] {
				t.Errorf("no person of the sample has %s", f)
			}
		}
		found, _, err := e.reg.Search(ctx, nation, register.Query{Name: people[0].FullName, Limit: 50})
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range found {
			if p.PIN == people[0].PIN {
				if norm(p) != norm(people[0]) {
					t.Fatalf("search read back\n %s\nwrote\n %s", norm(p), norm(people[0]))
				}
				return
			}
		}
		t.Fatalf("search for %q did not find %s", people[0].FullName, people[0].PIN)
	})
}
