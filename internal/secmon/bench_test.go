package secmon

import (
	"context"
	"strconv"
	"sync/atomic"
	"testing"

	"github.com/populus-vn/populus/internal/auth"
)

type nopRecorder struct{}

func (nopRecorder) Deny(context.Context, auth.Principal, auth.Action, string, string) error {
	return nil
}
func (nopRecorder) Allow(context.Context, auth.Principal, auth.Action, string, ...string) error {
	return nil
}

// The limiter's cost on the GET hot path: one read of one person, by
// concurrent requests of one exempt account over 10,000 people (what
// bench/httpget does), and of 1,000 limited accounts each reading 250
// people again and again (under its limits).
func BenchmarkAllowRead(b *testing.B) {
	pins := make([]string, 10000)
	for i := range pins {
		pins[i] = pinN(i)
	}
	b.Run("one-exempt-account", func(b *testing.B) {
		l := NewLimiter(nopRecorder{}, Limits{ReadsPerMinute: 300, ReadsPerHour: 1000, Exempt: []string{"auditor"}})
		p := auth.Staff(1, "auditor", "", auth.Auditor, "VN")
		var n atomic.Int64
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				l.Allow(context.Background(), p, auth.ReadPerson, "", pins[n.Add(1)%int64(len(pins))])
			}
		})
	})
	b.Run("1000-accounts", func(b *testing.B) {
		l := NewLimiter(nopRecorder{}, DefaultLimits)
		ps := make([]auth.Principal, 1000)
		for i := range ps {
			ps[i] = auth.Staff(int64(i), "officer"+strconv.Itoa(i), "", auth.Registrar, "00004")
		}
		var n atomic.Int64
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				i := n.Add(1)
				l.Allow(context.Background(), ps[i%1000], auth.ReadPerson, "", pins[(i/1000)%250])
			}
		})
	})
}
