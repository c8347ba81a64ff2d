package register_test

import (
	"testing"
	"time"

	"github.com/populus-vn/populus/internal/civil"
	"github.com/populus-vn/populus/internal/db"
	"github.com/populus-vn/populus/internal/db/dbtest"
	"github.com/populus-vn/populus/internal/people"
	"github.com/populus-vn/populus/internal/problem"
	"github.com/populus-vn/populus/internal/register"
)

var annulMeta = people.Meta{Reason: "đăng ký nhầm người", LegalBasis: "Luật Hộ tịch 2014"}

// TestAnnul voids acts registered by mistake: each is set back in one
// event kept beside the act, and the view as of the days around shows the
// act, then its annulment.
func TestAnnul(t *testing.T) {
	dbtest.Engines(t, testSchemas, func(t *testing.T, d *db.DB) {
		var clock time.Time
		t.Cleanup(register.SetClock(func() time.Time { return clock }))
		clock = time.Date(2025, 8, 1, 9, 0, 0, 0, time.UTC)
		e := newEnv(t, d)
		f := newThreeGenerations(e)
		officer := registrarAt(baDinh)

		// A death registered on the wrong PIN: the grandfather, whose wife
		// loses her spouse link with it.
		clock = time.Date(2025, 8, 2, 9, 0, 0, 0, time.UTC)
		if _, err := e.reg.RegisterDeath(e.ctx, officer, people.DeathRegistration{PIN: f.grandpa.PIN, DeathDate: mustDate("2025-08-01")}); err != nil {
			t.Fatal(err)
		}
		death := e.lastEvent(f.grandpa.PIN)
		if e.get(f.grandma.PIN).SpousePIN != "" {
			t.Fatal("fixture: the widow keeps her spouse")
		}
		clock = time.Date(2025, 8, 5, 9, 0, 0, 0, time.UTC)
		got, err := e.reg.Annul(e.ctx, officer, people.Annulment{EventID: death.EventID, Meta: annulMeta})
		if err != nil {
			t.Fatal(err)
		}
		if got.Status != people.Alive || !got.DeathDate.IsZero() || e.get(f.grandma.PIN).SpousePIN != f.grandpa.PIN {
			t.Errorf("after the annulment: %+v, spouse %q", got, e.get(f.grandma.PIN).SpousePIN)
		}
		h := e.history(f.grandpa.PIN)
		last := h[len(h)-1]
		if h[len(h)-2].Kind != people.KindDeath || last.Kind != people.KindAnnulment || last.Details[people.DetailAnnulledEvent] != death.EventID ||
			last.Reason != annulMeta.Reason || last.LegalBasis != annulMeta.LegalBasis {
			t.Errorf("history: %+v", h)
		}
		clock = time.Date(2025, 8, 6, 9, 0, 0, 0, time.UTC)
		for day, want := range map[string]people.Status{"2025-07-31": people.Alive, "2025-08-02": people.Deceased, "2025-08-04": people.Deceased, "2025-08-05": people.Alive} {
			p, err := e.reg.GetAsOf(e.ctx, nation, f.grandpa.PIN, mustDate(day))
			if err != nil || p.Status != want {
				t.Errorf("as of %s: %s, %v; want %s", day, p.Status, err, want)
			}
		}

		// A birth registered twice: the second record is annulled and
		// leaves the household; its PIN stays taken.
		child, err := e.reg.RegisterBirth(e.ctx, officer, people.BirthRegistration{FullName: "Trần Minh An", BirthDate: mustDate("2025-07-01"),
			Sex: civil.Male, BirthPlace: baDinh, MotherPIN: f.mai.PIN, FatherPIN: f.nam.PIN})
		if err != nil {
			t.Fatal(err)
		}
		birth := e.lastEvent(child.PIN)
		if _, err := e.reg.Annul(e.ctx, officer, people.Annulment{EventID: birth.EventID, Meta: annulMeta}); err != nil {
			t.Fatal(err)
		}
		if p := e.get(child.PIN); p.Status != people.Annulled || p.HouseholdID != "" {
			t.Errorf("annulled birth: %+v", p)
		}
		_, members, err := e.reg.Household(e.ctx, nation, f.hhBaDinh)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range members {
			if m.PIN == child.PIN {
				t.Error("the annulled child is still a member")
			}
		}

		// A marriage, then a correction of the husband: the marriage
		// cannot be annulled before the correction is.
		man, woman := e.importMan(baDinh, "1990-01-01"), e.importWoman(baDinh, "1992-01-01")
		if _, err := e.reg.RegisterMarriage(e.ctx, officer, people.MarriageRegistration{PIN1: man.PIN, PIN2: woman.PIN, Date: mustDate("2025-08-01")}); err != nil {
			t.Fatal(err)
		}
		marriage := e.lastEvent(man.PIN)
		if _, err := e.reg.Correct(e.ctx, officer, people.Correction{PIN: man.PIN, FullName: ptr("Bùi Văn Đạt"), Meta: people.Meta{Reason: "x"}}); err != nil {
			t.Fatal(err)
		}
		correction := e.lastEvent(man.PIN)

		tests := []struct {
			name   string
			by     string // commune of the registrar; "" nation-wide
			a      people.Annulment
			kind   problem.Kind
			fields []string
		}{
			{"no event", "", people.Annulment{Meta: annulMeta}, problem.Invalid, []string{"event_id"}},
			{"no reason", "", people.Annulment{EventID: correction.EventID, Meta: people.Meta{LegalBasis: "x"}}, problem.Invalid, []string{"reason"}},
			{"no legal basis", "", people.Annulment{EventID: correction.EventID, Meta: people.Meta{Reason: "x"}}, problem.Invalid, []string{"legal_basis"}},
			{"an unknown event, nation-wide", "", people.Annulment{EventID: "E0000000000000000", Meta: annulMeta}, problem.Invalid, []string{"event_id"}},
			{"an unknown event, commune", baDinh, people.Annulment{EventID: "E0000000000000000", Meta: annulMeta}, problem.Forbidden, nil},
			{"an act out of reach", hcm, people.Annulment{EventID: correction.EventID, Meta: annulMeta}, problem.Forbidden, nil},
			{"a later act first", baDinh, people.Annulment{EventID: marriage.EventID, Meta: annulMeta}, problem.Conflict, []string{"event_id"}},
			{"already annulled", baDinh, people.Annulment{EventID: death.EventID, Meta: annulMeta}, problem.Invalid, []string{"event_id"}},
			{"a mistyped event id", baDinh, people.Annulment{EventID: birth.EventID + "x", Meta: annulMeta}, problem.Forbidden, nil},
		}
		for _, tc := range tests {
			t.Run(tc.name, func(t *testing.T) {
				by := nation
				if tc.by != "" {
					by = registrarAt(tc.by)
				}
				before := e.counts()
				_, err := e.reg.Annul(e.ctx, by, tc.a)
				wantProblem(t, err, tc.kind, tc.fields...)
				if after := e.counts(); after.persons != before.persons || after.events != before.events {
					t.Errorf("refused annulment stored something: %+v → %+v", before, after)
				}
			})
		}
		// An annulment cannot itself be annulled: the act is registered again.
		annulment := e.lastEvent(child.PIN)
		_, err = e.reg.Annul(e.ctx, officer, people.Annulment{EventID: annulment.EventID, Meta: annulMeta})
		wantProblem(t, err, problem.Invalid, "event_id")
		// A police officer may not annul a birth.
		_, err = e.reg.Annul(e.ctx, policeAt(baDinh), people.Annulment{EventID: correction.EventID, Meta: annulMeta})
		wantProblem(t, err, problem.Forbidden)

		// Newest first: the correction, then the marriage.
		if _, err := e.reg.Annul(e.ctx, officer, people.Annulment{EventID: correction.EventID, Meta: annulMeta}); err != nil {
			t.Fatal(err)
		}
		if _, err := e.reg.Annul(e.ctx, officer, people.Annulment{EventID: marriage.EventID, Meta: annulMeta}); err != nil {
			t.Fatal(err)
		}
		if m, w := e.get(man.PIN), e.get(woman.PIN); m.FullName != man.FullName || m.SpousePIN != "" || w.SpousePIN != "" {
			t.Errorf("after annulling the correction and the marriage: %+v / %+v", m, w)
		}
	})
}
