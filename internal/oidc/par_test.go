package oidc_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	gooidc "github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"

	"github.com/populus-vn/populus/internal/db"
	"github.com/populus-vn/populus/internal/db/dbtest"
	"github.com/populus-vn/populus/internal/oidc"
)

// push sends a pushed authorization request of "strict" (client_secret_basic).
func (e *opEnv) push(t *testing.T, secret string, params url.Values) (int, map[string]any) {
	t.Helper()
	req, _ := http.NewRequest("POST", e.issuer+"/par", strings.NewReader(params.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth("strict", secret)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var out map[string]any
	json.NewDecoder(res.Body).Decode(&out)
	return res.StatusCode, out
}

// A client that must use PAR pushes its request, then sends the browser
// with the request_uri alone; the request_uri is used once, and refused to
// another client and with wrong credentials.
func TestPushedAuthorizationRequest(t *testing.T) {
	dbtest.Engines(t, schemas, func(t *testing.T, d *db.DB) {
		e := newOP(t, d)
		e.Active(e.Lan)
		ctx := context.Background()
		secret, err := e.prov.Clients().Register(ctx, oidc.ClientConfig{ID: "strict", Name: "Strict", AuthMethod: oidc.AuthSecretBasic,
			RedirectURIs: []string{rpRedirect}, Scopes: []string{"openid", "profile"}, PARRequired: true})
		if err != nil {
			t.Fatal(err)
		}
		verifier := oauth2.GenerateVerifier()
		params := url.Values{"response_type": {"code"}, "client_id": {"strict"}, "redirect_uri": {rpRedirect}, "scope": {"openid profile"},
			"state": {"st"}, "code_challenge": {oauth2.S256ChallengeFromVerifier(verifier)}, "code_challenge_method": {"S256"}}
		if code, out := e.push(t, "wrong", params); code != http.StatusUnauthorized || out["error"] != "invalid_client" {
			t.Errorf("wrong secret: %d %v", code, out)
		}
		// What the authorization endpoint would refuse is refused when
		// pushed (RFC 9126 §2.1).
		for k, v := range map[string]string{"response_mode": "form_post", "scope": "openid phone", "code_challenge": "short"} {
			bad := url.Values{}
			for pk, pv := range params {
				bad[pk] = pv
			}
			bad.Set(k, v)
			if code, out := e.push(t, secret, bad); code != http.StatusBadRequest || out["error"] == nil {
				t.Errorf("pushed with %s=%s: %d %v", k, v, code, out)
			}
		}
		code, out := e.push(t, secret, params)
		uri, _ := out["request_uri"].(string)
		if code != http.StatusCreated || !strings.HasPrefix(uri, "urn:ietf:params:oauth:request_uri:") || out["expires_in"] != float64(60) {
			t.Fatalf("push: %d %v", code, out)
		}
		authURL := e.issuer + "/authorize?" + url.Values{"client_id": {"strict"}, "request_uri": {uri}}.Encode()
		loc, page := e.signIn(e.browser(), authURL, e.Lan, []string{"profile"})
		if loc == nil || loc.Query().Get("code") == "" || loc.Query().Get("state") != "st" || loc.Query().Get("iss") != e.issuer {
			t.Fatalf("pushed sign-in: %v %.300s", loc, page)
		}
		c := &oauth2.Config{ClientID: "strict", ClientSecret: secret, RedirectURL: rpRedirect,
			Endpoint: oauth2.Endpoint{TokenURL: e.issuer + "/oauth/token", AuthStyle: oauth2.AuthStyleInHeader}}
		if _, err := c.Exchange(ctx, loc.Query().Get("code"), oauth2.VerifierOption(verifier)); err != nil {
			t.Fatal(err)
		}
		// Used once: the citizen is told on a page (no redirect_uri to
		// trust).
		res, err := e.browser().Get(authURL)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if res.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(string(b), "đã hết hạn hoặc đã được dùng") || res.Request.URL.Path != "/oidc/authorize" {
			t.Errorf("second use: %d at %s %.300s", res.StatusCode, res.Request.URL, b)
		}
		// Another client's request_uri.
		_, out = e.push(t, secret, params)
		other := e.issuer + "/authorize?" + url.Values{"client_id": {"bank"}, "request_uri": {out["request_uri"].(string)}}.Encode()
		if res, _ := e.browser().Get(other); res.StatusCode != http.StatusUnprocessableEntity || res.Request.URL.Path != "/oidc/authorize" {
			t.Errorf("another client's request_uri: %d at %s", res.StatusCode, res.Request.URL)
		}
	})
}

// A client registered for ES256 gets ID tokens signed with the provider's
// P-256 key, which go-oidc verifies from the published key set; RS256
// clients keep RS256.
func TestES256Client(t *testing.T) {
	dbtest.Engines(t, schemas, func(t *testing.T, d *db.DB) {
		e := newOP(t, d)
		e.Active(e.Lan)
		ctx := context.Background()
		secret, err := e.prov.Clients().Register(ctx, oidc.ClientConfig{ID: "bank-es", Name: "ES", AuthMethod: oidc.AuthSecretBasic,
			RedirectURIs: []string{rpRedirect}, Scopes: []string{"openid", "profile"}, IDTokenAlg: "ES256"})
		if err != nil {
			t.Fatal(err)
		}
		provider, err := gooidc.NewProvider(ctx, e.issuer)
		if err != nil {
			t.Fatal(err)
		}
		conf := &oauth2.Config{ClientID: "bank-es", ClientSecret: secret, RedirectURL: rpRedirect, Endpoint: provider.Endpoint(), Scopes: []string{"openid", "profile"}}
		conf.Endpoint.AuthStyle = oauth2.AuthStyleInHeader
		v := oauth2.GenerateVerifier()
		loc, page := e.signIn(e.browser(), conf.AuthCodeURL("st", oauth2.S256ChallengeOption(v)), e.Lan, []string{"profile"})
		if loc == nil {
			t.Fatalf("no redirect: %.300s", page)
		}
		tok, err := conf.Exchange(ctx, loc.Query().Get("code"), oauth2.VerifierOption(v))
		if err != nil {
			t.Fatal(err)
		}
		raw := tok.Extra("id_token").(string)
		if _, err := provider.Verifier(&gooidc.Config{ClientID: "bank-es", SupportedSigningAlgs: []string{"ES256"}}).Verify(ctx, raw); err != nil {
			t.Fatalf("ES256 ID token: %v", err)
		}
		if _, err := provider.Verifier(&gooidc.Config{ClientID: "bank-es", SupportedSigningAlgs: []string{"RS256"}}).Verify(ctx, raw); err == nil {
			t.Error("the ES256 client's ID token verifies as RS256")
		}
	})
}

// Purge deletes the expired requests and tokens, and keeps the live ones.
func TestPurge(t *testing.T) {
	d := dbtest.SQLite(t, schemas...)
	e := newOP(t, d)
	e.Active(e.Lan)
	ctx := context.Background()
	v := oauth2.GenerateVerifier()
	loc, _ := e.signIn(e.browser(), e.authURL(v, []string{"openid", "offline_access"}), e.Lan, []string{})
	if _, err := e.config("openid", "offline_access").Exchange(ctx, loc.Query().Get("code"), oauth2.VerifierOption(v)); err != nil {
		t.Fatal(err)
	}
	count := func() int {
		return e.Count("SELECT (SELECT count(*) FROM oidc_tokens) + (SELECT count(*) FROM oidc_auth_requests)")
	}
	if err := e.prov.Purge(ctx); err != nil || count() != 3 {
		t.Fatalf("live rows purged: %d %v", count(), err)
	}
	e.prov.SetClock(func() time.Time { return time.Now().Add(31 * 24 * time.Hour) })
	if err := e.prov.Purge(ctx); err != nil || count() != 0 {
		t.Errorf("expired rows left: %d %v", count(), err)
	}
}
