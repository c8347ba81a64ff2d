package events_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/populus-vn/populus/internal/auth"
	"github.com/populus-vn/populus/internal/civil"
	"github.com/populus-vn/populus/internal/db"
	"github.com/populus-vn/populus/internal/db/dbtest"
	"github.com/populus-vn/populus/internal/events"
	"github.com/populus-vn/populus/internal/httpx"
	"github.com/populus-vn/populus/internal/httpx/apitest"
	"github.com/populus-vn/populus/internal/problem"
	"github.com/populus-vn/populus/internal/server"
)

// The API document has exactly the fields the types encode.
func TestOpenAPISchemas(t *testing.T) {
	apitest.Schemas(t, (*events.Service)(nil).OpenAPI(), map[string]any{
		"EventSubscription":        events.Subscription{},
		"EventSubscriptionRequest": events.SubscriptionRequest{},
		"EventDelivery":            events.Delivery{},
		"EventWatchResult":         events.WatchResult{},
		"ChangeEvent":              events.Event{},
	})
}

// testMemberGuard stands for the data-exchange platform's member
// authentication: the X-Test-Member header names the subsystem.
func testMemberGuard(next http.Handler, fail httpx.ErrorWriter) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		m := r.Header.Get("X-Test-Member")
		if m == "" {
			fail(w, r, problem.New(problem.Unauthorized, "no member system"))
			return
		}
		next.ServeHTTP(w, r.WithContext(auth.WithPrincipal(r.Context(), auth.Principal{Kind: auth.KindMember, Username: m})))
	})
}

// TestAPI: a member subscribes, uploads its watch list as a stream, lists
// and deletes; bad input is a problem document naming the field; another
// member sees nothing of it; the key set is public.
func TestAPI(t *testing.T) {
	dbtest.Engines(t, schemas, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d, events.Options{})
		h, err := server.New(server.Deps{DB: d, Capabilities: []httpx.Routes{e.svc},
			Guards: map[httpx.Access]httpx.Guard{httpx.AccessMember: testMemberGuard}})
		if err != nil {
			t.Fatal(err)
		}
		srv := httptest.NewServer(h)
		t.Cleanup(srv.Close)
		do := func(member, method, path, ctype, body string) (int, string, string) {
			req, _ := http.NewRequest(method, srv.URL+path, strings.NewReader(body))
			if member != "" {
				req.Header.Set("X-Test-Member", member)
			}
			if ctype != "" {
				req.Header.Set("Content-Type", ctype)
			}
			res, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer res.Body.Close()
			b, _ := io.ReadAll(res.Body)
			return res.StatusCode, res.Header.Get("Content-Type"), string(b)
		}
		const vcb = "VN/COM/VCB/EKYC"
		if st, _, _ := do("", "GET", "/api/v1/events/subscriptions", "", ""); st != http.StatusUnauthorized {
			t.Fatalf("anonymous list: %d", st)
		}
		st, ct, body := do(vcb, "POST", "/api/v1/events/subscriptions", "application/json", `{"types":["death","marriage"],"webhook_url":"https://bank.example/hook"}`)
		if st != http.StatusUnprocessableEntity || ct != "application/problem+json" || !strings.Contains(body, `"field":"types"`) || !strings.Contains(body, `"field":"purpose"`) {
			t.Fatalf("bad subscription: %d %s %s", st, ct, body)
		}
		st, _, body = do(vcb, "POST", "/api/v1/events/subscriptions", "application/json",
			`{"types":["death","name_change"],"webhook_url":"https://bank.example/hook","purpose":"KYC","legal_basis":"Nghị định 52/2024/NĐ-CP"}`)
		if st != http.StatusCreated {
			t.Fatalf("subscribe: %d %s", st, body)
		}
		var sub events.Subscription
		if err := json.Unmarshal([]byte(body), &sub); err != nil || sub.Subscriber != vcb || sub.Deliveries[0].State != events.Active {
			t.Fatalf("subscription %s: %v", body, err)
		}
		path := "/api/v1/events/subscriptions/" + itoa(sub.ID)
		pins := e.people(3, civil.Male)
		st, _, body = do(vcb, "POST", path+"/watch", "text/plain", strings.Join(pins, "\n")+"\n\n"+pins[0]+"\n")
		if st != http.StatusOK || !strings.Contains(body, `"read":4,"changed":3,"watched":3`) {
			t.Fatalf("watch: %d %s", st, body)
		}
		st, ct, body = do(vcb, "POST", path+"/watch", "text/plain", pins[0]+"\n123\n")
		if st != http.StatusUnprocessableEntity || ct != "application/problem+json" || !strings.Contains(body, "line 2") {
			t.Fatalf("bad watch list: %d %s", st, body)
		}
		if st, _, _ = do(vcb, "POST", path+"/watch", "application/json", `[]`); st != http.StatusUnsupportedMediaType {
			t.Fatalf("watch list as JSON: %d", st)
		}
		st, _, body = do(vcb, "POST", path+"/watch?remove=true", "text/plain", pins[2]+"\n")
		if st != http.StatusOK || !strings.Contains(body, `"watched":2`) {
			t.Fatalf("unwatch: %d %s", st, body)
		}
		// Another member sees nothing of it.
		if st, ct, _ = do("VN/COM/BIDV/EKYC", "GET", path, "", ""); st != http.StatusNotFound || ct != "application/problem+json" {
			t.Fatalf("another member's get: %d %s", st, ct)
		}
		if st, _, body = do("VN/COM/BIDV/EKYC", "GET", "/api/v1/events/subscriptions", "", ""); st != http.StatusOK || strings.Contains(body, vcb) {
			t.Fatalf("another member's list: %d %s", st, body)
		}
		if st, _, body = do(vcb, "GET", "/api/v1/events/subscriptions", "", ""); st != http.StatusOK || !strings.Contains(body, `"watched":2`) {
			t.Fatalf("list: %d %s", st, body)
		}
		st, _, body = do("", "GET", "/api/v1/events/keys", "", "")
		if st != http.StatusOK || !strings.Contains(body, `"alg":"ES256"`) || strings.Contains(body, `"d":`) {
			t.Fatalf("keys: %d %s", st, body)
		}
		if st, _, _ = do(vcb, "DELETE", path, "", ""); st != http.StatusNoContent {
			t.Fatalf("delete: %d", st)
		}
		if n := e.count(`SELECT count(*) FROM event_watch`); n != 0 {
			t.Fatalf("%d watch rows left", n)
		}
		if st, _, _ = do(vcb, "GET", path, "", ""); st != http.StatusNotFound {
			t.Fatalf("an ended subscription: %d", st)
		}
		if st, _, body = do(vcb, "GET", "/api/v1/events/subscriptions", "", ""); st != http.StatusOK || strings.Contains(body, vcb) {
			t.Fatalf("list after the end: %d %s", st, body)
		}
		// The next subscription, another member's here, does not get the
		// ended one's id (the audit entries name it).
		st, _, body = do("VN/COM/BIDV/EKYC", "POST", "/api/v1/events/subscriptions", "application/json",
			`{"types":["death"],"webhook_url":"https://bidv.example/hook","purpose":"KYC","legal_basis":"Nghị định 52/2024/NĐ-CP"}`)
		var next events.Subscription
		if err := json.Unmarshal([]byte(body), &next); st != http.StatusCreated || err != nil || next.ID <= sub.ID {
			t.Fatalf("the next subscription: %d %s (ended one %d)", st, body, sub.ID)
		}
	})
}

func itoa(n int64) string { b, _ := json.Marshal(n); return string(b) }
