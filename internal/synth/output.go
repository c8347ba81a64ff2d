package synth

import (
	"github.com/populus-vn/populus/internal/people"
	"github.com/populus-vn/populus/internal/wyrand"
)

// otherNameShare is the chance of a recorded other name (tên gọi khác) by
// year of birth: common among the old, rare among the young.
func otherNameShare(year int) float64 {
	switch {
	case year < 1960:
		return 0.08
	case year < 1980:
		return 0.03
	}
	return 0.007
}

// identity writes a member's name, PIN, other name and CMND to the text
// buffer and draws the card and temporary residence.
func (g *generator) identity(m *member, p *province, c *commune) error {
	r := &g.r
	birth := dateOfDay(m.birthDay)

	m.name = g.mark()
	g.buf = append(g.buf, m.surname...)
	if m.surname2 != "" {
		g.buf = append(append(g.buf, ' '), m.surname2...)
	}
	g.buf = append(append(g.buf, ' '), m.middle...)
	g.buf = append(append(g.buf, ' '), m.given...)
	m.name.hi = g.end()

	if r.Chance(otherNameShare(birth.Year)) {
		alt := m.given
		if p.south && birth.Year < 1975 && r.Chance(0.5) {
			alt = wyrand.Pick(r, birthOrderNames)
		} else {
			for try := 0; try < 4 && alt == m.given; try++ {
				alt = g.names.given(r, m.sex, birth.Year)
			}
		}
		if alt != m.given {
			m.hasOther = true
			m.other = g.mark()
			g.buf = append(g.buf, m.surname...)
			g.buf = append(append(g.buf, ' '), m.middle...)
			g.buf = append(append(g.buf, ' '), alt...)
			m.other.hi = g.end()
		}
	}

	lp := g.w.legacy[m.born.legacy]
	m.pinNo = g.mark()
	var err error
	if g.buf, err = g.pins.appendPIN(g.buf, m.born.legacy, lp.pinCode, m.sex, birth.Year); err != nil {
		return err
	}
	m.pinNo.hi = g.end()
	m.birthUnit = m.born.key
	if m.birthDay >= reorganised {
		m.birthUnit = c.code // registered in the commune of the new system
	}

	asOf := g.now
	if m.dead {
		asOf = m.deathDay
	}
	m.cardIssued, m.cardExpires, m.hasCard = cardDates(r, birth, asOf)
	if anniversary(birth, 40) <= asOf && r.Chance(cmndShare) {
		m.cmnd = g.mark()
		g.buf, m.hasCMND = g.pins.appendCMND(g.buf, m.born.legacy, lp.pinCode)
		m.cmnd.hi = g.end()
	}

	if m.dead || m.age < 18 || m.age > 45 {
		return nil
	}
	share := tempShare
	if m.age <= 22 {
		share = tempShareStudent
	}
	if !r.Chance(share) {
		return nil
	}
	tp := p
	if r.Chance(tempOtherProvince) {
		tp = g.w.provinces[g.w.tempDest.draw(r)]
	}
	tc := g.w.randomCommune(r, tp)
	for try := 0; try < 3 && tc == c; try++ {
		tc = g.w.randomCommune(r, tp)
	}
	m.tempUnit = tc.code
	m.tempDetail = g.mark()
	g.buf = append(g.buf, "Phòng "...)
	g.buf = appendInt(g.buf, r.Between(1, 30), 0)
	g.buf = append(g.buf, ", "...)
	g.buf = appendAddress(g.buf, r, tc, tp.region)
	m.tempDetail.hi = g.end()
	return nil
}

// output converts the household to register records. All its text is one
// string, so a household costs one allocation for its text however many
// fields it has.
func (g *generator) output(c *commune, hhID, addr span) {
	s := string(g.buf)
	str := func(sp span) string { return s[sp.lo:sp.hi] }
	id, detail := str(hhID), str(addr)
	g.hh = people.Household{ID: id, UnitCode: c.code, Address: detail, CreatedAt: g.created}
	g.out = g.out[:0]
	for _, i := range g.order() {
		m := &g.m[i]
		birth := dateOfDay(m.birthDay)
		switch m.partial {
		case 1:
			birth.Day = 0
		case 2:
			birth.Month, birth.Day = 0, 0
		}
		pn := str(m.pinNo)
		p := people.Person{
			PIN:         pn,
			FullName:    str(m.name),
			BirthDate:   birth,
			Sex:         m.sex,
			BirthPlace:  m.birthUnit,
			Hometown:    m.hometown,
			Ethnicity:   m.ethnicity,
			Religion:    m.religion,
			Nationality: "VN",
			Status:      people.Alive,
			Version:     1,
			CreatedAt:   g.created,
			UpdatedAt:   g.created,
		}
		p.Permanent = people.Address{Unit: c.code, Detail: detail}
		p.Current = p.Permanent
		if m.dead {
			// Death ends the household membership (the linked procedures
			// of Decision 296/QĐ-VPCP); the record keeps the last permanent
			// residence, as the register's death registration does, so
			// that an empty residence does not tell a member without the
			// right to the status who died.
			p.Status, p.DeathDate = people.Deceased, dateOfDay(m.deathDay)
		} else {
			p.HouseholdID, p.Relation = id, m.rel
		}
		if m.tempUnit != "" {
			p.Temporary = people.Address{Unit: m.tempUnit, Detail: str(m.tempDetail)}
			p.Current = p.Temporary
		}
		if m.hasOther {
			p.OtherNames = []string{str(m.other)}
		}
		if m.hasCMND {
			p.CMND = str(m.cmnd)
		}
		if m.hasCard {
			p.Card = people.IDCard{Number: pn, Issued: dateOfDay(m.cardIssued)}
			if m.cardExpires != 0 {
				p.Card.Expires = dateOfDay(m.cardExpires)
			}
		}
		if m.father >= 0 {
			p.FatherPIN = str(g.m[m.father].pinNo)
		}
		if m.mother >= 0 {
			p.MotherPIN = str(g.m[m.mother].pinNo)
		}
		if m.spouse >= 0 {
			p.SpousePIN = str(g.m[m.spouse].pinNo)
		}
		g.out = append(g.out, p)
	}
}

// listOrder ranks relations in the order a household page lists them.
func listOrder(m *member) int {
	if m.dead {
		return 20
	}
	switch m.rel {
	case people.Head:
		return 0
	case people.Spouse:
		return 1
	case people.Child:
		return 2
	case people.ChildInLaw:
		return 3
	case people.Grandchild:
		return 4
	case people.Parent:
		return 5
	case people.Grandparent:
		return 6
	case people.Sibling:
		return 7
	}
	return 10
}

// order returns the members' indexes head first, then by relation and from
// the eldest, the deceased last.
func (g *generator) order() []int {
	g.idx = g.idx[:0]
	for i := range g.m {
		g.idx = append(g.idx, i)
	}
	for i := 1; i < len(g.idx); i++ {
		for j := i; j > 0; j-- {
			a, b := &g.m[g.idx[j-1]], &g.m[g.idx[j]]
			ra, rb := listOrder(a), listOrder(b)
			if ra < rb || ra == rb && a.birthDay <= b.birthDay {
				break
			}
			g.idx[j-1], g.idx[j] = g.idx[j], g.idx[j-1]
		}
	}
	return g.idx
}
