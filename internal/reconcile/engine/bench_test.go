package engine

import (
	"bytes"
	"context"
	"sync"
	"testing"

	"github.com/populus-vn/populus/internal/people"
	"github.com/populus-vn/populus/internal/reconcile/sector"
	"github.com/populus-vn/populus/internal/reconcile/sectorsynth"
	"github.com/populus-vn/populus/internal/synth"
)

// benchWorld is a register of 20,000 synthetic people indexed in memory
// and 3,000 drivers' licences derived from it.
var (
	benchOnce  sync.Once
	benchIdx   *Index
	benchFile  []byte
	benchTruth []byte
	benchErr   error
)

func benchSetup(b *testing.B) {
	benchOnce.Do(func() {
		ctx := context.Background()
		cfg := synth.Config{People: e2ePeople, Seed: e2eSeed}
		bld := NewIndexBuilder(nil, e2ePeople)
		benchErr = synth.Generate(ctx, cfg, func(_ *people.Household, ms []people.Person) error {
			for i := range ms {
				p := &ms[i]
				bld.Add(PersonOf(p))
			}
			return nil
		})
		if benchErr != nil {
			return
		}
		benchIdx = bld.Build()
		var f, t bytes.Buffer
		benchErr = sectorsynth.Synthesize(ctx, sectorsynth.SynthConfig{Kind: sector.Drivers, Records: e2eDrivers, Seed: 5},
			sectorsynth.SynthPopulation(cfg), &f, &t)
		benchFile, benchTruth = f.Bytes(), t.Bytes()
	})
	if benchErr != nil {
		b.Fatal(benchErr)
	}
}

// BenchmarkPipeline runs the whole pipeline on 3,000 drivers' records
// against 20,000 people: reading and parsing the file twice (estimate and
// match), estimating the model (u, λ, EM per rule), scoring, deciding and
// writing the outputs. records/s and pairs/s are per run, on all
// GOMAXPROCS workers; pairs/s counts every scored pair (other names too).
func BenchmarkPipeline(b *testing.B) {
	benchPipeline(b, Config{Seed: 1})
}

// BenchmarkPipelineKnownModel is the pipeline with m and u given (the
// service's steady state): no EM.
func BenchmarkPipelineKnownModel(b *testing.B) {
	benchPipeline(b, Config{Seed: 1, Model: loadModel(b)})
}

func benchPipeline(b *testing.B, cfg Config) {
	benchSetup(b)
	in := bytesInput("drivers.csv", benchFile, nil, sector.Drivers.Mapping())
	var sum *Summary
	var err error
	var records, pairs int64
	var match float64
	b.ReportAllocs()
	for b.Loop() {
		sum, err = Run(context.Background(), benchIdx, in, Output{}, cfg)
		if err != nil {
			b.Fatal(err)
		}
		records += sum.Input.Records
		pairs += sum.Blocking.ScoredPairs
		match += sum.Timing.Match
	}
	s := b.Elapsed().Seconds()
	b.ReportMetric(float64(records)/s, "records/s")
	b.ReportMetric(float64(pairs)/s, "pairs/s")
	b.ReportMetric(float64(pairs)/match, "match-pass-pairs/s")
}
