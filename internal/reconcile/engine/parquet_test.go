package engine

import (
	"bytes"
	"context"
	"encoding/csv"
	"io"
	"maps"
	"slices"
	"strconv"
	"testing"

	"github.com/parquet-go/parquet-go"

	"github.com/populus-vn/populus/internal/people"
	"github.com/populus-vn/populus/internal/reconcile/sector"
	"github.com/populus-vn/populus/internal/reconcile/sectorsynth"
	"github.com/populus-vn/populus/internal/synth"
)

// parquetRegister builds a synthetic register in memory and a drivers'
// file derived from it, as CSV and as Parquet (the same values).
func parquetRegister(t *testing.T) (x *Index, csvFile, pqFile []byte) {
	t.Helper()
	ctx := context.Background()
	pop := synth.Config{People: 3000, Seed: 3}
	var f, tr, pq bytes.Buffer
	if err := sectorsynth.Synthesize(ctx, sectorsynth.SynthConfig{Kind: sector.Drivers, Records: 600, Seed: 5}, sectorsynth.SynthPopulation(pop), &f, &tr); err != nil {
		t.Fatal(err)
	}
	if err := sector.CSVToParquet(&pq, bytes.NewReader(f.Bytes()), nil); err != nil {
		t.Fatal(err)
	}
	b := NewIndexBuilder(nil, 3000)
	err := synth.Generate(ctx, pop, func(_ *people.Household, ms []people.Person) error {
		for i := range ms {
			b.Add(PersonOf(&ms[i]))
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return b.Build(), f.Bytes(), pq.Bytes()
}

// A Parquet sector file gives the decisions its CSV gives (rows are
// numbered from 1 where CSV lines count the header), and the Parquet
// output holds what the CSV output holds, typed.
func TestParquetInputAndOutput(t *testing.T) {
	x, csvFile, pqFile := parquetRegister(t)
	cfg := Config{Seed: 1, Workers: 2}
	run := func(name string, file []byte, parquetOut bool) (*Summary, []byte, []byte) {
		var dec, cor bytes.Buffer
		out, finish := Output{Decisions: &dec, Corrections: &cor}, func(err error) error { return err }
		if parquetOut {
			out, finish = ParquetOutput(&dec, &cor)
		}
		sum, err := Run(context.Background(), x, bytesInput(name, file, nil, sector.Drivers.Mapping()), out, cfg)
		if err = finish(err); err != nil {
			t.Fatal(err)
		}
		return sum, dec.Bytes(), cor.Bytes()
	}
	sumCSV, decCSV, corCSV := run("drivers.csv", csvFile, false)
	sumPQ, decPQ, corPQ := run("drivers.parquet", pqFile, false)
	if !maps.Equal(sumCSV.Counts, sumPQ.Counts) || sumCSV.Counts["exact"] < 300 {
		t.Errorf("counts: CSV %v, Parquet %v", sumCSV.Counts, sumPQ.Counts)
	}
	a, b := readCSV(t, decCSV), readCSV(t, decPQ)
	if len(a) != 601 || len(a) != len(b) {
		t.Fatalf("%d decisions from CSV, %d from Parquet", len(a), len(b))
	}
	for i := 1; i < len(a); i++ {
		if b[i][1] != strconv.Itoa(i) || a[i][1] != strconv.Itoa(i+1) {
			t.Fatalf("decision %d: line %s in CSV, row %s in Parquet", i, a[i][1], b[i][1])
		}
		a[i][1], b[i][1] = "", ""
		if !slices.Equal(a[i], b[i]) {
			t.Fatalf("decision %d:\nCSV     %q\nParquet %q", i, a[i], b[i])
		}
	}
	if ca, cb := readCSV(t, corCSV), readCSV(t, corPQ); len(ca) != len(cb) || len(ca) < 100 {
		t.Errorf("%d corrections from CSV, %d from Parquet", len(ca), len(cb))
	}

	// The same run written as Parquet.
	_, decOut, corOut := run("drivers.csv", csvFile, true)
	for _, tc := range []struct {
		name    string
		csv, pq []byte
		header  []string
	}{
		{"decisions", decCSV, decOut, DecisionsHeader},
		{"corrections", corCSV, corOut, CorrectionsHeader},
	} {
		f, err := parquet.OpenFile(bytes.NewReader(tc.pq), int64(len(tc.pq)))
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		for i, c := range f.Root().Columns() {
			kind := c.Type().Kind()
			want := parquet.ByteArray
			switch ParquetColumnType(tc.header[i]) {
			case sector.ParquetDouble:
				want = parquet.Double
			case sector.ParquetInt64:
				want = parquet.Int64
			}
			if c.Name() != tc.header[i] || kind != want || !c.Optional() {
				t.Errorf("%s: column %d is %s %s (optional %v), want %s %s", tc.name, i, c.Name(), kind, c.Optional(), tc.header[i], want)
			}
		}
		want := readCSV(t, tc.csv)
		rows, err := sector.OpenRows(bytes.NewReader(tc.pq), tc.name+".parquet")
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(rows.Header(), want[0]) {
			t.Fatalf("%s: header %q, want %q", tc.name, rows.Header(), want[0])
		}
		n := 1
		for ; ; n++ {
			got, _, err := rows.Next()
			if err == io.EOF {
				break
			}
			if err != nil {
				t.Fatal(err)
			}
			if n >= len(want) {
				t.Fatalf("%s: more rows in Parquet than in CSV", tc.name)
			}
			for j, v := range got {
				w := want[n][j]
				if ParquetColumnType(tc.header[j]) == sector.ParquetDouble && w != "" {
					x, _ := strconv.ParseFloat(w, 64)
					y, err := strconv.ParseFloat(v, 64)
					if err != nil || x != y {
						t.Fatalf("%s row %d, %s: %q, want %q", tc.name, n, tc.header[j], v, w)
					}
					continue
				}
				if v != w {
					t.Fatalf("%s row %d, %s: %q, want %q", tc.name, n, tc.header[j], v, w)
				}
			}
		}
		if n != len(want) {
			t.Errorf("%s: %d rows in Parquet, %d in CSV", tc.name, n-1, len(want)-1)
		}
	}
}

func readCSV(t *testing.T, b []byte) [][]string {
	t.Helper()
	rows, err := csv.NewReader(bytes.NewReader(b)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	return rows
}
