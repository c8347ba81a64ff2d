package synth

import (
	"context"
	"runtime"
	"testing"

	"github.com/populus-vn/populus/internal/people"
	"github.com/populus-vn/populus/internal/units"
)

// BenchmarkGenerate measures generation alone, one op per person: ns/op is
// the time per person, B/op and allocs/op the garbage per person (the
// generator keeps nothing, so memory stays flat however many are made).
func BenchmarkGenerate(b *testing.B) {
	if _, err := worldOf(units.Default()); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	b.ResetTimer()
	nPeople := 0
	err := Generate(context.Background(), Config{People: b.N, Seed: 1}, func(h *people.Household, ms []people.Person) error {
		nPeople += len(ms)
		return nil
	})
	if err != nil || nPeople != b.N {
		b.Fatalf("%d people, %v", nPeople, err)
	}
	b.StopTimer()
	runtime.ReadMemStats(&after)
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "people/s")
	b.ReportMetric(float64(after.Mallocs-before.Mallocs)/float64(b.N), "allocs/person")
}
