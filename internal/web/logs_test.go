package web_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/populus-vn/populus/internal/db/dbtest"
)

// A page that fails with an internal error is logged with its route
// pattern, never its path (which holds the PIN).
func TestFailedPageLogsTheRouteNotThePath(t *testing.T) {
	d := dbtest.SQLite(t, testSchemas...)
	e := newEnv(t, d)
	c := e.client()
	c.signIn("registrar")
	d.Close() // the session stays cached; the person's look-up fails
	r := c.get("/register/persons/" + motherPIN)
	if r.status != http.StatusInternalServerError {
		t.Fatalf("person page on a closed store: %d", r.status)
	}
	logs := e.log.String()
	if !strings.Contains(logs, `msg="page failed"`) || !strings.Contains(logs, `route="GET /register/persons/{pin}"`) {
		t.Errorf("no page failed line naming the route:\n%s", logs)
	}
	if strings.Contains(logs, motherPIN) {
		t.Errorf("the PIN is in the logs:\n%s", logs)
	}
}
