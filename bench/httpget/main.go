// Command httpget measures GET /api/v1/persons/{pin} of a running Populus
// server on a register of N people (1M by default) under concurrent load, and
// in the same run a bare net/http handler that returns a fixed JSON body of
// the same size, so the result is a ratio on the same machine.
//
// It builds cmd/populus and bench/load, seeds the register if the data
// directory does not hold it yet (`populus seed`), creates the demo accounts
// (`populus demo`, stopped once it is up), starts `populus serve --data DIR`
// (what `go run ./cmd/populus serve --data DIR` runs), signs in through
// POST /api/v1/session as the nation-wide demo auditor, samples PINs from the
// register, and runs bench/load, a separate process, against the bare server
// and then against Populus with the session cookie. Everything listens on
// 127.0.0.1 only.
//
//	go run ./bench/httpget                     # 1M people, SQLite, in bench/out/httpget
//	go run ./bench/httpget -c 32 -d 30s
//
// With -compare it compares two builds instead, paired: this tree's and
// another binary, each on its own copy of the register, served at the same
// time and loaded in alternation:
//
//	go run ./bench/httpget -compare /tmp/populus-old -compare-data /tmp/old-data -rounds 12 -d 5s -warmup 1s
//
// With -oidc it measures the OpenID provider (oidc.go): introspection,
// userinfo and the code exchange with RS256 and ES256 ID tokens:
//
//	go run ./bench/httpget -oidc -d 10s -warmup 2s -rounds 2
//
// With -verify it measures POST /api/v1/verify instead: a relying party
// entitled to verification (registered with populus clients add --verify)
// asks, with HTTP Basic, whether sampled people have their own name and
// date of birth; the bare handler answers a verification's typical body.
//
//	go run ./bench/httpget -verify -d 10s -warmup 2s -rounds 2
//
// Run it from the repository root. See docs/benchmarks.md.
package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/populus-vn/populus/bench/internal/benchinfo"
	"github.com/populus-vn/populus/bench/internal/benchstore"
	"github.com/populus-vn/populus/internal/db"
	"github.com/populus-vn/populus/internal/register"
)

var (
	people   = flag.Int("people", 1_000_000, "size of the register (seeded if the data directory holds fewer people)")
	seedFlag = flag.Int("seed", 1, "synthetic population seed used when seeding")
	work     = flag.String("dir", "bench/out/httpget", "work directory: binaries, data directory (data-<N>-seed<S>-<schema tag>), logs, URL list")
	dbURL    = flag.String("db", "", "PostgreSQL URL for Populus's store instead of SQLite in DIR/data (the database must be empty or hold this benchmark's register)")
	conc     = flag.Int("c", 16, "concurrent keep-alive clients of the load generator")
	dur      = flag.Duration("d", 20*time.Second, "measured duration of each load run")
	warm     = flag.Duration("warmup", 3*time.Second, "warm-up of each load run")
	rounds   = flag.Int("rounds", 1, "alternate bare and Populus runs this many times")
	sample   = flag.Int("sample", 10000, "number of PINs sampled from the register for the URL list")
	user     = flag.String("username", "auditor", "account to sign in with (a nation-wide demo account that may read any person)")
	password = flag.String("password", "populus-demo-2025", "its password (the public demo password)")
	jsonOut  = flag.String("json", "", "also write the results as JSON to this file")
	debug    = flag.String("debug-addr", "", "pass --debug-addr to populus serve, to profile it during the run (e.g. 127.0.0.1:6060)")
	compare  = flag.String("compare", "", "paired comparison instead of the bare handler: another populus binary (e.g. an older build), served with -compare-data at the same time and loaded in alternation with this tree's build, -rounds times, swapping the order every round")
	compData = flag.String("compare-data", "", "the data directory of -compare: the same register (-people, -seed) as the binary's schema expects, e.g. made by this program at that binary's commit")

	oidcMode   = flag.Bool("oidc", false, "measure the OpenID provider instead: introspection, userinfo and the code exchange (RS256 and ES256 ID tokens), each against the bare handler (see oidc.go)")
	verifyMode = flag.Bool("verify", false, "measure POST /api/v1/verify (yes/no on the full name and date of birth, for a relying party authenticated with HTTP Basic) instead of GET /api/v1/persons/{pin}")

	// Internal: serve the bare handler.
	bareAddr = flag.String("bare", "", "internal: serve the bare handler on this address")
	bareBody = flag.String("body", "", "internal: file holding the bare handler's response body")
)

func main() {
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	var err error
	if *bareAddr != "" {
		err = serveBare(ctx, *bareAddr, *bareBody)
	} else {
		err = run(ctx)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "httpget:", err)
		os.Exit(1)
	}
}

// serveBare is the baseline: net/http with one route returning fixed bytes.
func serveBare(ctx context.Context, addr, bodyFile string) error {
	body, err := os.ReadFile(bodyFile)
	if err != nil {
		return err
	}
	mux := http.NewServeMux()
	fixed := func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Content-Length", strconv.Itoa(len(body)))
		w.Write(body)
	}
	mux.HandleFunc("GET /api/v1/persons/{pin}", fixed)
	mux.HandleFunc("POST /api/v1/verify", fixed)
	mux.HandleFunc("POST /oidc/oauth/introspect", fixed)
	mux.HandleFunc("POST /oidc/userinfo", fixed)
	mux.HandleFunc("POST /oidc/oauth/token", fixed)
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second, IdleTimeout: 120 * time.Second}
	go func() {
		<-ctx.Done()
		srv.Close()
	}()
	if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// LoadReport is bench/load's JSON.
type LoadReport struct {
	Label      string         `json:"label"`
	Requests   int64          `json:"requests"`
	OK         int64          `json:"ok"`
	Errors     int64          `json:"errors"`
	Status     map[string]int `json:"status"`
	FirstError string         `json:"first_error"`
	RPS        float64        `json:"rps"`
	P50ms      float64        `json:"p50_ms"`
	P90ms      float64        `json:"p90_ms"`
	P99ms      float64        `json:"p99_ms"`
	MaxMs      float64        `json:"max_ms"`
	MeanBytes  float64        `json:"mean_body_bytes"`
	// ServerCPUus is the server process's CPU time (user and system) over
	// the whole load run, warm-up included, per request answered in it: a
	// figure that other work on the machine disturbs less than requests/s.
	ServerCPUus float64 `json:"server_cpu_us_per_request,omitempty"`
	// Seconds is the measured duration; shorter than -d where the
	// single-use bodies (authorization codes) ran out (Exhausted).
	Seconds    float64 `json:"seconds"`
	Exhausted  bool    `json:"bodies_exhausted,omitempty"`
	BodiesSent int64   `json:"bodies_sent,omitempty"`
}

func run(ctx context.Context) error {
	if _, err := os.Stat("cmd/populus"); err != nil {
		return errors.New("run from the repository root (cmd/populus not found)")
	}
	dir, err := filepath.Abs(*work)
	if err != nil {
		return err
	}
	// The data directory is named after the schema, so that a register made
	// by an older schema is never reused.
	bin, data := filepath.Join(dir, "bin"), filepath.Join(dir, fmt.Sprintf("data-%s-seed%d-%s", benchinfo.Count(*people), *seedFlag, benchstore.SchemaTag(db.SQLite)))
	for _, d := range []string{bin, data} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return err
		}
	}
	machine := benchinfo.Describe()
	what := "GET /api/v1/persons/{pin}"
	switch {
	case *verifyMode && *oidcMode:
		return errors.New("-verify and -oidc are separate runs: give one")
	case *verifyMode:
		what = "POST /api/v1/verify"
	case *oidcMode:
		what = "the OpenID provider (introspection, userinfo, code exchange)"
	}
	fmt.Printf("# bench/httpget: %s, %s people, %d clients, %s per run\n\n%s\n\n",
		what, benchinfo.Count(*people), *conc, *dur, machine)

	populus, load := filepath.Join(bin, "populus"), filepath.Join(bin, "load")
	for _, b := range [][2]string{{populus, "./cmd/populus"}, {load, "./bench/load"}} {
		if _, _, _, err := benchinfo.Run(exec.CommandContext(ctx, "go", "build", "-o", b[0], b[1]), nil); err != nil {
			return err
		}
	}
	store := []string{"--data", data}
	if *dbURL != "" {
		store = []string{"--db", *dbURL}
	}

	// The register.
	d, err := db.Open(ctx, *dbURL, data)
	if err != nil {
		return err
	}
	if _, err := d.Migrate(ctx, register.Schema); err != nil {
		d.Close()
		return err
	}
	n, err := register.Count(ctx, d)
	have := int(n)
	if err != nil {
		d.Close()
		return err
	}
	d.Close()
	switch {
	case have == 0:
		fmt.Printf("seeding %s people with populus seed…\n", benchinfo.Count(*people))
		start := time.Now()
		cmd := exec.CommandContext(ctx, populus, append([]string{"seed", "--people", strconv.Itoa(*people), "--seed", strconv.Itoa(*seedFlag)}, store...)...)
		if _, _, out, err := benchinfo.Run(cmd, nil); err != nil {
			return err
		} else {
			fmt.Print(lastLines(out, 1))
		}
		fmt.Printf("seeded in %.0f s\n", time.Since(start).Seconds())
	case have != *people:
		return fmt.Errorf("the store holds %d people, not %d: remove %s (or empty the database) to seed again", have, *people, data)
	default:
		fmt.Printf("reusing the register of %d people in %s\n", have, orDefault(*dbURL, data))
	}

	pins, err := samplePINs(ctx, data)
	if err != nil {
		return err
	}

	// Demo accounts: `populus demo` creates them; stop it once it is up.
	if err := makeAccounts(ctx, populus, store, dir); err != nil {
		return err
	}
	// A register just seeded leaves hundreds of MiB of dirty pages, which
	// the kernel writes back over the next tens of seconds: on a small
	// machine that write-back fell into the first round. Flush them first.
	if path, err := exec.LookPath("sync"); err == nil {
		start := time.Now()
		if _, _, _, err := benchinfo.Run(exec.CommandContext(ctx, path), nil); err != nil {
			return err
		}
		fmt.Printf("sync: %.1f s\n", time.Since(start).Seconds())
	}

	port, err := freePort()
	if err != nil {
		return err
	}
	base := "http://127.0.0.1:" + strconv.Itoa(port)
	// The benchmark's account reads thousands of people a second: it is
	// exempt from the limits on reads (internal/secmon), which still count
	// each of its reads, so the limiter's cost is measured. By the
	// environment, which a -compare binary without the limits ignores.
	os.Setenv("POPULUS_READ_LIMIT_EXEMPT", *user)
	// The register's accounts are the demo's (made by populus demo above):
	// serve refuses them unless told that this is a demonstration.
	os.Setenv("POPULUS_ALLOW_DEMO_ACCOUNTS", "1")
	if *verifyMode || *oidcMode {
		// The OpenID provider (and its verification API) needs a master
		// key; the relying parties are registered before the server starts.
		// populus demo made one in the data directory and sealed the audit
		// checkpoints' key with it: serve must use that one.
		if key := filepath.Join(data, "master.key"); fileExists(key) {
			os.Setenv("POPULUS_MASTER_KEY_FILE", key)
		} else {
			os.Setenv("POPULUS_MASTER_KEY", "Ym9yaW5nIGJlbmNobWFyayBtYXN0ZXIga2V5ISEhISE=")
		}
	}
	if *verifyMode {
		if kycSecret, err = addVerifier(ctx, populus, store); err != nil {
			return err
		}
	}
	if *oidcMode {
		if err := addRelyingParties(ctx, populus, store); err != nil {
			return err
		}
	}
	serveArgs := append([]string{"serve", "--addr", "127.0.0.1:" + strconv.Itoa(port)}, store...)
	if *debug != "" {
		serveArgs = append(serveArgs, "--debug-addr", *debug)
	}
	srv, err := start(ctx, filepath.Join(dir, "serve.log"), populus, serveArgs...)
	if err != nil {
		return err
	}
	defer srv.stop()
	if err := waitReady(ctx, base+"/readyz", 60*time.Second); err != nil {
		return fmt.Errorf("populus serve: %w (log: %s)", err, filepath.Join(dir, "serve.log"))
	}
	cookie, err := signIn(ctx, base)
	if err != nil {
		return err
	}

	if *compare != "" {
		return comparePaired(ctx, dir, load, srv, base, cookie, pins)
	}
	if *verifyMode {
		return benchVerify(ctx, dir, load, srv, base, data)
	}
	if *oidcMode {
		return benchOIDC(ctx, dir, load, srv, base, data)
	}

	// The URL list, and a body for the bare handler of the mean size of
	// Populus's responses.
	popURLs, bareURLs := filepath.Join(dir, "urls-populus.txt"), filepath.Join(dir, "urls-bare.txt")
	body, err := typicalBody(ctx, base, cookie, pins)
	if err != nil {
		return err
	}
	bodyFile := filepath.Join(dir, "bare-body.json")
	if err := os.WriteFile(bodyFile, body, 0o644); err != nil {
		return err
	}
	bare, bareBase, err := startBare(ctx, dir, "bare.log", bodyFile)
	if err != nil {
		return err
	}
	defer bare.stop()
	if err := writeURLs(popURLs, base, pins); err != nil {
		return err
	}
	if err := writeURLs(bareURLs, bareBase, pins); err != nil {
		return err
	}
	fmt.Printf("%d sampled PINs; bare body %d bytes; Populus log: %s\n\n", len(pins), len(body), filepath.Join(dir, "serve.log"))

	var bareRuns, popRuns []LoadReport
	for r := 0; r < *rounds; r++ {
		b, err := runLoad(ctx, load, bareURLs, "", "bare net/http", bare)
		if err != nil {
			return err
		}
		bareRuns = append(bareRuns, b)
		p, err := runLoad(ctx, load, popURLs, cookie, "Populus", srv)
		if err != nil {
			return err
		}
		popRuns = append(popRuns, p)
	}

	fmt.Println()
	benchinfo.Table(os.Stdout, "server", "people", "clients", "requests/s", "p50", "p99", "mean body", "server CPU per request", "ratio (target ≥ 0.4)")
	for r := range bareRuns {
		b, p := bareRuns[r], popRuns[r]
		benchinfo.Row(os.Stdout, "bare net/http, fixed body", benchinfo.Count(*people), strconv.Itoa(*conc), benchinfo.Rate(b.RPS),
			fmt.Sprintf("%.2f ms", b.P50ms), fmt.Sprintf("%.2f ms", b.P99ms), fmt.Sprintf("%.0f B", b.MeanBytes), fmt.Sprintf("%.0f µs", b.ServerCPUus), "1")
		benchinfo.Row(os.Stdout, "Populus GET /api/v1/persons/{pin}", benchinfo.Count(*people), strconv.Itoa(*conc), benchinfo.Rate(p.RPS),
			fmt.Sprintf("%.2f ms", p.P50ms), fmt.Sprintf("%.2f ms", p.P99ms), fmt.Sprintf("%.0f B", p.MeanBytes), fmt.Sprintf("%.0f µs", p.ServerCPUus), fmt.Sprintf("%.2f", p.RPS/b.RPS))
	}
	if *jsonOut != "" {
		out, _ := json.MarshalIndent(map[string]any{"machine": machine, "people": *people, "clients": *conc, "duration_s": dur.Seconds(),
			"bare": bareRuns, "populus": popRuns}, "", "  ")
		if err := os.WriteFile(*jsonOut, append(out, '\n'), 0o644); err != nil {
			return err
		}
	}
	return nil
}

func fileExists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}

func orDefault(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n") + "\n"
}

// samplePINs draws -sample PINs uniformly from the register (reservoir
// sampling over one pass, fixed seed).
func samplePINs(ctx context.Context, data string) ([]string, error) {
	d, err := db.Open(ctx, *dbURL, data)
	if err != nil {
		return nil, err
	}
	defer d.Close()
	r := rand.New(rand.NewPCG(1, 2))
	out := make([]string, 0, *sample)
	n := 0
	err = register.ScanIdentities(ctx, d, func(batch []register.Identity) error {
		for i := range batch {
			p := batch[i].PIN
			n++
			if len(out) < *sample {
				out = append(out, p)
			} else if j := r.IntN(n); j < *sample {
				out[j] = p
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if len(out) == 0 {
		return nil, errors.New("the register is empty")
	}
	r.Shuffle(len(out), func(i, j int) { out[i], out[j] = out[j], out[i] })
	return out, nil
}

func writeURLs(path, base string, pins []string) error {
	var b bytes.Buffer
	for _, p := range pins {
		b.WriteString(base + "/api/v1/persons/" + p + "\n")
	}
	return os.WriteFile(path, b.Bytes(), 0o644)
}

type proc struct {
	cmd  *exec.Cmd
	done chan struct{}
}

// start runs a server process with its output in logPath.
func start(ctx context.Context, logPath, name string, args ...string) (*proc, error) {
	f, err := os.Create(logPath)
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(name, args...)
	cmd.Stdout, cmd.Stderr = f, f
	if err := cmd.Start(); err != nil {
		f.Close()
		return nil, err
	}
	p := &proc{cmd: cmd, done: make(chan struct{})}
	go func() { cmd.Wait(); f.Close(); close(p.done) }()
	return p, nil
}

// stop sends SIGTERM, then SIGKILL after 15 s.
func (p *proc) stop() {
	p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(15 * time.Second):
		p.cmd.Process.Kill()
		<-p.done
	}
}

func freePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

func waitReady(ctx context.Context, u string, limit time.Duration) error {
	deadline := time.Now().Add(limit)
	var last error
	for time.Now().Before(deadline) {
		if err := ctx.Err(); err != nil {
			return err
		}
		resp, err := http.Get(u)
		if err == nil {
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
			err = fmt.Errorf("status %d", resp.StatusCode)
		}
		last = err
		time.Sleep(200 * time.Millisecond)
	}
	return fmt.Errorf("%s not ready after %s: %v", u, limit, last)
}

// makeAccounts runs `populus demo` on the store until it prints that it is
// running (it creates the demo accounts first), then stops it.
func makeAccounts(ctx context.Context, populus string, store []string, dir string) error {
	port, err := freePort()
	if err != nil {
		return err
	}
	cmd := exec.Command(populus, append([]string{"demo", "--addr", "127.0.0.1:" + strconv.Itoa(port)}, store...)...)
	logf, err := os.Create(filepath.Join(dir, "demo.log"))
	if err != nil {
		return err
	}
	defer logf.Close()
	cmd.Stderr = logf
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return err
	}
	if err := cmd.Start(); err != nil {
		return err
	}
	up := make(chan bool, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		found := false
		for sc.Scan() {
			fmt.Fprintln(logf, sc.Text())
			if !found && strings.Contains(sc.Text(), "is running") {
				found = true
				up <- true
			}
		}
		if !found {
			up <- false
		}
	}()
	var ok bool
	select {
	case ok = <-up:
	case <-time.After(90 * time.Second):
	case <-ctx.Done():
	}
	cmd.Process.Signal(os.Interrupt)
	waited := make(chan error, 1)
	go func() { waited <- cmd.Wait() }()
	select {
	case <-waited:
	case <-time.After(15 * time.Second):
		cmd.Process.Kill()
		<-waited
	}
	if !ok {
		return fmt.Errorf("populus demo did not start (log: %s)", filepath.Join(dir, "demo.log"))
	}
	return nil
}

// signIn returns the session cookie ("name=value").
func signIn(ctx context.Context, base string) (string, error) {
	body, _ := json.Marshal(map[string]string{"username": *user, "password": *password})
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, base+"/api/v1/session", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK && resp.StatusCode != http.StatusCreated {
		return "", fmt.Errorf("sign in as %s: status %d: %s", *user, resp.StatusCode, b)
	}
	var parts []string
	for _, c := range resp.Cookies() {
		parts = append(parts, c.Name+"="+c.Value)
	}
	if len(parts) == 0 {
		return "", fmt.Errorf("sign in as %s: no cookie set", *user)
	}
	return strings.Join(parts, "; "), nil
}

// typicalBody fetches some persons and returns the response closest to the
// mean size.
func typicalBody(ctx context.Context, base, cookie string, pins []string) ([]byte, error) {
	var bodies [][]byte
	total := 0
	for _, p := range pins[:min(100, len(pins))] {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, base+"/api/v1/persons/"+p, nil)
		req.Header.Set("Cookie", cookie)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return nil, err
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			return nil, fmt.Errorf("GET person %s: status %d: %s", p, resp.StatusCode, b)
		}
		bodies = append(bodies, b)
		total += len(b)
	}
	mean := total / len(bodies)
	best := bodies[0]
	for _, b := range bodies {
		if abs(len(b)-mean) < abs(len(best)-mean) {
			best = b
		}
	}
	return best, nil
}

func abs(x int) int {
	if x < 0 {
		return -x
	}
	return x
}

func runLoad(ctx context.Context, load, urls, cookie, label string, server *proc) (LoadReport, error) {
	var extra []string
	if cookie != "" {
		extra = []string{"-cookie", cookie}
	}
	return runLoadArgs(ctx, load, "-urls", urls, label, server, extra...)
}

// runLoadArgs runs bench/load on target (-urls FILE or -url URL) with
// extra arguments, and reports the server's CPU per request.
func runLoadArgs(ctx context.Context, load, targetFlag, target, label string, server *proc, extra ...string) (LoadReport, error) {
	cpu0 := procCPU(server.cmd.Process.Pid)
	args := append([]string{targetFlag, target, "-c", strconv.Itoa(*conc), "-d", dur.String(), "-warmup", warm.String(), "-label", label}, extra...)
	_, _, out, err := benchinfo.Run(exec.CommandContext(ctx, load, args...), nil)
	cpu := procCPU(server.cmd.Process.Pid) - cpu0
	var rep LoadReport
	if jerr := json.Unmarshal([]byte(firstJSON(out)), &rep); jerr != nil {
		if err == nil {
			err = jerr
		}
		return rep, fmt.Errorf("%s: %w", label, err)
	}
	// Requests of the warm-up are not counted by the load generator:
	// estimate them at the measured rate, or count them where each body
	// was sent once (-once).
	served := rep.RPS * (*dur + *warm).Seconds()
	if rep.BodiesSent > 0 {
		served = float64(rep.BodiesSent)
	}
	if cpu > 0 && served > 0 {
		rep.ServerCPUus = float64(cpu.Microseconds()) / served
	}
	fmt.Printf("%-14s %9.0f req/s  p50 %6.2f ms  p99 %6.2f ms  max %7.2f ms  %d requests, %d not OK, server CPU %.0f µs per request\n",
		label, rep.RPS, rep.P50ms, rep.P99ms, rep.MaxMs, rep.Requests, rep.Requests-rep.OK, rep.ServerCPUus)
	if rep.Exhausted {
		fmt.Printf("%-14s the %d single-use bodies ran out: measured %.1f s of %s\n", "", rep.BodiesSent, rep.Seconds, *dur)
	}
	if err != nil {
		return rep, fmt.Errorf("%s: %w", label, err)
	}
	return rep, nil
}

// procCPU is the user and system CPU time of process pid so far (0 where
// /proc is not available).
func procCPU(pid int) time.Duration {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return 0
	}
	// The command name (field 2) may hold spaces: fields are counted
	// after its closing parenthesis. utime and stime are fields 14 and 15,
	// in clock ticks (100 a second on Linux).
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return 0
	}
	f := strings.Fields(string(b[i+1:]))
	if len(f) < 13 {
		return 0
	}
	ut, _ := strconv.ParseInt(f[11], 10, 64)
	st, _ := strconv.ParseInt(f[12], 10, 64)
	return time.Duration(ut+st) * 10 * time.Millisecond
}

func firstJSON(out string) string {
	for _, l := range strings.Split(out, "\n") {
		if strings.HasPrefix(l, "{") {
			return l
		}
	}
	return ""
}

// comparePaired serves -compare on -compare-data beside this tree's server
// and loads the two in alternation, swapping the order every round, so that
// the machine's swings (the same build measured 92–137 µs of CPU per request
// in consecutive runs on a shared 2-core machine) hit both builds alike. It
// prints each round and the medians.
func comparePaired(ctx context.Context, dir, load string, srv *proc, base, cookie string, pins []string) error {
	if *compData == "" {
		return errors.New("-compare needs -compare-data")
	}
	port, err := freePort()
	if err != nil {
		return err
	}
	otherBase := "http://127.0.0.1:" + strconv.Itoa(port)
	other, err := start(ctx, filepath.Join(dir, "compare.log"), *compare, "serve", "--addr", "127.0.0.1:"+strconv.Itoa(port), "--data", *compData)
	if err != nil {
		return err
	}
	defer other.stop()
	if err := waitReady(ctx, otherBase+"/readyz", 120*time.Second); err != nil {
		return fmt.Errorf("%s serve: %w (log: %s)", *compare, err, filepath.Join(dir, "compare.log"))
	}
	otherCookie, err := signIn(ctx, otherBase)
	if err != nil {
		return err
	}
	urls, otherURLs := filepath.Join(dir, "urls-populus.txt"), filepath.Join(dir, "urls-compare.txt")
	if err := writeURLs(urls, base, pins); err != nil {
		return err
	}
	if err := writeURLs(otherURLs, otherBase, pins); err != nil {
		return err
	}
	fmt.Printf("paired: this tree against %s on %s, %d rounds of %s\n\n", *compare, *compData, *rounds, *dur)
	var this, that []LoadReport
	for r := 0; r < *rounds; r++ {
		runs := [2]func() error{
			func() error {
				p, err := runLoad(ctx, load, urls, cookie, "this tree", srv)
				this = append(this, p)
				return err
			},
			func() error {
				p, err := runLoad(ctx, load, otherURLs, otherCookie, "compared", other)
				that = append(that, p)
				return err
			},
		}
		if r%2 == 1 {
			runs[0], runs[1] = runs[1], runs[0]
		}
		for _, run := range runs {
			if err := run(); err != nil {
				return err
			}
		}
	}
	median := func(xs []float64) float64 {
		xs = slices.Clone(xs)
		slices.Sort(xs)
		if n := len(xs); n%2 == 1 {
			return xs[n/2]
		} else {
			return (xs[n/2-1] + xs[n/2]) / 2
		}
	}
	var cpuThis, cpuThat, rpsThis, rpsThat, ratio []float64
	for r := range this {
		cpuThis, cpuThat = append(cpuThis, this[r].ServerCPUus), append(cpuThat, that[r].ServerCPUus)
		rpsThis, rpsThat = append(rpsThis, this[r].RPS), append(rpsThat, that[r].RPS)
		ratio = append(ratio, this[r].RPS/that[r].RPS)
	}
	fmt.Println()
	benchinfo.Table(os.Stdout, "build", "median requests/s", "median server CPU per request", "requests/s, this tree over the other, median of rounds")
	benchinfo.Row(os.Stdout, "this tree", benchinfo.Rate(median(rpsThis)), fmt.Sprintf("%.1f µs", median(cpuThis)), fmt.Sprintf("%.3f", median(ratio)))
	benchinfo.Row(os.Stdout, *compare, benchinfo.Rate(median(rpsThat)), fmt.Sprintf("%.1f µs", median(cpuThat)), "1")
	if *jsonOut != "" {
		out, _ := json.MarshalIndent(map[string]any{"people": *people, "clients": *conc, "duration_s": dur.Seconds(),
			"this": this, "compared": that, "compared_binary": *compare}, "", "  ")
		return os.WriteFile(*jsonOut, append(out, '\n'), 0o644)
	}
	return nil
}

// kycID and kycSecret are the relying party of -verify.
var kycID, kycSecret = fmt.Sprintf("bench-kyc-%d", time.Now().Unix()), ""

// addVerifier registers the relying party entitled to verification and
// returns its secret.
func addVerifier(ctx context.Context, populus string, store []string) (string, error) {
	return addClient(ctx, populus, store, "--id", kycID, "--name", "Benchmark KYC", "--redirect-uri", "http://127.0.0.1:9/cb", "--scopes", "openid", "--verify")
}

// addClient registers a relying party with `populus clients add args…`
// and returns its secret.
func addClient(ctx context.Context, populus string, store []string, args ...string) (string, error) {
	args = append(append([]string{"clients", "add"}, args...), store...)
	_, _, out, err := benchinfo.Run(exec.CommandContext(ctx, populus, args...), nil)
	if err != nil {
		return "", fmt.Errorf("populus clients add: %w: %s", err, out)
	}
	_, secret, ok := strings.Cut(out, "client secret (shown once; keep it in the client's secret store): ")
	if !ok {
		return "", fmt.Errorf("populus clients add printed no secret: %s", out)
	}
	return strings.TrimSpace(strings.SplitN(secret, "\n", 2)[0]), nil
}

// benchVerify loads POST /api/v1/verify with bodies naming sampled people
// by their own name and date of birth (every answer a match), against the
// bare handler answering a verification's typical body, -rounds times.
func benchVerify(ctx context.Context, dir, load string, srv *proc, base, data string) error {
	d, err := db.Open(ctx, *dbURL, data)
	if err != nil {
		return err
	}
	var bodies bytes.Buffer
	n := 0
	err = register.ScanIdentities(ctx, d, func(batch []register.Identity) error {
		for i := range batch {
			if n >= *sample {
				return register.ErrStop
			}
			{
				b, _ := json.Marshal(map[string]any{"pin": batch[i].PIN, "purpose": "benchmark", "full_name": batch[i].FullName, "birth_date": batch[i].BirthDate().String()})
				bodies.Write(append(b, '\n'))
				n++
			}
		}
		return nil
	})
	d.Close()
	if err != nil {
		return err
	}
	bodyFile := filepath.Join(dir, "verify-bodies.txt")
	if err := os.WriteFile(bodyFile, bodies.Bytes(), 0o644); err != nil {
		return err
	}
	answer := []byte(`{"match":true,"fields":{"birth_date":true,"full_name":true},"reason_codes":[]}`)
	answerFile := filepath.Join(dir, "verify-answer.json")
	if err := os.WriteFile(answerFile, answer, 0o644); err != nil {
		return err
	}
	bare, bareBase, err := startBare(ctx, dir, "bare.log", answerFile)
	if err != nil {
		return err
	}
	defer bare.stop()
	auth := "Authorization: Basic " + base64.StdEncoding.EncodeToString([]byte(kycID+":"+kycSecret))
	extra := []string{"-bodies", bodyFile, "-header", "Content-Type: application/json", "-header", auth}
	var bareRuns, popRuns []LoadReport
	for r := 0; r < *rounds; r++ {
		b, err := runLoadArgs(ctx, load, "-url", bareBase+"/api/v1/verify", "bare net/http", bare, extra...)
		if err != nil {
			return err
		}
		p, err := runLoadArgs(ctx, load, "-url", base+"/api/v1/verify", "Populus verify", srv, extra...)
		if err != nil {
			return err
		}
		bareRuns, popRuns = append(bareRuns, b), append(popRuns, p)
	}
	fmt.Println()
	benchinfo.Table(os.Stdout, "server", "people", "clients", "requests/s", "p50", "p99", "server CPU per request", "ratio (target ≥ 0.3)")
	for r := range bareRuns {
		b, p := bareRuns[r], popRuns[r]
		benchinfo.Row(os.Stdout, "bare net/http, fixed body", benchinfo.Count(*people), strconv.Itoa(*conc), benchinfo.Rate(b.RPS),
			fmt.Sprintf("%.2f ms", b.P50ms), fmt.Sprintf("%.2f ms", b.P99ms), fmt.Sprintf("%.0f µs", b.ServerCPUus), "1")
		benchinfo.Row(os.Stdout, "Populus POST /api/v1/verify", benchinfo.Count(*people), strconv.Itoa(*conc), benchinfo.Rate(p.RPS),
			fmt.Sprintf("%.2f ms", p.P50ms), fmt.Sprintf("%.2f ms", p.P99ms), fmt.Sprintf("%.0f µs", p.ServerCPUus), fmt.Sprintf("%.2f", p.RPS/b.RPS))
	}
	return nil
}

// startBare runs this program's bare handler, answering every request
// with the file body, logging to logName in dir, and returns it with its
// base URL once it answers.
func startBare(ctx context.Context, dir, logName, body string) (*proc, string, error) {
	port, err := freePort()
	if err != nil {
		return nil, "", err
	}
	addr := "127.0.0.1:" + strconv.Itoa(port)
	self, err := os.Executable()
	if err != nil {
		return nil, "", err
	}
	bare, err := start(ctx, filepath.Join(dir, logName), self, "-bare", addr, "-body", body)
	if err != nil {
		return nil, "", err
	}
	if err := waitReady(ctx, "http://"+addr+"/api/v1/persons/x", 30*time.Second); err != nil {
		bare.stop()
		return nil, "", fmt.Errorf("bare server: %w", err)
	}
	return bare, "http://" + addr, nil
}
