package oidc_test

import (
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"reflect"
	"strings"
	"testing"

	jose "github.com/go-jose/go-jose/v4"

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
			{Username: "admin", DisplayName: "Quản trị", Role: auth.Admin, Unit: "VN", Password: "quan-tri-he-thong-2025"},
			{Username: "registrar", DisplayName: "Hộ tịch", Role: auth.Registrar, Unit: "VN", Password: "quan-tri-he-thong-2025"},
		} {
			if _, err := e.staff.Create(e.Ctx, a); err != nil {
				t.Fatal(err)
			}
		}
		signIn := func(user string) *http.Client {
			jar, _ := cookiejar.New(nil)
			c := &http.Client{Jar: jar}
			res, err := c.Post(e.srv.URL+"/api/v1/session", "application/json", strings.NewReader(`{"username":"`+user+`","password":"quan-tri-he-thong-2025"}`))
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
		// The form's fields have the form's hints, not the register's for
		// the same names (a relying party's name is no person's).
		if strings.Contains(page, "nguyen van an") {
			t.Error("the relying party's name field has the register's hint for a person's name")
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

		// Its page shows the registration; every field is set from it,
		// saved as a new version.
		code, page = read(admin.Get(e.srv.URL + "/relying-parties/hospital"))
		if code != http.StatusOK || !strings.Contains(page, "Bệnh viện Demo") || !strings.Contains(page, `name="userinfo_encrypted_response_alg"`) || strings.Contains(page, `name="client_id"`) {
			t.Fatalf("edit page: %d", code)
		}
		key, _ := rsa.GenerateKey(rand.Reader, 2048)
		jwks, _ := json.Marshal(jose.JSONWebKeySet{Keys: []jose.JSONWebKey{{Key: &key.PublicKey, KeyID: "enc-1", Use: "enc"}}})
		edit := url.Values{"csrf": {csrf}, "name": {"Bệnh viện Trung ương"}, "auth_method": {"client_secret_basic"},
			"redirect_uris": {"https://hospital.example.vn/cb\nhttps://hospital.example.vn/cb2"}, "post_logout_redirect_uris": {"https://hospital.example.vn/bye"},
			"scopes": {"openid profile phone"}, "essential_scopes": {"openid profile"}, "min_level": {"2"}, "sector_identifier": {"benhvien.example.vn"},
			"jwks": {string(jwks)}, "par_required": {"1"}, "id_token_signed_response_alg": {"ES256"},
			"id_token_encrypted_response_alg": {"RSA-OAEP-256"}, "userinfo_signed_response_alg": {"ES256"},
			"userinfo_encrypted_response_alg": {"RSA-OAEP-256"}, "userinfo_encrypted_response_enc": {"A128CBC-HS256"},
			"verify": {"1"}, "verify_purposes": {"khám bệnh\nbảo hiểm y tế"}}
		code, page = read(admin.PostForm(e.srv.URL+"/relying-parties/hospital", edit))
		if code != http.StatusOK || !strings.Contains(page, `id="client-saved"`) || strings.Contains(page, `id="client-secret"`) {
			t.Fatalf("edit: %d", code)
		}
		c, err = e.prov.Clients().Get(e.Ctx, "hospital")
		want := oidc.ClientConfig{ID: "hospital", Name: "Bệnh viện Trung ương", AuthMethod: oidc.AuthSecretBasic,
			RedirectURIs: []string{"https://hospital.example.vn/cb", "https://hospital.example.vn/cb2"}, PostLogoutRedirectURIs: []string{"https://hospital.example.vn/bye"},
			Scopes: []string{"openid", "profile", "phone"}, Essential: []string{"openid", "profile"}, MinLevel: 2, JWKS: jwks, PARRequired: true,
			Verify: true, Purposes: []string{"khám bệnh", "bảo hiểm y tế"}, IDTokenAlg: "ES256", UserinfoAlg: "ES256",
			UserinfoEncAlg: "RSA-OAEP-256", UserinfoEnc: "A128CBC-HS256", IDTokenEncAlg: "RSA-OAEP-256", Sector: "benhvien.example.vn"}
		if err != nil || !reflect.DeepEqual(c.ClientConfig, want) {
			t.Errorf("stored %+v %v\nwant %+v", c.ClientConfig, err, want)
		}
		if versions, err := e.prov.Clients().Versions(e.Ctx, "hospital"); err != nil || len(versions) != 2 || versions[0].Name != "Bệnh viện Demo" {
			t.Errorf("versions %+v %v", versions, err)
		}
		// The former secret still works: an edit does not change it.
		if !strings.Contains(page, "Bệnh viện Trung ương") {
			t.Error("the saved form does not show the new name")
		}
		// A wrong edit names its fields and changes nothing.
		edit.Set("jwks", "")
		edit.Set("min_level", "3")
		code, page = read(admin.PostForm(e.srv.URL+"/relying-parties/hospital", edit))
		if code != http.StatusUnprocessableEntity || !strings.Contains(page, "f-userinfo_encrypted_response_alg") || !strings.Contains(page, "f-min_level") {
			t.Errorf("a wrong edit: %d", code)
		}
		if versions, _ := e.prov.Clients().Versions(e.Ctx, "hospital"); len(versions) != 2 {
			t.Errorf("a wrong edit made version %d", len(versions))
		}
		if n := e.Count("SELECT count(*) FROM audit_log WHERE actor = 'staff:admin' AND action = $1 AND subject = 'client:hospital' AND detail LIKE '%version 2%'", string(oidc.ManageClients)); n != 1 {
			t.Errorf("the edit audited %d times", n)
		}
		// Disabled from its page: gone from the list, audited.
		noFollow := *admin
		noFollow.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
		if code, _ := read(noFollow.PostForm(e.srv.URL+"/relying-parties/hospital/disable", url.Values{"csrf": {csrf}})); code != http.StatusSeeOther {
			t.Errorf("disable: %d", code)
		}
		if _, err := e.prov.Clients().Get(e.Ctx, "hospital"); err == nil {
			t.Error("disabled client still there")
		}
		if code, _ := read(admin.Get(e.srv.URL + "/relying-parties/hospital")); code != http.StatusNotFound {
			t.Errorf("a disabled client's page: %d", code)
		}
		if code, _ := read(signIn("registrar").PostForm(e.srv.URL+"/relying-parties/bank/disable", url.Values{"csrf": {csrf}})); code != http.StatusForbidden {
			t.Errorf("registrar disables: %d", code)
		}
		if n := e.Count("SELECT count(*) FROM audit_log WHERE actor = 'staff:admin' AND action = $1 AND subject = 'client:hospital' AND detail = 'disabled'", string(oidc.ManageClients)); n != 1 {
			t.Errorf("the disabling audited %d times", n)
		}
	})
}
