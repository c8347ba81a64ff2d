package register_test

import (
	"context"
	"strings"
	"testing"

	"github.com/populus-vn/populus/internal/db"
	"github.com/populus-vn/populus/internal/register"
)

// Migration 0003 rebuilds persons on SQLite keyed by the PIN as an integer:
// a register loaded under the old schema reads back the same, row for row
// and person for person, with the PINs' leading zeros; the PIN's own index
// is gone, the look-up by PIN searches the table's key, and the indexes of
// the old table are all there again.
func TestPersonsKeyedByPIN(t *testing.T) {
	ctx := context.Background()
	d, err := db.Open(ctx, "", t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	if _, err := d.MigrateTo(ctx, register.Schema, 2); err != nil {
		t.Fatal(err)
	}
	people := importSynthetic(t, d, 300, 5)
	// Every column of every row, as text, in PIN order.
	dump := func(pin string) string {
		var rows []string
		err := func() error {
			r, err := d.QueryContext(ctx, `SELECT `+pin+` || '|' || cmnd || '|' || full_name || '|' || name_folded || '|' || other_names || '|' ||
				birth_date || '|' || birth_key || '|' || sex || '|' || perm_unit || '|' || cur_address || '|' || COALESCE(household_id, '-') || '|' ||
				relation || '|' || father_pin || '|' || mother_pin || '|' || spouse_pin || '|' || resp_unit || '|' || status || '|' ||
				death_date || '|' || version || '|' || created_at FROM persons ORDER BY pin`)
			if err != nil {
				return err
			}
			defer r.Close()
			for r.Next() {
				var s string
				if err := r.Scan(&s); err != nil {
					return err
				}
				rows = append(rows, s)
			}
			return r.Err()
		}()
		if err != nil {
			t.Fatal(err)
		}
		return strings.Join(rows, "\n")
	}
	before := dump("pin")
	if _, err := d.Migrate(ctx, register.Schema); err != nil {
		t.Fatal(err)
	}
	if after := dump(register.PINText(d, "pin")); after != before || len(people) < 300 {
		t.Fatalf("persons changed in migration register 0003 (%d people):\nbefore %.300s\nafter  %.300s", len(people), before, after)
	}
	if !strings.HasPrefix(before, "0") {
		t.Fatalf("the sample has no PIN with a leading zero: %.40s", before)
	}

	var typ string
	var pk int
	if err := d.QueryRowContext(ctx, `SELECT type, pk FROM pragma_table_info('persons') WHERE name = 'pin'`).Scan(&typ, &pk); err != nil || typ != "INTEGER" || pk != 1 {
		t.Errorf("persons.pin is %q (primary key %d, %v), want the INTEGER primary key", typ, pk, err)
	}
	r, err := d.QueryContext(ctx, `SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'persons' ORDER BY name`)
	indexes, err := db.Collect(r, err, func(s db.Scanner) (string, error) {
		var n string
		return n, s.Scan(&n)
	})
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(indexes, " "); got != "persons_birth_name persons_cmnd persons_household persons_household_head persons_name_birth" {
		t.Errorf("indexes of persons: %s", got)
	}
	rows, err := d.QueryContext(ctx, `EXPLAIN QUERY PLAN SELECT full_name FROM persons WHERE pin = $1`, people[0].PIN)
	if err != nil {
		t.Fatal(err)
	}
	var plan []string
	for rows.Next() {
		var id, parent, notused int
		var detail string
		if err := rows.Scan(&id, &parent, &notused, &detail); err != nil {
			t.Fatal(err)
		}
		plan = append(plan, detail)
	}
	rows.Close()
	if !strings.Contains(strings.Join(plan, "; "), "USING INTEGER PRIMARY KEY") {
		t.Errorf("a look-up by PIN: %s", plan)
	}

	e := newEnv(t, d)
	for _, want := range people {
		got, err := e.reg.Get(ctx, nation, want.PIN)
		if err != nil {
			t.Fatal(err)
		}
		if got.PIN != want.PIN || got.FullName != want.FullName || got.BirthDate != want.BirthDate || got.HouseholdID != want.HouseholdID {
			t.Fatalf("%s read back as %s %q %s %s", want.PIN, got.PIN, got.FullName, got.BirthDate, got.HouseholdID)
		}
	}
	// A household's members come with their PINs as stored.
	for _, want := range people[:20] {
		if want.HouseholdID == "" {
			continue
		}
		_, members, err := e.reg.Household(ctx, nation, want.HouseholdID)
		if err != nil {
			t.Fatal(err)
		}
		found := false
		for _, m := range members {
			found = found || m.PIN == want.PIN
		}
		if !found {
			t.Errorf("household %s: %s not among its members %+v", want.HouseholdID, want.PIN, members)
		}
	}
}
