package engine

import (
	"math"

	"github.com/populus-vn/populus/internal/reconcile"
)

// SummaryVersion is the version of the summary's layout; the HTML report
// reads it.
const SummaryVersion = 1

// Summary is the machine-readable account of a run, written as
// summary.json: everything the report shows. Weights are in bits
// (log2 odds); probabilities in [0, 1]; times in seconds.
type Summary struct {
	Version   int          `json:"version"`
	Generated string       `json:"generated"` // RFC 3339, UTC
	Input     InputSummary `json:"input"`
	Register  IndexStats   `json:"register"`
	// TopFamilyNames are the register's most frequent family names: why
	// agreeing on Nguyễn weighs little (term-frequency adjustment).
	TopFamilyNames []TermShare      `json:"top_family_names"`
	Config         ConfigSummary    `json:"config"`
	Counts         map[string]int64 `json:"counts"` // by decision, every decision present
	// Differing counts linked records by field that differs.
	Differing map[string]int64 `json:"differing"`
	// Corrections counts proposed corrections by field, then action.
	Corrections map[string]map[string]int64 `json:"corrections"`
	Model       reconcile.Parameters        `json:"model"`
	Estimation  Estimation                  `json:"estimation"`
	Blocking    BlockingSummary             `json:"blocking"`
	Weights     WeightHistogram             `json:"weights"`
	// Explanations are sample decisions with the per-comparison weights of
	// their best candidate: the report's waterfalls.
	Explanations []ExplanationSample `json:"explanations"`
	Truth        *TruthSummary       `json:"truth,omitempty"`
	Floor        *FloorSummary       `json:"floor,omitempty"`
	Timing       TimingSummary       `json:"timing"`
	Speed        SpeedSummary        `json:"speed"`
	Memory       MemorySummary       `json:"memory"`
}

// InputSummary describes the sector file.
type InputSummary struct {
	File    string `json:"file"`
	Mapping string `json:"mapping"`
	Records int64  `json:"records"` // rows read, including rows in error
	// RowErrors are rows that could not be read; RecordsWithNotes rows
	// with a value that could not be understood or was read under an
	// assumption; Notes counts the notes by field.
	RowErrors        int64            `json:"row_errors"`
	RecordsWithNotes int64            `json:"records_with_notes"`
	Notes            map[string]int64 `json:"notes"`
	// Unreadable counts, by field, the values that could not be read at
	// all and were left missing (a subset of Notes).
	Unreadable map[string]int64 `json:"unreadable,omitempty"`
	// MonthFirst says why the birth-date column was read month-first
	// (sector.Reader.DateOrder); "" when it was not. A job's review page
	// reads its records so, from the plan.
	MonthFirst string `json:"month_first,omitempty"`
}

// TermShare is a value's count and share in the register.
type TermShare struct {
	Value string  `json:"value"`
	Count int64   `json:"count"`
	Share float64 `json:"share"`
}

// ConfigSummary is the configuration the run used.
type ConfigSummary struct {
	Threshold   float64 `json:"threshold"`
	ReviewFloor float64 `json:"review_floor"`
	Margin      float64 `json:"margin_bits"`
	// LoneThreshold and LoneMargin: the rule that links the only plausible
	// person (Config).
	LoneThreshold float64 `json:"lone_threshold,omitempty"`
	LoneMargin    float64 `json:"lone_margin_bits,omitempty"`
	OneToOne      bool    `json:"one_to_one"`
	MaxBlock      int     `json:"max_block"`
	Workers       int     `json:"workers"`
	TrainSample   int     `json:"train_sample"`
	UPairs        int     `json:"u_pairs"`
	MaxEMPairs    int     `json:"max_em_pairs"`
	Seed          uint64  `json:"seed"`
	TopN          int     `json:"top_n"`
}

// BlockingSummary is what the blocking rules did.
type BlockingSummary struct {
	Rules []RuleSummary `json:"rules"`
	// EstimatedPairs is the sum of the rules' estimates: pairs found by
	// several rules count once per rule. CandidatePairs is the union,
	// (record, person) pairs scored; ScoredPairs counts other names too.
	EstimatedPairs int64 `json:"estimated_pairs"`
	CandidatePairs int64 `json:"candidate_pairs"`
	ScoredPairs    int64 `json:"scored_pairs"`
	// Slowest names the rule that took the most time in the run.
	Slowest string `json:"slowest"`
}

// RuleSummary is one rule: its estimate before the run and what it did.
type RuleSummary struct {
	Name        string   `json:"name"`
	Description string   `json:"description"`
	Skip        []string `json:"em_skip"`
	// RegisterKeys is the number of distinct keys in the register and
	// MaxKey the records under the most frequent one.
	RegisterKeys int `json:"register_keys"`
	MaxKey       int `json:"max_key"`
	// EstimatedPairs is, before the run, Σ over the sector records' keys
	// of the number of register records under the key: the exact number
	// of pairs the rule yields (keys holding more than MaxBlock records
	// left out; CappedLookups and CappedPairs count those).
	EstimatedPairs int64 `json:"estimated_pairs"`
	CappedLookups  int64 `json:"capped_lookups"`
	CappedPairs    int64 `json:"capped_pairs"`
	// FilteredRecords counts the records of over-large keys read, for
	// sector records without any other candidate, to keep those that
	// agree on the commune or the date of birth as well.
	FilteredRecords int64 `json:"filtered_records"`
	// Probes and ProbedPairs count the fallback probes' look-ups in the
	// rule's block (keys one typing error from the record's, for records
	// the keys leave without candidates) and the pairs they and the
	// filtering of over-large keys added; EstimatedPairs leaves them out.
	Probes      int64 `json:"probes"`
	ProbedPairs int64 `json:"probed_pairs"`
	// Lookups is the number of keys looked up.
	Lookups int64 `json:"lookups"`
	// EstimateSeconds is the time the estimate took (keying and lookups);
	// Seconds the time the rule took during the run (keying, lookups and
	// collecting its candidates), summed over workers.
	EstimateSeconds float64 `json:"estimate_seconds"`
	Seconds         float64 `json:"seconds"`
}

// Histogram bins: one bit wide, from histMin to histMax; the first and last
// bins hold everything beyond.
const (
	histMin  = -64
	histMax  = 64
	histBins = histMax - histMin + 1
)

func histBin(w float64) int {
	if math.IsNaN(w) {
		return 0
	}
	b := int(math.Floor(w)) - histMin
	return min(max(b, 0), histBins-1)
}

// WeightHistogram counts match weights in bins of one bit: bin i holds
// weights in [Min+i, Min+i+1), the first and last bins everything beyond.
type WeightHistogram struct {
	Min      int `json:"min"`
	BinWidth int `json:"bin_width"`
	// Pairs counts every scored candidate pair.
	Pairs []int64 `json:"pairs"`
	// Best counts each record's best candidate, by decision.
	Best map[string][]int64 `json:"best"`
}

// ExplanationSample is a decision with the waterfall of its best candidate.
type ExplanationSample struct {
	ID          string  `json:"id"`
	Line        int     `json:"line"`
	Decision    string  `json:"decision"`
	PIN         string  `json:"pin"` // the best candidate's
	OtherName   bool    `json:"other_name,omitempty"`
	Prior       float64 `json:"prior"`
	Weight      float64 `json:"weight"`
	Probability float64 `json:"probability"` // of the pair alone
	// CompetingProbability is against all the record's candidates.
	CompetingProbability float64    `json:"competing_probability"`
	Terms                []TermJSON `json:"terms"`
	Reason               string     `json:"reason,omitempty"`
}

// TermJSON is one comparison's part of an explanation.
type TermJSON struct {
	Comparison string  `json:"comparison"`
	Level      int     `json:"level"` // -1 when a value is missing
	Label      string  `json:"label"`
	M          float64 `json:"m"`
	U          float64 `json:"u"`
	TF         bool    `json:"tf"` // u is the register frequency of the agreed value
	Weight     float64 `json:"weight"`
}

func explanationOf(e reconcile.Explanation) (terms []TermJSON) {
	for _, t := range e.Terms {
		terms = append(terms, TermJSON{Comparison: t.Comparison, Level: t.Level, Label: t.Label, M: t.M, U: t.U, TF: t.TF, Weight: t.Weight})
	}
	return terms
}

// FloorSummary is the exact join on PIN of the same file, timed in the
// same run: the least any reconciliation must cost.
type FloorSummary struct {
	Seconds float64 `json:"seconds"`
	Records int64   `json:"records"`
	Matched int64   `json:"matched"`
	// Ratio is the whole reconciliation's time (without loading the
	// register) over the floor's.
	Ratio float64 `json:"ratio"`
}

// TimingSummary is where the time went, in seconds of wall-clock time.
type TimingSummary struct {
	Load     float64 `json:"load"`     // the register index (as given by its stats)
	Estimate float64 `json:"estimate"` // the pass counting pairs per rule and sampling
	Train    float64 `json:"train"`    // u, λ and EM
	Claims   float64 `json:"claims"`   // the extra pass of one-to-one assignment
	Match    float64 `json:"match"`    // scoring and deciding, writing the outputs
	// MatchCPU is the process's CPU time (user and system, every thread,
	// the garbage collector's included) during the match pass; 0 when
	// unknown or when the run resumed an earlier one.
	MatchCPU float64 `json:"match_cpu,omitempty"`
	Total    float64 `json:"total"` // Run, without loading the register
}

// SpeedSummary is the throughput of the matching pass.
type SpeedSummary struct {
	Workers               int     `json:"workers"`
	RecordsPerSecond      float64 `json:"records_per_second"`
	PairsPerSecond        float64 `json:"pairs_per_second"`
	PairsPerSecondPerCore float64 `json:"pairs_per_second_per_worker"`
	// PairsPerCPUSecond is the scored pairs per second of CPU time of the
	// match pass (Timing.MatchCPU): the rate per core, whatever else
	// shares the machine. It counts reading and parsing the file, blocking,
	// scoring, deciding and writing the outputs.
	PairsPerCPUSecond float64 `json:"pairs_per_cpu_second,omitempty"`
}

// MemorySummary is the process's memory at the end of the run.
type MemorySummary struct {
	HeapInUse int64 `json:"heap_in_use"`
	// HeapPeak is the largest heap in use seen at batch boundaries.
	HeapPeak int64 `json:"heap_peak"`
	// Sys is the memory the Go runtime obtained from the system.
	Sys int64 `json:"sys"`
}
