package engine

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/populus-vn/populus/internal/people"
	"github.com/populus-vn/populus/internal/reconcile/sector"
	"github.com/populus-vn/populus/internal/reconcile/sectorsynth"
	"github.com/populus-vn/populus/internal/synth"
)

// EnvScale switches TestScale on: PEOPLE:RECORDS[:KIND], e.g.
// POPULUS_RECONCILE_SCALE=1000000:1000000:drivers.
const EnvScale = "POPULUS_RECONCILE_SCALE"

// TestScale measures the engine at the sizes without a store: the
// synthetic register of PEOPLE people indexed in memory (as LoadRegister
// builds it from rows), a sector file of RECORDS records derived from it,
// reconciled with the ground truth. It logs accuracy, speed and memory
// (peak resident set from /proc where there is one). It is skipped unless
// POPULUS_RECONCILE_SCALE is set; README.md gives the commands of the
// benchmarks, which go through the store.
func TestScale(t *testing.T) {
	spec := os.Getenv(EnvScale)
	if spec == "" {
		t.Skipf("set %s=PEOPLE:RECORDS[:KIND] to run", EnvScale)
	}
	parts := strings.Split(spec, ":")
	nPeople, err1 := strconv.Atoi(parts[0])
	records, err2 := strconv.Atoi(parts[min(1, len(parts)-1)])
	kind := sector.Drivers
	if len(parts) > 2 {
		k, err := sector.ParseKind(parts[2])
		if err != nil {
			t.Fatal(err)
		}
		kind = k
	}
	if err1 != nil || err2 != nil || len(parts) < 2 {
		t.Fatalf("%s=%q: want PEOPLE:RECORDS[:KIND]", EnvScale, spec)
	}
	ctx := context.Background()
	pop := synth.Config{People: nPeople, Seed: 1}

	start := time.Now()
	var f, tr bytes.Buffer
	if err := sectorsynth.Synthesize(ctx, sectorsynth.SynthConfig{Kind: kind, Records: records, Seed: 7}, sectorsynth.SynthPopulation(pop), &f, &tr); err != nil {
		t.Fatal(err)
	}
	t.Logf("synthesised %d %s records from %d people in %v (%d MiB)", records, kind, nPeople, time.Since(start).Round(time.Millisecond), f.Len()>>20)

	runtime.GC()
	var before runtime.MemStats
	runtime.ReadMemStats(&before)
	start = time.Now()
	b := NewIndexBuilder(nil, nPeople)
	err := synth.Generate(ctx, pop, func(_ *people.Household, ms []people.Person) error {
		for i := range ms {
			p := &ms[i]
			b.Add(PersonOf(p))
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	x := b.Build()
	runtime.GC()
	var after runtime.MemStats
	runtime.ReadMemStats(&after)
	st := x.Stats()
	t.Logf("index of %d people built in %v: %.0f bytes/person counted, %.0f measured on the heap (%d MiB)",
		nPeople, time.Since(start).Round(time.Millisecond), st.BytesPerPerson,
		float64(after.HeapAlloc-before.HeapAlloc)/float64(nPeople), (after.HeapAlloc-before.HeapAlloc)>>20)

	var log bytes.Buffer
	start = time.Now()
	sum, err := Run(ctx, x, bytesInput(string(kind)+".csv", f.Bytes(), tr.Bytes(), kind.Mapping()), Output{}, Config{Seed: 1, Log: &log, Floor: true, MaxBlock: scaleMaxBlock()})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("run in %v\n%s", time.Since(start).Round(time.Millisecond), log.String())
	tm, sp := sum.Timing, sum.Speed
	t.Logf("timing: estimate %.1fs, train %.1fs, match %.1fs, total %.1fs; floor (exact PIN join) %.2fs, ratio %.1f",
		tm.Estimate, tm.Train, tm.Match, tm.Total, sum.Floor.Seconds, sum.Floor.Ratio)
	t.Logf("speed: %.0f records/s, %.0f pairs/s (%.0f per worker); %d pairs scored", sp.RecordsPerSecond, sp.PairsPerSecond,
		sp.PairsPerSecondPerCore, sum.Blocking.ScoredPairs)
	for _, r := range sum.Blocking.Rules {
		t.Logf("rule %-17s max key %6d; pairs %11d, left out %11d (%d lookups); %.2fs", r.Name, r.MaxKey, r.EstimatedPairs, r.CappedPairs, r.CappedLookups, r.Seconds)
	}
	t.Logf("counts %v", sum.Counts)
	tt := sum.Truth
	t.Logf("precision %.5f recall %.5f F1 %.5f; auto-applied precision %.5f (%d/%d); by case %v",
		tt.Precision, tt.Recall, tt.F1, tt.Auto.Precision, tt.Auto.Correct, tt.Auto.Linked, tt.ByCase)
	for _, e := range tt.Errors[:min(len(tt.Errors), 40)] {
		t.Logf("wrong: %s %-9s %-30s p=%.4f w=%.1f %s | %s", e.Case, e.Decision, e.Corruptions, e.Probability, e.Weight, e.Reason, e.TruePIN)
	}
	t.Logf("memory: heap peak %d MiB, runtime sys %d MiB; %s", sum.Memory.HeapPeak>>20, sum.Memory.Sys>>20, peakRSS())
}

// peakRSS reads the peak resident set size from /proc, where there is one.
func peakRSS() string {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return "peak RSS unknown"
	}
	for _, l := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(l, "VmHWM:") {
			return fmt.Sprint("peak RSS ", strings.TrimSpace(strings.TrimPrefix(l, "VmHWM:")))
		}
	}
	return "peak RSS unknown"
}

func scaleMaxBlock() int {
	n, _ := strconv.Atoi(os.Getenv("POPULUS_RECONCILE_MAX_BLOCK"))
	return n
}
