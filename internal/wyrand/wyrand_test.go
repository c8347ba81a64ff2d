package wyrand

import "testing"

// TestStream pins the numbers of a few seeds: the synthetic population and
// the sector files of a seed are promised never to change, so neither may
// these. The values were taken from the generator as it was first written
// out in internal/synth.
func TestStream(t *testing.T) {
	for _, c := range []struct {
		seed uint64
		want []uint64
	}{
		{0, []uint64{0x111cb3a78f59a58e, 0xceabd938ff4e856d, 0x61fb51318f47d2a4, 0x78bd03c491909760}},
		{42, []uint64{0xae4a7cbfdda9b434, 0xe9cc09d33d38d9d2, 0xcb5756512b93433a, 0xeb29b2a1320e1a71}},
	} {
		r := New(c.seed)
		for i, w := range c.want {
			if got := r.Uint64(); got != w {
				t.Errorf("seed %d, draw %d: %#016x, want %#016x", c.seed, i, got, w)
			}
		}
	}
	var zero Rand
	if a, b := zero.Uint64(), New(0); a != b.Uint64() {
		t.Error("the zero Rand is not the generator of seed 0")
	}

	if got := []uint64{Mix(0), Mix(1), Mix(0x5ec7025eed)}; got[0] != 0 || got[1] != 6238072747940578789 || got[2] != 15884305899693063101 {
		t.Errorf("Mix: %v", got)
	}

	r := New(Mix(1))
	if got := r.Intn(10); got != 9 {
		t.Errorf("Intn(10) = %d, want 9", got)
	}
	if got := r.Intn(1000000); got != 729021 {
		t.Errorf("Intn(1000000) = %d, want 729021", got)
	}
	if got := r.Between(1, 250); got != 50 {
		t.Errorf("Between(1, 250) = %d, want 50", got)
	}
	if got := r.Between(-5, 5); got != 1 {
		t.Errorf("Between(-5, 5) = %d, want 1", got)
	}
	if got := r.Float64(); got != 0.8358686830892794 {
		t.Errorf("Float64() = %v, want 0.8358686830892794", got)
	}
	if got := r.Float64(); got != 0.36497542381894854 {
		t.Errorf("Float64() = %v, want 0.36497542381894854", got)
	}
	if got := r.Weighted([]int{55, 20, 15, 10}); got != 2 {
		t.Errorf("Weighted = %d, want 2", got)
	}
	if got := r.Weighted([]int{0, 1}); got != 1 {
		t.Errorf("Weighted({0, 1}) = %d, want 1", got)
	}
}

// TestDraws checks how many numbers each call takes from the stream: a
// change there would shift every later draw of a seed.
func TestDraws(t *testing.T) {
	draws := func(f func(r *Rand)) int {
		a, b := New(7), New(7)
		f(&a)
		for n := 0; n < 4; n++ {
			if a == b {
				return n
			}
			b.Uint64()
		}
		t.Fatal("more than 3 draws")
		return 0
	}
	for _, c := range []struct {
		name string
		f    func(r *Rand)
		want int
	}{
		{"Uint64", func(r *Rand) { r.Uint64() }, 1},
		{"Intn", func(r *Rand) { r.Intn(3) }, 1},
		{"Between", func(r *Rand) { r.Between(3, 3) }, 1},
		{"Float64", func(r *Rand) { r.Float64() }, 1},
		{"Chance(0)", func(r *Rand) { r.Chance(0) }, 1},
		{"Chance(1)", func(r *Rand) { r.Chance(1) }, 1},
		{"ChanceIfPositive(0)", func(r *Rand) { r.ChanceIfPositive(0) }, 0},
		{"ChanceIfPositive(-1)", func(r *Rand) { r.ChanceIfPositive(-1) }, 0},
		{"ChanceIfPositive(0.5)", func(r *Rand) { r.ChanceIfPositive(0.5) }, 1},
		{"Weighted", func(r *Rand) { r.Weighted([]int{1, 2, 3}) }, 1},
		{"Pick", func(r *Rand) { Pick(r, []string{"a", "b"}) }, 1},
	} {
		if got := draws(c.f); got != c.want {
			t.Errorf("%s takes %d draws, want %d", c.name, got, c.want)
		}
	}
}

func TestRanges(t *testing.T) {
	r := New(3)
	counts := make([]int, 7)
	weights := []int{0, 3, 0, 1, 0, 0, 4}
	wcounts := make([]int, len(weights))
	for range 80000 {
		if x := r.Intn(7); x < 0 || x >= 7 {
			t.Fatalf("Intn(7) = %d", x)
		} else {
			counts[x]++
		}
		if x := r.Between(-2, 2); x < -2 || x > 2 {
			t.Fatalf("Between(-2, 2) = %d", x)
		}
		if x := r.Float64(); x < 0 || x >= 1 {
			t.Fatalf("Float64() = %v", x)
		}
		if r.Chance(0) || !r.Chance(1) || r.ChanceIfPositive(0) {
			t.Fatal("Chance(0) or Chance(1) wrong")
		}
		wcounts[r.Weighted(weights)]++
		if s := Pick(&r, []string{"x"}); s != "x" {
			t.Fatalf("Pick = %q", s)
		}
	}
	for i, c := range counts {
		if c < 10800 || c > 12100 { // 80000/7 ≈ 11429, about 6 standard deviations
			t.Errorf("Intn(7) gave %d %d times of 80000", i, c)
		}
	}
	for i, w := range weights {
		want := 80000 * w / 8
		if d := wcounts[i] - want; d < -700 || d > 700 {
			t.Errorf("Weighted gave %d %d times, want about %d", i, wcounts[i], want)
		}
	}
}
