package engine

import (
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"slices"
	"time"

	"github.com/populus-vn/populus/internal/reconcile"
)

// Resuming a run.
//
// A run that may be interrupted (a background job in the server) is made
// resumable with three hooks of Config:
//
//   - OnPlan receives the Plan once the estimate pass and the training are
//     done: the description of the input, the blocking estimate and the
//     model (m, u, λ). The caller stores it. Given back as Config.Plan, it
//     makes a run skip the estimate pass and the training and match with
//     exactly that model, so the decisions are those the first run would
//     have taken.
//   - Checkpoint receives, during the matching pass, at batch boundaries
//     and at most every CheckpointEvery, how many records are decided and
//     written, the byte offsets of the two outputs at that point (the CSV
//     writers have been flushed to Output's writers), and the partial counts
//     the summary needs. It receives one more when ctx ends the pass (a
//     graceful shutdown). The caller makes the outputs durable (fsync)
//     before it stores the checkpoint.
//   - Resume (with Plan) starts the matching pass from a checkpoint: the
//     caller has truncated the outputs to the checkpoint's offsets and
//     gives writers that append to them (OpenAppend); the run writes no
//     header, skips the first Records rows of the input without parsing
//     or scoring them, carries on, and its summary counts every record.
//
// With OneToOne the claims pass, which depends only on the model and the
// file, is run again on resume. A truth file cannot be combined with Resume
// (its partial state is not kept). The decisions of a resumed run equal
// those of an uninterrupted one as long as the register index is the same.

// PlanVersion is the version of Plan's layout.
const PlanVersion = 1

// Plan is what a run settles before its matching pass.
type Plan struct {
	Version    int                  `json:"version"`
	Input      InputSummary         `json:"input"`
	Blocking   BlockingSummary      `json:"blocking"`
	Estimation Estimation           `json:"estimation"`
	Model      reconcile.Parameters `json:"model"`
	// EstimateSeconds and TrainSeconds are the time the first run took.
	EstimateSeconds float64 `json:"estimate_seconds"`
	TrainSeconds    float64 `json:"train_seconds"`
}

// CheckpointVersion is the version of Checkpoint's layout.
const CheckpointVersion = 1

// Checkpoint is the state of a matching pass after Records records (rows of
// the input, rows in error included) were decided and written.
type Checkpoint struct {
	Version int   `json:"version"`
	Records int64 `json:"records"`
	// DecisionsOffset and CorrectionsOffset are the bytes written to each
	// output, its header included.
	DecisionsOffset   int64 `json:"decisions_offset"`
	CorrectionsOffset int64 `json:"corrections_offset"`
	// The partial counts of the summary.
	Counts       map[string]int64            `json:"counts"`
	Differing    map[string]int64            `json:"differing"`
	Corrections  map[string]map[string]int64 `json:"corrections"`
	Best         map[string][]int64          `json:"best"`
	Pairs        []int64                     `json:"pairs"`
	ScoredPairs  int64                       `json:"scored_pairs"`
	RuleNanos    []int64                     `json:"rule_nanos"`
	Explanations []ExplanationSample         `json:"explanations"`
	// MatchSeconds is the time spent matching so far, over every attempt.
	MatchSeconds float64 `json:"match_seconds"`
}

// OpenAppend opens an output file to resume writing it at offset: the file
// is truncated to offset (what a checkpoint counted as written) and the
// returned file writes from there.
func OpenAppend(path string, offset int64) (*os.File, error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, err
	}
	st, err := f.Stat()
	if err == nil && st.Size() < offset {
		err = fmt.Errorf("reconcile: %s holds %d bytes, fewer than the checkpoint's %d", path, st.Size(), offset)
	}
	if err == nil {
		err = f.Truncate(offset)
	}
	if err == nil {
		_, err = f.Seek(offset, io.SeekStart)
	}
	if err != nil {
		f.Close()
		return nil, err
	}
	return f, nil
}

// checkResume checks the resumption hooks of cfg against the input.
func checkResume(cfg *Config, in Input) error {
	if cfg.Resume == nil {
		return nil
	}
	if cfg.Plan == nil {
		return errors.New("reconcile: resuming from a checkpoint needs the run's plan")
	}
	if in.Truth != nil {
		return errors.New("reconcile: a run with a truth file cannot be resumed")
	}
	if cfg.Resume.Version != CheckpointVersion {
		return fmt.Errorf("reconcile: checkpoint version %d, not %d", cfg.Resume.Version, CheckpointVersion)
	}
	if cfg.Resume.Records < 0 || cfg.Resume.Records > cfg.Plan.Input.Records {
		return fmt.Errorf("reconcile: the checkpoint is after %d records; the input has %d", cfg.Resume.Records, cfg.Plan.Input.Records)
	}
	return nil
}

// restore takes the input's description, the blocking estimate and the
// model from an earlier run's plan instead of estimating them.
func (r *run) restore(p *Plan) error {
	if p.Version != PlanVersion {
		return fmt.Errorf("reconcile: plan version %d, not %d", p.Version, PlanVersion)
	}
	sum := r.sum
	if p.Input.Mapping != sum.Input.Mapping {
		return fmt.Errorf("reconcile: the plan was made with the mapping %q, not %q", p.Input.Mapping, sum.Input.Mapping)
	}
	if len(p.Blocking.Rules) != len(r.x.rules) {
		return fmt.Errorf("reconcile: the plan has %d blocking rules, the index %d", len(p.Blocking.Rules), len(r.x.rules))
	}
	m := reconcile.NewModel(r.cfg.Comparisons...)
	if err := m.SetParameters(p.Model); err != nil {
		return fmt.Errorf("reconcile: the plan's model: %w", err)
	}
	scorer, err := m.Scorer()
	if err != nil {
		return err
	}
	r.scorer = scorer
	sum.Input = p.Input
	if sum.Input.Notes == nil {
		sum.Input.Notes = map[string]int64{}
	}
	sum.Blocking = p.Blocking
	sum.Blocking.Rules = slices.Clone(p.Blocking.Rules)
	sum.Estimation = p.Estimation
	sum.Model = m.Parameters()
	sum.Timing.Estimate, sum.Timing.Train = p.EstimateSeconds, p.TrainSeconds
	r.records = p.Input.Records
	return nil
}

// plan returns the run's plan, once trained.
func (r *run) plan() *Plan {
	sum := r.sum
	p := &Plan{Version: PlanVersion, Input: sum.Input, Blocking: sum.Blocking, Estimation: sum.Estimation, Model: sum.Model,
		EstimateSeconds: sum.Timing.Estimate, TrainSeconds: sum.Timing.Train}
	p.Input.Notes = maps.Clone(sum.Input.Notes)
	p.Input.Unreadable = maps.Clone(sum.Input.Unreadable)
	p.Blocking.Rules = slices.Clone(sum.Blocking.Rules)
	return p
}

// produceFrom is produce without the first skip rows: they are split but
// neither parsed nor scored.
func (r *run) produceFrom(skip int64) func(ctx context.Context, emit func([]raw) error) error {
	if skip <= 0 {
		return r.produce
	}
	return func(ctx context.Context, emit func([]raw) error) error {
		seen := int64(0)
		return r.produce(ctx, func(batch []raw) error {
			if seen >= skip {
				return emit(batch)
			}
			n := int64(len(batch))
			if seen+n <= skip {
				seen += n
				return ctx.Err()
			}
			k := skip - seen
			seen = skip
			return emit(batch[k:])
		})
	}
}

// tally is what matchers counted: pairs scored, the histogram of their
// weights and the time of each rule. Each batch's tally travels with its
// results, so that the counts at a checkpoint are those of the records
// written, whatever the workers have done since.
type tally struct {
	scores int64
	hist   []int64
	nanos  []int64
}

func (m *matcher) tally() tally {
	t := tally{scores: m.scores, hist: slices.Clone(m.hist), nanos: make([]int64, len(m.rules))}
	for i, st := range m.rules {
		t.nanos[i] = st.Nanos
	}
	return t
}

// since returns t less an earlier tally of the same matcher.
func (t tally) since(before tally) tally {
	t.scores -= before.scores
	for i := range t.hist {
		t.hist[i] -= before.hist[i]
	}
	for i := range t.nanos {
		t.nanos[i] -= before.nanos[i]
	}
	return t
}

func (t *tally) add(d tally) {
	t.scores += d.scores
	for i := range d.hist {
		t.hist[i] += d.hist[i]
	}
	for i := range d.nanos {
		t.nanos[i] += d.nanos[i]
	}
}

// matched is a decided batch with what deciding it counted.
type matched struct {
	rs []result
	t  tally
}

// counter counts the bytes written through it.
type counter struct {
	w io.Writer
	n int64
}

func (c *counter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}

// matchState is the matching pass's running state: what a checkpoint holds
// beyond the summary's maps.
type matchState struct {
	records  int64 // decided and written
	acc      tally
	dec, cor *counter
	prior    float64 // match seconds of earlier attempts
	start    time.Time
	last     time.Time
}

// resumeMatch sets the summary's partial counts and the pass's state from
// the checkpoint cfg.Resume, if any.
func (r *run) resumeMatch(st *matchState, explained map[Kind]int) {
	cp := r.cfg.Resume
	if cp == nil {
		return
	}
	sum := r.sum
	st.records, st.prior = cp.Records, cp.MatchSeconds
	st.dec.n, st.cor.n = cp.DecisionsOffset, cp.CorrectionsOffset
	for k, n := range cp.Counts {
		sum.Counts[k] = n
	}
	maps.Copy(sum.Differing, cp.Differing)
	for f, as := range cp.Corrections {
		sum.Corrections[f] = maps.Clone(as)
	}
	for k, h := range cp.Best {
		if len(h) == histBins {
			sum.Weights.Best[k] = slices.Clone(h)
		}
	}
	if len(cp.Pairs) == histBins {
		copy(st.acc.hist, cp.Pairs)
	}
	st.acc.scores = cp.ScoredPairs
	if len(cp.RuleNanos) == len(st.acc.nanos) {
		copy(st.acc.nanos, cp.RuleNanos)
	}
	sum.Explanations = slices.Clone(cp.Explanations)
	kinds := map[string]Kind{}
	for _, k := range Kinds() {
		kinds[k.String()] = k
	}
	for _, e := range sum.Explanations {
		explained[kinds[e.Decision]]++
	}
}

// checkpoint reports the pass's state to cfg.Checkpoint; the CSV writers
// must have been flushed.
func (r *run) checkpoint(st *matchState) error {
	sum := r.sum
	cp := Checkpoint{Version: CheckpointVersion, Records: st.records, DecisionsOffset: st.dec.n, CorrectionsOffset: st.cor.n,
		Counts: sum.Counts, Differing: sum.Differing, Corrections: sum.Corrections, Best: sum.Weights.Best,
		Pairs: st.acc.hist, ScoredPairs: st.acc.scores, RuleNanos: st.acc.nanos, Explanations: sum.Explanations,
		MatchSeconds: st.prior + time.Since(st.start).Seconds()}
	st.last = time.Now()
	return r.cfg.Checkpoint(cp)
}
