package engine

import (
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"runtime"
	"runtime/metrics"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/populus-vn/populus/internal/progress"
	"github.com/populus-vn/populus/internal/reconcile"
	"github.com/populus-vn/populus/internal/reconcile/sector"
	"github.com/populus-vn/populus/internal/vntext"
)

// DefaultSeed is the sampling seed of a run that names none.
const DefaultSeed = 1

// Config tunes a run. The zero value is the defaults.
type Config struct {
	// Threshold is the probability (of the best candidate, against all the
	// record's candidates) from which a probabilistic match is applied
	// automatically; 0 means 0.999. Below it a plausible candidate is
	// reported as ambiguous, for review, never applied.
	Threshold float64
	// ReviewFloor is the probability of the best pair below which the
	// record is not found rather than ambiguous; 0 means 0.5.
	ReviewFloor float64
	// Margin, in bits: a record whose two best candidates' weights are
	// closer is ambiguous whatever the threshold; 0 means 3.
	Margin float64
	// LoneThreshold and LoneMargin link the only plausible person: a best
	// candidate whose probability on its own reaches LoneThreshold (0
	// means 0.7, about 1.2 bits) with no other candidate within LoneMargin
	// bits (0 means 6) is applied as a match although its probability is
	// below Threshold, unless the record's date of birth contradicts the
	// person's (the date comparison's "else"; a missing date or one that
	// agrees in part does not). A record without a PIN whose faults are many rarely
	// reaches 0.999 against a register of millions, while a second person
	// as close is what makes a wrong link; measured on synthetic files of
	// both profiles and several seeds (docs/benchmarks.md). A
	// LoneThreshold above 1 turns the rule off. A record whose PIN is
	// another candidate's is left for review, and so is one tied to the
	// person by the name and part of the date of birth alone, in another
	// province or none (a namesake is as likely).
	LoneThreshold float64
	LoneMargin    float64
	// OneToOne assigns each person to at most one record (the sector
	// database should hold each person once); see Run.
	OneToOne bool
	// MaxBlock leaves out of blocking the keys that more than this many
	// register records share (Nguyễn born in 1990 in a national
	// register); 0 means 200. The estimate counts what it leaves out.
	MaxBlock int
	// Workers score records in parallel; 0 means GOMAXPROCS.
	Workers int
	// TrainSample is the number of sector records sampled to estimate the
	// model on; 0 means 20,000.
	TrainSample int
	// UPairs is the number of random pairs per comparison for u; 0 means
	// 100,000.
	UPairs int
	// MaxEMPairs bounds the pairs of each EM session; 0 means 1,000,000.
	MaxEMPairs int
	// Seed makes the sampling reproducible. The command line and the
	// server both default to DefaultSeed, so that the same file gives the
	// same decisions through either.
	Seed uint64
	// TopN is the number of candidates listed per record; 0 means 3.
	TopN int
	// Explain is the number of sample explanations per decision in the
	// summary; 0 means 3, negative none.
	Explain int
	// Comparisons are the model's; nil means reconcile.DefaultComparisons.
	Comparisons []reconcile.Comparison
	// Model, when set, gives m and u (from an earlier run's summary);
	// they are not estimated. λ is still estimated from the exact-PIN
	// rule, since it depends on the register's size, unless Lambda is set.
	Model *reconcile.Parameters
	// Lambda, when positive, is the prior instead of the estimate.
	Lambda float64
	// Floor times an exact join on PIN of the same file, for comparison.
	Floor bool
	// Progress receives progress bars; nil for none.
	Progress io.Writer
	// Reach, when set, limits the run to the people whose responsible unit
	// (Person.Unit) it holds: no one else is a candidate, in the model's
	// pairs or in the outputs, so the outputs name only people the caller
	// may read. A person without a unit is out of every reach. nil means
	// the whole register.
	Reach func(unit string) bool
	// Disclosed, when set, receives the PINs of the people a batch of
	// decisions names (linked PINs and candidates, in decisions.csv,
	// corrections.csv and the summary's explanations) before the batch is
	// written: the caller records them as read. An error stops the run.
	Disclosed func(pins []string) error
	// Log receives what the run says before and while it runs: the
	// estimated pairs per rule, the model; nil for none.
	Log io.Writer

	// Resuming an interrupted run (resume.go). OnPlan, when set, receives
	// the plan (estimate and model) before the matching pass; Plan, when
	// set, is an earlier run's, used instead of estimating and training.
	// Checkpoint, when set, receives the matching pass's state at batch
	// boundaries, at most every CheckpointEvery (0 means 5 seconds), and
	// when ctx ends the pass; Resume, with Plan, continues from one. The
	// values given to the callbacks are valid only during the call.
	OnPlan          func(*Plan) error
	Plan            *Plan
	Checkpoint      func(Checkpoint) error
	CheckpointEvery time.Duration
	Resume          *Checkpoint
}

func (c Config) withDefaults() Config {
	def := func(p *float64, v float64) {
		if *p <= 0 {
			*p = v
		}
	}
	defInt := func(p *int, v int) {
		if *p <= 0 {
			*p = v
		}
	}
	def(&c.Threshold, 0.999)
	def(&c.ReviewFloor, 0.5)
	def(&c.Margin, 3)
	def(&c.LoneThreshold, 0.7)
	def(&c.LoneMargin, 6)
	defInt(&c.MaxBlock, 200)
	defInt(&c.Workers, runtime.GOMAXPROCS(0))
	defInt(&c.TrainSample, 20_000)
	defInt(&c.UPairs, 100_000)
	defInt(&c.MaxEMPairs, 1_000_000)
	defInt(&c.TopN, 3)
	if c.Explain == 0 {
		c.Explain = 3
	}
	if c.Comparisons == nil {
		c.Comparisons = reconcile.DefaultComparisons()
	}
	if c.Progress == nil {
		c.Progress = io.Discard
	}
	if c.Log == nil {
		c.Log = io.Discard
	}
	if c.CheckpointEvery <= 0 {
		c.CheckpointEvery = 5 * time.Second
	}
	return c
}

// Input is a sector file to reconcile. The file is read more than once
// (estimate, then match), so it is given as a function that opens it.
type Input struct {
	// Name is the file's name, for messages and to recognise Parquet.
	Name    string
	Open    func() (io.ReadCloser, error)
	Mapping *sector.Mapping
	// Truth, when set, opens the truth file (sector.TruthHeader), one
	// line per record in the same order.
	Truth func() (io.ReadCloser, error)
}

// Output receives the CSV files.
type Output struct {
	Decisions   io.Writer
	Corrections io.Writer
	// Misses, when set and the input has a truth file, receives every
	// wrong decision as CSV (MissesHeader): a link to the wrong person, or
	// a record whose person the register holds left unlinked.
	Misses io.Writer
}

// MissesHeader is the header of the misses file: the record, its truth,
// the decision, the true person's place among the candidates (0 when not
// among them), whether the record held a usable PIN, and the reason.
var MissesHeader = []string{"id", "line", "case", "corruptions", "true_pin", "decision", "pin", "probability", "match_weight", "true_rank", "has_pin", "candidates", "reason"}

// DecisionsHeader is the header of the decisions file.
var DecisionsHeader = []string{"id", "line", "decision", "pin", "probability", "match_weight", "candidates", "differing_fields", "reason", "notes"}

// CorrectionsHeader is the header of the corrections file.
var CorrectionsHeader = []string{"id", "field", "sector_value", "register_value", "pin", "line", "column", "action", "register_code", "decision", "probability"}

// item is one row of the sector file, numbered.
type item struct {
	rec sector.Record
	err error
}

// Run reconciles a sector file against the register index:
//
//  1. a first pass over the file prepares every record, counts the pairs
//     each blocking rule yields (exactly: Σ of the register's key
//     frequencies over the records' keys) and draws a uniform sample of
//     records; the estimate is written to cfg.Log before the run;
//  2. the model is estimated on the sample: u from random pairs of records
//     that hold the value, λ from the exact-PIN rule, m by EM on each
//     rule's pairs skipping the comparisons the rule blocks on;
//  3. with OneToOne, two passes give each person to at most one record
//     (claimPass): the first to the strongest record linked to them; the
//     second, with the people held by other records out of each record's
//     running, gives the people still free to the strongest record now
//     linked to them; the records left without their person are ambiguous;
//  4. the matching pass scores every record's candidates with a pool of
//     workers and writes the decisions and corrections in file order.
//
// Memory does not depend on the file's size: records stream through a
// bounded pipeline, the sample is bounded, and one-to-one assignment keeps
// 8 bytes per register person. The register is only read.
func Run(ctx context.Context, x *Index, in Input, out Output, cfg Config) (*Summary, error) {
	cfg = cfg.withDefaults()
	if err := checkResume(&cfg, in); err != nil {
		return nil, err
	}
	start := time.Now()
	r := &run{x: x, in: in, cfg: &cfg, cols: columnsOf(in.Mapping), parsers: make([]*parser, cfg.Workers)}
	sum := &Summary{
		Version:   SummaryVersion,
		Generated: time.Now().UTC().Format(time.RFC3339),
		Register:  x.Stats(),
		Config: ConfigSummary{Threshold: cfg.Threshold, ReviewFloor: cfg.ReviewFloor, Margin: cfg.Margin,
			LoneThreshold: cfg.LoneThreshold, LoneMargin: cfg.LoneMargin, OneToOne: cfg.OneToOne,
			MaxBlock: cfg.MaxBlock, Workers: cfg.Workers, TrainSample: cfg.TrainSample, UPairs: cfg.UPairs,
			MaxEMPairs: cfg.MaxEMPairs, Seed: cfg.Seed, TopN: cfg.TopN},
		Counts:      map[string]int64{},
		Differing:   map[string]int64{},
		Corrections: map[string]map[string]int64{},
	}
	r.sum = sum
	sum.Input.File = in.Name
	if in.Mapping != nil {
		sum.Input.Mapping = in.Mapping.String()
	}
	for _, t := range x.TopFamilyNames() {
		sum.TopFamilyNames = append(sum.TopFamilyNames, TermShare{Value: t.Value, Count: int64(t.Count), Share: float64(t.Count) / float64(max(x.people, 1))})
	}
	for _, k := range Kinds() {
		sum.Counts[k.String()] = 0
	}

	// 1–2. Estimate and train, or take an earlier run's plan.
	if cfg.Plan != nil {
		if err := r.restore(cfg.Plan); err != nil {
			return nil, err
		}
	} else {
		if err := r.prepare(ctx); err != nil {
			return nil, err
		}
		if cfg.OnPlan != nil {
			if err := cfg.OnPlan(r.plan()); err != nil {
				return nil, err
			}
		}
	}

	// 3. One-to-one claims.
	if cfg.OneToOne {
		t := time.Now()
		if err := r.claimPass(ctx); err != nil {
			return nil, err
		}
		sum.Timing.Claims = time.Since(t).Seconds()
	}

	// 4. Match.
	t, cpu := time.Now(), cpuSeconds()
	if err := r.matchPass(ctx, out); err != nil {
		return nil, err
	}
	sum.Timing.Match = time.Since(t).Seconds()
	if c := cpuSeconds(); c > cpu && cfg.Resume == nil {
		sum.Timing.MatchCPU = c - cpu
	}
	if cfg.Resume != nil {
		sum.Timing.Match += cfg.Resume.MatchSeconds
	}
	sum.Timing.Total = time.Since(start).Seconds()
	sum.Timing.Load = x.Stats().LoadSeconds
	sum.Speed = SpeedSummary{Workers: cfg.Workers}
	if s := sum.Timing.Match; s > 0 {
		sum.Speed.RecordsPerSecond = float64(sum.Input.Records) / s
		sum.Speed.PairsPerSecond = float64(sum.Blocking.ScoredPairs) / s
		sum.Speed.PairsPerSecondPerCore = sum.Speed.PairsPerSecond / float64(cfg.Workers)
	}
	if c := sum.Timing.MatchCPU; c > 0 {
		sum.Speed.PairsPerCPUSecond = float64(sum.Blocking.ScoredPairs) / c
	}

	if cfg.Floor {
		f, err := r.floor(ctx)
		if err != nil {
			return nil, err
		}
		if f.Seconds > 0 {
			f.Ratio = sum.Timing.Total / f.Seconds
		}
		sum.Floor = f
	}
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	sum.Memory.HeapInUse, sum.Memory.Sys = int64(ms.HeapInuse), int64(ms.Sys)
	sum.Memory.HeapPeak = max(r.heapPeak, int64(ms.HeapInuse))
	return sum, nil
}

// prepare estimates the pairs, samples and trains the model.
func (r *run) prepare(ctx context.Context) error {
	cfg, sum := r.cfg, r.sum
	// 1. Estimate the pairs and sample.
	t := time.Now()
	sample, err := r.estimate(ctx)
	if err != nil {
		return err
	}
	sum.Timing.Estimate = time.Since(t).Seconds()
	r.printEstimate()

	// 2. Train.
	t = time.Now()
	model, est, err := train(r.x, sample, cfg)
	if err != nil {
		return err
	}
	sum.Estimation = est
	sum.Model = model.Parameters()
	scorer, err := model.Scorer()
	if err != nil {
		return err
	}
	r.scorer = scorer
	sum.Timing.Train = time.Since(t).Seconds()
	fmt.Fprintf(cfg.Log, "Model estimated in %.1fs on %d sampled records: prior λ = %.3g (%.1f bits)\n",
		sum.Timing.Train, est.Sample, model.Lambda, reconcile.PriorWeight(model.Lambda))
	return nil
}

// run is the state of one Run.
type run struct {
	x        *Index
	in       Input
	cfg      *Config
	cols     columns
	sum      *Summary
	scorer   *reconcile.Scorer
	claims   *claims
	heapPeak int64
	records  int64
	header   []string
	parsers  []*parser // by worker
	// source is the reader of the pass's rows, whose order of day and
	// month the workers' readers follow (sector.Reader.FollowDateOrder):
	// set before its first row is read.
	source *sector.Reader
}

const batchSize = 128

// raw is one row of the sector file as read, before its values are
// understood; err is a *sector.RowError for a row that cannot be used.
type raw struct {
	values []string
	line   int
	enc    vntext.Encoding // the legacy encoding the row's text was read from
	err    error
}

// produce streams the sector file's rows in batches. It only splits the
// CSV: understanding the values (dates, units, numbers) is the costly part
// and is done by the workers (parse).
func (r *run) produce(ctx context.Context, emit func([]raw) error) error {
	f, err := r.in.Open()
	if err != nil {
		return err
	}
	defer f.Close()
	rows, err := sector.OpenRows(f, r.in.Name)
	if err != nil {
		return err
	}
	// Bind the mapping to the header once here, for its errors (a
	// column the header lacks) to name the header's line. The workers'
	// readers follow this one, which reads ahead to learn the order of
	// day and month of the file's dates.
	src, err := sector.NewReader(rows, r.in.Mapping)
	if err != nil {
		return err
	}
	r.header = rows.Header()
	// src reads ahead at its first row, before the first batch is handed
	// on; the workers read what it learnt (Follow) only after that.
	r.source = src
	batch := make([]raw, 0, batchSize)
	for {
		values, line, enc, err := src.NextRaw()
		if err == io.EOF {
			break
		}
		if err != nil && !sector.IsRowError(err) {
			return err
		}
		batch = append(batch, raw{values: slices.Clone(values), line: line, enc: enc, err: err})
		if len(batch) == batchSize {
			if err := emit(batch); err != nil {
				return err
			}
			batch = make([]raw, 0, batchSize)
		}
	}
	if len(batch) > 0 {
		return emit(batch)
	}
	return nil
}

// oneRow is a sector.Rows that replays one row at a time, so that each
// worker reads values through its own sector.Reader.
type oneRow struct {
	header []string
	values []string
	line   int
	enc    vntext.Encoding
	done   bool
}

func (o *oneRow) Header() []string { return o.header }

// DecodedAs is the legacy encoding the row's text was read from.
func (o *oneRow) DecodedAs() vntext.Encoding { return o.enc }

func (o *oneRow) Next() ([]string, int, error) {
	if o.done {
		return nil, 0, io.EOF
	}
	o.done = true
	return o.values, o.line, nil
}

// parser is one worker's reader of values.
type parser struct {
	rows   *oneRow
	reader *sector.Reader
}

// parse understands the values of a batch of rows on worker w.
func (r *run) parse(w int, batch []raw) []item {
	p := r.parsers[w]
	if p == nil {
		p = &parser{rows: &oneRow{header: r.header, done: true}}
		var err error
		if p.reader, err = sector.NewReader(p.rows, r.in.Mapping); err != nil {
			panic("reconcile: a mapping bound once no longer binds: " + err.Error())
		}
		// The pass's reader read ahead before handing on its first batch.
		p.reader.FollowDateOrder(r.source.DateOrder())
		r.parsers[w] = p
	}
	out := make([]item, len(batch))
	for i, x := range batch {
		if x.err != nil {
			out[i] = item{rec: sector.Record{Line: x.line}, err: x.err}
			continue
		}
		p.rows.values, p.rows.line, p.rows.enc, p.rows.done = x.values, x.line, x.enc, false
		rec, err := p.reader.Next()
		out[i] = item{rec: rec, err: err}
	}
	return out
}

// estimate is the first pass: it counts each rule's pairs and draws the
// training sample.
func (r *run) estimate(ctx context.Context) ([]reconcile.Record, error) {
	cfg := r.cfg
	matchers := make([]*matcher, cfg.Workers)
	for i := range matchers {
		matchers[i] = newMatcher(r.x, nil, cfg, r.cols, nil)
	}
	type prepped struct {
		recs []reconcile.Record
		ok   []bool
	}
	rng := rand.New(rand.NewPCG(cfg.Seed, 0x5a3))
	var sample []reconcile.Record
	seen := int64(0)
	bar := progress.New(cfg.Progress, 0, "estimating pairs")
	in := &r.sum.Input
	in.Notes = map[string]int64{}
	in.Unreadable = map[string]int64{}
	work := func(w int, batch []item) prepped {
		p := prepped{recs: make([]reconcile.Record, len(batch)), ok: make([]bool, len(batch))}
		secs := make([]*reconcile.Record, len(batch))
		for i := range batch {
			if batch[i].err != nil {
				continue
			}
			p.recs[i] = matchers[w].prep.Record(FieldsOf(&batch[i].rec))
			p.ok[i] = true
			secs[i] = &p.recs[i]
		}
		matchers[w].gather(secs, false)
		return p
	}
	// The notes are counted here, once; the batch's items are needed, so
	// they travel with the result.
	type both struct {
		items []item
		p     prepped
	}
	err := runOrdered(ctx, cfg.Workers, 4*cfg.Workers, r.produce,
		func(w int, batch []raw) both {
			items := r.parse(w, batch)
			return both{items, work(w, items)}
		},
		func(b both) error {
			for i := range b.items {
				in.Records++
				if b.items[i].err != nil {
					in.RowErrors++
					continue
				}
				if n := b.items[i].rec.Notes; len(n) > 0 {
					in.RecordsWithNotes++
					for _, note := range n {
						in.Notes[note.Field.String()]++
						if note.Unreadable {
							in.Unreadable[note.Field.String()]++
						}
					}
				}
				// Reservoir sampling (Algorithm R).
				seen++
				if len(sample) < cfg.TrainSample {
					sample = append(sample, b.p.recs[i])
				} else if j := rng.Int64N(seen); j < int64(cfg.TrainSample) {
					sample[j] = b.p.recs[i]
				}
			}
			bar.Add(int64(len(b.items)))
			return nil
		})
	if err != nil {
		return nil, err
	}
	bar.Done()
	r.records = in.Records
	in.MonthFirst = r.source.DateOrder()
	total := make([]ruleRun, len(r.x.rules))
	for _, m := range matchers {
		for i, st := range m.rules {
			total[i].add(st)
		}
	}
	bs := &r.sum.Blocking
	stats := r.x.Stats().Rules
	for i, rule := range r.x.rules {
		rs := RuleSummary{Name: rule.Name, Description: rule.Description, Skip: rule.Skip,
			EstimatedPairs: total[i].Pairs, CappedLookups: total[i].Capped, CappedPairs: total[i].CappedPairs, FilteredRecords: total[i].Filtered, Probes: total[i].Probes, ProbedPairs: total[i].ProbedPairs,
			Lookups: total[i].Lookups, EstimateSeconds: float64(total[i].Nanos) / 1e9}
		if i < len(stats) {
			rs.RegisterKeys, rs.MaxKey = stats[i].Keys, stats[i].MaxKey
		}
		bs.Rules = append(bs.Rules, rs)
		bs.EstimatedPairs += total[i].Pairs
	}
	return sample, nil
}

func (a *ruleRun) add(b ruleRun) {
	a.Lookups += b.Lookups
	a.Pairs += b.Pairs
	a.Capped += b.Capped
	a.CappedPairs += b.CappedPairs
	a.Filtered += b.Filtered
	a.Probes += b.Probes
	a.ProbedPairs += b.ProbedPairs
	a.Nanos += b.Nanos
}

func (r *run) printEstimate() {
	w := r.cfg.Log
	in := &r.sum.Input
	fmt.Fprintf(w, "%s: %d records (%d rows in error, %d with notes) against %d people\n",
		r.in.Name, in.Records, in.RowErrors, in.RecordsWithNotes, r.x.people)
	fmt.Fprintf(w, "Blocking: estimated candidate pairs per rule (keys held by more than %d register records left out)\n", r.cfg.MaxBlock)
	fmt.Fprintf(w, "  %-18s %15s %12s %15s %10s %13s\n", "rule", "pairs", "left out", "pairs left out", "seconds", "probed pairs")
	for _, rs := range r.sum.Blocking.Rules {
		fmt.Fprintf(w, "  %-18s %15d %12d %15d %10.2f %13d\n", rs.Name, rs.EstimatedPairs, rs.CappedLookups, rs.CappedPairs, rs.EstimateSeconds, rs.ProbedPairs)
	}
	fmt.Fprintf(w, "  %-18s %15d\n", "all rules", r.sum.Blocking.EstimatedPairs)
}

// claimPass finds, for one-to-one assignment, the strongest record linked
// to each person, in two rounds over the file. The first links every
// record as if alone and gives each person to the strongest record linked
// to them. The second decides again with the people given to other records
// out of each record's running (a twin's record whose best candidate went
// to the other twin's record competes for the rest) and gives the people
// still free to the strongest record now linked to them. The matching pass
// decides as the second round did and keeps, for each person, that one
// record. Memory: 8 bytes per register person per round.
func (r *run) claimPass(ctx context.Context) error {
	bar := progress.New(r.cfg.Progress, 2*r.records, "one-to-one")
	first := newClaims(r.x.people)
	if err := r.claimRound(ctx, nil, first, bar); err != nil {
		return err
	}
	next := newClaims(r.x.people)
	if err := r.claimRound(ctx, first, next, bar); err != nil {
		return err
	}
	bar.Done()
	first.next = next
	r.claims = first
	return nil
}

// claimRound decides every record under the claims held (nil in the first
// round) and offers the people linked to into to.
func (r *run) claimRound(ctx context.Context, held, to *claims, bar *progress.Bar) error {
	matchers := r.matchers(held)
	type link struct {
		person uint32
		line   int
		w      float64
	}
	type links struct {
		n  int
		ls []link
	}
	return runOrdered(ctx, r.cfg.Workers, 4*r.cfg.Workers, r.produce,
		func(w int, rows []raw) links {
			batch := r.parse(w, rows)
			out := links{n: len(batch)}
			m := matchers[w]
			recs := make([]reconcile.Record, len(batch))
			secs := make([]*reconcile.Record, len(batch))
			for i := range batch {
				if batch[i].err == nil {
					recs[i] = m.prep.Record(FieldsOf(&batch[i].rec))
					secs[i] = &recs[i]
				}
			}
			m.gather(secs, true)
			for i := range batch {
				if batch[i].err != nil {
					continue
				}
				d := m.decide(i, &batch[i].rec, secs[i])
				if d.Kind.Linked() && (held == nil || d.offer) {
					out.ls = append(out.ls, link{d.person, d.Line, d.Weight})
				}
			}
			return out
		},
		func(ls links) error {
			for _, l := range ls.ls {
				to.claim(l.person, l.line, l.w)
			}
			bar.Add(int64(ls.n))
			return nil
		})
}

func (r *run) matchers(cl *claims) []*matcher {
	ms := make([]*matcher, r.cfg.Workers)
	for i := range ms {
		ms[i] = newMatcher(r.x, r.scorer, r.cfg, r.cols, cl)
	}
	return ms
}

// blockedCheck returns the truth reader's test of blocking: whether the
// register holds the person of a true PIN, and whether blocking gives that
// person as a candidate of a record. It gathers the record's candidates
// again, on its own matcher: a truth file is for measuring, and the run's
// matchers have moved on to other batches.
func (r *run) blockedCheck() func(sec *reconcile.Record, pin string) (bool, bool) {
	m := newMatcher(r.x, nil, r.cfg, r.cols, nil)
	return func(sec *reconcile.Record, pin string) (bool, bool) {
		p, ok := r.x.FindPIN(pin)
		if !ok {
			return false, false
		}
		m.gather([]*reconcile.Record{sec}, true)
		_, found := slices.BinarySearch(m.cands(0), uint32(p))
		return true, found
	}
}

// result is a decided record.
type result struct {
	d   Decision
	sec reconcile.Record
}

// matchPass scores and decides every record and writes the outputs.
func (r *run) matchPass(ctx context.Context, out Output) error {
	cfg, sum := r.cfg, r.sum
	matchers := r.matchers(r.claims)
	st := &matchState{dec: &counter{w: orDiscard(out.Decisions)}, cor: &counter{w: orDiscard(out.Corrections)},
		acc: tally{hist: make([]int64, histBins), nanos: make([]int64, len(r.x.rules))}, start: time.Now()}
	st.last = st.start
	dw, cw := csv.NewWriter(st.dec), csv.NewWriter(st.cor)
	if cfg.Resume == nil {
		if err := dw.Write(DecisionsHeader); err != nil {
			return err
		}
		if err := cw.Write(CorrectionsHeader); err != nil {
			return err
		}
	}
	var truth *truthReader
	if r.in.Truth != nil {
		f, err := r.in.Truth()
		if err != nil {
			return err
		}
		defer f.Close()
		if truth, err = newTruthReader(f); err != nil {
			return err
		}
		truth.blocked = r.blockedCheck()
		if out.Misses != nil {
			truth.misses = csv.NewWriter(out.Misses)
			if err := truth.misses.Write(MissesHeader); err != nil {
				return err
			}
		}
	}
	sum.Weights = WeightHistogram{Min: histMin, BinWidth: 1, Best: map[string][]int64{}}
	explained := map[Kind]int{}
	r.resumeMatch(st, explained)
	bar := progress.New(cfg.Progress, r.records, "records")
	bar.Add(st.records)
	row := make([]string, len(DecisionsHeader))
	crow := make([]string, len(CorrectionsHeader))
	heap := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	batches := 0

	work := func(w int, rows []raw) matched {
		batch := r.parse(w, rows)
		m := matchers[w]
		before := m.tally()
		res := make([]result, len(batch))
		secs := make([]*reconcile.Record, len(batch))
		for i := range batch {
			if it := &batch[i]; it.err == nil {
				res[i].sec = m.prep.Record(FieldsOf(&it.rec))
				secs[i] = &res[i].sec
			}
		}
		m.gather(secs, true)
		for i := range batch {
			it := &batch[i]
			if it.err != nil {
				res[i].d = Decision{Line: it.rec.Line, Kind: Invalid, Reason: it.err.Error()}
				continue
			}
			res[i].d = m.decide(i, &it.rec, secs[i])
		}
		return matched{res, m.tally().since(before)}
	}
	var pins []string
	consume := func(b matched) error {
		rs := b.rs
		if cfg.Disclosed != nil {
			pins = pins[:0]
			for i := range rs {
				d := &rs[i].d
				if d.PIN != "" {
					pins = append(pins, d.PIN)
				}
				for _, c := range d.Candidates {
					if c.PIN != d.PIN {
						pins = append(pins, c.PIN)
					}
				}
			}
			if len(pins) > 0 {
				slices.Sort(pins)
				if err := cfg.Disclosed(slices.Compact(pins)); err != nil {
					return fmt.Errorf("record the people disclosed: %w", err)
				}
			}
		}
		for i := range rs {
			d := &rs[i].d
			k := d.Kind.String()
			sum.Counts[k]++
			for _, f := range d.Differing {
				sum.Differing[f]++
			}
			if d.hasTop {
				h := sum.Weights.Best[k]
				if h == nil {
					h = make([]int64, histBins)
					sum.Weights.Best[k] = h
				}
				h[histBin(d.Weight)]++
			}
			if err := dw.Write(decisionRow(row, d)); err != nil {
				return err
			}
			for _, c := range d.Corrections {
				if sum.Corrections[c.Field] == nil {
					sum.Corrections[c.Field] = map[string]int64{}
				}
				sum.Corrections[c.Field][c.Action]++
				if err := cw.Write(correctionRow(crow, d, &c)); err != nil {
					return err
				}
			}
			if d.hasTop && explained[d.Kind] < cfg.Explain {
				explained[d.Kind]++
				sum.Explanations = append(sum.Explanations, r.explain(d, &rs[i].sec))
			}
			if truth != nil {
				var sec *reconcile.Record
				if d.Kind != Invalid {
					sec = &rs[i].sec
				}
				if err := truth.add(d, sec); err != nil {
					return err
				}
			}
		}
		bar.Add(int64(len(rs)))
		if batches++; batches%64 == 0 {
			metrics.Read(heap)
			r.heapPeak = max(r.heapPeak, int64(heap[0].Value.Uint64()))
		}
		st.records += int64(len(rs))
		st.acc.add(b.t)
		if cfg.Checkpoint != nil && time.Since(st.last) >= cfg.CheckpointEvery {
			dw.Flush()
			cw.Flush()
			if err := errors.Join(dw.Error(), cw.Error()); err != nil {
				return err
			}
			return r.checkpoint(st)
		}
		return nil
	}
	if err := runOrdered(ctx, cfg.Workers, 4*cfg.Workers, r.produceFrom(st.records), work, consume); err != nil {
		// Ended by ctx (a shutdown), the pass stopped between batches:
		// what was consumed is whole, and a last checkpoint keeps it.
		if ctx.Err() != nil && cfg.Checkpoint != nil {
			dw.Flush()
			cw.Flush()
			if errors.Join(dw.Error(), cw.Error()) == nil {
				err = errors.Join(err, r.checkpoint(st))
			}
		}
		return err
	}
	bar.Done()
	dw.Flush()
	cw.Flush()
	if err := errors.Join(dw.Error(), cw.Error()); err != nil {
		return err
	}

	// The workers' statistics, merged batch by batch.
	sum.Weights.Pairs = st.acc.hist
	bs := &sum.Blocking
	bs.ScoredPairs = st.acc.scores
	slowest := -1.0
	for i := range bs.Rules {
		bs.Rules[i].Seconds = float64(st.acc.nanos[i]) / 1e9
		if bs.Rules[i].Seconds > slowest {
			slowest, bs.Slowest = bs.Rules[i].Seconds, bs.Rules[i].Name
		}
	}
	for _, n := range sum.Weights.Pairs {
		bs.CandidatePairs += n
	}
	if truth != nil {
		sum.Truth = truth.finish()
		if truth.misses != nil {
			truth.misses.Flush()
			if err := truth.misses.Error(); err != nil {
				return err
			}
		}
	}
	return nil
}

func orDiscard(w io.Writer) io.Writer {
	if w == nil {
		return io.Discard
	}
	return w
}

// explain returns the waterfall of a decision's best candidate.
func (r *run) explain(d *Decision, sec *reconcile.Record) ExplanationSample {
	e := r.scorer.Explain(sec, r.x.rec(d.best))
	s := ExplanationSample{ID: d.ID, Line: d.Line, Decision: d.Kind.String(), Prior: e.Prior, Weight: e.Weight,
		Probability: e.Probability, CompetingProbability: d.Probability, Terms: explanationOf(e), Reason: d.Reason}
	if len(d.Candidates) > 0 {
		s.PIN, s.OtherName = d.Candidates[0].PIN, d.Candidates[0].OtherName
	}
	return s
}

func formatFloat(f float64, prec int) string { return strconv.FormatFloat(f, 'f', prec, 64) }

// cell neutralises a text cell for spreadsheets (OWASP CSV injection): a
// value that begins with =, +, -, @, a tab or a carriage return would be
// read as a formula by Excel, LibreOffice or Google Sheets, so it is
// prefixed with a single quote, which they show as text. A value that
// begins with a quote gets one too, so that removing one leading quote
// always gives the value back (the Parquet outputs do). Only text columns
// go through it (identifiers, names, addresses, reasons); numeric columns
// (line, probability, match_weight, which may be negative) are written as
// numbers.
func cell(s string) string {
	if s != "" {
		switch s[0] {
		case '=', '+', '-', '@', '\t', '\r', '\'':
			return "'" + s
		}
	}
	return s
}

func decisionRow(row []string, d *Decision) []string {
	row[0], row[1], row[2], row[3] = cell(d.ID), strconv.Itoa(d.Line), d.Kind.String(), cell(d.PIN)
	row[4], row[5] = "", ""
	if d.hasTop {
		row[4], row[5] = formatFloat(d.Probability, 6), formatFloat(d.Weight, 2)
	}
	// "PIN w=%.2f p=%.6f", built without fmt: a row per record.
	var buf [192]byte
	b := buf[:0]
	for i, c := range d.Candidates {
		if i > 0 {
			b = append(b, "; "...)
		}
		b = append(append(b, c.PIN...), " w="...)
		b = strconv.AppendFloat(b, c.Weight, 'f', 2, 64)
		b = append(b, " p="...)
		b = strconv.AppendFloat(b, c.Probability, 'f', 6, 64)
		if c.OtherName {
			b = append(b, " (other name)"...)
		}
	}
	row[6] = cell(string(b))
	row[7] = cell(strings.Join(d.Differing, " "))
	row[8] = cell(d.Reason)
	row[9] = ""
	if len(d.Notes) > 0 {
		var nb strings.Builder
		for i, n := range d.Notes {
			if i > 0 {
				nb.WriteString("; ")
			}
			nb.WriteString(n.String())
		}
		row[9] = cell(nb.String())
	}
	return row
}

func correctionRow(row []string, d *Decision, c *Correction) []string {
	row[0], row[1], row[2], row[3], row[4] = cell(d.ID), cell(c.Field), cell(c.SectorValue), cell(c.RegisterValue), cell(d.PIN)
	row[5], row[6], row[7], row[8] = strconv.Itoa(d.Line), cell(c.Column), c.Action, cell(c.RegisterCode)
	row[9], row[10] = d.Kind.String(), formatFloat(d.Probability, 6)
	return row
}

// floor times an exact join on PIN of the same file: split the CSV, take
// the PIN column, drop separators, look the number up; nothing else, on
// one goroutine.
func (r *run) floor(ctx context.Context) (*FloorSummary, error) {
	ri := slices.IndexFunc(r.x.rules, func(x Rule) bool { return x.Name == "pin" })
	if ri < 0 {
		return nil, errors.New("reconcile: no pin rule to join on")
	}
	col := -1
	start := time.Now()
	f := &FloorSummary{}
	var k keyer
	var digits []byte
	err := r.produce(ctx, func(batch []raw) error {
		if col < 0 {
			col = slices.Index(r.header, r.cols.of(sector.FieldPIN))
		}
		for _, x := range batch {
			f.Records++
			if x.err != nil || col < 0 || col >= len(x.values) {
				continue
			}
			digits = digits[:0]
			for _, c := range []byte(x.values[col]) {
				if c >= '0' && c <= '9' {
					digits = append(digits, c)
				}
			}
			if len(digits) != 12 {
				continue
			}
			k.start(3)
			k.buf = append(append(k.buf, digits...), 0)
			if len(r.x.blocks[ri].lookup(hashKey(k.buf))) > 0 {
				f.Matched++
			}
		}
		return ctx.Err()
	})
	f.Seconds = time.Since(start).Seconds()
	return f, err
}
