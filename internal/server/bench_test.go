package server

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"testing"
	"time"

	"github.com/populus-vn/populus/internal/audit"
	"github.com/populus-vn/populus/internal/auth"
	"github.com/populus-vn/populus/internal/db/dbtest"
	"github.com/populus-vn/populus/internal/httpx"
	"github.com/populus-vn/populus/internal/people"
	"github.com/populus-vn/populus/internal/register"
	"github.com/populus-vn/populus/internal/staff"
	"github.com/populus-vn/populus/internal/synth"
	"github.com/populus-vn/populus/internal/units"
)

// BenchmarkGetPerson measures GET /api/v1/persons/{pin} through the whole
// handler (session, authorisation, read, audit, JSON) on SQLite, against a
// handler writing a fixed body of the same size: the ratio is what the
// issue's target is about, without the network.
func BenchmarkGetPerson(b *testing.B) {
	ctx := context.Background()
	d := dbtest.SQLite(b, testSchemas...)
	u := units.Default()
	log := audit.New(d) // the server's default
	if os.Getenv("BENCH_AUDIT_BUFFERED") != "" {
		log = audit.NewBuffered(d, 20*time.Millisecond)
	}
	b.Cleanup(log.Close)
	reg := register.New(d, auth.NewGuard(auth.NewPolicy(u), log), log, u)
	im := register.NewImporter(d)
	var pins []string
	err := synth.Generate(ctx, synth.Config{People: 20000, Seed: 7}, func(h *people.Household, ms []people.Person) error {
		for _, p := range ms {
			if len(pins) < 5000 {
				pins = append(pins, p.PIN)
			}
		}
		return im.Add(ctx, h, ms)
	})
	if err == nil {
		err = im.Flush(ctx)
	}
	if err != nil {
		b.Fatal(err)
	}
	st := staff.NewStore(d, staff.TestParams)
	if _, err := st.Create(ctx, staff.NewAccount{Username: "bench", DisplayName: "Bench", Password: "do-hieu-nang-2025", Role: auth.ServiceOfficer, Unit: "VN"}); err != nil {
		b.Fatal(err)
	}
	svc := staff.NewService(st, log, staff.Options{})
	h, err := New(Deps{DB: d, Capabilities: []httpx.Routes{svc, reg}, Guards: svc.Guards()})
	if err != nil {
		b.Fatal(err)
	}
	rec := httptest.NewRecorder()
	req := httptest.NewRequest("POST", "/api/v1/session", bytes.NewReader([]byte(`{"username":"bench","password":"do-hieu-nang-2025"}`)))
	req.Header.Set("Content-Type", "application/json")
	h.ServeHTTP(rec, req)
	if rec.Code != 201 {
		b.Fatalf("sign in: %d %s", rec.Code, rec.Body)
	}
	cookie := rec.Result().Cookies()[0]
	get := func(h http.Handler, i int) int {
		req := httptest.NewRequest("GET", "/api/v1/persons/"+pins[i%len(pins)], nil)
		req.AddCookie(cookie)
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		return rec.Code
	}
	var sample people.Person
	{
		req := httptest.NewRequest("GET", "/api/v1/persons/"+pins[0], nil)
		req.AddCookie(cookie)
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		json.Unmarshal(rec.Body.Bytes(), &sample)
	}
	body, _ := json.Marshal(sample)
	bare := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Write(body)
	})
	b.Run("populus", func(b *testing.B) {
		b.SetParallelism(8)
		b.RunParallel(func(pb *testing.PB) {
			i := 0
			for pb.Next() {
				if c := get(h, i); c != 200 {
					b.Errorf("status %d", c)
					return
				}
				i += 7
			}
		})
	})
	b.Run("bare", func(b *testing.B) {
		b.SetParallelism(8)
		b.RunParallel(func(pb *testing.PB) {
			i := 0
			for pb.Next() {
				get(bare, i)
				i++
			}
		})
	})
}
