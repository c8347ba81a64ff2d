package register_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/populus-vn/populus/internal/auth"
	"github.com/populus-vn/populus/internal/civil"
	"github.com/populus-vn/populus/internal/db"
	"github.com/populus-vn/populus/internal/db/dbtest"
	"github.com/populus-vn/populus/internal/people"
	"github.com/populus-vn/populus/internal/problem"
	"github.com/populus-vn/populus/internal/register"
)

func TestTemporaryResidence(t *testing.T) {
	dbtest.Engines(t, testSchemas, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		f := newThreeGenerations(e)
		police := policeAt(hcm)
		stay := people.Address{Unit: hcm, Detail: "Phòng 3, 88 Cách Mạng Tháng Tám"}
		home := f.mai.Permanent

		p, err := e.reg.RegisterResidence(e.ctx, police, people.ResidenceRegistration{
			PIN: f.mai.PIN, Kind: people.TemporaryResidence, Address: stay, Meta: people.Meta{Reason: "đi làm"},
			CardNumber: f.mai.PIN, CardIssued: cardIssued,
		})
		if err != nil {
			t.Fatal(err)
		}
		got := e.get(f.mai.PIN)
		if got.Temporary != stay || got.Current != stay || got.Permanent != home || got.HouseholdID != f.hhBaDinh {
			t.Fatalf("after temporary residence: temporary %+v, current %+v, permanent %+v, household %s", got.Temporary, got.Current, got.Permanent, got.HouseholdID)
		}
		// The officer of the temporary residence may not read her record
		// (she lives in Ba Đình): the answer is her PIN only.
		if p.PIN != f.mai.PIN || p.FullName != "" || !p.Temporary.IsZero() || !p.Permanent.IsZero() {
			t.Errorf("the answer to a temporary residence of a person out of reach holds %+v, want the PIN only", p)
		}
		ev := e.lastEvent(f.mai.PIN)
		if ev.Kind != people.KindResidence || ev.Actor != police.ActorID() || len(ev.Changes) != 2 {
			t.Errorf("residence event = %+v, want changes of temporary_residence and current_address", ev)
		}
		if _, ok := ev.Changes["temporary_residence"]; !ok {
			t.Errorf("residence event changes = %v", ev.Changes)
		}

		if _, err := e.reg.RemoveResidence(e.ctx, police, people.ResidenceRemoval{PIN: f.mai.PIN, Kind: people.TemporaryResidence}); err != nil {
			t.Fatal(err)
		}
		got = e.get(f.mai.PIN)
		if !got.Temporary.IsZero() || got.Current != home || got.Permanent != home {
			t.Fatalf("after removal: temporary %+v, current %+v, permanent %+v", got.Temporary, got.Current, got.Permanent)
		}
		if ev := e.lastEvent(f.mai.PIN); ev.Kind != people.KindResidenceRemoval || ev.Changes["current_address"].New == nil {
			t.Errorf("removal event = %+v", ev)
		}

		// Refusals store nothing.
		dead := e.importMan(hcm, "1940-01-01")
		if _, err := e.reg.RegisterDeath(e.ctx, nation, people.DeathRegistration{PIN: dead.PIN, DeathDate: mustDate("2024-01-01")}); err != nil {
			t.Fatal(err)
		}
		tests := []struct {
			name   string
			rr     people.ResidenceRegistration
			fields []string
		}{
			{"no kind", people.ResidenceRegistration{PIN: f.mai.PIN, Address: stay}, []string{"kind"}},
			{"unknown unit", people.ResidenceRegistration{PIN: f.mai.PIN, Kind: people.TemporaryResidence, Address: people.Address{Unit: "99999", Detail: "x"}}, []string{"address.unit_code"}},
			{"province as unit", people.ResidenceRegistration{PIN: f.mai.PIN, Kind: people.TemporaryResidence, Address: people.Address{Unit: "79", Detail: "x"}}, []string{"address.unit_code"}},
			{"no detail", people.ResidenceRegistration{PIN: f.mai.PIN, Kind: people.TemporaryResidence, Address: people.Address{Unit: hcm, Detail: " "}}, []string{"address.detail"}},
			{"deceased", people.ResidenceRegistration{PIN: dead.PIN, Kind: people.TemporaryResidence, Address: stay}, []string{"pin"}},
			// Refused as a person out of reach is (no field).
			{"unknown person", people.ResidenceRegistration{PIN: e.newPIN(hcm, civil.Male, 1990), Kind: people.TemporaryResidence, Address: stay, CardNumber: "079090000001", CardIssued: cardIssued}, nil},
			// Without the card, as a person out of reach is.
			{"unknown person, no card", people.ResidenceRegistration{PIN: e.newPIN(hcm, civil.Male, 1990), Kind: people.TemporaryResidence, Address: stay}, []string{"card_number", "card_issued"}},
			{"out of reach, no card", people.ResidenceRegistration{PIN: f.mai.PIN, Kind: people.TemporaryResidence, Address: stay}, []string{"card_number", "card_issued"}},
		}
		for _, tc := range tests {
			t.Run(tc.name, func(t *testing.T) {
				before := e.counts()
				_, err := e.reg.RegisterResidence(e.ctx, police, tc.rr)
				if tc.fields == nil {
					wantProblem(t, err, problem.Forbidden)
				} else {
					wantProblem(t, err, problem.Invalid, tc.fields...)
				}
				if after := e.counts(); after.persons != before.persons || after.events != before.events || after.households != before.households {
					t.Errorf("refused registration stored something: %+v → %+v", before, after)
				}
			})
		}
		t.Run("removing what is not registered", func(t *testing.T) {
			// Without a temporary residence, reach is checked at the
			// permanent one: an officer there is told what is wrong.
			_, err := e.reg.RemoveResidence(e.ctx, policeAt(home.Unit), people.ResidenceRemoval{PIN: f.mai.PIN, Kind: people.TemporaryResidence})
			wantProblem(t, err, problem.Invalid, "kind")
			_, err = e.reg.RemoveResidence(e.ctx, police, people.ResidenceRemoval{PIN: f.mai.PIN, Kind: people.TemporaryResidence})
			wantProblem(t, err, problem.Forbidden)
			_, err = e.reg.RemoveResidence(e.ctx, police, people.ResidenceRemoval{PIN: f.mai.PIN})
			wantProblem(t, err, problem.Invalid, "kind")
		})
	})
}

func TestPermanentResidence(t *testing.T) {
	dbtest.Engines(t, testSchemas, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		f := newThreeGenerations(e)
		police := policeAt(baDinh)
		newHome := people.Address{Unit: baDinh, Detail: "25 Liễu Giai"}

		// Nam leaves his in-laws and founds a household, of which he is head.
		before := e.counts()
		p, err := e.reg.RegisterResidence(e.ctx, police, people.ResidenceRegistration{
			PIN: f.nam.PIN, Kind: people.PermanentResidence, Address: newHome,
		})
		if err != nil {
			t.Fatal(err)
		}
		if after := e.counts(); after.households != before.households+1 {
			t.Errorf("households %d → %d, want one more", before.households, after.households)
		}
		got := e.get(f.nam.PIN)
		if got.Relation != people.Head || got.HouseholdID == "" || got.HouseholdID == f.hhBaDinh || got.HouseholdID != p.HouseholdID {
			t.Fatalf("after moving: household %q as %q", got.HouseholdID, got.Relation)
		}
		if got.Permanent != newHome || got.Current != newHome {
			t.Errorf("permanent %+v, current %+v, want %+v", got.Permanent, got.Current, newHome)
		}
		h, members, err := e.reg.Household(e.ctx, police, got.HouseholdID)
		if err != nil {
			t.Fatal(err)
		}
		if h.UnitCode != baDinh || h.Address != newHome.Detail || len(members) != 1 || members[0].PIN != f.nam.PIN || members[0].Relation != people.Head {
			t.Errorf("new household %+v with %+v", h, members)
		}
		_, old, _ := e.reg.Household(e.ctx, police, f.hhBaDinh)
		for _, m := range old {
			if m.PIN == f.nam.PIN {
				t.Errorf("%s still listed in the old household", f.nam.PIN)
			}
		}
		ev := e.lastEvent(f.nam.PIN)
		if ev.Kind != people.KindResidence || ev.Changes["relation_to_head"].Old != "child_in_law" || ev.Changes["relation_to_head"].New != "head" {
			t.Errorf("event = %+v", ev)
		}

		// Mai joins him as his spouse: the household's address becomes hers.
		if _, err := e.reg.RegisterResidence(e.ctx, police, people.ResidenceRegistration{
			PIN: f.mai.PIN, Kind: people.PermanentResidence, HouseholdID: got.HouseholdID, Relation: people.Spouse,
		}); err != nil {
			t.Fatal(err)
		}
		mai := e.get(f.mai.PIN)
		if mai.HouseholdID != got.HouseholdID || mai.Relation != people.Spouse || mai.Permanent != newHome || mai.Current != newHome {
			t.Errorf("after joining: %s as %s at %+v (current %+v)", mai.HouseholdID, mai.Relation, mai.Permanent, mai.Current)
		}

		// A head whose household others live in cannot leave it.
		t.Run("head with members cannot leave", func(t *testing.T) {
			before := e.counts()
			_, err := e.reg.RegisterResidence(e.ctx, police, people.ResidenceRegistration{
				PIN: f.grandpa.PIN, Kind: people.PermanentResidence, Address: people.Address{Unit: baDinh, Detail: "1 Văn Cao"},
			})
			wantProblem(t, err, problem.Conflict, "pin")
			_, err = e.reg.RegisterResidence(e.ctx, police, people.ResidenceRegistration{
				PIN: f.grandpa.PIN, Kind: people.PermanentResidence, HouseholdID: got.HouseholdID, Relation: people.Parent,
			})
			wantProblem(t, err, problem.Conflict, "pin")
			_, err = e.reg.RemoveResidence(e.ctx, police, people.ResidenceRemoval{PIN: f.grandpa.PIN, Kind: people.PermanentResidence})
			wantProblem(t, err, problem.Conflict, "pin")
			if after := e.counts(); after != before {
				t.Errorf("refused moves stored something: %+v → %+v", before, after)
			}
			if g := e.get(f.grandpa.PIN); g.Relation != people.Head || g.HouseholdID != f.hhBaDinh {
				t.Errorf("grandfather is now %s of %s", g.Relation, g.HouseholdID)
			}
		})

		t.Run("nobody joins a household as its head", func(t *testing.T) {
			for _, rel := range []people.Relation{people.Head, ""} {
				before := e.counts()
				_, err := e.reg.RegisterResidence(e.ctx, police, people.ResidenceRegistration{
					PIN: f.grandma.PIN, Kind: people.PermanentResidence, HouseholdID: got.HouseholdID, Relation: rel,
				})
				wantProblem(t, err, problem.Invalid, "relation_to_head")
				if after := e.counts(); after.persons != before.persons || after.events != before.events || after.households != before.households {
					t.Errorf("refused join stored something: %+v → %+v", before, after)
				}
			}
			_, err := e.reg.RegisterResidence(e.ctx, police, people.ResidenceRegistration{
				PIN: f.grandma.PIN, Kind: people.PermanentResidence, HouseholdID: "HNOSUCH", Relation: people.Parent,
			})
			wantProblem(t, err, problem.Forbidden) // as a household out of reach
		})

		// A head left alone may go: the household is left without members.
		t.Run("head alone may leave", func(t *testing.T) {
			single := e.importMan(baDinh, "1970-01-01")
			if _, err := e.reg.RegisterResidence(e.ctx, police, people.ResidenceRegistration{
				PIN: single.PIN, Kind: people.PermanentResidence, HouseholdID: got.HouseholdID, Relation: people.OtherKin,
			}); err != nil {
				t.Fatal(err)
			}
			_, members, err := e.reg.Household(e.ctx, police, single.HouseholdID)
			if err != nil || len(members) != 0 {
				t.Errorf("old household: %+v, %v", members, err)
			}
		})

		// The removal of a permanent residence takes the person out of the
		// household.
		t.Run("removal of a member", func(t *testing.T) {
			if _, err := e.reg.RemoveResidence(e.ctx, police, people.ResidenceRemoval{PIN: f.mai.PIN, Kind: people.PermanentResidence}); err != nil {
				t.Fatal(err)
			}
			m := e.get(f.mai.PIN)
			if !m.Permanent.IsZero() || m.HouseholdID != "" || m.Relation != "" {
				t.Errorf("after removal: %+v, household %q as %q", m.Permanent, m.HouseholdID, m.Relation)
			}
		})

		// One head per household, whatever happened above.
		if n := e.count(`SELECT count(*) FROM (SELECT household_id FROM persons WHERE relation = 'head' GROUP BY household_id HAVING count(*) > 1) x`); n != 0 {
			t.Errorf("%d households with more than one head", n)
		}
		if n := e.count(`SELECT count(*) FROM persons WHERE relation = 'head' AND household_id IS NULL`); n != 0 {
			t.Errorf("%d heads of no household", n)
		}
		// The store itself refuses a second head.
		second := *e.person(baDinh, "Hai Chủ Hộ", civil.Male, "1980-01-01")
		second.HouseholdID, second.Relation = f.hhBaDinh, people.Head
		im := register.NewImporter(d)
		if err := im.Add(e.ctx, nil, []people.Person{second}); err != nil {
			t.Fatal(err)
		}
		if err := im.Flush(e.ctx); err == nil {
			t.Errorf("a second head of %s was stored", f.hhBaDinh)
		}
	})
}

// TestChangeHead names a new head: the rules refuse what would leave a
// household with no head, two heads, or a dead or foreign head; once a new
// head is named, the former one may move out.
func TestChangeHead(t *testing.T) {
	dbtest.Engines(t, testSchemas, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		f := newThreeGenerations(e)
		police := policeAt(baDinh)
		hh := f.hhBaDinh
		tests := []struct {
			name   string
			by     auth.Principal
			hc     people.HeadChange
			kind   problem.Kind
			fields []string
		}{
			{"no household", police, people.HeadChange{NewHeadPIN: f.mai.PIN, FormerHeadRelation: people.Parent}, problem.Invalid, []string{"household_id"}},
			{"no new head", police, people.HeadChange{HouseholdID: hh, FormerHeadRelation: people.Parent}, problem.Invalid, []string{"new_head_pin"}},
			{"not a member", police, people.HeadChange{HouseholdID: hh, NewHeadPIN: f.lan.PIN, FormerHeadRelation: people.Parent}, problem.Invalid, []string{"new_head_pin"}},
			{"already head", police, people.HeadChange{HouseholdID: hh, NewHeadPIN: f.grandpa.PIN}, problem.Invalid, []string{"new_head_pin"}},
			{"the living former head's relation missing", police, people.HeadChange{HouseholdID: hh, NewHeadPIN: f.mai.PIN}, problem.Invalid, []string{"former_head_relation"}},
			{"the former head as head", police, people.HeadChange{HouseholdID: hh, NewHeadPIN: f.mai.PIN, FormerHeadRelation: people.Head}, problem.Invalid, []string{"former_head_relation"}},
			{"a relation for a stranger", police, people.HeadChange{HouseholdID: hh, NewHeadPIN: f.mai.PIN, FormerHeadRelation: people.Parent,
				Relations: map[string]people.Relation{f.lan.PIN: people.Sibling}}, problem.Invalid, []string{"relations." + f.lan.PIN}},
			{"an unknown relation", police, people.HeadChange{HouseholdID: hh, NewHeadPIN: f.mai.PIN, FormerHeadRelation: people.Parent,
				Relations: map[string]people.Relation{f.grandma.PIN: "aunt"}}, problem.Invalid, []string{"relations." + f.grandma.PIN}},
			{"a household out of reach", policeAt(hcm), people.HeadChange{HouseholdID: hh, NewHeadPIN: f.mai.PIN, FormerHeadRelation: people.Parent}, problem.Forbidden, nil},
			{"a registrar", registrarAt(baDinh), people.HeadChange{HouseholdID: hh, NewHeadPIN: f.mai.PIN, FormerHeadRelation: people.Parent}, problem.Forbidden, nil},
		}
		for _, tc := range tests {
			t.Run(tc.name, func(t *testing.T) {
				before := e.counts()
				_, err := e.reg.ChangeHead(e.ctx, tc.by, tc.hc)
				wantProblem(t, err, tc.kind, tc.fields...)
				if after := e.counts(); after.persons != before.persons || after.events != before.events {
					t.Errorf("refused change stored something: %+v → %+v", before, after)
				}
			})
		}
		// Mai becomes head; her father is her parent, her mother too, her
		// husband her spouse.
		head, err := e.reg.ChangeHead(e.ctx, police, people.HeadChange{HouseholdID: hh, NewHeadPIN: f.mai.PIN, FormerHeadRelation: people.Parent,
			Relations: map[string]people.Relation{f.grandma.PIN: people.Parent, f.nam.PIN: people.Spouse}})
		if err != nil {
			t.Fatal(err)
		}
		if head.PIN != f.mai.PIN || head.Relation != people.Head {
			t.Errorf("answer: %+v", head)
		}
		want := map[string]people.Relation{f.mai.PIN: people.Head, f.grandpa.PIN: people.Parent, f.grandma.PIN: people.Parent, f.nam.PIN: people.Spouse}
		_, members, err := e.reg.Household(e.ctx, police, hh)
		if err != nil || len(members) != len(want) || members[0].PIN != f.mai.PIN {
			t.Fatalf("members: %+v, %v", members, err)
		}
		for _, m := range members {
			if want[m.PIN] != m.Relation {
				t.Errorf("%s: %s, want %s", m.PIN, m.Relation, want[m.PIN])
			}
		}
		if ev := e.lastEvent(f.grandpa.PIN); ev.Kind != people.KindHeadChange || ev.Changes["relation_to_head"].Old != "head" || ev.LegalBasis != "Luật Cư trú 2020, Điều 26" {
			t.Errorf("former head's event: %+v", ev)
		}
		// A change of head annulled gives the place back: the former head
		// is head again, the relations as they were; then it is made again.
		change := e.lastEvent(f.mai.PIN)
		// It is a residence act: the registrar may not annul it, the police may.
		_, err = e.reg.Annul(e.ctx, registrarAt(baDinh), people.Annulment{EventID: change.EventID, Meta: annulMeta})
		wantProblem(t, err, problem.Forbidden)
		if _, err := e.reg.Annul(e.ctx, police, people.Annulment{EventID: change.EventID, Meta: annulMeta}); err != nil {
			t.Fatal(err)
		}
		if g, m, n := e.get(f.grandpa.PIN), e.get(f.mai.PIN), e.get(f.nam.PIN); g.Relation != people.Head || m.Relation != people.Child || n.Relation != people.ChildInLaw {
			t.Errorf("after the annulment: %s, %s, %s", g.Relation, m.Relation, n.Relation)
		}
		if _, err := e.reg.ChangeHead(e.ctx, police, people.HeadChange{HouseholdID: hh, NewHeadPIN: f.mai.PIN, FormerHeadRelation: people.Parent,
			Relations: map[string]people.Relation{f.grandma.PIN: people.Parent, f.nam.PIN: people.Spouse}}); err != nil {
			t.Fatal(err)
		}
		// The former head may now move out.
		if _, err := e.reg.RegisterResidence(e.ctx, police, people.ResidenceRegistration{PIN: f.grandpa.PIN, Kind: people.PermanentResidence,
			Address: people.Address{Unit: baDinh, Detail: "1 Văn Cao"}}); err != nil {
			t.Errorf("the former head moves out: %v", err)
		}
		// After the head's death, a new head is named without the former
		// head's relation (other kin unless given).
		if _, err := e.reg.RegisterDeath(e.ctx, registrarAt(baDinh), people.DeathRegistration{PIN: f.mai.PIN, DeathDate: mustDate("2025-01-01")}); err != nil {
			t.Fatal(err)
		}
		if _, err := e.reg.ChangeHead(e.ctx, police, people.HeadChange{HouseholdID: hh, NewHeadPIN: f.nam.PIN}); err != nil {
			t.Fatal(err)
		}
		if p := e.get(f.mai.PIN); p.Relation != people.OtherKin || p.HouseholdID != hh {
			t.Errorf("the deceased former head: %s in %s", p.Relation, p.HouseholdID)
		}
		// A dead member cannot become head.
		_, err = e.reg.ChangeHead(e.ctx, police, people.HeadChange{HouseholdID: hh, NewHeadPIN: f.mai.PIN, FormerHeadRelation: people.Spouse})
		wantProblem(t, err, problem.Invalid, "new_head_pin")
	})
}

// A person whose record is kept out of the officer's reach is moved in only
// with their chip card read at the counter, its number and date of issue
// (or, for a person holding none, a living parent's): without it any
// officer could move anyone into their commune, and so into their reach.
// A wrong card is refused as an unknown PIN is, and stores nothing.
func TestMoveInNeedsTheCard(t *testing.T) {
	dbtest.Engines(t, testSchemas, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		police := policeAt(baDinh)
		parent := carded(e.person(hcm, "Phan Văn Bố", civil.Male, "1965-05-05"))
		child := childOf(e.person(hcm, "Phan Thị Bé", civil.Female, "2015-06-06"), parent, nil) // no card of her own
		stranger := carded(e.person(hcm, "Lê Văn Lạ", civil.Male, "1970-01-01"))
		e.household(hcm, "12 Lê Lợi", parent, child)
		e.household(hcm, "13 Lê Lợi", stranger)
		home := people.Address{Unit: baDinh, Detail: "7 Đội Cấn"}
		move := func(pin, card string, issued civil.Date) (people.Person, error) {
			return e.reg.RegisterResidence(e.ctx, police, people.ResidenceRegistration{PIN: pin, Kind: people.PermanentResidence, Address: home,
				CardNumber: card, CardIssued: issued, Meta: people.Meta{Reason: "chuyển đến"}})
		}
		unknown := e.newPIN(hcm, civil.Male, 1980)
		for _, tc := range []struct {
			name, pin, card string
			issued          civil.Date
			fields          []string // else refused as out of reach
		}{
			{"no card", parent.PIN, "", civil.Date{}, []string{"card_number", "card_issued"}},
			{"no card, an unknown PIN", unknown, "", civil.Date{}, []string{"card_number", "card_issued"}},
			{"the number alone", parent.PIN, parent.PIN, civil.Date{}, []string{"card_number", "card_issued"}},
			{"another date of issue", parent.PIN, parent.PIN, civil.Date{Year: 2021, Month: 7, Day: 2}, nil},
			{"a stranger's card", parent.PIN, stranger.PIN, cardIssued, nil},
			{"a child with a stranger's card", child.PIN, stranger.PIN, cardIssued, nil},
			{"an unknown PIN with a card", unknown, unknown, cardIssued, nil},
		} {
			t.Run(tc.name, func(t *testing.T) {
				before := e.counts()
				_, err := move(tc.pin, tc.card, tc.issued)
				if tc.fields == nil {
					// Alike for a wrong card and an unknown PIN, naming the card.
					if pe := wantProblem(t, err, problem.Forbidden); !strings.Contains(pe.Detail, "nor does the chip card shown match theirs") {
						t.Errorf("the refusal does not point at the card: %v", pe)
					}
				} else {
					wantProblem(t, err, problem.Invalid, tc.fields...)
				}
				if after := e.counts(); after.persons != before.persons || after.events != before.events || after.households != before.households {
					t.Errorf("a refused move stored something: %+v → %+v", before, after)
				}
			})
		}
		if n := e.audited(police.ActorID(), string(auth.RegisterResidence), parent.PIN, "denied"); n < 3 {
			t.Errorf("%d refused moves of %s audited, want 3 or more", n, parent.PIN)
		}
		// The child holds no card: the parent's, shown at the counter.
		if _, err := move(child.PIN, parent.PIN, cardIssued); err != nil {
			t.Fatalf("a child with a parent's card: %v", err)
		}
		if _, err := move(parent.PIN, parent.PIN, cardIssued); err != nil {
			t.Fatalf("with the card: %v", err)
		}
		for _, p := range []*people.Person{child, parent} {
			if got := e.get(p.PIN); got.Permanent != home {
				t.Errorf("%s moved to %+v", p.PIN, got.Permanent)
			}
		}
	})
}

// The date of issue is the only part of a card not known from the PIN, a
// few hundred guesses a year: after 5 cards that did not match for a
// person in a day, or 20 by an officer, the card checks are refused (429,
// alike for an unknown PIN, audited), the right card too, until the day is
// over.
func TestCardGuessesLimited(t *testing.T) {
	dbtest.Engines(t, testSchemas, func(t *testing.T, d *db.DB) {
		clock := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
		t.Cleanup(register.SetClock(func() time.Time { return clock }))
		e := newEnv(t, d)
		police := policeAt(baDinh)
		target := carded(e.person(hcm, "Lê Văn Đích", civil.Male, "1970-01-01"))
		e.household(hcm, "14 Lê Lợi", target)
		unknown := e.newPIN(hcm, civil.Male, 1971)
		move := func(pr auth.Principal, pin string, issued civil.Date) error {
			_, err := e.reg.RegisterResidence(e.ctx, pr, people.ResidenceRegistration{PIN: pin, Kind: people.TemporaryResidence,
				Address: people.Address{Unit: pr.Unit, Detail: "3 Đội Cấn"}, CardNumber: pin, CardIssued: issued})
			return err
		}
		guess := civil.Date{Year: 2016, Month: 1, Day: 1}
		for _, pin := range []string{target.PIN, unknown} {
			for i := range 5 {
				if err := move(police, pin, guess); !problem.Is(err, problem.Forbidden) {
					t.Fatalf("guess %d for %s: %v", i+1, pin, err)
				}
				guess = civil.DateOf(guess.Earliest().AddDate(0, 0, 1))
			}
			err := move(police, pin, cardIssued)
			var ra interface{ RetryAfterSeconds() int }
			if !problem.Is(err, problem.RateLimited) || !errors.As(err, &ra) || ra.RetryAfterSeconds() < 3600 {
				t.Errorf("the sixth card for %s, the right one: %v", pin, err)
			}
		}
		if n := e.audited(police.ActorID(), string(auth.RegisterResidence), target.PIN, "denied"); n != 6 {
			t.Errorf("%d refusals audited against the person, want 6", n)
		}
		// Another officer may not go on guessing for the same person.
		if err := move(policeAt(hanoi2), target.PIN, cardIssued); !problem.Is(err, problem.RateLimited) {
			t.Errorf("another officer, the same person: %v", err)
		}
		// A day later the right card is taken.
		clock = clock.Add(25 * time.Hour)
		if err := move(police, target.PIN, cardIssued); err != nil {
			t.Errorf("a day later, the right card: %v", err)
		}
	})
}
