package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime/debug"
	"strings"

	"github.com/populus-vn/populus/internal/i18n"
	"github.com/populus-vn/populus/internal/reconcile"
	"github.com/populus-vn/populus/internal/reconcile/engine"
	"github.com/populus-vn/populus/internal/reconcile/report"
	"github.com/populus-vn/populus/internal/reconcile/sector"
)

// float adds a float flag defaulting to an environment variable, as the
// other flag helpers do.
func runReconcile(ctx context.Context, args []string, env func(string) string, stdout, stderr io.Writer) error {
	if len(args) > 0 && args[0] == "report" {
		return runReconcileReport(args[1:], env, stdout, stderr)
	}
	var (
		c                                                config
		input, mapping, mappingFile, kind, outDir, truth string
		model                                            string
		cfg                                              engine.Config
		seed                                             int
		quiet                                            bool
		outFormat                                        string
	)
	f := newFlags("reconcile", env, stdout)
	f.summary = "Reconciles a sector file against the register of --data or --db: decisions, corrections, summary and report.\n" +
		"'populus reconcile report --help' rewrites a report from a summary."
	f.envNotes = []string{"GOGC, GOMEMLIMIT: when set, replace the garbage collector's tuning for the register's index"}
	f.store(&c)
	f.string(&input, "input", "POPULUS_RECONCILE_INPUT", "", "sector file to reconcile (UTF-8 CSV, comma or semicolon; an Excel workbook, .xlsx, its first worksheet; or Parquet)")
	f.string(&mapping, "mapping", "POPULUS_RECONCILE_MAPPING", "", "column mapping, e.g. 'id=MA, full_name=HO_TEN, birth_date=NGAY_SINH:DD/MM/YYYY, sex=GIOI_TINH, pin=SO_CCCD, province=TINH'")
	f.string(&mappingFile, "mapping-file", "POPULUS_RECONCILE_MAPPING_FILE", "", "file holding the mapping, one field=COLUMN per line, # comments")
	f.string(&kind, "kind", "POPULUS_RECONCILE_KIND", "", "use the built-in mapping of a synthetic kind: drivers, bank or civil-status")
	f.string(&outDir, "out", "POPULUS_RECONCILE_OUT", "", "directory to write decisions.csv, corrections.csv (.parquet with --format parquet) and summary.json to")
	f.string(&truth, "truth", "POPULUS_RECONCILE_TRUTH", "", "truth file (id,pin,case,corruptions) to measure precision, recall and F1 against")
	var lang string
	f.string(&lang, "lang", "POPULUS_RECONCILE_LANG", "vi", "language of report.html: vi or en")
	f.bool(&cfg.OneToOne, "one-to-one", "POPULUS_RECONCILE_ONE_TO_ONE", false, "the sector database holds each person once: a person linked from several records goes to the strongest one, the others are left for review")
	f.float(&cfg.Threshold, "threshold", "POPULUS_RECONCILE_THRESHOLD", 0.999, "probability from which a probabilistic match is applied; below it a record is left for review")
	f.float(&cfg.ReviewFloor, "review-floor", "POPULUS_RECONCILE_REVIEW_FLOOR", 0.5, "probability of the best candidate below which a record is not found rather than ambiguous")
	f.float(&cfg.Margin, "margin", "POPULUS_RECONCILE_MARGIN", 3, "bits: a record whose two best candidates are closer is ambiguous")
	f.float(&cfg.LoneThreshold, "lone-threshold", "POPULUS_RECONCILE_LONE_THRESHOLD", 0.7,
		"probability from which the only plausible person (no other candidate within --lone-margin bits) is linked although below --threshold; above 1 turns this off")
	f.float(&cfg.LoneMargin, "lone-margin", "POPULUS_RECONCILE_LONE_MARGIN", 6, "bits by which the only plausible person must lead every other candidate")
	f.int(&cfg.MaxBlock, "max-block", "POPULUS_RECONCILE_MAX_BLOCK", 200, "leave out of blocking the keys shared by more register records than this")
	f.int(&cfg.Workers, "workers", "POPULUS_RECONCILE_WORKERS", 0, "records scored in parallel (0: one per CPU)")
	f.int(&cfg.TrainSample, "train-sample", "POPULUS_RECONCILE_TRAIN_SAMPLE", 20000, "sector records sampled to estimate the model on")
	f.int(&seed, "seed", "POPULUS_RECONCILE_SEED", engine.DefaultSeed, "seed of the sampling (the server's default too, so that the same file gives the same decisions)")
	f.string(&model, "model", "POPULUS_RECONCILE_MODEL", "", "reuse m and u from an earlier summary.json (or a saved model) instead of estimating them")
	f.bool(&cfg.Floor, "floor", "POPULUS_RECONCILE_FLOOR", false, "also time an exact join on PIN of the same file, and report the ratio")
	f.bool(&quiet, "quiet", "POPULUS_RECONCILE_QUIET", false, "no progress bars")
	f.string(&outFormat, "format", "POPULUS_RECONCILE_FORMAT", "csv", "format of decisions and corrections: csv or parquet")
	if err := f.parse(args); err != nil {
		return err
	}
	if input == "" {
		return errors.New("--input: name the sector file to reconcile")
	}
	if outDir == "" {
		return errors.New("--out: name the directory to write the results to")
	}
	if outFormat = strings.ToLower(outFormat); outFormat != "csv" && outFormat != "parquet" {
		return fmt.Errorf("--format: %q is not csv or parquet", outFormat)
	}
	m, err := readMapping(mapping, mappingFile, kind)
	if err != nil {
		return err
	}
	if !(cfg.LoneThreshold > 0) || !(cfg.LoneMargin >= 0) {
		return fmt.Errorf("--lone-threshold %v must be above 0 (above 1 turns the rule off) and --lone-margin %v not negative", cfg.LoneThreshold, cfg.LoneMargin)
	}
	if !(cfg.Threshold > 0 && cfg.Threshold < 1) || !(cfg.ReviewFloor > 0 && cfg.ReviewFloor < 1) {
		return fmt.Errorf("--threshold %v and --review-floor %v must be probabilities strictly between 0 and 1", cfg.Threshold, cfg.ReviewFloor)
	}
	for _, x := range []struct {
		name string
		bad  bool
		want string
	}{
		{"--margin", !(cfg.Margin >= 0), "not negative (bits)"},
		{"--max-block", cfg.MaxBlock < 1, "positive"},
		{"--train-sample", cfg.TrainSample < 1, "positive"},
		{"--workers", cfg.Workers < 0, "not negative (0: one per CPU)"},
		{"--seed", seed < 0, "not negative"},
	} {
		if x.bad {
			return fmt.Errorf("%s must be %s", x.name, x.want)
		}
	}
	// What is quick to check is checked before the input, which is read
	// whole (minutes for a national file), and the input before the
	// register is loaded, which takes minutes at national scale.
	cfg.Seed = uint64(seed)
	if model != "" {
		if cfg.Model, err = readModel(model); err != nil {
			return err
		}
	}
	if truth != "" {
		if _, err := os.Stat(truth); err != nil {
			return fmt.Errorf("--truth: %w", err)
		}
	}
	cat, err := i18n.Load(report.Messages)
	if err != nil {
		return err
	}
	if !cat.Supported(lang) {
		return fmt.Errorf("--lang: %q is not vi or en", lang)
	}
	// Before --out is made: a wrong --data leaves no folder behind.
	if err := requireData(c); err != nil {
		return err
	}
	if err := checkInput(input, m, stderr); err != nil {
		return err
	}
	if w := blockingWarning(m); w != "" {
		fmt.Fprintln(stderr, "populus reconcile: warning: "+w)
	}
	if err := makeOutDir(outDir); err != nil {
		return err
	}

	progressOut := stderr
	if quiet {
		progressOut = io.Discard
	}
	p, err := open(ctx, c, nil)
	if err != nil {
		return err
	}
	defer p.Close()
	fmt.Fprintf(stdout, "Loading the register from %s (%s)\n", p.DB.Location, p.DB.Engine)
	idx, err := loadIndex(ctx, p, progressOut, env)
	if err != nil {
		return err
	}
	st := idx.Stats()
	if st.People == 0 {
		return fmt.Errorf("the register in %s is empty: load it first (populus seed)", p.DB.Location)
	}
	fmt.Fprintf(stdout, "Register index: %d people (%d other names) in %.1fs; %.0f bytes per person (%.0f MiB), heap grew %.0f MiB\n",
		st.People, st.OtherNames, st.LoadSeconds, st.BytesPerPerson,
		st.BytesPerPerson*float64(st.People)/(1<<20), float64(st.HeapBytes)/(1<<20))

	in := engine.Input{Name: filepath.Base(input), Mapping: m,
		Open: func() (io.ReadCloser, error) { return os.Open(input) }}
	if truth != "" {
		in.Truth = func() (io.ReadCloser, error) { return os.Open(truth) }
	}
	cfg.Log, cfg.Progress = stdout, progressOut
	decPath, corPath := filepath.Join(outDir, "decisions."+outFormat), filepath.Join(outDir, "corrections."+outFormat)
	var sum *engine.Summary
	// With a truth file, every wrong decision goes to misses.csv, for
	// inspection.
	missPath := ""
	var misses *bufio.Writer
	if truth != "" {
		missPath = filepath.Join(outDir, "misses.csv")
		mf, err := os.Create(missPath)
		if err != nil {
			return err
		}
		defer mf.Close()
		misses = bufio.NewWriter(mf)
	}
	err = writeFiles(decPath, corPath, func(dec, cor io.Writer) error {
		out, finish := engine.Output{Decisions: dec, Corrections: cor}, func(err error) error { return err }
		if outFormat == "parquet" {
			out, finish = engine.ParquetOutput(dec, cor)
		}
		if misses != nil {
			out.Misses = misses
		}
		var err error
		sum, err = engine.Run(ctx, idx, in, out, cfg)
		return finish(err)
	})
	if err != nil {
		return err
	}
	if misses != nil {
		if err := misses.Flush(); err != nil {
			return err
		}
	}
	sumPath := filepath.Join(outDir, "summary.json")
	b, err := json.MarshalIndent(sum, "", "  ")
	if err != nil {
		return err
	}
	if err := os.WriteFile(sumPath, append(b, '\n'), 0o644); err != nil {
		return err
	}
	repPath := filepath.Join(outDir, "report.html")
	if err := report.WriteFile(repPath, cat, sum, lang); err != nil {
		return err
	}
	printSummary(stdout, sum)
	fmt.Fprintf(stdout, "Wrote %s, %s and %s\n", decPath, corPath, sumPath)
	if missPath != "" {
		fmt.Fprintf(stdout, "Wrong decisions against the truth: %s\n", missPath)
	}
	fmt.Fprintf(stdout, "Report: %s\n", repPath)
	return nil
}

// checkInput reads the whole sector file through the mapping before the
// register is loaded (minutes at national scale): a header the mapping
// does not fit, UTF-16, a broken quote or an oversized field stop it here,
// and rows in error, lines decoded from a legacy encoding and values that
// cannot be read are counted on w, so that none of it is found only at
// the end of a long run.
func checkInput(path string, m *sector.Mapping, w io.Writer) error {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("--input: %w", err)
	}
	defer f.Close()
	r, err := sector.OpenReader(f, filepath.Base(path), m)
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	var rows, rowErrors, legacy int
	unreadable := map[sector.Field]int{}
	for {
		rec, err := r.Next()
		if err == io.EOF {
			break
		}
		rows++
		if sector.IsRowError(err) {
			rowErrors++
			continue
		}
		if err != nil {
			return fmt.Errorf("%s: %w", path, err)
		}
		for _, n := range rec.Notes {
			switch {
			case n.Unreadable:
				unreadable[n.Field]++
			case strings.Contains(n.Msg, "is not UTF-8"):
				legacy++
			}
		}
	}
	if rows == 0 {
		return fmt.Errorf("%s: the file has a header but no record", path)
	}
	fmt.Fprintf(w, "%s: %d records read", path, rows)
	if rowErrors > 0 {
		fmt.Fprintf(w, ", %d rows in error (skipped)", rowErrors)
	}
	if legacy > 0 {
		fmt.Fprintf(w, ", %d records decoded from a legacy Vietnamese encoding", legacy)
	}
	fmt.Fprintln(w)
	for _, e := range m.Entries() {
		if n := unreadable[e.Field]; n > 0 {
			fmt.Fprintf(w, "  column %s (%s): %d values could not be read and are left missing\n", e.Column, e.Field, n)
		}
		if note := r.DateOrder(); note != "" && e.Field == sector.FieldBirthDate {
			fmt.Fprintf(w, "  column %s (%s): %s; it is read so\n", e.Column, e.Field, note)
		}
	}
	return nil
}

// blockingWarning says when the mapping maps no set of fields that makes a
// blocking key (engine.DefaultRules): no record could have a candidate.
func blockingWarning(m *sector.Mapping) string {
	has := map[sector.Field]bool{}
	for _, e := range m.Entries() {
		has[e.Field] = true
	}
	name := has[sector.FieldFullName] || has[sector.FieldFamilyName] && has[sector.FieldGivenName]
	birth := has[sector.FieldBirthDate] || has[sector.FieldBirthYear]
	place := has[sector.FieldProvince] || has[sector.FieldCommune]
	switch {
	case has[sector.FieldPIN], has[sector.FieldCMND]:
	case name && (birth || place):
	case has[sector.FieldBirthDate] && has[sector.FieldSex] && place:
	default:
		return "the mapping gives no record a blocking key, so no record can find a candidate: map a PIN or CMND, " +
			"or a name with a date of birth or a province, or a date of birth with sex and a province"
	}
	return ""
}

// makeOutDir makes the output folder, but not its parents: a mistyped
// --out must not leave a tree of folders behind.
func makeOutDir(dir string) error {
	if fi, err := os.Stat(dir); err == nil {
		if !fi.IsDir() {
			return fmt.Errorf("--out: %s is a file, not a folder", dir)
		}
		return nil
	}
	parent := filepath.Dir(filepath.Clean(dir))
	if fi, err := os.Stat(parent); err != nil || !fi.IsDir() {
		return fmt.Errorf("--out: the folder %s does not exist; create it first (the output folder itself is made)", parent)
	}
	return os.Mkdir(dir, 0o755)
}

// readMapping returns the mapping given by exactly one of the three flags.
func readMapping(text, file, kind string) (*sector.Mapping, error) {
	n := 0
	for _, s := range []string{text, file, kind} {
		if s != "" {
			n++
		}
	}
	if n != 1 {
		return nil, errors.New("give the column mapping with exactly one of --mapping, --mapping-file or --kind")
	}
	switch {
	case kind != "":
		k, err := sector.ParseKind(kind)
		if err != nil {
			return nil, fmt.Errorf("--kind: %w", err)
		}
		return k.Mapping(), nil
	case file != "":
		b, err := os.ReadFile(file)
		if err != nil {
			return nil, fmt.Errorf("--mapping-file: %w", err)
		}
		m, err := sector.ParseMapping(string(b))
		if err != nil {
			return nil, fmt.Errorf("--mapping-file %s: %w", file, err)
		}
		return m, nil
	}
	m, err := sector.ParseMapping(text)
	if err != nil {
		return nil, fmt.Errorf("--mapping: %w", err)
	}
	return m, nil
}

// readModel reads m and u from a summary.json or a bare parameters file.
func readModel(path string) (*reconcile.Parameters, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("--model: %w", err)
	}
	var s struct {
		Model *reconcile.Parameters `json:"model"`
	}
	if err := json.Unmarshal(b, &s); err != nil {
		return nil, fmt.Errorf("--model %s: %w", path, err)
	}
	if s.Model != nil {
		return s.Model, nil
	}
	var p reconcile.Parameters
	if err := json.Unmarshal(b, &p); err != nil || len(p.Comparisons) == 0 {
		return nil, fmt.Errorf("--model %s: neither a summary.json nor model parameters", path)
	}
	return &p, nil
}

func printSummary(w io.Writer, s *engine.Summary) {
	fmt.Fprintf(w, "\nDecisions on %d records:\n", s.Input.Records)
	for _, k := range engine.Kinds() {
		n := s.Counts[k.String()]
		fmt.Fprintf(w, "  %-10s %10d  %5.1f%%\n", k, n, 100*float64(n)/float64(max(s.Input.Records, 1)))
	}
	if len(s.Differing) > 0 {
		var parts []string
		for _, f := range []string{"full_name", "birth_date", "sex", "pin", "cmnd", "address"} {
			if n := s.Differing[f]; n > 0 {
				parts = append(parts, fmt.Sprintf("%s %d", f, n))
			}
		}
		fmt.Fprintf(w, "Fields differing in linked records: %s\n", strings.Join(parts, ", "))
	}
	fmt.Fprintf(w, "Blocking: %d candidate pairs scored (%d with other names); slowest rule %s\n",
		s.Blocking.CandidatePairs, s.Blocking.ScoredPairs, s.Blocking.Slowest)
	fmt.Fprintf(w, "Time: estimate %.1fs, train %.1fs, match %.1fs, total %.1fs (register load %.1fs)\n",
		s.Timing.Estimate, s.Timing.Train, s.Timing.Match, s.Timing.Total, s.Timing.Load)
	fmt.Fprintf(w, "Speed: %.0f records/s, %.0f scored pairs/s (%.0f per worker, %d workers)\n",
		s.Speed.RecordsPerSecond, s.Speed.PairsPerSecond, s.Speed.PairsPerSecondPerCore, s.Speed.Workers)
	if s.Speed.PairsPerCPUSecond > 0 {
		fmt.Fprintf(w, "CPU: match pass %.1f s of CPU, %.0f scored pairs per CPU second\n", s.Timing.MatchCPU, s.Speed.PairsPerCPUSecond)
	}
	if f := s.Floor; f != nil {
		fmt.Fprintf(w, "Exact join on PIN (the floor): %.2fs, %d of %d records matched; reconciliation took %.1f× as long\n",
			f.Seconds, f.Matched, f.Records, f.Ratio)
	}
	fmt.Fprintf(w, "Memory: heap peak %.0f MiB, runtime total %.0f MiB\n", float64(s.Memory.HeapPeak)/(1<<20), float64(s.Memory.Sys)/(1<<20))
	if t := s.Truth; t != nil {
		fmt.Fprintf(w, "\nAgainst the truth (%d records, %d of people in the register):\n", t.Records, t.InRegister)
		fmt.Fprintf(w, "  precision %.4f  recall %.4f  F1 %.4f\n", t.Precision, t.Recall, t.F1)
		fmt.Fprintf(w, "  precision among automatically applied matches %.5f (%d of %d); verified PIN %d/%d, probabilistic %d/%d\n",
			t.Auto.Precision, t.Auto.Correct, t.Auto.Linked, t.Verified.Correct, t.Verified.Linked, t.Probabilistic.Correct, t.Probabilistic.Linked)
		if np := t.WithoutPIN; np.Records > 0 {
			fmt.Fprintf(w, "  without a PIN (%d records, %d in the register): precision %.4f  recall %.4f\n",
				np.Records, np.InRegister, np.Precision, np.Recall)
		}
		if b := t.Blocking; b.Findable > 0 {
			fmt.Fprintf(w, "  blocking pairs-completeness %.4f: %d of %d records whose person is in the register had that person among their candidates\n",
				b.Completeness, b.Found, b.Findable)
		}
	}
}

// runReconcileReport writes report.html again from a summary.json:
// populus reconcile report --summary result/summary.json --out report.html.
func runReconcileReport(args []string, env func(string) string, stdout, stderr io.Writer) error {
	var sumPath, out, lang string
	f := newFlags("reconcile report", env, stdout)
	f.summary = "Writes report.html again from the summary.json of a run."
	f.string(&sumPath, "summary", "POPULUS_RECONCILE_SUMMARY", "", "summary.json of a run")
	f.string(&out, "out", "POPULUS_RECONCILE_REPORT", "report.html", "HTML file to write")
	f.string(&lang, "lang", "POPULUS_RECONCILE_LANG", "vi", "language of the report: vi or en")
	if err := f.parse(args); err != nil {
		return err
	}
	if sumPath == "" {
		return errors.New("--summary: name the summary.json of a run")
	}
	cat, err := i18n.Load(report.Messages)
	if err != nil {
		return err
	}
	if !cat.Supported(lang) {
		return fmt.Errorf("--lang: %q is not vi or en", lang)
	}
	b, err := os.ReadFile(sumPath)
	if err != nil {
		return fmt.Errorf("--summary: %w", err)
	}
	var sum engine.Summary
	if err := json.Unmarshal(b, &sum); err != nil {
		return fmt.Errorf("--summary %s: %w", sumPath, err)
	}
	if sum.Version != engine.SummaryVersion {
		return fmt.Errorf("--summary %s: version %d, this populus reads version %d", sumPath, sum.Version, engine.SummaryVersion)
	}
	if err := report.WriteFile(out, cat, &sum, lang); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "Report: %s\n", out)
	return nil
}

// loadIndex loads the register's index with the garbage collector tuned for
// a process that holds one large index: while loading, which leaves garbage
// as large as the index, the heap may grow by a quarter rather than double
// before a collection; afterwards freed memory goes back to the system, and
// a soft memory limit of the index plus a quarter and 512 MiB keeps the
// matching pass's garbage from doubling the heap again. GOGC and GOMEMLIMIT,
// when set, win.
func loadIndex(ctx context.Context, p *platform, progress io.Writer, env func(string) string) (*engine.Index, error) {
	if env("GOGC") == "" {
		defer debug.SetGCPercent(debug.SetGCPercent(15))
	}
	idx, err := engine.Load(ctx, p.DB, engine.LoadOptions{Progress: progress})
	if err != nil {
		return nil, err
	}
	debug.FreeOSMemory()
	if env("GOMEMLIMIT") == "" {
		if heap := idx.Stats().HeapBytes; heap > 0 {
			debug.SetMemoryLimit(heap + heap/8 + 256<<20)
		}
	}
	return idx, nil
}
