package synth

import "github.com/populus-vn/populus/internal/wyrand"

// noFMA: the output must not depend on the platform, and Go may fuse x*y+z
// into one instruction on some (arm64, amd64 with GOAMD64=v3), which rounds
// differently. Every such expression in this package wraps the product in
// an explicit float64 conversion, which the language spec says prevents
// fusion; and no math function whose result may differ by platform (Exp,
// Pow, …) feeds a draw.

// The generator is wyrand (internal/wyrand), shared with the synthetic
// sector files: written out, not taken from math/rand/v2, so that the output
// for a seed can never change with the Go release: the same (People, Seed)
// must give the same population forever.

// alias is Walker's alias table: a draw from n weighted outcomes in constant
// time, one random number per draw.
type alias struct {
	cut   []uint32 // keep i when the low 32 bits are below cut[i]
	other []int32  // else take other[i]
}

func newAlias(weights []float64) alias {
	n := len(weights)
	if n == 0 {
		panic("synth: alias table over no outcomes")
	}
	var sum float64
	for _, w := range weights {
		if w < 0 {
			panic("synth: negative weight")
		}
		sum += w
	}
	if sum <= 0 {
		panic("synth: weights sum to zero")
	}
	a := alias{cut: make([]uint32, n), other: make([]int32, n)}
	p := make([]float64, n)
	var small, large []int
	for i, w := range weights {
		p[i] = w * float64(n) / sum
		a.other[i] = int32(i)
		if p[i] < 1 {
			small = append(small, i)
		} else {
			large = append(large, i)
		}
	}
	for len(small) > 0 && len(large) > 0 {
		s, l := small[len(small)-1], large[len(large)-1]
		small = small[:len(small)-1]
		a.cut[s] = uint32(p[s] * (1 << 32))
		a.other[s] = int32(l)
		p[l] -= 1 - p[s]
		if p[l] < 1 {
			large = large[:len(large)-1]
			small = append(small, l)
		}
	}
	for _, i := range append(small, large...) {
		a.cut[i] = 1<<32 - 1
		a.other[i] = int32(i)
	}
	return a
}

func (a *alias) draw(r *wyrand.Rand) int {
	x := r.Uint64()
	i := int((x >> 32) * uint64(len(a.cut)) >> 32)
	if uint32(x) < a.cut[i] {
		return i
	}
	return int(a.other[i])
}
