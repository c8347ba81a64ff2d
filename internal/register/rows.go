package register

import (
	"database/sql"
	"strings"
	"time"

	"github.com/populus-vn/populus/internal/civil"
	"github.com/populus-vn/populus/internal/db"
	"github.com/populus-vn/populus/internal/textfold"
)

// personColumns is the column order of persons used by reads and bulk writes.
var personColumns = []string{
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

var personSelect = "SELECT " + strings.Join(personColumns, ", ") + " FROM persons"

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
func personRow(p *Person) []any {
	return []any{
		p.PIN, p.CMND, p.FullName, textfold.Fold(p.FullName), strings.Join(p.OtherNames, otherNamesSep),
		p.BirthDate.String(), p.BirthDate.Key(), p.Sex.String(),
		p.BirthPlace, p.Hometown, p.Ethnicity, p.Religion, p.Nationality,
		p.Permanent.Unit, p.Permanent.Detail, p.Temporary.Unit, p.Temporary.Detail, p.Current.Unit, p.Current.Detail,
		nullable(p.HouseholdID), string(p.Relation), p.FatherPIN, p.MotherPIN, p.SpousePIN,
		p.Card.Number, p.Card.Issued.String(), p.Card.Expires.String(), ResponsibleUnit(p), string(p.Status), p.DeathDate.String(),
		p.Version, db.FormatTime(p.CreatedAt), db.FormatTime(p.UpdatedAt),
	}
}

type scanner = db.Scanner

func scanPerson(s scanner) (Person, error) {
	var (
		p                                           Person
		hh                                          sql.NullString
		folded, other, birth, sex, rel, status      string
		resp                                        string
		cardIssued, cardExpires, death, created, up string
		birthKey                                    int
	)
	err := s.Scan(&p.PIN, &p.CMND, &p.FullName, &folded, &other, &birth, &birthKey, &sex,
		&p.BirthPlace, &p.Hometown, &p.Ethnicity, &p.Religion, &p.Nationality,
		&p.Permanent.Unit, &p.Permanent.Detail, &p.Temporary.Unit, &p.Temporary.Detail, &p.Current.Unit, &p.Current.Detail,
		&hh, &rel, &p.FatherPIN, &p.MotherPIN, &p.SpousePIN,
		&p.Card.Number, &cardIssued, &cardExpires, &resp, &status, &death, &p.Version, &created, &up)
	if err != nil {
		return p, err
	}
	p.HouseholdID = hh.String
	if other != "" {
		p.OtherNames = strings.Split(other, otherNamesSep)
	}
	p.BirthDate = parseStoredDate(birth)
	p.Sex, _ = civil.ParseSex(sex)
	p.Relation, p.Status = Relation(rel), Status(status)
	p.Card.Issued, p.Card.Expires, p.DeathDate = parseStoredDate(cardIssued), parseStoredDate(cardExpires), parseStoredDate(death)
	p.CreatedAt, _ = db.ParseTime(created)
	p.UpdatedAt, _ = db.ParseTime(up)
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

func householdRow(h *Household) []any {
	return []any{h.ID, h.UnitCode, h.Address, db.FormatTime(h.CreatedAt)}
}

// now is the clock, replaceable in tests.
var now = func() time.Time { return time.Now().UTC() }

// vietnam is the time zone of civil dates (UTC+7, no daylight saving), fixed
// so that the binary needs no time-zone database.
var vietnam = time.FixedZone("ICT", 7*3600)

// today is the civil date in Vietnam: dates of civil acts are compared with
// it, not with the UTC date, which lags by a day before 07:00.
func today() civil.Date { return civil.DateOf(now().In(vietnam)) }
