package register_test

import (
	"testing"

	"github.com/populus-vn/populus/internal/civil"
	"github.com/populus-vn/populus/internal/db"
	"github.com/populus-vn/populus/internal/db/dbtest"
	"github.com/populus-vn/populus/internal/people"
	"github.com/populus-vn/populus/internal/problem"
	"github.com/populus-vn/populus/internal/register"
)

// A dry run decides a civil event as the register would, every rule
// applied, and stores nothing: a birth that would be registered answers
// nothing and leaves no person, history or household behind; one that
// breaks a rule (a child born before its mother) gets the error the
// confirmation would. The real registration then goes through.
func TestDryRun(t *testing.T) {
	dbtest.Engines(t, testSchemas, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		f := newThreeGenerations(e)
		officer := registrarAt(baDinh)
		birth := people.BirthRegistration{FullName: "Trần Minh Khôi", BirthDate: mustDate("2024-03-15"), Sex: civil.Male, BirthPlace: baDinh,
			FatherPIN: f.nam.PIN, MotherPIN: f.mai.PIN}
		before := e.counts()
		p, err := e.reg.RegisterBirth(register.WithDryRun(e.ctx), officer, birth)
		if err != nil || p.PIN != "" {
			t.Fatalf("dry run: %+v %v", p, err)
		}
		after := e.counts()
		if after.persons != before.persons || after.events != before.events || after.households != before.households {
			t.Errorf("a dry run stored something: %+v then %+v", before, after)
		}
		early := birth
		early.BirthDate = mustDate("1950-01-01")
		_, err = e.reg.RegisterBirth(register.WithDryRun(e.ctx), officer, early)
		if !problem.Is(err, problem.Invalid) {
			t.Errorf("a birth before the mother's, dry run: %v", err)
		}
		if p, err := e.reg.RegisterBirth(e.ctx, officer, birth); err != nil || p.PIN == "" {
			t.Fatalf("the registration after the dry run: %+v %v", p, err)
		}
		if n := e.counts().persons; n != before.persons+1 {
			t.Errorf("%d people after the registration, want %d", n, before.persons+1)
		}
	})
}
