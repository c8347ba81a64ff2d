package register_test

import (
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/populus-vn/populus/internal/civil"
	"github.com/populus-vn/populus/internal/db"
	"github.com/populus-vn/populus/internal/db/dbtest"
	"github.com/populus-vn/populus/internal/people"
	"github.com/populus-vn/populus/internal/problem"
)

// TestNamesRefusedInEvents: a birth or a correction whose name holds
// invalid UTF-8 (which a JSON decoder turns into U+FFFD, as it does a lone
// surrogate), a control or bidirectional-control character, an emoji or a
// leading formula character is refused with a 422 naming full_name, and
// stores nothing; a name is stored in NFC. Before, all of these were
// stored as given.
func TestNamesRefusedInEvents(t *testing.T) {
	dbtest.Engines(t, testSchemas, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		f := newThreeGenerations(e)
		officer := registrarAt(baDinh)
		bad := []string{
			`"Trần \ud800Khôi"`, // a lone surrogate
			"\"Trần \xffKhôi\"", // invalid UTF-8
			`"Trần\nKhôi"`, `"Trần\tKhôi"`, `"Trần \u202eiôhK"`, `"Trần \u2067Khôi\u2069"`,
			`"Trần Khôi 😀"`, `"=SUM(A:A)"`, `"+Trần Khôi"`, `"-Trần Khôi"`, `"@Trần Khôi"`,
		}
		for _, name := range bad {
			for _, ev := range []struct{ path, body string }{
				{"/api/v1/events/birth", `{"full_name":` + name + `,"birth_date":"2024-03-15","sex":"M","birth_place":"` + baDinh + `","mother_pin":"` + f.mai.PIN + `"}`},
				{"/api/v1/events/correction", `{"pin":"` + f.nam.PIN + `","full_name":` + name + `,"reason":"cải chính"}`},
			} {
				before := e.counts()
				status, body := e.post(officer, ev.path, ev.body)
				if status != http.StatusUnprocessableEntity || !strings.Contains(body, `"field":"full_name"`) {
					t.Errorf("%s with the name %s: %d %s", ev.path, name, status, body)
				}
				if after := e.counts(); after != before {
					t.Errorf("%s with the name %s stored something: %+v → %+v", ev.path, name, before, after)
				}
			}
		}
		// Decomposed tone marks are stored composed (NFC).
		child, err := e.reg.RegisterBirth(e.ctx, officer, people.BirthRegistration{
			FullName: "Tra\u0302\u0300n  Kho\u0302\u0301i", BirthDate: mustDate("2024-03-15"), Sex: civil.Male, BirthPlace: baDinh, MotherPIN: f.mai.PIN,
		})
		if err != nil {
			t.Fatal(err)
		}
		if got := e.get(child.PIN).FullName; got != "Trần Khối" {
			t.Errorf("stored name %q, want the NFC %q", got, "Trần Khối")
		}
		// Names of ethnic minorities and foreign names are taken.
		for _, name := range []string{"H'Hen Niê", "Y Ngông Niê Kđăm", "Ksor H’Bia", "Jean-Luc O'Brien", "St. John Müller"} {
			if _, err := e.reg.Correct(e.ctx, officer, people.Correction{PIN: f.nam.PIN, FullName: ptr(name), Meta: people.Meta{Reason: "thử"}}); err != nil {
				t.Errorf("%s: %v", name, err)
			}
		}
	})
}

// TestOtherNamesDoNotGrow: a correction adds the former name to other_names
// once; correcting back and forth does not grow the record or its history;
// the number of former names is bounded. Before, 74 corrections made a
// history entry of 84 KB.
func TestOtherNamesDoNotGrow(t *testing.T) {
	dbtest.Engines(t, testSchemas, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		officer := registrarAt(baDinh)
		p := e.person(baDinh, "Nguyễn Văn Tí", civil.Male, "1990")
		e.household(baDinh, "5 Ngọc Hà", p)
		for i := range 20 {
			name := []string{"Nguyễn Văn Tiến", "Nguyễn Văn Tí"}[i%2]
			if _, err := e.reg.Correct(e.ctx, officer, people.Correction{PIN: p.PIN, FullName: ptr(name), Meta: people.Meta{Reason: "thử"}}); err != nil {
				t.Fatal(err)
			}
		}
		got := e.get(p.PIN)
		if got.FullName != "Nguyễn Văn Tí" || !slices.Equal(got.OtherNames, []string{"Nguyễn Văn Tiến"}) {
			t.Errorf("after 20 corrections back and forth: %q, other names %q", got.FullName, got.OtherNames)
		}
		if n := e.count(`SELECT max(length(changes)) FROM person_events WHERE pin = $1`, p.PIN); n > 300 {
			t.Errorf("a history entry of %d bytes", n)
		}
		// Former names are bounded.
		letters := []string{"An", "Bình", "Cường", "Dũng", "Đạt", "Hải", "Hùng", "Khoa", "Long", "Nam", "Phúc", "Quang"}
		var err error
		for _, l := range letters {
			if _, err = e.reg.Correct(e.ctx, officer, people.Correction{PIN: p.PIN, FullName: ptr("Nguyễn Văn " + l), Meta: people.Meta{Reason: "thử"}}); err != nil {
				break
			}
		}
		wantProblem(t, err, problem.Conflict)
		if n := len(e.get(p.PIN).OtherNames); n != people.MaxOtherNames {
			t.Errorf("%d former names, want at most %d", n, people.MaxOtherNames)
		}
	})
}

// TestReasonLimitInCharacters: reason and legal_basis are limited in
// characters, as their messages say, not in bytes: 1,000 Vietnamese letters
// of three bytes each are a valid reason. Before, they were refused.
func TestReasonLimitInCharacters(t *testing.T) {
	dbtest.Engines(t, testSchemas, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		officer := registrarAt(baDinh)
		p := e.person(baDinh, "Nguyễn Văn Tí", civil.Male, "1990")
		e.household(baDinh, "5 Ngọc Hà", p)
		fix := func(reason, basis string) error {
			_, err := e.reg.Correct(e.ctx, officer, people.Correction{PIN: p.PIN, FullName: ptr("Nguyễn Văn Tiến"), Meta: people.Meta{Reason: reason, LegalBasis: basis}})
			return err
		}
		wantProblem(t, fix(strings.Repeat("ệ", 1001), strings.Repeat("ệ", 501)), problem.Invalid, "reason", "legal_basis")
		if err := fix(strings.Repeat("ệ", 1000), strings.Repeat("ệ", 500)); err != nil {
			t.Errorf("1,000 characters of reason and 500 of legal basis: %v", err)
		}
	})
}
