package reconcile

import (
	"context"
	"math/rand/v2"
	"strings"
	"sync"
	"testing"
	"unicode"

	"github.com/populus-vn/populus/internal/civil"
	"github.com/populus-vn/populus/internal/people"
	"github.com/populus-vn/populus/internal/synth"
	"github.com/populus-vn/populus/internal/units"
)

// world is a small synthetic register and a sector file drawn from it with
// typical errors, for the tests and benchmarks that need realistic pairs.
// The sector package builds the documented corruption model; this one is
// only varied enough to exercise every comparison level.
type world struct {
	register []Record
	sector   []Record
	truth    []int // register index of each sector record's person
	// Register candidates of each sector record: by birth year, by folded
	// family and given name, and the union of these and same PIN.
	byYear, byName, cands [][]int
	tf                    *TermFrequencies
}

var (
	worldOnce sync.Once
	theWorld  *world
	worldErr  error
)

const (
	worldPeople = 4000
	worldSector = 1500
)

func testWorld(tb testing.TB) *world {
	tb.Helper()
	worldOnce.Do(func() { theWorld, worldErr = newWorld(worldPeople, worldSector, 7) })
	if worldErr != nil {
		tb.Fatal(worldErr)
	}
	return theWorld
}

func newWorld(nPeople, sectorN int, seed uint64) (*world, error) {
	w := &world{tf: NewTermFrequencies()}
	var persons []people.Person
	err := synth.Generate(context.Background(), synth.Config{People: nPeople, Seed: seed},
		func(_ *people.Household, ms []people.Person) error {
			persons = append(persons, ms...)
			return nil
		})
	if err != nil {
		return nil, err
	}
	for i := range persons {
		w.register = append(w.register, NewRecord(FieldsOf(&persons[i])))
		w.tf.Add(&w.register[i])
	}
	for i := range w.register {
		w.tf.Annotate(&w.register[i])
	}
	r := rand.New(rand.NewPCG(seed, 99))
	for range sectorN {
		j := r.IntN(len(persons))
		p := &persons[j]
		if p.Status == people.Deceased && r.IntN(2) == 0 {
			j = r.IntN(len(persons))
			p = &persons[j]
		}
		f := corrupt(r, p, persons)
		rec := NewRecord(f)
		w.tf.Annotate(&rec)
		w.sector = append(w.sector, rec)
		w.truth = append(w.truth, j)
	}
	w.block()
	return w, nil
}

// corrupt derives a sector record from a person, with errors at rates a
// little above what real sector files show, so every level occurs.
func corrupt(r *rand.Rand, p *people.Person, all []people.Person) Fields {
	chance := func(pct int) bool { return r.IntN(100) < pct }
	f := Fields{FullName: p.FullName, BirthDate: p.BirthDate, Sex: p.Sex}

	words := strings.Fields(f.FullName)
	switch {
	case chance(3) && len(words) > 1:
		f.FullName = strings.Join(append(words[1:], words[0]), " ")
	case chance(3) && len(words) > 2:
		f.FullName = words[0] + " " + words[len(words)-1]
	case chance(6):
		f.FullName = typo(r, f.FullName)
	}
	switch {
	case chance(35):
		f.FullName = foldForTest(f.FullName)
	case chance(20):
		f.FullName = strings.ToUpper(f.FullName)
	}

	d := f.BirthDate
	switch {
	case chance(5):
		f.BirthDate = civil.Date{Year: d.Year}
	case chance(4) && d.Full() && d.Day <= 12 && d.Day != d.Month:
		f.BirthDate = civil.Date{Year: d.Year, Month: d.Day, Day: d.Month}
	case chance(3) && d.Full() && d.Day < 28:
		f.BirthDate.Day++
	case chance(3):
		f.BirthDate = civil.Date{Year: d.Year + 1}
	case chance(4):
		f.BirthDate = civil.Date{}
	}
	if chance(10) {
		f.Sex = civil.SexUnknown
	}

	switch {
	case chance(55):
		f.PIN = p.PIN
	case chance(10) && p.CMND != "":
		f.PIN = p.CMND // the old number in the PIN column
	case chance(8):
		b := []byte(p.PIN)
		b[10], b[11] = b[11], b[10]
		f.PIN = string(b)
	case chance(5):
		f.PIN = all[r.IntN(len(all))].PIN // someone else's number
	}

	if u := p.Permanent.Unit; u != "" {
		reg := units.Default()
		switch {
		case chance(50):
			f.Units = []string{u}
		case chance(40):
			if olds := reg.Predecessors(u); len(olds) > 0 {
				f.Units = []string{units.LegacyPrefix + olds[r.IntN(len(olds))].Code}
			}
		case chance(50):
			if c, ok := reg.Lookup(u); ok {
				f.Units = []string{c.ParentCode}
			}
		}
	}
	return f
}

func foldForTest(s string) string {
	r := NewRecord(named(s))
	return r.FoldedName()
}

// typo swaps two neighbouring letters or drops one.
func typo(r *rand.Rand, s string) string {
	x := []rune(s)
	i := 1 + r.IntN(max(len(x)-2, 1))
	if i+1 >= len(x) || !unicode.IsLetter(x[i]) {
		return s
	}
	if r.IntN(2) == 0 {
		x[i], x[i+1] = x[i+1], x[i]
	} else {
		x = append(x[:i], x[i+1:]...)
	}
	return string(x)
}

// block finds candidates by a union of rules: same birth year, same PIN,
// same folded family and given name.
func (w *world) block() {
	year := map[int][]int{}
	pin := map[string][]int{}
	name := map[string][]int{}
	for j := range w.register {
		rec := &w.register[j]
		year[int(rec.birth.year)] = append(year[int(rec.birth.year)], j)
		pin[rec.pin] = append(pin[rec.pin], j)
		name[rec.family()+"|"+rec.given()] = append(name[rec.family()+"|"+rec.given()], j)
	}
	n := len(w.sector)
	w.byYear, w.byName, w.cands = make([][]int, n), make([][]int, n), make([][]int, n)
	for i := range w.sector {
		s := &w.sector[i]
		if int(s.birth.year) != 0 {
			w.byYear[i] = year[int(s.birth.year)]
		}
		w.byName[i] = name[s.family()+"|"+s.given()]
		var samePIN []int
		if s.pin != "" {
			samePIN = pin[s.pin]
		}
		seen := map[int]bool{}
		for _, js := range [][]int{w.byYear[i], samePIN, w.byName[i]} {
			for _, j := range js {
				if !seen[j] {
					seen[j] = true
					w.cands[i] = append(w.cands[i], j)
				}
			}
		}
	}
}

// blocked yields every candidate pair.
func (w *world) blocked() Pairs { return w.pairs(w.cands) }

// pairs yields the pairs of sector records with their candidates.
func (w *world) pairs(cands [][]int) Pairs {
	return func(yield func(*Record, *Record) bool) {
		for i, js := range cands {
			for _, j := range js {
				if !yield(&w.sector[i], &w.register[j]) {
					return
				}
			}
		}
	}
}

// random yields n pairs drawn uniformly from sector × register.
func (w *world) random(n int, seed uint64) Pairs {
	return func(yield func(*Record, *Record) bool) {
		r := rand.New(rand.NewPCG(seed, 5))
		for range n {
			if !yield(&w.sector[r.IntN(len(w.sector))], &w.register[r.IntN(len(w.register))]) {
				return
			}
		}
	}
}

func (w *world) pairCount() int {
	n := 0
	for _, js := range w.cands {
		n += len(js)
	}
	return n
}
