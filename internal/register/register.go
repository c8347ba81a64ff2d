package register

import (
	"cmp"
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode"

	"github.com/populus-vn/populus/internal/audit"
	"github.com/populus-vn/populus/internal/auth"
	"github.com/populus-vn/populus/internal/civil"
	"github.com/populus-vn/populus/internal/db"
	"github.com/populus-vn/populus/internal/people"
	"github.com/populus-vn/populus/internal/pin"
	"github.com/populus-vn/populus/internal/problem"
	"github.com/populus-vn/populus/internal/textfold"
	"github.com/populus-vn/populus/internal/units"
)

// Register reads and changes the population register.
type Register struct {
	db          *db.DB
	guard       *auth.Guard
	audit       *audit.Log
	units       *units.Registry
	personByPIN string
	// onDeath are called inside the transaction of each death registered
	// (OnDeath).
	onDeath []TxHook
	// onEvent are called inside the transaction of every civil event, for
	// each person it writes (OnEvent).
	onEvent []EventHook
	// cards counts the chip cards shown for people out of reach that did
	// not match (cards.go).
	cards *cardChecks
}

// Recorded is one person a civil event wrote, as an event hook is told of
// it: the event, the person's PIN and version after it, the day it takes
// effect and the names of the fields it changed (people.Person's JSON
// names). It carries no value.
type Recorded struct {
	EventID   string
	Kind      people.EventKind
	PIN       string
	Version   int
	Effective civil.Date
	Fields    []string
}

// EventHook is work another capability does inside the transaction of a
// civil event, once for each person the event writes (a change
// subscriptions' outbox): an error it returns undoes the whole event.
type EventHook func(ctx context.Context, tx *sql.Tx, r Recorded) error

// OnEvent adds work done inside the transaction of every civil event, for
// each person it writes. Call it while wiring, before the register serves
// requests.
func (r *Register) OnEvent(h EventHook) { r.onEvent = append(r.onEvent, h) }

// TxHook is work another capability does inside the transaction of a civil
// event, on the register's store: it sees the event's writes, and an error
// it returns undoes the whole event.
type TxHook func(ctx context.Context, tx *sql.Tx, pin string) error

// OnDeath adds work done inside the transaction of every death registered,
// with the PIN of the deceased (revoking their identity account, so that a
// dead person cannot sign in from the moment the register says so). Call
// it while wiring, before the register serves requests.
func (r *Register) OnDeath(h TxHook) { r.onDeath = append(r.onDeath, h) }

// New returns a register over d. Every read and change is checked by g;
// changes record their audit entries in log, in their own transaction.
func New(d *db.DB, g *auth.Guard, log *audit.Log, u *units.Registry) *Register {
	return &Register{db: d, guard: g, audit: log, units: u, personByPIN: personSelect(d) + " WHERE pin = $1", cards: newCardChecks()}
}

func notFound(pinStr string) error {
	return problem.New(problem.NotFound, "no person with PIN %s in the register", pinStr)
}

// checkPIN validates a PIN's form, naming field in the error.
func checkPIN(field, s string) error {
	if _, _, err := pin.Parse(s); err != nil {
		return problem.Field(field, "%v", err)
	}
	return nil
}

// personByPIN is the query of load, built once: it is the key of the
// prepared statement on every read.

// load reads one person, in tx when it is not nil (locking the row on
// PostgreSQL for a change). Outside a transaction it uses the prepared
// statement; inside one it must not, since preparing may need a second
// connection from the pool while this one is held, and a pool full of such
// transactions would wait for ever. (pgx caches the statement per
// connection anyway.)
func (r *Register) load(ctx context.Context, tx *sql.Tx, pinStr string) (people.Person, error) {
	query := r.personByPIN
	var row *sql.Row
	if tx != nil {
		if r.db.Engine == db.Postgres {
			query += " FOR UPDATE"
		}
		row = tx.QueryRowContext(ctx, query, pinStr)
	} else {
		st, err := r.db.Prepared(ctx, query)
		if err != nil {
			return people.Person{}, err
		}
		// A look-up by primary key is short: run it without the
		// request's cancellation, for which the SQLite driver starts a
		// goroutine per statement.
		row = st.QueryRowContext(context.WithoutCancel(ctx), pinStr)
	}
	p, err := scanPerson(row)
	if errors.Is(err, sql.ErrNoRows) {
		return p, notFound(pinStr)
	}
	return p, err
}

// Get returns the current record of a person. An officer who may not read
// the person gets the same refusal whether the PIN exists or not, audited as
// denied either way.
func (r *Register) Get(ctx context.Context, pr auth.Principal, pinStr string) (people.Person, error) {
	if err := checkPIN("pin", pinStr); err != nil {
		return people.Person{}, err
	}
	if err := r.guard.Role(ctx, pr, auth.ReadPerson, pinStr); err != nil {
		return people.Person{}, err
	}
	p, err := r.load(ctx, nil, pinStr)
	found := err == nil
	if err != nil && !problem.Is(err, problem.NotFound) {
		return people.Person{}, err
	}
	if err := r.guard.Find(ctx, pr, auth.ReadPerson, pinStr, "person with PIN "+pinStr, found, people.ResponsibleUnit(&p), err); err != nil {
		return people.Person{}, err
	}
	return p, r.guard.Disclosed(ctx, pr, auth.ReadPerson, "", pinStr)
}

// Within returns nil if pr may do a on the person with pinStr, judged as
// Get judges a read by the unit the person belongs to, or the refusal Get
// gives (recorded under a; naming neither the unit nor whether the person
// exists). Nothing of the record is disclosed and a success is not
// recorded: the caller records its own act (a covert flag on the person's
// accesses, which must not show in their list as a read).
func (r *Register) Within(ctx context.Context, pr auth.Principal, a auth.Action, pinStr string) error {
	if err := checkPIN("pin", pinStr); err != nil {
		return err
	}
	if err := r.guard.Role(ctx, pr, a, pinStr); err != nil {
		return err
	}
	p, err := r.load(ctx, nil, pinStr)
	if err != nil && !problem.Is(err, problem.NotFound) {
		return err
	}
	return r.guard.Find(ctx, pr, a, pinStr, "person with PIN "+pinStr, err == nil, people.ResponsibleUnit(&p), err)
}

// History returns a person's history, oldest first.
func (r *Register) History(ctx context.Context, pr auth.Principal, pinStr string) ([]people.Event, error) {
	p, err := r.Get(ctx, pr, pinStr)
	if err != nil {
		return nil, err
	}
	return r.history(ctx, p.PIN, time.Time{})
}

func (r *Register) history(ctx context.Context, pinStr string, after time.Time) ([]people.Event, error) {
	rows, err := r.db.QueryContext(ctx, `SELECT version, kind, event_id, effective, recorded_at, actor, reason, legal_basis, changes, details
		FROM person_events WHERE pin = $1 AND recorded_at > $2 ORDER BY version`, pinStr, db.FormatTime(after))
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []people.Event
	for rows.Next() {
		e := people.Event{PIN: pinStr}
		var eff, changes, details string
		if err := rows.Scan(&e.Version, &e.Kind, &e.EventID, &eff, db.Time{T: &e.RecordedAt}, &e.Actor, &e.Reason, &e.LegalBasis, &changes, &details); err != nil {
			return nil, err
		}
		e.Effective = parseStoredDate(eff)
		if err := json.Unmarshal([]byte(changes), &e.Changes); err != nil {
			return nil, fmt.Errorf("event %s/%d: %w", pinStr, e.Version, err)
		}
		if details != "" {
			if err := json.Unmarshal([]byte(details), &e.Details); err != nil {
				return nil, fmt.Errorf("event %s/%d: details: %w", pinStr, e.Version, err)
			}
		}
		out = append(out, e)
	}
	return out, rows.Err()
}

// GetAsOf returns the record as it stood in law at the end of day d: the
// current record with every change undone, newest first, whose civil act
// took effect after d (its effective date), whenever it was recorded. A
// record imported from a legacy system, whose earlier history the register
// does not hold, stands as imported from the person's birth. A day after
// today is refused (field as_of); a person not yet born, or whose birth was
// registered with effect after d, is not found on that day.
func (r *Register) GetAsOf(ctx context.Context, pr auth.Principal, pinStr string, d civil.Date) (people.Person, error) {
	if err := checkAsOf(d); err != nil {
		return people.Person{}, err
	}
	cur, err := r.Get(ctx, pr, pinStr)
	if err != nil {
		return people.Person{}, err
	}
	events, err := r.history(ctx, pinStr, time.Time{})
	if err != nil {
		return people.Person{}, err
	}
	return asOf(cur, events, d)
}

// checkAsOf refuses a day the register cannot show: a partial one, or one
// after today.
func checkAsOf(d civil.Date) error {
	switch {
	case !d.Full():
		return problem.Field("as_of", "must be a full date (YYYY-MM-DD)")
	case today().Key() < d.Key():
		return problem.Field("as_of", "%s is in the future", day(d))
	}
	return nil
}

// asOf rebuilds the state of cur at the end of day d from its history
// (oldest first); see GetAsOf.
func asOf(cur people.Person, events []people.Event, d civil.Date) (people.Person, error) {
	if d.CertainlyBefore(cur.BirthDate) {
		return people.Person{}, problem.New(problem.NotFound, "PIN %s was not yet born on %s", cur.PIN, day(d))
	}
	fields, err := toFields(cur)
	if err != nil {
		return people.Person{}, err
	}
	kept := -1 // the newest event in force on d
	for i := len(events) - 1; i >= 0; i-- {
		e := events[i]
		if !d.CertainlyBefore(e.Effective) {
			if kept < 0 {
				kept = i
			}
			continue
		}
		if e.Kind == people.KindBirth {
			return people.Person{}, problem.New(problem.NotFound, "PIN %s was not yet registered on %s", cur.PIN, day(d))
		}
		for name, c := range e.Changes {
			fields[name] = c.Old
		}
	}
	var past people.Person
	b, _ := json.Marshal(fields)
	if err := json.Unmarshal(b, &past); err != nil {
		return people.Person{}, fmt.Errorf("rebuild %s as of %s: %w", cur.PIN, d, err)
	}
	// A card issued after d (a card the history does not hold, as an
	// imported record's) was not yet the person's.
	if !past.Card.Issued.IsZero() && d.CertainlyBefore(past.Card.Issued) {
		past.Card = people.IDCard{}
	}
	// The version and time of the last change in force on d: the import
	// when none is.
	past.Version, past.UpdatedAt = 1, cur.CreatedAt
	if kept >= 0 {
		past.Version, past.UpdatedAt = events[kept].Version, events[kept].RecordedAt
	}
	return past, nil
}

// toFields is a person as a map of JSON field name to value: the vocabulary
// of Change.
func toFields(p people.Person) (map[string]any, error) {
	b, err := json.Marshal(p)
	if err != nil {
		return nil, err
	}
	m := map[string]any{}
	return m, json.Unmarshal(b, &m)
}

// Query selects people by the words of their unaccented name, in any
// order, the last word typed possibly the beginning of one ("van da"
// finds Trần Văn Dần), by date of birth (a full date, a month or a year)
// and by commune. A name or a date of birth is required.
type Query struct {
	Name      string
	BirthDate civil.Date
	Unit      string
	Limit     int
	Cursor    string
}

// maxCount bounds how far Count counts: beyond it, a search says "more than".
const maxCount = 1000

// Search finds people. Officers attached to a commune or province see only
// people whose responsible unit is in their reach. With a date of birth,
// results come in the order of the unaccented name; by name alone, in the
// order of the PIN (the index of words is read in that order, so that a
// page of a common name costs a page of reads).
func (r *Register) Search(ctx context.Context, pr auth.Principal, q Query) ([]people.Person, string, error) {
	if q.Limit <= 0 || q.Limit > 200 {
		q.Limit = 50
	}
	sq, err := r.searchQuery(ctx, pr, q)
	if err != nil || sq == nil {
		return nil, "", err
	}
	args := append(sq.args, q.Limit+1)
	rows, err := r.db.QueryContext(ctx, personSelectOf(r.db, "p")+sq.from+fmt.Sprintf(` ORDER BY %s LIMIT $%d`, sq.order, len(args)), args...)
	out, err := db.Collect(rows, err, scanPerson)
	if err != nil {
		return nil, "", err
	}
	next := ""
	if len(out) > q.Limit {
		out = out[:q.Limit]
		last := out[len(out)-1]
		key := "\x00" + last.PIN
		if sq.byName {
			key = textfold.Fold(last.FullName) + key
		}
		next = hex.EncodeToString([]byte(key))
	}
	pins := make([]string, len(out))
	for i := range out {
		pins[i] = out[i].PIN
	}
	if err := r.guard.Disclosed(ctx, pr, auth.SearchRegister, fmt.Sprintf("search, %d results", len(out)), pins...); err != nil {
		return nil, "", err
	}
	return out, next, nil
}

// Count counts the people a search finds (its cursor and limit aside), up
// to maxCount; more is answered as maxCount+1. It names nobody.
func (r *Register) Count(ctx context.Context, pr auth.Principal, q Query) (int, error) {
	q.Cursor = ""
	sq, err := r.searchQuery(ctx, pr, q)
	if err != nil || sq == nil {
		return 0, err
	}
	args := append(sq.args, maxCount+1)
	var n int
	err = r.db.QueryRowContext(ctx, `SELECT count(*) FROM (SELECT 1`+sq.from+fmt.Sprintf(` LIMIT $%d) x`, len(args)), args...).Scan(&n)
	return n, err
}

// searchSQL is a search's statement from its FROM (persons as p) to the
// end of its WHERE, with its arguments and its order.
type searchSQL struct {
	from   string
	args   []any
	order  string
	byName bool // ordered by name (else by PIN), for the cursor
}

// searchQuery checks and authorises a search and returns its statement;
// nil when the caller's reach holds nobody.

func (r *Register) searchQuery(ctx context.Context, pr auth.Principal, q Query) (*searchSQL, error) {
	var f problem.Fields
	words := strings.Fields(textfold.Fold(q.Name))
	name := strings.Join(words, " ")
	switch {
	case strings.TrimSpace(q.Name) != "" && len(name) < 2:
		f.Add("name", "give at least 2 letters of the name")
	case name == "" && q.BirthDate.IsZero():
		f.Add("name", "give a name or a date of birth")
	}
	if q.Unit != "" {
		if u, ok := r.units.Lookup(q.Unit); !ok || u.Level != units.LevelCommune {
			f.Add("unit", "%q is not the code of a commune-level unit in force", q.Unit)
		}
	}
	var after struct{ Name, PIN string }
	if q.Cursor != "" {
		b, err := hex.DecodeString(q.Cursor)
		if err == nil {
			after.Name, after.PIN, _ = strings.Cut(string(b), "\x00")
		}
		if err != nil || after.PIN == "" || (after.Name == "") != q.BirthDate.IsZero() {
			f.Add("cursor", "not a cursor this API returned")
		}
	}
	if err := f.Err(); err != nil {
		return nil, err
	}
	if err := r.guard.Check(ctx, pr, auth.SearchRegister, q.Unit, ""); err != nil {
		return nil, err
	}
	sq := &searchSQL{}
	arg := func(v any) string {
		sq.args = append(sq.args, v)
		return fmt.Sprintf("$%d", len(sq.args))
	}
	var where []string
	if !q.BirthDate.IsZero() {
		// The dates a query may mean (all of 1980 for "1980"), and records
		// that know only the year, or the month, of a birth that may be
		// the one sought: a full date or a month is a short list of keys,
		// a year a range, each read through persons_birth_name; the
		// name's words are checked on the few people born then.
		sq.byName, sq.order = true, "p.name_folded, p.pin"
		sq.from = ` FROM persons p`
		d := q.BirthDate
		switch {
		case d.Month == 0:
			where = append(where, `p.birth_key BETWEEN `+arg(d.Key())+` AND `+arg(d.Year*10000+1299))
		default:
			keys := []int{civil.Date{Year: d.Year}.Key(), d.Key()}
			if d.Day == 0 {
				for day := 1; day <= 31; day++ {
					keys = append(keys, d.Key()+day)
				}
			} else {
				keys = append(keys, civil.Date{Year: d.Year, Month: d.Month}.Key())
			}
			var in []string
			for _, k := range keys {
				in = append(in, arg(k))
			}
			where = append(where, `p.birth_key IN (`+strings.Join(in, ",")+`)`)
		}
		for i, w := range words {
			pattern := "% " + escapeLike(w) + "%"
			if i < len(words)-1 {
				pattern = "% " + escapeLike(w) + " %"
			}
			where = append(where, `(' ' || p.name_folded || ' ') LIKE `+arg(pattern)+` ESCAPE '!'`)
		}
		if after.PIN != "" {
			where = append(where, `(p.name_folded, p.pin) > (`+arg(after.Name)+`, `+arg(after.PIN)+`)`)
		}
	} else {
		sq.order = "p.pin"
		if r.db.Engine == db.Postgres {
			// Every word but the last whole, through persons_name_words;
			// the last a whole word or the beginning of one (a single
			// word: of the name, through persons_name_birth).
			sq.from = ` FROM persons p`
			last := words[len(words)-1]
			if len(words) > 1 {
				where = append(where, `string_to_array(p.name_folded, ' ') @> `+arg(words[:len(words)-1])+`::text[]`,
					`(' ' || p.name_folded) LIKE `+arg("% "+escapeLike(last)+"%")+` ESCAPE '!'`)
			} else {
				where = append(where, `(string_to_array(p.name_folded, ' ') @> `+arg(words)+`::text[] OR p.name_folded LIKE `+arg(escapeLike(last)+"%")+` ESCAPE '!')`)
			}
		} else {
			// The full-text index of names, read in PIN order (its rowid),
			// drives the join (CROSS JOIN keeps it outer).
			fq := ftsQuery(words)
			if fq == "" {
				return nil, problem.Field("name", "give at least 2 letters of the name")
			}
			sq.from = ` FROM persons_names m CROSS JOIN persons p ON p.pin = m.rowid`
			sq.order = "m.rowid"
			where = append(where, `persons_names MATCH `+arg(fq))
		}
		if after.PIN != "" {
			col := "p.pin"
			if r.db.Engine == db.SQLite {
				col = "m.rowid"
			}
			where = append(where, col+` > `+arg(after.PIN))
		}
	}
	if q.Unit != "" {
		where = append(where, `p.resp_unit = `+arg(q.Unit))
	}
	if reach := r.guard.Reach(pr, auth.SearchRegister); !reach.All {
		if reach.Nothing() {
			return nil, nil
		}
		var in []string
		for _, c := range reach.Communes {
			in = append(in, arg(c))
		}
		where = append(where, `p.resp_unit IN (`+strings.Join(in, ",")+`)`)
	}
	sq.from += ` WHERE ` + strings.Join(where, ` AND `)
	return sq, nil
}

// personSelectOf is personSelect over persons under an alias.
func personSelectOf(d *db.DB, alias string) string {
	cols := personColumns
	for i := range cols {
		cols[i] = alias + "." + cols[i]
	}
	cols[0] = pinText(d, cols[0])
	return "SELECT " + d.PackColumns(cols[:])
}

// escapeLike escapes a word for LIKE … ESCAPE '!'.
func escapeLike(s string) string {
	return strings.NewReplacer("!", "!!", "%", "!%", "_", "!_").Replace(s)
}

// ftsQuery is the full-text query of a name's words: each run of letters
// and digits a quoted term (the index's tokenizer splits words there too,
// and a term of two would be a phrase, which it does not keep), the last
// also the beginning of one; "" when the words hold no letter or digit.
func ftsQuery(words []string) string {
	var terms []string
	for _, w := range words {
		terms = append(terms, strings.FieldsFunc(w, func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) })...)
	}
	if len(terms) == 0 {
		return ""
	}
	for i, t := range terms {
		terms[i] = `"` + t + `"`
	}
	terms[len(terms)-1] += "*"
	return strings.Join(terms, " ")
}

// Household returns a household and its members, head first. Like Get, it
// refuses an officer who may not read the household in the same way whether
// it exists or not.
func (r *Register) Household(ctx context.Context, pr auth.Principal, id string) (people.Household, []people.Member, error) {
	h, err := r.findHousehold(ctx, pr, id)
	if err != nil {
		return people.Household{}, nil, err
	}
	members, err := r.members(ctx, r.db, id)
	if err != nil {
		return h, nil, err
	}
	pins := make([]string, len(members))
	for i, m := range members {
		pins[i] = m.PIN
	}
	return h, members, r.guard.Disclosed(ctx, pr, auth.ReadPerson, "household "+id, pins...)
}

// findHousehold reads a household for a read of it: as for Get, an officer
// who may not read it gets the same refusal whether it exists or not.
func (r *Register) findHousehold(ctx context.Context, pr auth.Principal, id string) (people.Household, error) {
	subject := "household:" + id
	if err := r.guard.Role(ctx, pr, auth.ReadPerson, subject); err != nil {
		return people.Household{}, err
	}
	var h people.Household
	err := r.db.QueryRowContext(ctx, `SELECT id, unit_code, address, created_at FROM households WHERE id = $1`, id).
		Scan(&h.ID, &h.UnitCode, &h.Address, db.Time{T: &h.CreatedAt})
	found := !errors.Is(err, sql.ErrNoRows)
	if found && err != nil {
		return people.Household{}, err
	}
	if err := r.guard.Find(ctx, pr, auth.ReadPerson, subject, "household "+id, found, h.UnitCode,
		problem.New(problem.NotFound, "no household %s", id)); err != nil {
		return people.Household{}, err
	}
	return h, nil
}

// HouseholdAsOf returns a household and its members as they stood in law
// at the end of day d (GetAsOf): people who have since left are listed,
// people who joined later are not, and each member's name, relation and
// status are those of that day. It is a read of the household as
// Household is, and of each member shown.
func (r *Register) HouseholdAsOf(ctx context.Context, pr auth.Principal, id string, d civil.Date) (people.Household, []people.Member, error) {
	if err := checkAsOf(d); err != nil {
		return people.Household{}, nil, err
	}
	h, err := r.findHousehold(ctx, pr, id)
	if err != nil {
		return people.Household{}, nil, err
	}
	// The members then are among the members now and those whose
	// membership an event changed.
	rows, err := r.db.QueryContext(ctx, `SELECT `+pinText(r.db, "pin")+` FROM persons WHERE household_id = $1
		UNION SELECT pin FROM household_events WHERE household_id = $1`, id)
	pins, err := db.Collect(rows, err, func(s db.Scanner) (string, error) {
		var p string
		return p, s.Scan(&p)
	})
	if err != nil {
		return h, nil, err
	}
	var members []people.Member
	for _, pinStr := range pins {
		cur, err := r.load(ctx, nil, pinStr)
		if err != nil {
			return h, nil, err
		}
		events, err := r.history(ctx, pinStr, time.Time{})
		if err != nil {
			return h, nil, err
		}
		past, err := asOf(cur, events, d)
		if problem.Is(err, problem.NotFound) || err == nil && past.HouseholdID != id {
			continue
		}
		if err != nil {
			return h, nil, err
		}
		members = append(members, people.Member{PIN: past.PIN, FullName: past.FullName, BirthDate: past.BirthDate,
			Sex: past.Sex, Relation: past.Relation, Status: past.Status})
	}
	slices.SortFunc(members, func(a, b people.Member) int {
		if (a.Relation == people.Head) != (b.Relation == people.Head) {
			if a.Relation == people.Head {
				return -1
			}
			return 1
		}
		if c := cmp.Compare(a.BirthDate.Key(), b.BirthDate.Key()); c != 0 {
			return c
		}
		return strings.Compare(a.PIN, b.PIN)
	})
	out := make([]string, len(members))
	for i, m := range members {
		out[i] = m.PIN
	}
	return h, members, r.guard.Disclosed(ctx, pr, auth.ReadPerson, "household "+id+" as of "+d.String(), out...)
}

func (r *Register) members(ctx context.Context, q interface {
	QueryContext(context.Context, string, ...any) (*sql.Rows, error)
}, id string) ([]people.Member, error) {
	rows, err := q.QueryContext(ctx, `SELECT `+pinText(r.db, "pin")+`, full_name, birth_date, sex, relation, status FROM persons
		WHERE household_id = $1 ORDER BY CASE WHEN relation = 'head' THEN 0 ELSE 1 END, birth_key, pin`, id)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []people.Member
	for rows.Next() {
		var m people.Member
		var birth, sex string
		if err := rows.Scan(&m.PIN, &m.FullName, &birth, &sex, &m.Relation, &m.Status); err != nil {
			return nil, err
		}
		m.BirthDate = parseStoredDate(birth)
		m.Sex, _ = civil.ParseSex(sex)
		out = append(out, m)
	}
	return out, rows.Err()
}

// newID returns a random identifier for events and households.
func newID(prefix string) string {
	b := make([]byte, 8)
	rand.Read(b)
	return prefix + strings.ToUpper(hex.EncodeToString(b))
}
