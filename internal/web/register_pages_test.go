package web_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/populus-vn/populus/internal/db"
	"github.com/populus-vn/populus/internal/db/dbtest"
)

// TestPersonLookup: the person picker's look-up finds people within reach
// by the words of their name in any order, reads one by PIN, and answers
// the same "nobody found" for a PIN out of reach as for one unknown.
func TestPersonLookup(t *testing.T) {
	dbtest.Engines(t, testSchemas, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		c := e.client()
		c.signIn("registrar")
		type answer struct {
			Items []struct {
				PIN string `json:"pin"`
			} `json:"items"`
			Message string `json:"message"`
		}
		get := func(q string) (answer, string) {
			t.Helper()
			r := c.get("/register/lookup?" + q)
			var a answer
			if r.status != http.StatusOK || json.Unmarshal([]byte(r.body), &a) != nil {
				t.Fatalf("lookup %s: %d %s", q, r.status, r.body)
			}
			return a, r.body
		}
		if a, body := get("name=mai"); len(a.Items) != 1 || a.Items[0].PIN != motherPIN || !strings.Contains(body, "Nguyễn Thị Mai") {
			t.Errorf("name=mai: %s", body)
		}
		if a, body := get("name=cuong+le&birth=1993"); len(a.Items) != 1 || a.Items[0].PIN != fatherPIN {
			t.Errorf("name=cuong le, 1993: %s", body)
		}
		if a, body := get("pin=" + motherPIN); len(a.Items) != 1 || !strings.Contains(body, "02/09/1995") {
			t.Errorf("pin: %s", body)
		}
		unknown, _ := get("pin=001195999999")
		if len(unknown.Items) != 0 || unknown.Message == "" {
			t.Errorf("unknown PIN: %+v", unknown)
		}
		other := e.client()
		other.signIn("registrar.hcm")
		r := other.get("/register/lookup?pin=" + motherPIN)
		var a answer
		if json.Unmarshal([]byte(r.body), &a) != nil || len(a.Items) != 0 || a.Message != unknown.Message {
			t.Errorf("a PIN out of reach: %s (unknown: %q)", r.body, unknown.Message)
		}
		if a, _ := get("name=x"); len(a.Items) != 0 || !strings.Contains(a.Message, "2") {
			t.Errorf("one letter: %+v", a)
		}
	})
}
