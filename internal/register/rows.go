package register

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/populus-vn/populus/internal/civil"
	"github.com/populus-vn/populus/internal/db"
	"github.com/populus-vn/populus/internal/people"
	"github.com/populus-vn/populus/internal/textfold"
)

// personColumns is the column order of persons used by reads and bulk writes.
var personColumns = [...]string{
	"pin", "cmnd", "full_name", "name_folded", "other_names", "birth_date", "birth_key", "sex",
	"birth_place", "hometown", "ethnicity", "religion", "nationality",
	"perm_unit", "perm_address", "temp_unit", "temp_address", "cur_unit", "cur_address",
	"household_id", "relation", "father_pin", "mother_pin", "spouse_pin",
	"card_number", "card_issued", "card_expires", "resp_unit", "status", "death_date", "version", "created_at", "updated_at",
}

// personBlank and householdBlank are the columns declared NOT NULL DEFAULT
// ” (see db.Batch.Blank); TestBlankColumns checks them against the schema.
var (
	personBlank = []string{
		"cmnd", "other_names", "birth_place", "hometown", "ethnicity", "religion",
		"perm_unit", "perm_address", "temp_unit", "temp_address", "cur_unit", "cur_address",
		"relation", "father_pin", "mother_pin", "spouse_pin", "card_number", "card_issued", "card_expires",
		"resp_unit", "death_date",
	}
	householdBlank = []string{"address"}
)

var householdColumns = []string{"id", "unit_code", "address", "created_at"}

// otherNamesSep joins other names in one column; names never contain it.
const otherNamesSep = "|"

func nullable(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// personRow returns p's column values in personColumns order.
func personRow(p *people.Person) []any {
	return []any{
		p.PIN, p.CMND, p.FullName, textfold.Fold(p.FullName), strings.Join(p.OtherNames, otherNamesSep),
		p.BirthDate.String(), p.BirthDate.Key(), p.Sex.String(),
		p.BirthPlace, p.Hometown, p.Ethnicity, p.Religion, p.Nationality,
		p.Permanent.Unit, p.Permanent.Detail, p.Temporary.Unit, p.Temporary.Detail, p.Current.Unit, p.Current.Detail,
		nullable(p.HouseholdID), string(p.Relation), p.FatherPIN, p.MotherPIN, p.SpousePIN,
		p.Card.Number, p.Card.Issued.String(), p.Card.Expires.String(), people.ResponsibleUnit(p), string(p.Status), p.DeathDate.String(),
		p.Version, db.FormatTime(p.CreatedAt), db.FormatTime(p.UpdatedAt),
	}
}

type scanner = db.Scanner

// personSelect reads persons packed (db.PackColumns), for scanPerson.
func personSelect(d *db.DB) string {
	cols := personColumns
	cols[0] = pinText(d, cols[0])
	return "SELECT " + d.PackColumns(cols[:]) + " FROM persons"
}

// scanPerson reads a row of personSelect.
func scanPerson(s scanner) (people.Person, error) {
	var (
		p      people.Person
		packed string
		c      [len(personColumns)]string
	)
	if err := s.Scan(&packed); err != nil {
		return p, err
	}
	if err := db.UnpackRow(packed, c[:]); err != nil {
		return p, err
	}
	// c in personColumns order; name_folded (3), birth_key (6) and
	// resp_unit (27) are derived from the others.
	p.PIN, p.CMND, p.FullName = c[0], c[1], c[2]
	if c[4] != "" {
		p.OtherNames = strings.Split(c[4], otherNamesSep)
	}
	p.BirthDate = parseStoredDate(c[5])
	p.Sex, _ = civil.ParseSex(c[7])
	p.BirthPlace, p.Hometown, p.Ethnicity, p.Religion, p.Nationality = c[8], c[9], c[10], c[11], c[12]
	p.Permanent = people.Address{Unit: c[13], Detail: c[14]}
	p.Temporary = people.Address{Unit: c[15], Detail: c[16]}
	p.Current = people.Address{Unit: c[17], Detail: c[18]}
	p.HouseholdID, p.Relation = c[19], people.Relation(c[20])
	p.FatherPIN, p.MotherPIN, p.SpousePIN = c[21], c[22], c[23]
	p.Card = people.IDCard{Number: c[24], Issued: parseStoredDate(c[25]), Expires: parseStoredDate(c[26])}
	p.Status, p.DeathDate = people.Status(c[28]), parseStoredDate(c[29])
	v, err := strconv.Atoi(c[30])
	if err != nil {
		return p, fmt.Errorf("person %s: version %q: %w", p.PIN, c[30], err)
	}
	p.Version = v
	if p.CreatedAt, err = db.ParseTime(c[31]); err != nil {
		return p, fmt.Errorf("person %s: created_at: %w", p.PIN, err)
	}
	if p.UpdatedAt, err = db.ParseTime(c[32]); err != nil {
		return p, fmt.Errorf("person %s: updated_at: %w", p.PIN, err)
	}
	return p, nil
}

// parseStoredDate reads a date the store wrote; it was validated on the way in.
func parseStoredDate(s string) civil.Date {
	if s == "" {
		return civil.Date{}
	}
	d, _ := civil.ParseDate(s)
	return d
}

func householdRow(h *people.Household) []any {
	return []any{h.ID, h.UnitCode, h.Address, db.FormatTime(h.CreatedAt)}
}

// now is the clock, replaceable in tests.
var now = func() time.Time { return time.Now().UTC() }

// today is the civil date in Vietnam: dates of civil acts are compared with
// it, not with the UTC date, which lags by a day before 07:00.
func today() civil.Date { return civil.InVietnam(now()) }
