package engine

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"

	"github.com/populus-vn/populus/internal/reconcile"
	"github.com/populus-vn/populus/internal/reconcile/sector"
)

// TruthSummary measures the decisions against ground truth (the truth file
// Synthesize writes: id, pin, case, corruptions). Positives are the linked
// decisions (exact, match, conflict, deceased): they name a person.
// Recall is over records whose true person is in the register; precision
// over all linked records, so a record of someone the register does not
// hold that is linked to somebody counts against it.
type TruthSummary struct {
	Records    int64   `json:"records"`
	InRegister int64   `json:"in_register"` // records with a true PIN
	Linked     int64   `json:"linked"`
	Correct    int64   `json:"correct"` // linked to the true person
	Precision  float64 `json:"precision"`
	Recall     float64 `json:"recall"`
	F1         float64 `json:"f1"`
	// Auto is every linked decision (all are applied automatically);
	// Verified those linked on a verified PIN; Probabilistic those linked
	// on the probability at or above the threshold.
	Auto          PrecisionCount `json:"auto_applied"`
	Verified      PrecisionCount `json:"verified_pin"`
	Probabilistic PrecisionCount `json:"probabilistic"`
	// ByCase counts decisions by the truth's case: case → decision → n;
	// linked decisions to the wrong person count under "wrong:<decision>".
	ByCase map[string]map[string]int64 `json:"by_case"`
	// Curve is precision and recall against the threshold, computed from
	// ScoreBins; decisions on verified PINs are kept at every threshold.
	Curve []CurvePoint `json:"curve"`
	// ScoreBins count, by the best candidate's probability against all
	// candidates (as log2 odds, bins of half a bit from -20 to +40, ends
	// open), records whose best candidate is (Correct) or is not (Wrong)
	// the true person; records without candidates are not counted.
	ScoreBins ScoreBins `json:"score_bins"`
	// Errors are the first wrong decisions, for inspection.
	Errors []TruthError `json:"errors"`
	// Blocking is how many true matches blocking found: of the records
	// whose true person the register holds, those that had that person
	// among their candidates (pairs-completeness).
	Blocking BlockingTruth `json:"blocking"`
	// WithoutPIN is precision and recall among the records that hold no
	// usable PIN (none, or one that could not be read as 12 digits).
	WithoutPIN SubsetTruth `json:"without_pin"`
}

// BlockingTruth is the pairs-completeness of blocking: Found of Findable
// records (true person in the register, record readable) had the true
// person among their candidates.
type BlockingTruth struct {
	Findable     int64   `json:"findable"`
	Found        int64   `json:"found"`
	Completeness float64 `json:"completeness"`
}

// SubsetTruth is precision and recall over a subset of the records.
type SubsetTruth struct {
	Records    int64   `json:"records"`
	InRegister int64   `json:"in_register"`
	Linked     int64   `json:"linked"`
	Correct    int64   `json:"correct"`
	Precision  float64 `json:"precision"`
	Recall     float64 `json:"recall"`
}

// PrecisionCount is a precision with its counts.
type PrecisionCount struct {
	Linked    int64   `json:"linked"`
	Correct   int64   `json:"correct"`
	Precision float64 `json:"precision"`
}

// CurvePoint is precision and recall if records were linked from a
// threshold.
type CurvePoint struct {
	Threshold float64 `json:"threshold"`
	Linked    int64   `json:"linked"`
	Precision float64 `json:"precision"`
	Recall    float64 `json:"recall"`
	F1        float64 `json:"f1"`
}

// ScoreBins is a histogram of best-candidate scores split by correctness.
type ScoreBins struct {
	Min   float64 `json:"min"`   // log2 odds of the first bin's lower edge
	Width float64 `json:"width"` // bits
	// Correct and Wrong are per bin; VerifiedCorrect and VerifiedWrong
	// count records linked on a verified PIN, outside the bins.
	Correct         []int64 `json:"correct"`
	Wrong           []int64 `json:"wrong"`
	VerifiedCorrect int64   `json:"verified_correct"`
	VerifiedWrong   int64   `json:"verified_wrong"`
}

const (
	scoreMin   = -20.0
	scoreWidth = 0.5
	scoreBins  = 121
)

// TruthError is a wrong decision.
type TruthError struct {
	ID          string  `json:"id"`
	Line        int     `json:"line"`
	Case        string  `json:"case"`
	Corruptions string  `json:"corruptions"`
	TruePIN     string  `json:"true_pin"`
	Decision    string  `json:"decision"`
	PIN         string  `json:"pin"`
	Probability float64 `json:"probability"`
	Weight      float64 `json:"weight"`
	Reason      string  `json:"reason,omitempty"`
}

const maxTruthErrors = 50

// truthReader reads a truth file in step with the sector file.
type truthReader struct {
	r    *csv.Reader
	line int
	col  map[string]int
	sum  TruthSummary
	// blocked, when set, reports whether the register holds the person of
	// a PIN and whether blocking gives that person as a candidate of sec.
	blocked func(sec *reconcile.Record, pin string) (held, found bool)
	// misses, when set, receives every wrong decision (MissesHeader).
	misses *csv.Writer
}

func newTruthReader(r io.Reader) (*truthReader, error) {
	cr := csv.NewReader(r)
	cr.ReuseRecord = true
	h, err := cr.Read()
	if err != nil {
		return nil, fmt.Errorf("truth file: %w", err)
	}
	t := &truthReader{r: cr, col: map[string]int{}, line: 1}
	for i, c := range h {
		t.col[strings.TrimPrefix(strings.TrimSpace(c), "\ufeff")] = i
	}
	for _, c := range []string{"id", "pin"} {
		if _, ok := t.col[c]; !ok {
			return nil, fmt.Errorf("truth file: line 1: no %q column; the header must be %s", c, strings.Join(sector.TruthHeader, ","))
		}
	}
	t.sum.ByCase = map[string]map[string]int64{}
	t.sum.ScoreBins = ScoreBins{Min: scoreMin, Width: scoreWidth, Correct: make([]int64, scoreBins), Wrong: make([]int64, scoreBins)}
	return t, nil
}

func (t *truthReader) get(row []string, c string) string {
	if i, ok := t.col[c]; ok && i < len(row) {
		return strings.TrimSpace(row[i])
	}
	return ""
}

// add reads the truth of the next record and scores its decision; sec is
// the record as prepared (nil when it could not be read).
func (t *truthReader) add(d *Decision, sec *reconcile.Record) error {
	row, err := t.r.Read()
	t.line++
	if errors.Is(err, io.EOF) {
		return fmt.Errorf("truth file: it ends at line %d, before the sector file (record on line %d)", t.line-1, d.Line)
	}
	if err != nil {
		return fmt.Errorf("truth file: %w", err)
	}
	id, truePIN, c := t.get(row, "id"), t.get(row, "pin"), t.get(row, "case")
	if d.ID != "" && id != d.ID {
		return fmt.Errorf("truth file: line %d has id %q, but the sector record on line %d has %q: the files are not in the same order", t.line, id, d.Line, d.ID)
	}
	if c == "" {
		c = "unknown"
	}
	s := &t.sum
	s.Records++
	if truePIN != "" {
		s.InRegister++
	}
	if sec != nil && d.Kind != Invalid {
		if truePIN != "" && t.blocked != nil {
			if held, found := t.blocked(sec, truePIN); held {
				s.Blocking.Findable++
				if found {
					s.Blocking.Found++
				}
			}
		}
		if sec.PIN() == "" {
			w := &s.WithoutPIN
			w.Records++
			if truePIN != "" {
				w.InRegister++
			}
			if d.Kind.Linked() {
				w.Linked++
				if d.PIN == truePIN {
					w.Correct++
				}
			}
		}
	}
	label := d.Kind.String()
	if d.Kind.Linked() {
		ok := d.PIN == truePIN
		s.Linked++
		s.Auto.add(ok)
		if d.Verified {
			s.Verified.add(ok)
		} else {
			s.Probabilistic.add(ok)
		}
		if ok {
			s.Correct++
		} else {
			label = "wrong:" + label
		}
	}
	if s.ByCase[c] == nil {
		s.ByCase[c] = map[string]int64{}
	}
	s.ByCase[c][label]++
	wrong := d.Kind.Linked() && d.PIN != truePIN || !d.Kind.Linked() && truePIN != "" && d.Kind != Invalid
	if wrong && t.misses != nil {
		if err := t.writeMiss(d, sec, row, c, truePIN); err != nil {
			return err
		}
	}
	if wrong && len(s.Errors) < maxTruthErrors {
		s.Errors = append(s.Errors, TruthError{ID: d.ID, Line: d.Line, Case: c, Corruptions: t.get(row, "corruptions"),
			TruePIN: truePIN, Decision: d.Kind.String(), PIN: d.PIN, Probability: d.Probability, Weight: d.Weight, Reason: d.Reason})
	}
	if d.hasTop {
		bestOK := len(d.Candidates) > 0 && d.Candidates[0].PIN == truePIN
		switch {
		case d.Verified && d.Kind.Linked():
			if d.PIN == truePIN {
				s.ScoreBins.VerifiedCorrect++
			} else {
				s.ScoreBins.VerifiedWrong++
			}
		default:
			b := scoreBin(d.Probability)
			if bestOK {
				s.ScoreBins.Correct[b]++
			} else {
				s.ScoreBins.Wrong[b]++
			}
		}
	}
	return nil
}

func (p *PrecisionCount) add(ok bool) {
	p.Linked++
	if ok {
		p.Correct++
	}
}

func ratio(a, b int64) float64 {
	if b == 0 {
		return 0
	}
	return float64(a) / float64(b)
}

func f1(p, r float64) float64 {
	if p+r == 0 {
		return 0
	}
	return 2 * p * r / (p + r)
}

func scoreBin(p float64) int {
	b := int(math.Floor((reconcile.Weight(p) - scoreMin) / scoreWidth))
	return min(max(b, 0), scoreBins-1)
}

// finish computes the ratios and the curve.
func (t *truthReader) finish() *TruthSummary {
	s := &t.sum
	s.Precision = ratio(s.Correct, s.Linked)
	s.Recall = ratio(s.Correct, s.InRegister)
	s.F1 = f1(s.Precision, s.Recall)
	s.Blocking.Completeness = ratio(s.Blocking.Found, s.Blocking.Findable)
	s.WithoutPIN.Precision = ratio(s.WithoutPIN.Correct, s.WithoutPIN.Linked)
	s.WithoutPIN.Recall = ratio(s.WithoutPIN.Correct, s.WithoutPIN.InRegister)
	for _, p := range []*PrecisionCount{&s.Auto, &s.Verified, &s.Probabilistic} {
		p.Precision = ratio(p.Correct, p.Linked)
	}
	for _, th := range []float64{0.5, 0.8, 0.9, 0.95, 0.99, 0.995, 0.999, 0.9995, 0.9999, 0.99999, 0.999999} {
		from := scoreBin(th)
		cp := CurvePoint{Threshold: th}
		correct := s.ScoreBins.VerifiedCorrect
		cp.Linked = s.ScoreBins.VerifiedCorrect + s.ScoreBins.VerifiedWrong
		for b := from; b < scoreBins; b++ {
			correct += s.ScoreBins.Correct[b]
			cp.Linked += s.ScoreBins.Correct[b] + s.ScoreBins.Wrong[b]
		}
		cp.Precision, cp.Recall = ratio(correct, cp.Linked), ratio(correct, s.InRegister)
		cp.F1 = f1(cp.Precision, cp.Recall)
		s.Curve = append(s.Curve, cp)
	}
	return s
}

// writeMiss writes a wrong decision to the misses file.
func (t *truthReader) writeMiss(d *Decision, sec *reconcile.Record, row []string, c, truePIN string) error {
	rank := 0
	var cands []string
	for i, cd := range d.Candidates {
		if cd.PIN == truePIN && rank == 0 {
			rank = i + 1
		}
		cands = append(cands, fmt.Sprintf("%s w=%.2f", cd.PIN, cd.Weight))
	}
	hasPIN := sec != nil && sec.PIN() != ""
	return t.misses.Write([]string{d.ID, strconv.Itoa(d.Line), c, t.get(row, "corruptions"), truePIN, d.Kind.String(), d.PIN,
		strconv.FormatFloat(d.Probability, 'f', 6, 64), strconv.FormatFloat(d.Weight, 'f', 2, 64),
		strconv.Itoa(rank), strconv.FormatBool(hasPIN), strings.Join(cands, "; "), d.Reason})
}
