package reconcile

import (
	"testing"
)

// pairList flattens the world's blocked pairs, so the benchmark measures
// scoring and not the iteration.
func pairList(b *testing.B) (*world, [][2]*Record, *Scorer) {
	w := testWorld(b)
	var pairs [][2]*Record
	for x, y := range w.blocked() {
		pairs = append(pairs, [2]*Record{x, y})
	}
	m := NewModel(DefaultComparisons()...)
	m.Lambda = 1 / float64(len(w.register))
	s, err := m.Scorer()
	if err != nil {
		b.Fatal(err)
	}
	return w, pairs, s
}

// BenchmarkScore is the engine's inner loop: the comparison vector and the
// match weight of blocked candidate pairs from a synthetic register (names
// with their real frequencies, typical sector errors), with term-frequency
// adjustment. pairs/s is per core: the benchmark runs on one goroutine.
func BenchmarkScore(b *testing.B) {
	_, pairs, s := pairList(b)
	v := make(Vector, len(s.Comparisons()))
	b.ReportAllocs()
	b.ResetTimer()
	sum, i := 0.0, 0
	for b.Loop() {
		p := pairs[i]
		sum += s.Score(p[0], p[1], v)
		if i++; i == len(pairs) {
			i = 0
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "pairs/s")
	_ = sum
}

// BenchmarkScoreParallel scores on every core, to show scoring shares
// nothing and scales.
func BenchmarkScoreParallel(b *testing.B) {
	_, pairs, s := pairList(b)
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		v := make(Vector, len(s.Comparisons()))
		i := 0
		for pb.Next() {
			p := pairs[i]
			s.Score(p[0], p[1], v)
			if i++; i == len(pairs) {
				i = 0
			}
		}
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "pairs/s")
}

// BenchmarkLevels times each comparison alone over the same pairs.
func BenchmarkLevels(b *testing.B) {
	_, pairs, _ := pairList(b)
	for _, c := range append(DefaultComparisons(), FamilyName{}, GivenName{}) {
		b.Run(c.Name(), func(b *testing.B) {
			i := 0
			for b.Loop() {
				p := pairs[i]
				c.Level(p[0], p[1])
				if i++; i == len(pairs) {
					i = 0
				}
			}
		})
	}
}

func BenchmarkJaroWinkler(b *testing.B) {
	b.Run("ascii", func(b *testing.B) {
		for b.Loop() {
			JaroWinkler("nguyen thi ngoc bich", "nguyen thi bich ngoc")
		}
	})
	b.Run("utf8", func(b *testing.B) {
		for b.Loop() {
			JaroWinkler("Nguyễn Thị Ngọc Bích", "Nguyễn Thị Bích Ngọc")
		}
	})
}

func BenchmarkDLWithin(b *testing.B) {
	for _, k := range []int{1, 2} {
		b.Run(string(rune('0'+k)), func(b *testing.B) {
			for b.Loop() {
				DLWithin("nguyen thi ngoc bich", "nguyen thi ngco bich", k)
			}
		})
	}
}

// BenchmarkNewRecord is the one-off cost of preparing a record, paid once
// per register person and per sector record.
func BenchmarkNewRecord(b *testing.B) {
	p := samplePerson()
	f := FieldsOf(&p)
	b.ReportAllocs()
	for b.Loop() {
		NewRecord(f)
	}
}
