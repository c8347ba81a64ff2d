package sector

import (
	"hash/fnv"
	"math/bits"
)

// rng is wyrand, written out (as in internal/synth) so that the records for
// a seed never change with the Go release.
type rng struct{ s uint64 }

func (r *rng) u64() uint64 {
	r.s += 0xa0761d6478bd642f
	hi, lo := bits.Mul64(r.s, r.s^0xe7037ed1a0b428db)
	return hi ^ lo
}

// intn returns a number in [0, n).
func (r *rng) intn(n int) int {
	hi, _ := bits.Mul64(r.u64(), uint64(n))
	return int(hi)
}

// float returns a number in [0, 1).
func (r *rng) float() float64 { return float64(r.u64()>>11) * 0x1p-53 }

// chance reports true with probability p.
func (r *rng) chance(p float64) bool { return p > 0 && r.float() < p }

// pick returns a random element.
func pick[T any](r *rng, xs []T) T { return xs[r.intn(len(xs))] }

// weighted returns an index drawn with the given integer weights.
func (r *rng) weighted(w []int) int {
	sum := 0
	for _, x := range w {
		sum += x
	}
	n := r.intn(sum)
	for i, x := range w {
		if n < x {
			return i
		}
		n -= x
	}
	return len(w) - 1
}

// mix is the splitmix64 finaliser.
func mix(z uint64) uint64 {
	z = (z ^ z>>30) * 0xbf58476d1ce4e5b9
	z = (z ^ z>>27) * 0x94d049bb133111eb
	return z ^ z>>31
}

// hashString is FNV-1a, for choices that must agree across the members of
// a household (which old commune an address was written with).
func hashString(s string) uint64 {
	h := fnv.New64a()
	h.Write([]byte(s))
	return h.Sum64()
}

// feistel is a keyed bijection on 0..half²-1 (a Feistel network on the
// two base-half digits, as pin.Permutation): record i gets id feistel(i),
// unique without a set of issued ids and not in file order.
type feistel struct {
	half uint64
	keys [8]uint64
}

func newFeistel(seed uint64, half uint64) feistel {
	f := feistel{half: half}
	for i := range f.keys {
		seed += 0x9e3779b97f4a7c15
		f.keys[i] = mix(seed)
	}
	return f
}

func (f feistel) apply(i uint64) uint64 {
	l, r := i/f.half, i%f.half
	for _, k := range f.keys {
		l, r = r, (l+mix(r^k)%f.half)%f.half
	}
	return l*f.half + r
}
