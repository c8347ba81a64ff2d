// Package service is reconciliation as a service for member systems (a
// bank, a ministry, a province's civil-status office): a member uploads a
// sector file, follows the job's progress, and downloads the decisions,
// the corrections, the summary and the report, through the API or the
// officers' page.
//
// Jobs are rows of reconcile_jobs; files live under the data directory,
// <data>/reconcile/<job id>/ (input.csv or input.parquet, plan.json,
// decisions.csv, corrections.csv, summary.json, report.html). A pool of
// workers in the server runs queued jobs in the background with
// engine.Run, checkpointing as they go: a job interrupted by a crash or a
// shutdown resumes from its last checkpoint at the next start (see
// README.md). The member is the account's unit (auth.Principal.Unit); it
// sees only its own jobs, within per-member limits.
package service

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"time"

	"github.com/populus-vn/populus/internal/audit"
	"github.com/populus-vn/populus/internal/auth"
	"github.com/populus-vn/populus/internal/db"
	"github.com/populus-vn/populus/internal/reconcile/engine"
	"github.com/populus-vn/populus/internal/reconcile/sector"
	"github.com/populus-vn/populus/internal/register"
)

// Limits bound what one member may ask of the service. Zero values are the
// defaults.
type Limits struct {
	// MaxRunning is the member's jobs that run at once (default 1);
	// MaxQueued those that wait besides (default 4). A submission beyond
	// both is refused with 429.
	MaxRunning int
	MaxQueued  int
	// MaxUploadBytes bounds an uploaded file (default 1 GiB; 413).
	MaxUploadBytes int64
	// MaxRecords bounds the rows of one file (default 10,000,000; 413).
	MaxRecords int64
	// MaxMemberBytes bounds the bytes of a member's stored files, inputs
	// and results of all its jobs (default 20 GiB; 413): an upload that
	// would pass it is refused, and a member frees space by deleting its
	// finished jobs' files (DELETE on the job).
	MaxMemberBytes int64
}

func (l Limits) withDefaults() Limits {
	if l.MaxRunning <= 0 {
		l.MaxRunning = 1
	}
	if l.MaxQueued < 0 {
		l.MaxQueued = 0
	} else if l.MaxQueued == 0 {
		l.MaxQueued = 4
	}
	if l.MaxUploadBytes <= 0 {
		l.MaxUploadBytes = 1 << 30
	}
	if l.MaxRecords <= 0 {
		l.MaxRecords = 10_000_000
	}
	if l.MaxMemberBytes <= 0 {
		l.MaxMemberBytes = 20 << 30
	}
	return l
}

// Config is what the service needs.
type Config struct {
	DB      *db.DB
	DataDir string // jobs' files go under DataDir/reconcile
	// Guard decides who may submit and read jobs; Audit records the
	// submissions and downloads.
	Guard  *auth.Guard
	Audit  *audit.Log
	Logger *slog.Logger
	Limits Limits
	// Workers is the number of jobs run at once, all members together
	// (default 1); EngineWorkers the engine's workers per job (default
	// GOMAXPROCS).
	Workers       int
	EngineWorkers int
	// CheckpointEvery is how often a running job records its progress and
	// checkpoint (default 2 s); Poll how often idle workers look for jobs
	// queued by another process (default 5 s).
	CheckpointEvery time.Duration
	Poll            time.Duration
	// LoadIndex loads the register index and Fingerprint returns the
	// register's version, to know when to load it again; nil for
	// engine.Load on DB and RegisterFingerprint.
	LoadIndex   func(ctx context.Context) (*engine.Index, error)
	Fingerprint func(ctx context.Context) (string, error)
	// Report writes report.html of a finished job from its summary; nil
	// for none (report.html is then 404).
	Report func(w io.Writer, sum *engine.Summary) error
}

// Service runs and serves the jobs.
type Service struct {
	cfg    Config
	limits Limits
	store  *store
	log    *slog.Logger
	index  *indexCache

	// admitMu serialises admissions; uploading counts, per member, the
	// submissions admitted whose row is not stored yet.
	admitMu   sync.Mutex
	uploading map[string]int

	mu      sync.Mutex
	running map[string]*live // jobs running in this process
	wake    chan struct{}
	stop    context.CancelCauseFunc
	base    context.Context
	wg      sync.WaitGroup

	// afterCheckpoint, in tests, sees each checkpoint stored.
	afterCheckpoint func(id string, cp []byte)
}

// live is a job running in this process.
type live struct {
	cancel context.CancelCauseFunc
	// The rate is measured from the first checkpoint of this attempt.
	since        time.Time
	sinceDecided int64
	at           time.Time
	decided      int64
}

var (
	errShutdown  = errors.New("the server is shutting down")
	errCancelled = errors.New("the job was cancelled")
)

// New returns the service; Start runs its workers.
func New(cfg Config) *Service {
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.Workers <= 0 {
		cfg.Workers = 1
	}
	if cfg.EngineWorkers <= 0 {
		cfg.EngineWorkers = runtime.GOMAXPROCS(0)
	}
	if cfg.CheckpointEvery <= 0 {
		cfg.CheckpointEvery = 2 * time.Second
	}
	if cfg.Poll <= 0 {
		cfg.Poll = 5 * time.Second
	}
	if cfg.LoadIndex == nil {
		d := cfg.DB
		cfg.LoadIndex = func(ctx context.Context) (*engine.Index, error) { return engine.Load(ctx, d, engine.LoadOptions{}) }
	}
	if cfg.Fingerprint == nil {
		d := cfg.DB
		cfg.Fingerprint = func(ctx context.Context) (string, error) { return RegisterFingerprint(ctx, d) }
	}
	return &Service{cfg: cfg, limits: cfg.Limits.withDefaults(), store: &store{db: cfg.DB}, log: cfg.Logger,
		index: &indexCache{load: cfg.LoadIndex, fingerprint: cfg.Fingerprint}, running: map[string]*live{}, uploading: map[string]int{}, wake: make(chan struct{}, 1)}
}

// RegisterFingerprint is the register's version as the index cache sees
// it: the number of people and the last history entry. Every change through
// the register appends a history entry (person_events, append-only, its id
// increasing) and a bulk import changes the number of people, so the index
// is loaded again after either. Both are cheap: an index seek and a count.
func RegisterFingerprint(ctx context.Context, d *db.DB) (string, error) {
	people, last, err := register.Version(ctx, d)
	if err != nil {
		return "", fmt.Errorf("reconcile: the register's version: %w", err)
	}
	return fmt.Sprintf("%d/%d", people, last), nil
}

// indexCache holds the register index jobs share: loaded once, loaded again
// when the register's fingerprint changed. Jobs already running keep the
// index they started with.
type indexCache struct {
	mu          sync.Mutex
	x           *engine.Index
	fp          string
	load        func(ctx context.Context) (*engine.Index, error)
	fingerprint func(ctx context.Context) (string, error)
}

func (c *indexCache) get(ctx context.Context) (*engine.Index, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	fp, err := c.fingerprint(ctx)
	if err != nil {
		return nil, err
	}
	if c.x != nil && fp == c.fp {
		return c.x, nil
	}
	c.x = nil // the old one goes once its jobs end
	x, err := c.load(ctx)
	if err != nil {
		return nil, err
	}
	c.x, c.fp = x, fp
	return x, nil
}

// owner is the principal a job runs for: the staff account that submitted
// it, with the role and unit it had then.
func (s *Service) owner(j Job) auth.Principal {
	return auth.Staff(j.OwnerID, j.Owner, "", j.Role, j.Unit)
}

// Dir is where the jobs' files live.
func (s *Service) Dir() string { return filepath.Join(s.cfg.DataDir, "reconcile") }

func (s *Service) jobDir(id string) string { return filepath.Join(s.Dir(), id) }

// Start re-queues the jobs a stopped process left running (they resume from
// their checkpoint) and starts the workers. Stop stops them.
func (s *Service) Start(ctx context.Context) error {
	n, err := s.store.requeue(ctx)
	if err != nil {
		return fmt.Errorf("reconcile jobs: %w", err)
	}
	if n > 0 {
		s.log.Info("reconcile jobs interrupted by the last stop queued again", "jobs", n)
	}
	s.base, s.stop = context.WithCancelCause(context.WithoutCancel(ctx))
	for range s.cfg.Workers {
		s.wg.Go(s.worker)
	}
	return nil
}

// Stop checkpoints and stops the running jobs, which go back to the queue,
// and waits for the workers.
func (s *Service) Stop() {
	if s.stop == nil {
		return
	}
	s.stop(errShutdown)
	s.wg.Wait()
}

// Wait waits for the workers to end (after Stop, or a context given to
// Start that ends).
func (s *Service) Wait() { s.wg.Wait() }

func (s *Service) signal() {
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

func (s *Service) worker() {
	t := time.NewTicker(s.cfg.Poll)
	defer t.Stop()
	for {
		if s.base.Err() != nil {
			return
		}
		j, ok, err := s.store.claim(s.base, s.limits.MaxRunning)
		if err != nil && s.base.Err() == nil {
			s.log.Error("reconcile: claim a job", "err", err)
		}
		if ok {
			s.run(j)
			continue
		}
		select {
		case <-s.base.Done():
			return
		case <-s.wake:
		case <-t.C:
		}
	}
}

// run runs one claimed job to its end, its interruption or its failure.
func (s *Service) run(j Job) {
	ctx, cancel := context.WithCancelCause(s.base)
	defer cancel(nil)
	lv := &live{cancel: cancel}
	s.mu.Lock()
	s.running[j.ID] = lv
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		delete(s.running, j.ID)
		s.mu.Unlock()
		s.signal() // the member may have another job waiting
	}()
	log := s.log.With("job", j.ID, "unit", j.Unit)
	log.Info("reconcile job started", "resume", j.Checkpoint != "")
	sum, err := s.execute(ctx, j, lv)
	bg := context.WithoutCancel(ctx)
	switch cause := context.Cause(ctx); {
	case err == nil:
		if err := s.store.finish(bg, j.ID, Done, sum.Input.Records, sum.Input.Records, sum.Counts, ""); err != nil {
			log.Error("reconcile job: record its end", "err", err)
			return
		}
		log.Info("reconcile job done", "records", sum.Input.Records, "seconds", sum.Timing.Total)
	case errors.Is(cause, errShutdown):
		if err := s.store.setQueued(bg, j.ID); err != nil {
			log.Error("reconcile job: queue again", "err", err)
		}
		log.Info("reconcile job stopped by the shutdown; it resumes at the next start")
	case errors.Is(cause, errCancelled) || errors.Is(err, errNotRunning):
		os.RemoveAll(s.jobDir(j.ID))
		log.Info("reconcile job cancelled")
	default:
		log.Warn("reconcile job failed", "err", err)
		if err := s.store.finish(bg, j.ID, Failed, -1, lv.decided, nil, err.Error()); err != nil {
			log.Error("reconcile job: record its failure", "err", err)
		}
	}
}

// Files of a job's directory.
const (
	planFile        = "plan.json"
	decisionsFile   = "decisions.csv"
	correctionsFile = "corrections.csv"
	summaryFile     = "summary.json"
	reportFile      = "report.html"
)

// inputFile is the name the upload is kept under: input.csv or
// input.parquet, as the engine recognises the format by the name.
func inputFile(name string) string {
	if ext := filepath.Ext(name); len(ext) > 1 && equalFold(ext, ".parquet") {
		return "input.parquet"
	}
	return "input.csv"
}

func equalFold(a, b string) bool { return len(a) == len(b) && (a == b || lower(a) == lower(b)) }

func lower(s string) string {
	b := []byte(s)
	for i, c := range b {
		if 'A' <= c && c <= 'Z' {
			b[i] = c + 'a' - 'A'
		}
	}
	return string(b)
}

// mappingOf returns the job's mapping.
func mappingOf(j Job) (*sector.Mapping, error) {
	if j.Options.Kind != "" {
		k, err := sector.ParseKind(j.Options.Kind)
		if err != nil {
			return nil, err
		}
		return k.Mapping(), nil
	}
	return sector.ParseMapping(j.Mapping)
}

// execute runs the engine on the job, from its plan and checkpoint if it has
// them.
func (s *Service) execute(ctx context.Context, j Job, lv *live) (*engine.Summary, error) {
	dir := s.jobDir(j.ID)
	m, err := mappingOf(j)
	if err != nil {
		return nil, err
	}
	inPath := filepath.Join(dir, inputFile(j.FileName))
	if _, err := os.Stat(inPath); err != nil {
		return nil, fmt.Errorf("the uploaded file is missing from the data directory: %w", err)
	}
	in := engine.Input{Name: j.FileName, Mapping: m, Open: func() (io.ReadCloser, error) { return os.Open(inPath) }}
	o := j.Options
	cfg := engine.Config{Threshold: o.Threshold, ReviewFloor: o.ReviewFloor, Margin: o.Margin, OneToOne: o.OneToOne,
		MaxBlock: o.MaxBlock, Seed: o.Seed, Workers: s.cfg.EngineWorkers, CheckpointEvery: s.cfg.CheckpointEvery}

	// The plan (the model), then the checkpoint, if the job got that far.
	planPath := filepath.Join(dir, planFile)
	if b, err := os.ReadFile(planPath); err == nil {
		var p engine.Plan
		if err := json.Unmarshal(b, &p); err != nil {
			return nil, fmt.Errorf("the job's plan: %w", err)
		}
		cfg.Plan = &p
		if j.Checkpoint != "" {
			var cp engine.Checkpoint
			if err := json.Unmarshal([]byte(j.Checkpoint), &cp); err != nil {
				return nil, fmt.Errorf("the job's checkpoint: %w", err)
			}
			cfg.Resume = &cp
		}
	} else if !errors.Is(err, os.ErrNotExist) {
		return nil, err
	}
	decPath, corPath := filepath.Join(dir, decisionsFile), filepath.Join(dir, correctionsFile)
	var decOff, corOff int64
	if cfg.Resume != nil {
		decOff, corOff = cfg.Resume.DecisionsOffset, cfg.Resume.CorrectionsOffset
	}
	dec, err := engine.OpenAppend(decPath, decOff)
	if err != nil {
		return nil, err
	}
	defer dec.Close()
	cor, err := engine.OpenAppend(corPath, corOff)
	if err != nil {
		return nil, err
	}
	defer cor.Close()

	bg := context.WithoutCancel(ctx)
	cfg.OnPlan = func(p *engine.Plan) error {
		b, err := json.Marshal(p)
		if err != nil {
			return err
		}
		if err := writeFileSync(planPath, b); err != nil {
			return err
		}
		return s.store.setRead(bg, j.ID, p.Input.Records)
	}
	cfg.Checkpoint = func(cp engine.Checkpoint) error {
		// The outputs are durable up to the offsets before the checkpoint
		// that counts them is.
		if err := errors.Join(dec.Sync(), cor.Sync()); err != nil {
			return err
		}
		b, err := json.Marshal(cp)
		if err != nil {
			return err
		}
		if err := s.store.checkpoint(bg, j.ID, cp.Records, b, cp.Counts); err != nil {
			return err
		}
		now := time.Now()
		s.mu.Lock()
		if lv.since.IsZero() {
			lv.since, lv.sinceDecided = now, cp.Records
		}
		lv.at, lv.decided = now, cp.Records
		s.mu.Unlock()
		if s.afterCheckpoint != nil {
			s.afterCheckpoint(j.ID, b)
		}
		return nil
	}
	// The job matches within its owner's reach, and every person it names
	// is recorded as read by the owner, against the person's PIN, before
	// it is written.
	owner := s.owner(j)
	reach := s.cfg.Guard.Reach(owner, auth.ReadPerson)
	if reach.Nothing() {
		return nil, fmt.Errorf("the role %q of the job's owner may not read people: a job matches only people its owner may read", j.Role)
	}
	if !reach.All {
		in := make(map[string]bool, len(reach.Communes))
		for _, c := range reach.Communes {
			in[c] = true
		}
		cfg.Reach = func(unit string) bool { return in[unit] }
	}
	// Each person named in the results is recorded against their PIN as
	// reconcile.read (not person.read: a job's volume is bounded by the
	// jobs' own limits, not by the per-account limits on interactive reads,
	// internal/secmon).
	detail := "reconcile job " + j.ID
	cfg.Disclosed = func(pins []string) error {
		return s.cfg.Guard.Disclosed(bg, owner, auth.ReadReconcile, detail, pins...)
	}
	x, err := s.index.get(ctx)
	if err != nil {
		return nil, err
	}
	sum, err := engine.Run(ctx, x, in, engine.Output{Decisions: dec, Corrections: cor}, cfg)
	if err != nil {
		return nil, err
	}
	if err := errors.Join(dec.Sync(), cor.Sync()); err != nil {
		return nil, err
	}
	b, err := json.MarshalIndent(sum, "", "  ")
	if err != nil {
		return nil, err
	}
	if err := writeFileSync(filepath.Join(dir, summaryFile), append(b, '\n')); err != nil {
		return nil, err
	}
	if s.cfg.Report != nil {
		if err := s.writeReport(filepath.Join(dir, reportFile), sum); err != nil {
			// The results stand without their report.
			s.log.Warn("reconcile job: report not written", "job", j.ID, "err", err)
		}
	}
	return sum, nil
}

func (s *Service) writeReport(path string, sum *engine.Summary) error {
	return writeFileWith(path, func(w io.Writer) error { return s.cfg.Report(w, sum) })
}

// writeFileSync writes a file whole and durably (see writeFileWith).
func writeFileSync(path string, b []byte) error {
	return writeFileWith(path, func(w io.Writer) error {
		_, err := w.Write(b)
		return err
	})
}

// writeFileWith writes a file whole and durably: write fills a temporary
// file, which is synced and renamed over the name; on failure nothing is
// left.
func writeFileWith(path string, write func(io.Writer) error) error {
	tmp := path + ".tmp"
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return err
	}
	err = write(f)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err != nil {
		os.Remove(tmp)
	}
	return err
}

// liveRate returns the decision rate of a job running in this process.
func (s *Service) liveRate(id string) (rate float64, ok bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	lv := s.running[id]
	if lv == nil || lv.since.IsZero() || !lv.at.After(lv.since) {
		return 0, false
	}
	return float64(lv.decided-lv.sinceDecided) / lv.at.Sub(lv.since).Seconds(), true
}

// cancelRunning stops a job running in this process, if it is.
func (s *Service) cancelRunning(id string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if lv := s.running[id]; lv != nil {
		lv.cancel(errCancelled)
		return true
	}
	return false
}
