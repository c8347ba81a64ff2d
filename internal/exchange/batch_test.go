package exchange_test

import (
	"bufio"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/populus-vn/populus/internal/db"
	"github.com/populus-vn/populus/internal/db/dbtest"
	"github.com/populus-vn/populus/internal/exchange"
	"github.com/populus-vn/populus/internal/oidc"
)

// A batch is answered row by row as it is read: the answer to the first
// row arrives while the request is still being sent (so memory holds a
// row, not the batch); beyond the limit the call stops with a row saying so.
func TestVerifyBatchStreams(t *testing.T) {
	e := newEnv(t, dbtest.SQLite(t, schemas...))
	defer exchange.SetBatchLimit(3)()
	pr, pw := io.Pipe()
	req, _ := http.NewRequest("POST", e.srv.URL+"/r1/"+batch, pr)
	for k, v := range xroad(hospital, "HEALTH-INSURANCE-CHECK") {
		req.Header.Set(k, v)
	}
	req.Header.Set("Content-Type", "application/x-ndjson")
	if err := e.x.Grant(e.Ctx, exchange.Right{Subsystem: hospital, Service: batch, Fields: []string{"alive"}, Purposes: []string{"HEALTH-INSURANCE-CHECK"}}); err != nil {
		t.Fatal(err)
	}
	row := func(pin string) { fmt.Fprintf(pw, `{"pin":"%s","alive":true}`+"\n", pin) }
	go row(e.Lan.PIN)
	resc := make(chan *http.Response, 1)
	go func() {
		res, err := e.client(hospital).Do(req)
		if err != nil {
			t.Error(err)
			close(resc)
			return
		}
		resc <- res
	}()
	var res *http.Response
	select {
	case res = <-resc:
	case <-time.After(10 * time.Second):
		t.Fatal("no answer before the end of the request")
	}
	if res == nil {
		t.FailNow()
	}
	defer res.Body.Close()
	rd := bufio.NewReader(res.Body)
	first, err := rd.ReadString('\n')
	if err != nil || !strings.Contains(first, `"row":1,"match":true`) {
		t.Fatalf("first row before the rest was sent: %q %v", first, err)
	}
	go func() {
		for _, p := range []string{e.Minh.PIN, e.Ba.PIN, e.Lan.PIN, e.Lan.PIN} {
			row(p)
		}
		pw.Close()
	}()
	rest, _ := io.ReadAll(rd)
	lines := strings.Split(strings.TrimSpace(string(rest)), "\n")
	if len(lines) != 3 || !strings.Contains(lines[0], `"row":2,"match":true`) || !strings.Contains(lines[1], `"row":3,"match":false`) ||
		!strings.Contains(lines[2], `"row":4`) || !strings.Contains(lines[2], "at most 3 rows") {
		t.Errorf("rows: %q", rest)
	}
	if n := e.Count(`SELECT count(*) FROM audit_log WHERE actor = $1 AND action = $2 AND purpose = 'HEALTH-INSURANCE-CHECK'`, "member:"+hospital, exchange.ActionVerify); n != 3 {
		t.Errorf("%d rows audited, want 3", n)
	}
}

// A subsystem's batch rows beyond its limit in a clock minute end the
// batch with a row saying so, audited; the rows before are answered.
func TestVerifyBatchRowLimit(t *testing.T) {
	envBatchRowsPerMinute = 3
	defer func() { envBatchRowsPerMinute = 0 }()
	e := newEnv(t, dbtest.SQLite(t, schemas...))
	if err := e.x.Grant(e.Ctx, exchange.Right{Subsystem: hospital, Service: batch, Fields: []string{"alive"}, Purposes: []string{"HEALTH-INSURANCE-CHECK"}}); err != nil {
		t.Fatal(err)
	}
	h := xroad(hospital, "HEALTH-INSURANCE-CHECK")
	h["Content-Type"] = "application/x-ndjson"
	body := strings.Repeat(`{"pin":"`+e.Lan.PIN+`","alive":true}`+"\n", 5)
	// Two batches at most: a clock minute may turn during the first.
	var lines []string
	for range 2 {
		res := e.do(t, e.client(hospital), "POST", "/r1/"+batch, h, body)
		lines = strings.Split(strings.TrimSpace(res.body), "\n")
		if res.status != 200 {
			t.Fatalf("%d %s", res.status, res.body)
		}
		if len(lines) < 5 {
			break
		}
	}
	if len(lines) != 4 || !strings.Contains(lines[2], `"row":3,"match":true`) || !strings.Contains(lines[3], `"row":4`) ||
		!strings.Contains(lines[3], "more than 3 batch rows") || strings.Contains(lines[3], `"evidence"`) {
		t.Fatalf("rows: %q", lines)
	}
	if n := e.Count(`SELECT count(*) FROM audit_log WHERE actor = $1 AND outcome = 'denied' AND detail LIKE '%more than 3 batch rows%'`, "member:"+hospital); n != 1 {
		t.Errorf("%d refusals audited", n)
	}
}

// The exchange listener limits the time to read and to answer a request;
// a batch moves both on while its rows come, so that a long batch sent
// at a steady pace is answered whole past them, while a caller that stops
// sending for longer than the batch waits loses the connection.
func TestVerifyBatchDeadlines(t *testing.T) {
	e := newEnv(t, dbtest.SQLite(t, schemas...))
	e.prov.SetVerifyLimits(oidc.VerifyLimits{PerPersonPerDay: -1}) // its rows are all of one person
	defer exchange.SetBatchIdle(time.Second)()
	if err := e.x.Grant(e.Ctx, exchange.Right{Subsystem: hospital, Service: batch, Fields: []string{"alive"}, Purposes: []string{"HEALTH-INSURANCE-CHECK"}}); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewUnstartedServer(e.handler)
	srv.TLS = e.srv.TLS
	srv.Config.ReadTimeout, srv.Config.WriteTimeout = time.Second, time.Second
	srv.StartTLS()
	defer srv.Close()
	send := func(rows int, pause time.Duration, stallAfter int) (string, error) {
		pr, pw := io.Pipe()
		go func() {
			for i := 1; i <= rows; i++ {
				fmt.Fprintf(pw, `{"pin":"%s","alive":true}`+"\n", e.Lan.PIN)
				if i == stallAfter {
					time.Sleep(3 * time.Second)
				} else {
					time.Sleep(pause)
				}
			}
			pw.Close()
		}()
		req, _ := http.NewRequest("POST", srv.URL+"/r1/"+batch, pr)
		for k, v := range xroad(hospital, "HEALTH-INSURANCE-CHECK") {
			req.Header.Set(k, v)
		}
		req.Header.Set("Content-Type", "application/x-ndjson")
		res, err := e.client(hospital).Do(req)
		if err != nil {
			return "", err
		}
		defer res.Body.Close()
		b, err := io.ReadAll(res.Body)
		return string(b), err
	}
	// 20 rows, one each 150 ms: 3 s, three times the listener's limits.
	body, err := send(20, 150*time.Millisecond, 0)
	if lines := strings.Split(strings.TrimSpace(body), "\n"); err != nil || len(lines) != 20 || !strings.Contains(lines[19], `"row":20,"match":true`) {
		t.Errorf("a steady batch past the listener's limits: %v, %d rows: %q", err, len(lines), body)
	}
	// A caller that stalls 3 s after its second row: the batch ends there.
	body, err = send(5, 50*time.Millisecond, 2)
	if strings.Contains(body, `"row":3,"match"`) {
		t.Errorf("a batch stalled past the wait went on: %v %q", err, body)
	}
	if !strings.Contains(body, `"row":2,"match":true`) {
		t.Errorf("the rows before the stall: %v %q", err, body)
	}
}

// A batch that asks about one person again and again, beyond the day's
// limit or without their consent, leaves two refusals against them (the
// first, and one counting the rest), not one a row: the log and the
// person's "who used my data" are not flooded; every row is still
// answered with its refusal.
func TestBatchRefusalsCounted(t *testing.T) {
	dbtest.Engines(t, schemas, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		e.consents.given[[3]string{e.Lan.PIN, bank, "KYC"}] = "c-1"
		c := e.client(bank)
		h := xroad(bank, "KYC")
		h["Content-Type"] = "application/x-ndjson"
		var rows strings.Builder
		for i := range 40 {
			fmt.Fprintf(&rows, `{"pin":"%s","birth_date":"1990-01-%02d"}`+"\n", e.Lan.PIN, i%28+1)
			fmt.Fprintf(&rows, `{"pin":"%s","birth_date":"1985-01-%02d"}`+"\n", e.Minh.PIN, i%28+1) // no consent
		}
		res := e.do(t, c, "POST", "/r1/"+batch, h, rows.String())
		lines := strings.Split(strings.TrimSpace(res.body), "\n")
		if res.status != 200 || len(lines) != 80 || !strings.Contains(lines[79], "error") || !strings.Contains(lines[78], "rate-limited") {
			t.Fatalf("%d rows answered (%d): %.300s", len(lines), res.status, res.body)
		}
		for pin, why := range map[string]string{e.Lan.PIN: "29 more rows", e.Minh.PIN: "39 more rows"} {
			n := e.Count(`SELECT count(*) FROM audit_log WHERE actor = $1 AND action = $2 AND subject = $3 AND outcome = 'denied'`, "member:"+bank, exchange.ActionVerify, pin)
			more := e.Count(`SELECT count(*) FROM audit_log WHERE actor = $1 AND action = $2 AND subject = $3 AND outcome = 'denied' AND detail LIKE $4`,
				"member:"+bank, exchange.ActionVerify, pin, "%"+why+" of this batch refused the same way%")
			if n != 2 || more != 1 {
				t.Errorf("%s: %d refusals recorded, %d counting %q; want 2 and 1", pin, n, more, why)
			}
		}
	})
}
