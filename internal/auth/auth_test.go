package auth

import (
	"context"
	"strings"
	"testing"

	"github.com/populus-vn/populus/internal/problem"
)

// fakeUnits is a small unit tree: communes 00004 and 00008 in province 01,
// 26734 in 79.
type fakeUnits map[string]string

func (u fakeUnits) ProvinceOf(c string) string { return u[c] }
func (u fakeUnits) CommuneCodes(p string) []string {
	var out []string
	for c, x := range u {
		if x == p {
			out = append(out, c)
		}
	}
	return out
}

var testUnits = fakeUnits{"00004": "01", "00008": "01", "26734": "79"}

// The matrix: every role × scope × action × unit relation, against the
// expectation written out independently of the grants table.
func TestPolicyMatrix(t *testing.T) {
	pol := NewPolicy(testUnits)
	want := map[Role]map[Action]bool{
		Registrar:      {ReadPerson: true, SearchRegister: true, RegisterBirth: true, RegisterDeath: true, RegisterMarriage: true, CorrectRecord: true},
		PoliceOfficer:  {ReadPerson: true, SearchRegister: true, RegisterResidence: true},
		ServiceOfficer: {ReadPerson: true, SearchRegister: true, SubmitReconcile: true, ReadReconcile: true},
		Auditor:        {ReadPerson: true, ReadAudit: true},
		Admin:          {ManageStaff: true, ReadAudit: true},
	}
	accounts := map[string]string{"commune": "00004", "province": "01", "nation": "VN"}
	targets := map[string]string{"same-commune": "00004", "same-province": "00008", "other-province": "26734"}
	reach := map[string]map[string]bool{
		"commune":  {"same-commune": true},
		"province": {"same-commune": true, "same-province": true},
		"nation":   {"same-commune": true, "same-province": true, "other-province": true},
	}
	// The audit log is read from the nation only, whatever the unit.
	nationOnly := map[Action]bool{ReadAudit: true}
	for _, role := range Roles {
		for scope, unit := range accounts {
			p := Staff(1, "u", "", role, unit)
			for _, a := range Actions {
				for where, target := range targets {
					exp := want[role][a] && reach[scope][where] && (!nationOnly[a] || scope == "nation")
					if got := pol.Allowed(p, a, target); got != exp {
						t.Errorf("%s@%s %s on %s (%s): got %v, want %v", role, scope, a, where, target, got, exp)
					}
					if err := pol.Check(p, a, target); (err == nil) != exp {
						t.Errorf("Check disagrees with Allowed for %s@%s %s on %s", role, scope, a, where)
					}
				}
			}
		}
	}
}

func TestUnknownRoleAndUnitRefused(t *testing.T) {
	pol := Policy{}
	if pol.Allowed(Principal{Kind: KindStaff, Role: "superuser", Unit: "VN"}, ReadPerson, "00004") {
		t.Error("an unknown role was granted")
	}
	if pol.Allowed(Principal{Role: Registrar, Unit: "VN"}, ReadPerson, "00004") {
		t.Error("a principal of no kind was granted")
	}
	if pol.Allowed(Principal{Kind: "robot", Role: Registrar, Unit: "VN"}, ReadPerson, "00004") {
		t.Error("a principal of an unknown kind was granted")
	}
	if pol.Allowed(Principal{Kind: KindStaff, Role: "", Unit: "VN"}, ReadPerson, "00004") {
		t.Error("an unknown role was granted")
	}
	if pol.Allowed(Staff(1, "u", "", Registrar, "bogus"), ReadPerson, "00004") {
		t.Error("an account with a malformed unit was granted")
	}
	if pol.Allowed(Staff(1, "u", "", Registrar, "01"), ReadPerson, "00004") {
		t.Error("a province account was granted without a units lookup")
	}
}

// recorder is a Recorder that keeps what it is given.
type recorder struct{ denied, allowed []string }

func (r *recorder) Deny(_ context.Context, p Principal, a Action, subject, detail string) error {
	r.denied = append(r.denied, p.ActorID()+" "+string(a)+" "+subject+" ("+detail+")")
	return nil
}

func (r *recorder) Allow(_ context.Context, p Principal, a Action, detail string, subjects ...string) error {
	for _, s := range subjects {
		r.allowed = append(r.allowed, p.ActorID()+" "+string(a)+" "+s)
	}
	return nil
}

// The guard audits a refusal exactly once, and gives the same answer for a
// missing record and a record out of reach; only a nation-wide principal
// learns that a record does not exist.
func TestGuardFindRevealsNothingOutOfReach(t *testing.T) {
	ctx := context.Background()
	rec := &recorder{}
	g := NewGuard(NewPolicy(testUnits), rec)
	commune := Staff(1, "r", "", Registrar, "00004")
	notFound := problem.New(problem.NotFound, "no person with PIN 001")

	missing := g.Find(ctx, commune, ReadPerson, "001", "person with PIN 001", false, "", notFound)
	elsewhere := g.Find(ctx, commune, ReadPerson, "001", "person with PIN 001", true, "26734", notFound)
	if missing == nil || elsewhere == nil || missing.Error() != elsewhere.Error() {
		t.Fatalf("missing: %v; out of reach: %v; want the same refusal", missing, elsewhere)
	}
	if strings.Contains(elsewhere.Error(), "26734") || !problem.Is(elsewhere, problem.Forbidden) {
		t.Errorf("the refusal %q names the unit or is not Forbidden", elsewhere)
	}
	if len(rec.denied) != 2 || !strings.Contains(rec.denied[0], "no such person") || !strings.Contains(rec.denied[1], "unit 26734") {
		t.Errorf("denials recorded: %q", rec.denied)
	}
	if err := g.Find(ctx, commune, ReadPerson, "002", "person with PIN 002", true, "00004", notFound); err != nil {
		t.Errorf("a person of the officer's own commune: %v", err)
	}
	nation := Staff(2, "n", "", Registrar, "VN")
	if err := g.Find(ctx, nation, ReadPerson, "001", "person with PIN 001", false, "", notFound); err != notFound {
		t.Errorf("a nation-wide officer is told %v, want not found", err)
	}
	if len(rec.denied) != 2 {
		t.Errorf("allowed decisions were recorded as denials: %q", rec.denied)
	}

	// A role without the action is refused before anything is read, once.
	police := Staff(3, "p", "", PoliceOfficer, "00004")
	if err := g.Role(ctx, police, RegisterBirth, "001"); !problem.Is(err, problem.Forbidden) {
		t.Errorf("Role: %v", err)
	}
	if len(rec.denied) != 3 || !strings.Contains(rec.denied[2], "role police_officer") {
		t.Errorf("denials: %q", rec.denied)
	}
	// A grant held from the nation only is refused to a province, and the
	// audit entry says it was the scope.
	if err := g.Check(ctx, Staff(4, "a", "", Auditor, "01"), ReadAudit, "", ""); err == nil || !strings.Contains(err.Error(), "nation") {
		t.Errorf("a province auditor reading the log: %v", err)
	}
	if !strings.Contains(rec.denied[3], "scope province") {
		t.Errorf("denial %q", rec.denied[3])
	}
}

func TestReach(t *testing.T) {
	pol := NewPolicy(testUnits)
	for _, tc := range []struct {
		p    Principal
		a    Action
		want string
	}{
		{Staff(1, "n", "", Registrar, "VN"), SearchRegister, "all"},
		{Staff(1, "p", "", Registrar, "01"), SearchRegister, "00004,00008"},
		{Staff(1, "c", "", Registrar, "00008"), SearchRegister, "00008"},
		{Staff(1, "x", "", Admin, "VN"), SearchRegister, ""},
		{Staff(1, "a", "", Auditor, "01"), ReadAudit, ""},
	} {
		r := pol.Reach(tc.p, tc.a)
		got := strings.Join(r.Communes, ",")
		if r.All {
			got = "all"
		}
		if len(r.Communes) > 1 {
			cs := append([]string(nil), r.Communes...)
			if cs[0] > cs[1] {
				cs[0], cs[1] = cs[1], cs[0]
			}
			got = strings.Join(cs, ",")
		}
		if got != tc.want || r.Nothing() != (tc.want == "") {
			t.Errorf("%s %s: reach %q, want %q", tc.p, tc.a, got, tc.want)
		}
	}
}

// A deferred guard holds its records until flushed, then records them with
// the guard's recorder.
func TestDeferredGuard(t *testing.T) {
	ctx := context.Background()
	rec := &recorder{}
	g := NewGuard(NewPolicy(testUnits), rec)
	held, flush := g.Deferred()
	p := Staff(1, "r", "", Registrar, "00004")
	if err := held.Check(ctx, p, RegisterBirth, "26734", "001"); err == nil {
		t.Fatal("a birth in another province was allowed")
	}
	held.Disclosed(ctx, p, ReadPerson, "", "002")
	if len(rec.denied)+len(rec.allowed) != 0 {
		t.Fatalf("recorded before the flush: %q %q", rec.denied, rec.allowed)
	}
	if err := flush(ctx); err != nil {
		t.Fatal(err)
	}
	if len(rec.denied) != 1 || len(rec.allowed) != 1 {
		t.Errorf("after the flush: %q %q", rec.denied, rec.allowed)
	}
	if err := flush(ctx); err != nil || len(rec.denied) != 1 {
		t.Errorf("a second flush recorded again: %q", rec.denied)
	}
}

// The roles of the other kinds: the matcher reads a person from the nation
// only and does nothing else; the citizen role holds no action of the
// table; neither is a staff role.
func TestRolesOfOtherKinds(t *testing.T) {
	pol := NewPolicy(testUnits)
	m := Principal{Kind: KindSystem, Username: "identity", Role: Matcher, Unit: "VN"}
	if !pol.Allowed(m, ReadPerson, "26734") || m.ActorID() != "system:identity" {
		t.Errorf("matcher at VN: read %v, actor %s", pol.Allowed(m, ReadPerson, "26734"), m.ActorID())
	}
	m.Unit = "01"
	if pol.Allowed(m, ReadPerson, "00004") {
		t.Error("a matcher attached to a province may read: it must read from the nation only")
	}
	m.Unit = "VN"
	c := Principal{Kind: KindCitizen, Username: "001090000001", Role: Citizen, Unit: "VN"}
	for _, a := range []Action{ReadPerson, SearchRegister, RegisterDeath, ReadAudit, ManageStaff, SubmitReconcile} {
		if pol.Allowed(c, a, "00004") {
			t.Errorf("citizen may %s", a)
		}
		if a != ReadPerson && pol.Allowed(m, a, "00004") {
			t.Errorf("matcher may %s", a)
		}
	}
	for _, r := range []Role{Citizen, Matcher} {
		if r.Valid() {
			t.Errorf("%s is valid as a staff role", r)
		}
	}
	if !Registrar.Valid() {
		t.Error("registrar is not a valid staff role")
	}
}

// Within a page's request (WithDisclosedOnce), the same person disclosed
// again by the same principal, for the same act, in the same words, is
// recorded once; another person, act or principal, or another request,
// is recorded.
func TestDisclosedOnce(t *testing.T) {
	rec := &recorder{}
	g := NewGuard(NewPolicy(testUnits), rec)
	p := Staff(1, "registrar", "", Registrar, "00004")
	q := Staff(2, "police", "", PoliceOfficer, "00004")
	page := WithDisclosedOnce(context.Background())
	for range 3 {
		g.Disclosed(page, p, ReadPerson, "", "001190000001", "001190000002")
	}
	g.Disclosed(page, p, RegisterBirth, "", "001190000001")
	g.Disclosed(page, q, ReadPerson, "", "001190000001")
	g.Disclosed(page, p, ReadPerson, "as of 2020-01-01", "001190000001")
	g.Disclosed(context.Background(), p, ReadPerson, "", "001190000001")
	g.Disclosed(context.Background(), p, ReadPerson, "", "001190000001")
	if len(rec.allowed) != 7 {
		t.Errorf("%d entries, want 7:\n%s", len(rec.allowed), strings.Join(rec.allowed, "\n"))
	}
}
