package register

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"reflect"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/populus-vn/populus/internal/audit"
	"github.com/populus-vn/populus/internal/auth"
	"github.com/populus-vn/populus/internal/civil"
	"github.com/populus-vn/populus/internal/db"
	"github.com/populus-vn/populus/internal/people"
	"github.com/populus-vn/populus/internal/problem"
)

// change is one civil event being applied: a transaction in which people are
// loaded, checked and saved, each save appending a history entry.
type change struct {
	r       *Register
	ctx     context.Context
	tx      *sql.Tx
	pr      auth.Principal
	kind    people.EventKind
	meta    people.Meta
	eventID string
	at      time.Time
	// g decides, holding its audit entries until the transaction has
	// ended: the audit log commits on its own connection.
	g *auth.Guard
	// written are the people the event wrote that its answer is about, in
	// their state after it (answer).
	written []people.Person
	// details are the particulars of the act recorded with each of its
	// history entries (people.Event.Details), nil when it has none.
	details map[string]string
	// hidden are the PINs of the people a rule of law lets this event
	// concern though they are out of the caller's reach (loadBeyondReach):
	// a rule that fails on their facts answers as for an unknown PIN (about).
	hidden map[string]bool
}

// Written is one person a civil event wrote, as its answer shows them: the
// record when the caller may read the person after the event (and the
// answer is audited as that read), else only the acknowledgement: the
// event's id and the PIN. It encodes as the person's JSON, or as
// {"event_id": …, "pin": …}.
type Written struct {
	EventID string
	PIN     string
	Person  *people.Person // nil: the caller may not read the person
}

// MarshalJSON writes the person, or the acknowledgement.
func (w Written) MarshalJSON() ([]byte, error) {
	if w.Person != nil {
		return w.Person.AppendJSON(nil), nil
	}
	return json.Marshal(Acknowledgement{w.EventID, w.PIN})
}

// Acknowledgement is the answer about a person a civil event wrote whom
// the caller may not read: the event's id and the PIN.
type Acknowledgement struct {
	EventID string `json:"event_id"`
	PIN     string `json:"pin"`
}

// record is the person as the exported methods return it: the record, or
// a person with only the PIN set.
func (w Written) record() people.Person {
	if w.Person != nil {
		return *w.Person
	}
	return people.Person{PIN: w.PIN}
}

// WithDryRun makes the civil events registered with ctx a check: each runs
// as it would, every rule decided and the refusals audited, in its
// transaction, which is then undone; it answers no one, and nil when the
// event would be registered. The pages' check step shows an officer what
// the register would refuse before anything is asked to be confirmed.
func WithDryRun(ctx context.Context) context.Context {
	return context.WithValue(ctx, dryRunKey{}, true)
}

type dryRunKey struct{}

// errDryRun undoes a dry run's transaction.
var errDryRun = errors.New("register: dry run")

// apply runs fn as one civil event of the given kind. Either every person it
// touches is saved with its history entry and audit entry, or nothing is.
// It answers with the people fn noted (change.answer), each as the caller
// may see them (answers).
func (r *Register) apply(ctx context.Context, pr auth.Principal, kind people.EventKind, meta people.Meta, fn func(c *change) error) ([]Written, error) {
	if err := checkMeta(meta); err != nil {
		return nil, err
	}
	if meta.LegalBasis == "" {
		meta.LegalBasis = defaultLegalBasis[kind]
	}
	c := &change{r: r, ctx: ctx, pr: pr, kind: kind, meta: meta, eventID: newID("E")}
	var flush func(context.Context) error
	dry, _ := ctx.Value(dryRunKey{}).(bool)
	err := r.db.InTx(ctx, func(tx *sql.Tx) error {
		c.tx, c.at, c.written, c.hidden = tx, now(), nil, nil
		c.g, flush = r.guard.Deferred()
		if err := fn(c); err != nil || !dry {
			return err
		}
		return errDryRun // every rule passed: undo it all
	})
	if flush != nil {
		// The reads and refusals the event decided are audited, a dry
		// run's too: its answer (a rule's error) tells of the people.
		if aerr := flush(ctx); aerr != nil {
			return nil, errors.Join(err, fmt.Errorf("audit: %w", aerr))
		}
	}
	if errors.Is(err, errDryRun) {
		return nil, nil
	}
	if db.IsRetryable(err) {
		return nil, problem.New(problem.Conflict, "the records changed while this event was being registered; try again")
	}
	if err != nil {
		return nil, err
	}
	return r.answers(ctx, pr, c.eventID, c.written), nil
}

// answers is what a committed event may tell the caller of the people it
// wrote: the record of each person the caller may read now, the event
// having been registered (a read, audited as one against each PIN), and of
// any other only the PIN and the event's id. Should the audit log refuse
// the reads, the answer holds acknowledgements only: the event stands.
func (r *Register) answers(ctx context.Context, pr auth.Principal, eventID string, written []people.Person) []Written {
	out := make([]Written, len(written))
	var readable []string
	for i := range written {
		p := &written[i]
		out[i] = Written{EventID: eventID, PIN: p.PIN}
		if r.guard.Policy.Allowed(pr, auth.ReadPerson, people.ResponsibleUnit(p)) {
			out[i].Person = p
			readable = append(readable, p.PIN)
		}
	}
	if err := r.guard.Disclosed(ctx, pr, auth.ReadPerson, "answer to event "+eventID, readable...); err != nil {
		for i := range out {
			out[i].Person = nil
		}
	}
	return out
}

// answer notes a person, as saved, that the event's answer is about.
func (c *change) answer(p people.Person) { c.written = append(c.written, p) }

// defaultLegalBasis is recorded when the officer names none.
var defaultLegalBasis = map[people.EventKind]string{
	people.KindBirth:            "Luật Hộ tịch 2014, Điều 13–17",
	people.KindDeath:            "Luật Hộ tịch 2014, Điều 32–34",
	people.KindMarriage:         "Luật Hộ tịch 2014, Điều 17–18; Luật Hôn nhân và gia đình 2014, Điều 8",
	people.KindDivorce:          "Luật Hôn nhân và gia đình 2014, Điều 51–57",
	people.KindResidence:        "Luật Cư trú 2020, Điều 20–28",
	people.KindResidenceRemoval: "Luật Cư trú 2020, Điều 24 và 29",
	people.KindCorrection:       "Luật Hộ tịch 2014, Điều 26–28",
	people.KindHeadChange:       "Luật Cư trú 2020, Điều 26",
}

// kindAction is the action each kind of event needs.
var kindAction = map[people.EventKind]auth.Action{
	people.KindBirth:            auth.RegisterBirth,
	people.KindDeath:            auth.RegisterDeath,
	people.KindMarriage:         auth.RegisterMarriage,
	people.KindDivorce:          auth.RegisterMarriage,
	people.KindResidence:        auth.RegisterResidence,
	people.KindResidenceRemoval: auth.RegisterResidence,
	people.KindCorrection:       auth.CorrectRecord,
	people.KindAnnulment:        auth.CorrectRecord,
	people.KindHeadChange:       auth.RegisterResidence,
}

// checkMeta validates what every civil event carries besides its facts.
func checkMeta(m people.Meta) error {
	var f problem.Fields
	if utf8.RuneCountInString(m.Reason) > 1000 {
		f.Add("reason", "is longer than 1000 characters")
	}
	if utf8.RuneCountInString(m.LegalBasis) > 500 {
		f.Add("legal_basis", "is longer than 500 characters")
	}
	if today().CertainlyBefore(m.Effective) {
		f.Add("effective_date", "%s is in the future", day(m.Effective))
	}
	return f.Err()
}

// load reads a person for change, locking the row on PostgreSQL (SQLite write
// transactions hold the database lock from BEGIN).
func (c *change) load(field, pinStr string) (people.Person, error) {
	if err := checkPIN(field, pinStr); err != nil {
		return people.Person{}, err
	}
	p, err := c.r.load(c.ctx, c.tx, pinStr)
	if problem.Is(err, problem.NotFound) {
		return p, problem.Field(field, "no person with PIN %s in the register", pinStr)
	}
	return p, err
}

// authorize checks the action on a unit, inside the transaction; a refusal
// is audited after it. The unit must be one the caller named (where a birth
// or a residence is registered): a refusal names it. For a unit read from a
// person's record, use loadInReach, whose refusal does not.
func (c *change) authorize(a auth.Action, unit, subject string) error {
	return c.g.Check(c.ctx, c.pr, a, unit, subject)
}

// refuseRole refuses, before anything is read, a principal whose role may
// not do a anywhere, so that the refusal says nothing of the records.
func (c *change) refuseRole(a auth.Action, subject string) error {
	return c.g.Role(c.ctx, c.pr, a, subject)
}

// loadInReach loads the person an event is about, who must be within the
// principal's reach for a at the unit unitOf gives (nil: ResponsibleUnit).
// As for reads (Register.Get), the refusal is the same whether the PIN
// exists or not and names no unit, so that a failed event tells an officer
// neither that a person exists nor where they live; the audit entry says
// which. Only a nation-wide principal is told that a PIN is unknown.
func (c *change) loadInReach(field, pinStr string, a auth.Action, unitOf func(*people.Person) string) (people.Person, error) {
	if err := checkPIN(field, pinStr); err != nil {
		return people.Person{}, err
	}
	if err := c.refuseRole(a, pinStr); err != nil {
		return people.Person{}, err
	}
	p, err := c.r.load(c.ctx, c.tx, pinStr)
	found := err == nil
	if err != nil && !problem.Is(err, problem.NotFound) {
		return p, err
	}
	if unitOf == nil {
		unitOf = people.ResponsibleUnit
	}
	unit := ""
	if found {
		unit = unitOf(&p)
	}
	return p, c.g.Find(c.ctx, c.pr, a, pinStr, "person with PIN "+pinStr, found, unit,
		problem.Field(field, "no person with PIN %s in the register", pinStr))
}

// outOfReach refuses a on the person with PIN subject, auditing detail.
func (c *change) outOfReach(a auth.Action, subject, detail string) error {
	return c.g.OutOfReach(c.ctx, c.pr, a, subject, detail, "person with PIN "+subject)
}

// loadBeyondReach loads a person whom a rule of law lets the event concern
// though they may be out of the caller's reach for a (someone moving into
// the caller's commune; the other party of a marriage registered where one
// party lives). An unknown PIN gets the refusal of a person out of reach
// (only a nation-wide principal is told it is unknown); a person out of
// reach is loaded but hidden: every rule that fails on their record must
// answer through about, so that the answer does not depend on facts the
// caller may not read.
func (c *change) loadBeyondReach(field, pinStr string, a auth.Action) (people.Person, error) {
	if err := checkPIN(field, pinStr); err != nil {
		return people.Person{}, err
	}
	p, err := c.r.load(c.ctx, c.tx, pinStr)
	if problem.Is(err, problem.NotFound) {
		return p, c.g.Find(c.ctx, c.pr, a, pinStr, "person with PIN "+pinStr, false, "",
			problem.Field(field, "no person with PIN %s in the register", pinStr))
	}
	if err != nil {
		return p, err
	}
	if !c.g.Policy.Allowed(c.pr, a, people.ResponsibleUnit(&p)) {
		if c.hidden == nil {
			c.hidden = map[string]bool{}
		}
		c.hidden[p.PIN] = true
	}
	return p, nil
}

// about returns err, a rule's refusal that depends on the records of the
// people with the PINs given, when the caller may read them all; when one
// is hidden (loadBeyondReach) it returns instead the refusal of a person out
// of reach, the one an unknown PIN gets, audited against that PIN with err
// as the detail for the log's readers.
func (c *change) about(err error, pins ...string) error {
	if err == nil {
		return nil
	}
	for _, pin := range pins {
		if c.hidden[pin] {
			return c.outOfReach(kindAction[c.kind], pin, "refused by a rule: "+err.Error())
		}
	}
	return err
}

// loadPairInReach loads the two parties of a marriage or a divorce, in PIN
// order so that two transactions locking the same pair cannot deadlock, and
// returns them in the order asked. The event may be registered where either
// party lives (Luật Hộ tịch 2014, art. 17): the officer must reach one; the
// other may be out of reach, and is then hidden (loadBeyondReach). An
// officer who reaches neither, or who reaches one while the other PIN is
// unknown, gets the refusal of a person out of reach, the same whether the
// PINs exist or not, audited against each PIN out of reach.
func (c *change) loadPairInReach(a auth.Action, field1, pin1, field2, pin2 string) (people.Person, people.Person, error) {
	for _, x := range [][2]string{{field1, pin1}, {field2, pin2}} {
		if err := checkPIN(x[0], x[1]); err != nil {
			return people.Person{}, people.Person{}, err
		}
	}
	if err := c.refuseRole(a, pin1); err != nil {
		return people.Person{}, people.Person{}, err
	}
	first, second := pin1, pin2
	if pin2 < pin1 {
		first, second = pin2, pin1
	}
	loaded := map[string]people.Person{}
	for _, pin := range []string{first, second} {
		p, err := c.r.load(c.ctx, c.tx, pin)
		switch {
		case problem.Is(err, problem.NotFound):
		case err != nil:
			return people.Person{}, people.Person{}, err
		default:
			loaded[pin] = p
		}
	}
	everywhere := c.g.Policy.Everywhere(c.pr, a)
	reach := map[string]bool{}
	for pin, p := range loaded {
		reach[pin] = c.g.Policy.Allowed(c.pr, a, people.ResponsibleUnit(&p))
	}
	if everywhere {
		for _, x := range [][2]string{{field1, pin1}, {field2, pin2}} {
			if _, ok := loaded[x[1]]; !ok {
				return people.Person{}, people.Person{}, problem.Field(x[0], "no person with PIN %s in the register", x[1])
			}
		}
		return loaded[pin1], loaded[pin2], nil
	}
	if !reach[pin1] && !reach[pin2] {
		// Refused at either PIN: audited against both, answered as for the first.
		var err error
		for _, pin := range []string{pin2, pin1} {
			err = c.outOfReach(a, pin, c.why(loaded, pin))
		}
		return people.Person{}, people.Person{}, err
	}
	for _, pin := range []string{pin1, pin2} {
		if _, ok := loaded[pin]; !ok {
			return people.Person{}, people.Person{}, c.outOfReach(a, pin, "no such person")
		}
	}
	for _, pin := range []string{pin1, pin2} {
		if !reach[pin] {
			if c.hidden == nil {
				c.hidden = map[string]bool{}
			}
			c.hidden[pin] = true
		}
	}
	return loaded[pin1], loaded[pin2], nil
}

// why is the audit detail of a refusal at pin: its unit, or that it is unknown.
func (c *change) why(loaded map[string]people.Person, pin string) string {
	p, ok := loaded[pin]
	if !ok {
		return "no such person"
	}
	return "unit " + people.ResponsibleUnit(&p)
}

// householdInReach loads the household id for a, which must be within the
// caller's reach at its unit: as for reads (Register.Household), an unknown
// household and one out of reach get the same refusal, audited against
// "household:<id>"; only a nation-wide principal is told it is unknown.
func (c *change) householdInReach(field, id string, a auth.Action) (people.Household, error) {
	var h people.Household
	err := c.tx.QueryRowContext(c.ctx, `SELECT id, unit_code, address, created_at FROM households WHERE id = $1`, id).
		Scan(&h.ID, &h.UnitCode, &h.Address, db.Time{T: &h.CreatedAt})
	found := !errors.Is(err, sql.ErrNoRows)
	if found && err != nil {
		return h, err
	}
	return h, c.g.Find(c.ctx, c.pr, a, "household:"+id, "household "+id, found, h.UnitCode,
		problem.Field(field, "no household %s in the register", id))
}

// diff returns the fields that differ between two versions of a person,
// leaving out the bookkeeping fields.
func diff(before, after people.Person) (map[string]people.Change, error) {
	b, err := toFields(before)
	if err != nil {
		return nil, err
	}
	a, err := toFields(after)
	if err != nil {
		return nil, err
	}
	out := map[string]people.Change{}
	for k, nv := range a {
		switch k {
		case "version", "created_at", "updated_at":
			continue
		}
		if ov := b[k]; !reflect.DeepEqual(ov, nv) {
			out[k] = people.Change{Old: ov, New: nv}
		}
	}
	for k, ov := range b {
		if _, ok := a[k]; !ok {
			out[k] = people.Change{Old: ov, New: nil}
		}
	}
	return out, nil
}

// save writes a changed person, guarded by its version, and appends the
// history entry.
func (c *change) save(before, after people.Person) (people.Person, error) {
	changes, err := diff(before, after)
	if err != nil {
		return after, err
	}
	if len(changes) == 0 {
		return before, nil
	}
	after.Version = before.Version + 1
	after.UpdatedAt = c.at
	row := personRow(&after)
	sets := make([]string, 0, len(personColumns))
	for i, col := range personColumns[1:] {
		sets = append(sets, fmt.Sprintf("%s = $%d", col, i+2))
	}
	args := append(row, before.Version)
	res, err := c.tx.ExecContext(c.ctx, `UPDATE persons SET `+strings.Join(sets, ", ")+
		fmt.Sprintf(` WHERE pin = $1 AND version = $%d`, len(args)), args...)
	if err != nil {
		return after, c.storeErr(err)
	}
	if n, _ := res.RowsAffected(); n != 1 {
		return after, problem.New(problem.Conflict, "the record of %s changed while this event was being registered; try again", before.PIN)
	}
	return after, c.event(after.PIN, after.Version, changes)
}

// insert stores a new person (a birth) and its first history entry.
func (c *change) insert(p people.Person) (people.Person, bool, error) {
	p.Version, p.CreatedAt, p.UpdatedAt = 1, c.at, c.at
	cols := strings.Join(personColumns[:], ", ")
	ph := make([]string, len(personColumns))
	for i := range ph {
		ph[i] = fmt.Sprintf("$%d", i+1)
	}
	res, err := c.tx.ExecContext(c.ctx, `INSERT INTO persons (`+cols+`) VALUES (`+strings.Join(ph, ",")+`) ON CONFLICT (pin) DO NOTHING`, personRow(&p)...)
	if err != nil {
		return p, false, c.storeErr(err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return p, false, nil // the PIN is taken: the caller draws another
	}
	changes, err := diff(people.Person{}, p)
	if err != nil {
		return p, false, err
	}
	return p, true, c.event(p.PIN, 1, changes)
}

func (c *change) event(pinStr string, version int, changes map[string]people.Change) error {
	b, err := json.Marshal(changes)
	if err != nil {
		return err
	}
	eff := c.meta.Effective
	if eff.IsZero() {
		eff = civil.DateOf(c.at)
	}
	// The act's particulars, and who registered it as the history shows
	// them (the name and role at the time).
	dm := maps.Clone(c.details)
	if dm == nil {
		dm = map[string]string{}
	}
	if c.pr.DisplayName != "" {
		dm[people.DetailActorName] = c.pr.DisplayName
	}
	if c.pr.Role != "" {
		dm[people.DetailActorRole], dm[people.DetailActorUnit] = string(c.pr.Role), c.pr.Unit
	}
	details := ""
	if len(dm) > 0 {
		d, err := json.Marshal(dm)
		if err != nil {
			return err
		}
		details = string(d)
	}
	_, err = c.tx.ExecContext(c.ctx, `INSERT INTO person_events (pin, version, kind, event_id, effective, recorded_at, actor, reason, legal_basis, changes, details)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`,
		pinStr, version, string(c.kind), c.eventID, eff.String(), db.FormatTime(c.at), c.pr.ActorID(), c.meta.Reason, c.meta.LegalBasis, string(b), details)
	if err != nil {
		return err
	}
	if len(c.r.onEvent) > 0 {
		rec := Recorded{EventID: c.eventID, Kind: c.kind, PIN: pinStr, Version: version, Effective: eff,
			Fields: slices.Sorted(maps.Keys(changes))}
		for _, h := range c.r.onEvent {
			if err := h(c.ctx, c.tx, rec); err != nil {
				return err
			}
		}
	}
	// The households the person joined or left, for their view as of a
	// past day (Register.HouseholdAsOf).
	if hc, ok := changes["household_id"]; ok {
		for _, h := range []any{hc.Old, hc.New} {
			if id, _ := h.(string); id != "" {
				if _, err := c.tx.ExecContext(c.ctx, `INSERT INTO household_events (household_id, pin) VALUES ($1, $2) ON CONFLICT DO NOTHING`, id, pinStr); err != nil {
					return err
				}
			}
		}
	}
	return c.r.audit.RecordTx(c.ctx, c.tx, audit.Of(c.pr, auth.Action("event."+string(c.kind)), pinStr).With(c.eventID))
}

// storeErr turns constraint violations into conflicts the caller can act on.
func (c *change) storeErr(err error) error {
	if db.IsUniqueViolation(err) {
		msg := err.Error()
		switch {
		case strings.Contains(msg, "household_head") || strings.Contains(msg, "persons.household_id"):
			return problem.Field("relation_to_head", "the household already has a head")
		case strings.Contains(msg, "cmnd"):
			return problem.Field("cmnd", "another person holds this CMND number")
		}
		return problem.New(problem.Conflict, "the change conflicts with another record")
	}
	return err
}

// createHousehold adds a household at a unit.
func (c *change) createHousehold(a people.Address) (string, error) {
	id := newID("H")
	_, err := c.tx.ExecContext(c.ctx, `INSERT INTO households (id, unit_code, address, created_at) VALUES ($1, $2, $3, $4)`,
		id, a.Unit, a.Detail, db.FormatTime(c.at))
	return id, err
}

// livingMembers counts the living members of a household other than pinStr.
func (c *change) otherLivingMembers(householdID, pinStr string) (int, error) {
	var n int
	err := c.tx.QueryRowContext(c.ctx, `SELECT count(*) FROM persons WHERE household_id = $1 AND pin <> $2 AND status = 'alive'`,
		householdID, pinStr).Scan(&n)
	return n, err
}

// lastEffective is the effective date of a person's latest event of a kind;
// the zero Date if there is none (a marriage imported with the record).
func (c *change) lastEffective(pinStr string, kind people.EventKind) (civil.Date, error) {
	var eff string
	err := c.tx.QueryRowContext(c.ctx, `SELECT effective FROM person_events WHERE pin = $1 AND kind = $2 ORDER BY version DESC LIMIT 1`,
		pinStr, string(kind)).Scan(&eff)
	if errors.Is(err, sql.ErrNoRows) {
		return civil.Date{}, nil
	}
	return parseStoredDate(eff), err
}
