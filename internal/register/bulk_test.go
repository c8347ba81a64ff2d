package register_test

import (
	"context"
	"strings"
	"testing"

	"github.com/populus-vn/populus/internal/civil"
	"github.com/populus-vn/populus/internal/db"
	"github.com/populus-vn/populus/internal/db/dbtest"
	"github.com/populus-vn/populus/internal/register"
)

// A bulk load into an empty register writes without checking, row by row,
// that each person's household exists (SQLite; PostgreSQL's COPY checks);
// Finish checks them all, so a person naming no household fails the load.
func TestImporterChecksHouseholds(t *testing.T) {
	dbtest.Engines(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		ctx := context.Background()
		p := e.person(baDinh, "Đặng Văn Khoa", civil.Male, "1980-02-03")
		p.HouseholdID, p.Relation = "NO-SUCH-HOUSEHOLD", register.Head
		im := register.NewImporter(d)
		defer im.Close()
		if err := im.Start(ctx); err != nil {
			t.Fatal(err)
		}
		err := im.Add(ctx, nil, []register.Person{*p})
		if err == nil {
			err = im.Finish(ctx)
		}
		if err == nil || !strings.Contains(err.Error(), "households") && !strings.Contains(err.Error(), "foreign key") {
			t.Fatalf("a person naming a missing household was loaded: %v", err)
		}
		// The same load with the household goes through.
		q := e.person(baDinh, "Đặng Thị Lan", civil.Female, "1982-05-06")
		q.HouseholdID, q.Relation = "HH-LAN", register.Head
		im2 := register.NewImporter(d)
		defer im2.Close()
		err = im2.Add(ctx, &register.Household{ID: "HH-LAN", UnitCode: baDinh, Address: "Số 2"}, []register.Person{*q})
		if err == nil {
			err = im2.Finish(ctx)
		}
		if err != nil {
			t.Fatal(err)
		}
	})
}
