package oidc_test

import (
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strings"
	"testing"

	"github.com/populus-vn/populus/internal/auth"
	"github.com/populus-vn/populus/internal/db"
	"github.com/populus-vn/populus/internal/db/dbtest"
	"github.com/populus-vn/populus/internal/oidc"
	"github.com/populus-vn/populus/internal/staff"
)

// A nation-wide administrator registers a relying party on its page (the
// secret shown once, the form's mistakes named); a registrar is refused.
func TestRelyingPartiesPage(t *testing.T) {
	dbtest.Engines(t, schemas, func(t *testing.T, d *db.DB) {
		e := newOP(t, d)
		for _, a := range []staff.NewAccount{
			{Username: "admin", DisplayName: "Quản trị", Role: auth.Admin, Unit: "VN", Password: "admin-password-1"},
			{Username: "registrar", DisplayName: "Hộ tịch", Role: auth.Registrar, Unit: "VN", Password: "admin-password-1"},
		} {
			if _, err := e.staff.Create(e.Ctx, a); err != nil {
				t.Fatal(err)
			}
		}
		signIn := func(user string) *http.Client {
			jar, _ := cookiejar.New(nil)
			c := &http.Client{Jar: jar}
			res, err := c.Post(e.srv.URL+"/api/v1/session", "application/json", strings.NewReader(`{"username":"`+user+`","password":"admin-password-1"}`))
			if err != nil || res.StatusCode != http.StatusCreated {
				t.Fatalf("sign in: %v %v", res, err)
			}
			res.Body.Close()
			return c
		}
		read := func(res *http.Response, err error) (int, string) {
			if err != nil {
				t.Fatal(err)
			}
			defer res.Body.Close()
			b, _ := io.ReadAll(res.Body)
			return res.StatusCode, string(b)
		}
		admin := signIn("admin")
		code, page := read(admin.Get(e.srv.URL + "/relying-parties"))
		if code != http.StatusOK || !strings.Contains(page, "Ngân hàng Demo") {
			t.Fatalf("list: %d", code)
		}
		csrf := between(page, `name="csrf" value="`, `"`)
		form := url.Values{"csrf": {csrf}, "client_id": {"hospital"}, "name": {"Bệnh viện Demo"}, "redirect_uris": {"https://hospital.example.vn/cb"}, "scopes": {"openid profile phone"}}
		code, page = read(admin.PostForm(e.srv.URL+"/relying-parties", form))
		if code != http.StatusCreated || !strings.Contains(page, `id="client-secret"`) {
			t.Fatalf("register: %d", code)
		}
		secret := between(page, `id="client-secret">`, `<`)
		c, err := e.prov.Clients().Get(e.Ctx, "hospital")
		if err != nil || c.Name != "Bệnh viện Demo" || len(secret) < 40 {
			t.Errorf("registered %+v %v (secret %q)", c, err, secret)
		}
		form.Set("client_id", "Bad Id")
		form.Set("redirect_uris", "http://hospital.example.vn/cb")
		code, page = read(admin.PostForm(e.srv.URL+"/relying-parties", form))
		if code != http.StatusUnprocessableEntity || !strings.Contains(page, "f-client_id") || !strings.Contains(page, "f-redirect_uris") {
			t.Errorf("invalid: %d", code)
		}
		if code, _ := read(signIn("registrar").Get(e.srv.URL + "/relying-parties")); code != http.StatusForbidden {
			t.Errorf("registrar: %d", code)
		}
		if n := e.Count("SELECT count(*) FROM audit_log WHERE actor = 'staff:admin' AND action = $1 AND subject = 'client:hospital'", string(oidc.ManageClients)); n != 1 {
			t.Errorf("registration audited %d times", n)
		}
	})
}
