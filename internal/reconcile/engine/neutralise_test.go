package engine

import (
	"bytes"
	"context"
	"io"
	"testing"

	"github.com/populus-vn/populus/internal/reconcile/sector"
)

// Cells of the outputs that begin with a formula character are neutralised
// (a leading single quote), so that a spreadsheet shows them as text; the
// numeric columns keep their values.
func TestFormulaCellsNeutralised(t *testing.T) {
	x := memIndex(t)
	_, got, corr := reconcileText(t, x, base+
		`"=HYPERLINK(""http://x"",""y"")",Phan Văn Long,08/08/1970,Nữ,021111111,Phường Phú Lợi,@SUM(A1)`+"\n", Config{})
	d := got[`'=HYPERLINK("http://x","y")`]
	if d == nil {
		t.Fatalf("the formula id is not neutralised: %v", got)
	}
	if d[2] != "conflict" || d[3] != "079070001010" {
		t.Fatalf("decision %v", d)
	}
	if c := corrections(corr, `'=HYPERLINK("http://x","y")`); c["sex"] == nil {
		t.Errorf("corrections %q, want the id neutralised in them", corr)
	}
	for _, r := range corr {
		for i, v := range r {
			if v != "" && (v[0] == '=' || v[0] == '+' || v[0] == '@' || v[0] == '\t' || v[0] == '\r' || (v[0] == '-' && i != 10)) {
				t.Errorf("cell %d of %v begins with a formula character", i, r)
			}
		}
	}
	if cell("-3.5") != "'-3.5" || cell("'a") != "''a" || cell("Nguyễn") != "Nguyễn" || cell("") != "" {
		t.Error("cell")
	}
}

// The Parquet outputs keep the values themselves: no quote.
func TestParquetOutputNotNeutralised(t *testing.T) {
	x := memIndex(t)
	m, err := sector.ParseMapping(goldenMapping)
	if err != nil {
		t.Fatal(err)
	}
	text := base + `"=HYPERLINK(""http://x"",""y"")",Phan Văn Long,08/08/1970,Nữ,021111111,Phường Phú Lợi,Tỉnh Bình Dương` + "\n" +
		`'quoted,Phan Văn Long,08/08/1970,Nữ,021111111,Phường Phú Lợi,Tỉnh Bình Dương` + "\n"
	var dec, cor bytes.Buffer
	out, finish := ParquetOutput(&dec, &cor)
	_, err = Run(context.Background(), x, bytesInput("test.csv", []byte(text), nil, m), out, Config{Model: loadModel(t), Seed: 1, Lambda: 1e-4})
	if err := finish(err); err != nil {
		t.Fatal(err)
	}
	rows, err := sector.OpenRows(bytes.NewReader(dec.Bytes()), "decisions.parquet")
	if err != nil {
		t.Fatal(err)
	}
	ids := map[string]bool{}
	for {
		v, _, err := rows.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		ids[v[0]] = true
	}
	if !ids[`=HYPERLINK("http://x","y")`] || !ids["'quoted"] {
		t.Errorf("ids %v, want the values as they are", ids)
	}
}
