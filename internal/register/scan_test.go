package register_test

import (
	"context"
	"errors"
	"testing"

	"github.com/populus-vn/populus/internal/db"
	"github.com/populus-vn/populus/internal/db/dbtest"
	"github.com/populus-vn/populus/internal/people"
	"github.com/populus-vn/populus/internal/register"
)

// The streaming readers read what the register holds: every person once,
// the same fields as Get, households in a stable order; ErrStop ends a scan
// without an error and a callback's error ends it with that error.
func TestStreamingReaders(t *testing.T) {
	dbtest.Engines(t, testSchemas, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		loaded := importSynthetic(t, d, 600, 9)
		byPIN := map[string]*people.Person{}
		for i := range loaded {
			byPIN[loaded[i].PIN] = &loaded[i]
		}

		n, err := register.Count(ctx, d)
		if err != nil || n != int64(len(loaded)) {
			t.Fatalf("Count = %d, %v; want %d", n, err, len(loaded))
		}
		if np, _, err := register.Version(ctx, d); err != nil || np != n {
			t.Fatalf("Version = %d, %v; want %d people", np, err, n)
		}

		// Scan: whole records in PIN order, as Get reads them.
		e := newEnv(t, d)
		last, seen := "", 0
		err = register.Scan(ctx, d, register.ScanOptions{}, func(p *people.Person) error {
			if p.PIN <= last {
				t.Fatalf("Scan: %s after %s", p.PIN, last)
			}
			last = p.PIN
			if seen++; seen%97 == 0 {
				got, err := e.reg.Get(ctx, nation, p.PIN)
				if err != nil {
					return err
				}
				if string(got.AppendJSON(nil)) != string(p.AppendJSON(nil)) {
					t.Fatalf("Scan read\n %s\nGet reads\n %s", p.AppendJSON(nil), got.AppendJSON(nil))
				}
			}
			return nil
		})
		if err != nil || seen != len(loaded) {
			t.Fatalf("Scan saw %d people, %v; want %d", seen, err, len(loaded))
		}
		unit := loaded[0].Permanent.Unit
		err = register.Scan(ctx, d, register.ScanOptions{PermanentUnit: unit}, func(p *people.Person) error {
			if p.Permanent.Unit != unit {
				t.Fatalf("Scan of unit %s read %s of %s", unit, p.PIN, p.Permanent.Unit)
			}
			return register.ErrStop
		})
		if err != nil {
			t.Fatalf("Scan stopped by ErrStop: %v", err)
		}
		boom := errors.New("boom")
		if err := register.Scan(ctx, d, register.ScanOptions{}, func(*people.Person) error { return boom }); !errors.Is(err, boom) {
			t.Fatalf("Scan returned %v, want the callback's error", err)
		}

		// ScanIdentities: every person once, the fields of the record.
		seen = 0
		err = register.ScanIdentities(ctx, d, func(batch []register.Identity) error {
			for i := range batch {
				id := &batch[i]
				p := byPIN[id.PIN]
				if p == nil {
					t.Fatalf("ScanIdentities read unknown PIN %q", id.PIN)
				}
				seen++
				if id.FullName != p.FullName || id.CMND != p.CMND || id.BirthDate() != p.BirthDate || id.Sex() != p.Sex ||
					id.Status() != p.Status || id.DeathDate() != p.DeathDate || len(id.OtherNames()) != len(p.OtherNames) ||
					id.CurrentUnit != p.Current.Unit || id.PermanentUnit != p.Permanent.Unit ||
					id.TemporaryUnit != p.Temporary.Unit || id.BirthPlace != p.BirthPlace {
					t.Fatalf("ScanIdentities read %+v for %+v", *id, *p)
				}
			}
			return nil
		})
		if err != nil || seen != len(loaded) {
			t.Fatalf("ScanIdentities saw %d people, %v; want %d", seen, err, len(loaded))
		}

		// ScanHouseholds: every person once, members of one household together.
		seen = 0
		households := map[string]bool{}
		err = register.ScanHouseholds(ctx, d, func(h *people.Household, ms []people.Person) error {
			if h.ID != "" {
				if households[h.ID] {
					t.Fatalf("household %s twice", h.ID)
				}
				households[h.ID] = true
			}
			for _, m := range ms {
				seen++
				if m.HouseholdID != h.ID || byPIN[m.PIN] == nil || m.FullName != byPIN[m.PIN].FullName {
					t.Fatalf("ScanHouseholds read %s in household %q", m.PIN, h.ID)
				}
			}
			return nil
		})
		if err != nil || seen != len(loaded) {
			t.Fatalf("ScanHouseholds saw %d people, %v; want %d", seen, err, len(loaded))
		}

		// A cancelled context ends a scan.
		cctx, cancel := context.WithCancel(ctx)
		cancel()
		if err := register.ScanIdentities(cctx, d, func([]register.Identity) error { return nil }); err == nil {
			t.Fatal("ScanIdentities ran under a cancelled context")
		}
	})
}
