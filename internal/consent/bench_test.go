package consent_test

import (
	"testing"

	"github.com/populus-vn/populus/internal/consent"
	"github.com/populus-vn/populus/internal/db/dbtest"
)

// BenchmarkAuthorize measures the consent check of the exchange path
// against its baseline in the same run: the plain read of the consent
// record by its key (what any check must do). Compare the ns/op of each
// sub-benchmark as a ratio; the limited case also counts the use.
func BenchmarkAuthorize(b *testing.B) {
	d := dbtest.SQLite(b, consent.Schema)
	e := newEnv(b, d)
	g := e.grant()
	g.Frequency = consent.Frequency{}
	if _, err := e.s.Give(e.ctx, lan, g); err != nil {
		b.Fatal(err)
	}
	g.Purpose, g.Frequency = "KYC-LIMITED", consent.Frequency{Max: consent.MaxUses, Period: consent.Year}
	if _, err := e.s.Give(e.ctx, lan, g); err != nil {
		b.Fatal(err)
	}
	fields := []string{"full_name", "birth_date"}
	b.Run("baseline-read", func(b *testing.B) {
		for b.Loop() {
			var id string
			if err := d.QueryRowContext(e.ctx, `SELECT id FROM consent_records WHERE subject = $1 AND client = $2 AND purpose = $3`,
				lanPIN, bank, "KYC").Scan(&id); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("authorize", func(b *testing.B) {
		for b.Loop() {
			if _, err := e.s.Authorize(e.ctx, lanPIN, bank, "KYC", fields); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("authorize-counted", func(b *testing.B) {
		// -count runs this again over the same store: start each run at 0.
		d.ExecContext(e.ctx, `DELETE FROM consent_uses`)
		n := 0
		for b.Loop() {
			if n++; n == consent.MaxUses {
				b.StopTimer()
				d.ExecContext(e.ctx, `DELETE FROM consent_uses`)
				n = 0
				b.StartTimer()
			}
			if _, err := e.s.Authorize(e.ctx, lanPIN, bank, "KYC-LIMITED", fields); err != nil {
				b.Fatal(err)
			}
		}
	})
}
