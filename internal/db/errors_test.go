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
	dbtest.Engines(t, nil, func(t *testing.T, d *db.DB) {
		for _, q := range []string{
			`CREATE TABLE err_parent (id TEXT PRIMARY KEY, v TEXT NOT NULL)`,
			`CREATE TABLE err_child (id TEXT PRIMARY KEY, parent TEXT REFERENCES err_parent (id))`,
			`INSERT INTO err_parent (id, v) VALUES ('P1', 'x')`,
		} {
			if _, err := d.Exec(q); err != nil {
				t.Fatal(err)
			}
		}
		_, unique := d.Exec(`INSERT INTO err_parent (id, v) VALUES ('P1', 'x')`)
		_, fk := d.Exec(`INSERT INTO err_child (id, parent) VALUES ('C1', 'NONE')`)
		_, notNull := d.Exec(`INSERT INTO err_parent (id, v) VALUES ('P2', NULL)`)
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
