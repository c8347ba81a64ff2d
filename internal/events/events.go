// Package events is the register's change subscriptions: a transactional
// outbox written inside the transaction of each civil event (deaths, name
// changes, residence moves, births), subscriptions of the data-exchange
// platform's member systems to those events (for every person, or for a
// watch list of PINs), and their delivery, at least once and in order, by
// signed webhooks and to NATS JetStream.
//
// An event carries no detail of the person: its id (the idempotency key),
// its type, the PIN, the day it took effect and the register's version of
// the record after it. The subscriber reads what it may through the
// look-up service, with its rights. Each delivery discloses a fact about a
// person (that something happened to them) and is audited as a read of
// that person by the subscriber.
package events

import (
	"context"
	"database/sql"
	"embed"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/populus-vn/populus/internal/audit"
	"github.com/populus-vn/populus/internal/auth"
	"github.com/populus-vn/populus/internal/db"
	"github.com/populus-vn/populus/internal/people"
	"github.com/populus-vn/populus/internal/register"
)

//go:embed migrations
var migrations embed.FS

// Schema is the outbox, the subscriptions and their delivery state.
var Schema = &db.Schema{Name: "events", FS: migrations, Requires: []*db.Schema{audit.Schema}}

// Type is a kind of change a member may subscribe to.
type Type string

// The types of events.
const (
	Birth         Type = "birth"          // a person was born (the newborn's record created)
	Death         Type = "death"          // a person died
	NameChange    Type = "name_change"    // a person's full name changed
	ResidenceMove Type = "residence_move" // a person's permanent residence changed
)

// Types lists every type, in the order they are shown.
var Types = []Type{Birth, Death, NameChange, ResidenceMove}

// Valid reports whether t is one of Types.
func (t Type) Valid() bool { return slices.Contains(Types, t) }

// Field is the field of a person (as the data exchange's person look-up
// names it, exchange.PersonFields) whose change an event of type t
// discloses: the subscriber's rights must grant it, and the person's
// consent cover it where the purpose needs consent. The one mapping of
// types to fields; "" for an unknown type.
func (t Type) Field() string {
	switch t {
	case Birth:
		return "birth_date"
	case Death:
		return "status"
	case NameChange:
		return "full_name"
	case ResidenceMove:
		return "permanent_residence"
	}
	return ""
}

// Event is what a subscriber receives: never a detail of the person.
type Event struct {
	ID              string `json:"id"`
	Type            Type   `json:"type"`
	PIN             string `json:"pin"`
	Date            string `json:"date"`
	RegisterVersion int    `json:"register_version"`
}

// Classify returns the types of events a person's history entry makes, in
// the order of Types; none for the changes no one subscribes to (a
// marriage, a card).
func Classify(r register.Recorded) []Type {
	has := func(f ...string) bool {
		for _, x := range f {
			if slices.Contains(r.Fields, x) {
				return true
			}
		}
		return false
	}
	var out []Type
	if r.Kind == people.KindBirth && r.Version == 1 {
		out = append(out, Birth)
	}
	if r.Kind == people.KindDeath && has("status", "death_date") {
		out = append(out, Death)
	}
	if r.Kind != people.KindBirth && has("full_name") {
		out = append(out, NameChange)
	}
	// Only the permanent residence: a change of the temporary residence
	// or of the current address alone would tell a subscriber granted the
	// permanent residence (ResidenceMove's field) of a change it may not
	// read.
	if r.Kind != people.KindBirth && has("permanent_residence") {
		out = append(out, ResidenceMove)
	}
	return out
}

// eventID is the id of the event of type t about pin made by the civil
// event id: the same on every delivery, so that a subscriber applies it
// once.
func eventID(civilEvent, pin string, t Type) string {
	return civilEvent + "." + pin + "." + string(t)
}

// Record is the register's event hook (register.OnEvent): inside the civil
// event's transaction it adds the outbox rows of the person it wrote, in
// one INSERT, or nothing when no type applies.
func Record(ctx context.Context, tx *sql.Tx, r register.Recorded) error {
	ts := Classify(r)
	if len(ts) == 0 {
		return nil
	}
	var q strings.Builder
	q.WriteString(`INSERT INTO events_outbox (event_id, type, pin, date, version, recorded_at) VALUES `)
	args := make([]any, 0, 6*len(ts))
	at := db.FormatTime(time.Now())
	for i, t := range ts {
		if i > 0 {
			q.WriteString(", ")
		}
		n := len(args)
		q.WriteString("(")
		for j := 1; j <= 6; j++ {
			if j > 1 {
				q.WriteString(", ")
			}
			q.WriteString("$" + strconv.Itoa(n+j))
		}
		q.WriteString(")")
		args = append(args, eventID(r.EventID, r.PIN, t), string(t), r.PIN, r.Effective.String(), r.Version, at)
	}
	_, err := tx.ExecContext(ctx, q.String(), args...)
	return err
}

// The capability's actions. Administrators list every subscription and
// its delivery state on their page (no person's data there).
var (
	ReadSubscriptions = auth.Declare("events.subscriptions.read", auth.Grant{Role: auth.Admin, NationOnly: true})
)

// Audited actions of the members' own management of their subscriptions
// (the audit log's action names; not table grants: a member manages its
// own subscriptions).
const (
	actionSubscribe   auth.Action = "events.subscribe"
	actionUnsubscribe auth.Action = "events.unsubscribe"
	actionWatch       auth.Action = "events.watch"
	actionResume      auth.Action = "events.resume"
)
