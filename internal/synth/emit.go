package synth

import (
	"github.com/populus-vn/populus/internal/civil"
	"github.com/populus-vn/populus/internal/people"
	"github.com/populus-vn/populus/internal/wyrand"
)

// Shares used below; each is a judgement, documented in
// docs/synthetic-population.md.
const (
	migrantBase       = 0.05 // households whose lineage came from another province…
	migrantPull       = 0.30 // …plus this times the destination's attraction
	inLawSameProvince = 0.65 // spouses born in the lineage's province
	inLawLocal        = 0.15 // … or where the household lives
	sameEthnicity     = 0.90 // spouses of the household's ethnicity
	sameReligion      = 0.80 // spouses of the household's religion
	doubleSurname     = 0.05 // children born from 2005 named after both parents
	tempShare         = 0.06 // adults 18–45 with a temporary residence elsewhere
	tempShareStudent  = 0.10 // … aged 18–22
	tempOtherProvince = 0.45 // of those, in another province
	cmndShare         = 0.04 // people aged 40+ still recorded with a 9-digit CMND
	// A dead parent is generated with one of their children's households
	// only, so the chance is divided by the number of children who head a
	// household or are a head's spouse. 2.5 is calibrated so that the dead
	// are about 2.4% of the records: four years of deaths (about 0.6 million
	// a year) since the database went live, for about 100 million people.
	childrenPerParent = 2.5
)

// Gompertz mortality: the chance of dying within the year is gompertzQ80 at
// 80 and grows by gompertzRatio a year (doubling about every 7.5 years): an
// estimate in line with Vietnam's life expectancy of about 74 years.
// survivalTable[a] is the chance of living to age a, built by
// multiplication only (see noFMA).
const (
	gompertzQ80   = 0.065
	gompertzRatio = 1.0964
	survivalAges  = maxAge + 12
)

var survivalTable = func() (s [survivalAges + 1]float64) {
	var q [survivalAges + 1]float64
	q[80] = gompertzQ80
	for a := 81; a <= survivalAges; a++ {
		q[a] = min(float64(q[a-1]*gompertzRatio), 1)
	}
	for a := 79; a >= 0; a-- {
		q[a] = q[a+1] / gompertzRatio
	}
	s[0] = 1
	for a := 1; a <= survivalAges; a++ {
		s[a] = float64(s[a-1] * (1 - q[a-1]))
	}
	return s
}()

// reorganised is the first day of the 34-province system.
var reorganised = dayOf(2025, 7, 1)

// household builds the next household, of at most room records, into g.hh
// and g.out.
func (g *generator) household(room int) error {
	r := &g.r
	w := g.w
	g.m, g.buf = g.m[:0], g.buf[:0]
	p := w.provinces[w.byPop.draw(r)]
	c := w.randomCommune(r, p)

	n := sizeTable.draw(r)
	if n == 8 {
		n += largeTable.draw(r)
	}
	n = min(n, room)
	var sh shape
	if n >= 8 {
		sh = largeShape(r, n)
	} else {
		sh = shapes[n][shapeTable[n].draw(r)]
	}
	g.build(sh)
	head := 0
	for i := range g.m {
		if g.m[i].rel == people.Head {
			head = i
		}
	}

	// Where the lineage comes from: the commune itself for most, another
	// province for migrants.
	origin := w.birthAt(r, c)
	home, homeProv := c, p
	migrant, migYears := false, 0
	if r.Chance(migrantBase + float64(migrantPull*p.attract)) {
		if op := w.provinces[w.migrantOrigin.draw(r)]; op != p {
			migrant = true
			home, homeProv = w.randomCommune(r, op), op
			origin = w.birthAt(r, home)
			migYears = r.Between(1, max(1, g.m[head].age-18))
		}
	}
	if !migrant && r.Chance(0.5) {
		home = w.randomCommune(r, p)
	}
	surname := g.names.surname(r, homeProv.south)
	// The lineage's ethnicity and religion are those of where it comes from.
	eth := w.ethnicities[homeProv.ethnicity.draw(r)].Code
	rel := w.religions[homeProv.religion.draw(r)].Code

	// Adults first, then children, who take from their parents.
	for pass := 0; pass < 2; pass++ {
		for i := range g.m {
			m := &g.m[i]
			kid := !m.blood && (m.father >= 0 || m.mother >= 0 || m.rel == people.Grandchild)
			if kid != (pass == 1) {
				continue
			}
			m.birthDay = g.birthDay(m.age)
			if m.twin >= 0 {
				m.birthDay = g.m[m.twin].birthDay
			}
			switch {
			case m.blood:
				m.surname, m.ethnicity, m.religion = surname, eth, rel
				m.born = origin
				if x := r.Float64(); x < 0.10 {
					m.born = w.birthIn(r, origin.legacy)
				} else if x < 0.15 {
					m.born = g.anywhere()
				}
				m.hometown = home.code
			case !kid:
				g.inLaw(m, c, origin, eth, rel)
			default:
				g.child(m, c, origin, migrant, migYears, surname, eth, rel, home)
			}
		}
	}
	g.spaceSiblings()
	for i := range g.m {
		g.name(i)
	}
	g.deceasedParents(head, room, p, c)
	g.partialDates()

	// Identity numbers, cards and addresses, written to the text buffer.
	hhID := g.mark()
	g.buf = append(g.buf, c.code...)
	g.buf = append(g.buf, '-')
	g.buf = appendInt(g.buf, g.households, 8)
	hhID.hi = g.end()
	addr := g.mark()
	g.buf = appendAddress(g.buf, r, c, p.region)
	addr.hi = g.end()
	for i := range g.m {
		if err := g.identity(&g.m[i], p, c); err != nil {
			return err
		}
	}

	g.output(c, hhID, addr)
	g.households++
	g.emitted += len(g.out)
	return nil
}

func (g *generator) mark() span { return span{lo: int32(len(g.buf))} }
func (g *generator) end() int32 { return int32(len(g.buf)) }

// anywhere draws a birthplace anywhere in the country, by population.
func (g *generator) anywhere() birthplace {
	p := g.w.provinces[g.w.byPop.draw(&g.r)]
	return g.w.birthAt(&g.r, g.w.randomCommune(&g.r, p))
}

// birthDay draws a birthday for someone aged age on the reference date.
func (g *generator) birthDay(age int) int {
	d := g.nowDate
	y := d.Year - age
	hi := dayOf(y, d.Month, min(d.Day, civil.DaysIn(y, d.Month)))
	lo := dayOf(y-1, d.Month, min(d.Day, civil.DaysIn(y-1, d.Month))) + 1
	if age == 0 {
		hi-- // born before the reference date
	}
	return g.r.Between(lo, hi)
}

// inLaw fills a spouse who married into the household.
func (g *generator) inLaw(m *member, c *commune, origin birthplace, eth, rel string) {
	r, w := &g.r, g.w
	m.surname = g.names.surname(r, w.provinces[w.legacy[origin.legacy].province].south)
	switch x := r.Float64(); {
	case x < inLawSameProvince:
		m.born = w.birthIn(r, origin.legacy)
	case x < inLawSameProvince+inLawLocal:
		m.born = w.birthAt(r, c)
	default:
		m.born = g.anywhere()
	}
	bp := w.provinces[w.legacy[m.born.legacy].province]
	m.hometown = w.randomCommune(r, bp).code
	m.ethnicity, m.religion = eth, rel
	if !r.Chance(sameEthnicity) {
		m.ethnicity = w.ethnicities[bp.ethnicity.draw(r)].Code
	}
	if !r.Chance(sameReligion) {
		m.religion = w.religions[bp.religion.draw(r)].Code
	}
}

// child fills a child (or grandchild) from the parents present.
func (g *generator) child(m *member, c *commune, origin birthplace, migrant bool, migYears int,
	surname, eth, rel string, home *commune) {
	r, w := &g.r, g.w
	parent := m.father
	if parent < 0 {
		parent = m.mother
	}
	switch {
	case m.father >= 0:
		m.surname = g.m[m.father].surname
	case m.mother >= 0 && r.Chance(0.25):
		m.surname = g.m[m.mother].surname
	case m.mother < 0 && r.Chance(0.7): // grandchildren of the lineage
		m.surname = surname
	default: // a father not in the household
		m.surname = g.names.surname(r, w.provinces[w.legacy[origin.legacy].province].south)
	}
	if m.father >= 0 && m.mother >= 0 && r.Chance(doubleSurname) && dateOfDay(m.birthDay).Year >= 2005 {
		m.surname2 = g.m[m.mother].surname
	}
	m.ethnicity, m.religion, m.hometown = eth, rel, home.code
	if parent >= 0 {
		m.ethnicity, m.religion, m.hometown = g.m[parent].ethnicity, g.m[parent].religion, g.m[parent].hometown
	}
	m.born = w.birthAt(r, c)
	if migrant && m.age >= migYears && m.birthDay < reorganised {
		m.born = w.birthIn(r, origin.legacy)
	}
}

// spaceSiblings keeps children of the same mother (or father) at least 300
// days apart unless they are twins, redrawing the younger one's birthday.
func (g *generator) spaceSiblings() {
	for i := range g.m {
		a := &g.m[i]
		if a.father < 0 && a.mother < 0 || a.twin >= 0 {
			continue
		}
		for try := 0; try < 6; try++ {
			clash := false
			for j := range g.m {
				b := &g.m[j]
				if j == i || b.father != a.father || b.mother != a.mother || b.twin == i {
					continue
				}
				if d := a.birthDay - b.birthDay; d < 300 && d > -300 {
					clash = true
				}
			}
			if !clash {
				break
			}
			a.birthDay = g.birthDay(a.age)
		}
	}
	for i := range g.m {
		if t := g.m[i].twin; t >= 0 {
			g.m[i].birthDay = g.m[t].birthDay
		}
	}
}

// name draws a member's middle and given names, avoiding the given name of
// a parent or sibling (a child is never named after a living parent).
func (g *generator) name(i int) {
	r := &g.r
	m := &g.m[i]
	year := dateOfDay(m.birthDay).Year
	m.middle = g.names.middle(r, m.sex, year)
	if m.surname2 != "" {
		for try := 0; try < 3 && (m.middle == "Văn" || m.middle == "Thị"); try++ {
			m.middle = g.names.middle(r, m.sex, year)
		}
	}
	for try := 0; try < 4; try++ {
		m.given = g.names.given(r, m.sex, year)
		if !g.givenTaken(i) {
			break
		}
	}
}

// partialDates makes some of the oldest birth dates partial: old records
// often know only the year, or the month and year. A date stays full where
// its imprecision would blur the 20–40 year gap to a parent or child.
func (g *generator) partialDates() {
	for i := range g.m {
		m := &g.m[i]
		switch year := dateOfDay(m.birthDay).Year; {
		case year < 1940:
			m.partial = partialOf(&g.r, 0.10, 0.20)
		case year < 1955:
			m.partial = partialOf(&g.r, 0.04, 0.06)
		default:
			continue
		}
		for j := range g.m {
			o := &g.m[j]
			if (j == m.father || j == m.mother) && !gapHolds(o, m) || (o.father == i || o.mother == i) && !gapHolds(m, o) {
				m.partial = 0
				break
			}
		}
	}
}

// birthRange is the first and last day a birth date may mean as recorded.
func birthRange(m *member) (lo, hi int) {
	d := dateOfDay(m.birthDay)
	switch m.partial {
	case 1:
		return dayOf(d.Year, d.Month, 1), dayOf(d.Year, d.Month, civil.DaysIn(d.Year, d.Month))
	case 2:
		return dayOf(d.Year, 1, 1), dayOf(d.Year, 12, 31)
	}
	return m.birthDay, m.birthDay
}

// gapHolds reports whether the parent is certainly 20 to 40 years older than
// the child, as their birth dates are recorded.
func gapHolds(parent, child *member) bool {
	plo, phi := birthRange(parent)
	clo, chi := birthRange(child)
	return anniversary(dateOfDay(phi), parentGapMin-1) <= clo && chi <= anniversary(dateOfDay(plo), parentGapMax+1)
}

func partialOf(r *wyrand.Rand, monthYear, yearOnly float64) int {
	switch x := r.Float64(); {
	case x < yearOnly:
		return 2
	case x < yearOnly+monthYear:
		return 1
	}
	return 0
}

func (g *generator) givenTaken(i int) bool {
	m := &g.m[i]
	for j := range g.m {
		o := &g.m[j]
		if j == i || o.given == "" {
			continue
		}
		related := j == m.father || j == m.mother || o.father == i || o.mother == i ||
			(o.father == m.father && o.mother == m.mother && (m.father >= 0 || m.mother >= 0))
		if related && o.given == m.given {
			return true
		}
	}
	return false
}

// deceasedParents adds, with the household, the parents of the head and of
// the head's spouse who died since the population database went live
// (1 July 2021) and so remain in it as deceased. They are linked to their
// children, and to each other when both died.
func (g *generator) deceasedParents(head, room int, p *province, c *commune) {
	r := &g.r
	// Whole years since the database went live (4 on the default date).
	years := int((float64(g.now-dayRegister) + 182) / 365.25)
	anchors := [2]int{head, g.m[head].spouse}
	for _, a := range anchors {
		if a < 0 || len(g.m) >= room || (g.m[a].father >= 0 && g.m[a].mother >= 0) {
			continue
		}
		// The anchor's siblings in the household share the parents.
		var group [12]int
		group[0] = a
		size := 1
		young, old := g.m[a].age, g.m[a].age
		if a == head {
			for i := range g.m {
				if g.m[i].rel == people.Sibling && g.m[i].father < 0 && g.m[i].mother < 0 && size < len(group) {
					group[size] = i
					size++
					young, old = min(young, g.m[i].age), max(old, g.m[i].age)
				}
			}
		}
		lo, hi := old+parentGapMin, young+parentGapMax
		if lo > hi {
			continue // siblings too far apart to share parents: leave them unlinked
		}
		var ages [2]int // father, mother
		gap := spouseGap.draw(r) + gapMin
		switch f, m := g.m[a].father, g.m[a].mother; {
		case f >= 0:
			ages[1] = min(max(g.m[f].age-gap, lo), hi)
		case m >= 0:
			ages[0] = min(max(g.m[m].age+gap, lo), hi)
		default:
			ages[1] = r.Between(lo, hi)
			ages[0] = min(max(ages[1]+gap, lo), hi)
		}
		var added [2]int
		for k, sex := range [2]civil.Sex{civil.Male, civil.Female} {
			added[k] = -1
			age := ages[k]
			if age == 0 || len(g.m) >= room || age > survivalAges {
				continue
			}
			pd := (survivalTable[max(age-years, 0)] - survivalTable[age]) / childrenPerParent
			if !r.Chance(pd) {
				continue
			}
			i := g.add(member{sex: sex, age: age, dead: true})
			d := &g.m[i]
			d.birthDay = g.birthDay(age)
			d.deathDay = r.Between(max(dayRegister, d.birthDay+1), g.now-1)
			an := &g.m[a]
			d.ethnicity, d.religion = an.ethnicity, an.religion
			if sex == civil.Male {
				d.surname, d.hometown = an.surname, an.hometown
				d.born = g.w.birthIn(r, an.born.legacy)
			} else {
				d.surname = g.names.surname(r, p.south)
				d.born = g.w.birthIn(r, an.born.legacy)
				if r.Chance(0.3) {
					d.born = g.anywhere()
				}
				d.hometown = g.w.randomCommune(r, g.w.provinces[g.w.legacy[d.born.legacy].province]).code
			}
			added[k] = i
			for _, j := range group[:size] {
				if sex == civil.Male {
					g.m[j].father = i
				} else {
					g.m[j].mother = i
				}
			}
			g.name(i)
		}
		if added[0] >= 0 && added[1] >= 0 {
			g.m[added[0]].spouse, g.m[added[1]].spouse = added[1], added[0]
		}
	}
}
