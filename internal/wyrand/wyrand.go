// Package wyrand is the random number generator of the synthetic data
// (internal/synth, internal/reconcile/sector): wyrand, a 64-bit generator
// with one word of state that passes BigCrush and costs a multiply per draw.
//
// It is written out here, not taken from math/rand/v2, so that the output
// for a seed can never change with the Go release: the same seed must give
// the same population and the same sector files forever. For the same
// reason nothing here may change what a seed draws; TestStream pins it.
//
// No draw uses a fused multiply-add or a math function whose result may
// differ by platform, so the stream is the same on every architecture.
package wyrand

import "math/bits"

// Rand is a wyrand generator. The zero value is the generator of seed 0; a
// Rand is not safe for concurrent use (each goroutine keeps its own).
type Rand struct{ s uint64 }

// New returns the generator of a seed.
func New(seed uint64) Rand { return Rand{s: seed} }

// Uint64 returns the next 64 random bits.
func (r *Rand) Uint64() uint64 {
	r.s += 0xa0761d6478bd642f
	hi, lo := bits.Mul64(r.s, r.s^0xe7037ed1a0b428db)
	return hi ^ lo
}

// Intn returns a number in [0, n), n > 0, by Lemire's multiply-shift
// without a rejection loop: one draw whatever n, with a bias below
// n/2^64 (under 2^-40 for the n of synthetic data), not worth a loop.
func (r *Rand) Intn(n int) int {
	hi, _ := bits.Mul64(r.Uint64(), uint64(n))
	return int(hi)
}

// Between returns a number in [lo, hi].
func (r *Rand) Between(lo, hi int) int { return lo + r.Intn(hi-lo+1) }

// Float64 returns a number in [0, 1) with 53 random bits.
func (r *Rand) Float64() float64 { return float64(r.Uint64()>>11) * 0x1p-53 }

// Chance reports true with probability p. It draws one number whatever p
// is, so the draws after it do not depend on p.
func (r *Rand) Chance(p float64) bool { return r.Float64() < p }

// ChanceIfPositive reports true with probability p, like Chance, but draws
// nothing when p <= 0: a rate set to zero then leaves the stream of every
// later draw as it would be without that decision.
func (r *Rand) ChanceIfPositive(p float64) bool { return p > 0 && r.Float64() < p }

// Weighted returns an index drawn with the given non-negative integer
// weights, whose sum must be positive.
func (r *Rand) Weighted(w []int) int {
	sum := 0
	for _, x := range w {
		sum += x
	}
	n := r.Intn(sum)
	for i, x := range w {
		if n < x {
			return i
		}
		n -= x
	}
	return len(w) - 1
}

// Pick returns an element of a non-empty slice, drawn uniformly.
func Pick[T any](r *Rand, xs []T) T { return xs[r.Intn(len(xs))] }

// Mix is the splitmix64 finaliser: a bijection of 64-bit words that
// derives independent seeds and keys from one seed.
func Mix(z uint64) uint64 {
	z = (z ^ z>>30) * 0xbf58476d1ce4e5b9
	z = (z ^ z>>27) * 0x94d049bb133111eb
	return z ^ z>>31
}
