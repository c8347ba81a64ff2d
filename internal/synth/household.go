package synth

import (
	"github.com/populus-vn/populus/internal/civil"
	"github.com/populus-vn/populus/internal/people"
	"github.com/populus-vn/populus/internal/wyrand"
)

// Household sizes: shares of households with 1 … 7 and 8 or more members,
// shaped on the 2019 census (mean 3.5 people per household; 3–4 person
// households the most common). The table is an approximation of the census
// table, not a copy; its mean is 3.53.
var householdSizes = [9]float64{0, 0.11, 0.19, 0.20, 0.26, 0.13, 0.06, 0.028, 0.022}

// Sizes of the "8 or more" households.
var largeSizes = [4]float64{0.55, 0.25, 0.12, 0.08} // 8, 9, 10, 11

// shape is a household's make-up: elders (the lineage bearer's parents,
// 0–2), core adults (a couple, one adult, or none when grandparents raise
// grandchildren), children of the core (or grandchildren of the elders
// when there is no core), extra unmarried children of the elders, or a
// household of siblings. Shares within each size are judgements informed by
// the census's household chapter: nuclear families dominate, three
// generations are common from five members up, and skipped-generation
// households (children left with grandparents by migrant parents) are a few
// percent.
type shape struct {
	w                                   float64
	elders, core, kids, extra, siblings int
}

var shapes = [9][]shape{
	1: {{w: 1, core: 1}},
	2: {
		{w: .58, core: 2}, {w: .20, core: 1, kids: 1}, {w: .07, elders: 1, kids: 1},
		{w: .07, elders: 1, core: 1}, {w: .08, siblings: 2},
	},
	3: {
		{w: .62, core: 2, kids: 1}, {w: .08, core: 1, kids: 2}, {w: .07, elders: 1, core: 2},
		{w: .04, elders: 2, kids: 1}, {w: .04, elders: 1, kids: 2}, {w: .08, elders: 1, core: 1, kids: 1},
		{w: .02, elders: 2, core: 1}, {w: .05, siblings: 3},
	},
	4: {
		{w: .66, core: 2, kids: 2}, {w: .14, elders: 1, core: 2, kids: 1}, {w: .04, core: 1, kids: 3},
		{w: .04, elders: 2, kids: 2}, {w: .03, elders: 2, core: 2}, {w: .06, elders: 1, core: 1, kids: 2},
		{w: .03, siblings: 4},
	},
	5: {
		{w: .30, core: 2, kids: 3}, {w: .30, elders: 1, core: 2, kids: 2}, {w: .22, elders: 2, core: 2, kids: 1},
		{w: .05, elders: 1, core: 1, kids: 3}, {w: .03, elders: 2, kids: 3}, {w: .02, core: 1, kids: 4},
		{w: .08, elders: 2, core: 1, kids: 2},
	},
	6: {
		{w: .50, elders: 2, core: 2, kids: 2}, {w: .25, elders: 1, core: 2, kids: 3}, {w: .10, core: 2, kids: 4},
		{w: .08, elders: 2, core: 1, kids: 3}, {w: .02, elders: 2, kids: 4}, {w: .05, elders: 1, core: 2, kids: 2, extra: 1},
	},
	7: {
		{w: .50, elders: 2, core: 2, kids: 3}, {w: .20, elders: 1, core: 2, kids: 4}, {w: .08, core: 2, kids: 5},
		{w: .07, elders: 2, core: 1, kids: 4}, {w: .15, elders: 2, core: 2, kids: 2, extra: 1},
	},
}

// Shapes of households of 8 or more, by size n: elders, a couple, n−4
// children; or the same with one unmarried adult child of the elders; or a
// widowed elder with the couple and n−3 children.
func largeShape(r *wyrand.Rand, n int) shape {
	switch x := r.Float64(); {
	case x < 0.45:
		return shape{elders: 2, core: 2, kids: n - 4}
	case x < 0.8:
		return shape{elders: 2, core: 2, kids: n - 5, extra: 1}
	default:
		return shape{elders: 1, core: 2, kids: n - 3}
	}
}

var (
	sizeTable  = newAlias(householdSizes[:])
	largeTable = newAlias(largeSizes[:])
	shapeTable [len(shapes)]alias
)

func init() {
	for n, list := range shapes {
		if len(list) == 0 {
			continue
		}
		w := make([]float64, len(list))
		for i, s := range list {
			w[i] = s.w
		}
		shapeTable[n] = newAlias(w)
	}
}

// Age gap between husband and wife (husband older by gapMin+i years): mean
// about 3.5 years, as the census's mean ages at first marriage (men 27.2,
// women 22.8 in 2019) suggest.
const gapMin = -3

var spouseGap = newAlias([]float64{
	2, 3, 5, 10, 12, 14, 13, 11, 9, 7, 5, 4, 2, 1.5, 0.8, 0.6, 0.5, 0.4, 0.2,
}) // −3 … +15

// marriageAge is the legal minimum age of marriage by sex (men 20, women
// 18: Law on Marriage and Family 2014, art. 8).
var marriageAge = [2]int{maleOnly: 20, femaleOnly: 18}

// Parents are 20–40 years older than their children: with ages counted in
// whole years on the reference date, a gap of 21–39 whole years keeps the
// real gap inside (20, 40) years whatever the birthdays.
const (
	parentGapMin = 21
	parentGapMax = 39
	// Grandparents raising grandchildren are 42–78 years older.
	grandGapMin = 42
	grandGapMax = 78
)

// member is a person under construction.
type member struct {
	sex                    civil.Sex
	age                    int // whole years on the reference date (for the dead: had they lived)
	birthDay               int
	partial                int // 0: full birth date, 1: month and year, 2: year only
	rel                    people.Relation
	father, mother, spouse int // indexes into generator.m, -1 for none
	dead                   bool
	deathDay               int
	blood                  bool // of the lineage that gives the household its surname and origin
	twin                   int  // index of an older twin, -1 for none

	surname, surname2, middle, given string // surname2: the mother's, for double surnames
	born                             birthplace
	birthUnit                        string // BirthPlace
	hometown                         string
	ethnicity, religion              string

	tempUnit string
	// Spans of the household's text buffer.
	name, pinNo, cmnd, other, tempDetail span
	hasCMND, hasOther                    bool
	cardIssued, cardExpires              int
	hasCard                              bool
}

type span struct{ lo, hi int32 }

func (g *generator) add(m member) int {
	m.father, m.mother, m.spouse, m.twin = -1, -1, -1, -1
	g.m = append(g.m, m)
	return len(g.m) - 1
}

// person adds a living member drawn from the urn.
func (g *generator) person(sex, lo, hi int) int {
	s, a := g.urn.draw(&g.r, sex, lo, hi)
	return g.add(member{sex: sexOfIndex[s], age: a})
}

// spouseOf adds the husband (or wife, for sex femaleOnly) of member i, at
// the usual gap where the range allows it.
func (g *generator) spouseOf(i, sex, lo, hi int) int {
	gap := spouseGap.draw(&g.r) + gapMin
	if sex == femaleOnly {
		gap = -gap
	}
	want := g.m[i].age + gap
	lo, hi = max(lo, g.m[i].age-15, marriageAge[sex]), min(hi, g.m[i].age+15, maxAge)
	wlo, whi := max(lo, want-1), min(hi, want+1)
	if wlo > whi {
		wlo, whi = lo, hi
	}
	// The usual gap if the quota allows, else any gap the quota allows,
	// else the usual gap anyway.
	s, a, ok := g.urn.take(&g.r, sex, wlo, whi)
	if !ok {
		s, a, ok = g.urn.take(&g.r, sex, lo, hi)
	}
	if !ok {
		s, a = g.urn.borrow(&g.r, sex, wlo, whi)
	}
	g.urn.count()
	j := g.add(member{sex: sexOfIndex[s], age: a})
	g.m[i].spouse, g.m[j].spouse = j, i
	return j
}

// children adds k children aged lo..hi with distinct ages where the range
// allows (else twins), and returns the youngest and oldest age.
func (g *generator) children(k, lo, hi int) (youngest, oldest int) {
	youngest, oldest = maxAge, 0
	first := len(g.m)
	for n := 0; n < k; n++ {
		var s, a int
		twin := -1
		for try := 0; ; try++ {
			s, a = g.urn.draw(&g.r, anySex, lo, hi)
			twin = -1
			for j := first; j < len(g.m); j++ {
				if g.m[j].age == a {
					twin = j
				}
			}
			if twin < 0 || try == 3 {
				break
			}
			g.urn.putBack(s, a)
		}
		i := g.add(member{sex: sexOfIndex[s], age: a})
		g.m[i].twin = twin
		youngest, oldest = min(youngest, a), max(oldest, a)
	}
	return youngest, oldest
}

func (g *generator) setParents(from, to, father, mother int) {
	for i := from; i < to; i++ {
		g.m[i].father, g.m[i].mother = father, mother
	}
}

// build fills g.m with the living members of a household of the given
// shape, their ages, sexes, relations and links.
func (g *generator) build(sh shape) {
	r := &g.r
	if sh.siblings > 0 {
		h := g.person(anySex, 18, 40)
		g.m[h].rel, g.m[h].blood = people.Head, true
		a := g.m[h].age
		for n := 1; n < sh.siblings; n++ {
			// Within 9 years of the head, so that one couple can be the
			// parents of all.
			i := g.person(anySex, max(16, a-9), min(45, a+9))
			g.m[i].rel, g.m[i].blood = people.Sibling, true
		}
		return
	}
	if sh.core == 0 {
		g.skipped(sh)
		return
	}

	// The core: a couple or one adult, and their children.
	kidMax := 35
	if sh.elders > 0 {
		kidMax = 30
	}
	var wife, husband, single int = -1, -1, -1
	kidsFrom := 0
	var young, old int
	if sh.core == 2 && sh.kids == 0 {
		// A couple alone: old men are scarcer than old women, so the
		// husband is drawn first.
		hi := 95
		if sh.elders > 0 {
			hi = maxAge - parentGapMin
		}
		husband = g.person(maleOnly, marriageAge[maleOnly], hi)
		wife = g.spouseOf(husband, femaleOnly, marriageAge[femaleOnly], hi)
		kidsFrom = len(g.m)
	} else if sh.core == 2 {
		lo, hi := 18, 95
		if sh.kids > 0 {
			lo, hi = parentGapMin+2*(sh.kids-1), kidMax+parentGapMax
		}
		if sh.elders > 0 {
			hi = min(hi, maxAge-parentGapMin-4)
		}
		wife = g.person(femaleOnly, lo, hi)
		kidsFrom = len(g.m)
		hlo, hhi := 18, maxAge
		if sh.kids > 0 {
			w := g.m[wife].age
			young, old = g.children(sh.kids, max(0, w-parentGapMax), min(w-parentGapMin, kidMax))
			hlo, hhi = old+parentGapMin, young+parentGapMax
		}
		if sh.elders > 0 {
			hhi = min(hhi, maxAge-parentGapMin)
		}
		husband = g.spouseOf(wife, maleOnly, hlo, hhi)
		g.setParents(kidsFrom, kidsFrom+sh.kids, husband, wife)
	} else {
		sex := anySex
		lo, hi := 18, maxAge
		if sh.kids > 0 {
			sex = maleOnly
			if r.Chance(0.8) {
				sex = femaleOnly
			}
			lo, hi = parentGapMin+2*(sh.kids-1), kidMax+parentGapMax
		} else if sh.elders == 0 && r.Chance(0.55) {
			lo = 60 // people living alone are mostly the elderly
		}
		if sh.elders > 0 {
			hi = min(hi, maxAge-parentGapMin-4)
		}
		single = g.person(sex, lo, hi)
		kidsFrom = len(g.m)
		if sh.kids > 0 {
			s := g.m[single].age
			g.children(sh.kids, max(0, s-parentGapMax), min(s-parentGapMin, kidMax))
			if g.m[single].sex == civil.Female {
				g.setParents(kidsFrom, kidsFrom+sh.kids, -1, single)
			} else {
				g.setParents(kidsFrom, kidsFrom+sh.kids, single, -1)
			}
		}
	}
	kidsTo := kidsFrom + sh.kids

	// The lineage bearer: the husband's parents live with the couple more
	// often than the wife's.
	lineage := single
	if sh.core == 2 {
		lineage = husband
		if r.Chance(0.2) {
			lineage = wife
		}
	}
	g.m[lineage].blood = true
	if sh.elders == 0 {
		head := lineage
		if sh.core == 2 && r.Chance(0.15) {
			head = g.m[lineage].spouse
		}
		g.m[head].rel = people.Head
		if s := g.m[head].spouse; s >= 0 {
			g.m[s].rel = people.Spouse
		}
		for i := kidsFrom; i < kidsTo; i++ {
			g.m[i].rel = people.Child
		}
		return
	}

	// Elders: the lineage bearer's parents, one of them widowed if only one.
	la := g.m[lineage].age
	lo, hi := la+parentGapMin, min(la+parentGapMax, maxAge)
	var ef, em int = -1, -1
	switch {
	case sh.elders == 2:
		// Old men are scarcer than old women: draw the husband first.
		ef = g.person(maleOnly, lo, hi)
		em = g.spouseOf(ef, femaleOnly, lo, hi)
	case r.Chance(0.75):
		em = g.person(femaleOnly, lo, hi)
	default:
		ef = g.person(maleOnly, lo, hi)
	}
	g.m[lineage].father, g.m[lineage].mother = ef, em
	eldest, youngest := 0, maxAge
	for _, e := range [2]int{ef, em} {
		if e >= 0 {
			g.m[e].blood = e == ef
			eldest, youngest = max(eldest, g.m[e].age), min(youngest, g.m[e].age)
		}
	}
	extraFrom := len(g.m)
	for n := 0; n < sh.extra; n++ {
		xlo, xhi := max(16, eldest-parentGapMax), min(65, youngest-parentGapMin)
		i := g.person(anySex, xlo, xhi)
		g.m[i].father, g.m[i].mother, g.m[i].blood = ef, em, true
	}

	// The head is an elder in 45% of these households, else the lineage
	// bearer.
	elder := ef
	if elder < 0 {
		elder = em
	}
	if r.Chance(0.45) {
		g.m[elder].rel = people.Head
		if s := g.m[elder].spouse; s >= 0 {
			g.m[s].rel = people.Spouse
		}
		g.m[lineage].rel = people.Child
		if s := g.m[lineage].spouse; s >= 0 {
			g.m[s].rel = people.ChildInLaw
		}
		for i := kidsFrom; i < kidsTo; i++ {
			g.m[i].rel = people.Grandchild
		}
		for i := extraFrom; i < len(g.m); i++ {
			g.m[i].rel = people.Child
		}
		return
	}
	g.m[lineage].rel = people.Head
	if s := g.m[lineage].spouse; s >= 0 {
		g.m[s].rel = people.Spouse
	}
	for i := kidsFrom; i < kidsTo; i++ {
		g.m[i].rel = people.Child
	}
	for _, e := range [2]int{ef, em} {
		if e >= 0 {
			g.m[e].rel = people.Parent
		}
	}
	for i := extraFrom; i < len(g.m); i++ {
		g.m[i].rel = people.Sibling
	}
}

// skipped builds a household of grandparents raising grandchildren whose
// parents live elsewhere (not generated, so not linked).
func (g *generator) skipped(sh shape) {
	r := &g.r
	sex := maleOnly // with two grandparents, the scarcer grandfather first
	if sh.elders == 1 && r.Chance(0.7) {
		sex = femaleOnly
	}
	first := g.person(sex, grandGapMin+3+2*(sh.kids-1), 95)
	a := g.m[first].age
	from := len(g.m)
	young, old := g.children(sh.kids, max(0, a-grandGapMax), min(17, a-grandGapMin))
	if sh.elders == 2 {
		s := g.spouseOf(first, femaleOnly, old+grandGapMin, young+grandGapMax)
		g.m[s].rel = people.Spouse
	}
	g.m[first].rel, g.m[first].blood = people.Head, true
	for i := from; i < from+sh.kids; i++ {
		g.m[i].rel = people.Grandchild
	}
}
