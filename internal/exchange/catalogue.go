package exchange

import (
	"context"
	"sync"
	"time"
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
	mu       sync.Mutex
	read     time.Time
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
func (x *Exchange) catalogue(ctx context.Context) (*catalogue, error) {
	c := &x.cat
	c.mu.Lock()
	defer c.mu.Unlock()
	now := time.Now()
	if !c.read.IsZero() && now.Sub(c.read) < catalogueTTL {
		return c, nil
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
	c.purposes, c.services, c.rights = map[string]Purpose{}, map[string]Service{}, map[[2]string]Right{}
	for _, p := range ps {
		c.purposes[p.Code] = p
	}
	for _, s := range ss {
		c.services[s.ID] = s
	}
	for _, r := range rs {
		c.rights[[2]string{r.Subsystem, r.Service}] = r
	}
	c.read = now
	return c, nil
}
