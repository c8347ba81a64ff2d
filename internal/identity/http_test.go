package identity_test

import (
	"encoding/json"
	"io"
	"maps"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/populus-vn/populus/internal/audit"
	"github.com/populus-vn/populus/internal/auth"
	"github.com/populus-vn/populus/internal/db"
	"github.com/populus-vn/populus/internal/db/dbtest"
	"github.com/populus-vn/populus/internal/httpx"
	"github.com/populus-vn/populus/internal/identity"
	"github.com/populus-vn/populus/internal/identity/identitytest"
	"github.com/populus-vn/populus/internal/server"
	"github.com/populus-vn/populus/internal/staff"
)

// The API behind the server's guards, as cmd/populus wires it: a citizen
// registers, confirms, signs in, reads their account and history, locks it
// (with the CSRF token); a police officer raises an account to level 2; the
// served OpenAPI document holds the fragment.
func TestHTTP(t *testing.T) {
	dbtest.Engines(t, append([]*db.Schema{audit.Schema, staff.Schema}, schemas...), func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		st := staff.NewStore(d, staff.TestParams)
		if _, err := st.Create(e.Ctx, staff.NewAccount{Username: "police", DisplayName: "Công an", Role: auth.PoliceOfficer, Unit: baDinh, Password: "cong-an-ba-dinh-2025"}); err != nil {
			t.Fatal(err)
		}
		sessions := staff.NewService(st, e.Log, staff.Options{})
		guards := sessions.Guards()
		maps.Copy(guards, e.Svc.Guards())
		h, err := server.New(server.Deps{DB: d, Capabilities: []httpx.Routes{sessions, e.Svc}, Guards: guards, PageError: httpx.WriteProblem})
		if err != nil {
			t.Fatal(err)
		}
		srv := httptest.NewServer(h)
		t.Cleanup(srv.Close)
		jar, _ := cookiejar.New(nil)
		c := &http.Client{Jar: jar}
		do := func(method, path, csrf, body string) (int, string) {
			t.Helper()
			req, _ := http.NewRequest(method, srv.URL+path, strings.NewReader(body))
			if body != "" {
				req.Header.Set("Content-Type", "application/json")
			}
			if csrf != "" {
				req.Header.Set("X-CSRF-Token", csrf)
			}
			res, err := c.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer res.Body.Close()
			b, _ := io.ReadAll(res.Body)
			return res.StatusCode, string(b)
		}
		app := `{"pin":"` + e.Lan.PIN + `","full_name":"Nguyễn Thị Lan","birth_date":"1990-05-17","phone":"0912345678","password":"correct horse battery"}`
		if code, body := do("POST", "/api/v1/identity/registrations", "", app); code != http.StatusAccepted || !strings.Contains(body, `"phone_masked":"+84******678"`) {
			t.Fatalf("register: %d %s", code, body)
		}
		bad := strings.Replace(app, "1990-05-17", "1990-05-18", 1)
		if code, body := do("POST", "/api/v1/identity/registrations", "", bad); code != http.StatusUnprocessableEntity || !strings.Contains(body, "do not match") {
			t.Errorf("mismatch: %d %s", code, body)
		}
		if code, body := do("POST", "/api/v1/identity/registrations/confirm", "", `{"pin":"`+e.Lan.PIN+`","code":"`+e.LastCode()+`"}`); code != http.StatusOK || !strings.Contains(body, `"state":"active"`) {
			t.Fatalf("confirm: %d %s", code, body)
		}
		if code, _ := do("GET", "/api/v1/identity/me", "", ""); code != http.StatusUnauthorized {
			t.Errorf("me before sign-in: %d", code)
		}
		code, body := do("POST", "/api/v1/identity/session", "", `{"pin":"`+e.Lan.PIN+`","password":"correct horse battery"}`)
		var sess identity.SessionResponse
		if json.Unmarshal([]byte(body), &sess); code != http.StatusCreated || sess.CSRFToken == "" || sess.Level != 1 {
			t.Fatalf("sign in: %d %s", code, body)
		}
		if code, body := do("GET", "/api/v1/identity/me", "", ""); code != http.StatusOK || !strings.Contains(body, `"level":1`) {
			t.Errorf("me: %d %s", code, body)
		}
		if code, body := do("GET", "/api/v1/identity/me/logins", "", ""); code != http.StatusOK || !strings.Contains(body, `"outcome":"ok"`) {
			t.Errorf("logins: %d %s", code, body)
		}
		// Raised by the officer while signed in as a citizen too: the two
		// sessions live apart.
		code, body = do("POST", "/api/v1/session", "", `{"username":"police","password":"cong-an-ba-dinh-2025"}`)
		var ss staff.SessionResponse
		if json.Unmarshal([]byte(body), &ss); code != http.StatusCreated {
			t.Fatalf("staff sign-in: %d %s", code, body)
		}
		if code, body := do("POST", "/api/v1/identity/level2", ss.CSRFToken, `{"pin":"`+e.Lan.PIN+`","card_number":"`+e.Lan.PIN+`","card_issued":"2021-04-01"}`); code != http.StatusCreated || !strings.Contains(body, `"level":2`) {
			t.Errorf("level 2: %d %s", code, body)
		}
		// Passkeys and method locks through the API: the options, the
		// authenticator's answer, a passkey sign-in; a method locked.
		site := strings.Replace(srv.URL, "127.0.0.1", "localhost", 1)
		if code, body := do("POST", "/api/v1/identity/passkey/options", "", `{}`); code != http.StatusServiceUnavailable {
			t.Errorf("passkeys off: %d %s", code, body)
		}
		if err := e.Svc.SetPasskeys(identity.PasskeyOptions{RPID: "localhost", Origins: []string{site}}); err != nil {
			t.Fatal(err)
		}
		authr := &identitytest.Authenticator{Origin: site}
		if code, _ := do("POST", "/api/v1/identity/me/passkeys/options", "", `{}`); code != http.StatusForbidden {
			t.Errorf("passkey options without CSRF: %d", code)
		}
		// A session alone adds no way in: the password is asked for.
		if code, body := do("POST", "/api/v1/identity/me/passkeys/options", sess.CSRFToken, `{}`); code != http.StatusUnprocessableEntity || !strings.Contains(body, `"field":"password"`) {
			t.Errorf("passkey options without the password: %d %s", code, body)
		}
		code, body = do("POST", "/api/v1/identity/me/passkeys/options", sess.CSRFToken, `{"password":"`+identitytest.Password+`"}`)
		var cer identity.Ceremony
		if json.Unmarshal([]byte(body), &cer); code != http.StatusCreated || cer.ID == "" {
			t.Fatalf("passkey options: %d %s", code, body)
		}
		cred, err := authr.Create(cer.PublicKey)
		if err != nil {
			t.Fatal(err)
		}
		reg, _ := json.Marshal(identity.PasskeyRegistration{Ceremony: cer.ID, Name: "Điện thoại", Credential: cred})
		if code, body := do("POST", "/api/v1/identity/me/passkeys", sess.CSRFToken, string(reg)); code != http.StatusCreated || !strings.Contains(body, `"name":"Điện thoại"`) {
			t.Fatalf("add passkey: %d %s", code, body)
		}
		if code, body := do("POST", "/api/v1/identity/me/passkeys", sess.CSRFToken, `{"ceremony":"x","name":"","credential":{}}`); code != http.StatusUnprocessableEntity ||
			!strings.Contains(body, `"name"`) || !strings.Contains(body, `"credential"`) {
			t.Errorf("bad passkey: %d %s", code, body)
		}
		code, body = do("POST", "/api/v1/identity/passkey/options", "", `{}`)
		if json.Unmarshal([]byte(body), &cer); code != http.StatusCreated {
			t.Fatalf("sign-in options: %d %s", code, body)
		}
		cred, _ = authr.Get(cer.PublicKey)
		signin, _ := json.Marshal(identity.PasskeySessionRequest{Ceremony: cer.ID, Credential: cred})
		if code, body := do("POST", "/api/v1/identity/passkey/session", "", string(signin)); code != http.StatusCreated || json.Unmarshal([]byte(body), &sess) != nil || sess.CSRFToken == "" {
			t.Fatalf("passkey sign-in: %d %s", code, body)
		}
		if code, body := do("POST", "/api/v1/identity/passkey/session", "", string(signin)); code != http.StatusUnprocessableEntity || !strings.Contains(body, "ceremony") {
			t.Errorf("the same answer again: %d %s", code, body)
		}
		if code, body := do("POST", "/api/v1/identity/me/methods/lock", sess.CSRFToken, `{"method":"code","password":"`+identitytest.Password+`"}`); code != http.StatusCreated || !strings.Contains(body, `{"method":"code","enrolled":true,"locked":true}`) {
			t.Errorf("lock codes: %d %s", code, body)
		}
		if code, body := do("GET", "/api/v1/identity/me/methods", "", ""); code != http.StatusOK || !strings.Contains(body, `{"method":"passkey","enrolled":true,"locked":false}`) {
			t.Errorf("methods: %d %s", code, body)
		}
		// With the password locked (no authenticator app), a passkey
		// sign-in of the last minutes is the proof that adds another.
		if code, body := do("POST", "/api/v1/identity/me/methods/lock", sess.CSRFToken, `{"method":"password","password":"`+identitytest.Password+`"}`); code != http.StatusCreated {
			t.Fatalf("lock the password: %d %s", code, body)
		}
		if code, body := do("POST", "/api/v1/identity/me/passkeys/options", sess.CSRFToken, `{}`); code != http.StatusCreated {
			t.Errorf("passkey options after a passkey sign-in: %d %s", code, body)
		}
		e.Now = e.Now.Add(11 * time.Minute)
		if code, body := do("POST", "/api/v1/identity/me/passkeys/options", sess.CSRFToken, `{}`); code != http.StatusUnprocessableEntity || !strings.Contains(body, "sign in again with a passkey") {
			t.Errorf("passkey options 11 minutes after the sign-in: %d %s", code, body)
		}
		// So does unlocking the password: refused with the stale sign-in,
		// granted after a new one.
		if code, body := do("POST", "/api/v1/identity/me/methods/unlock", sess.CSRFToken, `{"method":"password"}`); code != http.StatusUnprocessableEntity {
			t.Errorf("unlock the password 11 minutes after the sign-in: %d %s", code, body)
		}
		code, body = do("POST", "/api/v1/identity/passkey/options", "", `{}`)
		if json.Unmarshal([]byte(body), &cer); code != http.StatusCreated {
			t.Fatalf("sign-in options: %d %s", code, body)
		}
		cred, _ = authr.Get(cer.PublicKey)
		signin, _ = json.Marshal(identity.PasskeySessionRequest{Ceremony: cer.ID, Credential: cred})
		if code, body := do("POST", "/api/v1/identity/passkey/session", "", string(signin)); code != http.StatusCreated || json.Unmarshal([]byte(body), &sess) != nil {
			t.Fatalf("passkey sign-in again: %d %s", code, body)
		}
		if code, body := do("POST", "/api/v1/identity/me/methods/unlock", sess.CSRFToken, `{"method":"password"}`); code != http.StatusCreated {
			t.Fatalf("unlock the password: %d %s", code, body)
		}
		if code, _ := do("POST", "/api/v1/identity/me/lock", "", `{}`); code != http.StatusForbidden {
			t.Errorf("lock without CSRF: %d", code)
		}
		if code, body := do("POST", "/api/v1/identity/me/lock", sess.CSRFToken, `{"reason":"lost phone"}`); code != http.StatusCreated || !strings.Contains(body, `"state":"locked"`) {
			t.Errorf("lock: %d %s", code, body)
		}
		if code, _ := do("GET", "/api/v1/identity/me", "", ""); code != http.StatusUnauthorized {
			t.Errorf("me after lock: %d", code)
		}
		if code, body := do("GET", "/api/v1/openapi.json", "", ""); code != http.StatusOK || !strings.Contains(body, "/api/v1/identity/level2") {
			t.Errorf("openapi: %d", code)
		}
	})
}
