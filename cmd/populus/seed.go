package main

import (
	"context"
	"fmt"
	"io"
	"runtime"
	"time"

	"github.com/populus-vn/populus/internal/db"
	"github.com/populus-vn/populus/internal/people"
	"github.com/populus-vn/populus/internal/progress"
	"github.com/populus-vn/populus/internal/register"
	"github.com/populus-vn/populus/internal/synth"
)

func runSeed(ctx context.Context, args []string, env func(string) string, stdout, stderr io.Writer) error {
	var c config
	var nPeople, seed int
	var force bool
	f := newFlags("seed", env, stderr)
	f.summary = "Loads a synthetic population into the register of --data or --db, creating the store if need be."
	c.MayCreate = true
	f.store(&c)
	f.int(&nPeople, "people", "POPULUS_SEED_PEOPLE", 20000, "number of people to generate")
	f.int(&seed, "seed", "POPULUS_SEED", 1, "random seed: the same seed gives the same population")
	f.bool(&force, "force", "POPULUS_SEED_FORCE", false, "seed even if the register already holds people")
	if err := f.parse(args); err != nil {
		return err
	}
	if nPeople < 1 || nPeople > 200_000_000 {
		return fmt.Errorf("--people: %d is not between 1 and 200000000", nPeople)
	}
	if seed < 0 {
		return fmt.Errorf("--seed: %d is negative", seed)
	}
	p, err := open(ctx, c, nil)
	if err != nil {
		return err
	}
	defer p.Close()
	if !force {
		n, err := countPeople(ctx, p)
		if err != nil {
			return err
		}
		if n > 0 {
			return fmt.Errorf("the register already holds %d people; seeding would add a second population (use --force to do it anyway)", n)
		}
	}
	fmt.Fprintf(stdout, "Seeding %d people (seed %d) into %s (%s)\n", nPeople, seed, p.DB.Location, p.DB.Engine)
	start := time.Now()
	if err := seedPopulation(ctx, p, nPeople, uint64(seed), stderr); err != nil {
		return err
	}
	took := time.Since(start)
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	fmt.Fprintf(stdout, "Seeded %d people in %s (%.0f people/s; Go heap peak about %d MiB)\n",
		nPeople, took.Round(time.Millisecond), float64(nPeople)/took.Seconds(), ms.HeapSys>>20)
	return nil
}

func countPeople(ctx context.Context, p *platform) (int64, error) {
	return register.Count(ctx, p.DB)
}

// seedPopulation streams the synthetic population into the register: one
// goroutine generates while the caller's writes batches, so both cores work.
func seedPopulation(ctx context.Context, p *platform, nPeople int, seed uint64, progressOut io.Writer) error {
	im := register.NewImporter(p.DB)
	defer im.Close()
	if err := im.Start(ctx); err != nil {
		return err
	}
	bar := progress.New(progressOut, int64(nPeople), "people")
	err := synth.Pipelined(ctx, synth.Config{People: nPeople, Seed: seed}, func(h *people.Household, members []people.Person) error {
		bar.Add(int64(len(members)))
		return im.Add(ctx, h, members)
	})
	if err != nil {
		return err
	}
	bar.Done()
	if p.DB.Engine == db.SQLite {
		fmt.Fprintln(progressOut, "Storing the rows in PIN order and building the indexes…")
	} else {
		fmt.Fprintln(progressOut, "Building the indexes…")
	}
	return im.Finish(ctx)
}
