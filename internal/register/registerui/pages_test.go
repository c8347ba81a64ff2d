package registerui

import (
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/populus-vn/populus/internal/civil"
	"github.com/populus-vn/populus/internal/people"
	"github.com/populus-vn/populus/internal/web"
)

func newTestForm(v url.Values) *web.Form { return &web.Form{Values: v} }

// TestActionsFor: a person's page offers the civil events that make sense
// for them now, and only those the officer may use.
func TestActionsFor(t *testing.T) {
	today := civil.Date{Year: 2026, Month: 12, Day: 6}
	all := []string{"birth", "death", "marriage", "divorce", "residence", "residence-removal", "correction", "head-change", "annulment"}
	home := people.Address{Unit: "00004", Detail: "1 Đội Cấn"}
	born := func(s string) civil.Date { d, _ := civil.ParseDate(s); return d }
	tests := []struct {
		name    string
		p       people.Person
		allowed []string
		want    []string
	}{
		{"a newborn", people.Person{Sex: civil.Male, BirthDate: born("2026-11-01"), Status: people.Alive, Permanent: home, HouseholdID: "H1", Relation: people.Child},
			all, []string{"death", "residence", "residence-removal", "head-change", "correction"}},
		{"a woman of 17", people.Person{Sex: civil.Female, BirthDate: born("2009-12-07"), Status: people.Alive},
			all, []string{"birth", "death", "residence", "correction"}},
		{"a woman of 18 to the day", people.Person{Sex: civil.Female, BirthDate: born("2008-12-06"), Status: people.Alive},
			all, []string{"birth", "death", "marriage", "residence", "correction"}},
		{"a man of 19", people.Person{Sex: civil.Male, BirthDate: born("2007-01-01"), Status: people.Alive},
			all, []string{"birth", "death", "residence", "correction"}},
		{"a married head", people.Person{Sex: civil.Male, BirthDate: born("1980"), Status: people.Alive, SpousePIN: "001180000001", Permanent: home, HouseholdID: "H1", Relation: people.Head},
			all, []string{"birth", "death", "divorce", "residence", "residence-removal", "correction"}},
		{"the deceased", people.Person{Sex: civil.Male, BirthDate: born("1950"), Status: people.Deceased, Permanent: home},
			all, []string{"correction"}},
		{"an annulled record", people.Person{Sex: civil.Male, BirthDate: born("2026"), Status: people.Annulled}, all, nil},
		{"a police officer", people.Person{Sex: civil.Male, BirthDate: born("1980"), Status: people.Alive, Permanent: home, HouseholdID: "H1", Relation: people.Spouse},
			[]string{"residence", "residence-removal", "head-change"}, []string{"residence", "residence-removal", "head-change"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tc.p.PIN = "001080000001"
			var got []string
			for _, a := range actionsFor(tc.p, tc.allowed, today) {
				got = append(got, a.Slug)
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("actions %v, want %v", got, tc.want)
			}
		})
	}
}

// TestAnnullable: the act offered for annulment is the latest one in force.
func TestAnnullable(t *testing.T) {
	ev := func(id string, k people.EventKind, annuls string) people.Event {
		e := people.Event{EventID: id, Kind: k}
		if annuls != "" {
			e.Details = map[string]string{people.DetailAnnulledEvent: annuls}
		}
		return e
	}
	tests := []struct {
		name    string
		history []people.Event // newest first
		want    string
	}{
		{"no history", nil, ""},
		{"a birth", []people.Event{ev("E1", people.KindBirth, "")}, "E1"},
		{"a correction after a marriage", []people.Event{ev("E2", people.KindCorrection, ""), ev("E1", people.KindMarriage, "")}, "E2"},
		{"the correction annulled", []people.Event{ev("E3", people.KindAnnulment, "E2"), ev("E2", people.KindCorrection, ""), ev("E1", people.KindMarriage, "")}, "E1"},
		{"everything annulled back to the import", []people.Event{ev("E3", people.KindAnnulment, "E2"), ev("E2", people.KindCorrection, ""), ev("E0", people.KindImport, "")}, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := ""
			if e := annullable(tc.history); e != nil {
				got = e.EventID
			}
			if got != tc.want {
				t.Errorf("annullable = %q, want %q", got, tc.want)
			}
		})
	}
}

// TestJoinDates: a date asked as day, month and year is read as one.
func TestJoinDates(t *testing.T) {
	tests := []struct {
		day, month, year string
		want             string
	}{
		{"5", "12", "2026", "05/12/2026"},
		{"05", "12", "2026", "05/12/2026"},
		{"", "3", "1990", "03/1990"},
		{"", "", "1990", "1990"},
		{"", "", "", ""},
		{"31", "02", "2026", "31/02/2026"}, // kept, for the date's own error
	}
	for _, tc := range tests {
		f := newTestForm(map[string][]string{"d.day": {tc.day}, "d.month": {tc.month}, "d.year": {tc.year}})
		joinDates(f, []string{"d"})
		if got := f.Get("d"); got != tc.want {
			t.Errorf("%q %q %q → %q, want %q", tc.day, tc.month, tc.year, got, tc.want)
		}
		if _, ok := f.Values["d.day"]; ok {
			t.Error("the parts are left in the form")
		}
		if tc.want != "" {
			if parts := splitDate(tc.want); parts[2] != tc.year || tc.day != "" && strings.TrimLeft(parts[0], "0") != strings.TrimLeft(tc.day, "0") {
				t.Errorf("split %q = %v", tc.want, parts)
			}
		}
	}
}
