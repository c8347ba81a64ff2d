package register

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/populus-vn/populus/internal/auth"
	"github.com/populus-vn/populus/internal/people"
	"github.com/populus-vn/populus/internal/problem"
)

// annullable are the acts an annulment may void, each with the action its
// annulment needs (that of the act).
var annullable = map[people.EventKind]bool{
	people.KindBirth: true, people.KindDeath: true, people.KindMarriage: true, people.KindDivorce: true,
	people.KindResidence: true, people.KindResidenceRemoval: true, people.KindCorrection: true, people.KindHeadChange: true,
}

// entry is one history entry of the act being annulled.
type entry struct {
	pin     string
	version int
	kind    people.EventKind
	changes map[string]people.Change
}

// Annul voids a civil act registered by mistake (people.Annulment): every
// field the act changed is set back, in one event recorded beside the act,
// and a birth's record is marked annulled. The reason and the legal basis
// are required. The act must be the latest of each person it touched: a
// later act is annulled first. The officer must be able to register the
// act on its first person (the child, the deceased, the first spouse); the
// other people it touched (a spouse) may live anywhere and are answered
// about as for an unknown PIN. It returns the first person, or only the
// PIN if the caller may not read them.
func (r *Register) Annul(ctx context.Context, pr auth.Principal, a people.Annulment) (people.Person, error) {
	w, err := r.annul(ctx, pr, a)
	return first(w), err
}

func (r *Register) annul(ctx context.Context, pr auth.Principal, a people.Annulment) ([]Written, error) {
	var f problem.Fields
	a.EventID = strings.TrimSpace(a.EventID)
	if a.EventID == "" {
		f.Add("event_id", "is required")
	} else if len(a.EventID) > 40 {
		f.Add("event_id", "is not the id of an event")
	}
	if strings.TrimSpace(a.Reason) == "" {
		f.Add("reason", "an annulment must say why")
	}
	if strings.TrimSpace(a.LegalBasis) == "" {
		f.Add("legal_basis", "an annulment must name its legal basis")
	}
	if err := f.Err(); err != nil {
		return nil, err
	}
	return r.apply(ctx, pr, people.KindAnnulment, a.Meta, func(c *change) error {
		entries, err := c.entries(a.EventID)
		if err != nil {
			return err
		}
		unknown := problem.Field("event_id", "no event %s in the register", a.EventID)
		if len(entries) == 0 {
			// Only who may annul anything is told that it does not exist.
			if !auth.Can(c.pr.Role, auth.CorrectRecord) && auth.Can(c.pr.Role, auth.RegisterResidence) {
				return c.g.Find(c.ctx, c.pr, auth.RegisterResidence, "event:"+a.EventID, "event "+a.EventID, false, "", unknown)
			}
			if err := c.refuseRole(auth.CorrectRecord, "event:"+a.EventID); err != nil {
				return err
			}
			return c.g.Find(c.ctx, c.pr, auth.CorrectRecord, "event:"+a.EventID, "event "+a.EventID, false, "", unknown)
		}
		kind := entries[0].kind
		action, ok := kindAction[kind]
		if !ok || !annullable[kind] {
			// An import or an annulment: said only to who may read the person.
			if _, err := c.loadInReach("event_id", entries[0].pin, auth.CorrectRecord, nil); err != nil {
				return err
			}
			return problem.Field("event_id", "an act of kind %s cannot be annulled", kindTerm(kind))
		}
		c.details = map[string]string{people.DetailAnnulledEvent: a.EventID, people.DetailAnnulledKind: string(kind)}
		// Every person is loaded and checked first, the act's first person
		// (the one in reach) before any other is looked at; then each is
		// set back, in the reverse order of the act's writes (a change of
		// head gave up the place before taking it: undone, the new head
		// gives it back first).
		loaded := make([]people.Person, len(entries))
		for i, e := range entries {
			var p people.Person
			if i == 0 {
				p, err = c.loadInReach("event_id", e.pin, action, nil)
			} else {
				p, err = c.loadBeyondReach("event_id", e.pin, action)
			}
			if err != nil {
				return err
			}
			annulled, later, err := c.after(p.PIN, e.version, a.EventID)
			switch {
			case err != nil:
				return err
			case annulled:
				return c.about(problem.Field("event_id", "the event %s is already annulled", a.EventID), p.PIN)
			case later:
				return c.about(conflict(problem.Field("event_id", "%s has acts registered after this one; annul them first", p.PIN)), p.PIN)
			}
			loaded[i] = p
		}
		var first people.Person
		for i := len(entries) - 1; i >= 0; i-- {
			after, err := undo(loaded[i], entries[i], kind)
			if err != nil {
				return err
			}
			saved, err := c.save(loaded[i], after)
			if err != nil {
				return err
			}
			if i == 0 {
				first = saved
			}
		}
		c.answer(first)
		return nil
	})
}

// undo is p with the changes of entry e set back; a birth's record is kept,
// marked annulled and out of its household.
func undo(p people.Person, e entry, kind people.EventKind) (people.Person, error) {
	if kind == people.KindBirth {
		p.Status, p.HouseholdID, p.Relation = people.Annulled, "", ""
		return p, nil
	}
	fields, err := toFields(p)
	if err != nil {
		return p, err
	}
	for name, ch := range e.changes {
		fields[name] = ch.Old
	}
	var out people.Person
	b, _ := json.Marshal(fields)
	if err := json.Unmarshal(b, &out); err != nil {
		return p, fmt.Errorf("annul %s/%d: %w", e.pin, e.version, err)
	}
	return out, nil
}

// entries are the history entries of one act, in the order written.
func (c *change) entries(eventID string) ([]entry, error) {
	rows, err := c.tx.QueryContext(c.ctx, `SELECT pin, version, kind, changes FROM person_events WHERE event_id = $1 ORDER BY id`, eventID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []entry
	for rows.Next() {
		var e entry
		var changes string
		if err := rows.Scan(&e.pin, &e.version, &e.kind, &changes); err != nil {
			return nil, err
		}
		if err := json.Unmarshal([]byte(changes), &e.changes); err != nil {
			return nil, fmt.Errorf("event %s: %w", eventID, err)
		}
		out = append(out, e)
	}
	return out, rows.Err()
}

// after reads the history of pinStr after version: whether an annulment
// there voids the act eventID, and whether an act there is still in force
// (not itself annulled), which must be annulled first.
func (c *change) after(pinStr string, version int, eventID string) (annulled, later bool, err error) {
	rows, err := c.tx.QueryContext(c.ctx, `SELECT event_id, kind, details FROM person_events WHERE pin = $1 AND version > $2 ORDER BY version`,
		pinStr, version)
	if err != nil {
		return false, false, err
	}
	defer rows.Close()
	voided := map[string]bool{}
	var acts []string
	for rows.Next() {
		var id, kind, details string
		if err := rows.Scan(&id, &kind, &details); err != nil {
			return false, false, err
		}
		if people.EventKind(kind) != people.KindAnnulment {
			acts = append(acts, id)
			continue
		}
		var d map[string]string
		if json.Unmarshal([]byte(details), &d) == nil {
			voided[d[people.DetailAnnulledEvent]] = true
		}
	}
	if err := rows.Err(); err != nil {
		return false, false, err
	}
	for _, id := range acts {
		if !voided[id] {
			later = true
		}
	}
	return voided[eventID], later, nil
}

// ActionOf is the action an act of kind k needs, and its annulment: the
// pages offer to annul only the acts the officer's role may register.
func ActionOf(k people.EventKind) (auth.Action, bool) {
	a, ok := kindAction[k]
	return a, ok && annullable[k]
}
