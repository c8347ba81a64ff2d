package engine

import (
	"context"
	"database/sql"
	"fmt"
	"github.com/populus-vn/populus/internal/people"
	"strings"

	"github.com/populus-vn/populus/internal/civil"
	"github.com/populus-vn/populus/internal/db"
	"github.com/populus-vn/populus/internal/reconcile/sector"
)

// populationQuery reads the people with their households, household by
// household in a stable order (household id, then PIN; people without a
// household each on their own). %s is the PIN (db.PINText).
const populationQuery = `SELECT %s, p.cmnd, p.full_name, p.other_names, p.birth_date, p.sex, p.birth_place,
	p.perm_unit, p.perm_address, p.temp_unit, p.temp_address, p.cur_unit, p.cur_address,
	p.household_id, p.relation, p.father_pin, p.mother_pin, p.status, p.death_date,
	COALESCE(h.unit_code, ''), COALESCE(h.address, '')
FROM persons p LEFT JOIN households h ON h.id = p.household_id
ORDER BY p.household_id, p.pin`

// RegisterPopulation is the register in the store as a sector.Population,
// for synthesising sector files from the real register: people stream
// household by household in a stable order (the same on every call, as
// Synthesize needs), with the fields the corruption model uses. It reads
// only.
//
// People without a household (the dead, in a synthetic register) come each
// alone with an empty household, so their sector records carry no address
// unless the register holds one for them.
func RegisterPopulation(d *db.DB) sector.Population {
	return func(ctx context.Context, fn func(h *people.Household, members []people.Person) error) error {
		rows, err := d.QueryContext(ctx, fmt.Sprintf(populationQuery, d.PINText("p.pin")))
		if err != nil {
			return fmt.Errorf("read the register: %w", err)
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
			if n++; n%4096 == 0 {
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
				return fmt.Errorf("read the register: %w", err)
			}
			p.BirthDate, _ = civil.ParseDate(birth)
			p.Sex, _ = civil.ParseSex(sex)
			if other != "" {
				p.OtherNames = strings.Split(other, "|")
			}
			p.HouseholdID, p.Relation, p.Status = hh.String, people.Relation(rel), people.Status(status)
			if died != "" {
				p.DeathDate, _ = civil.ParseDate(died)
			}
			if !hh.Valid || !current.Valid || hh.String != current.String {
				if err := flush(); err != nil {
					return err
				}
				h = people.Household{ID: hh.String, UnitCode: unit, Address: addr}
				current = hh
			}
			members = append(members, p)
		}
		if err := rows.Err(); err != nil {
			return fmt.Errorf("read the register: %w", err)
		}
		return flush()
	}
}
