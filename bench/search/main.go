// Command search measures the latency of searching the register by
// unaccented name and date of birth through register.(*Register).Search, on
// a register of N people (10M by default) on SQLite and PostgreSQL, with
// queries sampled from the people actually stored. The baseline, in the same
// run and interleaved query by query, is a primary-key lookup by PIN through
// the same store (SELECT of the same columns WHERE pin = $1). Latencies are
// single-client, sequential.
//
//	go run ./bench/search -people 10000000 -engines sqlite,postgres
//
// The register is seeded through the real path on first use and kept (SQLite
// file in -dir, PostgreSQL schema bench_search_<N>_seed<S>_<schema tag>) for
// later runs; the schema tag, a hash of the migrations, keeps a register made
// by an older schema from being reused. See
// docs/benchmarks.md.
package main

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"time"

	"github.com/populus-vn/populus/bench/internal/benchinfo"
	"github.com/populus-vn/populus/bench/internal/benchstore"
	"github.com/populus-vn/populus/internal/audit"
	"github.com/populus-vn/populus/internal/auth"
	"github.com/populus-vn/populus/internal/civil"
	"github.com/populus-vn/populus/internal/db"
	"github.com/populus-vn/populus/internal/register"
	"github.com/populus-vn/populus/internal/textfold"
	"github.com/populus-vn/populus/internal/units"
)

var (
	people   = flag.Int("people", 10_000_000, "size of the register")
	seedFlag = flag.Uint64("seed", 1, "synthetic population seed")
	engines  = flag.String("engines", "sqlite,postgres", "comma-separated engines: sqlite, postgres")
	dir      = flag.String("dir", "bench/out/search", "directory of the SQLite registers")
	pgURL    = flag.String("pg", benchstore.PostgresURL(), "PostgreSQL URL; the register is kept in schema bench_search_<N>_seed<S>_<schema tag>")
	queries  = flag.Int("queries", 2000, "measured queries of each kind")
	warmupN  = flag.Int("warmup", 200, "unmeasured queries before measuring")
	jsonOut  = flag.String("json", "", "also write the results as JSON to this file")
)

// principal is a nation-wide service officer: Search applies no unit filter.
var principal = auth.Staff(1, "bench", "", auth.ServiceOfficer, "VN")

type sampled struct {
	PIN   string
	Name  string // full name with diacritics, as stored
	Birth civil.Date
}

// Row is one engine's result.
type Row struct {
	Engine       string  `json:"engine"`
	People       int     `json:"people"`
	Kind         string  `json:"kind"`
	Queries      int     `json:"queries"`
	P50ms        float64 `json:"p50_ms"`
	P99ms        float64 `json:"p99_ms"`
	MaxMs        float64 `json:"max_ms"`
	MeanResults  float64 `json:"mean_results,omitempty"`
	FoundPercent float64 `json:"found_percent,omitempty"`
}

func main() {
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx); err != nil {
		fmt.Fprintln(os.Stderr, "search:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context) error {
	if *people <= 0 || *queries <= 0 {
		return errors.New("-people and -queries must be positive")
	}
	machine := benchinfo.Describe()
	fmt.Printf("# bench/search: %s people, %d queries of each kind\n\n%s\n\n", benchinfo.Count(*people), *queries, machine)
	var rows []Row
	for _, e := range strings.Split(*engines, ",") {
		var d *db.DB
		var err error
		switch strings.TrimSpace(e) {
		case "sqlite":
			d, err = benchstore.OpenSQLite(ctx, filepath.Join(*dir, fmt.Sprintf("search-%s-seed%d-%s.db", benchinfo.Count(*people), *seedFlag, benchstore.SchemaTag(db.SQLite))))
		case "postgres":
			d, err = benchstore.OpenPostgres(ctx, *pgURL, fmt.Sprintf("bench_search_%d_seed%d_%s", *people, *seedFlag, benchstore.SchemaTag(db.Postgres)))
		case "":
			continue
		default:
			return fmt.Errorf("unknown engine %q", e)
		}
		if err != nil {
			return err
		}
		r, err := benchEngine(ctx, d)
		d.Close()
		if err != nil {
			return fmt.Errorf("%s: %w", e, err)
		}
		rows = append(rows, r...)
	}

	fmt.Println()
	benchinfo.Table(os.Stdout, "engine", "people", "operation", "queries", "p50", "p99", "max", "mean results", "found", "p50 ratio (PK ÷ op)", "p99 ratio (PK ÷ op)")
	var base Row
	for _, r := range rows {
		if r.Kind == kindPK {
			base = r
		}
		ratio50, ratio99 := "1", "1"
		if r.Kind != kindPK && base.Engine == r.Engine {
			ratio50, ratio99 = fmt.Sprintf("%.3f", base.P50ms/r.P50ms), fmt.Sprintf("%.3f", base.P99ms/r.P99ms)
		}
		found, mean := "", ""
		if r.MeanResults > 0 || r.FoundPercent > 0 {
			found, mean = fmt.Sprintf("%.1f%%", r.FoundPercent), fmt.Sprintf("%.1f", r.MeanResults)
		}
		benchinfo.Row(os.Stdout, r.Engine, benchinfo.Count(r.People), r.Kind, fmt.Sprint(r.Queries),
			fmt.Sprintf("%.2f ms", r.P50ms), fmt.Sprintf("%.2f ms", r.P99ms), fmt.Sprintf("%.2f ms", r.MaxMs), mean, found, ratio50, ratio99)
	}
	fmt.Println("\nTarget: p99 of search by name + date of birth < 20 ms.")
	if *jsonOut != "" {
		b, _ := json.MarshalIndent(map[string]any{"machine": machine, "results": rows}, "", "  ")
		return os.WriteFile(*jsonOut, append(b, '\n'), 0o644)
	}
	return nil
}

const (
	kindPK     = "baseline: PK lookup by PIN (SELECT … WHERE pin = $1)"
	kindGet    = "Register.Get by PIN (auth + audit)"
	kindSearch = "Register.Search: full unaccented name + date of birth"
	kindPrefix = "Register.Search: surname + middle name + date of birth"
	// The words in another order: the given name first.
	kindAnyOrder = "Register.Search: given name first + date of birth"
	kindWords    = "Register.Search: given name first, no date of birth"
)

func benchEngine(ctx context.Context, d *db.DB) ([]Row, error) {
	if err := benchstore.Ensure(ctx, d, *people, *seedFlag); err != nil {
		return nil, err
	}
	engine := map[db.Engine]string{db.SQLite: "SQLite", db.Postgres: "PostgreSQL"}[d.Engine]

	start := time.Now()
	sample, err := samplePeople(ctx, d, *queries+*warmupN)
	if err != nil {
		return nil, err
	}
	fmt.Printf("%s: sampled %d people in %.1f s\n", engine, len(sample), time.Since(start).Seconds())

	u := units.Default()
	al := audit.New(d)
	defer al.Close()
	g := auth.NewGuard(auth.NewPolicy(u), al)
	reg := register.New(d, g, al, u)

	// The baseline: the primary-key select alone, reading the PIN as the
	// register does (on SQLite an integer key, formatted to 12 digits).
	pinCol := "pin"
	if d.Engine == db.SQLite {
		pinCol = "printf('%012d', pin)"
	}
	cols := pinCol + ", cmnd, full_name, name_folded, other_names, birth_date, birth_key, sex, birth_place, hometown, ethnicity, religion, nationality, perm_unit, perm_address, temp_unit, temp_address, cur_unit, cur_address, household_id, relation, father_pin, mother_pin, spouse_pin, card_number, card_issued, card_expires, status, death_date, version, created_at, updated_at"
	pk, err := d.PrepareContext(ctx, "SELECT "+cols+" FROM persons WHERE pin = $1")
	if err != nil {
		return nil, err
	}
	defer pk.Close()
	dest := make([]any, 32)
	for i := range dest {
		dest[i] = new(sql.RawBytes)
	}
	lookup := func(pin string) error {
		rows, err := pk.QueryContext(ctx, pin)
		if err != nil {
			return err
		}
		defer rows.Close()
		if !rows.Next() {
			if err := rows.Err(); err != nil {
				return err
			}
			return fmt.Errorf("PIN %s not found", pin)
		}
		if err := rows.Scan(dest...); err != nil {
			return err
		}
		return rows.Close()
	}

	type acc struct {
		lat            []time.Duration
		results, found int
	}
	kinds := []string{kindPK, kindGet, kindSearch, kindPrefix, kindAnyOrder, kindWords}
	accs := map[string]*acc{}
	for _, k := range kinds {
		accs[k] = &acc{}
	}
	search := func(a *acc, q register.Query, pin string, measure bool) error {
		t := time.Now()
		res, _, err := reg.Search(ctx, principal, q)
		el := time.Since(t)
		if err != nil {
			return fmt.Errorf("search %q %v: %w", q.Name, q.BirthDate, err)
		}
		if !measure {
			return nil
		}
		a.lat = append(a.lat, el)
		a.results += len(res)
		for _, p := range res {
			if p.PIN == pin {
				a.found++
				break
			}
		}
		return nil
	}
	for i, s := range sample {
		measure := i >= *warmupN
		full := textfold.Fold(s.Name)
		// Surname and middle name: all words but the given name.
		prefix := full
		if j := strings.LastIndexByte(full, ' '); j > 0 {
			prefix = full[:j]
		}
		// The given name first, then the others in order ("an nguyen van").
		givenFirst := full
		if j := strings.LastIndexByte(full, ' '); j > 0 {
			givenFirst = full[j+1:] + " " + full[:j]
		}
		// Interleave the kinds, rotating their order, so that no kind
		// always runs on a cache warmed by another.
		for k := range kinds {
			kind := kinds[(i+k)%len(kinds)]
			a := accs[kind]
			switch kind {
			case kindPK:
				t := time.Now()
				if err := lookup(s.PIN); err != nil {
					return nil, err
				}
				if measure {
					a.lat = append(a.lat, time.Since(t))
				}
			case kindGet:
				t := time.Now()
				if _, err := reg.Get(ctx, principal, s.PIN); err != nil {
					return nil, fmt.Errorf("get %s: %w", s.PIN, err)
				}
				if measure {
					a.lat = append(a.lat, time.Since(t))
				}
			case kindSearch:
				if err := search(a, register.Query{Name: full, BirthDate: s.Birth}, s.PIN, measure); err != nil {
					return nil, err
				}
			case kindPrefix:
				if err := search(a, register.Query{Name: prefix, BirthDate: s.Birth}, s.PIN, measure); err != nil {
					return nil, err
				}
			case kindAnyOrder:
				if err := search(a, register.Query{Name: givenFirst, BirthDate: s.Birth}, s.PIN, measure); err != nil {
					return nil, err
				}
			case kindWords:
				if err := search(a, register.Query{Name: givenFirst}, s.PIN, measure); err != nil {
					return nil, err
				}
			}
		}
		if err := ctx.Err(); err != nil {
			return nil, err
		}
	}
	var out []Row
	for _, k := range kinds {
		a := accs[k]
		l := benchinfo.Summarise(a.lat)
		ms := func(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
		r := Row{Engine: engine, People: *people, Kind: k, Queries: l.N, P50ms: ms(l.P50), P99ms: ms(l.P99), MaxMs: ms(l.Max)}
		if k == kindSearch || k == kindPrefix || k == kindAnyOrder || k == kindWords {
			r.MeanResults = float64(a.results) / float64(l.N)
			r.FoundPercent = 100 * float64(a.found) / float64(l.N)
		}
		fmt.Printf("%-10s %-56s p50 %7.2f ms  p99 %7.2f ms  max %7.2f ms\n", engine, k, r.P50ms, r.P99ms, r.MaxMs)
		out = append(out, r)
	}
	return out, nil
}

// samplePeople draws n people uniformly from the register (reservoir sampling
// over one pass, fixed seed), in random order.
func samplePeople(ctx context.Context, d *db.DB, n int) ([]sampled, error) {
	r := rand.New(rand.NewPCG(*seedFlag, 7))
	out := make([]sampled, 0, n)
	seen := 0
	err := register.ScanIdentities(ctx, d, func(batch []register.Identity) error {
		for i := range batch {
			id := &batch[i]
			seen++
			j := len(out)
			if len(out) == n {
				if j = r.IntN(seen); j >= n {
					continue
				}
			}
			s := sampled{PIN: id.PIN, Name: id.FullName, Birth: id.BirthDate()}
			if j == len(out) {
				out = append(out, s)
			} else {
				out[j] = s
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if len(out) == 0 {
		return nil, errors.New("the register is empty")
	}
	r.Shuffle(len(out), func(i, j int) { out[i], out[j] = out[j], out[i] })
	return out, nil
}
