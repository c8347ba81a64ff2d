package exchange

import (
	"context"
	"errors"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/populus-vn/populus/internal/problem"
)

// catalogueTTL bounds how long a change of the catalogue (purposes,
// services, rights) made by another process (the CLI) takes to reach the
// requests; changes made through this process apply at once. Revocations
// of members, subsystems, certificates and tokens are checked in the
// store on every request, never cached.
const catalogueTTL = 2 * time.Second

// catalogue is the purposes, services and rights, read together and kept
// for catalogueTTL: they are read on every request and change rarely.
type catalogue struct {
	mu   sync.Mutex
	read time.Time
	view *catalogueView
}

// catalogueView is one reading of the catalogue; its maps are never
// changed once made, so a request (or the change events' dispatcher) may
// read them while another reads the catalogue again.
type catalogueView struct {
	purposes map[string]Purpose
	services map[string]Service
	rights   map[[2]string]Right
}

// invalidate makes the next request read the catalogue again.
func (x *Exchange) invalidate() {
	x.cat.mu.Lock()
	x.cat.read = time.Time{}
	x.cat.mu.Unlock()
}

// catalogue returns the current catalogue.
func (x *Exchange) catalogue(ctx context.Context) (*catalogueView, error) {
	c := &x.cat
	c.mu.Lock()
	defer c.mu.Unlock()
	now := time.Now()
	if !c.read.IsZero() && now.Sub(c.read) < catalogueTTL {
		return c.view, nil
	}
	ps, err := x.Purposes(ctx)
	if err != nil {
		return nil, err
	}
	ss, err := x.Services(ctx, "")
	if err != nil {
		return nil, err
	}
	rs, err := x.Rights(ctx, "")
	if err != nil {
		return nil, err
	}
	v := &catalogueView{purposes: map[string]Purpose{}, services: map[string]Service{}, rights: map[[2]string]Right{}}
	for _, p := range ps {
		v.purposes[p.Code] = p
	}
	for _, s := range ss {
		v.services[s.ID] = s
	}
	for _, r := range rs {
		v.rights[[2]string{r.Subsystem, r.Service}] = r
	}
	c.view, c.read = v, now
	return v, nil
}

// right is the decision of the catalogue on subsystem calling the service
// svcID for purpose: its right, or a Forbidden problem saying why none.
// Every access decides here: the /r1/ requests and the change events
// (Access).
func (v *catalogueView) right(subsystem, svcID string, purpose Purpose) (Right, error) {
	right, ok := v.rights[[2]string{subsystem, svcID}]
	if !ok {
		return Right{}, problem.New(problem.Forbidden, "%s has no right on the service %s", subsystem, svcID)
	}
	if !slices.Contains(right.Purposes, purpose.Code) {
		return Right{}, problem.New(problem.Forbidden, "%s may call %s for %s only, not for %s", subsystem, svcID, strings.Join(right.Purposes, ", "), purpose.Code)
	}
	return right, nil
}

// refused returns the fields that r does not grant, in order, each once.
func (r Right) refused(fields []string) []string {
	var out []string
	for _, f := range fields {
		if !slices.Contains(r.Fields, f) && !slices.Contains(out, f) {
			out = append(out, f)
		}
	}
	return out
}

// deny is the refusal of fields of the service that r does not grant to
// its subsystem.
func (r Right) deny(refused []string) error {
	const why = "%s may not read %s of %s (granted: %s)"
	args := []any{r.Subsystem, strings.Join(refused, ", "), r.Service, strings.Join(r.Fields, ", ")}
	err := problem.New(problem.Forbidden, why, args...)
	var pe *problem.Error
	if errors.As(err, &pe) {
		pe.Fields = []problem.FieldError{problem.NewFieldError("fields", why, args...)}
	}
	return err
}

// PurposeName is the name of a purpose of the catalogue, by its code
// (usage.Options.PurposeName); false for a code that is not one.
func (x *Exchange) PurposeName(ctx context.Context, code string) (string, bool) {
	cat, err := x.catalogue(ctx)
	if err != nil {
		return "", false
	}
	p, ok := cat.purposes[code]
	return p.Name, ok
}

// Named is a subsystem or a purpose as a citizen chooses it: its code and
// its name.
type Named struct {
	Code, Name string
}

// ConsentChoices are what a citizen may consent to on their own, in the
// catalogue: the unrevoked subsystems that hold a right for a purpose
// that needs consent (named with their member), those purposes, and the
// fields such rights grant, in the order of PersonFields, then
// VerifyFields.
type ConsentChoices struct {
	Clients, Purposes []Named
	Fields            []string
}

// ConsentChoices reads the choices of the citizen's consent form.
func (x *Exchange) ConsentChoices(ctx context.Context) (ConsentChoices, error) {
	v, err := x.catalogue(ctx)
	if err != nil {
		return ConsentChoices{}, err
	}
	ms, ss, err := x.Members(ctx)
	if err != nil {
		return ConsentChoices{}, err
	}
	members := map[string]Member{}
	for _, m := range ms {
		members[m.ID] = m
	}
	clients, purposes, fields := map[string]bool{}, map[string]bool{}, map[string]bool{}
	for _, r := range v.rights {
		for _, p := range r.Purposes {
			if v.purposes[p].ConsentRequired {
				clients[r.Subsystem], purposes[p] = true, true
				for _, f := range consentFields(r.Service, r.Fields) {
					fields[f] = true
				}
			}
		}
	}
	var out ConsentChoices
	for _, s := range ss {
		if m := members[s.Member]; clients[s.ID] && s.RevokedAt.IsZero() && m.RevokedAt.IsZero() {
			out.Clients = append(out.Clients, Named{Code: s.ID, Name: m.Name + " (" + s.Name + ")"})
		}
	}
	for code := range purposes {
		out.Purposes = append(out.Purposes, Named{Code: code, Name: v.purposes[code].Name})
	}
	slices.SortFunc(out.Purposes, func(a, b Named) int { return strings.Compare(a.Code, b.Code) })
	for _, f := range append(slices.Clone(PersonFields), VerifyFields...) {
		if fields[f] && !slices.Contains(out.Fields, f) {
			out.Fields = append(out.Fields, f)
		}
	}
	// Then the fields of the members' services, by service.
	var others []string
	for f := range fields {
		if strings.Contains(f, ":") {
			others = append(others, f)
		}
	}
	slices.Sort(others)
	out.Fields = append(out.Fields, others...)
	return out, nil
}
