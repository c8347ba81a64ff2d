package main

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/populus-vn/populus/internal/testlog"
)

// TestServeHTTPSAndMetrics: behind a TLS proxy (--secure-cookies) every
// response carries HSTS, though the request came in plain HTTP; the API's
// listener does not serve /metrics, the management listener
// (--metrics-addr) does, for Prometheus to scrape.
func TestServeHTTPSAndMetrics(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var stdout, stderr testlog.Buffer
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"serve", "--addr", "127.0.0.1:0", "--metrics-addr", "127.0.0.1:0", "--secure-cookies",
			"--data", t.TempDir(), "--log-format", "json"}, env(nil), &stdout, &stderr)
	}()
	waitFor(t, &stderr, done, `"msg":"listening"`, time.Minute)
	var api, metrics string
	for _, line := range strings.Split(stderr.String(), "\n") {
		var rec struct{ Msg, Flag, Addr string }
		json.Unmarshal([]byte(line), &rec)
		switch {
		case rec.Msg == "listening":
			api = rec.Addr
		case rec.Msg == "management listener" && rec.Flag == "--metrics-addr":
			metrics = rec.Addr
		}
	}
	if api == "" || metrics == "" {
		t.Fatalf("no listening addresses in\n%s", stderr.String())
	}
	get := func(url string) (*http.Response, string) {
		t.Helper()
		res, err := http.Get(url)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		return res, string(b)
	}
	for _, path := range []string{"/healthz", "/api/v1/openapi.json", "/login"} {
		if res, _ := get("http://" + api + path); res.Header.Get("Strict-Transport-Security") == "" {
			t.Errorf("GET %s with --secure-cookies: no HSTS", path)
		}
	}
	if res, body := get("http://" + api + "/metrics"); res.StatusCode == http.StatusOK || strings.Contains(body, "populus_http_requests_total") {
		t.Errorf("the API's listener serves the metrics: %d", res.StatusCode)
	}
	if res, body := get("http://" + metrics + "/metrics"); res.StatusCode != http.StatusOK || !strings.Contains(body, `populus_http_requests_total{method="GET",route="GET /healthz",status="200"}`) {
		t.Errorf("GET /metrics on --metrics-addr: %d\n%.2000s", res.StatusCode, body)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}
