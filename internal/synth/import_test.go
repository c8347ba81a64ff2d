package synth

import (
	"context"
	"testing"

	"github.com/populus-vn/populus/internal/db"
	"github.com/populus-vn/populus/internal/db/dbtest"
	"github.com/populus-vn/populus/internal/people"
	"github.com/populus-vn/populus/internal/register"
)

// TestImport loads a generated population through the register's bulk
// importer, so the store's constraints (unique PINs and CMNDs, one head per
// household, households before their members) check the output too.
func TestImport(t *testing.T) {
	dbtest.Engines(t, testSchemas, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		im := register.NewImporter(d)
		im.FlushEvery = 5000
		const nPeople = 20000
		err := Generate(ctx, Config{People: nPeople, Seed: 11}, func(h *people.Household, ms []people.Person) error {
			return im.Add(ctx, h, ms)
		})
		if err == nil {
			err = im.Flush(ctx)
		}
		if err != nil {
			t.Fatal(err)
		}
		var n, heads, households int
		err = register.ScanHouseholds(ctx, d, func(_ *people.Household, ms []people.Person) error {
			for _, m := range ms {
				n++
				if m.Relation == people.Head {
					heads++
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		if err := d.QueryRowContext(ctx, "SELECT count(*) FROM households").Scan(&households); err != nil {
			t.Fatal(err)
		}
		if n != nPeople || im.Total() != nPeople || heads != households {
			t.Errorf("stored %d people (importer says %d), %d heads of %d households", n, im.Total(), heads, households)
		}
	})
}
