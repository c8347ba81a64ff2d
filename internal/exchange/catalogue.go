package exchange

import (
	"context"
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
	return problem.New(problem.Forbidden, "%s may not read %s of %s (granted: %s)", r.Subsystem, strings.Join(refused, ", "), r.Service, strings.Join(r.Fields, ", "))
}
