package identity_test

import (
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/populus-vn/populus/internal/audit"
	"github.com/populus-vn/populus/internal/db"
	"github.com/populus-vn/populus/internal/db/dbtest"
	"github.com/populus-vn/populus/internal/httpx"
	"github.com/populus-vn/populus/internal/identity"
	"github.com/populus-vn/populus/internal/identity/identitytest"
	"github.com/populus-vn/populus/internal/server"
	"github.com/populus-vn/populus/internal/staff"
)

// A passkey sign-in of any form (the request and the authenticator's
// answer inside it) never fails with a server error and never starts a
// session: no passkey is registered, and no ceremony can be guessed.
func FuzzPasskeySession(f *testing.F) {
	d := dbtest.SQLite(f, append([]*db.Schema{audit.Schema, staff.Schema}, schemas...)...)
	e := identitytest.New(f, d)
	acct := e.Active(e.Lan)
	const site = "https://eid.example.vn"
	if err := e.Svc.SetPasskeys(identity.PasskeyOptions{RPID: "eid.example.vn", Origins: []string{site}}); err != nil {
		f.Fatal(err)
	}
	sessions := staff.NewService(staff.NewStore(d, staff.TestParams), e.Log, staff.Options{})
	guards := sessions.Guards()
	maps.Copy(guards, e.Svc.Guards())
	h, err := server.New(server.Deps{DB: d, Capabilities: []httpx.Routes{sessions, e.Svc}, Guards: guards, PageError: httpx.WriteProblem})
	if err != nil {
		f.Fatal(err)
	}
	// A well-formed answer of a passkey that was never registered, to a
	// ceremony that exists once.
	authr := &identitytest.Authenticator{Origin: site}
	reg, _ := e.Svc.BeginPasskey(e.Ctx, acct.Principal(""), identity.Proof{Password: identitytest.Password})
	if _, err := authr.Create(reg.PublicKey); err != nil {
		f.Fatal(err)
	}
	c, _ := e.Svc.BeginPasskeySignIn(e.Ctx, "192.0.2.1")
	cred, err := authr.Get(c.PublicKey)
	if err != nil {
		f.Fatal(err)
	}
	good, _ := json.Marshal(identity.PasskeySessionRequest{Ceremony: c.ID, Credential: cred})
	for _, s := range []string{
		string(good),
		strings.Replace(string(good), c.ID, "AAAA", 1),
		`{"ceremony":"x","credential":{"id":"AA","rawId":"AA","type":"public-key","response":{"clientDataJSON":"e30","authenticatorData":"","signature":"","userHandle":"AA"}}}`,
		`{"ceremony":"","credential":null}`,
		`{"ceremony":"x","credential":"\u0000"}`,
		`[]`,
	} {
		f.Add(s)
	}
	var n atomic.Uint32
	f.Fuzz(func(t *testing.T, body string) {
		req := httptest.NewRequest("POST", "/api/v1/identity/passkey/session", strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		// Each attempt from its own address, so that the throttle lets
		// it reach the parser.
		i := n.Add(1)
		req.RemoteAddr = fmt.Sprintf("10.%d.%d.%d:1234", byte(i>>16), byte(i>>8), byte(i))
		w := httptest.NewRecorder()
		h.ServeHTTP(w, req)
		if w.Code >= 500 || w.Code == http.StatusCreated {
			t.Fatalf("%q: %d %s", body, w.Code, w.Body)
		}
		if w.Code != http.StatusTooManyRequests && !strings.HasPrefix(w.Header().Get("Content-Type"), "application/problem+json") {
			t.Fatalf("%q: %d %s %s", body, w.Code, w.Header().Get("Content-Type"), w.Body)
		}
	})
}
