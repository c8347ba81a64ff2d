package register_test

import (
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

// TestCorrectionBirthAfterParent: a corrected birth date must still follow
// the parents' births.
func TestCorrectionBirthAfterParent(t *testing.T) {
	dbtest.Engines(t, testSchemas, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		mother := e.person(baDinh, "Lê Thị Hoa", civil.Female, "1990-06-15")
		child := childOf(e.person(baDinh, "Trần Văn Bé", civil.Male, "1990"), nil, mother)
		child.Relation = people.Child
		e.household(baDinh, "1 Hoàng Hoa Thám", mother, child)
		_, err := e.reg.Correct(e.ctx, registrarAt(baDinh), people.Correction{PIN: child.PIN, BirthDate: ptr(mustDate("1990-03-01")), Meta: people.Meta{Reason: "x"}})
		wantProblem(t, err, problem.Invalid, "birth_date")
		if _, err := e.reg.Correct(e.ctx, registrarAt(baDinh), people.Correction{PIN: child.PIN, BirthDate: ptr(mustDate("1990-12-01")), Meta: people.Meta{Reason: "x"}}); err != nil {
			t.Errorf("a date after the mother's birth refused: %v", err)
		}
	})
}
