// Package demobank is "Ngân hàng Demo", the relying party of `populus
// demo`: a bank's site that signs its customers in through Populus's
// OpenID provider with the standard clients a bank would use
// (golang.org/x/oauth2 and github.com/coreos/go-oidc/v3), the code flow
// with PKCE, and shows the verified name and the level of the account.
// It talks to the provider over HTTP, as a separate site would.
package demobank

import (
	"context"
	"crypto/rand"
	"embed"
	"encoding/base64"
	"html/template"
	"net/http"
	"sync"
	"time"

	gooidc "github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"

	"github.com/populus-vn/populus/internal/httpx"
	"github.com/populus-vn/populus/internal/i18n"
)

// ClientID is the bank's client id at the provider.
const ClientID = "demo-bank"

// Prefix is where the bank is served.
const Prefix = "/demo-bank"

// Scopes the bank asks for; profile is essential to it.
var Scopes = []string{gooidc.ScopeOpenID, "profile", "birthdate"}

//go:embed templates/*.html
var files embed.FS

var pages = template.Must(template.ParseFS(files, "templates/*.html"))

// Bank is the demo relying party.
type Bank struct {
	issuer, secret, siteURL string
	langs                   *i18n.Catalog // the page's language, as the platform's pages choose theirs

	once     sync.Once
	provider *gooidc.Provider
	initErr  error

	mu       sync.Mutex
	pending  map[string]pending  // by state
	sessions map[string]Customer // by cookie
}

type pending struct {
	verifier, nonce string
	at              time.Time
}

// Customer is who signed in at the bank, as the ID token says.
type Customer struct {
	Name    string
	Level   string
	Subject string
}

// New returns the bank at siteURL (the platform's URL), a client of the
// provider issuer with secret.
func New(siteURL, issuer, secret string) *Bank {
	return &Bank{issuer: issuer, secret: secret, siteURL: siteURL, langs: i18n.MustLoad(), pending: map[string]pending{}, sessions: map[string]Customer{}}
}

// RedirectURI is the bank's callback, to register it with.
func RedirectURI(siteURL string) string { return siteURL + Prefix + "/callback" }

// Routes serves the bank's pages: a site of its own, public.
func (b *Bank) Routes() []httpx.Route {
	return []httpx.Route{
		{Pattern: "GET " + Prefix + "/{$}", Handler: http.HandlerFunc(b.home), Access: httpx.AccessPublic},
		{Pattern: "GET " + Prefix + "/login", Handler: http.HandlerFunc(b.login), Access: httpx.AccessPublic},
		{Pattern: "GET " + Prefix + "/callback", Handler: http.HandlerFunc(b.callback), Access: httpx.AccessPublic},
		{Pattern: "POST " + Prefix + "/logout", Handler: http.HandlerFunc(b.logout), Access: httpx.AccessPublic},
	}
}

// logout ends the bank's session (not the provider's: the next sign-in
// there may not ask again).
func (b *Bank) logout(w http.ResponseWriter, r *http.Request) {
	if c, err := r.Cookie(cookieName); err == nil {
		b.mu.Lock()
		delete(b.sessions, c.Value)
		b.mu.Unlock()
	}
	http.SetCookie(w, &http.Cookie{Name: cookieName, Value: "", Path: Prefix, MaxAge: -1, HttpOnly: true, SameSite: http.SameSiteLaxMode})
	http.Redirect(w, r, Prefix+"/", http.StatusSeeOther)
}

func (b *Bank) config(ctx context.Context) (*oauth2.Config, error) {
	b.once.Do(func() { b.provider, b.initErr = gooidc.NewProvider(ctx, b.issuer) })
	if b.initErr != nil {
		return nil, b.initErr
	}
	ep := b.provider.Endpoint()
	ep.AuthStyle = oauth2.AuthStyleInHeader
	return &oauth2.Config{ClientID: ClientID, ClientSecret: b.secret, RedirectURL: RedirectURI(b.siteURL), Endpoint: ep, Scopes: Scopes}, nil
}

func random() string {
	x := make([]byte, 24)
	rand.Read(x)
	return base64.RawURLEncoding.EncodeToString(x)
}

const cookieName = "demo_bank"

// stateCookie holds the state of the sign-in the browser started: the
// callback takes a code only in that browser (an attacker's code, sent to a
// victim, does not sign the victim in as the attacker).
const stateCookie = "demo_bank_state"

type view struct {
	Lang     string // i18n.Vietnamese or i18n.English
	Customer *Customer
	Error    string
}

func (b *Bank) home(w http.ResponseWriter, r *http.Request) {
	v := view{Lang: b.langs.Negotiate(r)}
	if c, err := r.Cookie(cookieName); err == nil {
		b.mu.Lock()
		if cu, ok := b.sessions[c.Value]; ok {
			v.Customer = &cu
		}
		b.mu.Unlock()
	}
	v.Error = r.URL.Query().Get("error")
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	pages.ExecuteTemplate(w, "home.html", v)
}

func (b *Bank) login(w http.ResponseWriter, r *http.Request) {
	conf, err := b.config(r.Context())
	if err != nil {
		http.Error(w, "the identity provider cannot be reached: "+err.Error(), http.StatusBadGateway)
		return
	}
	state, p := random(), pending{verifier: oauth2.GenerateVerifier(), nonce: random(), at: time.Now()}
	b.mu.Lock()
	if len(b.pending) > 10000 {
		b.pending = map[string]pending{} // bounded: a demo
	}
	b.pending[state] = p
	b.mu.Unlock()
	http.SetCookie(w, &http.Cookie{Name: stateCookie, Value: state, Path: Prefix, MaxAge: 600, HttpOnly: true, SameSite: http.SameSiteLaxMode, Secure: r.TLS != nil})
	http.Redirect(w, r, conf.AuthCodeURL(state, oauth2.S256ChallengeOption(p.verifier), gooidc.Nonce(p.nonce)), http.StatusFound)
}

func (b *Bank) callback(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	if e := q.Get("error"); e != "" {
		http.Redirect(w, r, Prefix+"/?error="+template.URLQueryEscaper(e+": "+q.Get("error_description")), http.StatusSeeOther)
		return
	}
	if c, err := r.Cookie(stateCookie); err != nil || c.Value != q.Get("state") {
		http.Error(w, "this sign-in was not started in this browser: start again at "+Prefix+"/", http.StatusBadRequest)
		return
	}
	http.SetCookie(w, &http.Cookie{Name: stateCookie, Path: Prefix, MaxAge: -1, HttpOnly: true, SameSite: http.SameSiteLaxMode, Secure: r.TLS != nil})
	b.mu.Lock()
	p, ok := b.pending[q.Get("state")]
	delete(b.pending, q.Get("state"))
	b.mu.Unlock()
	if !ok || time.Since(p.at) > 10*time.Minute || q.Get("iss") != b.issuer {
		http.Error(w, "unknown or expired sign-in, or from another issuer", http.StatusBadRequest)
		return
	}
	conf, err := b.config(r.Context())
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadGateway)
		return
	}
	tok, err := conf.Exchange(r.Context(), q.Get("code"), oauth2.VerifierOption(p.verifier))
	if err != nil {
		http.Error(w, "code exchange: "+err.Error(), http.StatusBadGateway)
		return
	}
	raw, _ := tok.Extra("id_token").(string)
	idt, err := b.provider.Verifier(&gooidc.Config{ClientID: ClientID}).Verify(r.Context(), raw)
	if err != nil || idt.Nonce != p.nonce {
		http.Error(w, "the ID token does not verify", http.StatusBadGateway)
		return
	}
	// The ID token says how the customer signed in; their name is at
	// userinfo, with the access token.
	var claims struct {
		ACR string `json:"acr"`
	}
	idt.Claims(&claims)
	var person struct {
		Name string `json:"name"`
	}
	ui, err := b.provider.UserInfo(r.Context(), oauth2.StaticTokenSource(tok))
	if err != nil || ui.Subject != idt.Subject || ui.Claims(&person) != nil {
		http.Error(w, "userinfo: the customer's claims could not be read", http.StatusBadGateway)
		return
	}
	level := map[string]string{"urn:populus:eid:level1": "1", "urn:populus:eid:level1:mfa": "1", "urn:populus:eid:level2": "2", "urn:populus:eid:level2:mfa": "2"}[claims.ACR]
	sid := random()
	b.mu.Lock()
	if len(b.sessions) > 10000 {
		b.sessions = map[string]Customer{}
	}
	b.sessions[sid] = Customer{Name: person.Name, Level: level, Subject: idt.Subject}
	b.mu.Unlock()
	http.SetCookie(w, &http.Cookie{Name: cookieName, Value: sid, Path: Prefix, HttpOnly: true, SameSite: http.SameSiteLaxMode, Secure: r.TLS != nil})
	http.Redirect(w, r, Prefix+"/", http.StatusSeeOther)
}
