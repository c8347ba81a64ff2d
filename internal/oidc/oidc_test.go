package oidc_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"maps"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	gooidc "github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"

	"github.com/populus-vn/populus/internal/db"
	"github.com/populus-vn/populus/internal/db/dbtest"
	"github.com/populus-vn/populus/internal/httpx"
	"github.com/populus-vn/populus/internal/i18n"
	"github.com/populus-vn/populus/internal/identity/identitytest"
	"github.com/populus-vn/populus/internal/identity/identityui"
	"github.com/populus-vn/populus/internal/oidc"
	"github.com/populus-vn/populus/internal/oidc/oidcui"
	"github.com/populus-vn/populus/internal/people"
	"github.com/populus-vn/populus/internal/register/registerui"
	"github.com/populus-vn/populus/internal/server"
	"github.com/populus-vn/populus/internal/staff"
	"github.com/populus-vn/populus/internal/units"
	"github.com/populus-vn/populus/internal/web"
)

// rpRedirect is the relying party's redirect URI; nothing listens there:
// the browser stops at the redirect and the test reads it.
const rpRedirect = "http://127.0.0.1:9/callback"

// opEnv is the whole platform's HTTP server with the provider, over one store.
type opEnv struct {
	*identitytest.Env
	t       testing.TB
	handler http.Handler
	prov    *oidc.Provider
	srv     *httptest.Server
	issuer  string
	secret  string // of the client "bank"
	staff   *staff.Store
}

func newOP(t *testing.T, d *db.DB) *opEnv { return newOPFor(t, d) }

func newOPFor(t testing.TB, d *db.DB) *opEnv {
	t.Helper()
	e := &opEnv{Env: identitytest.New(t, d), t: t}
	var h http.Handler
	e.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { h.ServeHTTP(w, r) }))
	t.Cleanup(e.srv.Close)
	e.issuer = e.srv.URL + oidc.Prefix
	master, _ := oidc.NewMasterKey()
	prov, err := oidc.New(d, e.Svc, e.Reg, units.Default(), e.Log, oidc.Options{Issuer: e.issuer, Master: master, Guard: e.Guard})
	if err != nil {
		t.Fatal(err)
	}
	e.prov = prov
	e.secret, err = prov.Clients().Register(e.Ctx, oidc.ClientConfig{ID: "bank", Name: "Ngân hàng Demo", AuthMethod: oidc.AuthSecretBasic,
		RedirectURIs: []string{rpRedirect}, Scopes: []string{"openid", "profile", "birthdate", "phone", "offline_access"}, Essential: []string{"profile"}})
	if err != nil {
		t.Fatal(err)
	}
	e.staff = staff.NewStore(d, staff.TestParams)
	sessions := staff.NewService(e.staff, e.Log, staff.Options{})
	ui, err := web.New(web.Deps{Staff: sessions, Catalog: i18n.MustLoad(), Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
		Modules: []web.Module{registerui.Module(e.Reg), oidcui.Module(prov, e.Svc, e.Reg, e.Log), identityui.Module(e.Svc, e.Out)}})
	if err != nil {
		t.Fatal(err)
	}
	guards := sessions.Guards()
	maps.Copy(guards, e.Svc.Guards())
	maps.Copy(guards, prov.Guards())
	h, err = server.New(server.Deps{DB: d, Capabilities: []httpx.Routes{sessions, e.Svc, prov, ui}, Guards: guards, PageError: ui.RenderError, Localize: ui.LocalizeProblem})
	if err != nil {
		t.Fatal(err)
	}
	prov.SetErrorPage(ui.RenderError)
	e.handler = h
	return e
}

// browser is a citizen's browser: it keeps cookies and stops at the
// relying party's redirect.
func (e *opEnv) browser() *http.Client {
	jar, _ := cookiejar.New(nil)
	return &http.Client{Jar: jar, CheckRedirect: func(req *http.Request, _ []*http.Request) error {
		if strings.HasPrefix(req.URL.String(), "http://127.0.0.1:9/") {
			return http.ErrUseLastResponse
		}
		return nil
	}}
}

func (e *opEnv) config(scopes ...string) *oauth2.Config {
	return &oauth2.Config{ClientID: "bank", ClientSecret: e.secret, RedirectURL: rpRedirect,
		Endpoint: oauth2.Endpoint{AuthURL: e.issuer + "/authorize", TokenURL: e.issuer + "/oauth/token", AuthStyle: oauth2.AuthStyleInHeader},
		Scopes:   scopes}
}

// signIn follows an authorization URL in b as p would: the sign-in form
// (unless b is signed in), the consent screen (approving the scopes given;
// nil: decline) unless remembered; it returns the final redirect to the
// relying party and the last page seen.
func (e *opEnv) signIn(b *http.Client, authURL string, p people.Person, approve []string) (*url.URL, string) {
	e.t.Helper()
	res, err := b.Get(authURL)
	if err != nil {
		e.t.Fatal(err)
	}
	posted := map[string]bool{}
	for range 4 {
		body, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if res.StatusCode == http.StatusFound || res.StatusCode == http.StatusSeeOther {
			loc, _ := res.Location()
			return loc, string(body)
		}
		page := string(body)
		id := between(page, `name="id" value="`, `"`)
		switch {
		case posted["login"] && strings.Contains(page, `action="/eid/login"`):
			return nil, page // the sign-in was refused
		case strings.Contains(page, `action="/eid/login"`):
			posted["login"] = true
			res, err = b.PostForm(e.srv.URL+"/eid/login", url.Values{"id": {id}, "pin": {p.PIN}, "password": {identitytest.Password}})
		case strings.Contains(page, `action="/eid/consent"`):
			v := url.Values{"id": {id}, "decision": {"decline"}}
			if approve != nil {
				v["decision"], v["scope"] = []string{"approve"}, approve
			}
			res, err = b.PostForm(e.srv.URL+"/eid/consent", v)
		default:
			return nil, page
		}
		if err != nil {
			e.t.Fatal(err)
		}
	}
	e.t.Fatal("no redirect to the relying party")
	return nil, ""
}

func between(s, from, to string) string {
	_, after, _ := strings.Cut(s, from)
	v, _, _ := strings.Cut(after, to)
	return v
}

// The code flow with PKCE driven by golang.org/x/oauth2 and go-oidc as a
// relying party would: discovery, the sign-in and consent pages, the code
// with state and iss (RFC 9207), the exchange, the ID token verified
// against the JWKS with its pairwise subject and acr (the name at
// userinfo); the second
// sign-in does not ask for consent again; userinfo gives the consented
// claims.
func TestCodeFlowWithStandardClients(t *testing.T) {
	dbtest.Engines(t, schemas, func(t *testing.T, d *db.DB) {
		e := newOP(t, d)
		e.Active(e.Lan)
		ctx := context.Background()
		provider, err := gooidc.NewProvider(ctx, e.issuer)
		if err != nil {
			t.Fatal(err)
		}
		var disc map[string]any
		if err := provider.Claims(&disc); err != nil {
			t.Fatal(err)
		}
		if acr, _ := json.Marshal(disc["acr_values_supported"]); string(acr) != `["urn:populus:eid:level1","urn:populus:eid:level1:mfa","urn:populus:eid:level2","urn:populus:eid:level2:mfa"]` ||
			disc["authorization_response_iss_parameter_supported"] != true || disc["pushed_authorization_request_endpoint"] != e.issuer+"/par" {
			t.Errorf("discovery: %v", disc)
		}
		if st, _ := json.Marshal(disc["subject_types_supported"]); string(st) != `["pairwise"]` {
			t.Errorf("subject types: %s", st)
		}
		// What is offered, and only that: the code in the query, clients
		// authenticated at every endpoint.
		for k, want := range map[string]string{"response_modes_supported": `["query"]`,
			"revocation_endpoint_auth_methods_supported":    `["client_secret_basic","private_key_jwt"]`,
			"introspection_endpoint_auth_methods_supported": `["client_secret_basic","private_key_jwt"]`} {
			if got, _ := json.Marshal(disc[k]); string(got) != want {
				t.Errorf("%s: %s, want %s", k, got, want)
			}
		}
		conf := e.config(gooidc.ScopeOpenID, "profile", "birthdate")
		conf.Endpoint = provider.Endpoint()
		conf.Endpoint.AuthStyle = oauth2.AuthStyleInHeader
		verifier := oauth2.GenerateVerifier()
		b := e.browser()
		loc, page := e.signIn(b, conf.AuthCodeURL("state-1", oauth2.S256ChallengeOption(verifier)), e.Lan, []string{"profile", "birthdate"})
		if loc == nil {
			t.Fatalf("no redirect; page: %.500s", page)
		}
		q := loc.Query()
		if q.Get("state") != "state-1" || q.Get("iss") != e.issuer || q.Get("code") == "" {
			t.Fatalf("redirect = %s", loc)
		}
		tok, err := conf.Exchange(ctx, q.Get("code"), oauth2.VerifierOption(verifier))
		if err != nil {
			t.Fatal(err)
		}
		raw, _ := tok.Extra("id_token").(string)
		idt, err := provider.Verifier(&gooidc.Config{ClientID: "bank"}).Verify(ctx, raw)
		if err != nil {
			t.Fatal(err)
		}
		var claims struct {
			Name      string `json:"name"`
			Birthdate string `json:"birthdate"`
			ACR       string `json:"acr"`
			PIN       string `json:"vn_pin"`
			AuthTime  int64  `json:"auth_time"`
		}
		idt.Claims(&claims)
		// The ID token says who signed in and how; the person's claims
		// are at userinfo (OpenID Connect Core §5.4: an access token is
		// issued), not in a token that travels in logout URLs.
		if claims.Name != "" || claims.Birthdate != "" || claims.ACR != oidc.ACRLevel1 || claims.PIN != "" {
			t.Errorf("claims = %+v", claims)
		}
		if idt.Subject == "" || strings.Contains(idt.Subject, e.Lan.PIN) {
			t.Errorf("subject %q", idt.Subject)
		}
		ui, err := provider.UserInfo(ctx, oauth2.StaticTokenSource(tok))
		if err != nil || ui.Subject != idt.Subject {
			t.Fatalf("userinfo: %+v %v", ui, err)
		}
		var uc map[string]any
		ui.Claims(&uc)
		if uc["name"] != "Nguyễn Thị Lan" || uc["birthdate"] != "1990-05-17" || uc["phone_number"] != nil {
			t.Errorf("userinfo claims %v", uc)
		}
		// Again, in the same browser: no sign-in form, no consent screen.
		verifier = oauth2.GenerateVerifier()
		loc, page = e.signIn(b, conf.AuthCodeURL("state-2", oauth2.S256ChallengeOption(verifier)), e.Lan, nil)
		if loc == nil || loc.Query().Get("code") == "" {
			t.Fatalf("second sign-in: %v %.300s", loc, page)
		}
		tok2, err := conf.Exchange(ctx, loc.Query().Get("code"), oauth2.VerifierOption(verifier))
		if err != nil {
			t.Fatal(err)
		}
		idt2, err := provider.Verifier(&gooidc.Config{ClientID: "bank"}).Verify(ctx, tok2.Extra("id_token").(string))
		if err != nil || idt2.Subject != idt.Subject {
			t.Fatalf("second subject %v %v", idt2, err)
		}
		// auth_time is the session's sign-in (on the identity's clock, set
		// by the test), not the time of either request.
		var second struct {
			AuthTime int64 `json:"auth_time"`
		}
		idt2.Claims(&second)
		if claims.AuthTime != e.Now.Unix() || second.AuthTime != claims.AuthTime {
			t.Errorf("auth_time %d then %d, want the sign-in's %d", claims.AuthTime, second.AuthTime, e.Now.Unix())
		}
		if n := e.Count("SELECT count(*) FROM oidc_consents"); n != 1 {
			t.Errorf("%d consents kept", n)
		}
		// The claims given at userinfo name the fields they disclosed, for
		// the person's list of who used their data; the ID tokens, which
		// disclose none, leave no such entry.
		if n := e.Count("SELECT count(*) FROM audit_log WHERE actor = 'client:bank' AND action = $1 AND subject = $2 AND fields = 'full_name,sex,birth_date'", oidc.ActionClaims, e.Lan.PIN); n != 1 {
			t.Errorf("claims given audited with their fields %d times, want once (userinfo)", n)
		}
	})
}
