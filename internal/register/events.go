package register

import (
	"context"
	"strings"
	"unicode/utf8"

	"github.com/populus-vn/populus/internal/auth"
	"github.com/populus-vn/populus/internal/civil"
	"github.com/populus-vn/populus/internal/people"
	"github.com/populus-vn/populus/internal/pin"
	"github.com/populus-vn/populus/internal/problem"
	"github.com/populus-vn/populus/internal/units"
)

// maxIssueTries bounds the draws of a random serial for a new PIN; with a
// million serials per prefix a second draw is already rare.
const maxIssueTries = 32

func checkName(f *problem.Fields, field, name string) {
	switch n := utf8.RuneCountInString(strings.TrimSpace(name)); {
	case n == 0:
		f.Add(field, "is required")
	case n > 100:
		f.Add(field, "is longer than 100 characters")
	case !utf8.ValidString(name) || strings.ContainsAny(name, "<>\"|0123456789\x00"):
		f.Add(field, "may hold letters, spaces, hyphens and apostrophes only")
	}
}

// commune checks that code names a commune-level unit in force.
func (r *Register) commune(f *problem.Fields, field, code string, required bool) units.Unit {
	if code == "" {
		if required {
			f.Add(field, "is required")
		}
		return units.Unit{}
	}
	u, ok := r.units.Lookup(code)
	if !ok || u.Level != units.LevelCommune {
		f.Add(field, "%q is not the code of a commune-level unit in force", code)
	}
	return u
}

func checkPastDate(f *problem.Fields, field string, d civil.Date, fullRequired bool) {
	switch {
	case d.IsZero():
		f.Add(field, "is required")
	case fullRequired && !d.Full():
		f.Add(field, "must be a full date (YYYY-MM-DD)")
	case today().CertainlyBefore(d):
		f.Add(field, "%s is in the future", d)
	}
}

// RegisterBirth registers a newborn: it issues a new PIN (unique even under
// concurrent registrations), links the parents and adds the child to a household.
func (r *Register) RegisterBirth(ctx context.Context, pr auth.Principal, b people.BirthRegistration) (people.Person, error) {
	var f problem.Fields
	b.FullName = strings.TrimSpace(b.FullName)
	checkName(&f, "full_name", b.FullName)
	checkPastDate(&f, "birth_date", b.BirthDate, true)
	if !b.Sex.Valid() {
		f.Add("sex", "must be M or F")
	}
	place := r.commune(&f, "birth_place", b.BirthPlace, true)
	if b.Hometown != "" {
		if _, ok := r.units.Lookup(b.Hometown); !ok {
			f.Add("hometown", "%q is not the code of a unit in force", b.Hometown)
		}
	}
	if b.Ethnicity == "" {
		b.Ethnicity = "01"
	} else if _, ok := civil.EthnicityByCode(b.Ethnicity); !ok {
		f.Add("ethnicity", "%q is not the code of one of the 54 ethnic groups", b.Ethnicity)
	}
	if b.Nationality == "" {
		b.Nationality = "VN"
	} else if len(b.Nationality) != 2 || strings.ToUpper(b.Nationality) != b.Nationality {
		f.Add("nationality", "must be a two-letter ISO 3166 country code such as VN")
	}
	if b.FatherPIN == "" && b.MotherPIN == "" {
		f.Add("mother_pin", "give the mother's or the father's PIN")
	}
	if b.Relation != "" && (!b.Relation.Valid() || b.Relation == people.Head) {
		f.Add("relation_to_head", "%q is not a relation a newborn can have", b.Relation)
	}
	if err := f.Err(); err != nil {
		return people.Person{}, err
	}
	code, ok := pinProvince[place.ParentCode]
	if !ok {
		return people.Person{}, problem.Field("birth_place", "no PIN province code is set for births registered in province %s", place.ParentCode)
	}
	prefix, err := pin.Prefix(code, b.Sex, b.BirthDate.Year)
	if err != nil {
		return people.Person{}, problem.Field("birth_place", "no PIN can be issued for a birth registered in %s: %v", place.Name, err)
	}

	var child people.Person
	err = r.apply(ctx, pr, people.KindBirth, b.Meta, func(c *change) error {
		if err := c.authorize(auth.RegisterBirth, b.BirthPlace, ""); err != nil {
			return err
		}
		var parents []people.Person
		for _, x := range []struct {
			field, pin string
			sex        civil.Sex
		}{{"father_pin", b.FatherPIN, civil.Male}, {"mother_pin", b.MotherPIN, civil.Female}} {
			if x.pin == "" {
				continue
			}
			p, err := c.load(x.field, x.pin)
			if err != nil {
				return err
			}
			if p.Sex != x.sex {
				return problem.Field(x.field, "%s is recorded as %s", x.pin, p.Sex.Word())
			}
			if !p.BirthDate.CertainlyBefore(b.BirthDate) {
				return problem.Field("birth_date", "%s is not after the birth of the parent %s (%s)", b.BirthDate, x.pin, p.BirthDate)
			}
			if x.sex == civil.Female && p.Status == people.Deceased && p.DeathDate.CertainlyBefore(b.BirthDate) {
				return problem.Field(x.field, "the mother %s is recorded as deceased on %s", x.pin, p.DeathDate)
			}
			parents = append(parents, p)
		}
		// The child joins the named household, else the mother's, else the father's.
		hhID := b.HouseholdID
		rel := b.Relation
		if hhID == "" {
			for i := len(parents) - 1; i >= 0; i-- {
				if parents[i].HouseholdID != "" {
					hhID = parents[i].HouseholdID
					if rel == "" {
						rel = relationOfChild(parents[i].Relation)
					}
					break
				}
			}
		}
		if rel == "" {
			rel = people.Child
		}
		child = people.Person{
			FullName: b.FullName, BirthDate: b.BirthDate, Sex: b.Sex, BirthPlace: b.BirthPlace,
			Hometown: b.Hometown, Ethnicity: b.Ethnicity, Nationality: b.Nationality,
			FatherPIN: b.FatherPIN, MotherPIN: b.MotherPIN, Status: people.Alive,
		}
		if hhID != "" {
			h, err := c.household("household_id", hhID)
			if err != nil {
				return err
			}
			child.HouseholdID, child.Relation = h.ID, rel
			child.Permanent = people.Address{Unit: h.UnitCode, Detail: h.Address}
			child.Current = child.Permanent
		}
		for try := 0; try < maxIssueTries; try++ {
			child.PIN = string(pin.New(prefix, pin.RandomSerial(nil)))
			saved, ok, err := c.insert(child)
			if err != nil {
				return err
			}
			if ok {
				child = saved
				return nil
			}
		}
		return problem.New(problem.Conflict, "could not draw a free PIN for prefix %s after %d tries", prefix, maxIssueTries)
	})
	return child, err
}

// relationOfChild is a newborn's relation to the head, from its parent's.
func relationOfChild(parent people.Relation) people.Relation {
	switch parent {
	case people.Head, people.Spouse:
		return people.Child
	case people.Child, people.ChildInLaw:
		return people.Grandchild
	}
	return people.OtherKin
}

// RegisterDeath records a death. The surviving spouse's link is cleared.
func (r *Register) RegisterDeath(ctx context.Context, pr auth.Principal, d people.DeathRegistration) (people.Person, error) {
	var f problem.Fields
	checkPastDate(&f, "death_date", d.DeathDate, false)
	if err := f.Err(); err != nil {
		return people.Person{}, err
	}
	var out people.Person
	err := r.apply(ctx, pr, people.KindDeath, d.Meta, func(c *change) error {
		p, err := c.loadInReach("pin", d.PIN, auth.RegisterDeath, nil)
		if err != nil {
			return err
		}
		if p.Status == people.Deceased {
			return problem.Field("pin", "%s is already recorded as deceased on %s", p.PIN, p.DeathDate)
		}
		if d.DeathDate.CertainlyBefore(p.BirthDate) {
			return problem.Field("death_date", "%s is before the birth (%s)", d.DeathDate, p.BirthDate)
		}
		after := p
		after.Status, after.DeathDate = people.Deceased, d.DeathDate
		if out, err = c.save(p, after); err != nil {
			return err
		}
		if p.SpousePIN != "" {
			s, err := c.load("pin", p.SpousePIN)
			if err != nil {
				return err
			}
			if s.SpousePIN == p.PIN {
				s2 := s
				s2.SpousePIN = ""
				if _, err := c.save(s, s2); err != nil {
					return err
				}
			}
		}
		return nil
	})
	return out, err
}

// Minimum ages for marriage (Law on Marriage and Family 2014, art. 8).
const (
	minAgeMan   = 20
	minAgeWoman = 18
)

// RegisterMarriage records a marriage between two living, unmarried people
// of the age of marriage who are not close relatives.
func (r *Register) RegisterMarriage(ctx context.Context, pr auth.Principal, m people.MarriageRegistration) ([]people.Person, error) {
	if m.PIN1 != "" && m.PIN1 == m.PIN2 {
		return nil, problem.Field("pin2", "is the same person as pin1")
	}
	return r.couple(ctx, pr, people.KindMarriage, m.PIN1, m.PIN2, m.Date, m.Meta, func(c *change, a, b people.Person) (people.Person, people.Person, error) {
		for _, x := range []struct {
			field string
			p     people.Person
		}{{"pin1", a}, {"pin2", b}} {
			p := x.p
			switch {
			case p.Status != people.Alive:
				return a, b, problem.Field(x.field, "%s is recorded as %s and cannot marry", p.PIN, p.Status)
			case p.SpousePIN != "":
				return a, b, problem.Field(x.field, "%s is already married to %s", p.PIN, p.SpousePIN)
			}
			min := minAgeWoman
			if p.Sex == civil.Male {
				min = minAgeMan
			}
			if age := ageOn(p.BirthDate, m.Date); age < min {
				return a, b, problem.Field(x.field, "%s is %d on %s; the minimum age of marriage for a %s is %d", p.PIN, age, m.Date, p.Sex.Word(), min)
			}
		}
		if a.Sex == b.Sex {
			return a, b, problem.Field("pin2", "the law on marriage and family (2014, art. 8) does not recognise a marriage between people of the same sex")
		}
		if closeKin(a, b) {
			return a, b, problem.Field("pin2", "%s and %s are parent and child or siblings", a.PIN, b.PIN)
		}
		a.SpousePIN, b.SpousePIN = b.PIN, a.PIN
		return a, b, nil
	})
}

// couple applies a civil event concerning two people on a date (marriage,
// divorce): it validates the date, loads both in a deadlock-free order,
// authorises the officer on either party's unit, lets fn check the rules
// and return the new states, and saves them.
func (r *Register) couple(ctx context.Context, pr auth.Principal, kind people.EventKind, pin1, pin2 string, date civil.Date, meta people.Meta,
	fn func(c *change, a, b people.Person) (people.Person, people.Person, error)) ([]people.Person, error) {
	var f problem.Fields
	checkPastDate(&f, "date", date, true)
	if err := f.Err(); err != nil {
		return nil, err
	}
	if meta.Effective.IsZero() {
		meta.Effective = date
	}
	var out []people.Person
	err := r.apply(ctx, pr, kind, meta, func(c *change) error {
		a, b, err := c.loadPairInReach(auth.RegisterMarriage, "pin1", pin1, "pin2", pin2)
		if err != nil {
			return err
		}
		a2, b2, err := fn(c, a, b)
		if err != nil {
			return err
		}
		if a2, err = c.save(a, a2); err != nil {
			return err
		}
		if b2, err = c.save(b, b2); err != nil {
			return err
		}
		out = []people.Person{a2, b2}
		return nil
	})
	return out, err
}

// ageOn is the age in whole years on date d; with a partial birth date it
// is the smallest age the person may have.
func ageOn(birth, d civil.Date) int {
	b := birth.Latest()
	at := d.Earliest()
	age := at.Year() - b.Year()
	if at.Month() < b.Month() || at.Month() == b.Month() && at.Day() < b.Day() {
		age--
	}
	return age
}

func closeKin(a, b people.Person) bool {
	parent := func(x, y people.Person) bool { return x.FatherPIN == y.PIN || x.MotherPIN == y.PIN }
	sibling := (a.FatherPIN != "" && a.FatherPIN == b.FatherPIN) || (a.MotherPIN != "" && a.MotherPIN == b.MotherPIN)
	return parent(a, b) || parent(b, a) || sibling
}

// RecordDivorce records a divorce between two people married to each other.
func (r *Register) RecordDivorce(ctx context.Context, pr auth.Principal, d people.DivorceRecord) ([]people.Person, error) {
	return r.couple(ctx, pr, people.KindDivorce, d.PIN1, d.PIN2, d.Date, d.Meta, func(c *change, a, b people.Person) (people.Person, people.Person, error) {
		if a.SpousePIN != b.PIN || b.SpousePIN != a.PIN {
			return a, b, problem.Field("pin2", "%s and %s are not married to each other", a.PIN, b.PIN)
		}
		married, err := c.lastEffective(a.PIN, people.KindMarriage)
		if err != nil {
			return a, b, err
		}
		if d.Date.CertainlyBefore(married) {
			return a, b, problem.Field("date", "%s is before the marriage (%s)", d.Date, married)
		}
		a.SpousePIN, b.SpousePIN = "", ""
		return a, b, nil
	})
}

// RegisterResidence registers a permanent or temporary residence.
func (r *Register) RegisterResidence(ctx context.Context, pr auth.Principal, rr people.ResidenceRegistration) (people.Person, error) {
	var f problem.Fields
	if rr.Kind != people.PermanentResidence && rr.Kind != people.TemporaryResidence {
		f.Add("kind", "must be permanent or temporary")
	}
	if rr.HouseholdID == "" || rr.Kind == people.TemporaryResidence {
		r.commune(&f, "address.unit_code", rr.Address.Unit, true)
		if strings.TrimSpace(rr.Address.Detail) == "" {
			f.Add("address.detail", "give the house number, street or hamlet")
		} else if len(rr.Address.Detail) > 300 {
			f.Add("address.detail", "is longer than 300 characters")
		}
	}
	if rr.Relation != "" && !rr.Relation.Valid() {
		f.Add("relation_to_head", "%q is not a known relation", rr.Relation)
	}
	if rr.Kind == people.PermanentResidence && rr.HouseholdID != "" && (rr.Relation == "" || rr.Relation == people.Head) {
		f.Add("relation_to_head", "give the relation to the head of the household joined")
	}
	if err := f.Err(); err != nil {
		return people.Person{}, err
	}
	var out people.Person
	err := r.apply(ctx, pr, people.KindResidence, rr.Meta, func(c *change) error {
		// The person may live anywhere (they are moving in): what is
		// checked is the unit of the new residence, below.
		if err := c.refuseRole(auth.RegisterResidence, rr.PIN); err != nil {
			return err
		}
		p, err := c.load("pin", rr.PIN)
		if err != nil {
			return err
		}
		if p.Status != people.Alive {
			return problem.Field("pin", "%s is recorded as %s", p.PIN, p.Status)
		}
		after := p
		if rr.Kind == people.TemporaryResidence {
			if err := c.authorize(auth.RegisterResidence, rr.Address.Unit, p.PIN); err != nil {
				return err
			}
			after.Temporary = rr.Address
			after.Current = rr.Address
			out, err = c.save(p, after)
			return err
		}
		if err := c.leaveHousehold(p); err != nil {
			return err
		}
		if rr.HouseholdID != "" {
			h, err := c.household("household_id", rr.HouseholdID)
			if err != nil {
				return err
			}
			rr.Address = people.Address{Unit: h.UnitCode, Detail: h.Address}
			after.HouseholdID, after.Relation = h.ID, rr.Relation
		} else {
			after.HouseholdID, after.Relation = "", people.Head
		}
		if err := c.authorize(auth.RegisterResidence, rr.Address.Unit, p.PIN); err != nil {
			return err
		}
		if after.HouseholdID == "" {
			if after.HouseholdID, err = c.createHousehold(rr.Address); err != nil {
				return err
			}
		}
		if p.Current == p.Permanent || p.Current.IsZero() {
			after.Current = rr.Address
		}
		after.Permanent = rr.Address
		out, err = c.save(p, after)
		return err
	})
	return out, err
}

// leaveHousehold refuses to let a head leave a household that others still
// live in: a new head must be named first.
func (c *change) leaveHousehold(p people.Person) error {
	if p.HouseholdID == "" || p.Relation != people.Head {
		return nil
	}
	n, err := c.otherLivingMembers(p.HouseholdID, p.PIN)
	if err != nil {
		return err
	}
	if n > 0 {
		return problem.New(problem.Conflict, "%s is the head of household %s, where %d other people live; a new head must be registered first", p.PIN, p.HouseholdID, n)
	}
	return nil
}

// RemoveResidence removes a permanent or temporary residence registration.
func (r *Register) RemoveResidence(ctx context.Context, pr auth.Principal, rr people.ResidenceRemoval) (people.Person, error) {
	if rr.Kind != people.PermanentResidence && rr.Kind != people.TemporaryResidence {
		return people.Person{}, problem.Field("kind", "must be permanent or temporary")
	}
	var out people.Person
	err := r.apply(ctx, pr, people.KindResidenceRemoval, rr.Meta, func(c *change) error {
		// Reach is checked at the residence removed, before anything about
		// it is said; a person without one is checked at their
		// responsible unit.
		p, err := c.loadInReach("pin", rr.PIN, auth.RegisterResidence, func(p *people.Person) string {
			a := p.Permanent
			if rr.Kind == people.TemporaryResidence {
				a = p.Temporary
			}
			if a.Unit != "" {
				return a.Unit
			}
			return people.ResponsibleUnit(p)
		})
		if err != nil {
			return err
		}
		after := p
		if rr.Kind == people.TemporaryResidence {
			if p.Temporary.IsZero() {
				return problem.Field("kind", "%s has no temporary residence registered", p.PIN)
			}
			if after.Current == p.Temporary {
				after.Current = p.Permanent
			}
			after.Temporary = people.Address{}
		} else {
			if p.Permanent.IsZero() {
				return problem.Field("kind", "%s has no permanent residence registered", p.PIN)
			}
			if err := c.leaveHousehold(p); err != nil {
				return err
			}
			after.Permanent, after.HouseholdID, after.Relation = people.Address{}, "", ""
		}
		out, err = c.save(p, after)
		return err
	})
	return out, err
}

// Correct corrects a person's name or date of birth (cải chính hộ tịch). A
// corrected date of birth must still agree with the PIN, which never changes.
func (r *Register) Correct(ctx context.Context, pr auth.Principal, cr people.Correction) (people.Person, error) {
	var f problem.Fields
	if cr.FullName == nil && cr.BirthDate == nil {
		f.Add("full_name", "give a corrected full name or date of birth")
	}
	if cr.FullName != nil {
		*cr.FullName = strings.TrimSpace(*cr.FullName)
		checkName(&f, "full_name", *cr.FullName)
	}
	if cr.BirthDate != nil {
		checkPastDate(&f, "birth_date", *cr.BirthDate, false)
	}
	if strings.TrimSpace(cr.Reason) == "" {
		f.Add("reason", "a correction must say why")
	}
	if err := f.Err(); err != nil {
		return people.Person{}, err
	}
	var out people.Person
	err := r.apply(ctx, pr, people.KindCorrection, cr.Meta, func(c *change) error {
		p, err := c.loadInReach("pin", cr.PIN, auth.CorrectRecord, nil)
		if err != nil {
			return err
		}
		after := p
		if cr.FullName != nil && *cr.FullName != p.FullName {
			after.FullName = *cr.FullName
			after.OtherNames = append(append([]string(nil), p.OtherNames...), p.FullName)
		}
		if cr.BirthDate != nil {
			_, parts, _ := pin.Parse(p.PIN)
			if err := parts.CheckPerson(p.Sex, *cr.BirthDate); err != nil {
				return problem.Field("birth_date", "disagrees with the PIN %s, which cannot change: %v", p.PIN, err)
			}
			for _, pp := range []string{p.FatherPIN, p.MotherPIN} {
				if pp == "" {
					continue
				}
				parent, err := c.load("pin", pp)
				if err != nil {
					return err
				}
				if !parent.BirthDate.CertainlyBefore(*cr.BirthDate) {
					return problem.Field("birth_date", "%s is not after the birth of the parent %s (%s)", *cr.BirthDate, pp, parent.BirthDate)
				}
			}
			after.BirthDate = *cr.BirthDate
		}
		out, err = c.save(p, after)
		return err
	})
	return out, err
}
