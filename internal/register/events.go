package register

import (
	"context"
	"errors"
	"slices"
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

// checkName checks a name under the rule of people.NormalizeName and
// returns it normalised.
func checkName(f *problem.Fields, field, name string) string {
	n, why := people.NormalizeName(name)
	if why != "" {
		f.Add(field, "%v", reasonText(why))
	}
	return n
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

// checkText checks a required one-line text of at most max characters and
// returns it trimmed.
func checkText(f *problem.Fields, field, s string, max int) string {
	s = strings.TrimSpace(s)
	switch {
	case s == "":
		f.Add(field, "is required")
	case utf8.RuneCountInString(s) > max:
		f.Add(field, "is longer than %d characters", max)
	case strings.ContainsAny(s, "\r\n\t"):
		f.Add(field, "must be one line")
	}
	return s
}

func checkPastDate(f *problem.Fields, field string, d civil.Date, fullRequired bool) {
	switch {
	case d.IsZero():
		f.Add(field, "is required")
	case fullRequired && !d.Full():
		f.Add(field, "must be a full date (YYYY-MM-DD)")
	case today().CertainlyBefore(d):
		f.Add(field, "%s is in the future", day(d))
	}
}

// Who an event may concern, beyond the caller's reach (each rule is tested
// in authz_events_test.go):
//
//   - a birth is registered at a commune in the registrar's reach; each
//     parent named must be in their reach too, and the household the child
//     joins: a parent or household out of reach is refused as an unknown
//     PIN or household is, so that a birth tells nothing of people the
//     registrar may not read (a registrar whose reach covers both, or a
//     nation-wide one, registers a birth whose parents live apart);
//   - a death, a correction and a residence removal concern one person in
//     reach; a death also clears the surviving spouse's link, wherever the
//     spouse lives (the marriage ends with the death: Luật Hôn nhân và gia
//     đình 2014, art. 65), and answers nothing about the spouse; a
//     corrected date of birth is checked against the parents, who must be
//     in reach as for a birth;
//   - a marriage or a divorce is registered where either party lives (Luật
//     Hộ tịch 2014, art. 17): one party must be in reach; every rule that
//     fails on the other's record (alive, unmarried, age, sex, kinship,
//     married to each other) answers as for an unknown PIN, so that the
//     other's facts are never told;
//   - a residence is registered at the new residence (Luật Cư trú 2020,
//     art. 22 and 28): the unit, or the household joined, must be in
//     reach; the person may live anywhere, and any rule that fails on
//     their record (alive, head of a household others live in) answers as
//     for an unknown PIN.
//
// Every event answers with the records the caller may read once it is
// registered, else the event's id and the PIN (Written).

// RegisterBirth registers a newborn: it issues a new PIN (unique even under
// concurrent registrations), links the parents and adds the child to a
// household. It returns the child, or only its PIN if the caller may not
// read it.
func (r *Register) RegisterBirth(ctx context.Context, pr auth.Principal, b people.BirthRegistration) (people.Person, error) {
	w, err := r.birth(ctx, pr, b)
	return first(w), err
}

func (r *Register) birth(ctx context.Context, pr auth.Principal, b people.BirthRegistration) ([]Written, error) {
	var f problem.Fields
	b.FullName = checkName(&f, "full_name", b.FullName)
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
		f.Add("relation_to_head", "%q is not a relation a newborn can have", relationTerm(b.Relation))
	}
	details := map[string]string{}
	if !b.ActualPlace.IsZero() {
		r.commune(&f, "actual_birth_place.unit_code", b.ActualPlace.Unit, true)
		details[people.DetailActualPlaceUnit] = b.ActualPlace.Unit
		if s := checkText(&f, "actual_birth_place.detail", b.ActualPlace.Detail, 300); s != "" {
			details[people.DetailActualPlaceDetail] = s
		}
	}
	for _, x := range []struct {
		field, key, value string
		max               int
	}{
		{"declarant_name", people.DetailDeclarantName, b.DeclarantName, 100},
		{"declarant_relation", people.DetailDeclarantRelation, b.DeclarantRelation, 50},
		{"birth_certificate_number", people.DetailCertificateNumber, b.CertificateNumber, 50},
	} {
		if strings.TrimSpace(x.value) != "" {
			details[x.key] = checkText(&f, x.field, x.value, x.max)
		}
	}
	if err := f.Err(); err != nil {
		return nil, err
	}
	code, ok := pinProvince[place.ParentCode]
	if !ok {
		return nil, problem.Field("birth_place", "no PIN province code is set for births registered in province %s", place.ParentCode)
	}
	prefix, err := pin.Prefix(code, b.Sex, b.BirthDate.Year)
	if err != nil {
		return nil, problem.Field("birth_place", "no PIN can be issued for a birth registered in %s: %v", place.Name, err)
	}

	return r.apply(ctx, pr, people.KindBirth, b.Meta, func(c *change) error {
		if err := c.authorize(auth.RegisterBirth, b.BirthPlace, ""); err != nil {
			return err
		}
		c.details = details
		var parents []people.Person
		for _, x := range []struct {
			field, pin string
			sex        civil.Sex
		}{{"father_pin", b.FatherPIN, civil.Male}, {"mother_pin", b.MotherPIN, civil.Female}} {
			if x.pin == "" {
				continue
			}
			p, err := c.loadInReach(x.field, x.pin, auth.RegisterBirth, nil)
			if err != nil {
				return err
			}
			if p.Sex != x.sex {
				return problem.Field(x.field, "%s is recorded as %s", x.pin, sexTerm(p.Sex))
			}
			if err := checkParentAge(x.pin, p.BirthDate, b.BirthDate); err != nil {
				return err
			}
			if x.sex == civil.Female && p.Status == people.Deceased && p.DeathDate.CertainlyBefore(b.BirthDate) {
				return problem.Field(x.field, "the mother %s is recorded as deceased on %s", x.pin, day(p.DeathDate))
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
		child := people.Person{
			FullName: b.FullName, BirthDate: b.BirthDate, Sex: b.Sex, BirthPlace: b.BirthPlace,
			Hometown: b.Hometown, Ethnicity: b.Ethnicity, Nationality: b.Nationality,
			FatherPIN: b.FatherPIN, MotherPIN: b.MotherPIN, Status: people.Alive,
		}
		if hhID != "" {
			h, err := c.householdInReach("household_id", hhID, auth.RegisterBirth)
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
				c.answer(saved)
				return nil
			}
		}
		return problem.New(problem.Conflict, "could not draw a free PIN for prefix %s after %d tries", prefix, maxIssueTries)
	})
}

// minParentAge is the least age, in whole years, a parent can have at a
// child's birth. No law sets it for a child by birth (the Law on Adoption
// 2010, art. 14, asks 20 years between an adoptive parent and the child):
// the register takes 12 years, below any birth a civil-status officer can
// register without a court's finding, so that a date of birth typed wrong
// by a decade (a father born 1992, a child 1993) is refused rather than
// recorded.
const minParentAge = 12

// checkParentAge refuses a child's date of birth (the field birth_date) that is not at least
// minParentAge years after a parent's. With partial dates it refuses only
// what is certainly too close: the largest age the dates allow is checked.
func checkParentAge(parentPIN string, parent, child civil.Date) error {
	if !parent.CertainlyBefore(child) {
		return problem.Field("birth_date", "%s is not after the birth of the parent %s (%s)", day(child), parentPIN, day(parent))
	}
	if age := maxAgeOn(parent, child); age < minParentAge {
		return problem.Field("birth_date", "the parent %s, born %s, would have been %d at this birth; a parent is at least %d years older than the child", parentPIN, day(parent), age, minParentAge)
	}
	return nil
}

// maxAgeOn is the largest age in whole years a person born on birth can
// have on date d (both possibly partial).
func maxAgeOn(birth, d civil.Date) int {
	b := birth.Earliest()
	at := d.Latest()
	age := at.Year() - b.Year()
	if at.Month() < b.Month() || at.Month() == b.Month() && at.Day() < b.Day() {
		age--
	}
	return age
}

// first is the one person an event answers with, as the exported methods
// return it (Written.record).
func first(w []Written) people.Person {
	if len(w) == 0 {
		return people.Person{}
	}
	return w[0].record()
}

// records are the people an event answers with, as the exported methods
// return them.
func records(w []Written) []people.Person {
	if len(w) == 0 {
		return nil
	}
	out := make([]people.Person, len(w))
	for i := range w {
		out[i] = w[i].record()
	}
	return out
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
// It returns the person, or only the PIN if the caller may not read them.
func (r *Register) RegisterDeath(ctx context.Context, pr auth.Principal, d people.DeathRegistration) (people.Person, error) {
	w, err := r.death(ctx, pr, d)
	return first(w), err
}

func (r *Register) death(ctx context.Context, pr auth.Principal, d people.DeathRegistration) ([]Written, error) {
	var f problem.Fields
	checkPastDate(&f, "death_date", d.DeathDate, false)
	if err := f.Err(); err != nil {
		return nil, err
	}
	return r.apply(ctx, pr, people.KindDeath, d.Meta, func(c *change) error {
		p, err := c.loadInReach("pin", d.PIN, auth.RegisterDeath, nil)
		if err != nil {
			return err
		}
		if p.Status == people.Deceased {
			return problem.Field("pin", "%s is already recorded as deceased on %s", p.PIN, day(p.DeathDate))
		}
		if d.DeathDate.CertainlyBefore(p.BirthDate) {
			return problem.Field("death_date", "%s is before the birth (%s)", day(d.DeathDate), day(p.BirthDate))
		}
		after := p
		after.Status, after.DeathDate = people.Deceased, d.DeathDate
		saved, err := c.save(p, after)
		if err != nil {
			return err
		}
		c.answer(saved)
		for _, h := range c.r.onDeath {
			if err := h(c.ctx, c.tx, p.PIN); err != nil {
				return err
			}
		}
		if p.SpousePIN != "" {
			// Wherever the spouse lives: the marriage ends with the death.
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
}

// Minimum ages for marriage (Law on Marriage and Family 2014, art. 8).
const (
	minAgeMan   = 20
	minAgeWoman = 18
)

// RegisterMarriage records a marriage between two living, unmarried people
// of the age of marriage who are not close relatives. It returns both, each
// only by PIN if the caller may not read them.
func (r *Register) RegisterMarriage(ctx context.Context, pr auth.Principal, m people.MarriageRegistration) ([]people.Person, error) {
	w, err := r.marriage(ctx, pr, m)
	return records(w), err
}

func (r *Register) marriage(ctx context.Context, pr auth.Principal, m people.MarriageRegistration) ([]Written, error) {
	if m.PIN1 != "" && m.PIN1 == m.PIN2 {
		return nil, problem.Field("pin2", "is the same person as pin1")
	}
	card := &cardProof{number: strings.TrimSpace(m.CardNumber), issued: m.CardIssued}
	w, err := r.couple(ctx, pr, people.KindMarriage, m.PIN1, m.PIN2, m.Date, m.Meta, card, func(c *change, a, b people.Person) (people.Person, people.Person, error) {
		for _, x := range []struct {
			field string
			p     people.Person
		}{{"pin1", a}, {"pin2", b}} {
			p := x.p
			switch {
			case p.Status != people.Alive:
				return a, b, c.about(problem.Field(x.field, "%s is recorded as %s and cannot marry", p.PIN, statusTerm(p.Status)), p.PIN)
			case p.SpousePIN != "":
				return a, b, c.about(problem.Field(x.field, "%s is already married to %s", p.PIN, p.SpousePIN), p.PIN)
			}
			min := minAgeWoman
			if p.Sex == civil.Male {
				min = minAgeMan
			}
			if age := ageOn(p.BirthDate, m.Date); age < min {
				return a, b, c.about(problem.Field(x.field, "%s is %d on %s; the minimum age of marriage for a %s is %d", p.PIN, age, day(m.Date), sexTerm(p.Sex), min), p.PIN)
			}
		}
		if a.Sex == b.Sex {
			return a, b, c.about(problem.Field("pin2", "the law on marriage and family (2014, art. 8) does not recognise a marriage between people of the same sex"), a.PIN, b.PIN)
		}
		if closeKin(a, b) {
			return a, b, c.about(problem.Field("pin2", "%s and %s are parent and child or siblings", a.PIN, b.PIN), a.PIN, b.PIN)
		}
		a.SpousePIN, b.SpousePIN = b.PIN, a.PIN
		return a, b, nil
	})
	return w, cardRefusal(cardRefusal(err, pr, m.PIN1, !card.missing()), pr, m.PIN2, !card.missing())
}

// couple applies a civil event concerning two people on a date (marriage,
// divorce): it validates the date, loads both in a deadlock-free order,
// authorises the officer on either party's unit (the other is then hidden:
// see loadPairInReach), lets fn check the rules (through change.about) and
// return the new states, and saves them. With card (a marriage, where both
// appear in person), a hidden party must be the card's holder.
func (r *Register) couple(ctx context.Context, pr auth.Principal, kind people.EventKind, pin1, pin2 string, date civil.Date, meta people.Meta,
	card *cardProof, fn func(c *change, a, b people.Person) (people.Person, people.Person, error)) ([]Written, error) {
	var f problem.Fields
	checkPastDate(&f, "date", date, true)
	if err := f.Err(); err != nil {
		return nil, err
	}
	if meta.Effective.IsZero() {
		meta.Effective = date
	}
	return r.apply(ctx, pr, kind, meta, func(c *change) error {
		if card != nil {
			// A refusal of the role is told as such; a refusal after it
			// is of reach, answered alike without a card.
			if err := c.refuseRole(auth.RegisterMarriage, pin1); err != nil {
				return err
			}
			if !card.missing() {
				if err := c.cardsAdmitted(auth.RegisterMarriage, pin1, pin2); err != nil {
					return err
				}
			}
		}
		a, b, err := c.loadPairInReach(auth.RegisterMarriage, "pin1", pin1, "pin2", pin2)
		if err != nil {
			// Reaching one party, the other unknown: the card is asked
			// for, as of a party out of reach, alike; one given counts as
			// a card that did not match.
			if card != nil && problem.Is(err, problem.Forbidden) && c.reachesEither(auth.RegisterMarriage, pin1, pin2) {
				if card.missing() {
					return errCardRequired(false)
				}
				c.cardFailed(pin1, pin2)
			}
			return err
		}
		if card != nil {
			for _, p := range []people.Person{a, b} {
				if !c.hidden[p.PIN] {
					continue
				}
				if card.missing() {
					c.outOfReach(auth.RegisterMarriage, p.PIN, "marriage with a person out of reach: no chip card given")
					return errCardRequired(false)
				}
				if err := c.cardShown(p, card, false); err != nil {
					c.cardFailed(a.PIN, b.PIN)
					return c.about(err, p.PIN)
				}
			}
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
		c.answer(a2)
		c.answer(b2)
		return nil
	})
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
// It returns both, each only by PIN if the caller may not read them.
func (r *Register) RecordDivorce(ctx context.Context, pr auth.Principal, d people.DivorceRecord) ([]people.Person, error) {
	w, err := r.divorce(ctx, pr, d)
	return records(w), err
}

func (r *Register) divorce(ctx context.Context, pr auth.Principal, d people.DivorceRecord) ([]Written, error) {
	var f problem.Fields
	d.Court = checkText(&f, "court", d.Court, 200)
	d.Number = checkText(&f, "judgment_number", d.Number, 50)
	checkPastDate(&f, "judgment_date", d.Judgment.Date, true)
	if d.Date.Full() && d.Judgment.Date.Full() && d.Date.CertainlyBefore(d.Judgment.Date) {
		f.Add("date", "%s is before the judgment (%s): a divorce takes effect when the judgment does", day(d.Date), day(d.Judgment.Date))
	}
	if err := f.Err(); err != nil {
		return nil, err
	}
	details := map[string]string{
		people.DetailCourt: d.Court, people.DetailJudgmentNumber: d.Number, people.DetailJudgmentDate: d.Judgment.Date.String(),
	}
	return r.couple(ctx, pr, people.KindDivorce, d.PIN1, d.PIN2, d.Date, d.Meta, nil, func(c *change, a, b people.Person) (people.Person, people.Person, error) {
		if a.SpousePIN != b.PIN || b.SpousePIN != a.PIN {
			return a, b, c.about(problem.Field("pin2", "%s and %s are not married to each other", a.PIN, b.PIN), a.PIN, b.PIN)
		}
		married, err := c.lastEffective(a.PIN, people.KindMarriage)
		if err != nil {
			return a, b, err
		}
		if d.Date.CertainlyBefore(married) {
			return a, b, c.about(problem.Field("date", "%s is before the marriage (%s)", day(d.Date), day(married)), a.PIN, b.PIN)
		}
		a.SpousePIN, b.SpousePIN = "", ""
		c.details = details
		return a, b, nil
	})
}

// RegisterResidence registers a permanent or temporary residence. It
// returns the person, or only the PIN if the caller may not read them
// afterwards (a temporary residence of someone who lives elsewhere).
func (r *Register) RegisterResidence(ctx context.Context, pr auth.Principal, rr people.ResidenceRegistration) (people.Person, error) {
	w, err := r.residence(ctx, pr, rr)
	return first(w), err
}

func (r *Register) residence(ctx context.Context, pr auth.Principal, rr people.ResidenceRegistration) ([]Written, error) {
	var f problem.Fields
	if rr.Kind != people.PermanentResidence && rr.Kind != people.TemporaryResidence {
		f.Add("kind", "must be permanent or temporary")
	}
	if rr.HouseholdID == "" || rr.Kind == people.TemporaryResidence {
		r.commune(&f, "address.unit_code", rr.Address.Unit, true)
		if strings.TrimSpace(rr.Address.Detail) == "" {
			f.Add("address.detail", "give the house number, street or hamlet")
		} else if utf8.RuneCountInString(rr.Address.Detail) > 300 {
			f.Add("address.detail", "is longer than 300 characters")
		}
	}
	if rr.Relation != "" && !rr.Relation.Valid() {
		f.Add("relation_to_head", "%q is not a known relation", relationTerm(rr.Relation))
	}
	if rr.Kind == people.PermanentResidence && rr.HouseholdID != "" && (rr.Relation == "" || rr.Relation == people.Head) {
		f.Add("relation_to_head", "give the relation to the head of the household joined")
	}
	if err := f.Err(); err != nil {
		return nil, err
	}
	if err := checkPIN("pin", rr.PIN); err != nil {
		return nil, err
	}
	card := &cardProof{number: strings.TrimSpace(rr.CardNumber), issued: rr.CardIssued}
	w, err := r.apply(ctx, pr, people.KindResidence, rr.Meta, func(c *change) error {
		if err := c.refuseRole(auth.RegisterResidence, rr.PIN); err != nil {
			return err
		}
		// Where the person will live is checked first: it must be in reach.
		var joined people.Household
		if rr.Kind == people.PermanentResidence && rr.HouseholdID != "" {
			h, err := c.householdInReach("household_id", rr.HouseholdID, auth.RegisterResidence)
			if err != nil {
				return err
			}
			joined = h
			rr.Address = people.Address{Unit: h.UnitCode, Detail: h.Address}
		} else if err := c.authorize(auth.RegisterResidence, rr.Address.Unit, rr.PIN); err != nil {
			return err
		}
		// The person may live anywhere (they are moving in), but one whose
		// record is kept out of reach is registered only in person, their
		// chip card read at the counter: else any officer could move anyone
		// in the country into their commune, and so into their reach. The
		// answers do not tell an unknown PIN from a person out of reach.
		if !card.missing() {
			if err := c.cardsAdmitted(auth.RegisterResidence, rr.PIN); err != nil {
				return err
			}
		}
		p, err := c.loadBeyondReach("pin", rr.PIN, auth.RegisterResidence)
		if err != nil {
			if problem.Is(err, problem.Forbidden) {
				if card.missing() {
					return errCardRequired(true)
				}
				c.cardFailed(rr.PIN) // as a card that did not match
			}
			return err
		}
		if c.hidden[p.PIN] {
			if card.missing() {
				c.outOfReach(auth.RegisterResidence, p.PIN, "residence of a person out of reach: no chip card given")
				return errCardRequired(true)
			}
			if err := c.cardShown(p, card, true); err != nil {
				c.cardFailed(p.PIN)
				return c.about(err, p.PIN)
			}
		}
		if p.Status != people.Alive {
			return c.about(problem.Field("pin", "%s is recorded as %s", p.PIN, statusTerm(p.Status)), p.PIN)
		}
		after := p
		if rr.Kind == people.TemporaryResidence {
			after.Temporary = rr.Address
			after.Current = rr.Address
		} else {
			if err := c.about(c.leaveHousehold(p), p.PIN); err != nil {
				return err
			}
			if joined.ID != "" {
				after.HouseholdID, after.Relation = joined.ID, rr.Relation
			} else {
				after.Relation = people.Head
				if after.HouseholdID, err = c.createHousehold(rr.Address); err != nil {
					return err
				}
			}
			if p.Current == p.Permanent || p.Current.IsZero() {
				after.Current = rr.Address
			}
			after.Permanent = rr.Address
		}
		saved, err := c.save(p, after)
		if err != nil {
			return err
		}
		c.answer(saved)
		return nil
	})
	return w, cardRefusal(err, pr, rr.PIN, !card.missing())
}

// cardRefusal is err, but for the refusal of a person out of reach (or
// unknown) when a chip card was shown: that refusal then says to check the
// card too (an officer who mistyped its date of issue was told they had no
// rights), alike whatever the register holds.
func cardRefusal(err error, pr auth.Principal, pinStr string, shown bool) error {
	var pe *problem.Error
	if !shown || !errors.As(err, &pe) || pe.Kind != problem.Forbidden || pe.Detail != auth.ReachError(pr, "person with PIN "+pinStr).Error() {
		return err
	}
	return problem.New(problem.Forbidden, "no person with PIN %s is within your reach, nor does the chip card shown match theirs: check the PIN, the card's number and its date of issue", pinStr)
}

// reachesEither reports whether the caller reaches, for a, the person of
// either PIN.
func (c *change) reachesEither(a auth.Action, pins ...string) bool {
	for _, pin := range pins {
		if p, err := c.r.load(c.ctx, c.tx, pin); err == nil && c.g.Policy.Allowed(c.pr, a, people.ResponsibleUnit(&p)) {
			return true
		}
	}
	return false
}

// cardsAdmitted refuses a card check once the officer, or a person named,
// has used up the cards that may fail (cardChecks), the refusal recorded
// against each PIN.
func (c *change) cardsAdmitted(a auth.Action, pins ...string) error {
	err := c.r.cards.admit(c.pr.ActorID(), pins...)
	if err != nil {
		for _, pin := range pins {
			c.outOfReach(a, pin, "chip card checks limited: "+err.Error())
		}
	}
	return err
}

// cardFailed counts a card shown by the caller that did not match, against
// each PIN the event names (cardChecks).
func (c *change) cardFailed(pins ...string) {
	for _, pin := range pins {
		c.r.cards.fail(c.pr.ActorID(), pin)
	}
}

// cardProof is the chip card shown at the counter for a person out of
// reach: its number and date of issue as read.
type cardProof struct {
	number string
	issued civil.Date
}

func (p *cardProof) missing() bool { return p.number == "" || p.issued.IsZero() }

// errCardRequired is the answer to an event about a person out of reach,
// or unknown, without a chip card: alike for both. parents: a parent's
// card stands for a person holding none (a residence, not a marriage).
func errCardRequired(parents bool) error {
	var f problem.Fields
	if parents {
		f.Add("card_number", "is required when the person's record is kept outside your reach: the number of their chip card as read at the counter (for a person without one, a parent's)")
	} else {
		f.Add("card_number", "is required when a party's record is kept outside your reach: the number of that party's chip card as read at the counter")
	}
	f.Add("card_issued", "is required when the person's record is kept outside your reach: the date of issue of the chip card as read at the counter")
	return f.Err()
}

// cardShown checks the chip card shown at the counter for p, its number
// and date of issue: p's own, or, with parents, for a person who holds
// none, a living parent's.
func (c *change) cardShown(p people.Person, card *cardProof, parents bool) error {
	shown := func(q people.Person) bool {
		return q.Card.Number == card.number && !q.Card.Issued.IsZero() && q.Card.Issued == card.issued
	}
	if p.Card.Number != "" || !parents {
		if shown(p) {
			return nil
		}
		return problem.Field("card_number", "is not the chip card recorded for %s, or not of that date of issue", p.PIN)
	}
	for _, parent := range []string{p.FatherPIN, p.MotherPIN} {
		if parent == "" {
			continue
		}
		q, err := c.r.load(c.ctx, c.tx, parent)
		if err != nil && !problem.Is(err, problem.NotFound) {
			return err
		}
		if err == nil && q.Status == people.Alive && shown(q) {
			return nil
		}
	}
	return problem.Field("card_number", "%s holds no chip card, and it is not a living parent's", p.PIN)
}

// leaveHousehold refuses to let a head leave a household that others still
// live in: a new head is named first (ChangeHead).
func (c *change) leaveHousehold(p people.Person) error {
	if p.HouseholdID == "" || p.Relation != people.Head {
		return nil
	}
	n, err := c.otherLivingMembers(p.HouseholdID, p.PIN)
	if err != nil {
		return err
	}
	if n > 0 {
		return conflict(problem.Field("pin", "%s is the head of household %s, where %d other people live; name a new head first (change of head of household)", p.PIN, p.HouseholdID, n))
	}
	return nil
}

// RemoveResidence removes a permanent or temporary residence registration.
// It returns the person, or only the PIN if the caller may not read them
// afterwards (a temporary residence removed of someone who lives elsewhere).
func (r *Register) RemoveResidence(ctx context.Context, pr auth.Principal, rr people.ResidenceRemoval) (people.Person, error) {
	w, err := r.residenceRemoval(ctx, pr, rr)
	return first(w), err
}

func (r *Register) residenceRemoval(ctx context.Context, pr auth.Principal, rr people.ResidenceRemoval) ([]Written, error) {
	if rr.Kind != people.PermanentResidence && rr.Kind != people.TemporaryResidence {
		return nil, problem.Field("kind", "must be permanent or temporary")
	}
	return r.apply(ctx, pr, people.KindResidenceRemoval, rr.Meta, func(c *change) error {
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
		saved, err := c.save(p, after)
		if err != nil {
			return err
		}
		c.answer(saved)
		return nil
	})
}

// Correct corrects a person's name or date of birth (cải chính hộ tịch). A
// corrected date of birth must still agree with the PIN, which never
// changes. The former name joins other_names, once. It returns the person,
// or only the PIN if the caller may not read them.
func (r *Register) Correct(ctx context.Context, pr auth.Principal, cr people.Correction) (people.Person, error) {
	w, err := r.correct(ctx, pr, cr)
	return first(w), err
}

func (r *Register) correct(ctx context.Context, pr auth.Principal, cr people.Correction) ([]Written, error) {
	var f problem.Fields
	if cr.FullName == nil && cr.BirthDate == nil {
		f.Add("full_name", "give a corrected full name or date of birth")
	}
	if cr.FullName != nil {
		name := checkName(&f, "full_name", *cr.FullName)
		cr.FullName = &name
	}
	if cr.BirthDate != nil {
		checkPastDate(&f, "birth_date", *cr.BirthDate, false)
	}
	if strings.TrimSpace(cr.Reason) == "" {
		f.Add("reason", "a correction must say why")
	}
	if err := f.Err(); err != nil {
		return nil, err
	}
	return r.apply(ctx, pr, people.KindCorrection, cr.Meta, func(c *change) error {
		p, err := c.loadInReach("pin", cr.PIN, auth.CorrectRecord, nil)
		if err != nil {
			return err
		}
		// A correction that changes nothing is refused, naming the field:
		// it would record an act that did not happen.
		if cr.FullName != nil && *cr.FullName == p.FullName {
			return problem.Field("full_name", "is already %s on the record", p.FullName)
		}
		if cr.BirthDate != nil && *cr.BirthDate == p.BirthDate {
			return problem.Field("birth_date", "is already %s on the record", day(p.BirthDate))
		}
		after := p
		if cr.FullName != nil {
			after.FullName = *cr.FullName
			after.OtherNames = formerNames(p.OtherNames, p.FullName, *cr.FullName)
			if len(after.OtherNames) > people.MaxOtherNames {
				return problem.New(problem.Conflict, "%s already has %d former names, the most a record holds", p.PIN, len(p.OtherNames))
			}
		}
		if cr.BirthDate != nil {
			_, parts, _ := pin.Parse(p.PIN)
			if err := parts.CheckPerson(p.Sex, *cr.BirthDate); err != nil {
				return problem.Field("birth_date", "disagrees with the PIN %s, which cannot change: %v", p.PIN, err)
			}
			for _, x := range []struct{ field, pin string }{{"father_pin", p.FatherPIN}, {"mother_pin", p.MotherPIN}} {
				if x.pin == "" {
					continue
				}
				// The parent's date of birth is a fact about the parent:
				// checked only if the registrar may read it.
				parent, err := c.loadInReach(x.field, x.pin, auth.CorrectRecord, nil)
				if err != nil {
					return err
				}
				if err := checkParentAge(x.pin, parent.BirthDate, *cr.BirthDate); err != nil {
					return err
				}
			}
			after.BirthDate = *cr.BirthDate
		}
		saved, err := c.save(p, after)
		if err != nil {
			return err
		}
		c.answer(saved)
		return nil
	})
}

// formerNames is other_names after a correction from name old to name now:
// each former name once, in the order first held, without the name now
// held (a name corrected back is no longer a former one).
func formerNames(others []string, old, now string) []string {
	out := make([]string, 0, len(others)+1)
	for _, n := range append(others, old) {
		if n != now && n != "" && !slices.Contains(out, n) {
			out = append(out, n)
		}
	}
	if len(out) == 0 {
		return nil
	}
	return out
}
