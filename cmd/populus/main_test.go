package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/cookiejar"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/populus-vn/populus/internal/pin"
	"github.com/populus-vn/populus/internal/staff"
	"github.com/populus-vn/populus/internal/testlog"
)

func env(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

func TestUnknownCommandAndBadFlags(t *testing.T) {
	var out, errb bytes.Buffer
	if err := run(context.Background(), []string{"frobnicate"}, env(nil), &out, &errb); err == nil || !strings.Contains(err.Error(), "unknown command") {
		t.Errorf("unknown command: err = %v", err)
	}
	if err := run(context.Background(), []string{"seed", "--people", "-5", "--data", t.TempDir()}, env(nil), &out, &errb); err == nil || !strings.Contains(err.Error(), "--people") {
		t.Errorf("negative --people: err = %v", err)
	}
	if err := run(context.Background(), []string{"serve", "--log-format", "xml", "--data", t.TempDir()}, env(nil), &out, &errb); err == nil || !strings.Contains(err.Error(), "log-format") {
		t.Errorf("bad --log-format: err = %v", err)
	}
	if err := run(context.Background(), []string{"migrate", "--db", "mysql://x"}, env(nil), &out, &errb); err == nil {
		t.Error("a mysql URL was accepted")
	}
}

// A server's flag that would stop its start is refused before any store is
// created: the data directory is left as it was.
func TestServerFlagsCheckedFirst(t *testing.T) {
	for _, args := range [][]string{{"serve", "--addr", "nonsense"}, {"serve", "--audit-mode", "lax"}, {"demo", "--exchange-addr", "127.0.0.1:99999"}} {
		dir := filepath.Join(t.TempDir(), "data")
		var out, errb bytes.Buffer
		err := run(context.Background(), append(args, "--data", dir), env(nil), &out, &errb)
		if err == nil || !strings.Contains(err.Error(), args[1]) {
			t.Errorf("%v: err = %v, want one naming %s", args, err, args[1])
		}
		if _, serr := os.Stat(dir); !errors.Is(serr, os.ErrNotExist) {
			t.Errorf("%v: the data directory was created (%v)", args, serr)
		}
	}
}

func TestHelpNamesEnvironmentVariables(t *testing.T) {
	var out, errb bytes.Buffer
	run(context.Background(), []string{"serve", "--help"}, env(nil), &out, &errb)
	for _, v := range []string{"POPULUS_ADDR", "POPULUS_DATA", "POPULUS_DB", "POPULUS_LOG_FORMAT"} {
		if !strings.Contains(out.String(), v) {
			t.Errorf("serve --help does not mention %s", v)
		}
	}
}

func TestSeedRefusesASecondPopulation(t *testing.T) {
	dir := t.TempDir()
	var out, errb bytes.Buffer
	if err := run(context.Background(), []string{"seed", "--people", "300", "--data", dir}, env(nil), &out, &errb); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "Seeded 300 people") {
		t.Errorf("seed output: %s", out.String())
	}
	err := run(context.Background(), []string{"seed", "--people", "300", "--data", dir}, env(nil), &out, &errb)
	if err == nil || !strings.Contains(err.Error(), "already holds 300 people") {
		t.Errorf("second seed: err = %v", err)
	}
}

// TestDemoEndToEnd starts the demo on a free port, as a new user would,
// and drives the API: sign in, read, register a birth, break a rule.
func TestDemoEndToEnd(t *testing.T) {
	if testing.Short() {
		t.Skip("seeds a demo population")
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var stdout, stderr testlog.Buffer
	done := make(chan error, 1)
	data := t.TempDir()
	go func() {
		done <- run(ctx, []string{"demo", "--addr", "127.0.0.1:0", "--data", data}, env(nil), &stdout, &stderr)
	}()
	var base string
	// The first start seeds 20,000 people and writes their history:
	// about 20 s here, several times that under the race detector.
	for i := 0; i < 6000 && base == ""; i++ {
		if _, rest, ok := strings.Cut(stdout.String(), "Populus demo is running: "); ok {
			base, _, _ = strings.Cut(rest, "\n")
			break
		}
		select {
		case err := <-done:
			t.Fatalf("demo exited: %v\n%s", err, stderr.String())
		case <-time.After(100 * time.Millisecond):
		}
	}
	if base == "" {
		t.Fatalf("demo did not start in 10 minutes:\n%s\n%s", stdout.String(), stderr.String())
	}
	if !strings.Contains(stdout.String(), staff.DemoPassword) {
		t.Error("the welcome does not print the demo password")
	}
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar, Timeout: 30 * time.Second}
	call := func(method, path, csrf string, body any, out any) int {
		t.Helper()
		var rd *bytes.Reader
		if body != nil {
			b, _ := json.Marshal(body)
			rd = bytes.NewReader(b)
		} else {
			rd = bytes.NewReader(nil)
		}
		req, _ := http.NewRequest(method, base+path, rd)
		req.Header.Set("Content-Type", "application/json")
		if csrf != "" {
			req.Header.Set("X-CSRF-Token", csrf)
		}
		resp, err := c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		if out != nil {
			json.NewDecoder(resp.Body).Decode(out)
		}
		return resp.StatusCode
	}
	if code := call("GET", "/healthz", "", nil, nil); code != 200 {
		t.Fatalf("healthz = %d", code)
	}
	if code := call("GET", "/api/v1/persons?name=nguyen", "", nil, nil); code != 401 {
		t.Errorf("anonymous search = %d, want 401", code)
	}
	var sess struct {
		CSRF string `json:"csrf_token"`
	}
	if code := call("POST", "/api/v1/session", "", map[string]string{"username": "registrar.badinh", "password": staff.DemoPassword}, &sess); code != 201 || sess.CSRF == "" {
		t.Fatalf("sign in = %d %+v", code, sess)
	}
	var list struct {
		Items []struct {
			PIN         string `json:"pin"`
			Sex         string `json:"sex"`
			HouseholdID string `json:"household_id"`
			Relation    string `json:"relation_to_head"`
		} `json:"items"`
	}
	if code := call("GET", "/api/v1/persons?name=ng&limit=200", "", nil, &list); code != 200 || len(list.Items) == 0 {
		t.Fatalf("search = %d, %d items", code, len(list.Items))
	}
	var mother string
	for _, p := range list.Items {
		if p.Sex == "F" && p.HouseholdID != "" && (p.Relation == "head" || p.Relation == "spouse") {
			mother = p.PIN
		}
	}
	if mother == "" {
		t.Fatal("no woman heading or married into a household among the results")
	}
	var child struct {
		PIN         string `json:"pin"`
		HouseholdID string `json:"household_id"`
	}
	birth := map[string]any{"full_name": "Nguyễn Thị Mai", "birth_date": time.Now().AddDate(0, 0, -3).Format("2006-01-02"),
		"sex": "F", "birth_place": "00004", "mother_pin": mother}
	if code := call("POST", "/api/v1/events/birth", sess.CSRF, birth, &child); code != 201 {
		t.Fatalf("birth = %d", code)
	}
	if _, parts, err := pin.Parse(child.PIN); err != nil || parts.Province != "001" {
		t.Errorf("new PIN %q: %v %+v", child.PIN, err, parts)
	}
	if code := call("POST", "/api/v1/events/birth", "", birth, nil); code != 403 {
		t.Errorf("birth without CSRF token = %d, want 403", code)
	}
	var prob struct {
		Errors []struct{ Field string } `json:"errors"`
	}
	bad := map[string]any{"full_name": "X", "birth_date": "2024-02-30", "sex": "F", "birth_place": "00004", "mother_pin": mother}
	if code := call("POST", "/api/v1/events/birth", sess.CSRF, bad, &prob); code != 400 || len(prob.Errors) == 0 || prob.Errors[0].Field != "birth_date" {
		t.Errorf("impossible date = %d %+v", code, prob)
	}
	var hh struct {
		Members []struct{ PIN string } `json:"members"`
	}
	if code := call("GET", "/api/v1/households/"+child.HouseholdID, "", nil, &hh); code != 200 {
		t.Fatalf("household = %d", code)
	}
	found := false
	for _, m := range hh.Members {
		found = found || m.PIN == child.PIN
	}
	if !found {
		t.Errorf("child %s not among the members of %s", child.PIN, child.HouseholdID)
	}
	if code := call("GET", fmt.Sprintf("/api/v1/persons/%s", child.PIN), "", nil, nil); code != 200 {
		t.Errorf("get child = %d", code)
	}
	readmeExamples(t, call, sess.CSRF)
	citizen := readmeConsentExamples(t, base, stdout.String(), call)
	exchangeExamples(t, &stdout, data, citizen)
	eventsExamples(t, base, &stdout, data, citizen)
	cancel()
	if err := <-done; err != nil {
		t.Errorf("demo ended with %v", err)
	}
}

// The demo says an address taken at once, before a first start seeds
// anything.
func TestDemoAddressTaken(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	dir := t.TempDir()
	var out, errb strings.Builder
	err = run(t.Context(), []string{"demo", "--data", dir, "--addr", ln.Addr().String()}, env(nil), &out, &errb)
	if err == nil || !strings.Contains(err.Error(), "--addr "+ln.Addr().String()+" cannot be used") {
		t.Errorf("an address taken: %v", err)
	}
	if strings.Contains(out.String(), "seeding") {
		t.Errorf("seeded before saying so: %s", out.String())
	}
}
