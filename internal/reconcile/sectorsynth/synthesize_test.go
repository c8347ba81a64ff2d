package sectorsynth

import (
	"bytes"
	"context"
	"encoding/csv"
	"io"
	"math"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/populus-vn/populus/internal/civil"
	"github.com/populus-vn/populus/internal/people"
	"github.com/populus-vn/populus/internal/reconcile/sector"
	"github.com/populus-vn/populus/internal/synth"
	"github.com/populus-vn/populus/internal/units"
)

var testPopulation = synth.Config{People: 20_000, Seed: 11}

func synthesize(t testing.TB, cfg SynthConfig) (out, truth []byte) {
	t.Helper()
	var o, tr bytes.Buffer
	if err := Synthesize(context.Background(), cfg, SynthPopulation(testPopulation), &o, &tr); err != nil {
		t.Fatal(err)
	}
	return o.Bytes(), tr.Bytes()
}

// people returns the test population by PIN, with the PIN of the
// household head's household for siblings.
func population(t testing.TB) map[string]people.Person {
	t.Helper()
	m := map[string]people.Person{}
	err := SynthPopulation(testPopulation)(context.Background(), func(_ *people.Household, ms []people.Person) error {
		for _, p := range ms {
			m[p.PIN] = p
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

type truthRow struct{ id, pin, c, tags string }

func readTruth(t testing.TB, b []byte) []truthRow {
	t.Helper()
	rows, err := csv.NewReader(bytes.NewReader(b)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(rows[0], ",") != strings.Join(sector.TruthHeader, ",") {
		t.Fatalf("truth header %q", rows[0])
	}
	var out []truthRow
	for _, r := range rows[1:] {
		out = append(out, truthRow{r[0], r[1], r[2], r[3]})
	}
	return out
}

func readRecords(t testing.TB, k sector.Kind, b []byte) []sector.Record {
	t.Helper()
	r, err := sector.OpenReader(bytes.NewReader(b), "", k.Mapping())
	if err != nil {
		t.Fatal(err)
	}
	var out []sector.Record
	for {
		rec, err := r.Next()
		if err == io.EOF {
			return out
		}
		if err != nil {
			t.Fatalf("%s: %v", k, err)
		}
		out = append(out, rec)
	}
}

func TestSynthesizeIsDeterministic(t *testing.T) {
	cfg := SynthConfig{Kind: sector.Drivers, Records: 500, Seed: 5}
	a, at := synthesize(t, cfg)
	b, bt := synthesize(t, cfg)
	if !bytes.Equal(a, b) || !bytes.Equal(at, bt) {
		t.Error("the same config gave different files")
	}
	cfg.Seed = 6
	c, _ := synthesize(t, cfg)
	if bytes.Equal(a, c) {
		t.Error("another seed gave the same file")
	}
}

// TestSynthesizeTruth checks every kind against the register: the counts,
// the truth file, and that every value the truth says is uncorrupted reads
// back as the register has it.
func TestSynthesizeTruth(t *testing.T) {
	reg := units.Default()
	pop := population(t)
	const n = 3000
	for _, k := range sector.Kinds() {
		t.Run(string(k), func(t *testing.T) {
			out, truthCSV := synthesize(t, SynthConfig{Kind: k, Records: n, Seed: 1})
			recs, truth := readRecords(t, k, out), readTruth(t, truthCSV)
			if len(recs) != n || len(truth) != n {
				t.Fatalf("%d records and %d truth lines, want %d", len(recs), len(truth), n)
			}
			rates := RatesOf(k)
			cases := map[string]int{}
			tags := map[string]int{}
			ids := map[string]bool{}
			deceased := 0
			for i, rec := range recs {
				tr := truth[i]
				cases[tr.c]++
				for _, tag := range strings.Fields(tr.tags) {
					tags[tag]++
				}
				if tr.id != rec.ID || ids[rec.ID] {
					t.Fatalf("record %d: id %q, truth id %q (or repeated)", i, rec.ID, tr.id)
				}
				ids[rec.ID] = true
				if tr.c == sector.CaseNotInRegister {
					if tr.pin != "" {
						t.Errorf("%s: an outsider with a true PIN", rec.ID)
					}
					continue
				}
				p, ok := pop[tr.pin]
				if !ok {
					t.Fatalf("%s: true PIN %q is not in the register", rec.ID, tr.pin)
				}
				if p.Status == people.Deceased {
					deceased++
				}
				if (tr.c == sector.CaseDeceased || tr.c == sector.CaseMatch) && (tr.c == sector.CaseDeceased) != (p.Status == people.Deceased) {
					t.Errorf("%s: case %s for a person %s", rec.ID, tr.c, p.Status)
				}
				if tr.c == sector.CaseSibling || tr.c == sector.CaseTwin {
					prev := pop[truth[i-1].pin]
					if !siblings(&p, &prev) || (tr.c == sector.CaseTwin) != (p.BirthDate == prev.BirthDate) {
						t.Errorf("%s: %s of %s, who is not one", rec.ID, tr.c, prev.FullName)
					}
				}
				clean := func(prefix string) bool { return !strings.Contains(" "+tr.tags, " "+prefix) }
				if clean("pin:") && tr.c != sector.CaseSibling && tr.c != sector.CaseTwin && rec.PIN != p.PIN {
					t.Errorf("%s: PIN %q, register %q", rec.ID, rec.PIN, p.PIN)
				}
				// A birth on 1 January is read as the year alone (01/01 is
				// the usual stand-in for an unknown day), with a note.
				birth, notes := p.BirthDate, rec.Notes
				if birth.Day == 1 && birth.Month == 1 {
					birth = civil.Date{Year: birth.Year}
					notes = slices.DeleteFunc(slices.Clone(notes), func(n sector.Note) bool { return strings.Contains(n.Msg, "stand-in for an unknown day") })
				}
				if tr.tags == "" && len(notes) != 0 {
					t.Errorf("%s: uncorrupted, but notes %v", rec.ID, notes)
				}
				if clean("name:") && rec.FullName != p.FullName {
					t.Errorf("%s: name %q, register %q", rec.ID, rec.FullName, p.FullName)
				}
				if clean("date:") && rec.BirthDate != birth {
					t.Errorf("%s: birth %v, register %v", rec.ID, rec.BirthDate, p.BirthDate)
				}
				if clean("sex:") && rec.Sex != p.Sex {
					t.Errorf("%s: sex %v, register %v", rec.ID, rec.Sex, p.Sex)
				}
				if clean("addr:") && p.Current.Unit != "" {
					want := p.BirthPlace
					if k != sector.CivilStatus {
						want = p.Current.Unit
					}
					u, _ := reg.Lookup(want)
					if prov, _ := u.ParentKey(); rec.Province != prov.String() {
						t.Errorf("%s: province %q, register %q (%s)", rec.ID, rec.Province, prov, u)
					}
					if k != sector.Bank && rec.Commune != want {
						t.Errorf("%s: commune %q (%v), register %q", rec.ID, rec.Commune, rec.Notes, want)
					}
				}
			}
			if want := int(math.Round(n * rates.NotInRegister)); cases[sector.CaseNotInRegister] != want {
				t.Errorf("%d outsiders, want %d", cases[sector.CaseNotInRegister], want)
			}
			if want := int(math.Round(n * rates.Deceased)); deceased != want {
				t.Errorf("%d records of the deceased, want %d", deceased, want)
			}
			for _, c := range []string{sector.CaseMatch, sector.CaseDuplicate, sector.CaseSibling} {
				if cases[c] == 0 {
					t.Errorf("no record of case %s", c)
				}
			}
			// Unconditional rates come out as set, within 5 standard deviations.
			for _, ri := range []struct {
				tag  string
				rate float64
			}{{"name:upper", rates.UpperCase}, {"name:no-diacritics", rates.NoDiacritics}, {"addr:no-province", rates.NoProvince}} {
				sd := math.Sqrt(n * ri.rate * (1 - ri.rate))
				if got := float64(tags[ri.tag]); math.Abs(got-n*ri.rate) > 5*sd+1 {
					t.Errorf("%s: %v records, want about %v", ri.tag, got, n*ri.rate)
				}
			}
			t.Logf("cases %v", cases)
			t.Logf("tags %v", tags)
		})
	}
}

// TestSynthesizeUncorrupted reads back a file made with every rate zero: each
// record must say what the register says, without a note.
func TestSynthesizeUncorrupted(t *testing.T) {
	pop := population(t)
	for _, k := range sector.Kinds() {
		out, truthCSV := synthesize(t, SynthConfig{Kind: k, Records: 400, Seed: 2, Rates: &Rates{}})
		truth := readTruth(t, truthCSV)
		for i, rec := range readRecords(t, k, out) {
			p := pop[truth[i].pin]
			if truth[i].c != sector.CaseMatch || truth[i].tags != "" {
				t.Fatalf("%s: case %s, tags %q with zero rates", rec.ID, truth[i].c, truth[i].tags)
			}
			// A birth on 1 January is read as the year alone (01/01 is the
			// usual stand-in for an unknown day), with a note saying so.
			birth, notes := p.BirthDate, len(rec.Notes)
			if birth.Day == 1 && birth.Month == 1 {
				birth = civil.Date{Year: birth.Year}
				if notes == 1 && strings.Contains(rec.Notes[0].Msg, "stand-in for an unknown day") {
					notes = 0
				}
			}
			if notes > 0 || rec.PIN != p.PIN || rec.FullName != p.FullName || rec.BirthDate != birth || rec.Sex != p.Sex {
				t.Errorf("%s: %+v\nregister: %+v", k, rec, p)
			}
		}
	}
}

func TestSynthesizeErrors(t *testing.T) {
	var o, tr bytes.Buffer
	pop := SynthPopulation(synth.Config{People: 100, Seed: 1})
	for _, tc := range []struct {
		cfg  SynthConfig
		want string
	}{
		{SynthConfig{Kind: "taxi", Records: 1}, `unknown kind "taxi"`},
		{SynthConfig{Kind: sector.Drivers, Records: 1000}, "eligible for a drivers record, fewer than"},
		{SynthConfig{Kind: sector.Bank, Records: -1}, "negative"},
		{SynthConfig{Kind: sector.Bank, Records: 1, Rates: &Rates{NoPIN: 2}}, "rate NoPIN is 2"},
	} {
		err := Synthesize(context.Background(), tc.cfg, pop, &o, &tr)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%+v: %v, want %q", tc.cfg, err, tc.want)
		}
	}
}

// TestREADMERates keeps the table of README.md equal to the code's rates.
func TestREADMERates(t *testing.T) {
	b, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(b), RatesTable()) {
		t.Errorf("README.md does not hold the current rates table; replace it with:\n%s", RatesTable())
	}
}

func BenchmarkSynthesize(b *testing.B) {
	var out, truth bytes.Buffer
	b.ReportAllocs()
	for b.Loop() {
		out.Reset()
		truth.Reset()
		if err := Synthesize(context.Background(), SynthConfig{Kind: sector.Drivers, Records: 5000, Seed: 1},
			SynthPopulation(testPopulation), &out, &truth); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(5000*b.N)/b.Elapsed().Seconds(), "records/s")
}

// BenchmarkReader reads a drivers' file of 20,000 records through its
// mapping: CSV, UTF-8 check, and every value parsed.
func BenchmarkReader(b *testing.B) {
	const n = 20_000
	var out, truth bytes.Buffer
	if err := Synthesize(context.Background(), SynthConfig{Kind: sector.Drivers, Records: n, Seed: 1},
		SynthPopulation(synth.Config{People: 100_000, Seed: 1}), &out, &truth); err != nil {
		b.Fatal(err)
	}
	m := sector.Drivers.Mapping()
	b.SetBytes(int64(out.Len()))
	b.ReportAllocs()
	for b.Loop() {
		r, err := sector.OpenReader(bytes.NewReader(out.Bytes()), "", m)
		if err != nil {
			b.Fatal(err)
		}
		for {
			if _, err := r.Next(); err == io.EOF {
				break
			} else if err != nil {
				b.Fatal(err)
			}
		}
	}
	b.ReportMetric(float64(n*b.N)/b.Elapsed().Seconds(), "records/s")
}
