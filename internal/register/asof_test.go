package register_test

import (
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/populus-vn/populus/internal/civil"
	"github.com/populus-vn/populus/internal/db"
	"github.com/populus-vn/populus/internal/db/dbtest"
	"github.com/populus-vn/populus/internal/people"
	"github.com/populus-vn/populus/internal/problem"
	"github.com/populus-vn/populus/internal/register"
)

// TestGetAsOf registers acts with effective dates in the past, recorded in
// another order, and reads people and their household back as of days in
// between: the view follows the dates the acts took effect, not the moments
// they were recorded.
func TestGetAsOf(t *testing.T) {
	dbtest.Engines(t, testSchemas, func(t *testing.T, d *db.DB) {
		var clock time.Time
		t.Cleanup(register.SetClock(func() time.Time { return clock }))
		e := newEnv(t, d)
		officer := registrarAt(baDinh)

		clock = time.Date(2025, 7, 1, 9, 0, 0, 0, time.UTC)
		man := e.importMan(baDinh, "1990-02-03")
		hh := man.HouseholdID
		woman := e.importWoman(baDinh, "1993-04-05")
		imported, womanImported := e.get(man.PIN), e.get(woman.PIN)

		// Recorded in July, married in March.
		clock = time.Date(2025, 7, 2, 9, 0, 0, 0, time.UTC)
		if _, err := e.reg.RegisterMarriage(e.ctx, officer, people.MarriageRegistration{PIN1: man.PIN, PIN2: woman.PIN, Date: mustDate("2025-03-30")}); err != nil {
			t.Fatal(err)
		}
		married := e.get(man.PIN)
		// The wife joins the husband's household from 1 May.
		if _, err := e.reg.RegisterResidence(e.ctx, policeAt(baDinh), people.ResidenceRegistration{PIN: woman.PIN, Kind: people.PermanentResidence,
			HouseholdID: hh, Relation: people.Spouse, Meta: people.Meta{Effective: mustDate("2025-05-01")}}); err != nil {
			t.Fatal(err)
		}
		womanJoined := e.get(woman.PIN)
		// A name corrected with effect on 1 June.
		if _, err := e.reg.Correct(e.ctx, officer, people.Correction{PIN: man.PIN, FullName: ptr("Bùi Văn Đức"),
			Meta: people.Meta{Reason: "cải chính", Effective: mustDate("2025-06-01")}}); err != nil {
			t.Fatal(err)
		}
		corrected := e.get(man.PIN)
		// A daughter born 20 May, registered 2 July (effective that day).
		child, err := e.reg.RegisterBirth(e.ctx, officer, people.BirthRegistration{
			FullName: "Bùi Minh Châu", BirthDate: mustDate("2025-05-20"), Sex: civil.Female, BirthPlace: baDinh, FatherPIN: man.PIN, MotherPIN: woman.PIN,
		})
		if err != nil {
			t.Fatal(err)
		}
		childNow := e.get(child.PIN)
		if imported.SpousePIN != "" || married.SpousePIN != woman.PIN || corrected.FullName != "Bùi Văn Đức" || womanJoined.HouseholdID != hh {
			t.Fatalf("fixture: %+v / %+v / %+v", imported, married, corrected)
		}

		clock = time.Date(2025, 7, 10, 9, 0, 0, 0, time.UTC)
		tests := []struct {
			name string
			pin  string
			day  string
			want *people.Person // nil: not found on that day
			// members of the man's household on that day
			members []string
		}{
			{"born, long before any act (and his card)", man.PIN, "2000-01-01", withoutCard(imported), []string{man.PIN}},
			{"before his birth", man.PIN, "1990-02-02", nil, nil},
			{"the day before the marriage", man.PIN, "2025-03-29", &imported, []string{man.PIN}},
			{"the day of the marriage", man.PIN, "2025-03-30", &married, []string{man.PIN}},
			{"wife before joining", woman.PIN, "2025-04-30", withSpouse(womanImported, man.PIN), []string{man.PIN}},
			{"wife the day she joined", woman.PIN, "2025-05-01", withVersion(womanJoined, womanJoined.Version), []string{man.PIN, woman.PIN}},
			{"the day before the correction", man.PIN, "2025-05-31", &married, []string{man.PIN, woman.PIN}},
			{"after the correction", man.PIN, "2025-06-01", &corrected, []string{man.PIN, woman.PIN}},
			{"child born but not yet registered", child.PIN, "2025-06-15", nil, []string{man.PIN, woman.PIN}},
			{"child registered", child.PIN, "2025-07-02", &childNow, []string{man.PIN, woman.PIN, child.PIN}},
		}
		for _, tc := range tests {
			t.Run(tc.name, func(t *testing.T) {
				got, err := e.reg.GetAsOf(e.ctx, nation, tc.pin, mustDate(tc.day))
				if tc.want == nil {
					wantProblem(t, err, problem.NotFound)
				} else {
					if err != nil {
						t.Fatal(err)
					}
					want := *tc.want
					// The time of a rebuilt state is that of the last act in
					// force, which the comparison leaves out; the version
					// is compared.
					got.UpdatedAt, want.UpdatedAt = time.Time{}, time.Time{}
					if !reflect.DeepEqual(got, want) {
						t.Errorf("as of %s:\n got %+v\nwant %+v", tc.day, got, want)
					}
				}
				_, members, err := e.reg.HouseholdAsOf(e.ctx, nation, hh, mustDate(tc.day))
				if err != nil {
					t.Fatal(err)
				}
				var pins []string
				for _, m := range members {
					pins = append(pins, m.PIN)
				}
				if !slices.Equal(pins, tc.members) {
					t.Errorf("household as of %s: %v, want %v", tc.day, pins, tc.members)
				}
			})
		}

		// A name as of a day is the name then, on the household page too.
		_, members, err := e.reg.HouseholdAsOf(e.ctx, nation, hh, mustDate("2025-05-31"))
		if err != nil || len(members) == 0 || members[0].FullName != imported.FullName || members[0].Relation != people.Head {
			t.Errorf("household as of 31/05/2025: %+v, %v", members, err)
		}

		// Days the register cannot show.
		for _, day := range []string{"2025-07-11", "2099-01-01", "2025-06"} {
			_, err := e.reg.GetAsOf(e.ctx, nation, man.PIN, mustDate(day))
			wantProblem(t, err, problem.Invalid, "as_of")
			_, _, err = e.reg.HouseholdAsOf(e.ctx, nation, hh, mustDate(day))
			wantProblem(t, err, problem.Invalid, "as_of")
		}
		if _, err := e.reg.GetAsOf(e.ctx, nation, man.PIN, mustDate("2025-07-10")); err != nil {
			t.Errorf("as of today: %v", err)
		}
		// As of a day is a read: out of reach is refused as for Get.
		_, err = e.reg.GetAsOf(e.ctx, registrarAt(hcm), man.PIN, mustDate("2025-05-01"))
		wantProblem(t, err, problem.Forbidden)
		_, _, err = e.reg.HouseholdAsOf(e.ctx, registrarAt(hcm), hh, mustDate("2025-05-01"))
		wantProblem(t, err, problem.Forbidden)
	})
}

func withSpouse(p people.Person, spouse string) *people.Person {
	p.SpousePIN = spouse
	p.Version = 2
	return &p
}

func withVersion(p people.Person, v int) *people.Person {
	p.Version = v
	return &p
}

// withoutCard is p before its chip card was issued.
func withoutCard(p people.Person) *people.Person {
	p.Card = people.IDCard{}
	return &p
}
