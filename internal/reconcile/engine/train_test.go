package engine

import (
	"fmt"
	"math"
	"testing"

	"github.com/populus-vn/populus/internal/civil"
	"github.com/populus-vn/populus/internal/reconcile"
)

// The PIN's u comes from the register: one over its size for exact
// agreement, and the register's PINs one edit from each other for a digit
// off; the one-digit level never weighs more than exact agreement.
func TestPINUFromRegister(t *testing.T) {
	for _, tc := range []struct {
		name       string
		people     int
		pairs      int // people whose PIN is one digit from the next person's
		wantCapped bool
	}{
		{"sparse register", 500, 0, true},
		{"neighbours everywhere", 400, 200, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := NewIndexBuilder(nil, tc.people)
			for i := range tc.people {
				// 079 Hồ Chí Minh, 0 male 19xx, 85; serials multiples
				// of 1111, no two of them one digit or one swap apart,
				// or in pairs that differ in the first digit of the serial.
				serial := i * 1111
				if i < 2*tc.pairs {
					serial = (i / 2) * 1111
					if i%2 == 1 {
						serial += 500_000 // the first digit of the serial, 0–2, becomes 5–7
					}
				}
				b.Add(Person{Fields: reconcile.Fields{FullName: "Nguyễn Văn An", PIN: fmt.Sprintf("079085%06d", serial)}})
			}
			x := b.Build()
			m := reconcile.NewModel(reconcile.DefaultComparisons()...)
			cfg := Config{Seed: 1}
			pe := pinU(x, m, &cfg)
			if pe == nil {
				t.Fatal("no estimate")
			}
			ci := 3 // PIN among DefaultComparisons
			if got := m.U[ci][reconcile.PINExact]; got != 1/float64(tc.people) {
				t.Errorf("u exact %v, want 1/%d", got, tc.people)
			}
			// Each sampled PIN of a pair has exactly one neighbour.
			share := float64(2*tc.pairs) / float64(tc.people)
			got := float64(pe.Neighbours) / float64(pe.Sampled)
			if math.Abs(got-share) > 0.1 {
				t.Errorf("%d neighbours over %d sampled PINs (%.3f), want about %.3f", pe.Neighbours, pe.Sampled, got, share)
			}
			if want := (float64(pe.Neighbours) + 0.5) / float64(pe.Sampled) / float64(tc.people); m.U[ci][reconcile.PINOneDigit] != want {
				t.Errorf("u one digit %v, want %v", m.U[ci][reconcile.PINOneDigit], want)
			}
			m.M[ci][reconcile.PINExact], m.M[ci][reconcile.PINOneDigit] = 0.9, 0.05
			capPINOneDigit(m, pe)
			if pe.Capped != tc.wantCapped {
				t.Errorf("capped %v, want %v", pe.Capped, tc.wantCapped)
			}
			exact := math.Log2(m.M[ci][reconcile.PINExact] / m.U[ci][reconcile.PINExact])
			one := math.Log2(m.M[ci][reconcile.PINOneDigit] / m.U[ci][reconcile.PINOneDigit])
			if one > exact+1e-9 {
				t.Errorf("one digit off weighs %.2f bits, exact %.2f", one, exact)
			}
		})
	}
}

// The u of the PIN's "consistent" level is measured among pairs that agree
// on sex and birth year, where two different well-formed PINs are nearly
// always consistent: it says the numbers differ, not that the people look
// alike (the sex and date comparisons weigh that).
func TestPINConsistentUAmongLikePairs(t *testing.T) {
	for _, tc := range []struct {
		name      string
		otherYear int // of every 4 sector PINs, how many encode another birth year
		noSex     bool
		want      float64 // u of the level; 0: left as it was
	}{
		{"well-formed numbers", 0, false, 1},
		{"half the numbers of another year", 2, false, 0.5},
		{"records without sex", 0, true, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			const people = 2000
			b := NewIndexBuilder(nil, people)
			for i := range people {
				// Men born in 1985 and women born in 1990: 079, century and
				// sex digit, year, serial.
				sex, year, cs := civil.Male, 1985, 0
				if i%2 == 1 {
					sex, year, cs = civil.Female, 1990, 1
				}
				b.Add(Person{Fields: reconcile.Fields{FullName: "Nguyễn Văn An", Sex: sex,
					BirthDate: civil.Date{Year: year, Month: 1, Day: 1}, PIN: fmt.Sprintf("079%d%02d%06d", cs, year%100, i)}})
			}
			x := b.Build()
			var p reconcile.Preparer
			sample := make([]reconcile.Record, 400)
			for i := range sample {
				sex, year, cs := civil.Male, 1985, 0
				if i%2 == 1 {
					sex, year, cs = civil.Female, 1990, 1
				}
				pin := fmt.Sprintf("079%d%02d%06d", cs, year%100, 500_000+i)
				if i%4 < tc.otherYear {
					pin = fmt.Sprintf("079%d%02d%06d", cs, year%100+3, 500_000+i)
				}
				if tc.noSex {
					sex = civil.SexUnknown
				}
				sample[i] = p.Record(reconcile.Fields{FullName: "Trần Thị Bình", Sex: sex, BirthDate: civil.Date{Year: year, Month: 6, Day: 1}, PIN: pin})
			}
			m := reconcile.NewModel(reconcile.DefaultComparisons()...)
			ci := 3 // PIN among DefaultComparisons
			before := m.U[ci][reconcile.PINConsistent]
			cfg := Config{Seed: 1}.withDefaults()
			pe := &PINEstimate{}
			pinConsistentU(x, sample, m, &cfg, pe)
			got := m.U[ci][reconcile.PINConsistent]
			if tc.want == 0 {
				if got != before || pe.UConsistent != 0 {
					t.Errorf("u %v (estimate %v) from %d pairs, want it left at %v", got, pe.UConsistent, pe.ConsistentPairs, before)
				}
				return
			}
			if math.Abs(got-tc.want) > 0.05 || pe.UConsistent != got {
				t.Errorf("u %v (estimate %v) from %d pairs, want about %v", got, pe.UConsistent, pe.ConsistentPairs, tc.want)
			}
			if pe.ConsistentPairs < minConsistentPairs {
				t.Errorf("%d pairs", pe.ConsistentPairs)
			}
		})
	}
}
