package staff_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/populus-vn/populus/internal/audit"
	"github.com/populus-vn/populus/internal/auth"
	"github.com/populus-vn/populus/internal/db"
	"github.com/populus-vn/populus/internal/db/dbtest"
	"github.com/populus-vn/populus/internal/httpx"
	"github.com/populus-vn/populus/internal/server"
	"github.com/populus-vn/populus/internal/staff"
	"github.com/populus-vn/populus/internal/units"
)

// An administrator unlocks an account through the API, audited; any other
// role is refused (and the refusal audited) without learning whether the
// account exists.
func TestUnlockByAdministrator(t *testing.T) {
	dbtest.Engines(t, []*db.Schema{audit.Schema, staff.Schema}, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		log := audit.New(d)
		t.Cleanup(log.Close)
		g := auth.NewGuard(auth.NewPolicy(units.Default()), log)
		st := staff.NewStore(d, staff.TestParams)
		for _, a := range []staff.NewAccount{
			{Username: "admin", DisplayName: "Quản trị", Role: auth.Admin, Unit: "VN", Password: "unlock-password-1"},
			{Username: "registrar", DisplayName: "Hộ tịch", Role: auth.Registrar, Unit: "00004", Password: "unlock-password-1"},
		} {
			if _, err := st.Create(ctx, a); err != nil {
				t.Fatal(err)
			}
		}
		svc := staff.NewService(st, log, staff.Options{Guard: g})
		h, err := server.New(server.Deps{DB: d, Capabilities: []httpx.Routes{svc}, Guards: svc.Guards()})
		if err != nil {
			t.Fatal(err)
		}
		srv := httptest.NewServer(h)
		t.Cleanup(srv.Close)
		signIn := func(user string) (*http.Client, string) {
			jar, _ := cookiejar.New(nil)
			c := &http.Client{Jar: jar}
			res, err := c.Post(srv.URL+"/api/v1/session", "application/json", strings.NewReader(`{"username":"`+user+`","password":"unlock-password-1"}`))
			if err != nil {
				t.Fatal(err)
			}
			defer res.Body.Close()
			var s staff.SessionResponse
			if err := json.NewDecoder(res.Body).Decode(&s); err != nil || res.StatusCode != http.StatusCreated {
				t.Fatalf("sign in as %s: %d %v", user, res.StatusCode, err)
			}
			return c, s.CSRFToken
		}
		unlock := func(c *http.Client, csrf, who string) int {
			req, _ := http.NewRequest("POST", srv.URL+"/api/v1/staff/accounts/"+who+"/unlock", nil)
			req.Header.Set("X-CSRF-Token", csrf)
			res, err := c.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			res.Body.Close()
			return res.StatusCode
		}
		reg, regCSRF := signIn("registrar")
		for _, who := range []string{"admin", "nobody"} {
			if code := unlock(reg, regCSRF, who); code != http.StatusForbidden {
				t.Errorf("a registrar unlocking %s: %d, want 403", who, code)
			}
		}
		admin, adminCSRF := signIn("admin")
		if code := unlock(admin, adminCSRF, "registrar"); code != http.StatusNoContent {
			t.Errorf("the administrator unlocking: %d, want 204", code)
		}
		if code := unlock(admin, adminCSRF, "nobody"); code != http.StatusNotFound {
			t.Errorf("unlocking an unknown account: %d, want 404", code)
		}
		entries, _, err := log.List(ctx, "staff:registrar", 0, 50)
		if err != nil {
			t.Fatal(err)
		}
		ok := false
		for _, e := range entries {
			ok = ok || e.Action == string(staff.ActionUnlock) && e.Actor == "staff:admin" && e.Outcome == audit.OK
		}
		if !ok {
			t.Errorf("no staff.unlock entry by the administrator: %+v", entries)
		}
		denied, _, err := log.List(ctx, "staff:nobody", 0, 50)
		if err != nil || len(denied) != 1 || denied[0].Outcome != audit.Denied || denied[0].Actor != "staff:registrar" {
			t.Errorf("the registrar's refusal about nobody: %+v %v", denied, err)
		}
	})
}
