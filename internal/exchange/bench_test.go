package exchange_test

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/populus-vn/populus/internal/auth"
	"github.com/populus-vn/populus/internal/db/dbtest"
	"github.com/populus-vn/populus/internal/exchange"
	"github.com/populus-vn/populus/internal/httpx"
	"github.com/populus-vn/populus/internal/server"
	"github.com/populus-vn/populus/internal/staff"
)

// BenchmarkLookup is the same person look-up under concurrent load, in one
// run: direct (an HTTP handler reading the register through its guard,
// audited, answering the record) and through the exchange (bearer token
// checked in the store, the protocol's headers, purpose, service, right,
// field filter, consent check, the register's read, the request hash and
// the exchange's own audit entry, which commits to the answer: its signing,
// by the log's checkpoints). It logs the throughput ratio
// exchange/direct (target ≥ 0.8). SQLite, one process, plain HTTP for both.
func BenchmarkLookup(b *testing.B) {
	envRequestsPerMinute = -1 // the load is the point: no per-subsystem limit
	defer func() { envRequestsPerMinute = 0 }()
	e := newEnv(b, dbtest.SQLite(b, schemas...))
	e.consents.given[[3]string{e.Lan.PIN, bank, "KYC"}] = "c-1"
	e.consents.given[[3]string{e.Minh.PIN, bank, "KYC"}] = "c-2"
	officer := auth.Staff(1, "registrar", "Cán bộ", auth.Registrar, "VN")
	direct := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p, err := e.Reg.Get(r.Context(), officer, r.PathValue("pin")+r.URL.Path[len("/persons/"):])
		if err != nil {
			http.Error(w, err.Error(), 500)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(p)
	}))
	defer direct.Close()
	ex := httptest.NewServer(e.handler)
	defer ex.Close()
	// The register's own API, GET /api/v1/persons/{pin}, with a staff
	// session: the platform's direct path, authentication included.
	st := staff.NewStore(e.D, staff.TestParams)
	if _, err := st.Create(e.Ctx, staff.NewAccount{Username: "registrar", DisplayName: "Cán bộ", Role: auth.Registrar, Unit: "VN", Password: "mật-khẩu-đủ-dài-2025"}); err != nil {
		b.Fatal(err)
	}
	sessions := staff.NewService(st, e.Log, staff.Options{Guard: e.Guard})
	apiH, err := server.New(server.Deps{DB: e.D, Audit: e.Log, Capabilities: []httpx.Routes{sessions, e.Reg}, Guards: sessions.Guards()})
	if err != nil {
		b.Fatal(err)
	}
	api := httptest.NewServer(apiH)
	defer api.Close()
	login, err := http.Post(api.URL+"/api/v1/session", "application/json", strings.NewReader(`{"username":"registrar","password":"mật-khẩu-đủ-dài-2025"}`))
	if err != nil || login.StatusCode != 201 {
		b.Fatalf("sign in: %v %v", login.StatusCode, err)
	}
	login.Body.Close()
	cookies := login.Cookies()
	var tok exchange.Token
	res := e.token(b, e.assertion(b, bank, e.tokenURL, "bench", time.Minute))
	if err := json.Unmarshal([]byte(res.body), &tok); err != nil || tok.AccessToken == "" {
		b.Fatalf("token: %d %s", res.status, res.body)
	}
	pins := []string{e.Lan.PIN, e.Minh.PIN}
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}}
	get := func(b *testing.B, req func(pin string) *http.Request) {
		var i atomic.Int64
		b.SetParallelism(8) // 8 requests in flight per CPU
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				res, err := client.Do(req(pins[i.Add(1)%2]))
				if err != nil {
					b.Error(err)
					return
				}
				io.Copy(io.Discard, res.Body)
				res.Body.Close()
				if res.StatusCode != 200 {
					b.Errorf("status %d", res.StatusCode)
					return
				}
			}
		})
	}
	// Rounds alternate direct and exchange, so that a change of load on a
	// shared machine falls on both; each pair gives a ratio.
	for round := 1; round <= 3; round++ {
		var nsDirect, nsAPI, nsExchange float64
		b.Run(fmt.Sprintf("direct/%d", round), func(b *testing.B) {
			start := time.Now()
			get(b, func(pin string) *http.Request {
				r, _ := http.NewRequest("GET", direct.URL+"/persons/"+pin, nil)
				return r
			})
			nsDirect = float64(time.Since(start).Nanoseconds()) / float64(b.N)
		})
		b.Run(fmt.Sprintf("api/%d", round), func(b *testing.B) {
			start := time.Now()
			get(b, func(pin string) *http.Request {
				r, _ := http.NewRequest("GET", api.URL+"/api/v1/persons/"+pin, nil)
				for _, c := range cookies {
					r.AddCookie(c)
				}
				return r
			})
			nsAPI = float64(time.Since(start).Nanoseconds()) / float64(b.N)
		})
		b.Run(fmt.Sprintf("exchange/%d", round), func(b *testing.B) {
			start := time.Now()
			get(b, func(pin string) *http.Request {
				r, _ := http.NewRequest("GET", ex.URL+"/r1/"+person+"/"+pin, nil)
				r.Header.Set("Authorization", "Bearer "+tok.AccessToken)
				r.Header.Set(exchange.HeaderClient, bank)
				r.Header.Set(exchange.HeaderIssue, "KYC")
				return r
			})
			nsExchange = float64(time.Since(start).Nanoseconds()) / float64(b.N)
		})
		if nsExchange > 0 {
			b.Logf("round %d: throughput exchange/direct = %.2f, exchange/register API = %.2f (direct %.0f µs/op, API %.0f µs/op, exchange %.0f µs/op, 8 in flight per CPU)",
				round, nsDirect/nsExchange, nsAPI/nsExchange, nsDirect/1000, nsAPI/1000, nsExchange/1000)
		}
	}
}
