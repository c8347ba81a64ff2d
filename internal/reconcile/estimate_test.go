package reconcile

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/populus-vn/populus/internal/civil"
)

// levelsOnly is a comparison known only by its number of levels, for models
// fitted to generated comparison vectors.
type levelsOnly struct {
	name   string
	labels []string
}

func newLevelsOnly(name string, n int) levelsOnly {
	return levelsOnly{name, make([]string, n)}
}

func (c levelsOnly) Name() string           { return c.name }
func (c levelsOnly) Levels() []string       { return c.labels }
func (c levelsOnly) Level(_, _ *Record) int { return Null }

// knownModel is the truth that vectors are drawn from: levels as uneven as
// real ones (a sex comparison whose u is 1/2, a PIN whose exact level is
// rare among non-matches) and values missing at random.
func knownModel() (*Model, []float64) {
	m := &Model{
		Comparisons: []Comparison{
			newLevelsOnly("name", 4), newLevelsOnly("dob", 3), newLevelsOnly("sex", 2),
			newLevelsOnly("pin", 5), newLevelsOnly("address", 3),
		},
		M: [][]float64{
			{0.85, 0.08, 0.05, 0.02},
			{0.90, 0.07, 0.03},
			{0.95, 0.05},
			{0.70, 0.10, 0.10, 0.05, 0.05},
			{0.80, 0.15, 0.05},
		},
		U: [][]float64{
			{0.01, 0.04, 0.15, 0.80},
			{0.05, 0.15, 0.80},
			{0.50, 0.50},
			{0.001, 0.01, 0.05, 0.20, 0.739},
			{0.02, 0.18, 0.80},
		},
		Lambda: 0.15,
	}
	missing := []float64{0, 0.05, 0.1, 0.3, 0.2}
	return m, missing
}

func sampleVectors(m *Model, missing []float64, n int, seed uint64) *Patterns {
	r := rand.New(rand.NewPCG(seed, 1))
	p := NewPatterns(len(m.Comparisons))
	v := make(Vector, len(m.Comparisons))
	draw := func(probs []float64) int8 {
		x := r.Float64()
		for l, q := range probs {
			if x -= q; x < 0 {
				return int8(l)
			}
		}
		return int8(len(probs) - 1)
	}
	for range n {
		match := r.Float64() < m.Lambda
		for i := range m.Comparisons {
			switch {
			case r.Float64() < missing[i]:
				v[i] = Null
			case match:
				v[i] = draw(m.M[i])
			default:
				v[i] = draw(m.U[i])
			}
		}
		p.Add(v, 1)
	}
	return p
}

func maxDiff(a, b [][]float64) float64 {
	d := 0.0
	for i := range a {
		for l := range a[i] {
			d = max(d, math.Abs(a[i][l]-b[i][l]))
		}
	}
	return d
}

// EM recovers the parameters that generated the data: m and λ with u fixed
// (as the engine runs it, u coming from random pairs), and m, u and λ
// together from an uninformed start.
func TestEMRecoversKnownParameters(t *testing.T) {
	truth, missing := knownModel()
	patterns := sampleVectors(truth, missing, 300_000, 11)
	if patterns.Total() != 300_000 || patterns.Len() < 100 {
		t.Fatalf("%v pairs in %d patterns", patterns.Total(), patterns.Len())
	}

	t.Run("u fixed", func(t *testing.T) {
		m := NewModel(truth.Comparisons...)
		m.U = clone2(truth.U)
		res, err := FitEM(patterns, m, EMConfig{MaxIter: 500, Tol: 1e-7})
		if err != nil {
			t.Fatal(err)
		}
		if !res.Converged || math.Abs(res.Lambda-truth.Lambda) > 0.005 || maxDiff(m.M, truth.M) > 0.015 {
			t.Errorf("after %d iterations (converged %v): λ %.4f, want %.2f; m off by %.4f\nm = %.3f",
				res.Iterations, res.Converged, res.Lambda, truth.Lambda, maxDiff(m.M, truth.M), m.M)
		}
		t.Logf("%d iterations: λ %.4f (true %.2f), max |m error| %.4f", res.Iterations, res.Lambda, truth.Lambda, maxDiff(m.M, truth.M))
		if maxDiff(m.U, truth.U) != 0 {
			t.Error("u changed although fixed")
		}
		if m.Lambda != 1e-6 {
			t.Errorf("EM overwrote the model's prior: %v", m.Lambda)
		}
	})

	t.Run("u estimated", func(t *testing.T) {
		m := NewModel(truth.Comparisons...)
		res, err := FitEM(patterns, m, EMConfig{MaxIter: 2000, Tol: 1e-8, EstimateU: true, Lambda: 0.3})
		if err != nil {
			t.Fatal(err)
		}
		if !res.Converged || math.Abs(res.Lambda-truth.Lambda) > 0.01 || maxDiff(m.M, truth.M) > 0.02 || maxDiff(m.U, truth.U) > 0.01 {
			t.Errorf("after %d iterations (converged %v): λ %.4f, want %.2f; m off by %.4f, u by %.4f",
				res.Iterations, res.Converged, res.Lambda, truth.Lambda, maxDiff(m.M, truth.M), maxDiff(m.U, truth.U))
		}
		t.Logf("%d iterations: λ %.4f (true %.2f), max |m error| %.4f, max |u error| %.4f",
			res.Iterations, res.Lambda, truth.Lambda, maxDiff(m.M, truth.M), maxDiff(m.U, truth.U))
	})
}

// A level absent from the training pairs keeps its value rather than being
// driven to 0, which would make it veto every match.
func TestEMKeepsUnseenLevels(t *testing.T) {
	truth, _ := knownModel()
	p := NewPatterns(len(truth.Comparisons))
	r := rand.New(rand.NewPCG(1, 2))
	for range 10000 {
		v := Vector{int8(r.IntN(3)), int8(r.IntN(3)), int8(r.IntN(2)), int8(r.IntN(4)), int8(r.IntN(3))}
		p.Add(v, 1)
	}
	m := NewModel(truth.Comparisons...)
	before := m.M[3][4]
	if _, err := FitEM(p, m, EMConfig{}); err != nil {
		t.Fatal(err)
	}
	if m.M[3][4] != before {
		t.Errorf("unseen level moved from %v to %v", before, m.M[3][4])
	}
	for i := range m.M {
		s := 0.0
		for _, x := range m.M[i] {
			s += x
		}
		if math.Abs(s-1) > 1e-9 {
			t.Errorf("m of comparison %d sums to %v", i, s)
		}
	}
	if _, err := m.Scorer(); err != nil {
		t.Error(err)
	}
}

func TestEMErrors(t *testing.T) {
	m := NewModel(Sex{}, PIN{})
	if _, err := FitEM(NewPatterns(2), m, EMConfig{}); err == nil {
		t.Error("EM on nothing")
	}
	if _, err := FitEM(NewPatterns(3), m, EMConfig{}); err == nil {
		t.Error("EM on vectors of the wrong length")
	}
}

func TestEstimateU(t *testing.T) {
	var men, women []Record
	for range 100 {
		men = append(men, NewRecord(Fields{Sex: civil.Male}))
		women = append(women, NewRecord(Fields{Sex: civil.Female}))
	}
	all := append(append([]Record{}, men...), women...)
	all = append(all, NewRecord(Fields{})) // sex unknown: Null, not counted
	pairs := func(yield func(*Record, *Record) bool) {
		for i := range all {
			for j := range all {
				if i != j && !yield(&all[i], &all[j]) {
					return
				}
			}
		}
	}
	m := NewModel(Sex{}, Phone{})
	phoneU := slices.Clone(m.U[1])
	c, err := EstimateU(pairs, m)
	if err != nil {
		t.Fatal(err)
	}
	if c.Pairs != 201*200 || c.Null[0] != 2*200 || c.Levels[0][SexAgree] != 2*100*99 || c.Levels[0][SexElse] != 2*100*100 {
		t.Errorf("counts %+v", c)
	}
	want := (2*100*99 + uPseudo) / (200*199 + 2*uPseudo)
	if math.Abs(m.U[0][SexAgree]-want) > 1e-12 || math.Abs(m.U[0][SexAgree]+m.U[0][SexElse]-1) > 1e-12 {
		t.Errorf("u of sex %v, want %v", m.U[0], want)
	}
	if !slices.Equal(m.U[1], phoneU) {
		t.Errorf("u of phone changed with no phone in any pair: %v", m.U[1])
	}
	if _, err := EstimateU(func(func(*Record, *Record) bool) {}, m); err == nil {
		t.Error("u from no pairs")
	}
}

func TestEstimatePrior(t *testing.T) {
	reg := []Record{
		NewRecord(Fields{PIN: "079085001234"}),
		NewRecord(Fields{PIN: "001190000001"}),
		NewRecord(Fields{PIN: "001190000002"}),
	}
	sec := []Record{
		NewRecord(Fields{PIN: "079085001234"}),
		NewRecord(Fields{PIN: "001190000002"}),
		NewRecord(Fields{PIN: "00119000000"}), // malformed: not a rule match
		NewRecord(Fields{}),
	}
	pairs := func(yield func(*Record, *Record) bool) {
		for i := range sec {
			for j := range reg {
				if !yield(&sec[i], &reg[j]) {
					return
				}
			}
		}
	}
	got, err := EstimatePrior(pairs, SamePIN, 4, 1000, 0.5)
	if err != nil {
		t.Fatal(err)
	}
	if want := 2 / 0.5 / (4 * 1000.0); math.Abs(got-want) > 1e-15 {
		t.Errorf("prior %v, want %v", got, want)
	}
	for _, c := range []struct {
		l, r   int64
		recall float64
	}{{0, 10, 1}, {4, 10, 0}, {4, 10, 1.5}, {1, 1, 1}} {
		if _, err := EstimatePrior(pairs, SamePIN, c.l, c.r, c.recall); err == nil {
			t.Errorf("prior for %+v", c)
		}
	}
	if _, err := EstimatePrior(pairs, func(_, _ *Record) bool { return false }, 4, 1000, 1); err == nil {
		t.Error("prior from a rule nothing satisfies")
	}
}

// The whole estimation on a synthetic register: u from random pairs, the
// prior from PINs, m by EM on blocked pairs. The true person must then rank
// first among the candidates of nearly every sector record, and agreement
// must weigh in the expected direction for every comparison.
func TestEstimationPipeline(t *testing.T) {
	w := testWorld(t)
	m := NewModel(DefaultComparisons()...)
	if _, err := EstimateU(w.random(200_000, 3), m); err != nil {
		t.Fatal(err)
	}
	withPIN := 0
	for i := range w.sector {
		if w.sector[i].pinYear != 0 {
			withPIN++
		}
	}
	lambda, err := EstimatePrior(w.blocked(), SamePIN, int64(len(w.sector)), int64(len(w.register)),
		float64(withPIN)/float64(len(w.sector)))
	if err != nil {
		t.Fatal(err)
	}
	if want := 1 / float64(len(w.register)); lambda < want/2 || lambda > want*2 {
		t.Errorf("prior %v, want about 1/%d", lambda, len(w.register))
	}
	m.Lambda = lambda
	// One EM session per blocking rule, each leaving out the comparisons
	// its pairs agree on by construction: the PIN encodes the birth year,
	// so among pairs of the same year a PIN consistent with the year is no
	// sign of a match.
	sessions := []struct {
		cands [][]int
		skip  []string
	}{{w.byYear, []string{"birth_date", "pin"}}, {w.byName, []string{"full_name"}}}
	for _, session := range sessions {
		res, err := EstimateEM(w.pairs(session.cands), m, EMConfig{Skip: session.skip})
		if err != nil {
			t.Fatal(err)
		}
		pairs, matches := 0, 0
		for i, js := range session.cands {
			pairs += len(js)
			if slices.Contains(js, w.truth[i]) {
				matches++
			}
		}
		share := float64(matches) / float64(pairs)
		if !res.Converged || res.Lambda < share*0.8 || res.Lambda > share*1.25 {
			t.Errorf("EM skipping %s: %+v; %.4f of its pairs are matches", session.skip, res, share)
		}
		t.Logf("EM skipping %s: %d pairs, %d iterations, matches %.4f (true %.4f)", session.skip, pairs, res.Iterations, res.Lambda, share)
	}
	if m.Lambda != lambda {
		t.Errorf("EM changed the prior to %v", m.Lambda)
	}
	if _, err := EstimateEM(w.blocked(), m, EMConfig{Skip: []string{"nope"}}); err == nil {
		t.Error("EM skipped an unknown comparison")
	}
	p := m.Parameters()
	for _, c := range p.Comparisons {
		if first, last := c.Levels[0].Weight, c.Levels[len(c.Levels)-1].Weight; !(first > 0 && last < 0) {
			t.Errorf("%s: exact agreement weighs %.2f, disagreement %.2f", c.Name, first, last)
		}
	}
	s, err := m.Scorer()
	if err != nil {
		t.Fatal(err)
	}
	top, likely := 0, 0
	for i, js := range w.cands {
		best, bestW := -1, math.Inf(-1)
		for _, j := range js {
			if x := s.Weight(&w.sector[i], &w.register[j]); x > bestW {
				best, bestW = j, x
			}
		}
		if best == w.truth[i] {
			top++
			if Probability(bestW) > 0.5 {
				likely++
			}
		}
	}
	n := float64(len(w.sector))
	if float64(top)/n < 0.97 || float64(likely)/n < 0.9 {
		t.Errorf("true person ranked first for %d of %.0f sector records, with probability > 0.5 for %d", top, n, likely)
	}
	t.Logf("%d blocked pairs; prior %.3g; top-1 %d/%.0f, p>0.5 %d", w.pairCount(), lambda, top, n, likely)
	for _, c := range p.Comparisons {
		t.Logf("%-10s %s", c.Name, levelTable(c))
	}
}

func levelTable(c ComparisonParams) string {
	var sb strings.Builder
	for _, l := range c.Levels {
		fmt.Fprintf(&sb, " [%s m=%.3g u=%.3g w=%+.1f]", l.Label, l.M, l.U, l.Weight)
	}
	return sb.String()
}
