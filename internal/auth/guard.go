package auth

import (
	"context"
	"errors"
	"sync"

	"github.com/populus-vn/populus/internal/problem"
)

// Recorder records what a Guard decides; *audit.Log is one.
type Recorder interface {
	// Deny records that p was refused a on subject, detail saying why
	// (for the log's readers, never for p).
	Deny(ctx context.Context, p Principal, a Action, subject, detail string) error
	// Allow records that p did a on each subject; it returns once the
	// entries are as durable as the log promises.
	Allow(ctx context.Context, p Principal, a Action, detail string, subjects ...string) error
}

// Guard is the one check in front of personal data: it decides with the
// policy and records every refusal once, and every disclosure, with the
// Recorder. Its rules:
//
//   - a principal whose role may not do an action is refused before
//     anything is read, so that the refusal says nothing of the records
//     (Role);
//   - a missing record and a record out of reach get the same answer, so
//     that no principal can probe what exists; only a principal who may do
//     the action everywhere is told that a record does not exist (Find);
//   - every fact disclosed about a person is recorded as a read against
//     that person (Disclosed).
type Guard struct {
	Policy Policy
	rec    Recorder
}

// NewGuard returns a guard deciding with pol and recording with rec.
func NewGuard(pol Policy, rec Recorder) *Guard {
	if rec == nil {
		panic("auth: NewGuard needs a Recorder: refusals must be audited")
	}
	return &Guard{Policy: pol, rec: rec}
}

// Check allows p to do a on data of unit (see Policy.Allowed), or refuses
// with the policy's reason, recorded against subject.
func (g *Guard) Check(ctx context.Context, p Principal, a Action, unit, subject string) error {
	if g.Policy.Allowed(p, a, unit) {
		return nil
	}
	detail := "unit " + unit
	if !CanFrom(p, a) {
		detail = "role " + string(p.Role)
		if Can(p.Role, a) {
			detail = "scope " + string(p.Scope())
		}
	}
	g.rec.Deny(ctx, p, a, subject, detail)
	return refusal(p, a, unit)
}

// Role refuses, before anything is read, a principal who may not do a from
// its scope anywhere; the refusal says nothing of the record asked for.
func (g *Guard) Role(ctx context.Context, p Principal, a Action, subject string) error {
	if CanFrom(p, a) {
		return nil
	}
	return g.Check(ctx, p, a, "", subject)
}

// Find decides what p may learn of the record about subject (a "person with
// PIN …", a "household …": what) looked up for a: found says whether it
// exists and unit is the unit it belongs to. It returns nil when p may do a
// on it; notFound when it does not exist and p may do a everywhere (only
// such a principal may be told); and otherwise the one refusal, the same
// whether the record exists or not, naming neither its unit nor its
// existence. The audit entry, not the answer, says which.
func (g *Guard) Find(ctx context.Context, p Principal, a Action, subject, what string, found bool, unit string, notFound error) error {
	if !found {
		if g.Policy.Everywhere(p, a) {
			return notFound
		}
		return g.OutOfReach(ctx, p, a, subject, "no such "+firstWord(what), what)
	}
	if !g.Policy.Allowed(p, a, unit) {
		return g.OutOfReach(ctx, p, a, subject, "unit "+unit, what)
	}
	return nil
}

// OutOfReach records a refusal of a on subject with detail, and returns the
// refusal Find gives: it names neither the unit of what nor whether it
// exists.
func (g *Guard) OutOfReach(ctx context.Context, p Principal, a Action, subject, detail, what string) error {
	g.rec.Deny(ctx, p, a, subject, detail)
	return ReachError(p, what)
}

// ReachError is the refusal of a record out of reach, or missing.
func ReachError(p Principal, what string) error {
	return problem.New(problem.Forbidden, "no %s is within the reach of an account attached to %s", what, p.Unit)
}

// Disclosed records that p was shown facts about each subject by a, before
// they are returned: a disclosure is a read.
func (g *Guard) Disclosed(ctx context.Context, p Principal, a Action, detail string, subjects ...string) error {
	if once, _ := ctx.Value(onceKey{}).(*disclosedOnce); once != nil {
		subjects = once.first(p.ActorID()+"\x00"+string(a)+"\x00"+detail, subjects)
	}
	if len(subjects) == 0 {
		return nil
	}
	return g.rec.Allow(ctx, p, a, detail, subjects...)
}

// WithDisclosedOnce returns ctx in which a disclosure is recorded once: the
// same act on the same person by the same principal, in the same words,
// recorded once however often the handler reads it. A page reads a person
// several times to answer once (a civil event's check page: its rules,
// then what it shows), and each read was an entry: a citizen saw one look
// as a dozen. The web's pages use it; the API's calls, one read each,
// do not need it.
func WithDisclosedOnce(ctx context.Context) context.Context {
	return context.WithValue(ctx, onceKey{}, &disclosedOnce{})
}

type onceKey struct{}

// disclosedOnce holds the disclosures of one request.
type disclosedOnce struct {
	mu   sync.Mutex
	seen map[string]bool
}

// first returns those of subjects not yet disclosed under key, and
// remembers them.
func (o *disclosedOnce) first(key string, subjects []string) []string {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.seen == nil {
		o.seen = map[string]bool{}
	}
	var out []string
	for _, s := range subjects {
		k := key + "\x00" + s
		if !o.seen[k] {
			o.seen[k] = true
			out = append(out, s)
		}
	}
	return out
}

// Reach returns where p may do a, for a store to filter by.
func (g *Guard) Reach(p Principal, a Action) Reach { return g.Policy.Reach(p, a) }

// Deferred returns a guard with the same policy whose records are held
// until flush is called: inside a write transaction, where the audit log
// (which commits on its own connection) must not be written, a change
// decides with the held guard and flushes once the transaction has ended,
// whether it committed or not.
func (g *Guard) Deferred() (held *Guard, flush func(ctx context.Context) error) {
	h := &holding{}
	return &Guard{Policy: g.Policy, rec: h}, func(ctx context.Context) error { return h.flush(ctx, g.rec) }
}

// holding is the Recorder of a deferred guard.
type holding struct {
	mu   sync.Mutex
	todo []func(ctx context.Context, rec Recorder) error
}

func (h *holding) Deny(_ context.Context, p Principal, a Action, subject, detail string) error {
	h.add(func(ctx context.Context, rec Recorder) error { return rec.Deny(ctx, p, a, subject, detail) })
	return nil
}

func (h *holding) Allow(_ context.Context, p Principal, a Action, detail string, subjects ...string) error {
	subjects = append([]string(nil), subjects...)
	h.add(func(ctx context.Context, rec Recorder) error { return rec.Allow(ctx, p, a, detail, subjects...) })
	return nil
}

func (h *holding) add(f func(context.Context, Recorder) error) {
	h.mu.Lock()
	h.todo = append(h.todo, f)
	h.mu.Unlock()
}

func (h *holding) flush(ctx context.Context, rec Recorder) error {
	h.mu.Lock()
	todo := h.todo
	h.todo = nil
	h.mu.Unlock()
	var errs []error
	for _, f := range todo {
		errs = append(errs, f(ctx, rec))
	}
	return errors.Join(errs...)
}

func firstWord(s string) string {
	for i, r := range s {
		if r == ' ' {
			return s[:i]
		}
	}
	return s
}
