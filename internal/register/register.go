package register

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

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
	onDeath     []DeathHook
}

// DeathHook is called inside a death's transaction, after the person is
// saved as deceased: an error undoes the whole event. Other capabilities
// end what a life held (the identity capability revokes the account).
type DeathHook func(ctx context.Context, tx *sql.Tx, pin string) error

// OnDeath adds h to the hooks of every death, before the register serves.
func (r *Register) OnDeath(h DeathHook) { r.onDeath = append(r.onDeath, h) }

// New returns a register over d. Every read and change is checked by g;
// changes record their audit entries in log, in their own transaction.
func New(d *db.DB, g *auth.Guard, log *audit.Log, u *units.Registry) *Register {
	return &Register{db: d, guard: g, audit: log, units: u, personByPIN: personSelect(d) + " WHERE pin = $1"}
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

// History returns a person's history, oldest first.
func (r *Register) History(ctx context.Context, pr auth.Principal, pinStr string) ([]people.Event, error) {
	p, err := r.Get(ctx, pr, pinStr)
	if err != nil {
		return nil, err
	}
	return r.history(ctx, p.PIN, time.Time{})
}

func (r *Register) history(ctx context.Context, pinStr string, after time.Time) ([]people.Event, error) {
	rows, err := r.db.QueryContext(ctx, `SELECT version, kind, event_id, effective, recorded_at, actor, reason, legal_basis, changes
		FROM person_events WHERE pin = $1 AND recorded_at > $2 ORDER BY version`, pinStr, db.FormatTime(after))
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []people.Event
	for rows.Next() {
		e := people.Event{PIN: pinStr}
		var eff, changes string
		if err := rows.Scan(&e.Version, &e.Kind, &e.EventID, &eff, db.Time{T: &e.RecordedAt}, &e.Actor, &e.Reason, &e.LegalBasis, &changes); err != nil {
			return nil, err
		}
		e.Effective = parseStoredDate(eff)
		if err := json.Unmarshal([]byte(changes), &e.Changes); err != nil {
			return nil, fmt.Errorf("event %s/%d: %w", pinStr, e.Version, err)
		}
		out = append(out, e)
	}
	return out, rows.Err()
}

// GetAsOf returns the record as the register held it at the given moment,
// rebuilt from the current record by undoing, newest first, every change
// recorded after it.
func (r *Register) GetAsOf(ctx context.Context, pr auth.Principal, pinStr string, at time.Time) (people.Person, error) {
	cur, err := r.Get(ctx, pr, pinStr)
	if err != nil {
		return people.Person{}, err
	}
	if cur.CreatedAt.After(at) {
		return people.Person{}, problem.New(problem.NotFound, "PIN %s was not yet in the register on %s", pinStr, at.Format(time.DateOnly))
	}
	later, err := r.history(ctx, pinStr, at)
	if err != nil {
		return people.Person{}, err
	}
	fields, err := toFields(cur)
	if err != nil {
		return people.Person{}, err
	}
	for i := len(later) - 1; i >= 0; i-- {
		for name, c := range later[i].Changes {
			fields[name] = c.Old
		}
	}
	var past people.Person
	b, _ := json.Marshal(fields)
	if err := json.Unmarshal(b, &past); err != nil {
		return people.Person{}, fmt.Errorf("rebuild %s as of %s: %w", pinStr, at, err)
	}
	if len(later) > 0 {
		past.Version = later[0].Version - 1
		past.UpdatedAt = at
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

// Query selects people by unaccented name (a prefix of the full name), date
// of birth and commune.
type Query struct {
	Name      string
	BirthDate civil.Date
	Unit      string
	Limit     int
	Cursor    string
}

// Search finds people. Officers attached to a commune or province see only
// people whose responsible unit is in their reach.
func (r *Register) Search(ctx context.Context, pr auth.Principal, q Query) ([]people.Person, string, error) {
	var f problem.Fields
	name := textfold.Fold(q.Name)
	if len(name) < 2 {
		f.Add("name", "give at least 2 letters of the name")
	}
	if q.Unit != "" {
		if u, ok := r.units.Lookup(q.Unit); !ok || u.Level != units.LevelCommune {
			f.Add("unit", "%q is not the code of a commune-level unit in force", q.Unit)
		}
	}
	if q.Limit <= 0 || q.Limit > 200 {
		q.Limit = 50
	}
	var after struct{ Name, PIN string }
	if q.Cursor != "" {
		b, err := hex.DecodeString(q.Cursor)
		if err == nil {
			after.Name, after.PIN, _ = strings.Cut(string(b), "\x00")
		}
		if err != nil || after.PIN == "" {
			f.Add("cursor", "not a cursor this API returned")
		}
	}
	if err := f.Err(); err != nil {
		return nil, "", err
	}
	if err := r.guard.Check(ctx, pr, auth.SearchRegister, q.Unit, ""); err != nil {
		return nil, "", err
	}
	sqlq := personSelect(r.db) + ` WHERE name_folded >= $1 AND name_folded < $2`
	args := []any{name, name + "\uffff"}
	if !q.BirthDate.IsZero() {
		// The dates a query may mean (all of 1980 for "1980"), and records
		// that know only the year, or the month, of a birth that may be
		// the one sought.
		// A full date or a month is a short list of keys, each a range
		// of names in persons_birth_name; a year alone is a range of keys,
		// read through persons_name_birth.
		d := q.BirthDate
		switch {
		case d.Month == 0:
			args = append(args, d.Key(), d.Year*10000+1299)
			sqlq += ` AND birth_key BETWEEN $3 AND $4`
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
				args = append(args, k)
				in = append(in, fmt.Sprintf("$%d", len(args)))
			}
			sqlq += ` AND birth_key IN (` + strings.Join(in, ",") + `)`
		}
	}
	if q.Unit != "" {
		args = append(args, q.Unit)
		sqlq += fmt.Sprintf(` AND resp_unit = $%d`, len(args))
	}
	if reach := r.guard.Reach(pr, auth.SearchRegister); !reach.All {
		if reach.Nothing() {
			return nil, "", nil
		}
		var in []string
		for _, c := range reach.Communes {
			args = append(args, c)
			in = append(in, fmt.Sprintf("$%d", len(args)))
		}
		sqlq += ` AND resp_unit IN (` + strings.Join(in, ",") + `)`
	}
	if after.PIN != "" {
		args = append(args, after.Name, after.PIN)
		sqlq += fmt.Sprintf(` AND (name_folded, pin) > ($%d, $%d)`, len(args)-1, len(args))
	}
	args = append(args, q.Limit+1)
	sqlq += fmt.Sprintf(` ORDER BY name_folded, pin LIMIT $%d`, len(args))
	rows, err := r.db.QueryContext(ctx, sqlq, args...)
	out, err := db.Collect(rows, err, scanPerson)
	if err != nil {
		return nil, "", err
	}
	next := ""
	if len(out) > q.Limit {
		out = out[:q.Limit]
		last := out[len(out)-1]
		next = hex.EncodeToString([]byte(textfold.Fold(last.FullName) + "\x00" + last.PIN))
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

// Household returns a household and its members, head first. Like Get, it
// refuses an officer who may not read the household in the same way whether
// it exists or not.
func (r *Register) Household(ctx context.Context, pr auth.Principal, id string) (people.Household, []people.Member, error) {
	subject := "household:" + id
	if err := r.guard.Role(ctx, pr, auth.ReadPerson, subject); err != nil {
		return people.Household{}, nil, err
	}
	var h people.Household
	err := r.db.QueryRowContext(ctx, `SELECT id, unit_code, address, created_at FROM households WHERE id = $1`, id).
		Scan(&h.ID, &h.UnitCode, &h.Address, db.Time{T: &h.CreatedAt})
	found := !errors.Is(err, sql.ErrNoRows)
	if found && err != nil {
		return people.Household{}, nil, err
	}
	if err := r.guard.Find(ctx, pr, auth.ReadPerson, subject, "household "+id, found, h.UnitCode,
		problem.New(problem.NotFound, "no household %s", id)); err != nil {
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
