package register_test

import (
	"encoding/hex"
	"fmt"
	"slices"
	"testing"

	"github.com/populus-vn/populus/internal/auth"
	"github.com/populus-vn/populus/internal/civil"
	"github.com/populus-vn/populus/internal/db"
	"github.com/populus-vn/populus/internal/db/dbtest"
	"github.com/populus-vn/populus/internal/people"
	"github.com/populus-vn/populus/internal/problem"
	"github.com/populus-vn/populus/internal/register"
	"github.com/populus-vn/populus/internal/textfold"
)

func TestSearch(t *testing.T) {
	dbtest.Engines(t, testSchemas, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		mk := func(commune, name string, sex civil.Sex, birth string) *people.Person {
			p := e.person(commune, name, sex, birth)
			e.household(commune, "Số 1", p)
			return p
		}
		an := mk(baDinh, "Nguyễn Văn An", civil.Male, "1980-05-12")
		anh := mk(baDinh, "Nguyễn Văn Anh", civil.Male, "1985-01-01")
		binh := mk(baDinh, "Nguyễn Văn Bình", civil.Male, "1980-05-12")
		thiAn := mk(baDinh, "Nguyễn Thị An", civil.Female, "1980-05-12")
		tranAn := mk(baDinh, "Trần Văn An", civil.Male, "1980-05-12")
		do := mk(baDinh, "Đặng Đức Độ", civil.Male, "1970-10-10")
		anYear := mk(hanoi2, "Nguyễn Văn An", civil.Male, "1980")
		anMonth := mk(hcm, "Nguyễn Văn An", civil.Male, "1980-05")
		anJune := mk(baDinh, "Nguyễn Văn An", civil.Male, "1980-06-01")

		tests := []struct {
			name string
			q    register.Query
			want []*people.Person
		}{
			{"unaccented full name, and longer names it begins", register.Query{Name: "nguyen van an"}, []*people.Person{an, anh, anYear, anMonth, anJune}},
			{"accented query", register.Query{Name: "Nguyễn Văn An"}, []*people.Person{an, anh, anYear, anMonth, anJune}},
			{"upper case and extra spaces", register.Query{Name: "  NGUYEN   VAN  AN "}, []*people.Person{an, anh, anYear, anMonth, anJune}},
			{"prefix", register.Query{Name: "nguyen v"}, []*people.Person{an, anh, binh, anYear, anMonth, anJune}},
			{"đ folds to d", register.Query{Name: "dang duc do"}, []*people.Person{do}},
			{"đ in the query", register.Query{Name: "Đặng"}, []*people.Person{do}},
			{"words in another order", register.Query{Name: "van an"}, []*people.Person{an, tranAn, anh, anYear, anMonth, anJune}},
			{"given name first", register.Query{Name: "an nguyen"}, []*people.Person{an, thiAn, anYear, anMonth, anJune}},
			{"whole words but the last", register.Query{Name: "va an"}, nil},
			{"a word nobody has", register.Query{Name: "nguyen xyz"}, nil},
			{"date of birth alone", register.Query{BirthDate: mustDate("1980-05-12")}, []*people.Person{an, binh, thiAn, tranAn, anYear, anMonth}},
			{"date of birth and words in any order", register.Query{Name: "an van", BirthDate: mustDate("1980-05-12")}, []*people.Person{an, tranAn, anYear, anMonth}},
			{"date of birth and a word begun", register.Query{Name: "nguyen b", BirthDate: mustDate("1980-05-12")}, []*people.Person{binh}},
			{"full date finds records knowing only the year or month", register.Query{Name: "nguyen van an", BirthDate: mustDate("1980-05-12")}, []*people.Person{an, anYear, anMonth}},
			{"full date and commune", register.Query{Name: "nguyen van an", BirthDate: mustDate("1980-05-12"), Unit: baDinh}, []*people.Person{an}},
			{"commune", register.Query{Name: "nguyen", Unit: hcm}, []*people.Person{anMonth}},
			{"commune with nobody", register.Query{Name: "nguyen", Unit: hcm2}, nil},
			// Officers often know only the year of birth: a year finds
			// every record whose date falls in it.
			{"year finds full dates in that year", register.Query{Name: "nguyen van an", BirthDate: mustDate("1980")}, []*people.Person{an, anYear, anMonth, anJune}},
			{"month finds full dates in that month", register.Query{Name: "nguyen van an", BirthDate: mustDate("1980-05")}, []*people.Person{an, anYear, anMonth}},
		}
		for _, tc := range tests {
			t.Run(tc.name, func(t *testing.T) {
				got, next, err := e.reg.Search(e.ctx, nation, tc.q)
				if err != nil {
					t.Fatal(err)
				}
				if next != "" {
					t.Errorf("next = %q on a single page", next)
				}
				if !equalSets(pinsOfResults(got), pinsOf(tc.want...)) {
					var names []string
					for _, p := range got {
						names = append(names, p.FullName+" "+p.BirthDate.String()+" "+p.Permanent.Unit)
					}
					t.Errorf("found %q", names)
				}
				checkOrder(t, tc.q, got)
			})
		}
	})
}

// checkOrder checks that results come by unaccented name, then PIN.
// checkOrder checks the order of a search's results: by unaccented name
// then PIN with a date of birth, by PIN without.
func checkOrder(t *testing.T, q register.Query, ps []people.Person) {
	t.Helper()
	for i := 1; i < len(ps); i++ {
		a, b := textfold.Fold(ps[i-1].FullName), textfold.Fold(ps[i].FullName)
		if q.BirthDate.IsZero() {
			a, b = "", ""
		}
		if a > b || (a == b && ps[i-1].PIN >= ps[i].PIN) {
			t.Errorf("results out of order at %d: %s %s, then %s %s", i, a, ps[i-1].PIN, b, ps[i].PIN)
		}
	}
}

func TestSearchPagination(t *testing.T) {
	dbtest.Engines(t, testSchemas, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		var all []string
		add := func(n int, name, commune string) {
			for i := 0; i < n; i++ {
				p := e.person(commune, name, civil.Male, fmt.Sprintf("%d-01-01", 1960+i))
				e.household(commune, "Số 2", p)
				all = append(all, p.PIN)
			}
		}
		add(15, "Lê Văn Tâm", baDinh)
		add(3, "Lê Văn Tám", baDinh) // folds to the same name: PIN breaks the tie
		add(5, "Lê Văn Tâm An", baDinh)
		add(4, "Lê Văn Tâm", hcm) // outside the commune filter
		inBaDinh := all[:23]

		// Count counts what the pages hold, within reach.
		for _, c := range []struct {
			pr   auth.Principal
			q    register.Query
			want int
		}{
			{nation, register.Query{Name: "le van tam"}, 27},
			{nation, register.Query{Name: "tam le"}, 27},
			{registrarAt(baDinh), register.Query{Name: "le van tam"}, 23},
			{nation, register.Query{Name: "tam an"}, 5},
			{nation, register.Query{Name: "le van tam", BirthDate: mustDate("1960")}, 4},
			{registrarAt(hcm2), register.Query{Name: "le van tam"}, 0},
		} {
			if n, err := e.reg.Count(e.ctx, c.pr, c.q); err != nil || n != c.want {
				t.Errorf("Count(%s, %+v) = %d, %v; want %d", c.pr.Unit, c.q, n, err, c.want)
			}
		}

		for _, tc := range []struct {
			name  string
			pr    auth.Principal
			q     register.Query
			want  []string
			pages int
		}{
			{"limit 4 over 27", nation, register.Query{Name: "le van tam", Limit: 4}, all, 7},
			{"limit 9 over 27, exact pages", nation, register.Query{Name: "le van tam", Limit: 9}, all, 3},
			{"limit 1", nation, register.Query{Name: "le van tam", Limit: 1}, all, 27},
			{"with commune filter", nation, register.Query{Name: "le van tam", Unit: baDinh, Limit: 5}, inBaDinh, 5},
			{"commune officer", registrarAt(baDinh), register.Query{Name: "le van tam", Limit: 6}, inBaDinh, 4},
			{"default limit", nation, register.Query{Name: "le van tam"}, all, 1},
		} {
			t.Run(tc.name, func(t *testing.T) {
				var got []people.Person
				q := tc.q
				pages := 0
				for {
					page, next, err := e.reg.Search(e.ctx, tc.pr, q)
					if err != nil {
						t.Fatal(err)
					}
					pages++
					if pages > 100 {
						t.Fatal("pagination does not end")
					}
					limit := q.Limit
					if limit == 0 {
						limit = 50
					}
					if len(page) > limit || (next != "" && len(page) != limit) {
						t.Errorf("page %d has %d results (limit %d, next %q)", pages, len(page), limit, next)
					}
					got = append(got, page...)
					if next == "" {
						break
					}
					q.Cursor = next
				}
				if pages != tc.pages {
					t.Errorf("%d pages, want %d", pages, tc.pages)
				}
				pins := pinsOfResults(got)
				seen := map[string]int{}
				for _, p := range pins {
					seen[p]++
				}
				for p, n := range seen {
					if n != 1 {
						t.Errorf("%s returned %d times", p, n)
					}
				}
				if !equalSets(pins, tc.want) {
					t.Errorf("pages cover %d people, want %d", len(pins), len(tc.want))
				}
				checkOrder(t, tc.q, got)
			})
		}
	})
}

func TestSearchRefusals(t *testing.T) {
	dbtest.Engines(t, testSchemas, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		noNUL := hex.EncodeToString([]byte("nguyen van an"))
		for _, tc := range []struct {
			name   string
			q      register.Query
			fields []string
		}{
			{"one letter", register.Query{Name: "a"}, []string{"name"}},
			{"one accented letter", register.Query{Name: "Đ"}, []string{"name"}},
			{"spaces only", register.Query{Name: "   "}, []string{"name"}},
			{"no name", register.Query{}, []string{"name"}},
			{"cursor not hex", register.Query{Name: "nguyen", Cursor: "zz"}, []string{"cursor"}},
			{"cursor without a PIN", register.Query{Name: "nguyen", Cursor: noNUL}, []string{"cursor"}},
			{"province as unit", register.Query{Name: "nguyen", Unit: "01"}, []string{"unit"}},
			{"unknown unit", register.Query{Name: "nguyen", Unit: "99999"}, []string{"unit"}},
			{"several", register.Query{Name: "x", Cursor: "!"}, []string{"name", "cursor"}},
		} {
			t.Run(tc.name, func(t *testing.T) {
				before := e.counts()
				_, _, err := e.reg.Search(e.ctx, nation, tc.q)
				wantProblem(t, err, problem.Invalid, tc.fields...)
				if after := e.counts(); after != before {
					t.Errorf("refused search wrote something: %+v → %+v", before, after)
				}
			})
		}
	})
}

func TestHousehold(t *testing.T) {
	dbtest.Engines(t, testSchemas, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		f := newThreeGenerations(e)
		child, err := e.reg.RegisterBirth(e.ctx, registrarAt(baDinh), people.BirthRegistration{
			FullName: "Trần Minh Khôi", BirthDate: mustDate("2024-03-15"), Sex: civil.Male, BirthPlace: baDinh,
			FatherPIN: f.nam.PIN, MotherPIN: f.mai.PIN,
		})
		if err != nil {
			t.Fatal(err)
		}
		// The head is imported last here, to show the order is not the
		// order of storage.
		aunt := e.person(hcm, "Phạm Thị Dì", civil.Female, "1950")
		aunt.Relation = people.OtherKin
		uncle := e.person(hcm, "Phạm Văn Cậu", civil.Male, "1949-12-31")
		uncle.Relation = people.OtherKin
		head := e.person(hcm, "Phạm Văn Trưởng", civil.Male, "1975-07-07")
		head.Relation = people.Head
		hh := e.household(hcm, "8 Hai Bà Trưng", aunt, uncle, head)

		for _, tc := range []struct {
			name    string
			pr      auth.Principal
			id      string
			unit    string
			address string
			want    []string
			rels    []people.Relation
		}{
			{"Ba Đình", registrarAt(baDinh), f.hhBaDinh, baDinh, f.hhBaDinhAddr,
				[]string{f.grandpa.PIN, f.grandma.PIN, f.nam.PIN, f.mai.PIN, child.PIN},
				[]people.Relation{people.Head, people.Spouse, people.ChildInLaw, people.Child, people.Grandchild}},
			{"Hồ Chí Minh", policeAt(hcm), hh, hcm, "8 Hai Bà Trưng",
				[]string{head.PIN, uncle.PIN, aunt.PIN},
				[]people.Relation{people.Head, people.OtherKin, people.OtherKin}},
		} {
			t.Run(tc.name, func(t *testing.T) {
				h, members, err := e.reg.Household(e.ctx, tc.pr, tc.id)
				if err != nil {
					t.Fatal(err)
				}
				if h.ID != tc.id || h.UnitCode != tc.unit || h.Address != tc.address {
					t.Errorf("household = %+v", h)
				}
				var pins []string
				var rels []people.Relation
				for _, m := range members {
					pins = append(pins, m.PIN)
					rels = append(rels, m.Relation)
					if m.Status != people.Alive || m.FullName == "" || m.BirthDate.IsZero() || !m.Sex.Valid() {
						t.Errorf("member %+v", m)
					}
				}
				if !slices.Equal(pins, tc.want) || !slices.Equal(rels, tc.rels) {
					t.Errorf("members %v as %v, want %v as %v", pins, rels, tc.want, tc.rels)
				}
				for _, p := range tc.want {
					if n := e.count(`SELECT count(*) FROM audit_log WHERE actor = $1 AND action = $2 AND subject = $3 AND outcome = 'ok' AND detail = $4`,
						tc.pr.ActorID(), string(auth.ReadPerson), p, "household "+tc.id); n != 1 {
						t.Errorf("%d audit rows for reading %s on the household page, want 1", n, p)
					}
				}
			})
		}

		for _, pr := range []auth.Principal{registrarAt(hcm), registrarAt("79"), registrarAt(hanoi2), staffAt(auth.Admin, "VN")} {
			t.Run("refused to "+pr.String(), func(t *testing.T) {
				before := e.counts()
				_, members, err := e.reg.Household(e.ctx, pr, f.hhBaDinh)
				e.wantDenied(t, pr, auth.ReadPerson, "household:"+f.hhBaDinh, before, err)
				if len(members) != 0 {
					t.Errorf("refused household read returned %d members", len(members))
				}
			})
		}
		_, _, err = e.reg.Household(e.ctx, nation, "HNOSUCH")
		wantProblem(t, err, problem.NotFound)
	})
}
