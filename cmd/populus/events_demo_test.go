package main

import (
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/populus-vn/populus/internal/events"
	"github.com/populus-vn/populus/internal/staff"
	datausage "github.com/populus-vn/populus/internal/usage"
)

// eventsExamples runs change subscriptions against the demo
// (TestDemoEndToEnd), as its members make them, over mutual TLS with the
// certificates it wrote, and checks that the data exchange decides them:
// a type whose field the bank's rights do not grant and a subscription for
// every person are refused naming the field; the bank's name changes reach
// it only for the citizen who consented (README's consent example: name
// and date of birth, for KYC), and the citizen sees that delivery, with
// its consent, in who used my data; the hospital's, under a purpose the
// law mandates, reach it without consent.
//
// citizen is the demo citizen's caller.
func eventsExamples(t *testing.T, base string, stdout interface{ String() string }, data string, citizen func(method, path, csrf string, body, out any) int) {
	t.Helper()
	jar, _ := cookiejar.New(nil)
	hc := &http.Client{Jar: jar, Timeout: 30 * time.Second}
	call := func(method, path, csrf string, body, out any) int {
		t.Helper()
		b, _ := json.Marshal(body)
		req, _ := http.NewRequest(method, base+path, bytes.NewReader(b))
		req.Header.Set("Content-Type", "application/json")
		if csrf != "" {
			req.Header.Set("X-CSRF-Token", csrf)
		}
		res, err := hc.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		if out != nil {
			json.NewDecoder(res.Body).Decode(out)
		}
		return res.StatusCode
	}
	out := stdout.String()
	cm := demoCitizenPIN.FindStringSubmatch(out)
	am := regexp.MustCompile(`https://(127\.0\.0\.1:\d+)/r1/`).FindStringSubmatch(out)
	if cm == nil || am == nil {
		t.Fatalf("the demo prints no citizen or no exchange address:\n%s", out)
	}
	consented, addr := cm[1], am[1]
	// The registrar of Ba Đình, who read the citizen's record.
	var sess struct {
		CSRF string `json:"csrf_token"`
	}
	if code := call("POST", "/api/v1/session", "", map[string]string{"username": "registrar.badinh", "password": staff.DemoPassword}, &sess); code != 201 {
		t.Fatalf("sign in = %d", code)
	}
	csrf := sess.CSRF
	var list struct {
		Items []struct {
			PIN    string `json:"pin"`
			Status string `json:"status"`
		} `json:"items"`
	}
	if code := call("GET", "/api/v1/persons?name=ng&limit=50", "", nil, &list); code != 200 {
		t.Fatalf("search = %d", code)
	}
	other := ""
	for _, p := range list.Items {
		if p.PIN != consented && p.Status == "alive" {
			other = p.PIN
			break
		}
	}
	if other == "" {
		t.Fatal("no other living person in the registrar's reach")
	}

	dir := filepath.Join(data, "exchange")
	ca, err := os.ReadFile(filepath.Join(dir, "ca.pem"))
	if err != nil {
		t.Fatal(err)
	}
	roots := x509.NewCertPool()
	roots.AppendCertsFromPEM(ca)
	member := func(sub, method, path, ctype, body string) (int, string) {
		t.Helper()
		name := strings.ReplaceAll(sub, "/", "_")
		c, err := tls.LoadX509KeyPair(filepath.Join(dir, name+".crt"), filepath.Join(dir, name+".key"))
		if err != nil {
			t.Fatal(err)
		}
		hc := &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: roots, Certificates: []tls.Certificate{c}}}}
		req, _ := http.NewRequest(method, "https://"+addr+path, strings.NewReader(body))
		req.Header.Set("Content-Type", ctype)
		res, err := hc.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		return res.StatusCode, string(b)
	}

	// The subscribers' webhooks: the PINs each received.
	var mu sync.Mutex
	got := map[string][]string{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var e events.Event
		json.NewDecoder(r.Body).Decode(&e)
		mu.Lock()
		got[r.URL.Path] = append(got[r.URL.Path], e.PIN)
		mu.Unlock()
		w.WriteHeader(http.StatusNoContent)
	}))
	defer srv.Close()
	subscribe := func(sub, purpose, hook string, types []string, all bool) (int, string) {
		b, _ := json.Marshal(map[string]any{"types": types, "webhook_url": srv.URL + hook, "purpose": purpose, "all_people": all})
		return member(sub, "POST", "/api/v1/events/subscriptions", "application/json", string(b))
	}
	const bank, hospital = "VN/COM/VCB/EKYC", "VN/HEALTH/BV-DEMO/HIS"
	if code, b := subscribe(bank, "KYC", "/bank", []string{"death", "residence_move"}, false); code != 403 ||
		!strings.Contains(b, `"field":"types"`) || !strings.Contains(b, "permanent_residence") {
		t.Errorf("the bank asking for residence moves = %d %s, want 403 naming types", code, b)
	}
	if code, b := subscribe(hospital, "HEALTH-INSURANCE-CHECK", "/hospital", []string{"birth"}, true); code != 422 || !strings.Contains(b, `"field":"all_people"`) {
		t.Errorf("the hospital asking for every person = %d %s, want 422 naming all_people", code, b)
	}
	for _, s := range []struct{ sub, purpose, hook, watch string }{
		{bank, "KYC", "/bank", consented + "\n" + other + "\n"},
		{hospital, "HEALTH-INSURANCE-CHECK", "/hospital", other + "\n"},
	} {
		code, b := subscribe(s.sub, s.purpose, s.hook, []string{"name_change"}, false)
		var sub events.Subscription
		if err := json.Unmarshal([]byte(b), &sub); code != 201 || err != nil {
			t.Fatalf("%s subscribing to name changes = %d %s", s.sub, code, b)
		}
		if code, b := member(s.sub, "POST", fmt.Sprintf("/api/v1/events/subscriptions/%d/watch", sub.ID), "text/plain", s.watch); code != 200 {
			t.Fatalf("%s's watch list = %d %s", s.sub, code, b)
		}
	}
	for _, p := range []string{consented, other} {
		if code := call("POST", "/api/v1/events/correction", csrf, map[string]any{"pin": p, "full_name": "Nguyễn Văn Đổi Tên", "reason": "Sai chính tả"}, nil); code/100 != 2 {
			t.Fatalf("correction of %s = %d", p, code)
		}
	}
	for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		mu.Lock()
		n := len(got["/bank"]) + len(got["/hospital"])
		mu.Unlock()
		if n >= 2 {
			break
		}
	}
	time.Sleep(300 * time.Millisecond) // a delivery refused would have come by now
	mu.Lock()
	if !slices.Equal(got["/bank"], []string{consented}) {
		t.Errorf("the bank received name changes of %q, want only %s's (who consented)", got["/bank"], consented)
	}
	if !slices.Equal(got["/hospital"], []string{other}) {
		t.Errorf("the hospital received name changes of %q, want %s's", got["/hospital"], other)
	}
	mu.Unlock()
	var page datausage.Page
	if code := citizen("GET", "/api/v1/usage/me?limit=50", "", nil, &page); code != 200 {
		t.Fatalf("who used my data = %d", code)
	}
	if !slices.ContainsFunc(page.Items, func(it datausage.Item) bool {
		return it.Organisation.ID == bank && it.Consent != "" && slices.Contains(it.Fields, "event:name_change") && it.Outcome == "ok"
	}) {
		t.Errorf("the citizen does not see the bank's name change event, with its consent, in who used my data: %+v", page.Items)
	}
}
