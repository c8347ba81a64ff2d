package register

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"

	"github.com/populus-vn/populus/internal/civil"
	"github.com/populus-vn/populus/internal/db"
	"github.com/populus-vn/populus/internal/people"
)

// The streaming readers of this file read the whole register, or large
// parts of it, for the machinery that works on it in bulk: the
// reconciliation engine (its index, synthetic sector files from the real
// register), the index cache of reconciliation jobs, the CLI (seed, demo)
// and the benchmarks. They are not a personal-data API: they take no
// principal, ask no policy and leave no audit entry, and run with the
// store's own rights, like a bulk import. Nothing that answers a staff
// member may call them; reads for people go through Register (Get, Search,
// Household), which authorises and audits.
//
// Each reader streams: memory stays bounded whatever the register's size
// (100 million people), it checks its context at least every 4,096 rows,
// and it stops at the first error its callback returns. Return ErrStop to
// end a scan early without an error.

// ErrStop, returned by the callback of a streaming reader, ends the scan;
// the reader then returns nil.
var ErrStop = errors.New("register: stop the scan")

// checkEvery is how many rows a streaming reader reads between looks at its
// context.
const checkEvery = 4096

// pinText returns the SQL expression that reads column col of persons, the
// PIN, as its 12-digit text. On SQLite the column is the table's integer key
// (migration 0009) and reads back without its leading zeros; on PostgreSQL
// it is text already. A PIN given as text in a comparison or an insert needs
// nothing: SQLite converts it to the column's integer.
func pinText(d *db.DB, col string) string {
	if d.Engine == db.Postgres {
		return col
	}
	return "printf('%012d', " + col + ")"
}

// Count returns the number of people in the register (living or not).
func Count(ctx context.Context, d *db.DB) (int64, error) {
	var n int64
	if err := d.QueryRowContext(ctx, `SELECT count(*) FROM persons`).Scan(&n); err != nil {
		return 0, fmt.Errorf("register: count people: %w", err)
	}
	return n, nil
}

// Version returns the number of people and the id of the last history
// entry: every change through the register appends a history entry
// (person_events, append-only, its id increasing) and a bulk import changes
// the number of people, so the pair changes whenever the register does.
// Both are cheap: a count and an index seek.
func Version(ctx context.Context, d *db.DB) (people, lastEvent int64, err error) {
	err = d.QueryRowContext(ctx, `SELECT (SELECT count(*) FROM persons), (SELECT COALESCE(max(id), 0) FROM person_events)`).Scan(&people, &lastEvent)
	if err != nil {
		return 0, 0, fmt.Errorf("register: version: %w", err)
	}
	return people, lastEvent, nil
}

// ScanOptions select the people Scan reads.
type ScanOptions struct {
	// PermanentUnit, when set, keeps only the people whose permanent
	// residence is in this unit.
	PermanentUnit string
}

// Scan calls fn with every person of the register selected by opts, whole
// records in PIN order. The *people.Person is reused: fn must copy what it
// keeps. See the streaming readers above: internal machinery, no
// authorisation, no audit.
func Scan(ctx context.Context, d *db.DB, opts ScanOptions, fn func(*people.Person) error) error {
	q := personSelect(d)
	var args []any
	if opts.PermanentUnit != "" {
		q += ` WHERE perm_unit = $1`
		args = append(args, opts.PermanentUnit)
	}
	rows, err := d.QueryContext(ctx, q+` ORDER BY pin`, args...)
	if err != nil {
		return fmt.Errorf("register: scan: %w", err)
	}
	defer rows.Close()
	var p people.Person
	for n := 1; rows.Next(); n++ {
		if n%checkEvery == 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
		}
		if p, err = scanPerson(rows); err != nil {
			return fmt.Errorf("register: scan: %w", err)
		}
		if err := fn(&p); err != nil {
			if errors.Is(err, ErrStop) {
				return nil
			}
			return err
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("register: scan: %w", err)
	}
	return nil
}

// Identity is what record linkage compares of a person, as the store holds
// it: the strings are read without parsing, so that a reader can hand rows
// to parallel workers and have them decode (BirthDate, Sex, …) there.
type Identity struct {
	PIN, CMND, FullName string
	// The units of the current, permanent and temporary residences and of
	// the birth's registration; "" where none.
	CurrentUnit, PermanentUnit, TemporaryUnit, BirthPlace string

	otherNames, birthDate, sex, status, deathDate string
}

// OtherNames returns the person's other names, nil if none.
func (r *Identity) OtherNames() []string {
	if r.otherNames == "" {
		return nil
	}
	return strings.Split(r.otherNames, otherNamesSep)
}

// BirthDate returns the date of birth (partial where the register knows
// only a year or a month).
func (r *Identity) BirthDate() civil.Date { return parseStoredDate(r.birthDate) }

// Sex returns the person's sex.
func (r *Identity) Sex() civil.Sex {
	s, _ := civil.ParseSex(r.sex)
	return s
}

// Status returns whether the person is alive.
func (r *Identity) Status() people.Status { return people.Status(r.status) }

// DeathDate returns the date of death, zero if none.
func (r *Identity) DeathDate() civil.Date { return parseStoredDate(r.deathDate) }

// identityBatch is how many rows ScanIdentities hands over at once.
const identityBatch = 512

// ScanIdentities calls fn with every person's Identity, in batches of up to
// 512 in the store's order. fn owns each batch (it may keep it or hand it to
// another goroutine: the next batch is a new slice). The scan runs on one
// connection of its own, selecting only the columns of Identity; on SQLite
// it reads without a memory map. See the streaming readers above: internal
// machinery, no authorisation, no audit.
func ScanIdentities(ctx context.Context, d *db.DB, fn func([]Identity) error) error {
	conn, err := d.Conn(ctx)
	if err != nil {
		return fmt.Errorf("register: read identities: %w", err)
	}
	defer conn.Close()
	// No memory map for this scan on SQLite (d.Conn): the pages it maps
	// stay in the process's resident memory (a gigabyte at 10M people)
	// while a read per page costs a second or two.
	rows, err := conn.QueryContext(ctx, `SELECT `+pinText(d, "pin")+`, cmnd, full_name, other_names, birth_date, sex,
		cur_unit, perm_unit, temp_unit, birth_place, status, death_date FROM persons`)
	if err != nil {
		return fmt.Errorf("register: read identities: %w", err)
	}
	defer rows.Close()
	batch := make([]Identity, 0, identityBatch)
	for rows.Next() {
		batch = append(batch, Identity{})
		r := &batch[len(batch)-1]
		if err := rows.Scan(&r.PIN, &r.CMND, &r.FullName, &r.otherNames, &r.birthDate, &r.sex,
			&r.CurrentUnit, &r.PermanentUnit, &r.TemporaryUnit, &r.BirthPlace, &r.status, &r.deathDate); err != nil {
			return fmt.Errorf("register: read identities: %w", err)
		}
		if len(batch) == cap(batch) {
			if err := ctx.Err(); err != nil {
				return err
			}
			if err := fn(batch); err != nil {
				return stopped(err)
			}
			batch = make([]Identity, 0, identityBatch)
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("register: read identities: %w", err)
	}
	if len(batch) > 0 {
		return stopped(fn(batch))
	}
	return nil
}

// stopped is err, or nil for ErrStop.
func stopped(err error) error {
	if errors.Is(err, ErrStop) {
		return nil
	}
	return err
}

// ScanHouseholds calls fn with every household and its members, household
// by household in a stable order (household id, then PIN: the same on every
// call). People without a household come each alone with an empty
// household. Members carry what a person's identity and residence are
// (PIN, CMND, names, birth date and place, sex, the three addresses,
// household and relation, parents, status, date of death), not the ID
// card, version or times. h and members are reused: fn must copy what it
// keeps. See the streaming readers above: internal machinery, no
// authorisation, no audit.
func ScanHouseholds(ctx context.Context, d *db.DB, fn func(h *people.Household, members []people.Person) error) error {
	rows, err := d.QueryContext(ctx, `SELECT `+pinText(d, "p.pin")+`, p.cmnd, p.full_name, p.other_names, p.birth_date, p.sex, p.birth_place,
	p.perm_unit, p.perm_address, p.temp_unit, p.temp_address, p.cur_unit, p.cur_address,
	p.household_id, p.relation, p.father_pin, p.mother_pin, p.status, p.death_date,
	COALESCE(h.unit_code, ''), COALESCE(h.address, '')
FROM persons p LEFT JOIN households h ON h.id = p.household_id
ORDER BY p.household_id, p.pin`)
	if err != nil {
		return fmt.Errorf("register: read households: %w", err)
	}
	defer rows.Close()
	var (
		h       people.Household
		members []people.Person
		current sql.NullString
	)
	flush := func() error {
		if len(members) == 0 {
			return nil
		}
		err := fn(&h, members)
		members = members[:0]
		return err
	}
	n := 0
	for rows.Next() {
		if n++; n%checkEvery == 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
		}
		var (
			p                                    people.Person
			other, birth, sex, rel, status, died string
			hh                                   sql.NullString
			unit, addr                           string
		)
		err := rows.Scan(&p.PIN, &p.CMND, &p.FullName, &other, &birth, &sex, &p.BirthPlace,
			&p.Permanent.Unit, &p.Permanent.Detail, &p.Temporary.Unit, &p.Temporary.Detail, &p.Current.Unit, &p.Current.Detail,
			&hh, &rel, &p.FatherPIN, &p.MotherPIN, &status, &died, &unit, &addr)
		if err != nil {
			return fmt.Errorf("register: read households: %w", err)
		}
		p.BirthDate = parseStoredDate(birth)
		p.Sex, _ = civil.ParseSex(sex)
		if other != "" {
			p.OtherNames = strings.Split(other, otherNamesSep)
		}
		p.HouseholdID, p.Relation, p.Status = hh.String, people.Relation(rel), people.Status(status)
		p.DeathDate = parseStoredDate(died)
		if !hh.Valid || !current.Valid || hh.String != current.String {
			if err := flush(); err != nil {
				return stopped(err)
			}
			h = people.Household{ID: hh.String, UnitCode: unit, Address: addr}
			current = hh
		}
		members = append(members, p)
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("register: read households: %w", err)
	}
	return stopped(flush())
}
