package units

import "testing"

func BenchmarkLoad(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if _, err := load(); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkBuildSearchIndex(b *testing.B) {
	r, err := load()
	if err != nil {
		b.Fatal(err)
	}
	b.Run("current", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			r.buildIndex(segProvince, segCommune)
		}
	})
	b.Run("legacy", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			r.buildIndex(segLegacyProvince, segLegacyCommune)
		}
	})
}

func BenchmarkLookup(b *testing.B) {
	r := Default()
	b.ReportAllocs()
	for b.Loop() {
		if _, ok := r.Lookup("26743"); !ok {
			b.Fatal("not found")
		}
	}
}

func BenchmarkSearch(b *testing.B) {
	r := Default()
	r.Search("", 1) // build the index outside the timing
	for _, q := range []string{"Phường Ba Đình", "hue", "an", "zzzz"} {
		b.Run(q, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				r.Search(q, 10)
			}
		})
	}
}

func BenchmarkSearchLegacy(b *testing.B) {
	r := Default()
	r.SearchLegacy("", 1)
	b.ReportAllocs()
	for b.Loop() {
		r.SearchLegacy("phuong 1", 10)
	}
}
