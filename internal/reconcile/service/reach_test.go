package service

import (
	"bytes"
	"context"
	"encoding/csv"
	"net/http"
	"testing"
	"time"

	"github.com/populus-vn/populus/internal/auth"
	"github.com/populus-vn/populus/internal/db"
	"github.com/populus-vn/populus/internal/reconcile/engine"
	"github.com/populus-vn/populus/internal/units"
)

// pinsOf returns the PINs a decisions or corrections file names (the
// linked PIN, the candidates', the register's value of a PIN correction).
func pinsOf(t *testing.T, b []byte, corrections bool) map[string]bool {
	t.Helper()
	rows, err := csv.NewReader(bytes.NewReader(b)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]bool{}
	for _, r := range rows[1:] {
		if corrections {
			out[r[4]] = true
			if r[1] == "pin" {
				out[r[3]] = true
			}
			continue
		}
		out[r[3]] = true
		for _, c := range bytes.Split([]byte(r[6]), []byte("; ")) {
			if f := bytes.Fields(c); len(f) > 0 {
				out[string(f[0])] = true
			}
		}
	}
	delete(out, "")
	return out
}

// A job of a member attached to Hà Nội (province 01) names no one whose
// responsible unit is outside 01, every person it names is in the audit log
// against their PIN as read by the job's owner, and a role that may not
// read people may neither submit a job nor download its results.
func testReach(t *testing.T, d *db.DB, file, wholeDec []byte) {
	x, err := engine.Load(context.Background(), d, engine.LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	province := map[string]string{}
	for i := range x.People() {
		province[x.Record(i).PIN()] = units.Default().ProvinceOf(x.UnitOf(i))
	}
	outside := 0
	for p := range pinsOf(t, wholeDec, false) {
		if province[p] != "01" {
			outside++
		}
	}
	if outside == 0 {
		t.Fatal("the whole register's run names no one outside 01: the test proves nothing")
	}

	h := newHarness(t, d, t.TempDir(), nil)
	h.user("service.hanoi", auth.ServiceOfficer, "01")
	h.user("admin.hanoi", auth.Admin, "01")
	if err := h.svc.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	defer h.svc.Stop()
	w := h.submit("service.hanoi", "drivers.csv", file, map[string]string{"kind": "drivers"})
	if w.Code != http.StatusAccepted {
		t.Fatalf("submit: %d %s", w.Code, w.Body.String())
	}
	v := h.wait("service.hanoi", decode[JobView](t, w).ID)
	if v.State != Done {
		t.Fatalf("job ended %+v", v)
	}
	named := map[string]bool{}
	for name, isCor := range map[string]bool{"decisions.csv": false, "corrections.csv": true} {
		w := h.do("service.hanoi", "GET", v.Links[name], nil, "")
		if w.Code != 200 {
			t.Fatalf("%s: %d %s", name, w.Code, w.Body.String())
		}
		for p := range pinsOf(t, w.Body.Bytes(), isCor) {
			named[p] = true
			if province[p] != "01" {
				t.Errorf("%s names %s, of province %q", name, p, province[p])
			}
		}
		// The administrator of the same unit may not read people: not
		// their results either.
		wantProblem(t, h.do("admin.hanoi", "GET", v.Links[name], nil, ""), http.StatusForbidden, "")
	}
	if len(named) == 0 {
		t.Fatal("the job names no one of Hà Nội")
	}
	// Each person named is findable in the audit log by PIN.
	h.cfg.Audit.Sync(context.Background(), 5*time.Second) // imported from the journal
	rows, err := d.Query(`SELECT subject FROM audit_log WHERE actor = 'staff:service.hanoi' AND action = 'reconcile.read' AND detail LIKE 'reconcile job %'
		AND outcome = 'ok' AND detail = $1`, "reconcile job "+v.ID)
	audited, err := db.Collect(rows, err, func(sc interface{ Scan(...any) error }) (string, error) {
		var s string
		return s, sc.Scan(&s)
	})
	if err != nil {
		t.Fatal(err)
	}
	set := map[string]bool{}
	for _, s := range audited {
		set[s] = true
	}
	for p := range named {
		if !set[p] {
			t.Errorf("%s is in the results but not in the audit log", p)
		}
	}
	for p := range set {
		if province[p] != "01" {
			t.Errorf("audited %s, of province %q", p, province[p])
		}
	}
	// A role that may not read people may not submit.
	wantProblem(t, h.submit("admin.hanoi", "drivers.csv", file, map[string]string{"kind": "drivers"}), http.StatusForbidden, "")
}
