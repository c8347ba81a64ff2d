// Command seed measures how fast Populus loads a synthetic population, on
// SQLite and on PostgreSQL, against each engine's own CSV bulk loader in the
// same run.
//
// The Populus path is the real one: internal/synth.Generate feeding
// register.NewImporter over a store opened by db.Open and migrated by
// Migrate. It runs in a child process, so that its peak RSS (VmHWM) is its
// own. The baseline loads the same rows, written to CSV by this program from
// the same generator beforehand (not timed), into a fresh store with the same
// migrations: `sqlite3 .import` for SQLite, `psql \copy … (FORMAT csv)` (COPY
// FROM STDIN) for PostgreSQL. Peak RSS of the baseline is the sqlite3 or psql
// process's, from wait4's rusage.
//
//	go run ./bench/seed -people 1000000
//	go run ./bench/seed -people 10000000 -engines sqlite
//
// See docs/benchmarks.md.
package main

import (
	"bufio"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"runtime/pprof"
	"strconv"
	"strings"
	"time"

	"github.com/populus-vn/populus/bench/internal/benchinfo"
	"github.com/populus-vn/populus/internal/audit"
	"github.com/populus-vn/populus/internal/db"
	"github.com/populus-vn/populus/internal/people"
	"github.com/populus-vn/populus/internal/register"
	"github.com/populus-vn/populus/internal/synth"
	"github.com/populus-vn/populus/internal/textfold"
)

const defaultPG = "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"

var (
	nPeople  = flag.Int("people", 1_000_000, "number of people to generate and load")
	seedFlag = flag.Uint64("seed", 1, "synthetic population seed")
	engines  = flag.String("engines", "sqlite,postgres", "comma-separated engines to measure: sqlite, postgres")
	pgURL    = flag.String("pg", envOr("POPULUS_BENCH_POSTGRES", defaultPG), "PostgreSQL URL (a fresh schema is created for each load and dropped after)")
	dir      = flag.String("dir", "bench/out/seed", "work directory for the CSV files and SQLite databases (never inside the repository's tracked tree)")
	keep     = flag.Bool("keep", false, "keep the CSV files, databases and schemas after the run")
	verify   = flag.String("verify", "count", "check that both paths stored the same data: count (row counts) or full (every row compared)")
	sqliteBL = flag.String("sqlite-baseline", "trigger", "how sqlite3 .import maps empty CSV fields to NULL (household_id): trigger (INSTEAD OF trigger on a view, one pass), stage (import into a staging table, then INSERT … SELECT … ORDER BY pin, sorted like the importer), or direct (no mapping: .import straight into persons with foreign keys off, storing '' for NULL — the fastest, strictest baseline)")
	jsonOut  = flag.String("json", "", "also write the results as JSON to this file")
	blIndex  = flag.String("baseline-indexes", "deferred", "secondary indexes in the baseline: deferred (dropped before the load and built after it, timed, as register.Importer's Start/Finish do on an empty register) or kept (maintained row by row during the load)")
	pipeline = flag.Bool("pipeline", true, "generate in a goroutine of its own feeding the importer through a channel, as `populus seed` does; false calls Importer.Add from the generator's callback")

	// Internal: run the Populus path in this (child) process.
	child   = flag.String("child", "", "internal: 'import' runs the Populus path and prints its result as JSON")
	target  = flag.String("target", "", "internal: store to import into (sqlite:PATH or a postgres URL)")
	cpuProf = flag.String("cpuprofile", "", "write a CPU profile of the Populus path (child process) to this file")
)

func envOr(k, def string) string {
	if v := os.Getenv(k); v != "" {
		return v
	}
	return def
}

// childResult is what the child process reports.
type childResult struct {
	People     int64   `json:"people"`
	Seconds    float64 `json:"seconds"`
	PeakRSSKiB int64   `json:"peak_rss_kib"`
}

// Result is one engine's measurement.
type Result struct {
	Engine          string  `json:"engine"`
	People          int     `json:"people"`
	PopulusSeconds  float64 `json:"populus_seconds"`
	PopulusRate     float64 `json:"populus_people_per_s"`
	PopulusRSSKiB   int64   `json:"populus_peak_rss_kib"`
	BaselineSeconds float64 `json:"baseline_seconds"`
	BaselineRate    float64 `json:"baseline_people_per_s"`
	BaselineRSSKiB  int64   `json:"baseline_peak_rss_kib"`
	Ratio           float64 `json:"ratio"`
	Baseline        string  `json:"baseline"`
	Pipelined       bool    `json:"pipelined"`
}

func main() {
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	var err error
	if *child == "import" {
		err = childImport(ctx)
	} else {
		err = run(ctx)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "seed:", err)
		os.Exit(1)
	}
}

// generatePipelined is what `populus seed` does: synth.Pipelined, with the
// generator in a goroutine of its own, so that generating and storing overlap.
func generatePipelined(ctx context.Context, im *register.Importer) error {
	return synth.Pipelined(ctx, synth.Config{People: *nPeople, Seed: *seedFlag}, func(h *people.Household, members []people.Person) error {
		return im.Add(ctx, h, members)
	})
}

// childImport is the Populus path: generator → Importer, timed from the first
// generated household to the store closed (SQLite's last checkpoint included).
func childImport(ctx context.Context) error {
	d, err := db.Open(ctx, *target, "")
	if err != nil {
		return err
	}
	if _, err := d.Migrate(ctx, register.Schema); err != nil {
		return err
	}
	im := register.NewImporter(d)
	defer im.Close()
	if *cpuProf != "" {
		f, err := os.Create(*cpuProf)
		if err != nil {
			return err
		}
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
		defer pprof.StopCPUProfile()
	}
	start := time.Now()
	if err := im.Start(ctx); err != nil {
		return err
	}
	if *pipeline {
		err = generatePipelined(ctx, im)
	} else {
		err = synth.Generate(ctx, synth.Config{People: *nPeople, Seed: *seedFlag}, func(h *people.Household, members []people.Person) error {
			return im.Add(ctx, h, members)
		})
	}
	if err == nil {
		err = im.Finish(ctx) // builds the indexes Start deferred: part of the time
	}
	if cerr := d.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return err
	}
	el := time.Since(start)
	return json.NewEncoder(os.Stdout).Encode(childResult{People: im.Total(), Seconds: el.Seconds(), PeakRSSKiB: benchinfo.PeakRSSKiB()})
}

func run(ctx context.Context) error {
	if *nPeople <= 0 {
		return errors.New("-people must be positive")
	}
	if *verify != "count" && *verify != "full" {
		return errors.New("-verify must be count or full")
	}
	if *blIndex != "deferred" && *blIndex != "kept" {
		return errors.New("-baseline-indexes must be deferred or kept")
	}
	if *sqliteBL != "trigger" && *sqliteBL != "stage" && *sqliteBL != "direct" {
		return errors.New("-sqlite-baseline must be trigger, stage or direct")
	}
	var todo []string
	for _, e := range strings.Split(*engines, ",") {
		switch e = strings.TrimSpace(e); e {
		case "sqlite":
			if _, err := exec.LookPath("sqlite3"); err != nil {
				return errors.New("the SQLite baseline needs the sqlite3 command (Debian package sqlite3)")
			}
		case "postgres":
			if _, err := exec.LookPath("psql"); err != nil {
				return errors.New("the PostgreSQL baseline needs the psql command (Debian package postgresql-client)")
			}
		case "":
			continue
		default:
			return fmt.Errorf("unknown engine %q", e)
		}
		todo = append(todo, e)
	}
	work, err := filepath.Abs(*dir)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(work, 0o755); err != nil {
		return err
	}
	if err := checkSchema(ctx, work); err != nil {
		return err
	}
	machine := benchinfo.Describe()
	fmt.Printf("# bench/seed: %s people, seed %d\n\n%s\n\n", benchinfo.Count(*nPeople), *seedFlag, machine)

	// The generator alone, for reference: how much of the Populus time is
	// spent generating rather than storing.
	start := time.Now()
	if err := synth.Generate(ctx, synth.Config{People: *nPeople, Seed: *seedFlag}, func(*people.Household, []people.Person) error { return nil }); err != nil {
		return err
	}
	genSec := time.Since(start).Seconds()
	fmt.Printf("generator alone: %.1f s (%s people/s)\n", genSec, benchinfo.Rate(float64(*nPeople)/genSec))

	start = time.Now()
	hhCSV, pCSV := filepath.Join(work, "households.csv"), filepath.Join(work, "persons.csv")
	nh, np, err := writeCSV(ctx, hhCSV, pCSV)
	if err != nil {
		return err
	}
	if !*keep {
		defer os.Remove(hhCSV)
		defer os.Remove(pCSV)
	}
	fmt.Printf("CSV for the baseline (not timed in it): %d households, %d people, %s, written in %.1f s\n\n",
		nh, np, sizeOf(pCSV, hhCSV), time.Since(start).Seconds())

	self, err := os.Executable()
	if err != nil {
		return err
	}
	var results []Result
	for _, e := range todo {
		var r Result
		var err error
		switch e {
		case "sqlite":
			r, err = benchSQLite(ctx, self, work, hhCSV, pCSV, nh, np)
		case "postgres":
			r, err = benchPostgres(ctx, self, hhCSV, pCSV, nh, np)
		}
		if err != nil {
			return fmt.Errorf("%s: %w", e, err)
		}
		results = append(results, r)
	}

	fmt.Println()
	benchinfo.Table(os.Stdout, "engine", "people", "Populus import", "baseline", "ratio (target ≥ 0.5)", "Populus peak RSS", "baseline peak RSS", "Populus time", "baseline time")
	for _, r := range results {
		benchinfo.Row(os.Stdout, r.Engine, benchinfo.Count(r.People),
			benchinfo.Rate(r.PopulusRate)+" people/s", benchinfo.Rate(r.BaselineRate)+" people/s",
			fmt.Sprintf("%.2f", r.Ratio), benchinfo.MiB(r.PopulusRSSKiB), benchinfo.MiB(r.BaselineRSSKiB),
			fmt.Sprintf("%.1f s", r.PopulusSeconds), fmt.Sprintf("%.1f s", r.BaselineSeconds))
	}
	fmt.Println()
	if *pipeline {
		fmt.Println("Populus path: register.Importer Start (defers secondary indexes on an empty register), then synth.Pipelined (generator in its own goroutine) feeding Add, then Finish (flush, build the indexes), as `populus seed` runs it")
	} else {
		fmt.Println("Populus path: register.Importer Start, then Add called from synth.Generate's callback in one goroutine (-pipeline=false), then Finish")
	}
	for _, r := range results {
		fmt.Printf("baseline %s: %s\n", r.Engine, r.Baseline)
	}
	if *jsonOut != "" {
		b, _ := json.MarshalIndent(map[string]any{"machine": machine, "seed": *seedFlag, "generator_seconds": genSec, "results": results}, "", "  ")
		if err := os.WriteFile(*jsonOut, append(b, '\n'), 0o644); err != nil {
			return err
		}
	}
	return nil
}

func sizeOf(paths ...string) string {
	var n int64
	for _, p := range paths {
		if fi, err := os.Stat(p); err == nil {
			n += fi.Size()
		}
	}
	return fmt.Sprintf("%.0f MiB", float64(n)/(1<<20))
}

// runChild runs the Populus path in a child process.
func runChild(ctx context.Context, self, target string) (childResult, error) {
	args := []string{"-child=import", "-target=" + target, "-people=" + strconv.Itoa(*nPeople), "-seed=" + strconv.FormatUint(*seedFlag, 10),
		"-pipeline=" + strconv.FormatBool(*pipeline)}
	if *cpuProf != "" {
		args = append(args, "-cpuprofile="+*cpuProf+"."+strings.SplitN(target, ":", 2)[0])
	}
	cmd := exec.CommandContext(ctx, self, args...)
	_, rss, out, err := benchinfo.Run(cmd, nil)
	if err != nil {
		return childResult{}, err
	}
	var r childResult
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if err := json.Unmarshal([]byte(lines[len(lines)-1]), &r); err != nil {
		return r, fmt.Errorf("child output %q: %w", out, err)
	}
	if r.People != int64(*nPeople) {
		return r, fmt.Errorf("child imported %d people, want %d", r.People, *nPeople)
	}
	// VmHWM read by the child itself; wait4's figure is the same or a
	// little higher (it includes the exit path).
	if r.PeakRSSKiB == 0 {
		r.PeakRSSKiB = rss
	}
	return r, nil
}

func result(engine string, n int, c childResult, blWall time.Duration, blRSS int64, how string) Result {
	r := Result{
		Engine: engine, People: n,
		PopulusSeconds: c.Seconds, PopulusRate: float64(n) / c.Seconds, PopulusRSSKiB: c.PeakRSSKiB,
		BaselineSeconds: blWall.Seconds(), BaselineRate: float64(n) / blWall.Seconds(), BaselineRSSKiB: blRSS,
		Baseline: how, Pipelined: *pipeline,
	}
	r.Ratio = r.PopulusRate / r.BaselineRate
	fmt.Printf("%-8s Populus %6.1f s %12s people/s  peak RSS %s\n", engine, r.PopulusSeconds, benchinfo.Rate(r.PopulusRate), benchinfo.MiB(r.PopulusRSSKiB))
	fmt.Printf("%-8s baseline %5.1f s %12s people/s  peak RSS %s  ratio %.2f\n", engine, r.BaselineSeconds, benchinfo.Rate(r.BaselineRate), benchinfo.MiB(r.BaselineRSSKiB), r.Ratio)
	return r
}

// ---------------------------------------------------------------------------
// SQLite

func benchSQLite(ctx context.Context, self, work, hhCSV, pCSV string, nh, np int) (Result, error) {
	goDB, blDB := filepath.Join(work, "sqlite-populus.db"), filepath.Join(work, "sqlite-baseline.db")
	for _, p := range []string{goDB, blDB} {
		removeSQLite(p)
		if !*keep {
			defer removeSQLite(p)
		}
	}

	c, err := runChild(ctx, self, "sqlite:"+goDB)
	if err != nil {
		return Result{}, err
	}

	// A fresh database with the same schema, made by the same migrations.
	d, err := db.Open(ctx, "sqlite:"+blDB, "")
	if err != nil {
		return Result{}, err
	}
	if _, err := d.Migrate(ctx, register.Schema); err != nil {
		d.Close()
		return Result{}, err
	}
	idx, err := secondaryIndexes(ctx, d, "")
	d.Close()
	if err != nil {
		return Result{}, err
	}

	script, how := sqliteScript(hhCSV, pCSV)
	script, how = deferIndexes(script, how, sqlitePragmas, idx)
	cmd := exec.CommandContext(ctx, "sqlite3", "-batch", "-bail", blDB)
	wall, rss, out, err := benchinfo.Run(cmd, strings.NewReader(script))
	if err == nil && (strings.Contains(out, "failed") || strings.Contains(out, "Error")) {
		err = fmt.Errorf("sqlite3 reported errors:\n%s", out)
	}
	if err != nil {
		return Result{}, err
	}
	if err := verifySQLite(ctx, goDB, blDB, nh, np); err != nil {
		return Result{}, err
	}
	return result("SQLite", np, c, wall, rss, how), nil
}

// removeSQLite removes an SQLite store: its file, its audit file
// (audit.Path) and their journals.
func removeSQLite(p string) {
	for _, f := range []string{p, audit.Path(p)} {
		for _, s := range []string{"", "-wal", "-shm", "-journal"} {
			os.Remove(f + s)
		}
	}
}

// sqliteScript is the sqlite3 input of the baseline. The connection settings
// are those db.Open uses, foreign keys included, so that both paths do the
// same work per row. sqlite3's .import cannot produce NULL (an empty field is
// an empty string): when the schema has nullable persons columns (such as
// household_id, a foreign key), the rows pass through NULLIF on the way in;
// otherwise persons.csv is imported straight into persons.
func sqliteScript(hhCSV, pCSV string) (string, string) {
	var b strings.Builder
	b.WriteString(sqlitePragmas)
	fmt.Fprintf(&b, ".import --csv --skip 1 %s households\n", sqlQuoteArg(hhCSV))
	var nullable []string
	for _, c := range personColumns {
		if nullCols["persons."+c] {
			nullable = append(nullable, c)
		}
	}
	if *sqliteBL == "direct" {
		b.WriteString("PRAGMA foreign_keys=OFF;\n")
		fmt.Fprintf(&b, ".import --csv --skip 1 %s persons\n", sqlQuoteArg(pCSV))
		return b.String(), "sqlite3 `.import --csv --skip 1` of households.csv into households, then of persons.csv straight into persons (foreign keys off; '' stored for NULL household_id)"
	}
	if len(nullable) == 0 {
		fmt.Fprintf(&b, ".import --csv --skip 1 %s persons\n", sqlQuoteArg(pCSV))
		return b.String(), "sqlite3 `.import --csv --skip 1` of households.csv into households, then of persons.csv into persons"
	}
	sel := func(from string) string {
		out := make([]string, len(personColumns))
		for i, c := range personColumns {
			if nullCols["persons."+c] {
				out[i] = fmt.Sprintf("NULLIF(%s.%s, '')", from, c)
			} else {
				out[i] = from + "." + c
			}
		}
		return strings.Join(out, ", ")
	}
	cols := strings.Join(personColumns, ", ")
	nulls := "NULLIF(" + strings.Join(nullable, "/") + ", '')"
	switch *sqliteBL {
	case "trigger":
		fmt.Fprintf(&b, "CREATE TEMP VIEW persons_csv AS SELECT %s FROM main.persons;\n", cols)
		fmt.Fprintf(&b, "CREATE TEMP TRIGGER persons_csv_insert INSTEAD OF INSERT ON persons_csv BEGIN INSERT INTO persons (%s) VALUES (%s); END;\n", cols, sel("NEW"))
		fmt.Fprintf(&b, ".import --csv --skip 1 %s persons_csv\n", sqlQuoteArg(pCSV))
		return b.String(), "sqlite3 `.import --csv --skip 1` of households.csv, then of persons.csv into a TEMP view whose INSTEAD OF trigger inserts into persons with " + nulls
	default:
		fmt.Fprintf(&b, "CREATE TEMP TABLE persons_csv (%s);\n", cols)
		fmt.Fprintf(&b, ".import --csv --skip 1 %s persons_csv\n", sqlQuoteArg(pCSV))
		fmt.Fprintf(&b, "INSERT INTO main.persons (%s) SELECT %s FROM persons_csv ORDER BY pin;\n", cols, sel("persons_csv"))
		return b.String(), "sqlite3 `.import --csv --skip 1` of households.csv, then of persons.csv into a TEMP staging table, then INSERT INTO persons SELECT … ORDER BY pin (persons is keyed by PIN) with " + nulls
	}
}

// sqlitePragmas opens the sqlite3 script: the connection settings db.Open
// gives its connections, read back from one by checkSchema, with the page
// cache of a bulk load.
var sqlitePragmas string

// readPragmas returns db.Open's connection settings as sqlite3 commands.
func readPragmas(ctx context.Context, d *db.DB) (string, error) {
	conn, err := d.Conn(ctx)
	if err != nil {
		return "", err
	}
	defer conn.Close()
	var b strings.Builder
	// The importer's connection enlarges its page cache for the load and
	// the index builds (db.BulkCacheKiB); so does the baseline.
	fmt.Fprintf(&b, "PRAGMA cache_size=-%d;\n", db.BulkCacheKiB)
	for _, p := range []string{"journal_mode", "synchronous", "foreign_keys", "temp_store"} {
		var v string
		if err := conn.QueryRowContext(ctx, "PRAGMA "+p).Scan(&v); err != nil {
			return "", fmt.Errorf("PRAGMA %s: %w", p, err)
		}
		fmt.Fprintf(&b, "PRAGMA %s=%s;\n", p, v)
	}
	return b.String(), nil
}

// index is a secondary index of households or persons and its definition.
type index struct{ name, def string }

// secondaryIndexes lists the indexes of households and persons that do not
// back a primary key or constraint: those register.Importer's Start drops on
// an empty register and Finish builds again.
func secondaryIndexes(ctx context.Context, d *db.DB, schema string) ([]index, error) {
	q := `SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name IN ('households', 'persons') AND sql IS NOT NULL ORDER BY name`
	var args []any
	if d.Engine == db.Postgres {
		q = `SELECT i.indexname, i.indexdef FROM pg_indexes i
			WHERE i.schemaname = $1 AND i.tablename IN ('households', 'persons')
			AND NOT EXISTS (SELECT 1 FROM pg_constraint c JOIN pg_namespace n ON n.oid = c.connamespace
				WHERE n.nspname = i.schemaname AND c.conname = i.indexname)
			ORDER BY i.indexname`
		args = append(args, schema)
	}
	rows, err := d.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []index
	for rows.Next() {
		var ix index
		if err := rows.Scan(&ix.name, &ix.def); err != nil {
			return nil, err
		}
		out = append(out, ix)
	}
	return out, rows.Err()
}

// deferIndexes makes a baseline script drop the secondary indexes after its
// opening lines (head) and build them again at its end, when
// -baseline-indexes=deferred.
func deferIndexes(script, how, head string, idx []index) (string, string) {
	if *blIndex != "deferred" || len(idx) == 0 {
		return script, how + "; secondary indexes maintained during the load"
	}
	var drops, builds strings.Builder
	var names []string
	for _, ix := range idx {
		fmt.Fprintf(&drops, "DROP INDEX %s;\n", ix.name)
		fmt.Fprintf(&builds, "%s;\n", strings.TrimSuffix(strings.TrimSpace(ix.def), ";"))
		names = append(names, ix.name)
	}
	body, ok := strings.CutPrefix(script, head)
	if !ok {
		panic("baseline script does not start with its head")
	}
	tail := ""
	if b, ok := strings.CutSuffix(body, "COMMIT;\n"); ok {
		body, tail = b, "COMMIT;\n"
	}
	return head + drops.String() + body + builds.String() + tail,
		how + "; secondary indexes (" + strings.Join(names, ", ") + ") dropped before the load and built after it, timed, as the importer does"
}

// sqlQuoteArg quotes a dot-command argument for the sqlite3 shell.
func sqlQuoteArg(s string) string { return `"` + strings.ReplaceAll(s, `"`, `\"`) + `"` }

func verifySQLite(ctx context.Context, goDB, blDB string, nh, np int) error {
	d, err := db.Open(ctx, "sqlite:"+goDB, "")
	if err != nil {
		return err
	}
	defer d.Close()
	if err := checkCounts(ctx, d, "", nh, np); err != nil {
		return fmt.Errorf("Populus path: %w", err)
	}
	conn, err := d.Conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, "ATTACH DATABASE '"+strings.ReplaceAll(blDB, "'", "''")+"' AS bl"); err != nil {
		return err
	}
	defer conn.ExecContext(context.Background(), "DETACH DATABASE bl")
	if err := checkCounts(ctx, conn, "bl.", nh, np); err != nil {
		return fmt.Errorf("baseline: %w", err)
	}
	if *verify == "full" {
		return compareTables(ctx, conn, "main.", "bl.")
	}
	return nil
}

// ---------------------------------------------------------------------------
// PostgreSQL

func benchPostgres(ctx context.Context, self, hhCSV, pCSV string, nh, np int) (Result, error) {
	admin, err := db.Open(ctx, *pgURL, "")
	if err != nil {
		return Result{}, err
	}
	defer admin.Close()
	prefix := fmt.Sprintf("bench_seed_%d_", os.Getpid())
	goSchema, blSchema := prefix+"populus", prefix+"baseline"
	for _, s := range []string{goSchema, blSchema} {
		if _, err := admin.ExecContext(ctx, "DROP SCHEMA IF EXISTS "+s+" CASCADE; CREATE SCHEMA "+s); err != nil {
			return Result{}, err
		}
		if !*keep {
			defer admin.ExecContext(context.Background(), "DROP SCHEMA IF EXISTS "+s+" CASCADE")
		}
	}

	c, err := runChild(ctx, self, withSearchPath(*pgURL, goSchema))
	if err != nil {
		return Result{}, err
	}

	d, err := db.Open(ctx, withSearchPath(*pgURL, blSchema), "")
	if err != nil {
		return Result{}, err
	}
	if _, err := d.Migrate(ctx, register.Schema); err != nil {
		d.Close()
		return Result{}, err
	}
	err = checkPostgresNullable(ctx, d, blSchema)
	var idx []index
	if err == nil {
		idx, err = secondaryIndexes(ctx, d, blSchema)
	}
	d.Close()
	if err != nil {
		return Result{}, err
	}

	head := "\\set ON_ERROR_STOP 1\nBEGIN;\n"
	script := head + fmt.Sprintf(`\copy households FROM %s WITH (FORMAT csv, HEADER true)
\copy persons FROM %s WITH (FORMAT csv, HEADER true)
COMMIT;
`, pgQuote(hhCSV), pgQuote(pCSV))
	script, how := deferIndexes(script, "psql `\\copy households/persons FROM file WITH (FORMAT csv, HEADER true)` (COPY … FROM STDIN) in one transaction", head, idx)
	cmd := exec.CommandContext(ctx, "psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", libpqURL(*pgURL))
	cmd.Env = append(os.Environ(), "PGOPTIONS=-c search_path="+blSchema)
	wall, rss, _, err := benchinfo.Run(cmd, strings.NewReader(script))
	if err != nil {
		return Result{}, err
	}
	if err := checkCounts(ctx, admin, goSchema+".", nh, np); err != nil {
		return Result{}, fmt.Errorf("Populus path: %w", err)
	}
	if err := checkCounts(ctx, admin, blSchema+".", nh, np); err != nil {
		return Result{}, fmt.Errorf("baseline: %w", err)
	}
	if *verify == "full" {
		if err := compareTables(ctx, admin, goSchema+".", blSchema+"."); err != nil {
			return Result{}, err
		}
	}
	return result("PostgreSQL", np, c, wall, rss, how), nil
}

// checkPostgresNullable checks that the PostgreSQL schema has the nullable
// columns of the SQLite one the CSV was written for.
func checkPostgresNullable(ctx context.Context, d *db.DB, schema string) error {
	rows, err := d.QueryContext(ctx, `SELECT table_name || '.' || column_name FROM information_schema.columns
		WHERE table_schema = $1 AND table_name IN ('households', 'persons') AND is_nullable = 'YES'`, schema)
	if err != nil {
		return err
	}
	defer rows.Close()
	n := 0
	for rows.Next() {
		var c string
		if err := rows.Scan(&c); err != nil {
			return err
		}
		if !nullCols[c] {
			return fmt.Errorf("column %s is nullable on PostgreSQL but not on SQLite: the CSV would not fit both", c)
		}
		n++
	}
	if n != len(nullCols) {
		return fmt.Errorf("PostgreSQL has %d nullable columns, SQLite %d: the CSV would not fit both", n, len(nullCols))
	}
	return rows.Err()
}

// withSearchPath adds search_path to a pgx URL.
func withSearchPath(base, schema string) string {
	u, err := url.Parse(base)
	if err != nil {
		return base
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String()
}

// libpqURL drops the query parameters libpq does not know.
func libpqURL(base string) string {
	u, err := url.Parse(base)
	if err != nil {
		return base
	}
	q := u.Query()
	q.Del("search_path")
	u.RawQuery = q.Encode()
	return u.String()
}

func pgQuote(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }

// ---------------------------------------------------------------------------
// Checks

// rowQuerier is a *sql.DB or *sql.Conn.
type rowQuerier interface {
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

func checkCounts(ctx context.Context, q rowQuerier, prefix string, nh, np int) error {
	var h, p int
	if err := q.QueryRowContext(ctx, "SELECT count(*) FROM "+prefix+"households").Scan(&h); err != nil {
		return err
	}
	if err := q.QueryRowContext(ctx, "SELECT count(*) FROM "+prefix+"persons").Scan(&p); err != nil {
		return err
	}
	if h != nh || p != np {
		return fmt.Errorf("stored %d households and %d people, want %d and %d", h, p, nh, np)
	}
	return nil
}

// compareTables checks that two copies of the tables hold the same rows.
func compareTables(ctx context.Context, q rowQuerier, a, b string) error {
	for _, t := range []string{"households", "persons"} {
		var n int
		cols := "*"
		if t == "persons" {
			cols = strings.Join(personColumns, ", ")
		}
		query := fmt.Sprintf("SELECT count(*) FROM (SELECT %s FROM %s%s EXCEPT SELECT %s FROM %s%s) x", cols, a, t, cols, b, t)
		if err := q.QueryRowContext(ctx, query).Scan(&n); err != nil {
			return err
		}
		if n != 0 {
			return fmt.Errorf("%s: %d rows of the Populus path differ from the baseline's", t, n)
		}
	}
	fmt.Println("verified: both paths stored identical rows")
	return nil
}

// ---------------------------------------------------------------------------
// CSV

// personColumns is the persons column order of the schema (and of
// register's bulk writes).
var personColumns = []string{
	"pin", "cmnd", "full_name", "name_folded", "other_names", "birth_date", "birth_key", "sex",
	"birth_place", "hometown", "ethnicity", "religion", "nationality",
	"perm_unit", "perm_address", "temp_unit", "temp_address", "cur_unit", "cur_address",
	"household_id", "relation", "father_pin", "mother_pin", "spouse_pin",
	"card_number", "card_issued", "card_expires", "resp_unit", "status", "death_date", "version", "created_at", "updated_at",
}

var householdColumns = []string{"id", "unit_code", "address", "created_at"}

// nullCols holds "table.column" for every nullable column of the schema.
// The register stores an empty value of such a column as NULL, so the CSV
// writes it as an unquoted empty field, which COPY (FORMAT csv) reads as
// NULL, while every other string, empty or not, is quoted.
var nullCols map[string]bool

// checkSchema reads the column order and nullability of the migrated schema
// from a scratch SQLite store, and checks that this program's mirror of the
// register's rows still matches it.
func checkSchema(ctx context.Context, work string) error {
	path := filepath.Join(work, "schema-check.db")
	removeSQLite(path)
	defer removeSQLite(path)
	d, err := db.Open(ctx, "sqlite:"+path, "")
	if err != nil {
		return err
	}
	defer d.Close()
	if _, err := d.Migrate(ctx, register.Schema); err != nil {
		return err
	}
	if sqlitePragmas, err = readPragmas(ctx, d); err != nil {
		return err
	}
	nullCols = map[string]bool{}
	for _, t := range []struct {
		name string
		cols []string
	}{{"households", householdColumns}, {"persons", personColumns}} {
		rows, err := d.QueryContext(ctx, `SELECT name, "notnull", pk FROM pragma_table_info($1) ORDER BY cid`, t.name)
		if err != nil {
			return err
		}
		var got []string
		for rows.Next() {
			var name string
			var notNull, pk int
			if err := rows.Scan(&name, &notNull, &pk); err != nil {
				rows.Close()
				return err
			}
			got = append(got, name)
			if notNull == 0 && pk == 0 {
				nullCols[t.name+"."+name] = true
			}
		}
		rows.Close()
		if strings.Join(got, ",") != strings.Join(t.cols, ",") {
			return fmt.Errorf("the %s table's columns changed (now %s): update bench/seed's copy of the register's row layout", t.name, strings.Join(got, ", "))
		}
	}
	return nil
}

// null marks a NULL field in appendCSV's input.
type null struct{}

// personRow mirrors what register.Importer stores for p (its defaults and
// its column values; empty values of nullable columns become NULL in
// appendCSV), so that both paths store the same rows; -verify full checks it.
func personRow(p *people.Person) []any {
	if p.Version == 0 {
		p.Version = 1
	}
	if p.Nationality == "" {
		p.Nationality = "VN"
	}
	if p.Status == "" {
		p.Status = people.Alive
	}
	if p.CreatedAt.IsZero() {
		p.CreatedAt = time.Now().UTC()
	}
	if p.UpdatedAt.IsZero() {
		p.UpdatedAt = p.CreatedAt
	}
	return []any{
		p.PIN, p.CMND, p.FullName, textfold.Fold(p.FullName), strings.Join(p.OtherNames, "|"),
		p.BirthDate.String(), p.BirthDate.Key(), p.Sex.String(),
		p.BirthPlace, p.Hometown, p.Ethnicity, p.Religion, p.Nationality,
		p.Permanent.Unit, p.Permanent.Detail, p.Temporary.Unit, p.Temporary.Detail, p.Current.Unit, p.Current.Detail,
		p.HouseholdID, string(p.Relation), p.FatherPIN, p.MotherPIN, p.SpousePIN,
		p.Card.Number, p.Card.Issued.String(), p.Card.Expires.String(), people.ResponsibleUnit(p), string(p.Status), p.DeathDate.String(),
		p.Version, db.FormatTime(p.CreatedAt), db.FormatTime(p.UpdatedAt),
	}
}

// appendCSV appends row, the values of table's columns, as a CSV line.
func appendCSV(b []byte, table string, cols []string, row []any) []byte {
	for i, v := range row {
		if i > 0 {
			b = append(b, ',')
		}
		if s, ok := v.(string); ok && s == "" && nullCols[table+"."+cols[i]] {
			v = null{}
		}
		switch v := v.(type) {
		case null:
		case int:
			b = strconv.AppendInt(b, int64(v), 10)
		case string:
			b = append(b, '"')
			for j := 0; j < len(v); j++ {
				if v[j] == '"' {
					b = append(b, '"')
				}
				b = append(b, v[j])
			}
			b = append(b, '"')
		default:
			panic(fmt.Sprintf("CSV value of type %T", v))
		}
	}
	return append(b, '\n')
}

// writeCSV writes the households and persons tables of the population as CSV
// with a header line.
func writeCSV(ctx context.Context, hhPath, pPath string) (nh, np int, err error) {
	hf, err := os.Create(hhPath)
	if err != nil {
		return 0, 0, err
	}
	defer hf.Close()
	pf, err := os.Create(pPath)
	if err != nil {
		return 0, 0, err
	}
	defer pf.Close()
	hw, pw := bufio.NewWriterSize(hf, 1<<20), bufio.NewWriterSize(pf, 1<<20)
	hw.WriteString(strings.Join(householdColumns, ",") + "\n")
	pw.WriteString(strings.Join(personColumns, ",") + "\n")
	var buf []byte
	err = synth.Generate(ctx, synth.Config{People: *nPeople, Seed: *seedFlag}, func(h *people.Household, members []people.Person) error {
		if h != nil {
			buf = appendCSV(buf[:0], "households", householdColumns, []any{h.ID, h.UnitCode, h.Address, db.FormatTime(h.CreatedAt)})
			hw.Write(buf)
			nh++
		}
		for i := range members {
			buf = appendCSV(buf[:0], "persons", personColumns, personRow(&members[i]))
			if _, err := pw.Write(buf); err != nil {
				return err
			}
			np++
		}
		return nil
	})
	if err != nil {
		return 0, 0, err
	}
	if err := hw.Flush(); err != nil {
		return 0, 0, err
	}
	if err := pw.Flush(); err != nil {
		return 0, 0, err
	}
	if err := hf.Close(); err != nil {
		return 0, 0, err
	}
	return nh, np, pf.Close()
}
