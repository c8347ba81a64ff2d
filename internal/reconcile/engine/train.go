package engine

import (
	"fmt"
	"math/rand/v2"
	"runtime"
	"slices"

	"github.com/populus-vn/populus/internal/civil"
	"github.com/populus-vn/populus/internal/pin"
	"github.com/populus-vn/populus/internal/reconcile"
)

// Estimation says how the model's parameters were obtained.
type Estimation struct {
	// Sample is the number of sector records drawn (uniformly, by
	// reservoir sampling over the whole file) to estimate from.
	Sample int `json:"sample"`
	// FromModel is true when m and u were loaded (Config.Model), not
	// estimated.
	FromModel bool          `json:"from_model"`
	U         []UEstimate   `json:"u"`
	Prior     PriorEstimate `json:"prior"`
	EM        []EMSession   `json:"em"`
	// MFrom names, for each comparison, the EM sessions (rules) whose m
	// was averaged into the model's.
	MFrom map[string][]string `json:"m_from"`
	// PIN is how the PIN's u came from the register's size.
	PIN *PINEstimate `json:"pin,omitempty"`
	// Unseen lists the levels ("cmnd: one digit off") that no training
	// pair showed: their m is set to their u, so they weigh nothing.
	Unseen []string `json:"unseen_levels"`
}

// UEstimate is the estimation of one comparison's u from random pairs of
// records that both hold the value.
type UEstimate struct {
	Comparison string `json:"comparison"`
	Pairs      int64  `json:"pairs"`
	// SectorHolders is the number of sampled sector records holding the
	// value.
	SectorHolders int `json:"sector_holders"`
	// RegisterHolders is the number of register people holding it.
	RegisterHolders int    `json:"register_holders"`
	Note            string `json:"note,omitempty"`
}

// PriorEstimate is the estimation of λ from the exact-PIN rule.
type PriorEstimate struct {
	Lambda      float64 `json:"lambda"`
	PriorWeight float64 `json:"prior_weight"`
	RulePairs   int64   `json:"rule_pairs"` // sampled records whose PIN is a register PIN
	Recall      float64 `json:"recall"`     // share of sampled records with a well-formed PIN
	Note        string  `json:"note,omitempty"`
}

// PINEstimate is the u of the PIN's agreement levels, from the register
// rather than from random pairs: among 100,000 random pairs two strangers
// never share a PIN, so a sampled u is the sample's floor (about 5e-6),
// whatever the register's size. A well-formed PIN that agrees with the
// record's sex and birth year is held by one person of the register, so
// u = 1 / people; one typing error from it lands on another person's PIN
// as often as the register's PINs lie one edit from each other, counted on
// a sample of them.
type PINEstimate struct {
	People int     `json:"people"`
	UExact float64 `json:"u_exact"`
	// Sampled register PINs, and how many register PINs lie one edit
	// (one digit replaced, or two neighbours swapped) from them in all.
	Sampled    int     `json:"sampled"`
	Neighbours int     `json:"neighbours"`
	UOneDigit  float64 `json:"u_one_digit"`
	// Capped is set when the one-digit level would have weighed more than
	// exact agreement and was brought down to it: a number one typing
	// error off is no stronger evidence than the number itself.
	Capped bool `json:"capped,omitempty"`
	// The "consistent" level (two different PINs, each agreeing with the
	// other record's sex and birth year) can only be met by pairs that
	// agree on sex and birth year, which the sex and date comparisons
	// already weigh: its u is the share of the level among random pairs
	// that agree on both (ConsistentPairs of them), not among all pairs,
	// so that the agreement is not counted twice.
	ConsistentPairs int     `json:"consistent_pairs,omitempty"`
	UConsistent     float64 `json:"u_consistent,omitempty"`
	Note            string  `json:"note,omitempty"`
}

// EMSession is one EM run, on the pairs of one blocking rule.
type EMSession struct {
	Rule       string   `json:"rule"`
	Skip       []string `json:"skip"`
	Pairs      int64    `json:"pairs"`
	Patterns   int      `json:"patterns"`
	Iterations int      `json:"iterations"`
	Converged  bool     `json:"converged"`
	// Lambda is the share of matches EM found among the rule's pairs.
	Lambda float64 `json:"lambda"`
	Note   string  `json:"note,omitempty"`
}

// minEMObservations is the fewest non-missing observations of a comparison
// for a session's m of it to count.
const minEMObservations = 30

// train estimates the model: u from random pairs of records holding the
// value, λ from the exact-PIN rule, m by EM once per blocking rule, each
// session skipping the comparisons its rule blocks on, and the sessions'
// m averaged.
func train(x *Index, sample []reconcile.Record, cfg *Config) (*reconcile.Model, Estimation, error) {
	m := reconcile.NewModel(cfg.Comparisons...)
	est := Estimation{Sample: len(sample), MFrom: map[string][]string{}}
	if len(sample) == 0 {
		return nil, est, fmt.Errorf("reconcile: the sector file has no readable record to estimate from")
	}
	if x.people == 0 {
		return nil, est, fmt.Errorf("reconcile: the register is empty")
	}
	if cfg.Model != nil {
		if err := m.SetParameters(*cfg.Model); err != nil {
			return nil, est, err
		}
		est.FromModel = true
	} else {
		estimateU(x, sample, m, cfg, &est)
		est.PIN = pinU(x, m, cfg)
		pinConsistentU(x, sample, m, cfg, est.PIN)
	}
	est.Prior = estimatePrior(x, sample, m, cfg)
	m.Lambda = est.Prior.Lambda
	if cfg.Model == nil {
		if err := estimateM(x, sample, m, cfg, &est); err != nil {
			return nil, est, err
		}
		capPINOneDigit(m, est.PIN)
	}
	return m, est, m.Validate()
}

func estimateU(x *Index, sample []reconcile.Record, m *reconcile.Model, cfg *Config, est *Estimation) {
	rng := rand.New(rand.NewPCG(cfg.Seed, 0x75))
	holds := registerHolders(x, m.Comparisons)
	for i, c := range m.Comparisons {
		ue := UEstimate{Comparison: c.Name()}
		var holders []*reconcile.Record
		for j := range sample {
			if c.Level(&sample[j], &sample[j]) != reconcile.Null {
				holders = append(holders, &sample[j])
			}
		}
		ue.SectorHolders = len(holders)
		if len(holders) == 0 {
			ue.Note = "no sampled sector record holds the value; u keeps its starting value"
			est.U = append(est.U, ue)
			continue
		}
		// Register records holding the value: a uniform sample of them,
		// by reservoir sampling over the whole register, since some values
		// (the CMND of people over 40) are rare.
		regs := make([]uint32, 0, min(cfg.UPairs, x.people))
		seen := 0
		var r reconcile.Record
		for j := range x.people {
			if holds[i][j/64]&(1<<(j%64)) == 0 {
				continue
			}
			if seen++; len(regs) < cap(regs) {
				regs = append(regs, uint32(j))
			} else if k := rng.IntN(seen); k < len(regs) {
				regs[k] = uint32(j)
			}
		}
		ue.RegisterHolders = seen
		pairs := func(yield func(*reconcile.Record, *reconcile.Record) bool) {
			if len(regs) == 0 {
				return
			}
			for range cfg.UPairs {
				a := holders[rng.IntN(len(holders))]
				x.recs.Get(int(regs[rng.IntN(len(regs))]), &r)
				if !yield(a, &r) {
					return
				}
			}
		}
		sub := reconcile.NewModel(c)
		counts, err := reconcile.EstimateU(pairs, sub)
		ue.Pairs = counts.Pairs
		switch {
		case err != nil:
			ue.Note = "the register holds no value to compare with; u keeps its starting value"
		default:
			m.U[i] = sub.U[0]
		}
		est.U = append(est.U, ue)
	}
}

// registerHolders returns, for each comparison, a bit per register person:
// the person holds the value (the comparison of their record with itself
// is not Null). The register is read once, in parallel.
func registerHolders(x *Index, cs []reconcile.Comparison) [][]uint64 {
	words := (x.people + 63) / 64
	holds := make([][]uint64, len(cs))
	for i := range holds {
		holds[i] = make([]uint64, words)
	}
	parallelFor(words, runtime.GOMAXPROCS(0), func(lo, hi int) {
		var r reconcile.Record
		for j := lo * 64; j < min(hi*64, x.people); j++ {
			x.recs.Get(j, &r)
			for i, c := range cs {
				if c.Level(&r, &r) != reconcile.Null {
					holds[i][j/64] |= 1 << (j % 64)
				}
			}
		}
	})
	return holds
}

func estimatePrior(x *Index, sample []reconcile.Record, m *reconcile.Model, cfg *Config) PriorEstimate {
	pe := PriorEstimate{Lambda: m.Lambda}
	if cfg.Lambda > 0 {
		pe.Lambda, pe.Note = cfg.Lambda, "set by configuration"
		pe.PriorWeight = reconcile.PriorWeight(pe.Lambda)
		return pe
	}
	ri := slices.IndexFunc(x.rules, func(r Rule) bool { return r.Name == "pin" })
	withPIN := 0
	for i := range sample {
		if p := sample[i].PIN(); len(p) == pin.Length {
			if _, _, err := pin.Parse(p); err == nil {
				withPIN++
			}
		}
	}
	fallback := func(note string) PriorEstimate {
		if cfg.Model == nil {
			pe.Lambda = 1 / float64(x.people)
			note += "; λ = 1 / register size"
		} else {
			note += "; λ of the loaded model kept"
		}
		pe.Note = note
		pe.PriorWeight = reconcile.PriorWeight(pe.Lambda)
		return pe
	}
	if ri < 0 {
		return fallback("no pin blocking rule")
	}
	if withPIN == 0 {
		return fallback("no sampled record holds a well-formed PIN")
	}
	pe.Recall = float64(withPIN) / float64(len(sample))
	var k keyer
	var reg reconcile.Record
	pairs := func(yield func(*reconcile.Record, *reconcile.Record) bool) {
		for i := range sample {
			for _, h := range k.keysOf(&x.rules[ri], &sample[i]) {
				for _, e := range x.blocks[ri].lookup(h) {
					x.get(entryID(e), &reg)
					if !yield(&sample[i], &reg) {
						return
					}
				}
			}
		}
	}
	for a, b := range pairs {
		if reconcile.SamePIN(a, b) {
			pe.RulePairs++
		}
	}
	lambda, err := reconcile.EstimatePrior(pairs, reconcile.SamePIN, int64(len(sample)), int64(x.people), pe.Recall)
	if err != nil {
		return fallback(err.Error())
	}
	pe.Lambda = lambda
	pe.PriorWeight = reconcile.PriorWeight(lambda)
	return pe
}

func estimateM(x *Index, sample []reconcile.Record, m *reconcile.Model, cfg *Config, est *Estimation) error {
	nc := len(m.Comparisons)
	start := reconcile.NewModel(m.Comparisons...).M
	sums := make([][]float64, nc)
	counts := make([]int, nc)
	for i := range sums {
		sums[i] = make([]float64, len(start[i]))
	}
	// Observations of each level in the sessions that estimate it.
	observed := make([][]int64, nc)
	for i := range observed {
		observed[i] = make([]int64, len(start[i]))
	}
	names := make([]string, nc)
	for i, c := range m.Comparisons {
		names[i] = c.Name()
	}
	var k keyer
	var reg reconcile.Record
	v := make(reconcile.Vector, nc)
	for ri := range x.rules {
		rule := &x.rules[ri]
		s := EMSession{Rule: rule.Name}
		for _, n := range rule.Skip {
			if slices.Contains(names, n) {
				s.Skip = append(s.Skip, n)
			}
		}
		p := reconcile.NewPatterns(nc)
		seen := make([]int64, nc)
		levels := make([][]int64, nc)
		for c := range levels {
			levels[c] = make([]int64, len(start[c]))
		}
	fill:
		for i := range sample {
			for _, h := range k.keysOf(rule, &sample[i]) {
				ids := x.blocks[ri].lookup(h)
				if len(ids) > cfg.MaxBlock {
					continue
				}
				for _, e := range ids {
					x.get(entryID(e), &reg)
					for c, comp := range m.Comparisons {
						v[c] = int8(comp.Level(&sample[i], &reg))
						if v[c] >= 0 {
							seen[c]++
							levels[c][v[c]]++
						}
					}
					p.Add(v, 1)
					if s.Pairs++; s.Pairs >= int64(cfg.MaxEMPairs) {
						break fill
					}
				}
			}
		}
		s.Patterns = p.Len()
		if s.Pairs == 0 {
			s.Note = "no pairs in the sample"
			est.EM = append(est.EM, s)
			continue
		}
		sess := &reconcile.Model{Comparisons: m.Comparisons, M: clone2(start), U: clone2(m.U), Lambda: m.Lambda}
		res, err := reconcile.FitEM(p, sess, reconcile.EMConfig{Skip: s.Skip, MaxIter: 200})
		if err != nil {
			return fmt.Errorf("reconcile: EM on the pairs of rule %s: %w", rule.Name, err)
		}
		s.Iterations, s.Converged, s.Lambda = res.Iterations, res.Converged, res.Lambda
		for c := range nc {
			if slices.Contains(s.Skip, names[c]) || seen[c] < minEMObservations {
				continue
			}
			for l := range sums[c] {
				sums[c][l] += sess.M[c][l]
				observed[c][l] += levels[c][l]
			}
			counts[c]++
			est.MFrom[names[c]] = append(est.MFrom[names[c]], rule.Name)
		}
		est.EM = append(est.EM, s)
	}
	for c := range nc {
		if counts[c] == 0 {
			continue
		}
		total := 0.0
		for l := range sums[c] {
			total += sums[c][l]
		}
		for l := range sums[c] {
			m.M[c][l] = sums[c][l] / total
		}
		// A level no training pair showed keeps EM's starting m, which
		// says nothing: give it no weight (m = u) rather than an invented
		// one, and share the rest of m among the levels seen.
		var unseen, seenM float64
		for l := range m.M[c] {
			if observed[c][l] == 0 {
				unseen += m.U[c][l]
			} else {
				seenM += m.M[c][l]
			}
		}
		if unseen == 0 || unseen >= 1 || seenM == 0 {
			continue
		}
		for l := range m.M[c] {
			if observed[c][l] == 0 {
				m.M[c][l] = m.U[c][l]
				est.Unseen = append(est.Unseen, names[c]+": "+m.Comparisons[c].Levels()[l])
			} else {
				m.M[c][l] *= (1 - unseen) / seenM
			}
		}
	}
	return nil
}

// pinSample is the number of register PINs whose neighbours pinU counts.
const pinSample = 2000

// pinU sets the u of the PIN's exact and one-digit-off levels from the
// register (see PINEstimate); nil when the model has no PIN comparison or
// the index no PIN rule.
func pinU(x *Index, m *reconcile.Model, cfg *Config) *PINEstimate {
	ci := slices.IndexFunc(m.Comparisons, func(c reconcile.Comparison) bool { return c.Name() == "pin" })
	ri := slices.IndexFunc(x.rules, func(r Rule) bool { return r.Name == "pin" })
	if ci < 0 || x.people == 0 || len(m.U[ci]) != len(reconcile.PIN{}.Levels()) {
		return nil
	}
	pe := &PINEstimate{People: x.people, UExact: 1 / float64(x.people)}
	m.U[ci][reconcile.PINExact] = pe.UExact
	if ri < 0 {
		pe.Note = "no pin blocking rule: the one-digit level keeps its sampled u"
		return pe
	}
	rng := rand.New(rand.NewPCG(cfg.Seed, 0x91))
	var k keyer
	var reg reconcile.Record
	var q [pinLen]byte
	count := func() {
		k.start(3)
		k.buf = append(append(k.buf, q[:]...), 0)
		for _, e := range x.blocks[ri].lookup(hashKey(k.buf)) {
			if x.get(entryID(e), &reg); reg.PIN() == string(q[:]) {
				pe.Neighbours++
			}
		}
	}
	for range min(pinSample, x.people) * 4 {
		if pe.Sampled == pinSample {
			break
		}
		x.recs.Get(rng.IntN(x.people), &reg)
		p := reg.PIN()
		if len(p) != pinLen {
			continue
		}
		pe.Sampled++
		copy(q[:], p)
		for i := range q {
			c := q[i]
			for d := byte('0'); d <= '9'; d++ {
				if d != c {
					q[i] = d
					count()
				}
			}
			q[i] = c
			if i+1 < len(q) && q[i] != q[i+1] {
				q[i], q[i+1] = q[i+1], q[i]
				count()
				q[i], q[i+1] = q[i+1], q[i]
			}
		}
	}
	if pe.Sampled == 0 {
		pe.Note = "no register PIN to sample: the one-digit level keeps its sampled u"
		return pe
	}
	// Half a neighbour added, as for every sampled u (uPseudo).
	pe.UOneDigit = (float64(pe.Neighbours) + 0.5) / float64(pe.Sampled) / float64(x.people)
	m.U[ci][reconcile.PINOneDigit] = pe.UOneDigit
	return pe
}

// minConsistentPairs is the fewest pairs agreeing on sex and birth year
// that pinConsistentU estimates from; with fewer the level keeps its u.
const minConsistentPairs = 200

// pinConsistentU sets the u of the PIN's "consistent" level among random
// pairs of a sampled sector record and a register person of the same sex
// and birth year (see PINEstimate): for such pairs two different
// well-formed PINs are consistent almost always, so the level says that
// the numbers differ, not that the people look alike.
func pinConsistentU(x *Index, sample []reconcile.Record, m *reconcile.Model, cfg *Config, pe *PINEstimate) {
	ci := slices.IndexFunc(m.Comparisons, func(c reconcile.Comparison) bool { return c.Name() == "pin" })
	if pe == nil || ci < 0 || x.people == 0 || len(m.U[ci]) != len(reconcile.PIN{}.Levels()) {
		return
	}
	c := m.Comparisons[ci]
	key := func(r *reconcile.Record) int { return int(r.Sex())<<16 | r.BirthDate().Year }
	holders := map[int][]int{}
	for i := range sample {
		r := &sample[i]
		if r.Sex() != civil.SexUnknown && r.BirthDate().Year != 0 && c.Level(r, r) != reconcile.Null {
			holders[key(r)] = append(holders[key(r)], i)
		}
	}
	if len(holders) == 0 {
		return
	}
	rng := rand.New(rand.NewPCG(cfg.Seed, 0x93))
	var reg reconcile.Record
	consistent, pairs := 0, 0
	for range 4 * cfg.UPairs {
		if pairs == cfg.UPairs/10 {
			break
		}
		x.recs.Get(rng.IntN(x.people), &reg)
		if reg.Sex() == civil.SexUnknown || reg.BirthDate().Year == 0 || c.Level(&reg, &reg) == reconcile.Null {
			continue
		}
		hs := holders[key(&reg)]
		if len(hs) == 0 {
			continue
		}
		pairs++
		if c.Level(&sample[hs[rng.IntN(len(hs))]], &reg) == reconcile.PINConsistent {
			consistent++
		}
	}
	pe.ConsistentPairs = pairs
	if pairs < minConsistentPairs {
		return
	}
	// Half a pair added, as for every sampled u (uPseudo).
	pe.UConsistent = min(1, (float64(consistent)+0.5)/float64(pairs))
	m.U[ci][reconcile.PINConsistent] = pe.UConsistent
}

// capPINOneDigit keeps the one-digit-off level's weight at most the exact
// level's, once m is known.
func capPINOneDigit(m *reconcile.Model, pe *PINEstimate) {
	ci := slices.IndexFunc(m.Comparisons, func(c reconcile.Comparison) bool { return c.Name() == "pin" })
	if pe == nil || ci < 0 || pe.UOneDigit == 0 {
		return
	}
	mx, ux := m.M[ci][reconcile.PINExact], m.U[ci][reconcile.PINExact]
	m1 := m.M[ci][reconcile.PINOneDigit]
	if floor := m1 * ux / mx; m.U[ci][reconcile.PINOneDigit] < floor && floor <= 1 {
		m.U[ci][reconcile.PINOneDigit] = floor
		pe.Capped = true
	}
}

func clone2(x [][]float64) [][]float64 {
	out := make([][]float64, len(x))
	for i := range x {
		out[i] = slices.Clone(x[i])
	}
	return out
}
