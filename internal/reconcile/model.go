package reconcile

import (
	"errors"
	"fmt"
	"math"
)

// MaxComparisons is the most comparisons a model may have; it bounds the
// comparison vector so that vectors can be counted without allocating.
const MaxComparisons = 16

// Model is a Fellegi–Sunter model: for each comparison and each of its
// levels, m, the probability of the level among pairs that are the same
// person, and u, among pairs that are not; and the prior λ, the probability
// that two records drawn at random are the same person.
//
// The match weight of a pair is log2(λ/(1-λ)) + Σ log2(m/u) over its
// comparisons' levels, where a Null level adds 0 and a term-frequency
// adjusted level uses the frequency of the agreed value as u. It is the
// log-odds, in bits, that the pair is a match.
//
// Model holds parameters and is changed by estimation; score with a Scorer,
// a snapshot compiled from it.
type Model struct {
	Comparisons []Comparison
	// M and U are indexed by comparison, then level.
	M, U [][]float64
	// Lambda is the prior over all pairs of the two files, not over
	// blocked pairs: see EstimatePrior.
	Lambda float64
}

// NewModel returns a model of the comparisons with starting parameters for
// estimation: m falling and u rising by halves from the strongest level to
// "else", and λ = 1e-6.
func NewModel(cs ...Comparison) *Model {
	m := &Model{Comparisons: cs, M: make([][]float64, len(cs)), U: make([][]float64, len(cs)), Lambda: 1e-6}
	for i, c := range cs {
		n := len(c.Levels())
		m.M[i], m.U[i] = make([]float64, n), make([]float64, n)
		for l := range n {
			m.M[i][l] = math.Exp2(-float64(l))
			m.U[i][l] = math.Exp2(-float64(n - 1 - l))
		}
		normalize(m.M[i])
		normalize(m.U[i])
	}
	return m
}

func normalize(p []float64) {
	s := 0.0
	for _, x := range p {
		s += x
	}
	if s > 0 {
		for i := range p {
			p[i] /= s
		}
	}
}

// Validate reports parameters that cannot be scored with: shapes that do not
// match the comparisons' levels, probabilities outside (0, 1], λ outside
// (0, 1).
func (m *Model) Validate() error {
	if len(m.Comparisons) == 0 || len(m.Comparisons) > MaxComparisons {
		return fmt.Errorf("reconcile: a model needs 1 to %d comparisons, not %d", MaxComparisons, len(m.Comparisons))
	}
	if len(m.M) != len(m.Comparisons) || len(m.U) != len(m.Comparisons) {
		return errors.New("reconcile: M and U need one row per comparison")
	}
	if !(m.Lambda > 0 && m.Lambda < 1) {
		return fmt.Errorf("reconcile: λ is %v, not a probability strictly between 0 and 1", m.Lambda)
	}
	for i, c := range m.Comparisons {
		n := len(c.Levels())
		if len(m.M[i]) != n || len(m.U[i]) != n {
			return fmt.Errorf("reconcile: %s has %d levels but %d m and %d u values", c.Name(), n, len(m.M[i]), len(m.U[i]))
		}
		for l := range n {
			for _, p := range [2]float64{m.M[i][l], m.U[i][l]} {
				if !(p > 0 && p <= 1) {
					return fmt.Errorf("reconcile: %s level %d (%s) has m=%v u=%v; both must be in (0, 1]",
						c.Name(), l, c.Levels()[l], m.M[i][l], m.U[i][l])
				}
			}
		}
	}
	return nil
}

// PriorWeight returns log2(λ/(1-λ)), the match weight of a pair before any
// comparison.
func PriorWeight(lambda float64) float64 { return math.Log2(lambda / (1 - lambda)) }

// Probability turns a match weight into the probability that the pair is a
// match: 2^w / (1 + 2^w).
func Probability(weight float64) float64 { return 1 / (1 + math.Exp2(-weight)) }

// Weight is the inverse of Probability: log2(p / (1 - p)), the weight in
// bits at which a lone candidate reaches probability p (±Inf at 0 and 1).
func Weight(p float64) float64 {
	switch {
	case p <= 0:
		return math.Inf(-1)
	case p >= 1:
		return math.Inf(1)
	}
	return math.Log2(p / (1 - p))
}

// Vector holds a pair's level for each comparison of a model, Null included.
type Vector []int8

// Scorer scores pairs with a model's parameters as they were when it was
// made. It is immutable and safe for concurrent use; scoring allocates
// nothing.
type Scorer struct {
	comps  []Comparison
	tfc    []TFComparison // nil where a comparison has no term-frequency levels
	weight [][]float64    // log2(m/u)
	logM   [][]float64    // log2(m), for term-frequency-adjusted levels
	m, u   [][]float64
	prior  float64
	lambda float64
}

// Scorer compiles the model's current parameters for scoring. It fails when
// Validate does.
func (m *Model) Scorer() (*Scorer, error) {
	if err := m.Validate(); err != nil {
		return nil, err
	}
	s := &Scorer{
		comps:  append([]Comparison(nil), m.Comparisons...),
		tfc:    make([]TFComparison, len(m.Comparisons)),
		weight: make([][]float64, len(m.Comparisons)),
		logM:   make([][]float64, len(m.Comparisons)),
		m:      make([][]float64, len(m.Comparisons)),
		u:      make([][]float64, len(m.Comparisons)),
		prior:  PriorWeight(m.Lambda),
		lambda: m.Lambda,
	}
	for i, c := range m.Comparisons {
		s.tfc[i], _ = c.(TFComparison)
		s.m[i] = append([]float64(nil), m.M[i]...)
		s.u[i] = append([]float64(nil), m.U[i]...)
		s.weight[i] = make([]float64, len(m.M[i]))
		s.logM[i] = make([]float64, len(m.M[i]))
		for l := range m.M[i] {
			s.logM[i][l] = math.Log2(m.M[i][l])
			s.weight[i][l] = s.logM[i][l] - math.Log2(m.U[i][l])
		}
	}
	return s, nil
}

// Comparisons returns the scorer's comparisons, in vector order.
func (s *Scorer) Comparisons() []Comparison { return s.comps }

// Weight returns the match weight of a pair.
func (s *Scorer) Weight(a, b *Record) float64 {
	w := s.prior
	for i, c := range s.comps {
		w += s.term(i, c.Level(a, b), a, b)
	}
	return w
}

// Score stores the pair's comparison vector in v, which must have room for
// one level per comparison, and returns the match weight.
func (s *Scorer) Score(a, b *Record, v Vector) float64 {
	v = v[:len(s.comps)]
	w := s.prior
	for i, c := range s.comps {
		l := c.Level(a, b)
		v[i] = int8(l)
		w += s.term(i, l, a, b)
	}
	return w
}

// term is the weight comparison i adds at level l.
func (s *Scorer) term(i, l int, a, b *Record) float64 {
	if l < 0 {
		return 0
	}
	if t := s.tfc[i]; t != nil {
		if f, ok := t.TermFrequency(a, b, l); ok {
			return s.logM[i][l] - math.Log2(f)
		}
		// A near agreement is no stronger evidence than exact agreement
		// on the register's value: a name one letter off a common name
		// is as common. Capped at the exact level's weight for it.
		if w := s.weight[i][l]; w > 0 && l > 0 {
			if f, ok := t.TermFrequency(a, b, 0); ok {
				return min(w, s.logM[i][0]-math.Log2(f))
			}
		}
	}
	return s.weight[i][l]
}

// Explanation is why a pair got its weight: the prior and one term per
// comparison, which add up to Weight. It is the waterfall of the report.
type Explanation struct {
	Prior       float64 // log2(λ/(1-λ))
	Terms       []Term
	Weight      float64 // Prior + the terms' weights
	Probability float64
}

// Term is one comparison's part in an explanation.
type Term struct {
	Comparison string
	Level      int    // Null when either value is missing
	Label      string // the level's label, "missing" for Null
	// M and U are the level's parameters. With TF set, U is the frequency
	// of the agreed value in the register instead of the level's average.
	M, U   float64
	TF     bool
	Weight float64 // log2(M/U); 0 for Null
}

// Explain scores a pair and says how.
func (s *Scorer) Explain(a, b *Record) Explanation {
	e := Explanation{Prior: s.prior, Weight: s.prior, Terms: make([]Term, len(s.comps))}
	for i, c := range s.comps {
		l := c.Level(a, b)
		t := Term{Comparison: c.Name(), Level: l, Label: "missing"}
		if l >= 0 {
			t.Label = c.Levels()[l]
			t.M, t.U = s.m[i][l], s.u[i][l]
			if tc := s.tfc[i]; tc != nil {
				if f, ok := tc.TermFrequency(a, b, l); ok {
					t.U, t.TF = f, true
				}
			}
			t.Weight = s.term(i, l, a, b)
			if !t.TF && t.Weight != s.weight[i][l] {
				// Capped at the exact level's weight for the register's
				// value: u is what that weight implies.
				t.U, t.TF = t.M/math.Exp2(t.Weight), true
			}
		}
		e.Terms[i] = t
		e.Weight += t.Weight
	}
	e.Probability = Probability(e.Weight)
	return e
}

// Parameters is a model's parameters in a form to print, serialise and
// reload: the report's table of m and u for every comparison level.
type Parameters struct {
	Lambda      float64            `json:"lambda"`
	PriorWeight float64            `json:"prior_weight"`
	Comparisons []ComparisonParams `json:"comparisons"`
}

// ComparisonParams are one comparison's levels.
type ComparisonParams struct {
	Name   string        `json:"name"`
	Levels []LevelParams `json:"levels"`
}

// LevelParams are one level's m and u and the weight of a pair at that level
// without term-frequency adjustment.
type LevelParams struct {
	Label  string  `json:"label"`
	M      float64 `json:"m"`
	U      float64 `json:"u"`
	Weight float64 `json:"weight"`
}

// Parameters returns the model's parameters.
func (m *Model) Parameters() Parameters {
	p := Parameters{Lambda: m.Lambda, PriorWeight: PriorWeight(m.Lambda)}
	for i, c := range m.Comparisons {
		cp := ComparisonParams{Name: c.Name()}
		for l, label := range c.Levels() {
			lp := LevelParams{Label: label}
			if i < len(m.M) && l < len(m.M[i]) && i < len(m.U) && l < len(m.U[i]) {
				lp.M, lp.U = m.M[i][l], m.U[i][l]
				lp.Weight = math.Log2(lp.M / lp.U)
			}
			cp.Levels = append(cp.Levels, lp)
		}
		p.Comparisons = append(p.Comparisons, cp)
	}
	return p
}

// SetParameters loads saved parameters into a model of the same
// comparisons, matched by name and number of levels.
func (m *Model) SetParameters(p Parameters) error {
	if len(p.Comparisons) != len(m.Comparisons) {
		return fmt.Errorf("reconcile: the parameters have %d comparisons, the model %d", len(p.Comparisons), len(m.Comparisons))
	}
	M, U := make([][]float64, len(m.Comparisons)), make([][]float64, len(m.Comparisons))
	for i, c := range m.Comparisons {
		cp := p.Comparisons[i]
		if cp.Name != c.Name() || len(cp.Levels) != len(c.Levels()) {
			return fmt.Errorf("reconcile: comparison %d is %s with %d levels in the parameters, %s with %d in the model",
				i+1, cp.Name, len(cp.Levels), c.Name(), len(c.Levels()))
		}
		for _, lp := range cp.Levels {
			M[i], U[i] = append(M[i], lp.M), append(U[i], lp.U)
		}
	}
	next := Model{Comparisons: m.Comparisons, M: M, U: U, Lambda: p.Lambda}
	if err := next.Validate(); err != nil {
		return err
	}
	*m = next
	return nil
}
