package register

import (
	"context"
	"maps"
	"slices"

	"github.com/populus-vn/populus/internal/auth"
	"github.com/populus-vn/populus/internal/people"
	"github.com/populus-vn/populus/internal/problem"
)

// ChangeHead names a new head of a household (thay đổi chủ hộ, Luật Cư trú
// 2020, art. 26): a living member becomes head; the former head, alive,
// stays a member with the relation given to the new head (a deceased
// former head keeps the household in the history, as other kin unless a
// relation is given); other members' relations may be restated. It is a
// residence act: the household must be in the officer's reach. It returns
// the new head.
func (r *Register) ChangeHead(ctx context.Context, pr auth.Principal, hc people.HeadChange) (people.Person, error) {
	w, err := r.headChange(ctx, pr, hc)
	return first(w), err
}

func (r *Register) headChange(ctx context.Context, pr auth.Principal, hc people.HeadChange) ([]Written, error) {
	var f problem.Fields
	if hc.HouseholdID == "" {
		f.Add("household_id", "is required")
	}
	if hc.FormerHeadRelation != "" && (!hc.FormerHeadRelation.Valid() || hc.FormerHeadRelation == people.Head) {
		f.Add("former_head_relation", "%q is not a relation a member can have to the head", relationTerm(hc.FormerHeadRelation))
	}
	if len(hc.Relations) > 100 {
		f.Add("relations", "names more than 100 members")
	}
	for _, pin := range slices.Sorted(maps.Keys(hc.Relations)) {
		if rel := hc.Relations[pin]; !rel.Valid() || rel == people.Head {
			f.Add("relations."+pin, "%q is not a relation a member can have to the head", relationTerm(rel))
		}
	}
	if err := f.Err(); err != nil {
		return nil, err
	}
	if err := checkPIN("new_head_pin", hc.NewHeadPIN); err != nil {
		return nil, err
	}
	return r.apply(ctx, pr, people.KindHeadChange, hc.Meta, func(c *change) error {
		if err := c.refuseRole(auth.RegisterResidence, "household:"+hc.HouseholdID); err != nil {
			return err
		}
		if _, err := c.householdInReach("household_id", hc.HouseholdID, auth.RegisterResidence); err != nil {
			return err
		}
		members, err := c.r.members(c.ctx, c.tx, hc.HouseholdID)
		if err != nil {
			return err
		}
		var head, former *people.Member
		for i := range members {
			m := &members[i]
			switch {
			case m.PIN == hc.NewHeadPIN:
				head = m
			case m.Relation == people.Head:
				former = m
			}
		}
		switch {
		case head == nil:
			return problem.Field("new_head_pin", "%s is not a member of household %s", hc.NewHeadPIN, hc.HouseholdID)
		case head.Relation == people.Head:
			return problem.Field("new_head_pin", "%s is already the head of the household", hc.NewHeadPIN)
		case head.Status != people.Alive:
			return problem.Field("new_head_pin", "%s is recorded as %s", hc.NewHeadPIN, statusTerm(head.Status))
		}
		for _, pin := range slices.Sorted(maps.Keys(hc.Relations)) {
			if !slices.ContainsFunc(members, func(m people.Member) bool { return m.PIN == pin }) || pin == hc.NewHeadPIN || former != nil && pin == former.PIN {
				return problem.Field("relations."+pin, "%s is not another member of household %s", pin, hc.HouseholdID)
			}
		}
		// The former head gives up the place first: one head per household.
		if former != nil {
			rel := hc.FormerHeadRelation
			if rel == "" {
				if former.Status == people.Alive {
					return problem.Field("former_head_relation", "give the relation of the former head, %s, to the new head", former.FullName)
				}
				rel = people.OtherKin
			}
			if err := c.setRelation(former.PIN, rel); err != nil {
				return err
			}
		}
		if err := c.setRelation(head.PIN, people.Head); err != nil {
			return err
		}
		for _, pin := range slices.Sorted(maps.Keys(hc.Relations)) {
			if err := c.setRelation(pin, hc.Relations[pin]); err != nil {
				return err
			}
		}
		p, err := c.load("new_head_pin", head.PIN)
		if err != nil {
			return err
		}
		c.answer(p)
		return nil
	})
}

// setRelation saves a member's new relation to the head.
func (c *change) setRelation(pinStr string, rel people.Relation) error {
	p, err := c.load("pin", pinStr)
	if err != nil {
		return err
	}
	after := p
	after.Relation = rel
	_, err = c.save(p, after)
	return err
}
