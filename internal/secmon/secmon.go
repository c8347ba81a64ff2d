// Package secmon is security monitoring: per-account limits on reads of
// people (Limiter, the Recorder of the guard in a served register) and a
// first security-event feed for auditors (Monitor): an alert when an
// account reaches its rate limit, and when it reads far more distinct
// people in a clock hour than its peers of the same kind, role and scope.
// Alerts are stored in security_events and listed to nation-wide auditors
// at GET /api/v1/security/events and on the page /security (secmonui).
package secmon

import (
	"context"
	"embed"
	"fmt"
	"log/slog"
	"slices"
	"time"

	"github.com/populus-vn/populus/internal/auth"
	"github.com/populus-vn/populus/internal/db"
)

//go:embed migrations
var migrations embed.FS

// Schema is the security events' table.
var Schema = &db.Schema{Name: "secmon", FS: migrations}

// ReadEvents is reading the security events: nation-wide auditors, as for
// the audit log (the events name accounts of every unit).
var ReadEvents = auth.Declare("security.events.read", auth.Grant{Role: auth.Auditor, NationOnly: true})

// Kinds of event.
const (
	KindRateLimit = "rate_limit" // an account reached a rate limit
	KindOutlier   = "outlier"    // an account read far more people than its peers
)

// Event is one security alert about an account.
type Event struct {
	ID          int64     `json:"id"`
	At          time.Time `json:"at"`
	Kind        string    `json:"kind"`
	Actor       string    `json:"actor"`
	Role        string    `json:"role"`
	Unit        string    `json:"unit"`
	WindowStart time.Time `json:"window_start"`
	WindowEnd   time.Time `json:"window_end"`
	// Count is the distinct people the account read in the window (the
	// searches, for a search limit); Baseline the limit reached, or the
	// median of the account's peers; Peers how many accounts the median
	// is over (0 for a rate limit).
	Count    int    `json:"count"`
	Baseline int    `json:"baseline"`
	Peers    int    `json:"peers"`
	Detail   string `json:"detail"`
}

// Outliers is when an account's reads in a clock hour raise an alert: more
// than Factor times the median of the active accounts of its kind, role and
// scope (itself included, at least MinPeers others), and more than Floor
// distinct people.
type Outliers struct {
	Factor   float64
	Floor    int
	MinPeers int
}

// DefaultOutliers: five times the peers' median and over 200 people in an
// hour, among at least 3 other active accounts.
var DefaultOutliers = Outliers{Factor: 5, Floor: 200, MinPeers: 3}

// Monitor is the capability: it stores the limiter's rate-limit alerts,
// computes the outlier alerts from the limiter's counters every minute, and
// serves the events to auditors.
type Monitor struct {
	db    *db.DB
	guard *auth.Guard
	audit auth.Recorder
	lim   *Limiter
	out   Outliers
	log   *slog.Logger
}

// New returns the monitor over d and the limiter's counters; g decides who
// may read the events, and rec (the audit log) records each read.
func New(d *db.DB, g *auth.Guard, rec auth.Recorder, lim *Limiter, out Outliers, log *slog.Logger) *Monitor {
	if log == nil {
		log = slog.Default()
	}
	return &Monitor{db: d, guard: g, audit: rec, lim: lim, out: out, log: log}
}

// Run calls Tick every minute until ctx ends, and once more then.
func (m *Monitor) Run(ctx context.Context) {
	t := time.NewTicker(time.Minute)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			if err := m.Tick(context.WithoutCancel(ctx)); err != nil {
				m.log.Warn("security events not stored", "err", err)
			}
			return
		case <-t.C:
			if err := m.Tick(ctx); err != nil {
				m.log.Warn("security events not stored", "err", err)
			}
		}
	}
}

// Tick stores the rate-limit alerts queued since the last tick and the
// outlier alerts of the current and the last clock hour. Alerts that could
// not be stored are kept for the next tick.
func (m *Monitor) Tick(ctx context.Context) error {
	pending, dropped := m.lim.takePending()
	if dropped > 0 {
		m.log.Warn("rate-limit alerts dropped: the queue was full", "count", dropped)
	}
	events := append(pending, m.outliers(m.lim.now())...)
	for i, e := range events {
		if err := m.store(ctx, e); err != nil {
			m.lim.requeue(events[i:])
			return err
		}
	}
	return nil
}

// outliers returns an alert for each account whose count in an hour is
// beyond its peers'.
func (m *Monitor) outliers(now time.Time) []Event {
	type group struct {
		kind  auth.Kind
		role  auth.Role
		scope auth.Scope
		hour  int64
	}
	groups := map[group][]sample{}
	for _, s := range m.lim.samples(now) {
		g := group{s.p.Kind, s.p.Role, s.p.Scope(), s.hour}
		groups[g] = append(groups[g], s)
	}
	var out []Event
	for g, ss := range groups {
		if len(ss) < m.out.MinPeers+1 {
			continue
		}
		counts := make([]int, len(ss))
		for i, s := range ss {
			counts[i] = s.count
		}
		slices.Sort(counts)
		med := counts[(len(counts)-1)/2]
		for _, s := range ss {
			if s.count <= m.out.Floor || float64(s.count) <= m.out.Factor*float64(med) {
				continue
			}
			out = append(out, Event{At: now.UTC(), Kind: KindOutlier, Actor: s.p.ActorID(), Role: string(s.p.Role), Unit: s.p.Unit,
				WindowStart: time.Unix(g.hour, 0).UTC(), WindowEnd: time.Unix(g.hour+3600, 0).UTC(),
				Count: s.count, Baseline: med, Peers: len(ss) - 1,
				Detail: fmt.Sprintf("%d distinct people read in the hour, %.1f× the median of %d %s accounts of %s scope (%d)",
					s.count, float64(s.count)/float64(max(med, 1)), len(ss)-1, g.role, g.scope, med)})
		}
	}
	return out
}

// store inserts e, once per kind, account and window: a later alert of the
// same window (an outlier whose count grew) keeps the first.
func (m *Monitor) store(ctx context.Context, e Event) error {
	_, err := m.db.ExecContext(ctx, `INSERT INTO security_events
		(at, kind, actor, role, unit, window_start, window_end, count, baseline, peers, detail)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
		ON CONFLICT (kind, actor, window_start) DO NOTHING`,
		db.FormatTime(e.At), e.Kind, e.Actor, e.Role, e.Unit, db.FormatTime(e.WindowStart), db.FormatTime(e.WindowEnd),
		e.Count, e.Baseline, e.Peers, e.Detail)
	return err
}

// Events returns to p the events, newest first, at most limit, before the
// event id before (0 for the newest), and the id the next page starts
// before (0 after the last page). Only a nation-wide auditor may read them;
// the read is recorded in the audit log before they are returned, and a
// refusal too.
func (m *Monitor) Events(ctx context.Context, p auth.Principal, before int64, limit int) ([]Event, int64, error) {
	if err := m.guard.Check(ctx, p, ReadEvents, "", ""); err != nil {
		return nil, 0, err
	}
	if err := m.audit.Allow(ctx, p, ReadEvents, "security events", ""); err != nil {
		return nil, 0, err
	}
	if before <= 0 {
		before = 1<<63 - 1
	}
	rows, err := m.db.QueryContext(ctx, `SELECT id, at, kind, actor, role, unit, window_start, window_end, count, baseline, peers, detail
		FROM security_events WHERE id < $1 ORDER BY id DESC LIMIT $2`, before, limit+1)
	events, err := db.Collect(rows, err, func(s db.Scanner) (Event, error) {
		var e Event
		err := s.Scan(&e.ID, db.Time{T: &e.At}, &e.Kind, &e.Actor, &e.Role, &e.Unit, db.Time{T: &e.WindowStart}, db.Time{T: &e.WindowEnd},
			&e.Count, &e.Baseline, &e.Peers, &e.Detail)
		return e, err
	})
	if err != nil {
		return nil, 0, err
	}
	var last int64
	if len(events) > limit {
		events = events[:limit]
		last = events[limit-1].ID
	}
	if events == nil {
		events = []Event{}
	}
	return events, last, nil
}
