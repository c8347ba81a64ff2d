package register_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/populus-vn/populus/internal/audit"
	"github.com/populus-vn/populus/internal/auth"
	"github.com/populus-vn/populus/internal/civil"
	"github.com/populus-vn/populus/internal/db"
	"github.com/populus-vn/populus/internal/db/dbtest"
	"github.com/populus-vn/populus/internal/people"
	"github.com/populus-vn/populus/internal/problem"
	"github.com/populus-vn/populus/internal/register"
)

// people for the authorisation tests: one in Ba Đình, one elsewhere in Hà
// Nội, one in Hồ Chí Minh.
type reach struct{ baDinh, hanoi, hcm *people.Person }

func newReach(e *env) reach {
	r := reach{
		baDinh: e.person(baDinh, "Nguyễn Văn An", civil.Male, "1980-01-01"),
		hanoi:  e.person(hanoi2, "Nguyễn Văn An", civil.Male, "1981-01-01"),
		hcm:    e.person(hcm, "Nguyễn Văn An", civil.Male, "1982-01-01"),
	}
	e.household(baDinh, "1 Đội Cấn", r.baDinh)
	e.household(hanoi2, "2 Cầu Giấy", r.hanoi)
	e.household(hcm, "3 Lê Duẩn", r.hcm)
	return r
}

// wantDenied checks that err is Forbidden, that exactly one audit row says
// so, and that nothing else was stored.
func (e *env) wantDenied(t *testing.T, pr auth.Principal, action auth.Action, subject string, before counts, err error) {
	t.Helper()
	e.wantDeniedN(t, pr, action, subject, before, err, 1)
}

// wantDeniedN is wantDenied for a refusal audited against n subjects,
// subject among them.
func (e *env) wantDeniedN(t *testing.T, pr auth.Principal, action auth.Action, subject string, before counts, err error, n int) {
	t.Helper()
	wantProblem(t, err, problem.Forbidden)
	if n := e.audited(pr.ActorID(), string(action), subject, "denied"); n != 1 {
		t.Errorf("%d audit rows (%s, %s, %q, denied), want 1", n, pr.ActorID(), action, subject)
	}
	after := e.counts()
	if after.persons != before.persons || after.events != before.events || after.households != before.households {
		t.Errorf("a refused action stored something: %+v → %+v", before, after)
	}
	if after.audit != before.audit+n {
		t.Errorf("audit rows %d → %d, want exactly %d more", before.audit, after.audit, n)
	}
}

func TestAuthorisationReads(t *testing.T) {
	dbtest.Engines(t, testSchemas, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		r := newReach(e)
		who := map[string]*people.Person{"baDinh": r.baDinh, "hanoi": r.hanoi, "hcm": r.hcm}
		tests := []struct {
			pr    auth.Principal
			reach map[string]bool
		}{
			{registrarAt(baDinh), map[string]bool{"baDinh": true}},
			{serviceAt(baDinh), map[string]bool{"baDinh": true}},
			{policeAt(baDinh), map[string]bool{"baDinh": true}},
			{registrarAt("01"), map[string]bool{"baDinh": true, "hanoi": true}},
			{registrarAt("79"), map[string]bool{"hcm": true}},
			{registrarAt(hcm), map[string]bool{"hcm": true}},
			{staffAt(auth.Auditor, "VN"), map[string]bool{"baDinh": true, "hanoi": true, "hcm": true}},
			{staffAt(auth.Admin, "VN"), map[string]bool{}},
			{staffAt(auth.Registrar, "XYZ"), map[string]bool{}},
		}
		for _, tc := range tests {
			for _, where := range []string{"baDinh", "hanoi", "hcm"} {
				p := who[where]
				t.Run(fmt.Sprintf("%s reads %s", tc.pr, where), func(t *testing.T) {
					before := e.counts()
					got, err := e.reg.Get(e.ctx, tc.pr, p.PIN)
					if !tc.reach[where] {
						e.wantDenied(t, tc.pr, auth.ReadPerson, p.PIN, before, err)
						if got.PIN != "" || got.FullName != "" {
							t.Errorf("a refused read returned data: %+v", got)
						}
						return
					}
					if err != nil {
						t.Fatal(err)
					}
					if got.PIN != p.PIN {
						t.Fatalf("read %s, got %s", p.PIN, got.PIN)
					}
					if n := e.audited(tc.pr.ActorID(), string(auth.ReadPerson), p.PIN, "ok"); n < 1 {
						t.Errorf("allowed read not audited")
					}
				})
			}
		}
		// History and household pages follow the same rule.
		_, err := e.reg.History(e.ctx, registrarAt(baDinh), r.hcm.PIN)
		wantProblem(t, err, problem.Forbidden)
		_, _, err = e.reg.Household(e.ctx, registrarAt(baDinh), r.hcm.HouseholdID)
		wantProblem(t, err, problem.Forbidden)
	})
}

func TestAuthorisationChanges(t *testing.T) {
	dbtest.Engines(t, testSchemas, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		r := newReach(e)
		fix := func(p *people.Person, name string) people.Correction {
			return people.Correction{PIN: p.PIN, FullName: ptr(name), Meta: people.Meta{Reason: "cải chính"}}
		}

		t.Run("commune registrar corrects a person of the commune", func(t *testing.T) {
			if _, err := e.reg.Correct(e.ctx, registrarAt(baDinh), fix(r.baDinh, "Nguyễn Văn Ân")); err != nil {
				t.Fatal(err)
			}
		})
		t.Run("province registrar corrects a person of another commune of the province", func(t *testing.T) {
			if _, err := e.reg.Correct(e.ctx, registrarAt("01"), fix(r.hanoi, "Nguyễn Văn Ấn")); err != nil {
				t.Fatal(err)
			}
		})
		for _, tc := range []struct {
			name string
			pr   auth.Principal
			p    *people.Person
		}{
			{"commune registrar, person in another province", registrarAt(baDinh), r.hcm},
			{"province registrar, person in another province", registrarAt("01"), r.hcm},
			{"service officer may not correct", serviceAt(baDinh), r.baDinh},
		} {
			t.Run(tc.name, func(t *testing.T) {
				before := e.counts()
				_, err := e.reg.Correct(e.ctx, tc.pr, fix(tc.p, "Tên Mới"))
				e.wantDenied(t, tc.pr, auth.CorrectRecord, tc.p.PIN, before, err)
				if got := e.get(tc.p.PIN); got.FullName == "Tên Mới" {
					t.Errorf("refused correction applied")
				}
			})
		}
	})
}

func TestAuthorisationBirth(t *testing.T) {
	dbtest.Engines(t, testSchemas, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		f := newThreeGenerations(e)
		birth := func(place string) people.BirthRegistration {
			return people.BirthRegistration{
				FullName: "Trần Minh Khôi", BirthDate: mustDate("2024-03-15"), Sex: civil.Male, BirthPlace: place,
				FatherPIN: f.nam.PIN, MotherPIN: f.mai.PIN,
			}
		}
		for _, tc := range []struct {
			name  string
			pr    auth.Principal
			place string
		}{
			{"police officer", policeAt(baDinh), baDinh},
			{"service officer", serviceAt(baDinh), baDinh},
			{"province registrar, birth in another province", registrarAt("01"), hcm},
			{"commune registrar, birth in another commune", registrarAt(baDinh), hanoi2},
		} {
			t.Run(tc.name, func(t *testing.T) {
				before := e.counts()
				_, err := e.reg.RegisterBirth(e.ctx, tc.pr, birth(tc.place))
				e.wantDenied(t, tc.pr, auth.RegisterBirth, "", before, err)
			})
		}
		for _, pr := range []auth.Principal{registrarAt(baDinh), registrarAt("01")} {
			if _, err := e.reg.RegisterBirth(e.ctx, pr, birth(baDinh)); err != nil {
				t.Errorf("%s: %v", pr, err)
			}
		}
	})
}

// TestMarriageAuthorisationIgnoresOrder: a marriage is registered at the
// commune where either party lives (Luật Hộ tịch 2014, art. 17), so whether an
// officer may register it cannot depend on which party the form names first.
func TestMarriageAuthorisationIgnoresOrder(t *testing.T) {
	dbtest.Engines(t, testSchemas, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		man := e.importMan(baDinh, "1995-05-05")
		woman := e.importWoman(hcm, "1997-07-07")
		officer := registrarAt(baDinh)
		if _, err := e.reg.RegisterMarriage(e.ctx, officer, people.MarriageRegistration{PIN1: man.PIN, PIN2: woman.PIN, Date: mustDate("2024-10-10"), CardNumber: woman.PIN, CardIssued: cardIssued}); err != nil {
			t.Fatalf("the officer of the man's commune may not register the marriage when the man is named first: %v", err)
		}
		if _, err := e.reg.RecordDivorce(e.ctx, officer, people.DivorceRecord{PIN1: woman.PIN, PIN2: man.PIN, Date: mustDate("2025-01-10"), Judgment: judgmentOn("2025-01-10")}); err != nil {
			t.Errorf("the officer of the man's commune may not record the divorce when the woman is named first: %v", err)
			if _, err := e.reg.RecordDivorce(e.ctx, nation, people.DivorceRecord{PIN1: man.PIN, PIN2: woman.PIN, Date: mustDate("2025-01-10"), Judgment: judgmentOn("2025-01-10")}); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := e.reg.RegisterMarriage(e.ctx, officer, people.MarriageRegistration{PIN1: woman.PIN, PIN2: man.PIN, Date: mustDate("2025-02-10"), CardNumber: woman.PIN, CardIssued: cardIssued}); err != nil {
			t.Errorf("the officer of the man's commune may not register the marriage when the woman is named first: %v", err)
		}
	})
}

func TestAuthorisationSearch(t *testing.T) {
	dbtest.Engines(t, testSchemas, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		r := newReach(e)
		q := register.Query{Name: "nguyen van an"}
		for _, tc := range []struct {
			pr   auth.Principal
			unit string
			want []*people.Person
		}{
			{registrarAt(baDinh), "", []*people.Person{r.baDinh}},
			{serviceAt(baDinh), "", []*people.Person{r.baDinh}},
			{registrarAt(baDinh), baDinh, []*people.Person{r.baDinh}},
			{registrarAt("01"), "", []*people.Person{r.baDinh, r.hanoi}},
			{registrarAt("01"), hanoi2, []*people.Person{r.hanoi}},
			{registrarAt("79"), "", []*people.Person{r.hcm}},
			{policeAt(hcm), "", []*people.Person{r.hcm}},
			{nation, "", []*people.Person{r.baDinh, r.hanoi, r.hcm}},
		} {
			t.Run(fmt.Sprintf("%s in %q", tc.pr, tc.unit), func(t *testing.T) {
				q := q
				q.Unit = tc.unit
				got, next, err := e.reg.Search(e.ctx, tc.pr, q)
				if err != nil {
					t.Fatal(err)
				}
				if next != "" {
					t.Errorf("next cursor %q on a single page", next)
				}
				if want := pinsOf(tc.want...); !equalSets(pinsOfResults(got), want) {
					t.Errorf("search found %v, want %v", pinsOfResults(got), want)
				}
				for _, p := range got {
					if n := e.audited(tc.pr.ActorID(), string(auth.SearchRegister), p.PIN, "ok"); n < 1 {
						t.Errorf("search result %s not audited", p.PIN)
					}
				}
			})
		}
		for _, tc := range []struct {
			name string
			pr   auth.Principal
			unit string
		}{
			{"commune officer filtering on another commune", registrarAt(baDinh), hcm},
			{"province officer filtering on another province", registrarAt("01"), hcm},
			{"auditor may not search", staffAt(auth.Auditor, "VN"), ""},
		} {
			t.Run(tc.name, func(t *testing.T) {
				q := q
				q.Unit = tc.unit
				before := e.counts()
				res, _, err := e.reg.Search(e.ctx, tc.pr, q)
				e.wantDenied(t, tc.pr, auth.SearchRegister, "", before, err)
				if len(res) != 0 {
					t.Errorf("refused search returned %d people", len(res))
				}
			})
		}
	})
}

// TestSearchReachMatchesGet: the people an officer may read are the people
// search shows them. Get decides by the responsible unit (permanent residence,
// else current, else temporary, else birth place; a pre-2025 unit counts as
// its successor), so search must use the same unit.
func TestSearchReachMatchesGet(t *testing.T) {
	dbtest.Engines(t, testSchemas, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		// No permanent residence; staying in Ba Đình.
		lodger := e.person(hcm, "Hoàng Văn Lưu", civil.Male, "1985-05-05")
		lodger.Temporary = people.Address{Unit: baDinh, Detail: "Nhà trọ 4, ngõ 12 Đội Cấn"}
		lodger.Current = lodger.Temporary
		// Permanent residence recorded with the pre-2025 commune Đội Cấn,
		// now part of Ba Đình.
		legacy := e.person(baDinh, "Hoàng Văn Cũ", civil.Male, "1950-05-05")
		legacy.Permanent = people.Address{Unit: "old:00022", Detail: "Số 7 Đội Cấn"}
		legacy.Current = legacy.Permanent
		e.lone(lodger, legacy)

		officer, outsider := registrarAt(baDinh), registrarAt(hcm)
		for _, p := range []*people.Person{lodger, legacy} {
			t.Run(p.FullName, func(t *testing.T) {
				q := register.Query{Name: p.FullName}
				if _, err := e.reg.Get(e.ctx, officer, p.PIN); err != nil {
					t.Fatalf("Get: %v", err)
				}
				got, _, err := e.reg.Search(e.ctx, officer, q)
				if err != nil {
					t.Fatal(err)
				}
				if len(got) != 1 || got[0].PIN != p.PIN {
					t.Errorf("search by an officer who may read %s found %v", p.PIN, pinsOfResults(got))
				}
				// An officer who may not read them does not find them.
				got, _, _ = e.reg.Search(e.ctx, outsider, q)
				if _, err := e.reg.Get(e.ctx, outsider, p.PIN); err == nil || len(got) != 0 {
					t.Errorf("officer of %s: get error %v, search found %v", hcm, err, pinsOfResults(got))
				}
			})
		}
	})
}

func pinsOf(ps ...*people.Person) []string {
	out := make([]string, len(ps))
	for i, p := range ps {
		out[i] = p.PIN
	}
	return out
}

func pinsOfResults(ps []people.Person) []string {
	out := make([]string, len(ps))
	for i, p := range ps {
		out[i] = p.PIN
	}
	return out
}

func equalSets(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	m := map[string]int{}
	for _, x := range a {
		m[x]++
	}
	for _, x := range b {
		m[x]--
	}
	for _, n := range m {
		if n != 0 {
			return false
		}
	}
	return true
}

// A civil event about a person out of an officer's reach fails the same way
// whether the PIN exists or not, and the refusal does not name where the
// person lives: a failed write must not tell an officer what a read would
// not (TestAuthorisationReads). Each refusal is audited as denied. A role
// that may not do the event at all is refused before the store is read.
func TestWritesDoNotRevealPeopleOutOfReach(t *testing.T) {
	dbtest.Engines(t, testSchemas, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		r := newReach(e)
		meta := people.Meta{Reason: "thử"}
		events := []struct {
			name   string
			action auth.Action
			do     func(pr auth.Principal, pin string) error
			field  string // the field of the PIN, "pin" when empty
			audits int    // subjects the refusal is audited against, 1 when 0
		}{
			{"death", auth.RegisterDeath, func(pr auth.Principal, pin string) error {
				_, err := e.reg.RegisterDeath(e.ctx, pr, people.DeathRegistration{PIN: pin, DeathDate: mustDate("2025-01-02"), Meta: meta})
				return err
			}, "", 0},
			{"correction", auth.CorrectRecord, func(pr auth.Principal, pin string) error {
				_, err := e.reg.Correct(e.ctx, pr, people.Correction{PIN: pin, FullName: ptr("Tên Khác"), Meta: meta})
				return err
			}, "", 0},
			{"marriage", auth.RegisterMarriage, func(pr auth.Principal, pin string) error {
				// With a party out of reach too: reaching neither.
				_, err := e.reg.RegisterMarriage(e.ctx, pr, people.MarriageRegistration{PIN1: pin, PIN2: r.hanoi.PIN, Date: mustDate("2025-01-02"), Meta: meta})
				return err
			}, "pin1", 2},
			{"residence removal", auth.RegisterResidence, func(pr auth.Principal, pin string) error {
				_, err := e.reg.RemoveResidence(e.ctx, pr, people.ResidenceRemoval{PIN: pin, Kind: people.TemporaryResidence, Meta: meta})
				return err
			}, "", 0},
		}
		unknown := e.newPIN(hcm, civil.Male, 1970)
		for _, ev := range events {
			t.Run(ev.name, func(t *testing.T) {
				officer, national := registrarAt(baDinh), registrarAt("VN")
				if ev.action == auth.RegisterResidence {
					officer, national = policeAt(baDinh), policeAt("VN")
				}
				audits := max(ev.audits, 1)
				before := e.counts()
				errExisting := ev.do(officer, r.hcm.PIN)
				e.wantDeniedN(t, officer, ev.action, r.hcm.PIN, before, errExisting, audits)
				before = e.counts()
				errUnknown := ev.do(officer, unknown)
				e.wantDeniedN(t, officer, ev.action, unknown, before, errUnknown, audits)
				a := strings.ReplaceAll(errExisting.Error(), r.hcm.PIN, "PIN")
				b := strings.ReplaceAll(errUnknown.Error(), unknown, "PIN")
				if a != b {
					t.Errorf("the refusals differ:\n existing: %s\n unknown:  %s", a, b)
				}
				if strings.Contains(errExisting.Error(), hcm) || strings.Contains(errExisting.Error(), r.hcm.Permanent.Unit) {
					t.Errorf("the refusal names the person's unit: %s", errExisting)
				}
				// A nation-wide officer is told the PIN is unknown.
				field := ev.field
				if field == "" {
					field = "pin"
				}
				wantProblem(t, ev.do(national, unknown), problem.Invalid, field)
				// A role without the action learns nothing either.
				before = e.counts()
				err := ev.do(staffAt(auth.Auditor, "VN"), unknown)
				wantProblem(t, err, problem.Forbidden)
				if strings.Contains(err.Error(), "register") {
					t.Errorf("a role refusal mentions the register: %s", err)
				}
			})
		}
	})
}

// Within judges reach as Get does, without reading for the officer: nil
// within reach and nothing recorded (the caller records its act); out of
// reach, or no such PIN, the one refusal, recorded under the action given.
func TestWithinJudgesReachWithoutARead(t *testing.T) {
	dbtest.Engines(t, testSchemas, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		p := e.person(baDinh, "Hoàng Văn Trong", civil.Male, "1985-05-05")
		e.lone(p)
		officer, outsider := registrarAt(baDinh), registrarAt(hcm)
		const act = auth.ReadPerson
		before := e.count("SELECT count(*) FROM audit_log")
		if err := e.reg.Within(e.ctx, officer, act, p.PIN); err != nil {
			t.Fatalf("within reach: %v", err)
		}

		if n := e.count("SELECT count(*) FROM audit_log"); n != before {
			t.Errorf("%d entries recorded within reach, want none", n-before)
		}
		unknown := e.newPIN(hcm, civil.Male, 1985)
		outErr, unknownErr := e.reg.Within(e.ctx, outsider, act, p.PIN), e.reg.Within(e.ctx, outsider, act, unknown)
		if !problem.Is(outErr, problem.Forbidden) || strings.ReplaceAll(outErr.Error(), p.PIN, "…") != strings.ReplaceAll(unknownErr.Error(), unknown, "…") {
			t.Errorf("out of reach: %v; unknown PIN: %v; want the one refusal", outErr, unknownErr)
		}

		if n := e.count("SELECT count(*) FROM audit_log WHERE action = $1 AND subject = $2 AND outcome = $3", string(act), p.PIN, audit.Denied); n != 1 {
			t.Errorf("%d refusals recorded about the person, want 1", n)
		}
	})
}
