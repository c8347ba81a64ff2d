// Package auth decides who may do what. It is the one place where a staff
// member's role and administrative unit are checked against an action on
// a unit's data; every handler asks it, none decides for itself.
//
// It knows nothing of passwords or sessions (package staff authenticates);
// it must never grant by default: an unknown role or action is refused.
package auth

import (
	"context"
	"fmt"

	"github.com/populus-vn/populus/internal/problem"
)

// Role is a staff role.
type Role string

const (
	Registrar      Role = "registrar"       // cán bộ tư pháp – hộ tịch: civil-status acts
	PoliceOfficer  Role = "police_officer"  // công an: residence registration, identity cards
	ServiceOfficer Role = "service_officer" // cán bộ một cửa: reads the register to handle dossiers
	Auditor        Role = "auditor"         // thanh tra: reads the audit log and history
	Admin          Role = "admin"           // quản trị: manages staff accounts
)

// Roles lists every role.
var Roles = []Role{Registrar, PoliceOfficer, ServiceOfficer, Auditor, Admin}

// Valid reports whether r is a known role.
func (r Role) Valid() bool { _, ok := grants[r]; return ok }

// Action is something a staff member may try to do.
type Action string

const (
	ReadPerson        Action = "person.read"
	SearchRegister    Action = "register.search"
	RegisterBirth     Action = "event.birth"
	RegisterDeath     Action = "event.death"
	RegisterMarriage  Action = "event.marriage" // marriage and divorce
	RegisterResidence Action = "event.residence"
	CorrectRecord     Action = "event.correction"
	ReadAudit         Action = "audit.read"
	ManageStaff       Action = "staff.manage"
	// Reconciliation as a service: a member system (the account's unit)
	// submits sector files and reads its own jobs and their results.
	SubmitReconcile Action = "reconcile.submit"
	ReadReconcile   Action = "reconcile.read"
)

// Actions lists every action.
var Actions = []Action{ReadPerson, SearchRegister, RegisterBirth, RegisterDeath, RegisterMarriage, RegisterResidence, CorrectRecord, ReadAudit, ManageStaff, SubmitReconcile, ReadReconcile}

var grants = map[Role][]Action{
	Registrar:      {ReadPerson, SearchRegister, RegisterBirth, RegisterDeath, RegisterMarriage, CorrectRecord},
	PoliceOfficer:  {ReadPerson, SearchRegister, RegisterResidence},
	ServiceOfficer: {ReadPerson, SearchRegister, SubmitReconcile, ReadReconcile},
	Auditor:        {ReadPerson, ReadAudit},
	Admin:          {ManageStaff, ReadAudit, SubmitReconcile, ReadReconcile},
}

// Scope is the reach of an account: a commune, a province, or the nation.
type Scope string

const (
	ScopeCommune  Scope = "commune"
	ScopeProvince Scope = "province"
	ScopeNation   Scope = "nation"
)

// Principal is an authenticated staff member.
type Principal struct {
	StaffID     int64
	Username    string
	DisplayName string
	Role        Role
	// Unit is the code of the unit the account is attached to: a 5-digit
	// commune, a 2-digit province, or "VN" for the nation.
	Unit string
}

// Scope derives the scope from the unit code.
func (p Principal) Scope() Scope {
	switch len(p.Unit) {
	case 5:
		return ScopeCommune
	case 2:
		if p.Unit == "VN" {
			return ScopeNation
		}
		return ScopeProvince
	}
	return ""
}

// ActorID is how the principal appears in histories and audit logs.
func (p Principal) ActorID() string { return "staff:" + p.Username }

// ProvinceOf returns the province code of a commune code, or "" when unknown.
// The server sets it from the administrative-units dataset.
type ProvinceOf func(commune string) string

// Policy checks actions against roles and units.
type Policy struct {
	ProvinceOf ProvinceOf
}

// Allowed reports whether p may do a on data that belongs to unit (a commune
// code; "" when the action concerns no unit, such as a search across units,
// which is then limited to p's own reach by the caller).
func (pol Policy) Allowed(p Principal, a Action, unit string) bool {
	if !roleHas(p.Role, a) {
		return false
	}
	switch p.Scope() {
	case ScopeNation:
		return true
	case ScopeProvince:
		if unit == "" {
			return true
		}
		if len(unit) == 2 {
			return unit == p.Unit
		}
		return pol.ProvinceOf != nil && pol.ProvinceOf(unit) == p.Unit
	case ScopeCommune:
		return unit == "" || unit == p.Unit
	}
	return false
}

// Check is Allowed as an error: Forbidden, saying what was refused.
func (pol Policy) Check(p Principal, a Action, unit string) error {
	if pol.Allowed(p, a, unit) {
		return nil
	}
	if !roleHas(p.Role, a) {
		return problem.New(problem.Forbidden, "the role %s may not do %s", p.Role, a)
	}
	return problem.New(problem.Forbidden, "unit %s is outside the reach of an account attached to %s", unit, p.Unit)
}

func roleHas(r Role, a Action) bool {
	for _, x := range grants[r] {
		if x == a {
			return true
		}
	}
	return false
}

// Can reports whether the role has the action anywhere (for showing menus).
func Can(r Role, a Action) bool { return roleHas(r, a) }

type ctxKey struct{}

// WithPrincipal returns a context carrying p.
func WithPrincipal(ctx context.Context, p Principal) context.Context {
	return context.WithValue(ctx, ctxKey{}, p)
}

// FromContext returns the principal of the request, if signed in.
func FromContext(ctx context.Context) (Principal, bool) {
	p, ok := ctx.Value(ctxKey{}).(Principal)
	return p, ok
}

// MustFromContext returns the principal or an Unauthorized error.
func MustFromContext(ctx context.Context) (Principal, error) {
	p, ok := FromContext(ctx)
	if !ok {
		return Principal{}, problem.New(problem.Unauthorized, "sign in first")
	}
	return p, nil
}

func (p Principal) String() string { return fmt.Sprintf("%s (%s @ %s)", p.Username, p.Role, p.Unit) }
