package service

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/populus-vn/populus/internal/audit"
	"github.com/populus-vn/populus/internal/auth"
	"github.com/populus-vn/populus/internal/db"
	"github.com/populus-vn/populus/internal/db/dbtest"
	"github.com/populus-vn/populus/internal/units"
)

// BenchmarkJobAudit is what a job pays to audit the people it names: one
// Guard.Disclosed per batch of 128 records, here 384 PINs (a link and two
// other candidates each), on the strict log (a job waits for its entries)
// and the buffered one (the server's default). ns/op is per batch;
// entries/s the log's rate. A job of 10 million records names up to about
// 30 million people.
func BenchmarkJobAudit(b *testing.B) {
	engines := map[string]func(testing.TB, ...*db.Schema) *db.DB{"sqlite": dbtest.SQLite, "postgres": dbtest.Postgres}
	for _, engine := range []string{"sqlite", "postgres"} {
		d := engines[engine](b, testSchemas...)
		for _, mode := range []string{"strict", "buffered"} {
			b.Run(engine+"/"+mode, func(b *testing.B) {
				var al *audit.Log
				if mode == "strict" {
					al = audit.New(d)
				} else {
					al = audit.NewBuffered(d, 20*time.Millisecond)
				}
				g := auth.NewGuard(auth.NewPolicy(units.Default()), al)
				p := auth.Staff(1, "bench", "bench", auth.ServiceOfficer, "01")
				pins := make([]string, 384)
				b.ResetTimer()
				for i := range b.N {
					for j := range pins {
						pins[j] = fmt.Sprintf("001%09d", i*len(pins)+j)
					}
					if err := g.Disclosed(context.Background(), p, auth.ReadReconcile, "reconcile job bench", pins...); err != nil {
						b.Fatal(err)
					}
				}
				al.Close() // the last entries are committed within the time measured
				b.ReportMetric(float64(b.N*len(pins))/b.Elapsed().Seconds(), "entries/s")
			})
		}
	}
}
