package main

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"strings"
	"sync/atomic"
	"testing"
)

// fakeProvider answers the redirect chain of the OpenID provider: authorize,
// the sign-in page (the session is fresh), the consent page until the
// citizen approved once, then the callback to the redirect URI with a code.
// It checks the citizen's cookie, the PKCE challenge and the consent form.
type fakeProvider struct {
	consented atomic.Bool
	codes     atomic.Int64
	challenge map[string]string // code → challenge
	t         *testing.T
}

func (f *fakeProvider) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if c, err := r.Cookie("eid"); err != nil || c.Value != "s3cret" {
		http.Error(w, "no session", http.StatusUnauthorized)
		return
	}
	switch r.URL.Path {
	case "/oidc/authorize":
		q := r.URL.Query()
		if q.Get("code_challenge_method") != "S256" || q.Get("redirect_uri") != rpRedirect || q.Get("client_id") != "rp" {
			http.Error(w, "bad request "+q.Encode(), http.StatusBadRequest)
			return
		}
		http.Redirect(w, r, "/eid/login?id="+url.QueryEscape(q.Get("code_challenge")), http.StatusFound)
	case "/eid/login":
		http.Redirect(w, r, "/eid/consent?id="+url.QueryEscape(r.URL.Query().Get("id")), http.StatusSeeOther)
	case "/eid/consent":
		id := r.URL.Query().Get("id")
		if r.Method == http.MethodPost {
			r.ParseForm()
			if r.PostForm.Get("csrf") != "tok&en" || r.PostForm.Get("decision") != "approve" || strings.Join(r.PostForm["scope"], " ") != "profile" {
				http.Error(w, "bad consent form "+r.PostForm.Encode(), http.StatusBadRequest)
				return
			}
			f.consented.Store(true)
			id = r.PostForm.Get("id")
		} else if !f.consented.Load() {
			fmt.Fprintf(w, `<form method="post" action="/eid/consent"><input type="hidden" name="csrf" value="tok&amp;en">
<input type="hidden" name="id" value="%s"><input type="checkbox" name="scope" value="profile" checked></form>`, id)
			return
		}
		http.Redirect(w, r, "/oidc/authorize/callback?id="+url.QueryEscape(id), http.StatusSeeOther)
	case "/oidc/authorize/callback":
		code := fmt.Sprintf("code-%d", f.codes.Add(1))
		f.challenge[code] = r.URL.Query().Get("id")
		http.Redirect(w, r, rpRedirect+"?code="+code+"&state=x", http.StatusFound)
	default:
		http.NotFound(w, r)
	}
}

func TestMintCodeFollowsTheChainAndConsentsOnce(t *testing.T) {
	f := &fakeProvider{challenge: map[string]string{}, t: t}
	srv := httptest.NewServer(f)
	defer srv.Close()
	ctx := context.Background()
	c := relyingParty{ID: "rp", Secret: "x", Alg: "RS256"}

	if _, err := mintCode(ctx, srv.URL, "eid=s3cret", c, false); err == nil || !strings.Contains(err.Error(), "consent") {
		t.Fatalf("without consent allowed: %v, want a refusal naming consent", err)
	}
	for i, consent := range []bool{true, false, false} {
		g, err := mintCode(ctx, srv.URL, "eid=s3cret", c, consent)
		if err != nil {
			t.Fatalf("mint %d: %v", i, err)
		}
		sum := sha256.Sum256([]byte(g.Verifier))
		if g.Code == "" || f.challenge[g.Code] != base64.RawURLEncoding.EncodeToString(sum[:]) {
			t.Errorf("mint %d: code %q, its challenge %q does not match the verifier", i, g.Code, f.challenge[g.Code])
		}
	}
	if _, err := mintCode(ctx, srv.URL, "eid=wrong", c, false); err == nil {
		t.Error("a wrong cookie minted a code")
	}
	grants, err := mintCodes(ctx, srv.URL, "eid=s3cret", c, 0)
	if err != nil || len(grants) != 0 {
		t.Errorf("no codes: %v, %d", err, len(grants))
	}
}

// Each line of a body file is the prefix and the form-escaped value.
func TestWriteLinesEscapes(t *testing.T) {
	path, err := writeLines(t.TempDir()+"/b.txt", []string{"a+b/c=", "d"}, "token=")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := readFile(path)
	if want := "token=a%2Bb%2Fc%3D\ntoken=d\n"; b != want {
		t.Errorf("got %q, want %q", b, want)
	}
}

func readFile(path string) (string, error) {
	b, err := os.ReadFile(path)
	return string(b), err
}
