package register_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/populus-vn/populus/internal/auth"
	"github.com/populus-vn/populus/internal/civil"
	"github.com/populus-vn/populus/internal/db"
	"github.com/populus-vn/populus/internal/db/dbtest"
	"github.com/populus-vn/populus/internal/problem"
)

// answer is what a refused read tells the caller, with the identifier the
// caller sent replaced, so that answers about two identifiers compare.
func answer(t *testing.T, err error, id string) string {
	t.Helper()
	if err == nil {
		t.Fatal("no error")
	}
	b := problem.BodyOf(err, "/x")
	return fmt.Sprintf("%d %s %s %v", b.Status, b.Type, strings.ReplaceAll(b.Detail, id, "{id}"), b.Errors)
}

// TestRefusedReadHidesExistence: an officer who may not read a person or a
// household gets the same answer whether it exists or not, and each attempt
// is audited as denied. Only an officer who may read everywhere learns that a
// PIN or household does not exist.
func TestRefusedReadHidesExistence(t *testing.T) {
	dbtest.Engines(t, testSchemas, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		r := newReach(e)
		missingPIN := e.newPIN(hcm, civil.Female, 1990) // well-formed, never stored
		missingHH := "HT" + hcm + "99999"
		for _, pr := range []auth.Principal{
			registrarAt(baDinh), serviceAt(baDinh), registrarAt("01"), policeAt(hanoi2),
			staffAt(auth.Admin, "VN"), staffAt(auth.Registrar, "XYZ"),
		} {
			t.Run(pr.String(), func(t *testing.T) {
				before := e.counts()
				_, errHave := e.reg.Get(e.ctx, pr, r.hcm.PIN)
				_, errMissing := e.reg.Get(e.ctx, pr, missingPIN)
				wantProblem(t, errHave, problem.Forbidden)
				if a, b := answer(t, errHave, r.hcm.PIN), answer(t, errMissing, missingPIN); a != b {
					t.Errorf("Get answers differ:\n  existing: %s\n  missing:  %s", a, b)
				}
				for _, p := range []string{r.hcm.PIN, missingPIN} {
					if n := e.audited(pr.ActorID(), string(auth.ReadPerson), p, "denied"); n != 1 {
						t.Errorf("Get %s: %d denied audit rows, want 1", p, n)
					}
				}
				// History and as-of reads go through Get.
				_, errHist := e.reg.History(e.ctx, pr, missingPIN)
				if a, b := answer(t, errHave, r.hcm.PIN), answer(t, errHist, missingPIN); a != b {
					t.Errorf("History of a missing PIN: %s, want %s", b, a)
				}

				_, _, errHave = e.reg.Household(e.ctx, pr, r.hcm.HouseholdID)
				_, _, errMissing = e.reg.Household(e.ctx, pr, missingHH)
				wantProblem(t, errHave, problem.Forbidden)
				if a, b := answer(t, errHave, r.hcm.HouseholdID), answer(t, errMissing, missingHH); a != b {
					t.Errorf("Household answers differ:\n  existing: %s\n  missing:  %s", a, b)
				}
				for _, id := range []string{r.hcm.HouseholdID, missingHH} {
					if n := e.audited(pr.ActorID(), string(auth.ReadPerson), "household:"+id, "denied"); n != 1 {
						t.Errorf("Household %s: %d denied audit rows, want 1", id, n)
					}
				}
				if after := e.counts(); after.audit != before.audit+5 {
					t.Errorf("audit rows %d → %d, want 5 more (all denied)", before.audit, after.audit)
				}
			})
		}

		// The nation-wide auditor may read everyone: a missing PIN or
		// household is simply not found, and nothing was read.
		auditor := staffAt(auth.Auditor, "VN")
		before := e.counts()
		_, err := e.reg.Get(e.ctx, auditor, missingPIN)
		wantProblem(t, err, problem.NotFound)
		_, _, err = e.reg.Household(e.ctx, auditor, missingHH)
		wantProblem(t, err, problem.NotFound)
		if after := e.counts(); after.audit != before.audit {
			t.Errorf("audit rows %d → %d for reads of nothing", before.audit, after.audit)
		}
		if _, err := e.reg.Get(e.ctx, auditor, r.hcm.PIN); err != nil {
			t.Fatal(err)
		}
		// A malformed PIN is refused for its form alone, for everyone.
		_, err = e.reg.Get(e.ctx, registrarAt(baDinh), "12345")
		wantProblem(t, err, problem.Invalid, "pin")
	})
}
