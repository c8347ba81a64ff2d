package dbtest_test

import (
	"os"
	"slices"
	"testing"

	"github.com/populus-vn/populus/internal/db"
	"github.com/populus-vn/populus/internal/db/dbtest"
)

// TestParityFails: the parity check reports a fixture whose engines diverge
// (a column renamed, an index on other columns, an index missing), and a
// declaration that no longer holds; with PostgreSQL, on the two engines
// themselves, without it on two SQLite stores.
func TestParityFails(t *testing.T) {
	fixture := &db.Schema{Name: "fixture", FS: os.DirFS("testdata/parity")}
	a := dbtest.Describe(t, dbtest.SQLite(t, fixture))
	var b dbtest.Catalog
	if os.Getenv(dbtest.EnvPostgres) != "" {
		b = dbtest.Describe(t, dbtest.Postgres(t, fixture))
	} else {
		t.Logf("PostgreSQL side replaced by its SQLite twin: set %s to compare the engines", dbtest.EnvPostgres)
		b = dbtest.Describe(t, dbtest.SQLite(t, &db.Schema{Name: "fixture", FS: os.DirFS("testdata/diverged")}))
	}
	if len(a["things"].Indexes) != 4 {
		t.Errorf("things' indexes on SQLite: %v, want the key, the UNIQUE name and two", a["things"].Indexes)
	}
	want := []string{
		"column things.unit: only on sqlite",
		"column things.unit_code: only on postgres",
		"index things.things_name: (name, unit) on sqlite, (name) on postgres",
		"index things.things_unit: only on sqlite",
	}
	if got := dbtest.Diff("sqlite", a, "postgres", b); !slices.Equal(got, want) {
		t.Errorf("Diff:\n%q\nwant\n%q", got, want)
	}
	declared := []dbtest.Declared{
		{Diff: want[3], Reason: "a reason"},
		{Diff: "index things.things_other: only on sqlite", Reason: "gone"},
	}
	got := dbtest.Parity("sqlite", a, "postgres", b, declared)
	wantProblems := []string{
		"undeclared difference: " + want[0],
		"undeclared difference: " + want[1],
		"undeclared difference: " + want[2],
		"declared difference not found: index things.things_other: only on sqlite",
	}
	if !slices.Equal(got, wantProblems) {
		t.Errorf("Parity:\n%q\nwant\n%q", got, wantProblems)
	}
	if p := dbtest.Parity("sqlite", a, "sqlite", a, nil); len(p) != 0 {
		t.Errorf("a catalog differs from itself: %q", p)
	}
}
