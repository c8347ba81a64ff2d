package server

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/populus-vn/populus/internal/httpx"
	"github.com/populus-vn/populus/internal/problem"
)

// Headers larger than their limit get a 431 as the server answers errors (a
// problem document under /api/ and /r1/, else the error page), not the
// plain text net/http writes; those within it pass. The HTTP server reads
// up to httpx.ServerMaxHeaderBytes, so that a request a little over the
// limit reaches the server's handler.
func TestHeadersTooLarge(t *testing.T) {
	page := func(w http.ResponseWriter, r *http.Request, err error) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.WriteHeader(problem.BodyOf(err, r.URL.Path).Status)
		w.Write([]byte("<p>page:" + string(problem.KindOf(err)) + "</p>"))
	}
	h, err := New(Deps{Capabilities: allCapabilities(), Guards: openGuards(), PageError: page})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewUnstartedServer(h)
	srv.Config.MaxHeaderBytes = httpx.ServerMaxHeaderBytes
	srv.Start()
	defer srv.Close()
	for _, tc := range []struct {
		path    string
		size    int // bytes of one header's value
		status  int
		problem bool
	}{
		{"/api/v1/openapi.json", 60 << 10, 200, false},
		{"/api/v1/openapi.json", 90 << 10, 431, true},
		{"/r1/listClients", 90 << 10, 431, true},
		{"/healthz", 90 << 10, 431, false},
		{"/api/v1/openapi.json", httpx.MaxHeaderBytes - 200, 200, false},
		{"/api/v1/openapi.json", httpx.MaxHeaderBytes, 431, true},
	} {
		req, _ := http.NewRequest("GET", srv.URL+tc.path, nil)
		req.Header.Set("X-Padding", strings.Repeat("a", tc.size))
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(res.Body)
		res.Body.Close()
		ct := res.Header.Get("Content-Type")
		if res.StatusCode != tc.status {
			t.Errorf("%s with %d bytes: %d %s, want %d", tc.path, tc.size, res.StatusCode, body, tc.status)
			continue
		}
		if tc.status != 431 {
			continue
		}
		if tc.problem {
			var b problem.Body
			if ct != "application/problem+json" || json.Unmarshal(body, &b) != nil || b.Status != 431 || !strings.Contains(b.Detail, "65536") {
				t.Errorf("%s with %d bytes: %s %q, want a problem naming the limit", tc.path, tc.size, ct, body)
			}
		} else if !strings.HasPrefix(string(body), "<p>page:headers-too-large") {
			t.Errorf("%s with %d bytes: %s %q, want the error page", tc.path, tc.size, ct, body)
		}
	}
}
