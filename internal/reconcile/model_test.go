package reconcile

import (
	"encoding/json"
	"math"
	"strings"
	"testing"

	"github.com/populus-vn/populus/internal/civil"
)

func TestExplainSumsToWeight(t *testing.T) {
	w := testWorld(t)
	m := NewModel(append(DefaultComparisons(), FamilyName{}, GivenName{})...)
	m.Lambda = 1e-4
	s, err := m.Scorer()
	if err != nil {
		t.Fatal(err)
	}
	v := make(Vector, len(m.Comparisons))
	checked, tf := 0, 0
	for a, b := range w.blocked() {
		e := s.Explain(a, b)
		sum := e.Prior
		for i, term := range e.Terms {
			sum += term.Weight
			level := m.Comparisons[i].Level(a, b)
			if term.Level != level || term.Comparison != m.Comparisons[i].Name() {
				t.Fatalf("term %d is %+v, level %d", i, term, level)
			}
			switch {
			case level == Null && (term.Weight != 0 || term.Label != "missing"):
				t.Fatalf("null term %+v", term)
			case level != Null && math.Abs(term.Weight-math.Log2(term.M/term.U)) > 1e-9:
				t.Fatalf("term %+v: weight is not log2(m/u)", term)
			}
			if term.TF {
				tf++
			}
		}
		weight := s.Weight(a, b)
		if math.Abs(sum-e.Weight) > 1e-9 || math.Abs(e.Weight-weight) > 1e-9 {
			t.Fatalf("prior %v + terms = %v, explanation says %v, Weight %v", e.Prior, sum, e.Weight, weight)
		}
		if got := s.Score(a, b, v); got != weight {
			t.Fatalf("Score %v, Weight %v", got, weight)
		}
		for i, c := range m.Comparisons {
			if int(v[i]) != c.Level(a, b) {
				t.Fatalf("vector %v at %d, level %d", v, i, c.Level(a, b))
			}
		}
		if math.Abs(e.Probability-Probability(weight)) > 1e-12 {
			t.Fatalf("probability %v for weight %v", e.Probability, weight)
		}
		checked++
	}
	if checked < 1000 || tf == 0 {
		t.Fatalf("%d pairs checked, %d term-frequency terms", checked, tf)
	}
}

func TestProbability(t *testing.T) {
	for _, c := range []struct{ w, p float64 }{{0, 0.5}, {1, 2.0 / 3}, {-1, 1.0 / 3}, {10, 1024.0 / 1025}, {-2000, 0}, {2000, 1}} {
		if got := Probability(c.w); math.Abs(got-c.p) > 1e-12 {
			t.Errorf("Probability(%v) = %v, want %v", c.w, got, c.p)
		}
	}
	if got := PriorWeight(0.5); got != 0 {
		t.Errorf("PriorWeight(0.5) = %v", got)
	}
	if got := PriorWeight(1.0 / 1025); math.Abs(got+10) > 1e-9 {
		t.Errorf("PriorWeight(1/1025) = %v, want -10", got)
	}
}

// Agreeing on Nguyễn, 38% of surnames, must say less than agreeing on a
// surname in general, and agreeing on a rare surname more.
func TestTermFrequencyAdjustment(t *testing.T) {
	tf := NewTermFrequencies()
	var register []Record
	add := func(name string, n int) {
		for range n {
			r := NewRecord(named(name))
			tf.Add(&r)
			register = append(register, r)
		}
	}
	add("Nguyễn Văn An", 384)
	add("Trần Thị Bình", 110)
	add("Lê Văn Cường", 95)
	add("Phạm Thị Dung", 71)
	add("Hoàng Văn Em", 51)
	add("Đỗ Thị Giang", 288)
	add("Khổng Minh Hải", 1)
	for i := range register {
		tf.Annotate(&register[i])
	}
	if got := tf.Frequency(TFFamilyName, "nguyen"); math.Abs(got-0.384) > 1e-12 {
		t.Fatalf("frequency of Nguyễn %v", got)
	}
	if top := tf.Top(TFFamilyName, 2); len(top) != 2 || top[0] != (TermCount{"nguyen", 384}) || top[1].Value != "do" {
		t.Fatalf("top surnames %v", top)
	}

	m := NewModel(FamilyName{})
	m.M[0] = []float64{0.90, 0.05, 0.01, 0.02, 0.02}
	m.U[0] = []float64{0.12, 0.01, 0.01, 0.06, 0.80} // the average chance of agreeing
	m.Lambda = 0.001
	s, err := m.Scorer()
	if err != nil {
		t.Fatal(err)
	}
	weightWith := func(sector string, reg *Record) Explanation {
		a := NewRecord(named(sector))
		return s.Explain(&a, reg)
	}
	nguyen := weightWith("Nguyễn Thị Lan", &register[0])
	khong := weightWith("Khổng Văn Hải", &register[len(register)-1])
	plain := m.Parameters().Comparisons[0].Levels[FamilyExact].Weight
	if !nguyen.Terms[0].TF || nguyen.Terms[0].U != float64(float32(0.384)) {
		t.Errorf("Nguyễn term %+v: u should be its frequency", nguyen.Terms[0])
	}
	if !(nguyen.Terms[0].Weight < plain && plain < khong.Terms[0].Weight) {
		t.Errorf("weights: Nguyễn %.2f, any surname %.2f, Khổng %.2f; want increasing",
			nguyen.Terms[0].Weight, plain, khong.Terms[0].Weight)
	}
	if want := math.Log2(0.9 * 1000); math.Abs(khong.Terms[0].Weight-want) > 1e-4 {
		t.Errorf("Khổng weight %v, want log2(m/(1/1000)) = %v", khong.Terms[0].Weight, want)
	}
	// Folded agreement is adjusted too; a value the register lacks keeps
	// the level's average, as do levels that are not agreement.
	if e := weightWith("Nguyen Thi Lan", &register[0]); !e.Terms[0].TF || e.Terms[0].Level != FamilyFolded {
		t.Errorf("folded Nguyễn term %+v", e.Terms[0])
	}
	stranger := NewRecord(named("Quách Văn Tĩnh"))
	if e := weightWith("Quách Thị Lan", &stranger); e.Terms[0].TF || e.Terms[0].Weight != plain {
		t.Errorf("unannotated term %+v, want the plain weight %v", e.Terms[0], plain)
	}
	if e := weightWith("Ngyuễn Thị Lan", &register[0]); e.Terms[0].TF || e.Terms[0].Level != FamilyDL1 {
		t.Errorf("one-edit term adjusted: %+v", e.Terms[0])
	}
}

func TestValidate(t *testing.T) {
	bad := []func(m *Model){
		func(m *Model) { m.Lambda = 0 },
		func(m *Model) { m.Lambda = 1 },
		func(m *Model) { m.M[0][0] = 0 },
		func(m *Model) { m.U[1][0] = math.NaN() },
		func(m *Model) { m.M[2] = m.M[2][:1] },
		func(m *Model) { m.U = m.U[:1] },
		func(m *Model) { m.Comparisons = nil },
	}
	for i, f := range bad {
		m := NewModel(DefaultComparisons()...)
		f(m)
		if _, err := m.Scorer(); err == nil {
			t.Errorf("case %d: no error", i)
		}
	}
	if err := NewModel(DefaultComparisons()...).Validate(); err != nil {
		t.Error(err)
	}
}

func TestParametersRoundTrip(t *testing.T) {
	m := NewModel(DefaultComparisons()...)
	m.M[0][0], m.U[0][0] = 0.7, 0.001
	m.Lambda = 3e-7
	b, err := json.Marshal(m.Parameters())
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(b), `"label":"name order swapped"`) {
		t.Errorf("parameters lack labels: %s", b)
	}
	var p Parameters
	if err := json.Unmarshal(b, &p); err != nil {
		t.Fatal(err)
	}
	n := NewModel(DefaultComparisons()...)
	if err := n.SetParameters(p); err != nil {
		t.Fatal(err)
	}
	if n.M[0][0] != 0.7 || n.U[0][0] != 0.001 || n.Lambda != 3e-7 {
		t.Errorf("reloaded %v %v %v", n.M[0][0], n.U[0][0], n.Lambda)
	}
	other := NewModel(FullName{}, Sex{})
	if err := other.SetParameters(p); err == nil {
		t.Error("parameters of another model loaded")
	}
	p.Comparisons[1].Name = "dob"
	if err := n.SetParameters(p); err == nil {
		t.Error("renamed comparison loaded")
	}
}

func TestScorerIsASnapshot(t *testing.T) {
	m := NewModel(Sex{})
	m.Lambda = 0.5
	s, _ := m.Scorer()
	a, b := NewRecord(Fields{Sex: civil.Male}), NewRecord(Fields{Sex: civil.Male})
	before := s.Weight(&a, &b)
	m.M[0][0] = 0.99
	if s.Weight(&a, &b) != before {
		t.Error("the scorer follows the model")
	}
}
