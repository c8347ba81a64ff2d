package synth

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/populus-vn/populus/internal/civil"
	"github.com/populus-vn/populus/internal/people"
	"github.com/populus-vn/populus/internal/units"
	"github.com/populus-vn/populus/internal/wyrand"
)

// Config says what to generate.
type Config struct {
	// People is the number of person records to generate, the deceased
	// included. The last household is cut to size so the count is exact.
	People int
	// Seed selects the population: the same People, Seed, Now and units
	// give byte-identical output.
	Seed uint64
	// Now is the reference date at which ages are counted and after which
	// nothing happens; the zero Date means DefaultNow. It must be a full
	// date from 2022 to 2099.
	Now civil.Date
	// Units is the registry of administrative units; nil means units.Default().
	Units *units.Registry
}

// DefaultNow is the default reference date: the first day of the
// 34-province system.
var DefaultNow = civil.Date{Year: 2025, Month: 7, Day: 1}

// Generate streams households with their members to fn, in order. It is
// deterministic: the same Config gives byte-identical output on every run and
// platform. Memory does not grow with People: h and members are reused
// after fn returns, so fn must copy what it keeps (register.Importer.Add
// does).
//
// members lists the household's living members, head first, followed by
// deceased parents of the head or spouse, who stay in the register with their
// links but no longer belong to a household (HouseholdID is empty).
func Generate(ctx context.Context, cfg Config, fn func(h *people.Household, members []people.Person) error) error {
	g, err := newGenerator(cfg)
	if err != nil {
		return err
	}
	for g.emitted < cfg.People {
		if g.households%1024 == 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
		}
		if err := g.household(cfg.People - g.emitted); err != nil {
			return err
		}
		if err := fn(&g.hh, g.out); err != nil {
			return err
		}
	}
	return nil
}

// generator holds the state of one Generate call.
type generator struct {
	r       wyrand.Rand
	w       *world
	names   *namer
	urn     *urn
	pins    *pins
	now     int // reference day
	nowDate civil.Date
	created time.Time

	households int
	emitted    int

	// Reused for every household.
	m   []member
	buf []byte
	hh  people.Household
	out []people.Person
	idx []int
}

var (
	sharedNamer   = newNamer()
	sharedPyramid = newPyramid()
)

func newGenerator(cfg Config) (*generator, error) {
	if cfg.People < 0 {
		return nil, errors.New("synth: People is negative")
	}
	now := cfg.Now
	if now.IsZero() {
		now = DefaultNow
	}
	if !now.Full() || !now.Valid() || now.Year < 2022 || now.Year > 2099 {
		return nil, fmt.Errorf("synth: reference date %v must be a full date from 2022 to 2099", now)
	}
	reg := cfg.Units
	if reg == nil {
		reg = units.Default()
	}
	w, err := worldOf(reg)
	if err != nil {
		return nil, err
	}
	return &generator{
		r:       wyrand.New(wyrand.Mix(cfg.Seed)),
		w:       w,
		names:   sharedNamer,
		urn:     newUrn(sharedPyramid),
		pins:    newPins(cfg.Seed, len(w.legacy)),
		now:     dayOfDate(now),
		nowDate: now,
		created: time.Date(now.Year, time.Month(now.Month), now.Day, 0, 0, 0, 0, civil.Vietnam).UTC(),
		m:       make([]member, 0, 16),
		buf:     make([]byte, 0, 2048),
		out:     make([]people.Person, 0, 16),
	}, nil
}
