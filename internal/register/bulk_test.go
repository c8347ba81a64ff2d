package register_test

import (
	"context"
	"strings"
	"testing"

	"github.com/populus-vn/populus/internal/civil"
	"github.com/populus-vn/populus/internal/db"
	"github.com/populus-vn/populus/internal/db/dbtest"
	"github.com/populus-vn/populus/internal/people"
	"github.com/populus-vn/populus/internal/register"
	"github.com/populus-vn/populus/internal/synth"
)

// A bulk load into an empty register writes without checking, row by row,
// that each person's household exists (SQLite; PostgreSQL's COPY checks);
// Finish checks them all, so a person naming no household fails the load.
func TestImporterChecksHouseholds(t *testing.T) {
	dbtest.Engines(t, testSchemas, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		ctx := context.Background()
		p := e.person(baDinh, "Đặng Văn Khoa", civil.Male, "1980-02-03")
		p.HouseholdID, p.Relation = "NO-SUCH-HOUSEHOLD", people.Head
		im := register.NewImporter(d)
		defer im.Close()
		if err := im.Start(ctx); err != nil {
			t.Fatal(err)
		}
		err := im.Add(ctx, nil, []people.Person{*p})
		if err == nil {
			err = im.Finish(ctx)
		}
		if err == nil || !strings.Contains(err.Error(), "households") && !strings.Contains(err.Error(), "foreign key") {
			t.Fatalf("a person naming a missing household was loaded: %v", err)
		}
		// The same load with the household goes through.
		q := e.person(baDinh, "Đặng Thị Lan", civil.Female, "1982-05-06")
		q.HouseholdID, q.Relation = "HH-LAN", people.Head
		im2 := register.NewImporter(d)
		defer im2.Close()
		err = im2.Add(ctx, &people.Household{ID: "HH-LAN", UnitCode: baDinh, Address: "Số 2"}, []people.Person{*q})
		if err == nil {
			err = im2.Finish(ctx)
		}
		if err != nil {
			t.Fatal(err)
		}
	})
}

// The importer writes a full buffer while Add fills the next: every person
// arrives through many small buffers and commits, and a failed buffer (a
// duplicate PIN) is reported by a later call, after which Close keeps
// nothing that was not committed.
func TestImporterOverlappedWrites(t *testing.T) {
	dbtest.Engines(t, testSchemas, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		ctx := context.Background()
		var loaded []people.Person
		for i := 0; i < 57; i++ {
			loaded = append(loaded, *e.person(baDinh, "Lê Văn An", civil.Male, "1990-01-02"))
		}
		im := register.NewImporter(d)
		im.FlushEvery, im.CommitEvery = 5, 10
		for _, p := range loaded {
			if err := im.Add(ctx, nil, []people.Person{p}); err != nil {
				t.Fatal(err)
			}
		}
		if err := im.Finish(ctx); err != nil {
			t.Fatal(err)
		}
		im.Close()
		var n int
		d.QueryRow(`SELECT count(*) FROM persons`).Scan(&n)
		if n != 57 || im.Total() != 57 {
			t.Fatalf("stored %d people, Total %d; want 57", n, im.Total())
		}

		// A second load: the tenth person repeats a PIN already stored.
		im2 := register.NewImporter(d)
		im2.FlushEvery, im2.CommitEvery = 5, 1000
		var err error
		for i := 0; i < 40 && err == nil; i++ {
			p := *e.person(baDinh, "Lê Thị Bình", civil.Female, "1991-03-04")
			if i == 9 {
				p.PIN = loaded[0].PIN
			}
			err = im2.Add(ctx, nil, []people.Person{p})
		}
		if err == nil {
			err = im2.Finish(ctx)
		}
		if err == nil {
			t.Fatal("a load repeating a stored PIN succeeded")
		}
		im2.Close()
		// On PostgreSQL each buffer is a COPY transaction of its own: the
		// buffer before the failed one stays.
		want := 57
		if d.Engine == db.Postgres {
			want += 5
		}
		d.QueryRow(`SELECT count(*) FROM persons`).Scan(&n)
		if n != want {
			t.Errorf("after the failed load, %d people are stored; want %d", n, want)
		}
	})
}

// The columns a bulk load binds as NULL when empty (db.Batch.Blank) must be
// exactly those SQLite declares NOT NULL DEFAULT ”: one missing costs speed
// only, but one too many would store NULL where ” belongs, or ” where a
// NULL (a household_id) belongs.
func TestBlankColumns(t *testing.T) {
	d := dbtest.SQLite(t, testSchemas...)
	for table, listed := range register.BlankColumns {
		rows, err := d.Query("SELECT name FROM pragma_table_info($1) WHERE \"notnull\" = 1 AND dflt_value = '''''' ORDER BY cid", table)
		if err != nil {
			t.Fatal(err)
		}
		var declared []string
		for rows.Next() {
			var n string
			if err := rows.Scan(&n); err != nil {
				t.Fatal(err)
			}
			declared = append(declared, n)
		}
		rows.Close()
		if strings.Join(declared, ",") != strings.Join(listed, ",") {
			t.Errorf("%s: listed %v, declared NOT NULL DEFAULT '': %v", table, listed, declared)
		}
	}
}

// On SQLite a load into an empty register is staged (db.Bulk.Stage) and
// stored by Finish in one transaction, sorted by key: a load abandoned
// before Finish, or one that Finish refuses (a PIN twice), stores nothing,
// not even its households, and leaves no staging table behind on the
// pooled connections, so that the next load goes through.
func TestImporterStagedLoadIsAllOrNothing(t *testing.T) {
	d := dbtest.SQLite(t, testSchemas...)
	ctx := context.Background()
	var loaded []people.Person
	var households []*people.Household
	err := synth.Generate(ctx, synth.Config{People: 500, Seed: 11}, func(h *people.Household, members []people.Person) error {
		if h != nil {
			hh := *h
			households = append(households, &hh)
		}
		for _, m := range members {
			m.OtherNames = append([]string(nil), m.OtherNames...)
			loaded = append(loaded, m)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	count := func() (n, h int) {
		d.QueryRow(`SELECT count(*) FROM persons`).Scan(&n)
		d.QueryRow(`SELECT count(*) FROM households`).Scan(&h)
		return n, h
	}
	// load adds every household with its members, the person at dup
	// repeating the first PIN (none when dup < 0), then finishes unless
	// abandon is set.
	load := func(dup int, abandon bool) error {
		im := register.NewImporter(d)
		im.FlushEvery, im.CommitEvery = 50, 120
		defer im.Close()
		if err := im.Start(ctx); err != nil {
			return err
		}
		person := func(i int) people.Person {
			p := loaded[i]
			if i == dup {
				p.PIN = loaded[0].PIN
			}
			return p
		}
		i := 0
		for _, h := range households {
			var ms []people.Person
			for ; i < len(loaded) && loaded[i].HouseholdID == h.ID; i++ {
				ms = append(ms, person(i))
			}
			if err := im.Add(ctx, h, ms); err != nil {
				return err
			}
		}
		for ; i < len(loaded); i++ { // people without a household
			if err := im.Add(ctx, nil, []people.Person{person(i)}); err != nil {
				return err
			}
		}
		if abandon {
			return nil
		}
		return im.Finish(ctx)
	}
	if err := load(-1, true); err != nil {
		t.Fatal(err)
	}
	if n, h := count(); n != 0 || h != 0 {
		t.Fatalf("an abandoned load stored %d people and %d households", n, h)
	}
	if err := load(len(loaded)-3, false); err == nil {
		t.Fatal("a load with a PIN twice succeeded")
	}
	if n, h := count(); n != 0 || h != 0 {
		t.Fatalf("a refused load stored %d people and %d households", n, h)
	}
	if err := load(-1, false); err != nil {
		t.Fatal(err)
	}
	if n, h := count(); n != len(loaded) || h != len(households) {
		t.Fatalf("stored %d people and %d households, want %d and %d", n, h, len(loaded), len(households))
	}
	var staged int
	for i := 0; i < 8; i++ { // every pooled connection
		d.QueryRow(`SELECT count(*) FROM temp.sqlite_master WHERE name LIKE 'stage_%'`).Scan(&staged)
		if staged != 0 {
			t.Fatalf("%d staging tables left on a pooled connection", staged)
		}
	}
}
