// Command load is a small HTTP load generator for the benchmarks: N
// concurrent keep-alive clients send GET requests for D seconds, cycling
// through a list of URLs, optionally with a cookie, and it reports
// requests/s and latency percentiles as JSON on stdout. With -bodies it
// sends POST requests instead, cycling through the bodies of the file (one
// a line); -header adds headers (an API's credentials, its media type).
// With -once each body is sent once at most (single-use authorization
// codes): the run ends early when they run out, and the report says so.
//
//	go run ./bench/load -urls urls.txt -cookie 'populus_session=…' -c 16 -d 20s
//
// It only targets loopback addresses, and every loop is bounded in time and
// in requests. A request counts as a success only with status 200; the others
// are counted by status and, like transport errors, excluded from the
// latencies (their count is in the report and makes it fail with -strict).
package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/populus-vn/populus/bench/internal/benchinfo"
)

var (
	urlsFile    = flag.String("urls", "", "file with one URL per line (or use -url)")
	cookie      = flag.String("cookie", "", "Cookie header to send, e.g. populus_session=…")
	concurrency = flag.Int("c", 16, "concurrent keep-alive clients")
	duration    = flag.Duration("d", 20*time.Second, "measured duration")
	warmup      = flag.Duration("warmup", 3*time.Second, "unmeasured warm-up before the measured duration")
	maxRequests = flag.Int("max-requests", 5_000_000, "stop after this many measured requests")
	timeout     = flag.Duration("timeout", 10*time.Second, "per-request timeout")
	label       = flag.String("label", "", "label copied into the report")
	strict      = flag.Bool("strict", true, "exit 1 when any measured request failed or had a status other than 200")
	bodiesFile  = flag.String("bodies", "", "file with one request body per line: send POST requests with them, in turn")
	once        = flag.Bool("once", false, "with -bodies: send each body once at most, warm-up included, and end the run when they run out (reported as bodies_exhausted)")
	urlFlags    multiFlag
	headerFlags multiFlag
)

type multiFlag []string

func (m *multiFlag) String() string     { return strings.Join(*m, ",") }
func (m *multiFlag) Set(s string) error { *m = append(*m, s); return nil }

// Report is the JSON the program prints.
type Report struct {
	Label       string         `json:"label,omitempty"`
	Concurrency int            `json:"concurrency"`
	Seconds     float64        `json:"seconds"`
	URLs        int            `json:"urls"`
	Requests    int64          `json:"requests"`
	OK          int64          `json:"ok"`
	Errors      int64          `json:"errors"`
	Status      map[string]int `json:"status,omitempty"`
	FirstError  string         `json:"first_error,omitempty"`
	RPS         float64        `json:"rps"`
	P50ms       float64        `json:"p50_ms"`
	P90ms       float64        `json:"p90_ms"`
	P99ms       float64        `json:"p99_ms"`
	MaxMs       float64        `json:"max_ms"`
	MeanBytes   float64        `json:"mean_body_bytes"`
	// Exhausted is set when -once ran out of bodies before the measured
	// duration ended: Seconds is then shorter than -d.
	Exhausted  bool   `json:"bodies_exhausted,omitempty"`
	BodiesSent int64  `json:"bodies_sent,omitempty"`
	Go         string `json:"go"`
	Cores      int    `json:"cores"`
}

func main() {
	flag.Var(&urlFlags, "url", "URL to request (repeatable)")
	flag.Var(&headerFlags, "header", `header to send, "Name: value" (repeatable)`)
	flag.Parse()
	rep, err := run()
	if err != nil {
		fmt.Fprintln(os.Stderr, "load:", err)
		os.Exit(1)
	}
	json.NewEncoder(os.Stdout).Encode(rep)
	if *strict && (rep.Errors > 0 || rep.OK != rep.Requests) {
		fmt.Fprintf(os.Stderr, "load: %d of %d requests failed or were not 200 (%v; first error: %s)\n",
			rep.Requests-rep.OK, rep.Requests, rep.Status, rep.FirstError)
		os.Exit(1)
	}
}

func run() (Report, error) {
	urls, err := loadURLs()
	if err != nil {
		return Report{}, err
	}
	bodies, err := loadBodies()
	if err != nil {
		return Report{}, err
	}
	header := http.Header{}
	for _, h := range headerFlags {
		k, v, ok := strings.Cut(h, ":")
		if !ok {
			return Report{}, fmt.Errorf("-header %q: want Name: value", h)
		}
		header.Add(strings.TrimSpace(k), strings.TrimSpace(v))
	}
	if *once && len(bodies) == 0 {
		return Report{}, errors.New("-once needs -bodies")
	}
	if *concurrency < 1 || *concurrency > 4096 {
		return Report{}, errors.New("-c must be between 1 and 4096")
	}
	if *duration <= 0 || *duration > time.Hour || *warmup < 0 || *warmup > 10*time.Minute {
		return Report{}, errors.New("-d must be in (0, 1h] and -warmup in [0, 10m]")
	}
	tr := &http.Transport{
		Proxy:               nil,
		DialContext:         (&net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		MaxIdleConns:        *concurrency * 2,
		MaxIdleConnsPerHost: *concurrency * 2,
		MaxConnsPerHost:     0,
		IdleConnTimeout:     90 * time.Second,
		DisableCompression:  true,
		ForceAttemptHTTP2:   false,
	}
	client := &http.Client{Transport: tr, Timeout: *timeout,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}

	var (
		measuring atomic.Bool
		stopped   atomic.Bool
		issued    atomic.Int64 // measured requests started, for -max-requests
		mu        sync.Mutex
		status    = map[string]int{}
		firstErr  string
		errs      atomic.Int64
		okCount   atomic.Int64
		total     atomic.Int64
		bytesSum  atomic.Int64
		next      atomic.Int64 // -once: the next body to send
		exhausted = make(chan struct{})
		exhaust   sync.Once
	)
	perWorker := make([][]time.Duration, *concurrency)
	capHint := min(*maxRequests / *concurrency + 1, 1<<20)

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var wg sync.WaitGroup
	for w := 0; w < *concurrency; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			lat := make([]time.Duration, 0, capHint)
			buf := make([]byte, 32<<10)
			i := w * (len(urls) / *concurrency + 1) // workers start at different URLs
			for !stopped.Load() {
				u := urls[i%len(urls)]
				var body io.Reader
				method := http.MethodGet
				switch {
				case *once:
					k := next.Add(1) - 1
					if k >= int64(len(bodies)) {
						exhaust.Do(func() { close(exhausted) })
						perWorker[w] = lat
						return
					}
					method, body = http.MethodPost, strings.NewReader(bodies[k])
				case len(bodies) > 0:
					method, body = http.MethodPost, strings.NewReader(bodies[i%len(bodies)])
				}
				i++
				m := measuring.Load()
				if m && issued.Add(1) > int64(*maxRequests) {
					break
				}
				req, _ := http.NewRequestWithContext(ctx, method, u, body)
				for k, vs := range header {
					req.Header[k] = vs
				}
				if *cookie != "" {
					req.Header.Set("Cookie", *cookie)
				}
				start := time.Now()
				resp, err := client.Do(req)
				var n int64
				if err == nil {
					for {
						k, rerr := resp.Body.Read(buf)
						n += int64(k)
						if rerr != nil {
							if rerr != io.EOF {
								err = rerr
							}
							break
						}
					}
					resp.Body.Close()
				}
				d := time.Since(start)
				if !m || stopped.Load() {
					continue
				}
				total.Add(1)
				switch {
				case err != nil:
					errs.Add(1)
					mu.Lock()
					if firstErr == "" {
						firstErr = err.Error()
					}
					mu.Unlock()
				case resp.StatusCode != http.StatusOK:
					mu.Lock()
					status[strconv.Itoa(resp.StatusCode)]++
					if firstErr == "" {
						firstErr = fmt.Sprintf("status %d for %s", resp.StatusCode, u)
					}
					mu.Unlock()
				default:
					okCount.Add(1)
					bytesSum.Add(n)
					lat = append(lat, d)
				}
			}
			perWorker[w] = lat
		}(w)
	}

	select {
	case <-time.After(*warmup):
	case <-exhausted:
	}
	measuring.Store(true)
	start := time.Now()
	deadline := time.NewTimer(*duration)
	tick := time.NewTicker(50 * time.Millisecond)
wait:
	for {
		select {
		case <-deadline.C:
			break wait
		case <-exhausted:
			break wait
		case <-tick.C:
			if issued.Load() >= int64(*maxRequests) {
				break wait
			}
		}
	}
	tick.Stop()
	elapsed := time.Since(start)
	stopped.Store(true)
	// Let in-flight requests finish (bounded by the client timeout); they
	// are not counted.
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(*timeout + time.Second):
		cancel()
		<-done
	}

	var all []time.Duration
	for _, l := range perWorker {
		all = append(all, l...)
	}
	s := benchinfo.Summarise(all)
	ms := func(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
	rep := Report{
		Label: *label, Concurrency: *concurrency, Seconds: elapsed.Seconds(), URLs: len(urls),
		Requests: total.Load(), OK: okCount.Load(), Errors: errs.Load(), FirstError: firstErr,
		RPS:   float64(okCount.Load()) / elapsed.Seconds(),
		P50ms: ms(s.P50), P90ms: ms(s.P90), P99ms: ms(s.P99), MaxMs: ms(s.Max),
		Go: runtime.Version(), Cores: runtime.NumCPU(),
	}
	if len(status) > 0 {
		rep.Status = status
	}
	if *once {
		rep.BodiesSent = min(next.Load(), int64(len(bodies)))
		select {
		case <-exhausted:
			rep.Exhausted = true
		default:
		}
	}
	if rep.OK > 0 {
		rep.MeanBytes = float64(bytesSum.Load()) / float64(rep.OK)
	}
	return rep, nil
}

// loadBodies reads the request bodies of -bodies, if given.
func loadBodies() ([]string, error) {
	if *bodiesFile == "" {
		return nil, nil
	}
	b, err := os.ReadFile(*bodiesFile)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, line := range strings.Split(string(b), "\n") {
		if line = strings.TrimSpace(line); line != "" {
			out = append(out, line)
		}
	}
	if len(out) == 0 {
		return nil, errors.New("-bodies: no body in the file")
	}
	return out, nil
}

// loadURLs reads the URLs and refuses any that is not on a loopback address.
func loadURLs() ([]string, error) {
	urls := append([]string(nil), urlFlags...)
	if *urlsFile != "" {
		f, err := os.Open(*urlsFile)
		if err != nil {
			return nil, err
		}
		defer f.Close()
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			if s := strings.TrimSpace(sc.Text()); s != "" && !strings.HasPrefix(s, "#") {
				urls = append(urls, s)
			}
		}
		if err := sc.Err(); err != nil {
			return nil, err
		}
	}
	if len(urls) == 0 {
		return nil, errors.New("no URLs: give -urls FILE or -url URL")
	}
	for _, s := range urls {
		if err := checkLoopback(s); err != nil {
			return nil, err
		}
	}
	return urls, nil
}

func checkLoopback(s string) error {
	u, err := url.Parse(s)
	if err != nil {
		return err
	}
	if u.Scheme != "http" {
		return fmt.Errorf("%s: only http:// URLs are supported", s)
	}
	host := u.Hostname()
	if host == "localhost" {
		return nil
	}
	ip := net.ParseIP(host)
	if ip == nil || !ip.IsLoopback() {
		return fmt.Errorf("%s: the load generator only targets loopback addresses (127.0.0.0/8, ::1, localhost)", s)
	}
	return nil
}
