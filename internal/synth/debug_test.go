package synth

import (
	"testing"
)

func TestDebugUrn(t *testing.T) {
	for _, n := range []int{200000, 1000000} {
		g, err := newGenerator(Config{People: n, Seed: 42})
		if err != nil {
			t.Fatal(err)
		}
		var sexes [2]int
		for g.emitted < n {
			if err := g.household(n - g.emitted); err != nil {
				t.Fatal(err)
			}
			for i := range g.m {
				if !g.m[i].dead {
					sexes[sexIndex(g.m[i].sex)]++
				}
			}
		}
		t.Logf("n=%d fallbacks %d ratio %.2f left M %d F %d", n, g.urn.fallbacks, 100*float64(sexes[0])/float64(sexes[1]), g.urn.below(0, maxAge+1), g.urn.below(1, maxAge+1))
		for a := 0; a <= maxAge; a += 10 {
			t.Logf("  age %d: M %d F %d", a, g.urn.below(0, min(a+10, maxAge+1))-g.urn.below(0, a), g.urn.below(1, min(a+10, maxAge+1))-g.urn.below(1, a))
		}
	}
}
