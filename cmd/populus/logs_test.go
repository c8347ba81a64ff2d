package main

import (
	"context"
	"encoding/json"
	"errors"
	stdlog "log"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/populus-vn/populus/internal/testlog"
)

// TestServeLogsThroughTheConfiguredLogger: while serve runs, what packages
// log through slog's default logger (panics and 5xx lines of httpx, sign-in
// throttling, the audit writer) and through the log package goes out in
// the configured format, into the server's log, not as bare lines on
// stderr; the previous default is back once serve returns.
func TestServeLogsThroughTheConfiguredLogger(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var stdout, stderr testlog.Buffer
	done := make(chan error, 1)
	before := slog.Default()
	go func() {
		done <- run(ctx, []string{"serve", "--addr", "127.0.0.1:0", "--data", t.TempDir(), "--log-format", "json"}, env(nil), &stdout, &stderr)
	}()
	waitFor(t, &stderr, done, `"msg":"listening"`, time.Minute)
	slog.Warn("probe through slog")
	stdlog.Print("probe through log")
	waitFor(t, &stderr, done, "probe through slog", 5*time.Second)
	waitFor(t, &stderr, done, "probe through log", 5*time.Second)
	// A PIN in an error's text is redacted, whatever logs it.
	slog.Error("probe with a PIN", "err", errors.New("no person 001203546280"))
	stdlog.Print("probe through log with 001203546281")
	waitFor(t, &stderr, done, "no person [PIN]", 5*time.Second)
	waitFor(t, &stderr, done, "probe through log with [PIN]", 5*time.Second)
	if s := stderr.String(); strings.Contains(s, "001203546280") || strings.Contains(s, "001203546281") {
		t.Errorf("a PIN reached the server's log:\n%s", s)
	}
	for _, line := range strings.Split(strings.TrimSpace(stderr.String()), "\n") {
		var rec struct{ Level, Msg string }
		if err := json.Unmarshal([]byte(line), &rec); err != nil || rec.Level == "" {
			t.Errorf("a line not in the configured format: %q", line)
		}
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if slog.Default() != before {
		t.Error("serve left its logger as the default")
	}
}

// waitFor waits up to max for s to appear in buf.
func waitFor(t *testing.T, buf *testlog.Buffer, done chan error, s string, max time.Duration) {
	t.Helper()
	for end := time.Now().Add(max); time.Now().Before(end); {
		if strings.Contains(buf.String(), s) {
			return
		}
		select {
		case err := <-done:
			t.Fatalf("serve exited: %v\n%s", err, buf.String())
		case <-time.After(100 * time.Millisecond):
		}
	}
	t.Fatalf("%q not logged in %v:\n%s", s, max, buf.String())
}
