package engine

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"github.com/populus-vn/populus/internal/people"
	"github.com/populus-vn/populus/internal/reconcile/sector"
	"github.com/populus-vn/populus/internal/reconcile/sectorsynth"
	"github.com/populus-vn/populus/internal/synth"
)

// synthIndex builds a synthetic register of n people in memory and a
// sector file of records drivers' licences derived from it.
func synthIndex(t *testing.T, nPeople, records int) (*Index, []byte) {
	t.Helper()
	ctx := context.Background()
	pop := synth.Config{People: nPeople, Seed: 2}
	var f, tr bytes.Buffer
	if err := sectorsynth.Synthesize(ctx, sectorsynth.SynthConfig{Kind: sector.Drivers, Records: records, Seed: 4}, sectorsynth.SynthPopulation(pop), &f, &tr); err != nil {
		t.Fatal(err)
	}
	b := NewIndexBuilder(nil, nPeople)
	err := synth.Generate(ctx, pop, func(_ *people.Household, ms []people.Person) error {
		for i := range ms {
			b.Add(PersonOf(&ms[i]))
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return b.Build(), f.Bytes()
}

// TestResume interrupts a run by cancelling its context, then resumes it
// from an earlier checkpoint (as after a crash: the outputs hold more than
// the checkpoint counted) and from the last one (as after a graceful
// shutdown), and compares both with an uninterrupted run.
func TestResume(t *testing.T) {
	x, file := synthIndex(t, 3000, 1500)
	in := bytesInput("drivers.csv", file, nil, sector.Drivers.Mapping())
	base := Config{Seed: 1, Workers: 2, OneToOne: true}

	var wantDec, wantCor bytes.Buffer
	want, err := Run(context.Background(), x, in, Output{Decisions: &wantDec, Corrections: &wantCor}, base)
	if err != nil {
		t.Fatal(err)
	}

	dir := t.TempDir()
	decPath, corPath := filepath.Join(dir, "decisions.csv"), filepath.Join(dir, "corrections.csv")
	dec, _ := os.Create(decPath)
	cor, _ := os.Create(corPath)
	ctx, cancel := context.WithCancel(context.Background())
	var plan []byte
	var cps []Checkpoint
	cfg := base
	cfg.OnPlan = func(p *Plan) error {
		plan, err = json.Marshal(p)
		return err
	}
	cfg.CheckpointEvery = time.Nanosecond
	cfg.Checkpoint = func(cp Checkpoint) error {
		b, err := json.Marshal(cp) // as a store keeps it
		if err != nil {
			return err
		}
		var c Checkpoint
		if err := json.Unmarshal(b, &c); err != nil {
			return err
		}
		cps = append(cps, c)
		if len(cps) == 4 {
			cancel()
		}
		return nil
	}
	_, err = Run(ctx, x, in, Output{Decisions: dec, Corrections: cor}, cfg)
	dec.Close()
	cor.Close()
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("interrupted run: %v", err)
	}
	if len(cps) < 5 || plan == nil {
		t.Fatalf("%d checkpoints (want a last one at the cancellation), plan %v", len(cps), plan != nil)
	}
	if last := cps[len(cps)-1]; last.Records != cps[3].Records || last.Records >= want.Input.Records {
		t.Fatalf("last checkpoint after %d records, the fourth after %d, of %d", last.Records, cps[3].Records, want.Input.Records)
	}

	for _, from := range []int{1, len(cps) - 1} {
		cp := cps[from]
		var p Plan
		if err := json.Unmarshal(plan, &p); err != nil {
			t.Fatal(err)
		}
		d, err := OpenAppend(decPath, cp.DecisionsOffset)
		if err != nil {
			t.Fatal(err)
		}
		c, err := OpenAppend(corPath, cp.CorrectionsOffset)
		if err != nil {
			t.Fatal(err)
		}
		cfg := base
		cfg.Plan, cfg.Resume = &p, &cp
		got, err := Run(context.Background(), x, in, Output{Decisions: d, Corrections: c}, cfg)
		d.Close()
		c.Close()
		if err != nil {
			t.Fatalf("resumed from checkpoint %d: %v", from, err)
		}
		gotDec, _ := os.ReadFile(decPath)
		gotCor, _ := os.ReadFile(corPath)
		if !bytes.Equal(gotDec, wantDec.Bytes()) {
			t.Errorf("from checkpoint %d (%d records): decisions.csv differs (%d bytes, want %d)", from, cp.Records, len(gotDec), wantDec.Len())
		}
		if !bytes.Equal(gotCor, wantCor.Bytes()) {
			t.Errorf("from checkpoint %d: corrections.csv differs (%d bytes, want %d)", from, len(gotCor), wantCor.Len())
		}
		same := func(name string, a, b any) {
			if !reflect.DeepEqual(a, b) {
				t.Errorf("from checkpoint %d: %s = %v, want %v", from, name, a, b)
			}
		}
		same("input", got.Input, want.Input)
		same("counts", got.Counts, want.Counts)
		same("differing", got.Differing, want.Differing)
		same("corrections", got.Corrections, want.Corrections)
		same("best weights", got.Weights.Best, want.Weights.Best)
		same("pair weights", got.Weights.Pairs, want.Weights.Pairs)
		same("scored pairs", got.Blocking.ScoredPairs, want.Blocking.ScoredPairs)
		same("candidate pairs", got.Blocking.CandidatePairs, want.Blocking.CandidatePairs)
		same("model", got.Model, want.Model)
		same("explanations", len(got.Explanations), len(want.Explanations))
		for i := range min(len(got.Explanations), len(want.Explanations)) {
			same("explanation", got.Explanations[i].ID, want.Explanations[i].ID)
		}
	}
}

// A resumed run refuses a checkpoint without a plan, and a truth file.
func TestResumeChecks(t *testing.T) {
	x := memIndex(t)
	m, _ := sector.ParseMapping(goldenMapping)
	in := bytesInput("a.csv", []byte(base), nil, m)
	if _, err := Run(context.Background(), x, in, Output{}, Config{Resume: &Checkpoint{Version: CheckpointVersion}}); err == nil {
		t.Error("a checkpoint without a plan was accepted")
	}
	in.Truth = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(nil)), nil }
	if _, err := Run(context.Background(), x, in, Output{}, Config{Plan: &Plan{Version: PlanVersion}, Resume: &Checkpoint{Version: CheckpointVersion}}); err == nil {
		t.Error("a resumed run with a truth file was accepted")
	}
}
