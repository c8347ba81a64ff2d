package reconcile

import (
	"cmp"
	"slices"
)

// TFField names a value whose frequency adjusts the weight of agreeing on it.
type TFField uint8

const (
	TFFullName   TFField = iota // the folded full name
	TFFamilyName                // the folded family name
	TFGivenName                 // the folded given name
	numTF
)

func (f TFField) String() string {
	switch f {
	case TFFullName:
		return "full_name"
	case TFFamilyName:
		return "family_name"
	case TFGivenName:
		return "given_name"
	}
	return "TFField(?)"
}

// TermFrequencies counts how often each folded name, family name and given
// name occurs in the register, for term-frequency adjustment: the u of
// "agree on Nguyễn" is the share of Nguyễn among register records (0.38),
// not the chance that a random pair agrees on some family name.
//
// Build it from the register side only, then Annotate every record once: the
// frequencies are then read from the records during scoring, with no map
// lookup per pair. The keys are the records' own strings, so the table adds
// no copy of the names. It is not safe for concurrent Add.
type TermFrequencies struct {
	counts [numTF]map[string]uint32
	total  [numTF]uint64
}

// NewTermFrequencies returns empty tables.
func NewTermFrequencies() *TermFrequencies {
	t := &TermFrequencies{}
	for i := range t.counts {
		t.counts[i] = map[string]uint32{}
	}
	return t
}

func (r *Record) tfValue(f TFField) string {
	switch f {
	case TFFullName:
		return r.folded
	case TFFamilyName:
		return r.family()
	case TFGivenName:
		return r.given()
	}
	return ""
}

// Add counts a register record's values.
func (t *TermFrequencies) Add(r *Record) {
	for f := range numTF {
		if v := r.tfValue(f); v != "" {
			t.counts[f][v]++
			t.total[f]++
		}
	}
}

// Frequency returns the share of register records whose value of f is the
// folded value v; 0 when it does not occur.
func (t *TermFrequencies) Frequency(f TFField, v string) float64 {
	if t.total[f] == 0 {
		return 0
	}
	return float64(t.counts[f][v]) / float64(t.total[f])
}

// Annotate stores in r the frequencies of its values, for the
// term-frequency-adjusted levels to read. A value absent from the register
// gets 0, "unknown", and its agreement keeps the level's average u.
func (t *TermFrequencies) Annotate(r *Record) {
	for f := range numTF {
		r.tf[f] = float32(t.Frequency(f, r.tfValue(f)))
	}
}

// TermCount is a value and how many register records have it.
type TermCount struct {
	Value string
	Count uint32
}

// Top returns the n most frequent values of f, most frequent first, ties in
// alphabetical order: for the report.
func (t *TermFrequencies) Top(f TFField, n int) []TermCount {
	out := make([]TermCount, 0, len(t.counts[f]))
	for v, c := range t.counts[f] {
		out = append(out, TermCount{v, c})
	}
	slices.SortFunc(out, func(a, b TermCount) int {
		return cmp.Or(cmp.Compare(b.Count, a.Count), cmp.Compare(a.Value, b.Value))
	})
	return out[:min(n, len(out))]
}

// Total returns the number of register records that had a value of f.
func (t *TermFrequencies) Total(f TFField) uint64 { return t.total[f] }
