package main

import (
	"context"
	"fmt"
	"io"
	"runtime"
	"strings"
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
	f := newFlags("seed", env, stdout)
	f.summary = "Loads a synthetic population into the register of --data or --db, creating the store if need be."
	c.MayCreate = true
	f.store(&c)
	f.int(&nPeople, "people", "POPULUS_SEED_PEOPLE", 20000, "number of people to generate")
	f.int(&seed, "seed", "POPULUS_SEED", 1, "random seed: the same seed gives the same population")
	f.bool(&force, "force", "POPULUS_SEED_FORCE", false, "seed even if the register already holds people")
	var history bool
	var moveTo string
	f.bool(&history, "history", "POPULUS_SEED_HISTORY", false, "also write each person's past as dated events: birth, moves, marriage, corrections, death")
	f.string(&moveTo, "move-to", "POPULUS_SEED_MOVE_TO", "", "with --history: comma-separated commune codes that some households moved to over the years")
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
	if history {
		var to []string
		if moveTo != "" {
			to = strings.Split(moveTo, ",")
		}
		if err := writeStory(ctx, p, uint64(seed), to, stdout); err != nil {
			return err
		}
	} else if moveTo != "" {
		return fmt.Errorf("--move-to: only with --history")
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

// writeStory writes the past of the population just seeded (register.Story):
// a share of households moved to the communes of moveTo years ago.
func writeStory(ctx context.Context, p *platform, seed uint64, moveTo []string, out io.Writer) error {
	fmt.Fprintln(out, "Writing each person's past: births, moves, marriages, corrections, deaths…")
	st, err := register.Story(ctx, p.DB, nil, register.StoryOptions{Seed: seed, Now: synth.DefaultNow, MoveTo: moveTo, MoveShare: 0.06, CorrectShare: 0.03})
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "Wrote %d events for %d people; %d households moved to %s\n", st.Events, st.People, st.Moved, strings.Join(moveTo, ", "))
	return nil
}
