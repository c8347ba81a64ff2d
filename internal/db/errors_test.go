package db_test

import (
	"errors"
	"fmt"
	"testing"

	"github.com/populus-vn/populus/internal/db"
	"github.com/populus-vn/populus/internal/db/dbtest"
)

// The drivers' errors are classified by code, on both engines, also when
// wrapped.
func TestErrorClassification(t *testing.T) {
	dbtest.Engines(t, testSchemas, func(t *testing.T, d *db.DB) {
		if _, err := d.Exec(`INSERT INTO households (id, unit_code, created_at) VALUES ('H1', '00004', 'x')`); err != nil {
			t.Fatal(err)
		}
		_, unique := d.Exec(`INSERT INTO households (id, unit_code, created_at) VALUES ('H1', '00004', 'x')`)
		_, fk := d.Exec(`INSERT INTO persons (pin, full_name, name_folded, birth_date, birth_key, sex, household_id, created_at, updated_at)
			VALUES ('001090000001', 'A', 'a', '1990', 1990, 'M', 'NONE', 'x', 'x')`)
		_, notNull := d.Exec(`INSERT INTO households (id, unit_code, created_at) VALUES ('H2', NULL, 'x')`)
		_, syntax := d.Exec(`SELEC 1`)
		for _, c := range []struct {
			name                          string
			err                           error
			constraint, uniq, foreign, rt bool
		}{
			{"unique", unique, true, true, false, false},
			{"foreign key", fk, true, false, true, false},
			{"not null", notNull, true, false, false, false},
			{"syntax", syntax, false, false, false, false},
			{"other", errors.New("unique constraint failed"), false, false, false, false},
		} {
			err := fmt.Errorf("wrapped: %w", c.err)
			if c.err == nil || db.IsConstraint(err) != c.constraint || db.IsUniqueViolation(err) != c.uniq ||
				db.IsForeignKey(err) != c.foreign || db.IsRetryable(err) != c.rt {
				t.Errorf("%s (%v): constraint %v, unique %v, foreign key %v, retryable %v", c.name, c.err,
					db.IsConstraint(err), db.IsUniqueViolation(err), db.IsForeignKey(err), db.IsRetryable(err))
			}
		}
	})
}
