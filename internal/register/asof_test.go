package register_test

import (
	"reflect"
	"testing"
	"time"

	"github.com/populus-vn/populus/internal/civil"
	"github.com/populus-vn/populus/internal/db"
	"github.com/populus-vn/populus/internal/db/dbtest"
	"github.com/populus-vn/populus/internal/people"
	"github.com/populus-vn/populus/internal/problem"
	"github.com/populus-vn/populus/internal/register"
)

// TestGetAsOf changes people at known moments (the register's clock is set
// for each step) and reads them back as of moments in between.
func TestGetAsOf(t *testing.T) {
	dbtest.Engines(t, testSchemas, func(t *testing.T, d *db.DB) {
		var clock time.Time
		t.Cleanup(register.SetClock(func() time.Time { return clock }))
		e := newEnv(t, d)
		officer := registrarAt(baDinh)

		t1 := time.Date(2025, 3, 1, 9, 0, 0, 0, time.UTC)
		t2 := time.Date(2025, 4, 1, 9, 0, 0, 0, time.UTC)
		t3 := time.Date(2025, 5, 1, 9, 0, 0, 0, time.UTC)
		t4 := time.Date(2025, 6, 1, 9, 0, 0, 0, time.UTC)

		clock = t1
		man := e.importMan(baDinh, "1990-02-03")
		woman := e.importWoman(hcm, "1993-04-05")
		atT1 := e.get(man.PIN)
		womanAtT1 := e.get(woman.PIN)

		clock = t2
		if _, err := e.reg.RegisterMarriage(e.ctx, nation, people.MarriageRegistration{PIN1: man.PIN, PIN2: woman.PIN, Date: mustDate("2025-03-30")}); err != nil {
			t.Fatal(err)
		}
		atT2 := e.get(man.PIN)

		clock = t3
		if _, err := e.reg.Correct(e.ctx, officer, people.Correction{PIN: man.PIN, FullName: ptr("Bùi Văn Đức"), BirthDate: ptr(mustDate("1990-02-13")), Meta: people.Meta{Reason: "cải chính"}}); err != nil {
			t.Fatal(err)
		}
		atT3 := e.get(man.PIN)

		clock = t4
		// The mother lives in another province: a registrar whose reach
		// covers both parents registers the birth.
		child, err := e.reg.RegisterBirth(e.ctx, nation, people.BirthRegistration{
			FullName: "Bùi Minh Châu", BirthDate: mustDate("2025-05-20"), Sex: civil.Female, BirthPlace: baDinh, FatherPIN: man.PIN, MotherPIN: woman.PIN,
		})
		if err != nil {
			t.Fatal(err)
		}
		childNow := e.get(child.PIN)

		// The states differ where expected, so the comparisons below mean something.
		if atT1.SpousePIN != "" || atT2.SpousePIN != woman.PIN || atT2.FullName != atT1.FullName || atT3.FullName != "Bùi Văn Đức" || atT3.Version != 3 {
			t.Fatalf("fixture: %+v / %+v / %+v", atT1, atT2, atT3)
		}

		tests := []struct {
			name string
			pin  string
			at   time.Time
			want *people.Person // nil: not yet in the register
		}{
			{"before the import", man.PIN, t1.Add(-time.Second), nil},
			{"at the import", man.PIN, t1, &atT1},
			{"between import and marriage", man.PIN, t1.Add(24 * time.Hour), &atT1},
			{"just before the marriage", man.PIN, t2.Add(-time.Microsecond), &atT1},
			{"between marriage and correction", man.PIN, t2.Add(time.Hour), &atT2},
			{"after the correction", man.PIN, t3.Add(time.Hour), &atT3},
			{"now", man.PIN, time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC), &atT3},
			{"wife before the marriage", woman.PIN, t2.Add(-time.Hour), &womanAtT1},
			{"child before the birth", child.PIN, t4.Add(-time.Second), nil},
			{"child after the birth", child.PIN, t4.Add(time.Second), &childNow},
		}
		for _, tc := range tests {
			t.Run(tc.name, func(t *testing.T) {
				got, err := e.reg.GetAsOf(e.ctx, nation, tc.pin, tc.at)
				if tc.want == nil {
					wantProblem(t, err, problem.NotFound)
					return
				}
				if err != nil {
					t.Fatal(err)
				}
				want := *tc.want
				// UpdatedAt of a rebuilt state is the moment asked about.
				got.UpdatedAt, want.UpdatedAt = time.Time{}, time.Time{}
				if !reflect.DeepEqual(got, want) {
					t.Errorf("as of %s:\n got %+v\nwant %+v", tc.at, got, want)
				}
			})
		}
	})
}
