package people_test

import (
	"bytes"
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/populus-vn/populus/internal/civil"
	"github.com/populus-vn/populus/internal/people"
	"github.com/populus-vn/populus/internal/synth"
)

// checkAppendJSON fails unless p.AppendJSON writes what encoding/json does.
func checkAppendJSON(t *testing.T, p *people.Person) {
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
	err := synth.Generate(context.Background(), synth.Config{People: 3000, Seed: 7}, func(_ *people.Household, members []people.Person) error {
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
	odd := []people.Person{
		{}, // every optional field empty, zero dates and times
		{
			PIN: "001203000001", CMND: "012345678", FullName: `Nguyễn "Văn" <A> & B\C`,
			OtherNames: []string{"Tèo", "line\nbreak\ttab", "\u2028sep\u2029", "bad \xff utf-8", ""},
			BirthDate:  civil.Date{Year: 1903}, Sex: civil.Female, BirthPlace: "01", Hometown: "79",
			Ethnicity: "01", Religion: "00", Nationality: "VN",
			Permanent:   people.Address{Unit: "00004", Detail: "Số 1 <ngõ> 2"},
			Temporary:   people.Address{Unit: "", Detail: "\x00\x1f"},
			HouseholdID: "hh-1", Relation: people.Head, FatherPIN: "001170000002", SpousePIN: "001203000003",
			Card:   people.IDCard{Number: "001203000001", Issued: civil.Date{Year: 2021, Month: 7}, Expires: civil.Date{Year: 2043, Month: 7, Day: 1}},
			Status: people.Deceased, DeathDate: civil.Date{Year: 2026, Month: 1, Day: 31}, Version: 12,
			CreatedAt: at, UpdatedAt: at.In(time.FixedZone("ICT", 7*3600)),
		},
		{PIN: "079099000004", FullName: "Lê Thị B", MotherPIN: "079070000005", Card: people.IDCard{Issued: civil.Date{Year: 999, Month: 1, Day: 2}}, Status: people.Missing},
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
		p := people.Person{
			PIN: a, CMND: b, FullName: a + b, OtherNames: []string{b, a}, BirthPlace: a, Hometown: b,
			Ethnicity: a, Religion: b, Nationality: a, Permanent: people.Address{Unit: a, Detail: b},
			Current: people.Address{Unit: b, Detail: a}, HouseholdID: b, Relation: people.Relation(a),
			FatherPIN: a, MotherPIN: b, SpousePIN: a, Card: people.IDCard{Number: b}, Status: people.Status(b), Version: k,
		}
		checkAppendJSON(t, &p)
	})
}
