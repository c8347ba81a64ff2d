package engine

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"flag"
	"io"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/populus-vn/populus/internal/db"
	"github.com/populus-vn/populus/internal/people"
	"github.com/populus-vn/populus/internal/reconcile/sector"
	"github.com/populus-vn/populus/internal/reconcile/sectorsynth"
	"github.com/populus-vn/populus/internal/register"
	"github.com/populus-vn/populus/internal/synth"
)

// seeded is a synthetic register of e2ePeople in an SQLite store, loaded
// once for the tests that need a realistic register.
type seeded struct {
	db  *db.DB
	idx *Index
}

const (
	e2ePeople  = 20_000
	e2eSeed    = 3
	e2eDrivers = 3_000
)

var (
	seedOnce sync.Once
	theSeed  *seeded
	seedErr  error
	seedDir  string
)

func seedRegister(t testing.TB) *seeded {
	t.Helper()
	seedOnce.Do(func() {
		ctx := context.Background()
		seedDir, seedErr = os.MkdirTemp("", "populus-engine-*")
		if seedErr != nil {
			return
		}
		var d *db.DB
		if d, seedErr = db.Open(ctx, "", seedDir); seedErr != nil {
			return
		}
		if _, seedErr = d.Migrate(ctx, testSchemas...); seedErr != nil {
			return
		}
		im := register.NewImporter(d)
		if seedErr = im.Start(ctx); seedErr != nil {
			return
		}
		seedErr = synth.Generate(ctx, synth.Config{People: e2ePeople, Seed: e2eSeed}, func(h *people.Household, ms []people.Person) error {
			return im.Add(ctx, h, ms)
		})
		if seedErr == nil {
			seedErr = im.Finish(ctx)
		}
		if seedErr != nil {
			return
		}
		theSeed = &seeded{db: d}
		theSeed.idx, seedErr = LoadRegister(ctx, d)
	})
	if seedErr != nil {
		t.Fatal(seedErr)
	}
	return theSeed
}

func TestMain(m *testing.M) {
	code := m.Run()
	if theSeed != nil {
		theSeed.db.Close()
	}
	if seedDir != "" {
		os.RemoveAll(seedDir)
	}
	os.Exit(code)
}

var update = flag.Bool("update", false, "rewrite testdata/model.json (from TestEndToEnd) and the golden files")

// synthesize writes a sector file of the kind from the seeded register.
func synthesize(t testing.TB, s *seeded, kind sector.Kind, n int, seed uint64) (file, truth []byte) {
	t.Helper()
	var f, tr bytes.Buffer
	err := sectorsynth.Synthesize(context.Background(), sectorsynth.SynthConfig{Kind: kind, Records: n, Seed: seed},
		sectorsynth.RegisterPopulation(s.db), &f, &tr)
	if err != nil {
		t.Fatal(err)
	}
	return f.Bytes(), tr.Bytes()
}

func bytesInput(name string, file, truth []byte, m *sector.Mapping) Input {
	in := Input{Name: name, Mapping: m, Open: func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(file)), nil }}
	if truth != nil {
		in.Truth = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(truth)), nil }
	}
	return in
}

// TestEndToEnd seeds a register of 20,000 people into SQLite, synthesises
// 3,000 drivers' licences from it, reconciles them and checks the
// decisions against the ground truth.
func TestEndToEnd(t *testing.T) {
	if testing.Short() {
		t.Skip("seeds a register")
	}
	s := seedRegister(t)
	st := s.idx.Stats()
	t.Logf("register: %d people, %d other names; %.0f bytes/person counted, %.0f measured on the heap; loaded in %.2fs",
		st.People, st.OtherNames, st.BytesPerPerson, st.HeapBytesPerPerson, st.LoadSeconds)
	file, truth := synthesize(t, s, sector.Drivers, e2eDrivers, 5)
	var dec, cor, miss, log bytes.Buffer
	start := time.Now()
	sum, err := Run(context.Background(), s.idx, bytesInput("drivers.csv", file, truth, sector.Drivers.Mapping()),
		Output{Decisions: &dec, Corrections: &cor, Misses: &miss}, Config{Seed: 1, Log: &log})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("run in %v\n%s", time.Since(start), log.String())
	tr := sum.Truth
	if tr == nil {
		t.Fatal("no truth summary")
	}
	t.Logf("counts %v", sum.Counts)
	logModel(t, sum)
	t.Logf("precision %.4f recall %.4f F1 %.4f; auto-applied %d, precision %.5f (verified PIN %d/%d, probabilistic %d/%d)",
		tr.Precision, tr.Recall, tr.F1, tr.Auto.Linked, tr.Auto.Precision, tr.Verified.Correct, tr.Verified.Linked,
		tr.Probabilistic.Correct, tr.Probabilistic.Linked)
	t.Logf("by case %v", tr.ByCase)
	t.Logf("speed: %.0f records/s, %.0f pairs/s (%d workers); %d pairs scored", sum.Speed.RecordsPerSecond, sum.Speed.PairsPerSecond,
		sum.Speed.Workers, sum.Blocking.ScoredPairs)
	for _, e := range tr.Errors[:min(len(tr.Errors), 20)] {
		t.Logf("wrong: %+v", e)
	}
	if tr.F1 < 0.99 {
		t.Errorf("F1 %.4f, want at least 0.99", tr.F1)
	}
	if tr.Auto.Precision < 0.999 {
		t.Errorf("precision among auto-applied matches %.5f, want at least 0.999", tr.Auto.Precision)
	}
	if *update {
		b, err := json.MarshalIndent(sum.Model, "", "  ")
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile("testdata/model.json", append(b, '\n'), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	rows, err := csv.NewReader(&dec).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != e2eDrivers+1 || strings.Join(rows[0], ",") != strings.Join(DecisionsHeader, ",") {
		t.Errorf("decisions: %d rows, header %v", len(rows), rows[0])
	}
	checkMisses(t, rows, truth, miss.Bytes(), tr)
}

// checkMisses checks the misses file against the decisions and the truth:
// exactly the wrong decisions (a link to another person, or a findable
// record not linked), in file order, the first of them the summary's
// errors.
func checkMisses(t *testing.T, decisions [][]string, truth, misses []byte, tr *TruthSummary) {
	t.Helper()
	truthRows, err := csv.NewReader(bytes.NewReader(truth)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	truePIN := map[string]string{}
	for _, r := range truthRows[1:] {
		truePIN[r[0]] = r[1]
	}
	var want []string
	for _, d := range decisions[1:] {
		id, kind, pin := d[0], d[2], d[3]
		linked := kind == "exact" || kind == "match" || kind == "conflict" || kind == "deceased"
		if linked && pin != truePIN[id] || !linked && kind != "error" && truePIN[id] != "" {
			want = append(want, id)
		}
	}
	rows, err := csv.NewReader(bytes.NewReader(misses)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) == 0 || strings.Join(rows[0], ",") != strings.Join(MissesHeader, ",") {
		t.Fatalf("misses: header %v", rows)
	}
	var got []string
	for _, r := range rows[1:] {
		got = append(got, r[0])
		if r[4] != truePIN[r[0]] {
			t.Errorf("misses: %s has true PIN %s, the truth %s", r[0], r[4], truePIN[r[0]])
		}
	}
	if !slices.Equal(got, want) {
		t.Errorf("misses: %d records %v, want %d %v", len(got), got, len(want), want)
	}
	for i, e := range tr.Errors {
		if i >= len(got) || got[i] != e.ID {
			t.Errorf("misses: record %d is not the summary's error %s", i, e.ID)
			break
		}
	}
	t.Logf("%d wrong decisions in the misses file", len(got))
}

func logModel(t testing.TB, sum *Summary) {
	for _, c := range sum.Model.Comparisons {
		var b strings.Builder
		for _, l := range c.Levels {
			b.WriteString(" [" + l.Label + " m=" + fmtG(l.M) + " u=" + fmtG(l.U) + " w=" + fmtG(l.Weight) + "]")
		}
		t.Logf("%-10s%s", c.Name, b.String())
	}
	for _, s := range sum.Estimation.EM {
		t.Logf("EM %+v", s)
	}
	t.Logf("m from %v; prior %+v", sum.Estimation.MFrom, sum.Estimation.Prior)
	t.Logf("u %+v", sum.Estimation.U)
}

func fmtG(f float64) string { return strconv.FormatFloat(f, 'g', 3, 64) }

// RegisterPopulation gives the register's people in the same order on
// every call, household by household, as Synthesize needs.
func TestRegisterPopulation(t *testing.T) {
	if testing.Short() {
		t.Skip("seeds a register")
	}
	s := seedRegister(t)
	read := func() (pins []string, households int) {
		err := sectorsynth.RegisterPopulation(s.db)(context.Background(), func(h *people.Household, ms []people.Person) error {
			households++
			for _, p := range ms {
				if p.HouseholdID != h.ID || p.FullName == "" || p.BirthDate.IsZero() {
					t.Fatalf("person %+v in household %+v", p, h)
				}
				pins = append(pins, p.PIN)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		return pins, households
	}
	a, ha := read()
	b, hb := read()
	if len(a) != e2ePeople || !slicesEqual(a, b) || ha != hb {
		t.Errorf("%d and %d people, %d and %d households", len(a), len(b), ha, hb)
	}
}

func slicesEqual(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// The summary is complete JSON (no NaN or infinity anywhere), and a
// truth file out of step with the sector file is an error naming lines.
func TestSummaryAndTruthFile(t *testing.T) {
	if testing.Short() {
		t.Skip("seeds a register")
	}
	s := seedRegister(t)
	file, truth := synthesize(t, s, sector.Bank, 300, 2)
	sum, err := Run(context.Background(), s.idx, bytesInput("bank.csv", file, truth, sector.Bank.Mapping()), Output{}, Config{Seed: 1, Floor: true})
	if err != nil {
		t.Fatal(err)
	}
	b, err := json.Marshal(sum)
	if err != nil {
		t.Fatal(err)
	}
	var back map[string]any
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"counts", "model", "estimation", "blocking", "weights", "explanations", "truth", "floor", "timing", "speed", "memory", "register"} {
		if back[k] == nil {
			t.Errorf("summary lacks %q", k)
		}
	}
	if len(sum.Explanations) == 0 || len(sum.Truth.Curve) == 0 || sum.Blocking.Slowest == "" || sum.Floor.Matched == 0 {
		t.Errorf("summary: %d explanations, %d curve points, slowest %q, floor %+v",
			len(sum.Explanations), len(sum.Truth.Curve), sum.Blocking.Slowest, sum.Floor)
	}
	t.Logf("bank: precision %.4f recall %.4f F1 %.4f", sum.Truth.Precision, sum.Truth.Recall, sum.Truth.F1)

	// Drop the truth's second record: the third sector record meets the
	// wrong truth line.
	lines := strings.SplitAfter(string(truth), "\n")
	bad := strings.Join(append(lines[:2:2], lines[3:]...), "")
	_, err = Run(context.Background(), s.idx, bytesInput("bank.csv", file, []byte(bad), sector.Bank.Mapping()), Output{}, Config{Seed: 1})
	if err == nil || !strings.Contains(err.Error(), "line 3") || !strings.Contains(err.Error(), "same order") {
		t.Errorf("truth out of step: %v", err)
	}
}

// The other kinds of sector file reconcile as well: bank customers (names
// in capitals without diacritics, semicolons, ISO dates, sex as 1/0) and
// civil-status books (names in three parts, the place of birth
// registration as pre-2025 codes, 40% without a PIN).
func TestOtherKinds(t *testing.T) {
	if testing.Short() {
		t.Skip("seeds a register")
	}
	s := seedRegister(t)
	for _, k := range []sector.Kind{sector.Bank, sector.CivilStatus} {
		file, truth := synthesize(t, s, k, 1500, 11)
		sum, err := Run(context.Background(), s.idx, bytesInput(string(k)+".csv", file, truth, k.Mapping()), Output{}, Config{Seed: 1})
		if err != nil {
			t.Fatal(err)
		}
		tr := sum.Truth
		t.Logf("%-12s precision %.4f recall %.4f F1 %.4f; auto-applied %d/%d; %v", k, tr.Precision, tr.Recall, tr.F1,
			tr.Auto.Correct, tr.Auto.Linked, sum.Counts)
		if tr.F1 < 0.99 || tr.Auto.Precision < 0.999 {
			t.Errorf("%s: F1 %.4f, precision among auto-applied %.5f", k, tr.F1, tr.Auto.Precision)
		}
	}
}
