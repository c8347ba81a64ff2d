package service

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/parquet-go/parquet-go"

	"github.com/populus-vn/populus/internal/auth"
	"github.com/populus-vn/populus/internal/db"
	"github.com/populus-vn/populus/internal/problem"
	"github.com/populus-vn/populus/internal/reconcile/sector"
)

// Twelve uploads sent together against a limit of 1 running + 4 waiting:
// five are accepted, seven refused with 429, whatever the timing.
func testConcurrentUploads(t *testing.T, d *db.DB, file []byte) {
	h := newHarness(t, d, t.TempDir(), func(c *Config) { c.Limits = Limits{MaxRunning: 1, MaxQueued: 4} })
	h.user("burst", auth.ServiceOfficer, "00040")
	p := h.users["burst"]
	// Each upload takes a while, as a real one does: all twelve are past
	// the admission before the first is stored, unless it reserves.
	receive := func(dir string) (submission, error) {
		time.Sleep(100 * time.Millisecond)
		if err := os.WriteFile(filepath.Join(dir, "input.csv"), file, 0o600); err != nil {
			return submission{}, err
		}
		return submission{values: map[string]string{"kind": "drivers"}, fileName: "drivers.csv", fileBytes: int64(len(file)), hasFile: true}, nil
	}
	var wg sync.WaitGroup
	var mu sync.Mutex
	accepted, refused := 0, 0
	for range 12 {
		wg.Go(func() {
			_, err := h.svc.Submit(context.Background(), p, int64(len(file)), receive)
			mu.Lock()
			defer mu.Unlock()
			var pe *problem.Error
			switch {
			case err == nil:
				accepted++
			case errors.As(err, &pe) && pe.Kind == problem.RateLimited:
				refused++
			default:
				t.Errorf("submission: %v", err)
			}
		})
	}
	wg.Wait()
	if accepted != 5 || refused != 7 {
		t.Errorf("%d accepted and %d refused; want 5 and 7", accepted, refused)
	}
	if n := h.jobRows("00040"); n != 5 {
		t.Errorf("%d job rows, want 5", n)
	}
	// The reservations are released: once the jobs are gone, the member
	// may submit again.
	if _, err := d.Exec(`UPDATE reconcile_jobs SET state = 'cancelled' WHERE unit_code = '00040'`); err != nil {
		t.Fatal(err)
	}
	if _, err := h.svc.Submit(context.Background(), p, int64(len(file)), receive); err != nil {
		t.Errorf("after the burst: %v", err)
	}
}

// A field over its bound, in CSV, or a Parquet page that would decompress
// beyond its bound, is refused with 413 naming the file, and nothing is
// stored.
func testHugeValues(t *testing.T, d *db.DB, file []byte) {
	h := newHarness(t, d, t.TempDir(), nil)
	h.user("huge", auth.ServiceOfficer, "00050")
	head := file[:bytes.IndexByte(file, '\n')+1]
	csvFile := append(append([]byte{}, head...), strings.Repeat("x", sector.MaxFieldBytes+1)...)
	w := h.submit("huge", "huge.csv", csvFile, map[string]string{"kind": "drivers"})
	wantProblem(t, w, http.StatusRequestEntityTooLarge, "file")
	if !strings.Contains(w.Body.String(), "line 2, column 1") {
		t.Errorf("the refusal does not name the line and column: %s", w.Body.String())
	}

	type row struct {
		HoTen string `parquet:"HO_TEN,zstd"`
	}
	var b bytes.Buffer
	pw := parquet.NewGenericWriter[row](&b, parquet.SkipPageBounds("HO_TEN"), parquet.SkipPageStatistics("HO_TEN"),
		parquet.ColumnIndexSizeLimit(func([]string) int { return 16 }))
	if _, err := pw.Write([]row{{strings.Repeat("x", sector.MaxPageBytes+1)}}); err != nil {
		t.Fatal(err)
	}
	if err := pw.Close(); err != nil {
		t.Fatal(err)
	}
	w = h.submit("huge", "bomb.parquet", b.Bytes(), map[string]string{"mapping": "full_name=HO_TEN"})
	wantProblem(t, w, http.StatusRequestEntityTooLarge, "file")
	if n := h.jobRows("00050"); n != 0 {
		t.Errorf("%d job rows after the refusals", n)
	}
	if got := entries(t, h.svc.Dir()); len(got) != 0 {
		t.Errorf("files left after the refusals: %v", got)
	}
}

// A member may store at most MaxMemberBytes of files: an upload beyond it
// is refused with 413 naming max_member_bytes; deleting a job makes room.
func testQuota(t *testing.T, d *db.DB, file []byte) {
	h := newHarness(t, d, t.TempDir(), func(c *Config) { c.Limits = Limits{MaxMemberBytes: int64(len(file)) * 3 / 2} })
	h.user("quota", auth.ServiceOfficer, "00060")
	w := h.submit("quota", "drivers.csv", file, map[string]string{"kind": "drivers"})
	if w.Code != http.StatusAccepted {
		t.Fatalf("first: %d %s", w.Code, w.Body.String())
	}
	first := decode[JobView](t, w).ID
	wantProblem(t, h.submit("quota", "drivers.csv", file, map[string]string{"kind": "drivers"}), http.StatusRequestEntityTooLarge, "max_member_bytes")
	if n := h.jobRows("00060"); n != 1 {
		t.Errorf("%d job rows, want 1", n)
	}
	if w := h.do("quota", "DELETE", "/api/v1/reconcile/jobs/"+first, nil, ""); w.Code != http.StatusNoContent {
		t.Fatalf("delete: %d %s", w.Code, w.Body.String())
	}
	if w := h.submit("quota", "drivers.csv", file, map[string]string{"kind": "drivers"}); w.Code != http.StatusAccepted {
		t.Fatalf("after the delete: %d %s", w.Code, w.Body.String())
	}
}
