package register_test

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/populus-vn/populus/internal/civil"
	"github.com/populus-vn/populus/internal/db"
	"github.com/populus-vn/populus/internal/db/dbtest"
	"github.com/populus-vn/populus/internal/people"
	"github.com/populus-vn/populus/internal/problem"
	"github.com/populus-vn/populus/internal/register"
)

func ptr[T any](v T) *T { return &v }

func TestCorrection(t *testing.T) {
	dbtest.Engines(t, testSchemas, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		officer := registrarAt(baDinh)
		p := e.person(baDinh, "Nguyễn Văn Tí", civil.Male, "1990")
		e.household(baDinh, "5 Ngọc Hà", p)

		// Name: the old one is kept among the other names, and search follows.
		got, err := e.reg.Correct(e.ctx, officer, people.Correction{
			PIN: p.PIN, FullName: ptr(" Nguyễn Văn Tiến "), Meta: people.Meta{Reason: "sai chính tả khi đăng ký"},
		})
		if err != nil {
			t.Fatal(err)
		}
		stored := e.get(p.PIN)
		if got.FullName != "Nguyễn Văn Tiến" || stored.FullName != "Nguyễn Văn Tiến" || !slices.Equal(stored.OtherNames, []string{"Nguyễn Văn Tí"}) {
			t.Fatalf("after correction: %q, other names %q", stored.FullName, stored.OtherNames)
		}
		ev := e.lastEvent(p.PIN)
		if ev.Kind != people.KindCorrection || ev.Reason != "sai chính tả khi đăng ký" ||
			ev.Changes["full_name"].Old != "Nguyễn Văn Tí" || ev.Changes["full_name"].New != "Nguyễn Văn Tiến" {
			t.Errorf("correction event = %+v", ev)
		}
		res, _, err := e.reg.Search(e.ctx, officer, register.Query{Name: "nguyen van tien"})
		if err != nil || len(res) != 1 || res[0].PIN != p.PIN {
			t.Errorf("search by the corrected name: %+v, %v", res, err)
		}
		// A second correction keeps both earlier names.
		if _, err := e.reg.Correct(e.ctx, officer, people.Correction{PIN: p.PIN, FullName: ptr("Nguyễn Văn Tiền"), Meta: people.Meta{Reason: "dấu"}}); err != nil {
			t.Fatal(err)
		}
		if s := e.get(p.PIN); !slices.Equal(s.OtherNames, []string{"Nguyễn Văn Tí", "Nguyễn Văn Tiến"}) {
			t.Errorf("other names after two corrections: %q", s.OtherNames)
		}

		// A fuller birth date that agrees with the PIN is accepted.
		if _, err := e.reg.Correct(e.ctx, officer, people.Correction{PIN: p.PIN, BirthDate: ptr(mustDate("1990-08-19")), Meta: people.Meta{Reason: "bổ sung ngày sinh"}}); err != nil {
			t.Fatal(err)
		}
		if s := e.get(p.PIN); s.BirthDate != mustDate("1990-08-19") {
			t.Errorf("birth date = %s", s.BirthDate)
		}

		tests := []struct {
			name     string
			c        people.Correction
			field    string
			mentions string // in the reason
		}{
			{"birth year disagrees with digits 5–6", people.Correction{PIN: p.PIN, BirthDate: ptr(mustDate("1991-08-19")), Meta: people.Meta{Reason: "x"}}, "birth_date", "digits 5–6"},
			{"century disagrees with digit 4", people.Correction{PIN: p.PIN, BirthDate: ptr(mustDate("1890-08-19")), Meta: people.Meta{Reason: "x"}}, "birth_date", "digit 4"},
			{"no reason", people.Correction{PIN: p.PIN, FullName: ptr("Nguyễn Văn Toàn")}, "reason", ""},
			{"blank reason", people.Correction{PIN: p.PIN, FullName: ptr("Nguyễn Văn Toàn"), Meta: people.Meta{Reason: " \t"}}, "reason", ""},
			{"nothing to correct", people.Correction{PIN: p.PIN, Meta: people.Meta{Reason: "x"}}, "full_name", ""},
			{"empty name", people.Correction{PIN: p.PIN, FullName: ptr(" "), Meta: people.Meta{Reason: "x"}}, "full_name", ""},
		}
		for _, tc := range tests {
			t.Run(tc.name, func(t *testing.T) {
				before := e.counts()
				_, err := e.reg.Correct(e.ctx, officer, tc.c)
				pe := wantProblem(t, err, problem.Invalid, tc.field)
				if r := reasonOf(pe, tc.field); !strings.Contains(r, tc.mentions) {
					t.Errorf("reason %q does not mention %q", r, tc.mentions)
				}
				if after := e.counts(); after != before {
					t.Errorf("refused correction stored something: %+v → %+v", before, after)
				}
			})
		}
		if s := e.get(p.PIN); s.BirthDate != mustDate("1990-08-19") || s.FullName != "Nguyễn Văn Tiền" {
			t.Errorf("record changed by refused corrections: %+v", s)
		}
	})
}

// TestParentAgeGap: a child's date of birth, at a birth or a correction,
// must be at least 12 years after each parent's; partial dates are refused
// only when certainly too close.
func TestParentAgeGap(t *testing.T) {
	tests := []struct {
		name          string
		parent, child string // dates of birth; the child's is the one registered or corrected to
		ok            bool
	}{
		{"a child before the parent", "1990-06-15", "1990-03-01", false},
		{"a child the same day", "1990-06-15", "1990-06-15", false},
		{"a year apart (a date typed a decade wrong)", "1992-01-13", "1993-01-01", false},
		{"eleven years apart", "1980-05-01", "1991-06-01", false},
		{"a day short of twelve years", "1980-05-02", "1992-05-01", false},
		{"twelve years to the day", "1980-05-01", "1992-05-01", true},
		{"thirty years apart", "1960-01-01", "1990-01-01", true},
		{"a parent known by year only, possibly twelve", "1980", "1992-01-01", true},
		{"a parent known by year only, certainly eleven", "1981", "1991-12-31", false},
	}
	for _, via := range []string{"birth", "correction"} {
		t.Run(via, func(t *testing.T) {
			dbtest.Engines(t, testSchemas, func(t *testing.T, d *db.DB) {
				e := newEnv(t, d)
				officer := registrarAt(baDinh)
				for _, tc := range tests {
					t.Run(tc.name, func(t *testing.T) {
						mother := e.person(baDinh, "Lê Thị Hoa", civil.Female, tc.parent)
						child := mustDate(tc.child)
						var err error
						before := e.counts()
						if via == "birth" {
							e.household(baDinh, "1 Hoàng Hoa Thám", mother)
							before = e.counts()
							_, err = e.reg.RegisterBirth(e.ctx, officer, people.BirthRegistration{
								FullName: "Trần Văn Bé", BirthDate: child, Sex: civil.Male, BirthPlace: baDinh, MotherPIN: mother.PIN,
								Meta: people.Meta{Reason: "khai sinh"},
							})
						} else {
							// The child's record is imported with a year only, the
							// year of the corrected date.
							kid := childOf(e.person(baDinh, "Trần Văn Bé", civil.Male, fmt.Sprint(child.Year)), nil, mother)
							kid.Relation = people.Child
							e.household(baDinh, "1 Hoàng Hoa Thám", mother, kid)
							before = e.counts()
							_, err = e.reg.Correct(e.ctx, officer, people.Correction{PIN: kid.PIN, BirthDate: &child, Meta: people.Meta{Reason: "x"}})
						}
						if tc.ok {
							if err != nil {
								t.Fatalf("refused: %v", err)
							}
							return
						}
						wantProblem(t, err, problem.Invalid, "birth_date")
						if after := e.counts(); after != before {
							t.Errorf("refused event stored something: %+v → %+v", before, after)
						}
					})
				}
			})
		})
	}
}

// TestCorrectionNoOp: a correction that changes nothing is refused, naming
// the field that is already so.
func TestCorrectionNoOp(t *testing.T) {
	dbtest.Engines(t, testSchemas, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		officer := registrarAt(baDinh)
		p := e.person(baDinh, "Nguyễn Văn Tí", civil.Male, "1990-08-19")
		e.household(baDinh, "5 Ngọc Hà", p)
		tests := []struct {
			name  string
			c     people.Correction
			field string
		}{
			{"the same name", people.Correction{PIN: p.PIN, FullName: ptr("Nguyễn Văn Tí")}, "full_name"},
			{"the same name, spaced", people.Correction{PIN: p.PIN, FullName: ptr("  Nguyễn  Văn Tí ")}, "full_name"},
			{"the same date of birth", people.Correction{PIN: p.PIN, BirthDate: ptr(mustDate("1990-08-19"))}, "birth_date"},
			{"the same name with a new date", people.Correction{PIN: p.PIN, FullName: ptr("Nguyễn Văn Tí"), BirthDate: ptr(mustDate("1990-08-20"))}, "full_name"},
		}
		for _, tc := range tests {
			t.Run(tc.name, func(t *testing.T) {
				tc.c.Reason = "x"
				before := e.counts()
				_, err := e.reg.Correct(e.ctx, officer, tc.c)
				wantProblem(t, err, problem.Invalid, tc.field)
				if after := e.counts(); after != before {
					t.Errorf("refused correction stored something: %+v → %+v", before, after)
				}
			})
		}
	})
}
