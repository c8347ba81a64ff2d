package sectorsynth

import (
	"hash/fnv"

	"github.com/populus-vn/populus/internal/wyrand"
)

// The generator is wyrand (internal/wyrand, shared with internal/synth):
// written out so that the records for a seed never change with the Go
// release. Every rate is drawn with ChanceIfPositive, so a rate of zero takes
// no number from the stream.

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
		f.keys[i] = wyrand.Mix(seed)
	}
	return f
}

func (f feistel) apply(i uint64) uint64 {
	l, r := i/f.half, i%f.half
	for _, k := range f.keys {
		l, r = r, (l+wyrand.Mix(r^k)%f.half)%f.half
	}
	return l*f.half + r
}
