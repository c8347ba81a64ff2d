package exchange_test

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/populus-vn/populus/internal/auth"
	"github.com/populus-vn/populus/internal/consent"
	"github.com/populus-vn/populus/internal/db"
	"github.com/populus-vn/populus/internal/db/dbtest"
	"github.com/populus-vn/populus/internal/exchange"
	"github.com/populus-vn/populus/internal/httpx"
	"github.com/populus-vn/populus/internal/oidc"
	"github.com/populus-vn/populus/internal/people"
	"github.com/populus-vn/populus/internal/register"
	"github.com/populus-vn/populus/internal/server"
	"github.com/populus-vn/populus/internal/staff"
	"github.com/populus-vn/populus/internal/synth"
)

// BenchmarkLookup is the same person look-up under concurrent load, in one
// run: direct (an HTTP handler reading the register through its guard,
// audited, answering the record) and through the exchange (bearer token
// checked in the store, the protocol's headers, purpose, service, right,
// field filter, the consent check in the consent store that serve wires,
// the register's read, the request hash and the exchange's own audit
// entry, which commits to the answer: its signing, by the log's
// checkpoints). It logs the throughput ratio exchange/direct (target ≥
// 0.8). SQLite, one process, plain HTTP for both.
//
// The consents are as the portal gives them by default: no limit on how
// often (one read of the record a request). exchange-counted/N is the
// same look-up under consents limited to a number of uses a year, each
// use counted in the store (a write a request), reported beside.
//
// With POPULUS_BENCH_PEOPLE=N (e.g. 1000000) the register holds N
// synthetic people besides, and the look-ups go to 2,000 of them drawn
// evenly (each with the consent): how the ratio holds as the register
// grows.
func BenchmarkLookup(b *testing.B) {
	envRequestsPerMinute = -1 // the load is the point: no per-subsystem limit
	defer func() { envRequestsPerMinute = 0 }()
	d := dbtest.SQLite(b, slices.Concat(schemas, []*db.Schema{consent.Schema})...)
	e := newEnv(b, d)
	pins := []string{e.Lan.PIN, e.Minh.PIN}
	if n, _ := strconv.Atoi(os.Getenv("POPULUS_BENCH_PEOPLE")); n > 0 {
		pins = seedLookupPeople(b, e, n, 2000)
	}
	master, err := oidc.NewMasterKey()
	if err != nil {
		b.Fatal(err)
	}
	cs := consent.New(d, e.Log, e.Guard, master)
	e.x.SetConsents(cs)
	give := func(purpose string, f consent.Frequency) {
		for _, p := range pins {
			citizen := auth.Principal{Kind: auth.KindCitizen, ID: 1, Username: p, Role: auth.Citizen, Unit: "VN"}
			if _, err := cs.Give(e.Ctx, citizen, consent.Grant{Client: bank, Purpose: purpose, PurposeText: "Định danh khách hàng",
				Fields: []string{"full_name", "birth_date", "status"}, ValidUntil: time.Now().AddDate(1, 0, 0), DataLifeDays: 30, Frequency: f}); err != nil {
				b.Fatal(err)
			}
		}
	}
	give("KYC", consent.Frequency{})
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
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}}
	get := func(b *testing.B, req func(pin string) *http.Request) {
		var i atomic.Int64
		b.SetParallelism(8) // 8 requests in flight per CPU
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				res, err := client.Do(req(pins[int(i.Add(1))%len(pins)]))
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
		exchangeRun := func(name string) float64 {
			var ns float64
			b.Run(fmt.Sprintf("%s/%d", name, round), func(b *testing.B) {
				start := time.Now()
				get(b, func(pin string) *http.Request {
					r, _ := http.NewRequest("GET", ex.URL+"/r1/"+person+"/"+pin, nil)
					r.Header.Set("Authorization", "Bearer "+tok.AccessToken)
					r.Header.Set(exchange.HeaderClient, bank)
					r.Header.Set(exchange.HeaderIssue, "KYC")
					return r
				})
				ns = float64(time.Since(start).Nanoseconds()) / float64(b.N)
			})
			return ns
		}
		nsExchange = exchangeRun("exchange")
		if nsExchange > 0 {
			b.Logf("round %d: throughput exchange/direct = %.2f, exchange/register API = %.2f (direct %.0f µs/op, API %.0f µs/op, exchange %.0f µs/op, 8 in flight per CPU)",
				round, nsDirect/nsExchange, nsAPI/nsExchange, nsDirect/1000, nsAPI/1000, nsExchange/1000)
		}
		// The same consents limited to a number of uses a year: each use
		// counted. The count is cleared every 100 ms (a small write beside
		// the load), so that the limit is not reached during the run.
		give("KYC", consent.Frequency{Max: consent.MaxUses, Period: consent.Year})
		stop := make(chan struct{})
		cleared := make(chan struct{})
		go func() {
			defer close(cleared)
			for {
				select {
				case <-stop:
					return
				case <-time.After(100 * time.Millisecond):
					if _, err := d.ExecContext(e.Ctx, `DELETE FROM consent_uses`); err != nil {
						b.Error(err)
					}
				}
			}
		}()
		nsCounted := exchangeRun("exchange-counted")
		close(stop)
		<-cleared
		give("KYC", consent.Frequency{})
		if nsCounted > 0 {
			b.Logf("round %d: consents limited, each use counted: throughput exchange/direct = %.2f (exchange %.0f µs/op)", round, nsDirect/nsCounted, nsCounted/1000)
		}
	}
}

// seedLookupPeople imports n synthetic people into e's register and
// returns the PINs of k living ones drawn evenly from them.
func seedLookupPeople(b *testing.B, e *env, n, k int) []string {
	b.Helper()
	im := register.NewImporter(e.D)
	var living []string
	err := synth.Generate(e.Ctx, synth.Config{People: n, Seed: 1}, func(h *people.Household, members []people.Person) error {
		for _, p := range members {
			if p.Status == people.Alive {
				living = append(living, p.PIN)
			}
		}
		return im.Add(e.Ctx, h, members)
	})
	if err == nil {
		err = im.Flush(e.Ctx)
	}
	if err != nil {
		b.Fatal(err)
	}
	out := make([]string, 0, k)
	for i := range k {
		out = append(out, living[i*len(living)/k])
	}
	b.Logf("register of %d people besides the test's; look-ups over %d of them", n, len(out))
	return out
}
