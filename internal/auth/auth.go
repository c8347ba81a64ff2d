// Package auth decides who may do what. It is the one place where a
// principal's role and reach are checked against an action on a unit's
// data; every capability asks it (through Guard), none decides for itself.
//
// It knows nothing of passwords, sessions or tokens (package staff and the
// other authenticating capabilities do that), nor of storage: the Guard
// records refusals through the Recorder it is given. It must never grant by
// default: an unknown kind, role, scope or action is refused.
package auth

import (
	"context"
	"fmt"
	"slices"

	"github.com/populus-vn/populus/internal/problem"
)

// Kind is what a principal is: who signed in, or which system called.
type Kind string

const (
	// KindStaff is a civil servant signed in with a staff account.
	KindStaff Kind = "staff"
	// KindCitizen is a person signed in with their own electronic identity.
	KindCitizen Kind = "citizen"
	// KindClient is an OAuth client (a relying party: a bank, a portal)
	// calling with its own credentials.
	KindClient Kind = "client"
	// KindMember is a member system of the data-exchange platform (a
	// ministry's or a province's system) calling with its certificate.
	KindMember Kind = "member"
	// KindSystem is the platform acting for a capability on no one's
	// request but its own rules (the identity capability matching a
	// self-registration against the register): "system:identity".
	KindSystem Kind = "system"
)

// Kinds lists every kind.
var Kinds = []Kind{KindStaff, KindCitizen, KindClient, KindMember, KindSystem}

// Valid reports whether k is a known kind.
func (k Kind) Valid() bool {
	for _, x := range Kinds {
		if x == k {
			return true
		}
	}
	return false
}

// Role is what a principal does: a staff role today, the roles of the
// other kinds as they arrive. The grants table says what each may do.
type Role string

const (
	Registrar      Role = "registrar"       // cán bộ tư pháp – hộ tịch: civil-status acts
	PoliceOfficer  Role = "police_officer"  // công an: residence registration, identity cards
	ServiceOfficer Role = "service_officer" // cán bộ một cửa: reads the register to handle dossiers
	Auditor        Role = "auditor"         // thanh tra: reads the audit log and history
	Admin          Role = "admin"           // quản trị: manages staff accounts
	// Citizen is the role of a citizen principal. The actions granted to
	// it concern the citizen's own record and account only: the capability
	// that declares them checks that the subject is the principal.
	Citizen Role = "citizen"
	// Matcher is the role of the identity capability's system principal
	// (system:identity): it reads one person at a time for the electronic
	// identity, to match a self-registration, to give the claims a citizen
	// consented to, to answer a relying party's verification, to show the
	// holder their own record; each read audited, and nothing else.
	Matcher Role = "matcher"
)

// Roles lists every staff role.
var Roles = []Role{Registrar, PoliceOfficer, ServiceOfficer, Auditor, Admin}

// Valid reports whether r is a staff role (one of Roles): the roles of the
// other kinds are never a staff account's.
func (r Role) Valid() bool { return slices.Contains(Roles, r) }

// Action is something a principal may try to do. It is also the action
// recorded in the audit log.
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

// Actions lists every action that can be granted.
var Actions = []Action{ReadPerson, SearchRegister, RegisterBirth, RegisterDeath, RegisterMarriage, RegisterResidence, CorrectRecord, ReadAudit, ManageStaff, SubmitReconcile, ReadReconcile}

// Scope is the reach of an account: a commune, a province, or the nation.
type Scope string

const (
	ScopeCommune  Scope = "commune"
	ScopeProvince Scope = "province"
	ScopeNation   Scope = "nation"
)

// scopes is a set of scopes from which a grant holds.
type scopes uint8

const (
	fromCommune scopes = 1 << iota
	fromProvince
	fromNation
	anyScope   = fromCommune | fromProvince | fromNation
	nationOnly = fromNation
)

func (s scopes) has(sc Scope) bool {
	switch sc {
	case ScopeCommune:
		return s&fromCommune != 0
	case ScopeProvince:
		return s&fromProvince != 0
	case ScopeNation:
		return s&fromNation != 0
	}
	return false
}

// grant is an action a role may do, and the scopes of account it may do it
// from: a grant held only from the nation is refused to a province's
// account even on data of its own province.
type grant struct {
	Action Action
	scopes scopes
}

// grants is the table of who may do what, from where: the register's,
// the audit log's and reconciliation's actions here, other capabilities'
// added by Declare.
var grants = map[Role][]grant{
	Registrar:      {{ReadPerson, anyScope}, {SearchRegister, anyScope}, {RegisterBirth, anyScope}, {RegisterDeath, anyScope}, {RegisterMarriage, anyScope}, {CorrectRecord, anyScope}},
	PoliceOfficer:  {{ReadPerson, anyScope}, {SearchRegister, anyScope}, {RegisterResidence, anyScope}},
	ServiceOfficer: {{ReadPerson, anyScope}, {SearchRegister, anyScope}, {SubmitReconcile, anyScope}, {ReadReconcile, anyScope}},
	// Audit entries name people of every unit and carry no unit that a
	// narrower reach could be checked against: the log is read from the
	// nation only.
	Auditor: {{ReadPerson, anyScope}, {ReadAudit, nationOnly}},
	// Reconciliation names people: it needs person.read too, which the
	// administrator does not hold.
	Admin: {{ManageStaff, anyScope}, {ReadAudit, nationOnly}},
	// No action of the table: what a citizen does on their own account the
	// identity capability checks (the subject is the principal).
	Citizen: {},
	// A system principal attached to the nation, reading one person at a
	// time (see Matcher).
	Matcher: {{ReadPerson, nationOnly}},
}

func grantOf(r Role, a Action) (grant, bool) {
	for _, g := range grants[r] {
		if g.Action == a {
			return g, true
		}
	}
	return grant{}, false
}

// Grant gives an action to a role, from every scope, or from the nation
// only.
type Grant struct {
	Role       Role
	NationOnly bool
}

// Declare adds a capability's action to the table with its grants, and
// returns it. A capability declares its actions in package-level variables,
// so that the table is complete before the first request; declaring an
// action twice, or for an unknown role, panics.
func Declare(a Action, gs ...Grant) Action {
	for _, x := range Actions {
		if x == a {
			panic("auth: action " + string(a) + " declared twice")
		}
	}
	Actions = append(Actions, a)
	for _, g := range gs {
		if _, ok := grants[g.Role]; !ok {
			panic("auth: action " + string(a) + " granted to unknown role " + string(g.Role))
		}
		sc := anyScope
		if g.NationOnly {
			sc = nationOnly
		}
		grants[g.Role] = append(grants[g.Role], grant{a, sc})
	}
	return a
}

// Principal is who makes a request: a staff member, a citizen, an OAuth
// client or a member system.
type Principal struct {
	Kind Kind
	// ID is the principal's key among those of its kind (a staff account's
	// row id); Username its stable name, shown in logs and histories.
	ID          int64
	Username    string
	DisplayName string
	Role        Role
	// Unit is the code of the unit the principal is attached to: a 5-digit
	// commune, a 2-digit province, or "VN" for the nation.
	Unit string
}

// Staff returns the principal of a staff account.
func Staff(id int64, username, displayName string, role Role, unit string) Principal {
	return Principal{Kind: KindStaff, ID: id, Username: username, DisplayName: displayName, Role: role, Unit: unit}
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

// ActorID is how the principal appears in histories and audit logs:
// "staff:registrar.badinh", "citizen:…", "client:…", "member:…".
func (p Principal) ActorID() string { return ActorID(p.Kind, p.Username) }

// ActorID is the actor of a principal of kind k named name, for entries
// written before a principal exists (a failed sign-in).
func ActorID(k Kind, name string) string {
	if k == "" {
		k = KindStaff
	}
	return string(k) + ":" + name
}

func (p Principal) String() string {
	return fmt.Sprintf("%s (%s %s @ %s)", p.Username, p.Kind, p.Role, p.Unit)
}

// Units is what the policy needs of the administrative units: the province
// of a commune, and the communes of a province. *units.Registry is one.
type Units interface {
	ProvinceOf(commune string) string
	CommuneCodes(province string) []string
}

// Policy checks actions against roles, scopes and units.
type Policy struct {
	units Units
}

// NewPolicy returns the policy over the administrative units u.
func NewPolicy(u Units) Policy { return Policy{units: u} }

// Known reports whether unit is an administrative unit of the policy's:
// VN, a province's code or a commune's.
func (pol Policy) Known(unit string) bool {
	switch {
	case unit == "VN":
		return true
	case pol.units == nil:
		return false
	case len(unit) == 2:
		return len(pol.units.CommuneCodes(unit)) > 0
	}
	return pol.units.ProvinceOf(unit) != ""
}

// Allowed reports whether p may do a on data that belongs to unit (a commune
// code, or a province code; "" when the action concerns no unit, such as a
// search across units, which is then limited to p's reach, see Reach).
func (pol Policy) Allowed(p Principal, a Action, unit string) bool {
	g, ok := grantOf(p.Role, a)
	if !ok || !p.Kind.Valid() || !g.scopes.has(p.Scope()) {
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
		return pol.units != nil && pol.units.ProvinceOf(unit) == p.Unit
	case ScopeCommune:
		return unit == "" || unit == p.Unit
	}
	return false
}

// Check is Allowed as an error: Forbidden, saying what was refused (the
// role, the scope of the account, or the unit the caller named).
func (pol Policy) Check(p Principal, a Action, unit string) error {
	if pol.Allowed(p, a, unit) {
		return nil
	}
	return refusal(p, a, unit)
}

func refusal(p Principal, a Action, unit string) error {
	g, ok := grantOf(p.Role, a)
	switch {
	case !ok || !p.Kind.Valid():
		return problem.New(problem.Forbidden, "the role %s may not do %s", p.Role, a)
	case !g.scopes.has(p.Scope()):
		return problem.New(problem.Forbidden, "only an account attached to the nation (VN) may do %s", a)
	}
	return problem.New(problem.Forbidden, "unit %s is outside the reach of an account attached to %s", unit, p.Unit)
}

// Can reports whether the role has the action from some scope (for showing
// menus, and for refusing before anything is read).
func Can(r Role, a Action) bool { _, ok := grantOf(r, a); return ok }

// CanFrom reports whether p's role has the action from p's scope.
func CanFrom(p Principal, a Action) bool {
	g, ok := grantOf(p.Role, a)
	return ok && p.Kind.Valid() && g.scopes.has(p.Scope())
}

// Everywhere reports whether p may do a on data of every unit. Only such a
// principal may be told that a record does not exist (see Guard.Find).
func (pol Policy) Everywhere(p Principal, a Action) bool {
	return p.Scope() == ScopeNation && pol.Allowed(p, a, "")
}

// Reach is where a principal may do an action, in the form a store filters
// by: every unit, or a list of communes (none when Nothing).
type Reach struct {
	All      bool
	Communes []string
}

// Nothing reports whether the reach holds no unit at all.
func (r Reach) Nothing() bool { return !r.All && len(r.Communes) == 0 }

// Reach returns the units where p may do a.
func (pol Policy) Reach(p Principal, a Action) Reach {
	if !CanFrom(p, a) {
		return Reach{}
	}
	switch p.Scope() {
	case ScopeNation:
		return Reach{All: true}
	case ScopeProvince:
		if pol.units == nil {
			return Reach{}
		}
		return Reach{Communes: pol.units.CommuneCodes(p.Unit)}
	case ScopeCommune:
		return Reach{Communes: []string{p.Unit}}
	}
	return Reach{}
}

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
