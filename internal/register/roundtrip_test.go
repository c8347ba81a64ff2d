package register_test

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/populus-vn/populus/internal/db"
	"github.com/populus-vn/populus/internal/db/dbtest"
	"github.com/populus-vn/populus/internal/people"
	"github.com/populus-vn/populus/internal/register"
)

// Every field of a person survives the store: people of a synthetic
// population, loaded in bulk, read back by PIN and by search, equal what
// went in (times to the store's microsecond), on each engine.
func TestPersonRoundTrip(t *testing.T) {
	dbtest.Engines(t, testSchemas, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		ctx := context.Background()
		loaded := importSynthetic(t, d, 400, 3)
		norm := func(p people.Person) string {
			p.CreatedAt = p.CreatedAt.UTC().Truncate(time.Microsecond)
			p.UpdatedAt = p.UpdatedAt.UTC().Truncate(time.Microsecond)
			return string(p.AppendJSON(nil))
		}
		fields := map[string]bool{} // fields seen set, so that the sample covers them
		for _, want := range loaded {
			got, err := e.reg.Get(ctx, nation, want.PIN)
			if err != nil {
				t.Fatal(err)
			}
			if g, w := norm(got), norm(want); g != w {
				t.Fatalf("read back\n %s\nwrote\n %s", g, w)
			}
			var m map[string]any
			json.Unmarshal(got.AppendJSON(nil), &m)
			for k, v := range m {
				if v != nil && v != "" {
					fields[k] = true
				}
			}
		}
		for _, f := range []string{"cmnd", "other_names", "father_pin", "mother_pin", "spouse_pin", "household_id", "death_date", "id_card"} {
			if !fields[f] {
				t.Errorf("no person of the sample has %s", f)
			}
		}
		found, _, err := e.reg.Search(ctx, nation, register.Query{Name: loaded[0].FullName, Limit: 50})
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range found {
			if p.PIN == loaded[0].PIN {
				if norm(p) != norm(loaded[0]) {
					t.Fatalf("search read back\n %s\nwrote\n %s", norm(p), norm(loaded[0]))
				}
				return
			}
		}
		t.Fatalf("search for %q did not find %s", loaded[0].FullName, loaded[0].PIN)
	})
}
