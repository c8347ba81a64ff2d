package sectorsynth

import (
	"bytes"
	"context"
	"io"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/populus-vn/populus/internal/reconcile/sector"
	"github.com/populus-vn/populus/internal/synth"
)

// Every column of a kind's mapping is in the header of the kind's files.
func TestKindMappingsParse(t *testing.T) {
	for _, k := range sector.Kinds() {
		header := HeaderOf(k)
		for _, e := range k.Mapping().Entries() {
			if !slices.ContainsFunc(header, func(h string) bool { return strings.EqualFold(h, strings.TrimSpace(e.Column)) }) {
				t.Errorf("%s: column %s of the mapping is not in the header", k, e.Column)
			}
		}
	}
}

// The same records, written as CSV and as Parquet (all columns text, as
// populus synth writes them), read the same.
func TestParquetSameAsCSV(t *testing.T) {
	pop := SynthPopulation(synth.Config{People: 3000, Seed: 1})
	for _, k := range sector.Kinds() {
		t.Run(string(k), func(t *testing.T) {
			var csvFile, truth, pq bytes.Buffer
			if err := Synthesize(context.Background(), SynthConfig{Kind: k, Records: 400, Seed: 2}, pop, &csvFile, &truth); err != nil {
				t.Fatal(err)
			}
			if err := sector.CSVToParquet(&pq, bytes.NewReader(csvFile.Bytes()), nil); err != nil {
				t.Fatal(err)
			}
			a := readRecordsFrom(t, bytes.NewReader(csvFile.Bytes()), "x.csv", k.Mapping())
			// A reader without ReadAt is spooled to a temporary file;
			// without the extension, the magic says Parquet.
			b := readRecordsFrom(t, io.MultiReader(bytes.NewReader(pq.Bytes())), "", k.Mapping())
			if len(a) != 400 || len(a) != len(b) {
				t.Fatalf("%d CSV records, %d Parquet", len(a), len(b))
			}
			for i := range a {
				if b[i].Line != i+1 {
					t.Fatalf("Parquet record %d on row %d", i, b[i].Line)
				}
				b[i].Line = a[i].Line
				if !reflect.DeepEqual(a[i], b[i]) {
					t.Fatalf("record %d:\nCSV     %+v\nParquet %+v", i, a[i], b[i])
				}
			}
		})
	}
}

func readRecordsFrom(t *testing.T, in io.Reader, name string, m *sector.Mapping) []sector.Record {
	t.Helper()
	r, err := sector.OpenReader(in, name, m)
	if err != nil {
		t.Fatal(err)
	}
	var recs []sector.Record
	for {
		rec, err := r.Next()
		if err == io.EOF {
			return recs
		}
		if err != nil {
			t.Fatal(err)
		}
		recs = append(recs, rec)
	}
}
