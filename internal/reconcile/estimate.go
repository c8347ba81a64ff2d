package reconcile

import (
	"errors"
	"fmt"
	"iter"
	"math"
	"slices"
)

// Pairs is a sequence of record pairs to compare. By convention the first
// record is the sector's and the second the register's, though every
// comparison is symmetric.
type Pairs = iter.Seq2[*Record, *Record]

// Counts are how often each level of each comparison occurred.
type Counts struct {
	Pairs  int64
	Levels [][]int64 // by comparison, then level
	Null   []int64   // by comparison
}

func newCounts(cs []Comparison) Counts {
	c := Counts{Levels: make([][]int64, len(cs)), Null: make([]int64, len(cs))}
	for i, x := range cs {
		c.Levels[i] = make([]int64, len(x.Levels()))
	}
	return c
}

// uPseudo is the count added to each level when estimating u, so that a level
// never seen among random pairs (two strangers with the same PIN) gets a small
// u rather than 0 and an infinite weight: the Jeffreys prior, half a pair.
const uPseudo = 0.5

// EstimateU sets the model's u from pairs drawn at random from the two files:
// nearly all are different people, so the share of each level among them is
// its u. Pairs where a comparison is Null do not count for it. A comparison
// that is Null in every pair keeps its u, and the returned counts show it.
// Term-frequency adjustment happens at scoring and needs nothing here.
func EstimateU(pairs Pairs, m *Model) (Counts, error) {
	c := newCounts(m.Comparisons)
	for a, b := range pairs {
		c.Pairs++
		for i, x := range m.Comparisons {
			if l := x.Level(a, b); l >= 0 {
				c.Levels[i][l]++
			} else {
				c.Null[i]++
			}
		}
	}
	if c.Pairs == 0 {
		return c, errors.New("reconcile: no pairs to estimate u from")
	}
	for i, levels := range c.Levels {
		var n int64
		for _, k := range levels {
			n += k
		}
		if n == 0 {
			continue
		}
		u := make([]float64, len(levels))
		for l, k := range levels {
			u[l] = (float64(k) + uPseudo) / (float64(n) + uPseudo*float64(len(levels)))
		}
		m.U[i] = u
	}
	return c, nil
}

// Rule is a deterministic match rule, for estimating the prior.
type Rule func(a, b *Record) bool

// SamePIN is the rule that two records hold the same well-formed PIN.
func SamePIN(a, b *Record) bool { return a.pinYear != 0 && a.pin == b.pin }

// EstimatePrior estimates λ, the probability that two records drawn at
// random from files of nLeft and nRight records are the same person, as
// Splink does: the pairs that satisfy a deterministic rule are nearly all
// matches, so λ ≈ (their number / the rule's recall) / (nLeft · nRight).
// pairs must contain every pair satisfying the rule once (a blocking on the
// rule's key gives them); recall is the share of true matches the rule
// finds, in (0, 1] (the share of sector records that carry a PIN, say).
//
// The prior is over all pairs, not blocked ones, and it is small (about
// 1/nRight): it is the prior the match weight needs.
func EstimatePrior(pairs Pairs, rule Rule, nLeft, nRight int64, recall float64) (float64, error) {
	if nLeft <= 0 || nRight <= 0 {
		return 0, fmt.Errorf("reconcile: files of %d and %d records have no pairs", nLeft, nRight)
	}
	if !(recall > 0 && recall <= 1) {
		return 0, fmt.Errorf("reconcile: the rule's recall is %v; it must be in (0, 1]", recall)
	}
	var n int64
	for a, b := range pairs {
		if rule(a, b) {
			n++
		}
	}
	if n == 0 {
		return 0, errors.New("reconcile: no pair satisfies the rule, so it says nothing about the prior")
	}
	lambda := float64(n) / recall / (float64(nLeft) * float64(nRight))
	if lambda >= 1 {
		return 0, fmt.Errorf("reconcile: %d rule matches among %d×%d pairs give a prior of %v", n, nLeft, nRight, lambda)
	}
	return lambda, nil
}

// pattern is a comparison vector as a map key.
type pattern [MaxComparisons]int8

// Patterns counts the distinct comparison vectors of a set of pairs. EM works
// on these counts rather than on the pairs: millions of blocked pairs fall
// into a few thousand patterns, so each iteration costs almost nothing.
type Patterns struct {
	n      int
	counts map[pattern]float64
	total  float64
}

// NewPatterns returns an empty count of vectors of n comparisons.
func NewPatterns(n int) *Patterns {
	if n < 1 || n > MaxComparisons {
		panic(fmt.Sprintf("reconcile.NewPatterns(%d): want 1 to %d comparisons", n, MaxComparisons))
	}
	return &Patterns{n: n, counts: map[pattern]float64{}}
}

// Add counts vector v, of the patterns' length, weight times.
func (p *Patterns) Add(v Vector, weight float64) {
	if len(v) != p.n {
		panic(fmt.Sprintf("reconcile: a vector of %d levels added to patterns of %d", len(v), p.n))
	}
	var k pattern
	copy(k[:], v)
	p.counts[k] += weight
	p.total += weight
}

// Len returns the number of distinct vectors; Total the number of pairs.
func (p *Patterns) Len() int       { return len(p.counts) }
func (p *Patterns) Total() float64 { return p.total }

// CountPatterns compares every pair with the comparisons and counts the
// vectors.
func CountPatterns(pairs Pairs, cs []Comparison) *Patterns {
	p := NewPatterns(len(cs))
	v := make(Vector, len(cs))
	for a, b := range pairs {
		for i, c := range cs {
			v[i] = int8(c.Level(a, b))
		}
		p.Add(v, 1)
	}
	return p
}

// EMConfig controls expectation–maximisation.
type EMConfig struct {
	MaxIter int     // at most this many iterations; 0 means 100
	Tol     float64 // stop when no parameter moves more than this; 0 means 1e-6
	// EstimateU re-estimates u too. Off by default, as in Splink: u from
	// random pairs is better than what EM can recover from blocked pairs,
	// which are far from a random sample of non-matches.
	EstimateU bool
	// Lambda is the starting share of matches among the pairs; 0 means 0.1.
	Lambda float64
	// Skip names the comparisons the pairs were blocked on. Every pair
	// agrees on them because it was chosen that way, not because it is a
	// match, so in this session they are left out of the E step and keep
	// their parameters. Otherwise, with u from random pairs, EM reads the
	// agreement that blocking guarantees as evidence and calls every pair a
	// match. As in Splink, train one session per blocking rule, each
	// skipping its own comparisons, so that every comparison is estimated
	// in some session.
	Skip []string
}

// EMResult says how EM went.
type EMResult struct {
	Iterations int
	Converged  bool
	// Lambda is the estimated share of matches among the pairs EM saw.
	// Blocked pairs are rich in matches, so it is not the model's prior and
	// is not stored in the model.
	Lambda   float64
	Pairs    float64
	Patterns int
}

// probFloor keeps estimated probabilities off 0, whose logarithm would make
// a single comparison veto any match.
const probFloor = 1e-9

// EstimateEM estimates the model's m (and u if cfg.EstimateU) by
// expectation–maximisation on blocked pairs; see FitEM.
func EstimateEM(pairs Pairs, m *Model, cfg EMConfig) (EMResult, error) {
	return FitEM(CountPatterns(pairs, m.Comparisons), m, cfg)
}

// FitEM runs expectation–maximisation on counted comparison vectors, under
// the model's assumption that comparisons are independent given the match
// status: the E step gives each vector its probability of being a match,
// the M step re-estimates m (u), and the share of matches λ, from those
// probabilities. Null levels are left out of both steps. A level never seen
// in the vectors keeps its value, since the data say nothing about it, and
// so do the comparisons in cfg.Skip.
//
// The model's m (and u) are updated; its λ, the prior over all pairs, is not
// (EMResult.Lambda has the share among these pairs).
func FitEM(p *Patterns, m *Model, cfg EMConfig) (EMResult, error) {
	if cfg.MaxIter <= 0 {
		cfg.MaxIter = 100
	}
	if cfg.Tol <= 0 {
		cfg.Tol = 1e-6
	}
	lambda := cfg.Lambda
	if lambda <= 0 || lambda >= 1 {
		lambda = 0.1
	}
	if p.n != len(m.Comparisons) {
		return EMResult{}, fmt.Errorf("reconcile: patterns of %d comparisons for a model of %d", p.n, len(m.Comparisons))
	}
	if p.total == 0 {
		return EMResult{}, errors.New("reconcile: no pairs for EM")
	}
	probe := *m
	probe.Lambda = lambda
	if err := probe.Validate(); err != nil {
		return EMResult{}, err
	}
	active := make([]bool, len(m.Comparisons))
	for i := range active {
		active[i] = true
	}
	for _, name := range cfg.Skip {
		i := slices.IndexFunc(m.Comparisons, func(c Comparison) bool { return c.Name() == name })
		if i < 0 {
			return EMResult{}, fmt.Errorf("reconcile: EM told to skip %q, which is not a comparison of the model", name)
		}
		active[i] = false
	}
	// A fixed order makes the sums, and so the result, reproducible.
	keys := make([]pattern, 0, len(p.counts))
	for k := range p.counts {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(a, b pattern) int { return slices.Compare(a[:], b[:]) })
	weights := make([]float64, len(keys))
	for i, k := range keys {
		weights[i] = p.counts[k]
	}

	nc := len(m.Comparisons)
	M, U := clone2(m.M), clone2(m.U)
	lnM, lnU := clone2(M), clone2(U)
	mc, uc := zeros2(M), zeros2(M)
	res := EMResult{Pairs: p.total, Patterns: len(keys)}
	for res.Iterations < cfg.MaxIter {
		res.Iterations++
		for i := range nc {
			for l := range M[i] {
				lnM[i][l], lnU[i][l] = math.Log(M[i][l]), math.Log(U[i][l])
				mc[i][l], uc[i][l] = 0, 0
			}
		}
		// E step: the posterior probability that each vector is a match.
		prior := math.Log(lambda / (1 - lambda))
		matches := 0.0
		for k, key := range keys {
			lw := prior
			for i := range nc {
				if l := key[i]; l >= 0 && active[i] {
					lw += lnM[i][l] - lnU[i][l]
				}
			}
			pm := 1 / (1 + math.Exp(-lw))
			w := weights[k]
			matches += w * pm
			for i := range nc {
				if l := key[i]; l >= 0 && active[i] {
					mc[i][l] += w * pm
					uc[i][l] += w * (1 - pm)
				}
			}
		}
		// M step.
		delta := math.Abs(matches/p.total - lambda)
		lambda = min(max(matches/p.total, probFloor), 1-probFloor)
		for i := range nc {
			if !active[i] {
				continue
			}
			delta = max(delta, reestimate(M[i], mc[i], uc[i]))
			if cfg.EstimateU {
				delta = max(delta, reestimate(U[i], uc[i], mc[i]))
			}
		}
		if delta < cfg.Tol {
			res.Converged = true
			break
		}
	}
	m.M, m.U = M, U
	res.Lambda = lambda
	return res, nil
}

// emPseudo is the count added to each level seen in a session when
// re-estimating it: the Jeffreys prior again. Without it, a level that no
// match happened to show in the training pairs (a sex recorded wrongly, say)
// gets m = 0 and vetoes every future match that shows it; with it, m is
// about half a pair in the number of matches.
const emPseudo = 0.5

// reestimate sets p to the smoothed, normalised counts for the levels seen
// at all (in either class: other is the other class's counts), leaving
// unseen levels as they were, and returns the largest change.
func reestimate(p, counts, other []float64) float64 {
	var sum, kept float64
	for l := range p {
		if counts[l]+other[l] > 0 {
			sum += counts[l] + emPseudo
		} else {
			kept += p[l]
		}
	}
	delta := 0.0
	if sum == 0 {
		return 0
	}
	for l := range p {
		if counts[l]+other[l] == 0 {
			continue
		}
		x := max((counts[l]+emPseudo)/sum*(1-kept), probFloor)
		delta = max(delta, math.Abs(x-p[l]))
		p[l] = x
	}
	return delta
}

func clone2(x [][]float64) [][]float64 {
	out := make([][]float64, len(x))
	for i := range x {
		out[i] = slices.Clone(x[i])
	}
	return out
}

func zeros2(x [][]float64) [][]float64 {
	out := make([][]float64, len(x))
	for i := range x {
		out[i] = make([]float64, len(x[i]))
	}
	return out
}
