package exchange

import (
	"context"
	"database/sql"
	"errors"

	"github.com/populus-vn/populus/internal/problem"
)

// PersonService is the register's person look-up. Its rights say which
// fields of a person a subsystem may learn, whether it reads them by the
// look-up or learns that they changed from a change event (package
// events, wired in cmd/populus).
const PersonService = Platform + "/person"

// Access is a subsystem's standing to learn fields of people through a
// service for a purpose, decided once: the subsystem and its member are
// registered and not revoked, the purpose is in the catalogue, and a right
// on the service names it. Fields then decides person by person. An
// Access is meant for one batch of decisions (the change events'
// dispatcher takes one per subscription and batch): a revocation or a
// change of rights reaches the next batch.
type Access struct {
	x         *Exchange
	subsystem string
	purpose   Purpose
	right     Right
}

// Access returns subsystem's access to the service for purpose, or a
// problem saying why it has none, naming what is wrong as a field:
// Forbidden naming "subsystem" for a subsystem that is not registered, or
// is revoked (it or its member), and naming "purpose" for one without a
// right on the service for that purpose; Invalid naming "purpose" for a
// purpose the catalogue lacks. Any other error is a failure of the store.
//
// The standing of the subsystem is read from the store on every call, as
// authentication reads it on every /r1/ request; the purposes and rights
// come from the catalogue (catalogueTTL), so a batch costs one query.
func (x *Exchange) Access(ctx context.Context, subsystem, service, purpose string) (*Access, error) {
	if err := x.standing(ctx, subsystem); err != nil {
		return nil, refusalOf("subsystem", err)
	}
	cat, err := x.catalogue(ctx)
	if err != nil {
		return nil, err
	}
	p, ok := cat.purposes[purpose]
	if !ok {
		return nil, problem.Field("purpose", "%s is not a purpose of the catalogue", purpose)
	}
	right, err := cat.right(subsystem, service, p)
	if err != nil {
		return nil, refusalOf("purpose", err)
	}
	return &Access{x: x, subsystem: subsystem, purpose: p, right: right}, nil
}

// standing refuses a subsystem that is not registered, or whose
// registration or whose member's is revoked.
func (x *Exchange) standing(ctx context.Context, subsystem string) error {
	var revoked string
	err := x.db.QueryRowContext(ctx, `SELECT s.revoked_at || m.revoked_at FROM exchange_subsystems s JOIN exchange_members m ON m.id = s.member_id
		WHERE s.id = $1`, subsystem).Scan(&revoked)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return problem.New(problem.Forbidden, "%s is not a subsystem of the data exchange", subsystem)
	case err != nil:
		return err
	case revoked != "":
		return problem.New(problem.Forbidden, "%s or its member is revoked from the data exchange", subsystem)
	}
	return nil
}

// refusalOf is the refusal err (a problem) naming field, or err itself
// when it is a failure.
func refusalOf(field string, err error) error {
	var pe *problem.Error
	if !errors.As(err, &pe) {
		return err
	}
	const detail = "The data exchange refuses this access"
	return &problem.Error{Kind: pe.Kind, Detail: detail, Format: detail, Fields: []problem.FieldError{problem.NewFieldError(field, "%s", pe.Detail)}}
}

// ConsentRequired reports whether the access's purpose needs each
// person's consent.
func (a *Access) ConsentRequired() bool { return a.purpose.ConsentRequired }

// LegalBasis settles the legal basis of the access, as a request's
// X-Populus-Legal-Basis is settled: given, if it is one of the purpose's;
// the purpose's one when given is empty; otherwise an Invalid problem
// naming "legal_basis".
func (a *Access) LegalBasis(given string) (string, error) {
	return a.purpose.basis("legal_basis", given)
}

// Covers returns nil where the right grants every one of fields, else
// the Forbidden refusal naming those it does not.
func (a *Access) Covers(fields ...string) error {
	if refused := a.right.refused(fields); len(refused) > 0 {
		return a.right.deny(refused)
	}
	return nil
}

// Fields decides the disclosure of fields of the person pin, as the
// look-up decides it: the right must grant each of them and, where the
// purpose needs it, the person's consent must cover them (its use is
// counted). It returns the consent's id, "" where the law needs none. A
// refusal is a Forbidden problem (the consent service's saying why); any
// other error is a failure, not a decision.
func (a *Access) Fields(ctx context.Context, pin string, fields ...string) (string, error) {
	if err := a.Covers(fields...); err != nil {
		return "", err
	}
	return a.x.consentFor(ctx, a.purpose, pin, a.subsystem, fields)
}

// AuthorizeField decides, in one call, whether subsystem may learn field
// of the person pin for purpose (Access on the person service, then
// Fields): the consent's id ("" where the purpose needs none) or why not.
func (x *Exchange) AuthorizeField(ctx context.Context, subsystem, purpose, pin, field string) (string, error) {
	a, err := x.Access(ctx, subsystem, PersonService, purpose)
	if err != nil {
		return "", err
	}
	return a.Fields(ctx, pin, field)
}
