package main

import (
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// With -once every body is sent once at most, and the run ends early,
// reported as exhausted, when they run out.
func TestOnceSendsEachBodyOnce(t *testing.T) {
	var mu sync.Mutex
	seen := map[string]int{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		mu.Lock()
		seen[string(b)]++
		mu.Unlock()
		w.Write([]byte("ok"))
	}))
	defer srv.Close()

	const n = 500
	var lines []string
	for i := range n {
		lines = append(lines, "code="+strconv.Itoa(i))
	}
	file := filepath.Join(t.TempDir(), "bodies.txt")
	if err := os.WriteFile(file, []byte(strings.Join(lines, "\n")+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	defer func(u multiFlag, b string, o bool, c int, d, w time.Duration) {
		urlFlags, *bodiesFile, *once, *concurrency, *duration, *warmup = u, b, o, c, d, w
	}(urlFlags, *bodiesFile, *once, *concurrency, *duration, *warmup)
	urlFlags, *bodiesFile, *once, *concurrency = multiFlag{srv.URL}, file, true, 4
	*duration, *warmup = 20*time.Second, 10*time.Millisecond

	start := time.Now()
	rep, err := run()
	if err != nil {
		t.Fatal(err)
	}
	if took := time.Since(start); took > 10*time.Second {
		t.Errorf("the run took %s: it did not end when the bodies ran out", took)
	}
	if !rep.Exhausted || rep.BodiesSent != n {
		t.Errorf("exhausted %v, bodies sent %d; want true, %d", rep.Exhausted, rep.BodiesSent, n)
	}
	if rep.Requests > n || rep.OK != rep.Requests {
		t.Errorf("%d requests measured, %d OK, of %d bodies", rep.Requests, rep.OK, n)
	}
	if rep.Seconds >= duration.Seconds() {
		t.Errorf("measured %.1f s: not ended early", rep.Seconds)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(seen) != n {
		t.Errorf("%d distinct bodies received, want %d", len(seen), n)
	}
	for b, k := range seen {
		if k != 1 {
			t.Errorf("body %q sent %d times", b, k)
		}
	}
}
