package sectorsynth

import (
	"bytes"
	"strings"
	"testing"

	"github.com/populus-vn/populus/internal/reconcile/sector"
)

// TestSynthesizeHard: the hard profile writes what it says, and the reader
// reads back what it can: names in legacy encodings and typed with the
// input method off come back as the register's, a third of the records or
// more carry no PIN, and look-alikes are not register people.
func TestSynthesizeHard(t *testing.T) {
	pop := population(t)
	for _, k := range sector.Kinds() {
		t.Run(string(k), func(t *testing.T) {
			cfg := SynthConfig{Kind: k, Records: 4000, Seed: 5, Profile: ProfileHard}
			out, truthCSV := synthesize(t, cfg)
			again, _ := synthesize(t, cfg)
			if !bytes.Equal(out, again) {
				t.Fatal("the same seed gave two different files")
			}
			rates, _ := RatesFor(k, ProfileHard)
			truth := readTruth(t, truthCSV)
			recs := readRecords(t, k, out)
			if len(recs) != len(truth) {
				t.Fatalf("%d records read, %d in the truth file", len(recs), len(truth))
			}
			tags := map[string]int{}
			noPIN, rawLegacy, checked, misread := 0, 0, 0, 0
			for i, rec := range recs {
				tr := truth[i]
				for _, tag := range strings.Fields(tr.tags) {
					tags[tag]++
				}
				if rec.PIN == "" {
					noPIN++
				}
				for _, n := range rec.Notes {
					if strings.Contains(n.Msg, "is not UTF-8; it was read as TCVN3") {
						rawLegacy++
					}
				}
				p, inRegister := pop[tr.pin]
				if strings.Contains(tr.tags, "lookalike") {
					if tr.c != sector.CaseNotInRegister || inRegister {
						t.Errorf("%s: look-alike of case %s, PIN in register %v", rec.ID, tr.c, inRegister)
					}
					continue
				}
				if !inRegister {
					continue
				}
				// A name whose only faults are its encoding, keystrokes
				// or capitals reads back as the register's.
				only := true
				for _, tag := range strings.Fields(tr.tags) {
					if strings.HasPrefix(tag, "name:") && tag != "name:upper" && !strings.HasPrefix(tag, "name:ime-") {
						only = false
					}
				}
				legacyOrIME := strings.Contains(tr.tags, "text:") || strings.Contains(tr.tags, "name:ime-")
				if only && legacyOrIME {
					checked++
					if !strings.EqualFold(rec.FullName, p.FullName) {
						misread++
						t.Logf("%s (%s): name read as %q, register %q", rec.ID, tr.tags, rec.FullName, p.FullName)
					}
				}
			}
			if share := float64(noPIN) / float64(len(recs)); share < 1.0/3 {
				t.Errorf("%.3f of the records have no readable PIN, want at least a third", share)
			}
			for _, ri := range rateInfo {
				if *ri.get(&rates) == 0 || !strings.Contains(ri.tag, ":") || strings.Contains(ri.tag, "KIND") {
					continue
				}
				n := 0
				for _, tag := range strings.Split(ri.tag, ", ") {
					n += tags[tag]
				}
				if n == 0 {
					t.Errorf("rate %s is %v but no record has tag %s", ri.name, *ri.get(&rates), ri.tag)
				}
			}
			// A name left as it was is not read back when every word of it
			// is a word in either reading ("Phan Thò Vy", VNI for Phan Thị
			// Vy): at most one in fifty.
			if checked == 0 || float64(misread) > 0.02*float64(checked) {
				t.Errorf("%d of %d names in legacy encodings or typed keystrokes not read back", misread, checked)
			}
			// A TCVN3 line with no letter beyond ASCII is UTF-8 already.
			if tags["lookalike"] == 0 || rawLegacy > tags["text:tcvn3"] || float64(rawLegacy) < 0.8*float64(tags["text:tcvn3"]) {
				t.Errorf("look-alikes %d; lines read as TCVN3 %d, written so %d", tags["lookalike"], rawLegacy, tags["text:tcvn3"])
			}
			t.Logf("no PIN %.3f; tags %v", float64(noPIN)/float64(len(recs)), tags)
		})
	}
}
