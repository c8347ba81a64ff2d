package service

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/populus-vn/populus/internal/auth"
	"github.com/populus-vn/populus/internal/db"
	"github.com/populus-vn/populus/internal/problem"
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
