package register_test

import (
	"testing"
	"time"

	"github.com/populus-vn/populus/internal/db/dbtest"
)

func TestScratchImport(t *testing.T) {
	for _, n := range []int{60000, 100000} {
		for _, fe := range []int{20000} {
			d := dbtest.SQLite(t)
			st := time.Now()
			populationBatched(t, d, n, fe)
			t.Logf("n=%d flush=%d: %v", n, fe, time.Since(st))
		}
	}
}
