package web_test

import (
	"encoding/json"
	"html"
	"net/http"
	"regexp"
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

// TestSearchPagesBothWays: the search page says how many it found and
// which of them it shows, and pages forward and back.
func TestSearchPagesBothWays(t *testing.T) {
	dbtest.Engines(t, testSchemas, func(t *testing.T, d *db.DB) {
		c := newEnv(t, d).client()
		c.signIn("registrar")
		r := c.get("/register/search?name=binh+nguyen")
		if !strings.Contains(r.body, "Người thứ 1–20 trong 22 người tìm thấy") || strings.Contains(r.body, `id="prev-page"`) {
			t.Fatalf("first page:\n%s", r.body)
		}
		next := regexp.MustCompile(`href="([^"]+)" rel="next"`).FindStringSubmatch(r.body)
		if next == nil {
			t.Fatal("no next page")
		}
		r = c.get(html.UnescapeString(next[1]))
		if !strings.Contains(r.body, "Người thứ 21–22 trong 22 người tìm thấy") {
			t.Errorf("second page:\n%s", r.body)
		}
		prev := regexp.MustCompile(`href="([^"]+)" rel="prev"`).FindStringSubmatch(r.body)
		if prev == nil {
			t.Fatal("no previous page")
		}
		if r = c.get(html.UnescapeString(prev[1])); !strings.Contains(r.body, "Người thứ 1–20 trong 22 người tìm thấy") {
			t.Errorf("back to the first page:\n%s", r.body)
		}
		// A date of birth alone searches too.
		if r = c.get("/register/search?birth=02%2F09%2F1995"); !strings.Contains(r.body, "Nguyễn Thị Mai") {
			t.Errorf("search by date of birth alone:\n%s", r.body)
		}
	})
}
