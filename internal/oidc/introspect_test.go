package oidc_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/oauth2"

	"github.com/populus-vn/populus/internal/db"
	"github.com/populus-vn/populus/internal/db/dbtest"
	"github.com/populus-vn/populus/internal/identity"
	"github.com/populus-vn/populus/internal/identity/identitytest"
	"github.com/populus-vn/populus/internal/oidc"
)

// accessToken signs Lan in to the client "bank" in process and returns
// the access token.
func (e *opEnv) accessToken(t *testing.T) string {
	t.Helper()
	return e.accessTokenOf(t, "bank", e.secret)
}

// accessTokenOf signs Lan in to client in process and returns the access
// token.
func (e *opEnv) accessTokenOf(t *testing.T, client, secret string) string {
	t.Helper()
	return e.tokensOf(t, client, secret)["access_token"].(string)
}

// tokensOf is the token answer of a code flow of Lan's at client.
func (e *opEnv) tokensOf(t *testing.T, client, secret string) map[string]any {
	t.Helper()
	return e.tokensWith(t, client, secret, "profile")
}

// tokensWith is tokensOf asking for openid and the scopes approved.
func (e *opEnv) tokensWith(t *testing.T, client, secret string, approved ...string) map[string]any {
	t.Helper()
	ctx := context.Background()
	sess, _, err := e.Svc.Login(ctx, identity.Attempt{PIN: e.Lan.PIN, Password: identitytest.Password, Remote: "192.0.2.1"})
	if err != nil {
		t.Fatal(err)
	}
	verifier := oauth2.GenerateVerifier()
	w := httptest.NewRecorder()
	conf := e.config(append([]string{"openid"}, approved...)...)
	conf.ClientID = client
	e.handler.ServeHTTP(w, httptest.NewRequest("GET", strings.TrimPrefix(conf.AuthCodeURL("s", oauth2.S256ChallengeOption(verifier)), e.srv.URL), nil))
	loc, _ := url.Parse(w.Header().Get("Location"))
	to, err := e.prov.Authorize(ctx, loc.Query().Get("id"), sess, approved, false, "")
	if err != nil {
		t.Fatal(err)
	}
	w = e.callback(to, w)
	loc, _ = url.Parse(w.Header().Get("Location"))
	res := exchangeAs(e, client, secret, loc.Query().Get("code"), verifier)
	if res.Code != http.StatusOK {
		t.Fatalf("exchange: %d %s", res.Code, res.Body)
	}
	var out map[string]any
	if err := json.Unmarshal(res.Body.Bytes(), &out); err != nil || out["access_token"] == nil {
		t.Fatalf("token answer %s: %v", res.Body, err)
	}
	return out
}

func (e *opEnv) introspect(t *testing.T, token string) map[string]any {
	t.Helper()
	req := httptest.NewRequest("POST", "/oidc/oauth/introspect", strings.NewReader(url.Values{"token": {token}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth("bank", e.secret)
	w := httptest.NewRecorder()
	e.handler.ServeHTTP(w, req)
	var out map[string]any
	if w.Code != http.StatusOK || json.Unmarshal(w.Body.Bytes(), &out) != nil {
		t.Fatalf("introspection: %d %s", w.Code, w.Body)
	}
	return out
}

// revoke revokes an access token of the client "bank".
func (e *opEnv) revoke(t *testing.T, access string) {
	t.Helper()
	req := httptest.NewRequest("POST", "/oidc/revoke", strings.NewReader(url.Values{"token": {access}, "token_type_hint": {"access_token"}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth("bank", e.secret)
	w := httptest.NewRecorder()
	e.handler.ServeHTTP(w, req)
	if w.Code != http.StatusOK {
		t.Fatalf("revoke: %d %s", w.Code, w.Body)
	}
}

// Introspection answers what the token is for (acr and amr included);
// once the token is revoked it answers inactive at once, though the
// token's decryption is remembered; a token altered by one character is
// inactive.
func TestIntrospectionRevokedAtOnce(t *testing.T) {
	dbtest.Engines(t, schemas, func(t *testing.T, d *db.DB) {
		e := newOP(t, d)
		e.Active(e.Lan)
		access := e.accessToken(t)
		got := e.introspect(t, access)
		if got["active"] != true || got["client_id"] != "bank" || got["acr"] != oidc.ACRLevel1 || got["scope"] != "openid profile" || got["sub"] == "" {
			t.Fatalf("introspection = %v", got)
		}
		if amr, _ := json.Marshal(got["amr"]); string(amr) != `["pwd"]` {
			t.Errorf("amr = %s", amr)
		}
		i := len(access) / 2
		tampered := access[:i] + string("AB"[min(1, strings.IndexByte("A", access[i])+1)]) + access[i+1:]
		if got := e.introspect(t, tampered); len(got) != 1 || got["active"] != false {
			t.Errorf("tampered token: %v", got)
		}
		e.revoke(t, access)
		if got := e.introspect(t, access); len(got) != 1 || got["active"] != false {
			t.Errorf("revoked token: %v", got)
		}
	})
}

// TestLiveTokensFollowTheEpoch: an active token is remembered, not read
// again, while no token is revoked (a column changed in the store behind
// the provider's back is not seen); a revocation by another process (an
// UPDATE straight in the store) holds once the epoch is read again, within
// a second; one by this provider at once; a deleted token too. On both
// engines, whose triggers count the epoch up.
func TestLiveTokensFollowTheEpoch(t *testing.T) {
	dbtest.Engines(t, schemas, func(t *testing.T, d *db.DB) {
		e := newOP(t, d)
		e.Active(e.Lan)
		clock := time.Now()
		e.prov.SetClock(func() time.Time { return clock })
		defer e.prov.SetClock(time.Now)
		epoch := func() (n int64) {
			t.Helper()
			if err := d.QueryRow(`SELECT seq FROM oidc_token_epoch WHERE id = 1`).Scan(&n); err != nil {
				t.Fatal(err)
			}
			return n
		}
		access := e.accessToken(t)
		if got := e.introspect(t, access); got["active"] != true || got["scope"] != "openid profile" {
			t.Fatalf("introspection = %v", got)
		}
		// Remembered: a change of scopes in the store is not read.
		if _, err := d.Exec(`UPDATE oidc_tokens SET scopes = 'openid' WHERE kind = 'access'`); err != nil {
			t.Fatal(err)
		}
		if got := e.introspect(t, access); got["scope"] != "openid profile" {
			t.Fatalf("the row was read again while the epoch held: %v", got)
		}
		// Another process revokes: the epoch moves; seen within epochTTL.
		before := epoch()
		if _, err := d.Exec(`UPDATE oidc_tokens SET revoked = 1 WHERE kind = 'access'`); err != nil {
			t.Fatal(err)
		}
		if epoch() == before {
			t.Fatal("revoking a token did not count the epoch up")
		}
		clock = clock.Add(1100 * time.Millisecond)
		if got := e.introspect(t, access); got["active"] != false {
			t.Fatalf("1.1 s after another process revoked it: %v", got)
		}
		// This provider revokes: at once, the clock standing still.
		access = e.accessToken(t)
		if got := e.introspect(t, access); got["active"] != true {
			t.Fatalf("new token: %v", got)
		}
		e.revoke(t, access)
		if got := e.introspect(t, access); got["active"] != false {
			t.Fatalf("revoked by this provider, still active: %v", got)
		}
		// A token deleted from the store is gone once the epoch is read.
		access = e.accessToken(t)
		if got := e.introspect(t, access); got["active"] != true {
			t.Fatalf("new token: %v", got)
		}
		before = epoch()
		if _, err := d.Exec(`DELETE FROM oidc_tokens WHERE kind = 'access' AND revoked = 0`); err != nil {
			t.Fatal(err)
		}
		if epoch() == before {
			t.Fatal("deleting a token did not count the epoch up")
		}
		clock = clock.Add(1100 * time.Millisecond)
		if got := e.introspect(t, access); got["active"] != false {
			t.Fatalf("deleted token: %v", got)
		}
	})
}

// callback follows the provider's callback as the browser that began the
// request does: with the binding cookie the authorization endpoint set on
// began, its answer.
func (e *opEnv) callback(to string, began *httptest.ResponseRecorder) *httptest.ResponseRecorder {
	req := httptest.NewRequest("GET", strings.TrimPrefix(to, e.srv.URL), nil)
	for _, c := range began.Result().Cookies() {
		req.AddCookie(c)
	}
	w := httptest.NewRecorder()
	e.handler.ServeHTTP(w, req)
	return w
}

// A refresh token is introspected too (RFC 7662 §2.1): active for the
// client it was issued to while it is neither spent nor revoked.
func TestIntrospectRefreshToken(t *testing.T) {
	dbtest.Engines(t, schemas, func(t *testing.T, d *db.DB) {
		e := newOP(t, d)
		e.Active(e.Lan)
		toks := e.tokensWith(t, "bank", e.secret, "profile", "offline_access")
		refresh, _ := toks["refresh_token"].(string)
		got := e.introspect(t, refresh)
		if got["active"] != true || got["token_type"] != "refresh_token" || got["client_id"] != "bank" || got["sub"] == "" || !strings.Contains(fmt.Sprint(got["scope"]), "offline_access") {
			t.Fatalf("a refresh token: %v", got)
		}
		// Another client may not revoke it (refused as a bad request, its
		// own credentials being right).
		other, err := e.prov.Clients().Register(context.Background(), oidc.ClientConfig{ID: "other", Name: "Other", AuthMethod: oidc.AuthSecretBasic,
			RedirectURIs: []string{rpRedirect}, Scopes: []string{"openid"}})
		if err != nil {
			t.Fatal(err)
		}
		req := httptest.NewRequest("POST", "/oidc/revoke", strings.NewReader(url.Values{"token": {refresh}}.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.SetBasicAuth("other", other)
		w := httptest.NewRecorder()
		e.handler.ServeHTTP(w, req)
		if w.Code != http.StatusBadRequest || !strings.Contains(w.Body.String(), `"invalid_request"`) {
			t.Errorf("another client's revocation: %d %s", w.Code, w.Body)
		}
		if got := e.introspect(t, refresh); got["active"] != true {
			t.Errorf("revoked by another client: %v", got)
		}
		e.revoke(t, refresh)
		if got := e.introspect(t, refresh); len(got) != 1 || got["active"] != false {
			t.Errorf("a revoked refresh token: %v", got)
		}
	})
}

// Refreshes of one refresh token sent at once: one is answered, the
// others invalid_grant, never a server error (which clients retry).
func TestConcurrentRefresh(t *testing.T) {
	dbtest.Engines(t, schemas, func(t *testing.T, d *db.DB) {
		e := newOP(t, d)
		e.Active(e.Lan)
		for range 4 {
			toks := e.tokensWith(t, "bank", e.secret, "profile", "offline_access")
			form := url.Values{"grant_type": {"refresh_token"}, "refresh_token": {toks["refresh_token"].(string)}}.Encode()
			var wg sync.WaitGroup
			codes := make([]int, 12)
			for i := range codes {
				wg.Go(func() {
					req := httptest.NewRequest("POST", "/oidc/oauth/token", strings.NewReader(form))
					req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
					req.SetBasicAuth("bank", e.secret)
					w := httptest.NewRecorder()
					e.handler.ServeHTTP(w, req)
					codes[i] = w.Code
					if w.Code != http.StatusOK && !strings.Contains(w.Body.String(), `"invalid_grant"`) {
						t.Errorf("a concurrent refresh: %d %s", w.Code, w.Body)
					}
				})
			}
			wg.Wait()
			if ok := slices.Index(codes, http.StatusOK); ok < 0 || slices.Contains(codes[ok+1:], http.StatusOK) {
				t.Errorf("answers %v: want one 200", codes)
			}
		}
	})
}
