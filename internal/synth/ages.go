package synth

import (
	"sort"

	"github.com/populus-vn/populus/internal/civil"
	"github.com/populus-vn/populus/internal/wyrand"
)

// maxAge is the oldest age generated. A person of 104 on the default
// reference date was born in 1920 or 1921, well inside the years a PIN can
// encode.
const maxAge = 104

// censusBands is the age pyramid of the 2019 census (1 April 2019) in
// 5-year bands, thousands of people, approximated to 0.1 million, with the
// sex ratio (males per 100 females) of each band. The totals follow the shape
// of the census pyramid (GSO, "Kết quả toàn bộ Tổng điều tra dân số và nhà ở
// năm 2019", figure 4.6) and agree with its published summary shares
// (0–14: 24.3%, 65+: 7.7%) within half a point; the band sex ratios are
// estimates chosen to reproduce the census's overall ratio, 47,881,061 males
// to 48,327,923 females (99.1), and its sex ratio at birth (111.5, so about
// 110 for 0–4). The last band is 80 and over.
var censusBands = [17]struct {
	thousands float64
	sexRatio  float64
}{
	{7800, 110.5}, {8000, 110}, {7100, 108.5}, {6500, 107}, {6900, 105},
	{7900, 103}, {8100, 102}, {7600, 101.5}, {7000, 100.5}, {6400, 99},
	{5800, 96}, {5100, 92}, {4100, 86}, {2900, 80}, {1700, 73},
	{1100, 64}, {1900, 50},
}

// oldestDecline is the year-on-year survival ratio used to spread the 80+
// band over single years 80..maxAge.
const oldestDecline = 0.86

// pyramid is the target share of the living population by sex and single
// year of age; index 0 is male, 1 female.
type pyramid struct {
	share [2][maxAge + 1]float64
	cum   [2][maxAge + 2]float64 // cum[s][a] = share of sex s below age a
}

func sexIndex(s civil.Sex) int {
	if s == civil.Female {
		return 1
	}
	return 0
}

var sexOfIndex = [2]civil.Sex{civil.Male, civil.Female}

func newPyramid() *pyramid {
	p := &pyramid{}
	var total float64
	for _, b := range censusBands {
		total += b.thousands
	}
	for i, b := range censusBands {
		male := b.thousands / total * b.sexRatio / (100 + b.sexRatio)
		female := b.thousands/total - male
		lo := i * 5
		if i < len(censusBands)-1 {
			for a := lo; a < lo+5; a++ {
				p.share[0][a], p.share[1][a] = male/5, female/5
			}
			continue
		}
		var norm float64
		for a, w := lo, 1.0; a <= maxAge; a, w = a+1, w*oldestDecline {
			norm += w
		}
		for a, w := lo, 1.0; a <= maxAge; a, w = a+1, w*oldestDecline {
			p.share[0][a], p.share[1][a] = male*w/norm, female*w/norm
		}
	}
	for s := range 2 {
		for a := 0; a <= maxAge; a++ {
			p.cum[s][a+1] = p.cum[s][a] + p.share[s][a]
		}
	}
	return p
}

// draw samples an age in [lo, hi] for sex s from the pyramid alone.
func (p *pyramid) draw(r *wyrand.Rand, s, lo, hi int) int {
	c := &p.cum[s]
	x := c[lo] + float64(r.Float64()*(c[hi+1]-c[lo])) // no fused multiply-add: see noFMA
	a := sort.SearchFloat64s(c[lo+1:hi+2], x) + lo
	if a > hi {
		a = hi
	}
	return a
}

// urn makes the generated population follow the pyramid although every
// person's age is constrained by the rest of the household (a mother is
// 21–39 years older than her children, …). It holds a quota of people per
// sex and age, refilled in proportion to the pyramid as people are drawn;
// each draw takes one person from the quota inside the allowed range. A
// range whose quota is exhausted falls back to the pyramid and the cell goes
// into debt, repaid at the next refill. So the sex and age make-up of any
// prefix of the output stays within a few hundred people of the target,
// whatever the mix of households, and the household rules still hold.
type urn struct {
	p     *pyramid
	tree  [2][urnSize + 1]int32 // Fenwick trees over ages, 1-based
	carry [2][maxAge + 1]float64
	since int // draws since the last refill
	// fallbacks counts draws that found their range out of quota.
	fallbacks int
}

const (
	urnSize   = 128 // power of two ≥ maxAge+1, for the Fenwick search
	urnStart  = 3000
	urnRefill = 250
)

func newUrn(p *pyramid) *urn {
	u := &urn{p: p}
	u.fill(urnStart)
	return u
}

func (u *urn) fill(people float64) {
	for s := range 2 {
		for a := 0; a <= maxAge; a++ {
			u.carry[s][a] += float64(u.p.share[s][a] * people)
			if n := int32(u.carry[s][a]); n > 0 {
				u.carry[s][a] -= float64(n)
				u.add(s, a, n)
			}
		}
	}
}

func (u *urn) add(s, a int, n int32) {
	t := &u.tree[s]
	for i := a + 1; i <= urnSize; i += i & -i {
		t[i] += n
	}
}

// below returns the quota of sex s at ages < a.
func (u *urn) below(s, a int) int32 {
	t := &u.tree[s]
	var n int32
	for i := a; i > 0; i -= i & -i {
		n += t[i]
	}
	return n
}

// find returns the age holding the k-th (0-based) unit of quota of sex s.
func (u *urn) find(s int, k int32) int {
	t := &u.tree[s]
	pos := 0
	for step := urnSize; step > 0; step >>= 1 {
		if next := pos + step; next <= urnSize && t[next] <= k {
			pos = next
			k -= t[next]
		}
	}
	return pos
}

// Sex choices for urn.draw.
const (
	anySex     = -1
	maleOnly   = 0
	femaleOnly = 1
)

// draw takes a person of the given sex (or either, anySex) aged lo..hi. An
// empty range (lo > hi) is a bug in the household rules and panics.
func (u *urn) draw(r *wyrand.Rand, sex, lo, hi int) (int, int) {
	s, a, ok := u.take(r, sex, lo, hi)
	if !ok {
		s, a = u.borrow(r, sex, lo, hi)
	}
	u.count()
	return s, a
}

func clampRange(lo, hi int) (int, int) {
	lo, hi = max(lo, 0), min(hi, maxAge)
	if lo > hi {
		panic("synth: empty age range")
	}
	return lo, hi
}

// take draws from the quota; ok is false when the range has none left.
func (u *urn) take(r *wyrand.Rand, sex, lo, hi int) (s, a int, ok bool) {
	lo, hi = clampRange(lo, hi)
	var avail [2]int32
	for s := range 2 {
		if sex == anySex || sex == s {
			avail[s] = u.below(s, hi+1) - u.below(s, lo)
		}
	}
	total := avail[0] + avail[1]
	if total <= 0 {
		return 0, 0, false
	}
	k := int32(r.Intn(int(total)))
	s = sex
	if s == anySex {
		s = 0
		if k >= avail[0] {
			s, k = 1, k-avail[0]
		}
	}
	a = u.find(s, u.below(s, lo)+k)
	u.add(s, a, -1)
	return s, a, true
}

// borrow draws from the pyramid when the quota of the range is used up; the
// cell goes into debt.
func (u *urn) borrow(r *wyrand.Rand, sex, lo, hi int) (int, int) {
	lo, hi = clampRange(lo, hi)
	u.fallbacks++
	s := sex
	if s == anySex {
		m := u.p.cum[0][hi+1] - u.p.cum[0][lo]
		f := u.p.cum[1][hi+1] - u.p.cum[1][lo]
		s = 0
		if r.Float64()*(m+f) >= m {
			s = 1
		}
	}
	a := u.p.draw(r, s, lo, hi)
	u.carry[s][a]--
	return s, a
}

// count refills the quota as people are drawn.
func (u *urn) count() {
	if u.since++; u.since == urnRefill {
		u.since = 0
		u.fill(urnRefill)
	}
}

// putBack returns a person drawn by draw but not used (a draw retried to
// avoid a clash), so that it does not count against the quota.
func (u *urn) putBack(s, a int) {
	u.add(s, a, 1)
	u.since--
}
