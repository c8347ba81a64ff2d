package exchange_test

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"net/http"
	"runtime"
	"sync/atomic"
	"testing"
	"time"

	"github.com/populus-vn/populus/internal/db/dbtest"
	"github.com/populus-vn/populus/internal/exchange"
	"github.com/populus-vn/populus/internal/people"
	"github.com/populus-vn/populus/internal/register"
	"github.com/populus-vn/populus/internal/synth"
)

// batchPeople is the register of BenchmarkVerifyBatch.
const batchPeople = 200_000

// BenchmarkVerifyBatch is the batch verification of 1M rows: 100
// calls of 10,000 rows (MaxBatch) each, NDJSON over mutual TLS through the
// whole /r1/ path (the protocol's headers, right and purpose, each row
// verified against the register and audited), against a register of
// 200,000 synthetic people on SQLite; one row in ten gives a wrong name. It
// reports rows/s, the peak heap in use of the process (server and client
// together, one call's body of about 1 MiB built at a time), sampled every
// 10 ms, and, as the baseline of the same run, the rate of the same
// verifications made one a call (POST …/verify) and the ratio.
func BenchmarkVerifyBatch(b *testing.B) {
	envRequestsPerMinute, envBatchRowsPerMinute = -1, -1
	defer func() { envRequestsPerMinute, envBatchRowsPerMinute = 0, 0 }()
	ctx := context.Background()
	e := newEnv(b, dbtest.SQLite(b, schemas...))
	im := register.NewImporter(e.D)
	type known struct{ pin, name, birth string }
	var rows []known
	err := synth.Generate(ctx, synth.Config{People: batchPeople, Seed: 1}, func(h *people.Household, members []people.Person) error {
		for _, p := range members {
			if p.Status == people.Alive {
				rows = append(rows, known{p.PIN, p.FullName, p.BirthDate.String()})
			}
		}
		return im.Add(ctx, h, members)
	})
	if err == nil {
		err = im.Flush(ctx)
	}
	if err != nil {
		b.Fatal(err)
	}
	if err := e.x.Grant(ctx, exchange.Right{Subsystem: hospital, Service: batch, Fields: []string{"full_name", "birth_date", "alive"},
		Purposes: []string{"HEALTH-INSURANCE-CHECK"}}); err != nil {
		b.Fatal(err)
	}
	const calls, perCall = 100, exchange.MaxBatch
	// row is the n-th verification asked: one in ten with a wrong name.
	row := func(buf *bytes.Buffer, n int) {
		k := rows[n*7919%len(rows)]
		name := k.name
		if n%10 == 0 {
			name += " Văn"
		}
		fmt.Fprintf(buf, `{"pin":%q,"full_name":%q,"birth_date":%q,"alive":true}`+"\n", k.pin, name, k.birth)
	}
	client := e.client(hospital)
	post := func(path, contentType string, body []byte) *http.Response {
		req, _ := http.NewRequest("POST", e.srv.URL+"/r1/"+path, bytes.NewReader(body))
		for k, v := range xroad(hospital, "HEALTH-INSURANCE-CHECK") {
			req.Header.Set(k, v)
		}
		req.Header.Set("Content-Type", contentType)
		res, err := client.Do(req)
		if err != nil {
			b.Fatal(err)
		}
		return res
	}
	// Baseline, in the same run: the same verifications one a call
	// (POST …/verify), 5,000 of them.
	if err := e.x.Grant(ctx, exchange.Right{Subsystem: hospital, Service: verify, Fields: []string{"full_name", "birth_date", "alive"},
		Purposes: []string{"HEALTH-INSURANCE-CHECK"}}); err != nil {
		b.Fatal(err)
	}
	single := time.Now()
	const singles = 5000
	for n := range singles {
		var buf bytes.Buffer
		row(&buf, n)
		res := post(verify, "application/json", bytes.TrimSpace(buf.Bytes()))
		res.Body.Close()
		if res.StatusCode != http.StatusOK {
			b.Fatalf("verify: %d", res.StatusCode)
		}
	}
	singleRate := singles / time.Since(single).Seconds()
	var peak atomic.Uint64
	stop := make(chan struct{})
	sampled := make(chan struct{})
	go func() {
		defer close(sampled)
		var m runtime.MemStats
		t := time.NewTicker(10 * time.Millisecond)
		defer t.Stop()
		for {
			runtime.ReadMemStats(&m)
			if m.HeapInuse > peak.Load() {
				peak.Store(m.HeapInuse)
			}
			select {
			case <-stop:
				return
			case <-t.C:
			}
		}
	}()
	b.ResetTimer()
	start := time.Now()
	matched, total := 0, 0
	var buf bytes.Buffer
	for range b.N {
		for c := range calls {
			buf.Reset()
			for i := range perCall {
				row(&buf, c*perCall+i)
			}
			res := post(batch, "application/x-ndjson", buf.Bytes())
			sc := bufio.NewScanner(res.Body)
			for sc.Scan() {
				total++
				if bytes.Contains(sc.Bytes(), []byte(`"match":true`)) {
					matched++
				}
			}
			res.Body.Close()
			if res.StatusCode != http.StatusOK {
				b.Fatalf("call %d: %d", c, res.StatusCode)
			}
		}
	}
	elapsed := time.Since(start)
	b.StopTimer()
	close(stop)
	<-sampled
	if total != b.N*calls*perCall || matched < total*8/10 || matched > total*95/100 {
		b.Fatalf("%d rows answered (want %d), %d matched", total, b.N*calls*perCall, matched)
	}
	b.ReportMetric(float64(total)/elapsed.Seconds(), "rows/s")
	b.ReportMetric(singleRate, "single-calls/s")
	b.ReportMetric(float64(total)/elapsed.Seconds()/singleRate, "ratio")
	b.ReportMetric(float64(peak.Load())/(1<<20), "peak-heap-MiB")
	b.ReportMetric(0, "ns/op")
}
