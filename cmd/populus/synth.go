package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/populus-vn/populus/internal/reconcile/sector"
	"github.com/populus-vn/populus/internal/reconcile/sectorsynth"
	"github.com/populus-vn/populus/internal/synth"
)

// runSynth makes synthetic data: for now, sector files with ground truth
// ("populus synth sector").
func runSynth(ctx context.Context, args []string, env func(string) string, stdout, stderr io.Writer) error {
	if len(args) > 0 && args[0] == "sector" {
		return runSynthSector(ctx, args[1:], env, stdout, stderr)
	}
	if len(args) > 0 && (args[0] == "-h" || args[0] == "-help" || args[0] == "--help" || args[0] == "help") {
		// The help of its one subcommand, flags and all.
		return runSynthSector(ctx, []string{"--help"}, env, stdout, stderr)
	}
	if len(args) == 0 {
		fmt.Fprintln(stderr, "Usage: populus synth sector [flags]; run 'populus synth --help' for the flags.")
		return errUsage
	}
	return fmt.Errorf("synth: unknown subcommand %q; the one subcommand is \"sector\". Run 'populus synth --help'.", args[0])
}

func runSynthSector(ctx context.Context, args []string, env func(string) string, stdout, stderr io.Writer) error {
	var (
		c                               config
		kind, out, truth, profile       string
		n, seed, synthPeople, synthSeed int
	)
	f := newFlags("synth sector", env, stdout)
	f.summary = "Derives a sector file with known errors from the register of --data or --db (or from a synthetic population),\n" +
		"and a truth file with the true PIN of each record."
	f.store(&c)
	f.string(&kind, "kind", "POPULUS_SYNTH_KIND", "drivers", "kind of sector file: drivers, bank or civil-status")
	f.string(&profile, "profile", "POPULUS_SYNTH_PROFILE", "default",
		"corruption model: default (as sector files of the kind usually are) or hard (harsher than real files; see internal/reconcile/sectorsynth/README.md)")
	f.int(&n, "n", "POPULUS_SYNTH_N", 10000, "number of records to write")
	f.int(&seed, "seed", "POPULUS_SYNTH_SEED", 1, "random seed: the same seed and register give the same file")
	f.string(&out, "out", "POPULUS_SYNTH_OUT", "", "sector file to write: CSV, or Parquet when the name ends in .parquet")
	f.string(&truth, "truth", "POPULUS_SYNTH_TRUTH", "", "truth file to write: id, true PIN, case, corruptions (default: the --out name with .truth.csv)")
	f.int(&synthPeople, "synthetic-people", "POPULUS_SYNTH_PEOPLE", 0,
		"derive from the synthetic population of this many people (what 'populus seed --people N' loads) instead of reading the register in the store")
	f.int(&synthSeed, "synthetic-seed", "POPULUS_SYNTH_PEOPLE_SEED", 1, "seed of that synthetic population (as 'populus seed --seed')")
	if err := f.parse(args); err != nil {
		return err
	}
	k, err := sector.ParseKind(kind)
	if err != nil {
		return fmt.Errorf("--kind: %w", err)
	}
	prof, err := sectorsynth.ParseProfile(profile)
	if err != nil {
		return fmt.Errorf("--profile: %w", err)
	}
	if n < 1 || n > 200_000_000 {
		return fmt.Errorf("--n: %d is not between 1 and 200000000", n)
	}
	if seed < 0 || synthSeed < 0 || synthPeople < 0 {
		return errors.New("--seed, --synthetic-seed and --synthetic-people must not be negative")
	}
	if out == "" {
		return errors.New("--out: name the sector file to write")
	}
	base := out
	parquetOut := strings.EqualFold(filepath.Ext(out), ".parquet")
	if parquetOut || strings.EqualFold(filepath.Ext(out), ".csv") {
		base = strings.TrimSuffix(out, filepath.Ext(out))
	}
	if truth == "" {
		truth = base + ".truth.csv"
	}
	if truth == out {
		return errors.New("--truth: the truth file must not be the sector file")
	}

	var pop sectorsynth.Population
	var from string
	if synthPeople > 0 {
		pop = sectorsynth.SynthPopulation(synth.Config{People: synthPeople, Seed: uint64(synthSeed)})
		from = fmt.Sprintf("the synthetic population of %d people (seed %d)", synthPeople, synthSeed)
	} else {
		p, err := open(ctx, c, nil)
		if err != nil {
			return err
		}
		defer p.Close()
		people, err := countPeople(ctx, p)
		if err != nil {
			return err
		}
		if people == 0 {
			return fmt.Errorf("the register in %s is empty: load it first (populus seed), or use --synthetic-people", p.DB.Location)
		}
		pop = sectorsynth.RegisterPopulation(p.DB)
		from = fmt.Sprintf("the register in %s (%d people)", p.DB.Location, people)
	}
	fmt.Fprintf(stdout, "Deriving %d %s records (seed %d) from %s\n", n, k, seed, from)

	start := time.Now()
	err = writeFiles(out, truth, func(o, t io.Writer) error {
		if !parquetOut {
			return sectorsynth.Synthesize(ctx, sectorsynth.SynthConfig{Kind: k, Records: n, Seed: uint64(seed), Profile: prof}, pop, o, t)
		}
		// The same columns as the CSV, as optional strings (empty is
		// null), converted while they are written.
		pw := sector.NewParquetWriter(o, nil)
		if err := sectorsynth.Synthesize(ctx, sectorsynth.SynthConfig{Kind: k, Records: n, Seed: uint64(seed), Profile: prof}, pop, pw, t); err != nil {
			pw.Abort(err)
			return err
		}
		return pw.Close()
	})
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "Wrote %s and its truth file %s in %s\n", out, truth, time.Since(start).Round(time.Millisecond))
	fmt.Fprintf(stdout, "Reconcile it with: populus reconcile %s --kind %s --input %s --truth %s --out %s\n",
		storeArgs(c), k, shellQuote(out), shellQuote(truth), shellQuote(base+"-result"))
	return nil
}

// writeFiles writes two files through fn, each first under a temporary
// name renamed into place on success, so a failed run leaves no partial
// file behind.
func writeFiles(a, b string, fn func(a, b io.Writer) error) error {
	fa, err := os.Create(a + ".tmp")
	if err != nil {
		return err
	}
	defer os.Remove(fa.Name())
	defer fa.Close()
	fb, err := os.Create(b + ".tmp")
	if err != nil {
		return err
	}
	defer os.Remove(fb.Name())
	defer fb.Close()
	wa, wb := bufio.NewWriterSize(fa, 1<<20), bufio.NewWriterSize(fb, 1<<20)
	if err := fn(wa, wb); err != nil {
		return err
	}
	if err := errors.Join(wa.Flush(), wb.Flush(), fa.Close(), fb.Close()); err != nil {
		return err
	}
	if err := os.Rename(fa.Name(), a); err != nil {
		return err
	}
	return os.Rename(fb.Name(), b)
}
