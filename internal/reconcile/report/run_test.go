package report

import (
	"bytes"
	"context"
	"io"
	"sync"
	"testing"

	"github.com/populus-vn/populus/internal/people"
	"github.com/populus-vn/populus/internal/reconcile/engine"
	"github.com/populus-vn/populus/internal/reconcile/sector"
	"github.com/populus-vn/populus/internal/reconcile/sectorsynth"
	"github.com/populus-vn/populus/internal/synth"
)

// A real run of the engine: a synthetic register of runPeople indexed in
// memory, a drivers' file of runRecords records derived from it, reconciled
// with and without its ground truth. Made once for all the tests.
const (
	runPeople  = 4000
	runRecords = 800
)

var (
	runOnce            sync.Once
	withTruth, noTruth *engine.Summary
	runErr             error
)

func summaries(t testing.TB) (truth, plain *engine.Summary) {
	t.Helper()
	runOnce.Do(func() {
		ctx := context.Background()
		pop := synth.Config{People: runPeople, Seed: 2}
		var f, tr bytes.Buffer
		kind := sector.Drivers
		if runErr = sectorsynth.Synthesize(ctx, sectorsynth.SynthConfig{Kind: kind, Records: runRecords, Seed: 7}, sectorsynth.SynthPopulation(pop), &f, &tr); runErr != nil {
			return
		}
		b := engine.NewIndexBuilder(nil, runPeople)
		if runErr = synth.Generate(ctx, pop, func(_ *people.Household, ms []people.Person) error {
			for i := range ms {
				b.Add(engine.PersonOf(&ms[i]))
			}
			return nil
		}); runErr != nil {
			return
		}
		x := b.Build()
		open := func(b []byte) func() (io.ReadCloser, error) {
			return func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(b)), nil }
		}
		in := engine.Input{Name: "drivers.csv", Mapping: kind.Mapping(), Open: open(f.Bytes()), Truth: open(tr.Bytes())}
		if withTruth, runErr = engine.Run(ctx, x, in, engine.Output{}, engine.Config{Seed: 1, Floor: true, Workers: 2}); runErr != nil {
			return
		}
		in.Truth = nil
		noTruth, runErr = engine.Run(ctx, x, in, engine.Output{}, engine.Config{Seed: 1, OneToOne: true, Workers: 2})
	})
	if runErr != nil {
		t.Fatal(runErr)
	}
	return withTruth, noTruth
}
