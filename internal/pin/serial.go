package pin

import (
	"crypto/rand"
	"encoding/binary"
	"fmt"
	"io"
)

// Serials is the number of possible serials (digits 7–12) under one prefix.
const Serials = 1_000_000

// RandomSerial draws a uniform serial in 0..999999 from r, or from crypto/rand
// when r is nil, as live issuance should: serials must not be guessable from
// a person's neighbours. The caller still checks the register for a clash.
// A reader that fails is a bug (crypto/rand does not), so RandomSerial panics.
func RandomSerial(r io.Reader) int {
	if r == nil {
		r = rand.Reader
	}
	// Rejecting the top of the 32-bit range keeps every serial equally likely.
	const limit = (1 << 32) / Serials * Serials
	var b [4]byte
	for {
		if _, err := io.ReadFull(r, b[:]); err != nil {
			panic("pin.RandomSerial: " + err.Error())
		}
		if v := binary.BigEndian.Uint32(b[:]); v < limit {
			return int(v % Serials)
		}
	}
}

// Permutation is a keyed bijection on 0..999999. A bulk generator numbers the
// people under one prefix 0, 1, 2, … and takes Serial(i): the serials are
// unique without any lookup and look random, and the same seed gives the same
// population again. It is not a secret: anyone with the seed can list the
// serials, so it is for generated data, not for live issuance.
//
// It is a Feistel network on the two halves of the number in base 1000 with
// addition mod 1000. Because 10^6 = 1000 × 1000 exactly, every round maps the
// domain onto itself and no cycle-walking is needed.
type Permutation struct {
	keys [rounds]uint64
}

// Eight rounds: fewer leave visible structure in consecutive outputs.
const rounds = 8

// NewPermutation derives the round keys from seed.
func NewPermutation(seed uint64) Permutation {
	var p Permutation
	for i := range p.keys {
		seed += 0x9e3779b97f4a7c15 // the splitmix64 sequence
		p.keys[i] = mix(seed)
	}
	return p
}

// Serial returns the i-th serial, for i in 0..999999; any other i is a bug
// (the prefix is full) and panics.
func (p Permutation) Serial(i int) int {
	if i < 0 || i >= Serials {
		panic(fmt.Sprintf("pin.Permutation.Serial(%d): index outside 0..999999", i))
	}
	l, r := uint64(i/1000), uint64(i%1000)
	for _, k := range p.keys {
		l, r = r, (l+mix(r^k)%1000)%1000
	}
	return int(l*1000 + r)
}

// Index inverts Serial: the counter value that yields serial s.
func (p Permutation) Index(s int) int {
	if s < 0 || s >= Serials {
		panic(fmt.Sprintf("pin.Permutation.Index(%d): serial outside 0..999999", s))
	}
	l, r := uint64(s/1000), uint64(s%1000)
	for j := rounds - 1; j >= 0; j-- {
		l, r = (r+1000-mix(l^p.keys[j])%1000)%1000, l
	}
	return int(l*1000 + r)
}

// mix is the splitmix64 finaliser, a fast 64-bit hash.
func mix(z uint64) uint64 {
	z = (z ^ z>>30) * 0xbf58476d1ce4e5b9
	z = (z ^ z>>27) * 0x94d049bb133111eb
	return z ^ z>>31
}
