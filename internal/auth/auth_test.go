package auth

import "testing"

// The matrix: every role × scope × action × unit relation, against the
// expectation written out independently of the grants table.
func TestPolicyMatrix(t *testing.T) {
	provinceOf := func(c string) string {
		return map[string]string{"00004": "01", "00008": "01", "26734": "79"}[c]
	}
	pol := Policy{ProvinceOf: provinceOf}
	want := map[Role]map[Action]bool{
		Registrar:      {ReadPerson: true, SearchRegister: true, RegisterBirth: true, RegisterDeath: true, RegisterMarriage: true, CorrectRecord: true},
		PoliceOfficer:  {ReadPerson: true, SearchRegister: true, RegisterResidence: true},
		ServiceOfficer: {ReadPerson: true, SearchRegister: true, SubmitReconcile: true, ReadReconcile: true},
		Auditor:        {ReadPerson: true, ReadAudit: true},
		Admin:          {ManageStaff: true, ReadAudit: true, SubmitReconcile: true, ReadReconcile: true},
	}
	accounts := map[string]string{"commune": "00004", "province": "01", "nation": "VN"}
	targets := map[string]string{"same-commune": "00004", "same-province": "00008", "other-province": "26734"}
	reach := map[string]map[string]bool{
		"commune":  {"same-commune": true},
		"province": {"same-commune": true, "same-province": true},
		"nation":   {"same-commune": true, "same-province": true, "other-province": true},
	}
	for _, role := range Roles {
		for scope, unit := range accounts {
			p := Principal{Username: "u", Role: role, Unit: unit}
			for _, a := range Actions {
				for where, target := range targets {
					exp := want[role][a] && reach[scope][where]
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
	if pol.Allowed(Principal{Role: "superuser", Unit: "VN"}, ReadPerson, "00004") {
		t.Error("an unknown role was granted")
	}
	if pol.Allowed(Principal{Role: Registrar, Unit: "bogus"}, ReadPerson, "00004") {
		t.Error("an account with a malformed unit was granted")
	}
	if pol.Allowed(Principal{Role: Registrar, Unit: "01"}, ReadPerson, "00004") {
		t.Error("a province account was granted without a units lookup")
	}
}
