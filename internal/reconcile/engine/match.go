package engine

import (
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/populus-vn/populus/internal/people"
	"github.com/populus-vn/populus/internal/pin"
	"github.com/populus-vn/populus/internal/reconcile"
	"github.com/populus-vn/populus/internal/reconcile/sector"
	"github.com/populus-vn/populus/internal/units"
)

// Kind is the decision taken on a sector record.
type Kind uint8

const (
	// NotFound: no candidate is plausible (no candidate at all, or the best
	// one's probability is below the review floor).
	NotFound Kind = iota
	// Exact: the record's PIN is a register PIN and the name and date of
	// birth agree with it (a verified PIN), and no other candidate scores
	// higher; no field differs.
	Exact
	// Match: a probabilistic match, its probability (against all the
	// record's candidates) at or above the threshold; no field differs.
	Match
	// Conflict: matched (exact or probabilistic) but some fields differ;
	// the corrections file proposes the register's values.
	Conflict
	// Deceased: matched to a person the register records as dead.
	Deceased
	// Ambiguous: for a person to review: two candidates within the margin,
	// the best one below the threshold, or, with one-to-one assignment, a
	// person claimed by another record with a higher weight.
	Ambiguous
	// Invalid: the row could not be read (wrong number of fields).
	Invalid
	numKinds
)

var kindNames = [numKinds]string{"not_found", "exact", "match", "conflict", "deceased", "ambiguous", "error"}

func (k Kind) String() string {
	if k < numKinds {
		return kindNames[k]
	}
	return fmt.Sprintf("Kind(%d)", uint8(k))
}

// Kinds returns every decision, in report order.
func Kinds() []Kind { return []Kind{Exact, Match, Conflict, Deceased, Ambiguous, NotFound, Invalid} }

// Linked reports whether the decision names the record's person: the
// decisions whose PIN and corrections a sector system may apply.
func (k Kind) Linked() bool { return k == Exact || k == Match || k == Conflict || k == Deceased }

// Candidate is a register person considered for a record.
type Candidate struct {
	PIN    string
	Weight float64 // match weight of the pair, bits
	// Probability is the pair's probability of being a match against all
	// the record's candidates: 2^w / (1 + Σ 2^w_i).
	Probability float64
	OtherName   bool // scored on one of the person's other names
	person      uint32
	rec         uint32
}

// Decision is what the engine decided on one sector record.
type Decision struct {
	ID   string
	Line int
	Kind Kind
	// PIN is the person's PIN for linked decisions, else empty.
	PIN string
	// Verified is true when the link rests on a verified PIN (Exact, or a
	// Conflict or Deceased reached that way) rather than on the
	// probability.
	Verified bool
	// Lone is true when a probabilistic link was applied as the only
	// plausible person (Config.LoneThreshold) below Threshold.
	Lone bool
	// Probability and Weight are those of the best candidate (0 without
	// candidates).
	Probability, Weight float64
	Candidates          []Candidate // best first, at most Config.TopN
	Differing           []string    // fields that differ, for linked decisions
	Corrections         []Correction
	Reason              string
	Notes               []sector.Note

	person uint32 // the linked person
	best   uint32 // the best candidate's record id
	hasTop bool
	offer  bool // one-to-one: offer the person in the second round
}

// Correction is one value a sector system can replace with the register's.
type Correction struct {
	// Field is the register field ("full_name", "birth_date", "pin",
	// "commune", …); Column the sector column that holds it.
	Field, Column string
	SectorValue   string
	RegisterValue string
	// RegisterCode is the unit key for communes and provinces.
	RegisterCode string
	// Action is "correct" (the values differ), "fill" (the sector lacks
	// the value), "normalise" (the same value, written without diacritics
	// or in pre-2025 units) or "deceased" (the person has died).
	Action string
}

// Correction actions.
const (
	ActionCorrect   = "correct"
	ActionFill      = "fill"
	ActionNormalise = "normalise"
	ActionDeceased  = "deceased"
)

// comps are the positions of the default comparisons in the scorer; -1
// when the model lacks one.
type comps struct{ name, dob, sex, pin, cmnd, address int }

func compsOf(cs []reconcile.Comparison) comps {
	find := func(n string) int {
		return slices.IndexFunc(cs, func(c reconcile.Comparison) bool { return c.Name() == n })
	}
	return comps{find("full_name"), find("birth_date"), find("sex"), find("pin"), find("cmnd"), find("address")}
}

// ruleRun is what one rule did in one pass.
type ruleRun struct {
	Lookups     int64
	Pairs       int64 // pairs taken
	Capped      int64 // lookups skipped: the key held more than MaxBlock records
	CappedPairs int64
	Filtered    int64 // records of over-large keys read to find ones agreeing on more (filterCapped)
	Probes      int64 // look-ups of fallback probes (probes.go)
	ProbedPairs int64 // pairs they took, and those filterCapped kept
	Nanos       int64
}

// matcher is one worker's state.
type matcher struct {
	x      *Index
	s      *reconcile.Scorer
	cfg    *Config
	c      comps
	cols   columns
	reg    *units.Registry
	claims *claims

	prep    *reconcile.Preparer
	k       keyer
	keys    []keyRef // the batch's keys, rule by rule
	ruleEnd []int    // end of each rule's keys
	pairs   []uint64 // record in the batch << 32 | person
	ids     []uint32 // the batch's candidates, record by record
	start   []int    // where each record's candidates start in ids
	next    []int    // where the next candidate of each record goes, while sorting
	scored  []Candidate
	top     []Candidate
	v       reconcile.Vector
	// Register records read from the index: the candidate being scored,
	// the best candidate and the linked person.
	cand, best, primary reconcile.Record
	touched             byte // keeps the reads of touch

	units map[int]unitName // unitValue's answers, by code (negative for provinces)
	// in says which of the index's units are within Config.Reach; nil
	// for all.
	in []bool

	rules    []ruleRun
	probe    probeRules  // the rules the fallback probes look up; -1 where absent
	found    []int32     // candidates each record of the batch has, before probes
	capped   []cappedKey // the batch's keys left out as over-large
	filtered []int32     // records given candidates by filterCapped
	pinHit   []bool      // whether each record's PIN key found someone
	scores   int64       // pairs scored
	hist     []int64     // weights of every scored pair
}

func newMatcher(x *Index, s *reconcile.Scorer, cfg *Config, cols columns, cl *claims) *matcher {
	m := &matcher{x: x, s: s, cfg: cfg, cols: cols, reg: units.Default(), claims: cl, prep: reconcile.NewPreparer(),
		rules: make([]ruleRun, len(x.rules)), hist: make([]int64, histBins), in: x.within(cfg.Reach), probe: probeRulesOf(x.rules)}
	if s != nil {
		m.c = compsOf(s.Comparisons())
		m.v = make(reconcile.Vector, len(s.Comparisons()))
	}
	return m
}

// keyRef is one key of a record of a batch, and its bucket in the rule's
// block once found.
type keyRef struct {
	h    uint64
	rec  int32
	s, e uint32
}

// gather finds the candidates of a batch of records (nil for rows in
// error): the register people under the records' keys, blocks larger than
// MaxBlock skipped. cands(i) then returns record i's. With collect false it
// only counts each rule's pairs (the estimate printed before the run).
//
// The look-ups of the whole batch go in steps, each reading memory that the
// step before located: every record's keys and their buckets in the
// blocks' directories, then the buckets' entries, then the look-ups
// themselves. The reads of a step are independent of each other, so the
// processor has them in flight together; looked up one by one, each key
// would wait for memory two or three times in a row.
func (m *matcher) gather(secs []*reconcile.Record, collect bool) {
	x, rules := m.x, m.x.rules
	m.keys = m.keys[:0]
	m.ruleEnd = m.ruleEnd[:0]
	var t byte
	for ri := range rules {
		t0 := time.Now()
		b := x.blocks[ri]
		shift := 64 - b.bits
		for j, sec := range secs {
			if sec == nil {
				continue
			}
			for _, h := range m.k.keysOf(&rules[ri], sec) {
				m.keys = append(m.keys, keyRef{h: h, rec: int32(j)})
				t ^= byte(b.dir[h>>shift])
			}
		}
		m.ruleEnd = append(m.ruleEnd, len(m.keys))
		m.rules[ri].Nanos += int64(time.Since(t0))
	}
	from := 0
	for ri := range rules {
		t0 := time.Now()
		b := x.blocks[ri]
		shift := 64 - b.bits
		keys := m.keys[from:m.ruleEnd[ri]]
		for i := range keys {
			k := &keys[i]
			k.s, k.e = b.dir[k.h>>shift], b.dir[k.h>>shift+1]
			if k.s < k.e {
				t ^= byte(b.entries[k.s]) ^ byte(b.entries[k.e-1])
			}
		}
		from = m.ruleEnd[ri]
		m.rules[ri].Nanos += int64(time.Since(t0))
	}
	m.touched ^= t
	m.pairs = m.pairs[:0]
	m.found = slices.Grow(m.found[:0], len(secs))[:len(secs)]
	clear(m.found)
	m.pinHit = slices.Grow(m.pinHit[:0], len(secs))[:len(secs)]
	clear(m.pinHit)
	m.capped, m.filtered = m.capped[:0], m.filtered[:0]
	from = 0
	for ri := range rules {
		t0 := time.Now()
		b := x.blocks[ri]
		for _, k := range m.keys[from:m.ruleEnd[ri]] {
			ids := b.find(k.s, k.e, k.h)
			n := m.take(ri, int(k.rec), ids, collect, false)
			if len(ids) > m.cfg.MaxBlock && len(ids) <= maxFiltered {
				m.capped = append(m.capped, cappedKey{rec: k.rec, rule: int32(ri), ids: ids})
			}
			if ri == m.probe.pin && n > 0 {
				m.pinHit[k.rec] = true
			}
		}
		from = m.ruleEnd[ri]
		m.rules[ri].Nanos += int64(time.Since(t0))
	}
	m.probes(secs, collect)
	if !collect {
		return
	}
	// Each record's people once, in increasing order: the pairs put in
	// order of record (a counting sort), then each record's sorted.
	n := len(secs)
	m.start = slices.Grow(m.start[:0], n+1)[:n+1]
	clear(m.start)
	for _, p := range m.pairs {
		m.start[p>>32+1]++
	}
	for i := 1; i <= n; i++ {
		m.start[i] += m.start[i-1]
	}
	m.next = append(m.next[:0], m.start[:n]...)
	m.ids = slices.Grow(m.ids[:0], len(m.pairs))[:len(m.pairs)]
	for _, p := range m.pairs {
		r := p >> 32
		m.ids[m.next[r]] = uint32(p)
		m.next[r]++
	}
	w := 0
	for r := range n {
		seg := m.ids[m.start[r]:m.start[r+1]]
		slices.Sort(seg)
		m.start[r] = w
		for i, v := range seg {
			if i == 0 || v != seg[i-1] {
				m.ids[w] = v // w ≤ the index of v: compacting in place
				w++
			}
		}
	}
	m.start[n] = w
	m.ids = m.ids[:w]
	m.touch(0)
}

// take adds the register records of a key's entries as candidates of
// record rec of the batch (when collecting), unless the key holds more
// than MaxBlock records, and counts them under rule ri. It returns the
// number of records taken.
// Probes (probe true) count their look-ups and pairs apart from the
// rule's own keys.
func (m *matcher) take(ri, rec int, ids []uint64, collect, probe bool) int {
	st := &m.rules[ri]
	switch {
	case probe:
		st.Probes++
	default:
		st.Lookups++
	}
	if len(ids) > m.cfg.MaxBlock {
		if !probe {
			st.Capped++
			st.CappedPairs += int64(len(ids))
		}
		return 0
	}
	if probe {
		st.ProbedPairs += int64(len(ids))
	} else {
		st.Pairs += int64(len(ids))
	}
	m.found[rec] += int32(len(ids))
	if collect {
		x := m.x
		for _, e := range ids {
			p := x.person(entryID(e))
			if m.in != nil && !m.in[x.unit[p]] {
				continue // out of the caller's reach: never a candidate
			}
			m.pairs = append(m.pairs, uint64(rec)<<32|uint64(p))
		}
	}
	return len(ids)
}

// cands returns the candidates of record i of the batch gathered: register
// people, in increasing order.
func (m *matcher) cands(i int) []uint32 {
	if i+1 >= len(m.start) {
		return nil
	}
	return m.ids[m.start[i]:m.start[i+1]]
}

// touch reads the records of the candidates of record i of the batch, so
// that they arrive from memory together, while the record before is
// scored, rather than one at a time as they are compared.
func (m *matcher) touch(i int) {
	var t byte
	for _, p := range m.cands(i) {
		t ^= m.x.recs.Touch(int(p))
	}
	m.touched ^= t
}

// score scores the record against the candidate people (each on its best
// name) into m.scored.
func (m *matcher) score(sec *reconcile.Record, ids []uint32) {
	m.scored = m.scored[:0]
	for _, p := range ids {
		m.x.get(p, &m.cand)
		c := Candidate{person: p, rec: p, Weight: m.s.Weight(sec, &m.cand)}
		m.scores++
		m.hist[histBin(c.Weight)]++
		if m.x.recs.Marked(int(p)) { // has other names: the bit is in the record just read
			from, to := m.x.others(p)
			for a := from; a < to; a++ {
				m.x.get(a, &m.cand)
				w := m.s.Weight(sec, &m.cand)
				m.scores++
				// An other name as good as the main one is the name the
				// record holds: not a difference to correct.
				if w >= c.Weight {
					c.Weight, c.rec, c.OtherName = w, a, true
				}
			}
		}
		m.scored = append(m.scored, c)
	}
}

// rank keeps the best TopN+1 scored candidates in m.top, best first, and
// returns the sum of 2^(w - top weight) over the candidates in the running.
// Under one-to-one assignment the people that other records hold (their
// first-round claims) are out of the running: the file holds each person
// once, so this record is someone else. heldBy is then the line of the
// record holding the best candidate of all, when that candidate would
// have been plausible (at or above the review floor): 0 when this record
// may have it or it was not a likely match anyway.
func (m *matcher) rank(line int) (sum float64, heldBy int32) {
	held := func(p uint32) int32 {
		if m.claims == nil {
			return 0
		}
		if l := m.claims.line[p]; l != 0 && int(l) != line {
			return l
		}
		return 0
	}
	k := m.cfg.TopN + 1
	m.top = m.top[:0]
	bestAll := math.Inf(-1)
	for _, c := range m.scored {
		l := held(c.person)
		if c.Weight > bestAll {
			bestAll, heldBy = c.Weight, l
		}
		if l != 0 || len(m.top) == k && c.Weight <= m.top[k-1].Weight {
			continue
		}
		if len(m.top) < k {
			m.top = append(m.top, c)
		} else {
			m.top[k-1] = c
		}
		for j := len(m.top) - 1; j > 0 && m.top[j].Weight > m.top[j-1].Weight; j-- {
			m.top[j], m.top[j-1] = m.top[j-1], m.top[j]
		}
	}
	if heldBy != 0 && reconcile.Probability(bestAll) < m.cfg.ReviewFloor {
		heldBy = 0
	}
	if len(m.top) == 0 {
		return 0, heldBy
	}
	best := m.top[0].Weight
	for _, c := range m.scored {
		if held(c.person) == 0 {
			sum += math.Exp2(c.Weight - best)
		}
	}
	return sum, heldBy
}

// competing is the probability that the candidate of weight w is the
// record's person, against all its candidates: 2^w / (1 + Σ 2^w_i), with
// the sum given relative to the best weight.
func competing(w, best, sum float64) float64 {
	return math.Exp2(w-best) / (math.Exp2(-best) + sum)
}

// decide takes the decision on record i of the batch gathered, first
// touching the candidates of the next one.
func (m *matcher) decide(i int, raw *sector.Record, sec *reconcile.Record) Decision {
	m.touch(i + 1)
	d := Decision{ID: raw.ID, Line: raw.Line, Notes: raw.Notes}
	m.score(sec, m.cands(i))
	sum, heldBy := m.rank(raw.Line)
	if len(m.top) == 0 {
		d.Kind, d.Reason = NotFound, "no register record shares a blocking key"
		switch {
		case heldBy != 0:
			d.Kind, d.Reason = Ambiguous, fmt.Sprintf("one-to-one: every candidate is assigned to another record; the best to the record on line %d (a duplicate?)", heldBy)
		case len(m.scored) > 0:
			d.Reason = "one-to-one: every candidate is assigned to another record"
		}
		return d
	}
	// dup prefixes a reason when the best candidate of all went to another
	// record under one-to-one assignment.
	dup := func(reason string) string {
		if heldBy == 0 {
			return reason
		}
		return strings.TrimSuffix(fmt.Sprintf("one-to-one: the best candidate is assigned to the record on line %d (a duplicate?); %s", heldBy, reason), "; ")
	}
	best := m.top[0].Weight
	for i := range m.top {
		m.top[i].Probability = competing(m.top[i].Weight, best, sum)
	}
	top := m.top[0]
	d.hasTop, d.best = true, top.rec
	d.Weight, d.Probability = top.Weight, top.Probability
	d.Candidates = append([]Candidate(nil), m.top[:min(len(m.top), m.cfg.TopN)]...)
	for i := range d.Candidates {
		m.x.get(d.Candidates[i].person, &m.cand)
		d.Candidates[i].PIN = m.cand.PIN()
	}
	second := math.Inf(-1)
	if len(m.top) > 1 {
		second = m.top[1].Weight
	}
	reg := &m.best
	m.x.get(top.rec, reg)
	m.s.Score(sec, reg, m.v)

	switch {
	case m.verifiedPIN(sec, reg):
		d.Kind, d.Verified = Exact, true
	case top.Probability >= m.cfg.Threshold && top.Weight-second >= m.cfg.Margin && !pinOfAnother(sec.PIN(), d.Candidates[1:]):
		// Not when the record's PIN is another candidate's: which of the
		// two the record is about is for a person to say.
		d.Kind = Match
	case m.lone(top.Weight, second) && !m.dateContradicts() && !m.nameAndYearOnly() && !m.nameContradicts() && !pinOfAnother(sec.PIN(), d.Candidates[1:]):
		// The only plausible person: applied although below the threshold,
		// unless the record's PIN is another candidate's (for review).
		d.Kind = Match
		d.Lone = true
	case reconcile.Probability(top.Weight) >= m.cfg.ReviewFloor:
		d.Kind = Ambiguous
		switch gap := top.Weight - second; {
		case pinOfAnother(sec.PIN(), d.Candidates[1:]) && top.Probability >= m.cfg.Threshold:
			d.Reason = "the record's PIN is another candidate's"
		case gap < m.cfg.Margin:
			d.Reason = fmt.Sprintf("%d candidates within %.1f bits of the best", m.within(m.cfg.Margin), m.cfg.Margin)
		case reconcile.Probability(top.Weight) >= m.cfg.Threshold:
			d.Reason = fmt.Sprintf("the next candidate is only %.1f bits below the best: probability %.4f against all candidates, below the threshold %v",
				gap, top.Probability, m.cfg.Threshold)
		case m.lone(top.Weight, second) && m.dateContradicts():
			d.Reason = fmt.Sprintf("the only plausible person (probability %.4f on its own), but the date of birth differs from theirs", reconcile.Probability(top.Weight))
		case m.lone(top.Weight, second) && m.nameContradicts():
			d.Reason = fmt.Sprintf("the only plausible person (probability %.4f on its own), but the name does not agree with theirs", reconcile.Probability(top.Weight))
		case m.lone(top.Weight, second) && m.nameAndYearOnly():
			d.Reason = fmt.Sprintf("the only plausible person (probability %.4f on its own), but only the name and part of the date of birth agree: a namesake?", reconcile.Probability(top.Weight))
		default:
			d.Reason = fmt.Sprintf("best candidate's probability %.4f is below the threshold %v", top.Probability, m.cfg.Threshold)
		}
		d.Reason = dup(d.Reason)
		return d
	default:
		d.Kind = NotFound
		d.Reason = fmt.Sprintf("best candidate's probability %.3g is below the review floor %v", reconcile.Probability(top.Weight), m.cfg.ReviewFloor)
		if heldBy != 0 {
			d.Kind, d.Reason = Ambiguous, dup(d.Reason)
		}
		return d
	}

	d.person = top.person
	if m.claims != nil && int(m.claims.line[top.person]) != raw.Line {
		// One-to-one, second round: no record claimed the person in the
		// first; of the records that link to them once the people other
		// records hold are out of the running, the strongest has them.
		switch {
		case m.claims.next == nil:
			d.offer = true // the second round is being built
		case int(m.claims.next.line[top.person]) != raw.Line:
			d.Kind, d.Verified = Ambiguous, false
			d.Reason = fmt.Sprintf("one-to-one: the person is assigned to the record on line %d, which has a higher weight (a duplicate?)", m.claims.next.line[top.person])
			return d
		}
	}
	d.PIN = reg.PIN()
	if top.OtherName {
		d.Reason = "matched on one of the person's other names (tên gọi khác)"
	}
	m.differences(&d, raw, sec, reg, top.OtherName)
	if dd, dead := m.x.deathOf(top.person); dead {
		if dd.status == people.Deceased {
			d.Kind = Deceased
			d.Corrections = append(d.Corrections, Correction{Field: "death_date", RegisterValue: dd.date.String(), Action: ActionDeceased})
		} else {
			d.Reason = strings.TrimPrefix(d.Reason+"; register status: "+string(dd.status), "; ")
		}
	}
	if d.Kind != Deceased && len(d.Differing) > 0 {
		d.Kind = Conflict
	}
	return d
}

// lone reports whether the best candidate, of weight w, stands alone
// enough to be linked below the threshold (Config.LoneThreshold): its
// probability on its own reaches LoneThreshold and no other candidate is
// within LoneMargin bits (second is the next weight). It is linked unless
// the record's date of birth contradicts the person's (dateContradicts).
func (m *matcher) lone(w, second float64) bool {
	return reconcile.Probability(w) >= m.cfg.LoneThreshold && w-second >= m.cfg.LoneMargin
}

// dateContradicts reports whether the record's date of birth contradicts
// the best candidate's: the date comparison's "else" (a missing date, or one
// written with faults, agrees in part). m.v holds the best pair's levels.
func (m *matcher) dateContradicts() bool { return m.level(m.c.dob) == reconcile.DOBElse }

// nameContradicts reports whether the record's name agrees with the best
// candidate's at no level while no identity number agrees either: the
// date, the sex and the place alone, however exact, are many people's.
func (m *matcher) nameContradicts() bool {
	return m.level(m.c.name) == reconcile.NameElse && m.noNumberAgrees()
}

// noNumberAgrees reports whether neither the PIN nor the CMND agrees with
// the best candidate's at any level.
func (m *matcher) noNumberAgrees() bool {
	pin, cmnd := m.level(m.c.pin), m.level(m.c.cmnd)
	return (pin == reconcile.Null || pin == reconcile.PINElse) && (cmnd == reconcile.Null || cmnd == reconcile.CMNDElse)
}

// nameAndYearOnly reports whether what ties the record to the best
// candidate is the name and part of the date of birth alone: the dates
// agreeing only in part (one known by its year, a digit off, day and month
// swapped), the places in other provinces or unknown, no identity number
// agreeing. Namesakes born the same year are many in a country of a
// hundred million: such a person, however alone among the candidates, is
// left for review, not linked by the lone rule.
func (m *matcher) nameAndYearOnly() bool {
	if l := m.level(m.c.dob); l == reconcile.DOBExact || l == reconcile.DOBElse {
		return false
	}
	if l := m.level(m.c.address); l != reconcile.PlaceElse && l != reconcile.Null {
		return false
	}
	return m.noNumberAgrees()
}

// within counts the candidates whose weight is within margin bits of the
// best.
func (m *matcher) within(margin float64) int {
	n := 0
	for _, c := range m.top {
		if c.Weight >= m.top[0].Weight-margin {
			n++
		}
	}
	return n
}

// verifiedPIN reports whether the best candidate holds the record's PIN
// and the name and date of birth agree with it: the name exactly, without
// diacritics, reordered or without the middle name; the date exactly, with
// day and month swapped, one digit off or as a partial date (or missing,
// when the name agrees exactly). m.v holds the pair's levels.
// pinOfAnother reports whether p, the record's PIN, is one of others'.
func pinOfAnother(p string, others []Candidate) bool {
	if p == "" {
		return false
	}
	for _, c := range others {
		if c.PIN == p {
			return true
		}
	}
	return false
}

func (m *matcher) verifiedPIN(sec, reg *reconcile.Record) bool {
	p := sec.PIN()
	if m.c.name < 0 || m.c.dob < 0 || len(p) != pin.Length || p != reg.PIN() {
		return false
	}
	if _, _, err := pin.Parse(p); err != nil {
		return false
	}
	name, dob := int(m.v[m.c.name]), int(m.v[m.c.dob])
	nameOK := name == reconcile.NameExact || name == reconcile.NameFolded ||
		name == reconcile.NameSwapped || name == reconcile.NameMiddleMissing
	switch dob {
	case reconcile.DOBExact, reconcile.DOBSwapped, reconcile.DOBOneDigit, reconcile.DOBYearOnly:
		return nameOK
	case reconcile.Null:
		return name == reconcile.NameExact || name == reconcile.NameFolded
	}
	return false
}

// level returns the pair's level of a comparison, Null when the model
// lacks it.
func (m *matcher) level(i int) int {
	if i < 0 {
		return reconcile.Null
	}
	return int(m.v[i])
}

// differences lists the fields where the sector record differs from the
// register person it is linked to, and the corrections to propose: for
// mapped columns only, one per column.
func (m *matcher) differences(d *Decision, raw *sector.Record, sec, reg *reconcile.Record, otherName bool) {
	add := func(c Correction) {
		if c.Column == "" {
			return
		}
		for _, x := range d.Corrections {
			if x.Column == c.Column {
				return // one value per column: the first (the PIN before the CMND) wins
			}
		}
		d.Corrections = append(d.Corrections, c)
	}
	differ := func(f string) {
		if !slices.Contains(d.Differing, f) {
			d.Differing = append(d.Differing, f)
		}
	}
	primary := &m.primary
	m.x.get(d.person, primary)

	// Name. A registered other name is not a difference.
	switch l := m.level(m.c.name); {
	case otherName || m.c.name < 0 || l == reconcile.NameExact:
	case l == reconcile.Null:
		m.nameCorrections(add, raw, primary, ActionFill)
	case l == reconcile.NameFolded:
		m.nameCorrections(add, raw, primary, ActionNormalise)
	default:
		differ("full_name")
		m.nameCorrections(add, raw, primary, ActionCorrect)
	}

	// Date of birth.
	if rb := reg.BirthDate(); m.c.dob >= 0 && !rb.IsZero() {
		c := Correction{Field: "birth_date", Column: m.cols.of(sector.FieldBirthDate), SectorValue: raw.Raw(sector.FieldBirthDate), RegisterValue: rb.String()}
		if c.Column == "" {
			c.Column, c.SectorValue = m.cols.of(sector.FieldBirthYear), raw.Raw(sector.FieldBirthYear)
			c.RegisterValue = fmt.Sprint(rb.Year)
		}
		switch l := m.level(m.c.dob); l {
		case reconcile.DOBExact:
		case reconcile.Null:
			c.Action = ActionFill
			add(c)
		case reconcile.DOBYearOnly:
			if rb.Full() && c.Column == m.cols.of(sector.FieldBirthDate) {
				c.Action = ActionFill
				add(c)
			}
		default:
			differ("birth_date")
			c.Action = ActionCorrect
			add(c)
		}
	}

	// Sex.
	if rs := reg.Sex(); m.c.sex >= 0 && rs != 0 {
		c := Correction{Field: "sex", Column: m.cols.of(sector.FieldSex), SectorValue: raw.Raw(sector.FieldSex), RegisterValue: rs.String()}
		switch m.level(m.c.sex) {
		case reconcile.Null:
			c.Action = ActionFill
			add(c)
		case reconcile.SexElse:
			differ("sex")
			c.Action = ActionCorrect
			add(c)
		}
	}

	// PIN: the register's goes where the sector holds none, a CMND, or
	// another number.
	pinCol := m.cols.of(sector.FieldPIN)
	if pinCol == "" {
		pinCol = m.cols.of(sector.FieldCMND) // a CMND column is where the sector keeps identity numbers
	}
	c := Correction{Field: "pin", Column: pinCol, RegisterValue: reg.PIN(), SectorValue: raw.Raw(sector.FieldPIN)}
	if m.cols.of(sector.FieldPIN) == "" {
		c.SectorValue = raw.Raw(sector.FieldCMND)
	}
	switch m.level(m.c.pin) {
	case reconcile.PINExact, reconcile.PINExactUnchecked:
	case reconcile.Null:
		c.Action = ActionFill
		add(c)
	default:
		differ("pin")
		c.Action = ActionCorrect
		add(c)
	}

	// CMND: a number the register does not hold for the person.
	if m.level(m.c.cmnd) != reconcile.Null && m.level(m.c.cmnd) != reconcile.CMNDExact {
		differ("cmnd")
		if col := m.cols.of(sector.FieldCMND); col != "" {
			add(Correction{Field: "cmnd", Column: col, SectorValue: raw.Raw(sector.FieldCMND), RegisterValue: reg.CMND(), Action: ActionCorrect})
		}
	}

	// Address, in today's units; the register's first place is its
	// current residence.
	commune, province, ok := reg.Place(0)
	if m.c.address < 0 || !ok {
		return
	}
	cName, cKey := m.unitValue(commune, true)
	pName, pKey := m.unitValue(province, false)
	cc := Correction{Field: "commune", Column: m.cols.of(sector.FieldCommune), SectorValue: raw.Raw(sector.FieldCommune), RegisterValue: cName, RegisterCode: cKey}
	pc := Correction{Field: "province", Column: m.cols.of(sector.FieldProvince), SectorValue: raw.Raw(sector.FieldProvince), RegisterValue: pName, RegisterCode: pKey}
	legacy := func(k string) bool { return strings.HasPrefix(k, units.LegacyPrefix) }
	switch m.level(m.c.address) {
	case reconcile.PlaceCommune:
		// Same place; pre-2025 units are brought up to date.
		if legacy(raw.Commune) {
			cc.Action = ActionNormalise
			add(cc)
		}
		if legacy(raw.Province) {
			pc.Action = ActionNormalise
			add(pc)
		}
	case reconcile.PlaceCommuneName:
		// A commune name that several communes share meant this one:
		// written as the unit, with its province.
		if cKey != "" {
			cc.Action = ActionNormalise
			add(cc)
		}
		if raw.Raw(sector.FieldProvince) == "" {
			pc.Action = ActionFill
			add(pc)
		} else if legacy(raw.Province) {
			pc.Action = ActionNormalise
			add(pc)
		}
	case reconcile.PlaceProvince, reconcile.PlaceOtherCommune:
		if raw.Commune != "" && cKey != "" {
			differ("address")
			cc.Action = ActionCorrect
			add(cc)
		} else if raw.Commune == "" && cKey != "" {
			cc.Action = ActionFill
			add(cc)
		}
		if legacy(raw.Province) {
			pc.Action = ActionNormalise
			add(pc)
		}
	case reconcile.PlaceElse:
		differ("address")
		if cKey != "" {
			cc.Action = ActionCorrect
			add(cc)
		}
		pc.Action = ActionCorrect
		add(pc)
	case reconcile.Null:
		if raw.Raw(sector.FieldProvince) == "" {
			pc.Action = ActionFill
			add(pc)
		}
		if raw.Raw(sector.FieldCommune) == "" && cKey != "" {
			cc.Action = ActionFill
			add(cc)
		}
	}
}

type unitName struct{ name, key string }

// unitValue is the package's unitValue, remembered: the same few thousand
// units come back record after record.
func (m *matcher) unitValue(code int, commune bool) (name, key string) {
	k := code
	if !commune {
		k = -code - 1
	}
	if u, ok := m.units[k]; ok {
		return u.name, u.key
	}
	name, key = unitValue(m.reg, code, commune)
	if m.units == nil {
		m.units = map[int]unitName{}
	}
	m.units[k] = unitName{name, key}
	return name, key
}

// nameCorrections proposes the register's name for the name columns: the
// full name, or each part the sector keeps apart.
func (m *matcher) nameCorrections(add func(Correction), raw *sector.Record, reg *reconcile.Record, action string) {
	name := titleCase(reg.Name())
	if col := m.cols.of(sector.FieldFullName); col != "" {
		add(Correction{Field: "full_name", Column: col, SectorValue: raw.Raw(sector.FieldFullName), RegisterValue: name, Action: action})
		return
	}
	fam, mid, giv := sector.SplitName(name)
	for _, p := range []struct {
		f   sector.Field
		val string
	}{{sector.FieldFamilyName, fam}, {sector.FieldMiddleName, mid}, {sector.FieldGivenName, giv}} {
		col := m.cols.of(p.f)
		sv := raw.Raw(p.f)
		if col == "" || strings.EqualFold(strings.Join(strings.Fields(sv), " "), p.val) {
			continue
		}
		a := action
		if sv == "" {
			a = ActionFill
		}
		add(Correction{Field: p.f.String(), Column: col, SectorValue: sv, RegisterValue: p.val, Action: a})
	}
}

// columns are the sector columns of the mapping, by field.
type columns []string

func columnsOf(m *sector.Mapping) columns {
	var c columns
	if m != nil {
		for _, e := range m.Entries() {
			for int(e.Field) >= len(c) {
				c = append(c, "")
			}
			c[e.Field] = e.Column
		}
	}
	return c
}

func (c columns) of(f sector.Field) string {
	if int(f) < len(c) {
		return c[f]
	}
	return ""
}

// claims are the people assigned under one-to-one assignment: for each
// person, the record (by line) with the highest weight among those linked
// to them.
type claims struct {
	w    []float32
	line []int32
	// next is the second round: the people no record claimed in the first,
	// each with the strongest record that links to them once the people
	// held in the first round are out of its running; nil while it is
	// being built.
	next *claims
}

func newClaims(people int) *claims {
	return &claims{w: make([]float32, people), line: make([]int32, people)}
}

// claim offers the person to the record; ties go to the earlier line.
func (c *claims) claim(person uint32, line int, w float64) {
	l, fw := int32(line), float32(w)
	if c.line[person] == 0 || fw > c.w[person] || fw == c.w[person] && l < c.line[person] {
		c.line[person], c.w[person] = l, fw
	}
}
