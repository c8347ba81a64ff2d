package engine

import (
	"strings"
	"sync"

	"github.com/populus-vn/populus/internal/civil"
	"github.com/populus-vn/populus/internal/reconcile"
	"github.com/populus-vn/populus/internal/units"
)

// Fallback probes: look-ups in the rules' blocks with keys near the
// record's own, for the records that the rules' keys leave without the
// right person. They cost no memory (the register is indexed as before)
// and little time, since few records need them:
//
//   - a PIN that finds nobody is looked up again with each one-digit
//     typing error undone (a digit replaced, two neighbours transposed,
//     a digit dropped or doubled);
//   - a record that no rule gave a candidate is looked up by its given
//     name with every day its partial date may mean (the given name and
//     the birth year), or with the dates one typing error away from its
//     full date; and, when it names no province, by its name and by its
//     date of birth and sex in every province;
//   - a name of two words is looked up with each of the register's common
//     middle names put back, in the record's provinces (every province when
//     it names none and no rule gave it a candidate), whether or not other
//     keys found candidates.

// probeRules are the positions of the rules the probes look up in; -1
// where the index lacks one.
type probeRules struct{ pin, givenDOB, nameProvince, dobSexProvince int }

func probeRulesOf(rules []Rule) probeRules {
	p := probeRules{-1, -1, -1, -1}
	for i, r := range rules {
		switch r.Name {
		case "pin":
			p.pin = i
		case "given_dob":
			p.givenDOB = i
		case "name_province":
			p.nameProvince = i
		case "dob_sex_province":
			p.dobSexProvince = i
		}
	}
	return p
}

// currentProvinces are the codes of today's provinces.
var currentProvinces = sync.OnceValue(func() []int {
	var out []int
	for _, u := range units.Default().Provinces() {
		out = append(out, atoiCode(u.Code))
	}
	return out
})

func atoiCode(s string) int {
	n := 0
	for i := 0; i < len(s); i++ {
		n = n*10 + int(s[i]-'0')
	}
	return n
}

// probes runs the fallback probes for the batch's records (see above).
func (m *matcher) probes(secs []*reconcile.Record, collect bool) {
	for j, sec := range secs {
		if sec == nil {
			continue
		}
		if m.probe.pin >= 0 && !m.pinHit[j] && sec.PIN() != "" {
			m.probePIN(j, sec.PIN(), collect)
		}
		if m.found[j] > 0 {
			if _, _, ok := sec.Place(0); ok {
				// A name of two words in a province the record names:
				// candidates of other keys (the family name and year) do
				// not make up for the middle name it may have lost.
				m.probeMiddles(j, sec, collect)
			}
			continue
		}
		if m.probe.givenDOB >= 0 && sec.GivenName() != "" && sec.BirthDate().Year != 0 {
			m.probeGivenDates(j, sec, collect)
		}
		if _, _, ok := sec.Place(0); !ok {
			// No place of its own (at most a shared commune name, whose
			// provinces its keys have tried): every province.
			m.probeProvinces(j, sec, collect)
		}
		m.probeMiddles(j, sec, collect)
	}
	m.filterCapped(secs, collect)
}

// maxFiltered bounds the records of an over-large key that filterCapped
// reads: it reads each, so a key larger than this is left out as before.
const maxFiltered = 4096

// cappedKey is a key of a record of the batch that blocking left out as
// over-large (a common name in a big province, a common surname and a
// year): its entries, for filterCapped.
type cappedKey struct {
	rec, rule int32
	ids       []uint64
}

// filterCapped gives the records that still have no candidate the people
// of their over-large keys that agree with them on one more thing: the
// same commune, or a date of birth equal or one typing error off (one
// digit, day and month swapped).
func (m *matcher) filterCapped(secs []*reconcile.Record, collect bool) {
	for _, c := range m.capped {
		sec := secs[c.rec]
		if m.found[c.rec] > 0 && !m.filtering(c.rec) {
			continue
		}
		st := &m.rules[c.rule]
		st.Filtered += int64(len(c.ids))
		for _, e := range c.ids {
			m.x.get(entryID(e), &m.cand)
			if !nearOnMore(sec, &m.cand) {
				continue
			}
			p := m.x.person(entryID(e))
			if m.in != nil && !m.in[m.x.unit[p]] {
				continue
			}
			st.ProbedPairs++
			m.found[c.rec]++
			m.markFiltering(c.rec)
			if collect {
				m.pairs = append(m.pairs, uint64(c.rec)<<32|uint64(p))
			}
		}
	}
}

// filtering and markFiltering remember the records that filterCapped has
// given candidates, so that each of their over-large keys is filtered,
// not only the first.
func (m *matcher) filtering(rec int32) bool {
	for _, r := range m.filtered {
		if r == rec {
			return true
		}
	}
	return false
}

func (m *matcher) markFiltering(rec int32) {
	if !m.filtering(rec) {
		m.filtered = append(m.filtered, rec)
	}
}

// nearOnMore reports whether a register record agrees with a sector record
// on its commune or on its date of birth (equal or one typing error off).
func nearOnMore(sec, reg *reconcile.Record) bool {
	if (reconcile.Address{}).Level(sec, reg) == reconcile.PlaceCommune {
		return true
	}
	switch (reconcile.BirthDate{}).Level(sec, reg) {
	case reconcile.DOBExact, reconcile.DOBSwapped, reconcile.DOBOneDigit:
		return true
	}
	return false
}

// lookupKey looks the key in m.k.buf up in rule ri's block.
func (m *matcher) lookupKey(ri, rec int, collect bool) {
	m.take(ri, rec, m.x.blocks[ri].lookup(hashKey(m.k.buf)), collect, true)
}

// probePIN looks up the PINs one typing error from p.
func (m *matcher) probePIN(rec int, p string, collect bool) {
	var b [pinLen + 1]byte
	try := func(q []byte) {
		m.k.start(3)
		m.k.buf = append(append(m.k.buf, q...), 0)
		m.lookupKey(m.probe.pin, rec, collect)
	}
	switch len(p) {
	case pinLen:
		q := b[:pinLen]
		copy(q, p)
		for i := range q {
			c := q[i]
			for d := byte('0'); d <= '9'; d++ {
				if d != c {
					q[i] = d
					try(q)
				}
			}
			q[i] = c
			if i+1 < len(q) && q[i] != q[i+1] {
				q[i], q[i+1] = q[i+1], q[i]
				try(q)
				q[i], q[i+1] = q[i+1], q[i]
			}
		}
	case pinLen - 1: // a digit dropped
		for i := 0; i <= len(p); i++ {
			q := append(append(b[:0], p[:i]...), '0')
			q = append(q, p[i:]...)
			for d := byte('0'); d <= '9'; d++ {
				q[i] = d
				try(q)
			}
		}
	case pinLen + 1: // a digit doubled or added
		for i := range len(p) {
			try(append(append(b[:0], p[:i]...), p[i+1:]...))
		}
	}
}

const pinLen = 12

// probeGivenDates looks up the given name with the dates the record's date
// of birth may be: every day of a partial date, or the dates one typing
// error from a full one (a digit of the day, month or the year's last two
// replaced; two neighbours transposed; day and month swapped; year ± 1).
func (m *matcher) probeGivenDates(rec int, sec *reconcile.Record, collect bool) {
	giv, d := sec.GivenName(), sec.BirthDate()
	try := func(c civil.Date) {
		if c.Year < 1800 || !c.Full() || !c.Valid() {
			return
		}
		m.k.start(2)
		m.k.str(giv)
		m.k.num(c.Key())
		m.lookupKey(m.probe.givenDOB, rec, collect)
	}
	if !d.Full() {
		lo, hi := 1, 12
		if d.Month != 0 {
			lo, hi = d.Month, d.Month
		}
		for mo := lo; mo <= hi; mo++ {
			for day := 1; day <= 31; day++ {
				try(civil.Date{Year: d.Year, Month: mo, Day: day})
			}
		}
		return
	}
	digits := []byte{byte('0' + d.Year/1000%10), byte('0' + d.Year/100%10), byte('0' + d.Year/10%10), byte('0' + d.Year%10),
		byte('0' + d.Month/10), byte('0' + d.Month%10), byte('0' + d.Day/10), byte('0' + d.Day%10)}
	var buf [8]byte
	date := func(q []byte) civil.Date {
		n := 0
		for _, c := range q {
			n = n*10 + int(c-'0')
		}
		return civil.DateFromKey(n)
	}
	for i := range 8 {
		q := buf[:]
		copy(q, digits)
		for c := byte('0'); c <= '9'; c++ {
			if c != digits[i] {
				q[i] = c
				try(date(q))
			}
		}
		q[i] = digits[i]
		if i+1 < 8 && q[i] != q[i+1] {
			q[i], q[i+1] = q[i+1], q[i]
			try(date(q))
		}
	}
	try(civil.Date{Year: d.Year, Month: d.Day, Day: d.Month})
	try(civil.Date{Year: d.Year - 1, Month: d.Month, Day: d.Day})
	try(civil.Date{Year: d.Year + 1, Month: d.Month, Day: d.Day})
}

// probeProvinces looks up a record that names no province with each of
// today's provinces: by its name (name_province) and by its date of birth
// and sex (dob_sex_province).
func (m *matcher) probeProvinces(rec int, sec *reconcile.Record, collect bool) {
	k := &m.k
	if ri := m.probe.nameProvince; ri >= 0 && hasSpace(sec.FoldedName()) {
		k.phon = appendPhonetic(k.phon[:0], sec.FoldedName())
		for _, prov := range currentProvinces() {
			k.start(5)
			k.buf = append(k.buf, k.phon...)
			k.num(prov)
			m.lookupKey(ri, rec, collect)
		}
	}
	d, sex := sec.BirthDate(), sec.Sex()
	if ri := m.probe.dobSexProvince; ri >= 0 && d.Full() && sex != 0 {
		for _, prov := range currentProvinces() {
			k.start(6)
			k.num(d.Key())
			k.buf = append(k.buf, byte(sex))
			k.num(prov)
			m.lookupKey(ri, rec, collect)
		}
	}
}

func hasSpace(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] == ' ' {
			return true
		}
	}
	return false
}

// probeMiddles looks up a name of two words, which has lost its middle
// name, with each of the register's common middle names put back, in the
// record's provinces or, when it names none, in every province.
func (m *matcher) probeMiddles(rec int, sec *reconcile.Record, collect bool) {
	ri := m.probe.nameProvince
	folded := sec.FoldedName()
	sp := strings.IndexByte(folded, ' ')
	if ri < 0 || sp < 0 || strings.LastIndexByte(folded, ' ') != sp || len(m.x.middles) == 0 {
		return
	}
	provs := provinces(sec, &m.k.prov)
	if len(provs) == 0 {
		provs = currentProvinces()
	}
	k := &m.k
	for _, mid := range m.x.middles {
		k.phon = appendPhonetic(k.phon[:0], folded[:sp]+" "+mid+folded[sp:])
		for _, prov := range provs {
			k.start(5)
			k.buf = append(k.buf, k.phon...)
			k.num(prov)
			m.lookupKey(ri, rec, collect)
		}
	}
}
