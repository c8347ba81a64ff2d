package pin

import (
	"bytes"
	"errors"
	"math/rand/v2"
	"testing"
)

func TestPermutationIsBijection(t *testing.T) {
	seeds := []uint64{0, 1, 42, 1<<64 - 1}
	if testing.Short() {
		seeds = seeds[:1]
	}
	outputs := map[uint64][]int{}
	for _, seed := range seeds {
		p := NewPermutation(seed)
		seen := make([]bool, Serials)
		fixed := 0
		for i := range Serials {
			s := p.Serial(i)
			if s < 0 || s >= Serials {
				t.Fatalf("seed %d: Serial(%d) = %d, outside 0..999999", seed, i, s)
			}
			if seen[s] {
				t.Fatalf("seed %d: Serial(%d) = %d repeats an earlier serial", seed, i, s)
			}
			seen[s] = true
			if p.Index(s) != i {
				t.Fatalf("seed %d: Index(Serial(%d)) = %d", seed, i, p.Index(s))
			}
			if s == i {
				fixed++
			}
		}
		// A random permutation has about one fixed point; many would mean the
		// rounds are not mixing.
		if fixed > 10 {
			t.Errorf("seed %d: %d fixed points", seed, fixed)
		}
		for i := range 8 {
			outputs[seed] = append(outputs[seed], p.Serial(i))
		}
	}
	for a, x := range outputs {
		for b, y := range outputs {
			if a < b && equal(x, y) {
				t.Errorf("seeds %d and %d give the same serials %v", a, b, x)
			}
		}
	}
}

func equal(a, b []int) bool {
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestPermutationLooksRandom(t *testing.T) {
	// Consecutive counters must not give neighbouring serials: a generated
	// population would otherwise show its order in the numbers.
	p := NewPermutation(7)
	close := 0
	for i := range 10000 {
		if d := p.Serial(i+1) - p.Serial(i); d > -1000 && d < 1000 {
			close++
		}
	}
	if close > 100 { // about 20 expected by chance
		t.Errorf("%d of 10000 consecutive serials lie within 1000 of each other", close)
	}
}

func TestPermutationPanicsOutsideDomain(t *testing.T) {
	p := NewPermutation(1)
	for _, f := range []func(){
		func() { p.Serial(-1) }, func() { p.Serial(Serials) },
		func() { p.Index(-1) }, func() { p.Index(Serials) },
	} {
		func() {
			defer func() {
				if recover() == nil {
					t.Error("no panic")
				}
			}()
			f()
		}()
	}
}

func TestRandomSerial(t *testing.T) {
	// 0xFFFFFFFF is above the rejection limit and must be skipped.
	r := bytes.NewReader([]byte{0xff, 0xff, 0xff, 0xff, 0, 0, 0x03, 0xe8})
	if got := RandomSerial(r); got != 1000 {
		t.Errorf("RandomSerial = %d, want 1000 after rejecting 0xFFFFFFFF", got)
	}

	src := rand.NewChaCha8([32]byte{1})
	var buckets [10]int
	for range 100000 {
		s := RandomSerial(src)
		if s < 0 || s >= Serials {
			t.Fatalf("RandomSerial = %d", s)
		}
		buckets[s/100000]++
	}
	for i, n := range buckets {
		if n < 9500 || n > 10500 {
			t.Errorf("bucket %d has %d of 100000 draws", i, n)
		}
	}

	a, b := RandomSerial(nil), RandomSerial(nil)
	if a < 0 || a >= Serials || b < 0 || b >= Serials {
		t.Errorf("crypto serials %d, %d", a, b)
	}

	defer func() {
		if recover() == nil {
			t.Error("a failing reader did not panic")
		}
	}()
	RandomSerial(failing{})
}

type failing struct{}

func (failing) Read([]byte) (int, error) { return 0, errors.New("broken") }

func BenchmarkPermutationSerial(b *testing.B) {
	p := NewPermutation(42)
	i := 0
	for b.Loop() {
		_ = p.Serial(i)
		if i++; i == Serials {
			i = 0
		}
	}
}

func BenchmarkRandomSerialCrypto(b *testing.B) {
	for b.Loop() {
		_ = RandomSerial(nil)
	}
}

// BenchmarkGenerate is the bulk generator's inner loop: prefix, serial, PIN.
func BenchmarkGenerate(b *testing.B) {
	p := NewPermutation(42)
	prefix, err := Prefix("079", 'F', 2003)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		_ = New(prefix, p.Serial(i))
		if i++; i == Serials {
			i = 0
		}
	}
}
