package register_test

import (
	"testing"

	"github.com/populus-vn/populus/internal/civil"
	"github.com/populus-vn/populus/internal/db/dbtest"
	"github.com/populus-vn/populus/internal/problem"
	"github.com/populus-vn/populus/internal/register"
)

// FuzzSearchName: whatever an officer types as a name (the words become a
// full-text query on SQLite, LIKE patterns with a date of birth), a search
// answers results or a field error, never a store error. Seeds in
// testdata/fuzz/FuzzSearchName.
func FuzzSearchName(f *testing.F) {
	for _, s := range []string{"nguyen van", "van an", `"`, `a "b`, "a -", "- -", "a*", "NEAR(a b)", "a OR b", "a AND NOT b", "%_!", "^a", "a:b", "(", ")", "đ đ", "\x00", "a\u0301"} {
		f.Add(s, false)
		f.Add(s, true)
	}
	d := dbtest.SQLite(f, testSchemas...)
	e := newEnv(f, d)
	p := e.person(baDinh, "Nguyễn Văn An", civil.Male, "1980-05-12")
	e.household(baDinh, "Số 1", p)
	f.Fuzz(func(t *testing.T, name string, withBirth bool) {
		q := register.Query{Name: name, Limit: 5}
		if withBirth {
			q.BirthDate = mustDate("1980-05-12")
		}
		_, _, err := e.reg.Search(e.ctx, nation, q)
		if err != nil && !problem.Is(err, problem.Invalid) {
			t.Fatalf("Search(%q, birth %v): %v", name, withBirth, err)
		}
		if _, err := e.reg.Count(e.ctx, nation, q); err != nil && !problem.Is(err, problem.Invalid) {
			t.Fatalf("Count(%q, birth %v): %v", name, withBirth, err)
		}
	})
}
