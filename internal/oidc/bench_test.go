package oidc_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"golang.org/x/oauth2"

	"github.com/populus-vn/populus/internal/db/dbtest"
	"github.com/populus-vn/populus/internal/identity"
	"github.com/populus-vn/populus/internal/oidc"
)

// BenchmarkTokenEndpoint measures the code exchange (client_secret_basic,
// PKCE verified, tokens stored, the ID token signed with RS256 and its
// claims read from the register) and the introspection of an access
// token, through the whole server's handler in process, against a bare
// net/http handler answering a fixed JSON body in the same run. Codes are
// made before the timer starts. Run with a fixed count, e.g.
// go test ./internal/oidc -run XXX -bench TokenEndpoint -benchtime 2000x
//
// Besides the wall time, each reports cpu-ns/op: the process's CPU time
// (user and system, getrusage) over the timed loop divided by b.N, which
// a machine shared with other work disturbs far less than the wall time.
func BenchmarkTokenEndpoint(b *testing.B) {
	d := dbtest.SQLite(b, schemas...)
	e := newOPFor(b, d)
	e.Active(e.Lan)
	ctx := context.Background()
	sess, _, err := e.Svc.Login(ctx, identity.Attempt{PIN: e.Lan.PIN, Password: "correct horse battery", Remote: "192.0.2.1"})
	if err != nil {
		b.Fatal(err)
	}
	esSecret, err := e.prov.Clients().Register(ctx, oidc.ClientConfig{ID: "bank-es", Name: "ES256", AuthMethod: oidc.AuthSecretBasic,
		RedirectURIs: []string{rpRedirect}, Scopes: []string{"openid", "profile"}, IDTokenAlg: "ES256"})
	if err != nil {
		b.Fatal(err)
	}
	verifier := oauth2.GenerateVerifier()
	conf := e.config("openid", "profile")
	code := func(client string) string {
		c := *conf
		c.ClientID = client
		w := httptest.NewRecorder()
		e.handler.ServeHTTP(w, httptest.NewRequest("GET", strings.TrimPrefix(c.AuthCodeURL("s", oauth2.S256ChallengeOption(verifier)), e.srv.URL), nil))
		loc, _ := url.Parse(w.Header().Get("Location"))
		to, err := e.prov.Authorize(ctx, loc.Query().Get("id"), sess, []string{"profile"}, false, "")
		if err != nil {
			b.Fatal(err)
		}
		w = e.callback(to, w)
		loc, _ = url.Parse(w.Header().Get("Location"))
		return loc.Query().Get("code")
	}
	b.Run("bare", func(b *testing.B) {
		body := []byte(`{"access_token":"` + strings.Repeat("x", 300) + `","token_type":"Bearer","expires_in":599,"id_token":"` + strings.Repeat("y", 800) + `"}`)
		h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			r.ParseForm()
			w.Header().Set("Content-Type", "application/json")
			w.Write(body)
		})
		defer cpuPerOp(b)()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				req := httptest.NewRequest("POST", "/oidc/oauth/token", strings.NewReader("grant_type=authorization_code&code=x"))
				req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
				h.ServeHTTP(httptest.NewRecorder(), req)
			}
		})
	})
	for _, c := range []struct{ name, client, secret string }{{"code-exchange-rs256", "bank", e.secret}, {"code-exchange-es256", "bank-es", esSecret}} {
		b.Run(c.name, func(b *testing.B) {
			codes := make([]string, b.N)
			for i := range codes {
				codes[i] = code(c.client)
			}
			var next atomic.Int64
			b.ResetTimer()
			defer cpuPerOp(b)()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					if w := exchangeAs(e, c.client, c.secret, codes[next.Add(1)-1], verifier); w.Code != http.StatusOK {
						b.Fatalf("exchange: %d %s", w.Code, w.Body)
					}
				}
			})
		})
	}
	kycSecret, err := e.prov.Clients().Register(ctx, oidc.ClientConfig{ID: "kyc", Name: "KYC", AuthMethod: oidc.AuthSecretBasic,
		RedirectURIs: []string{rpRedirect}, Scopes: []string{"openid"}, Verify: true})
	if err != nil {
		b.Fatal(err)
	}
	e.prov.SetVerifyLimits(oidc.VerifyLimits{PerPersonPerDay: -1, PerMinute: -1}) // the load is the point
	b.Run("verification", func(b *testing.B) {
		body := `{"pin":"` + e.Lan.PIN + `","purpose":"benchmark","full_name":"Nguyễn Thị Lan","birth_date":"1990-05-17"}`
		b.ResetTimer()
		defer cpuPerOp(b)()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				req := httptest.NewRequest("POST", "/api/v1/verify", strings.NewReader(body))
				req.Header.Set("Content-Type", "application/json")
				req.SetBasicAuth("kyc", kycSecret)
				w := httptest.NewRecorder()
				e.handler.ServeHTTP(w, req)
				if w.Code != http.StatusOK || !strings.Contains(w.Body.String(), `"match":true`) {
					b.Fatalf("verification: %d %s", w.Code, w.Body)
				}
			}
		})
	})
	b.Run("introspection", func(b *testing.B) {
		w := exchangeAs(e, "bank", e.secret, code("bank"), verifier)
		access := between(w.Body.String(), `"access_token":"`, `"`)
		form := url.Values{"token": {access}}.Encode()
		b.ResetTimer()
		defer cpuPerOp(b)()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				req := httptest.NewRequest("POST", "/oidc/oauth/introspect", strings.NewReader(form))
				req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
				req.SetBasicAuth("bank", e.secret)
				w := httptest.NewRecorder()
				e.handler.ServeHTTP(w, req)
				if w.Code != http.StatusOK || !strings.Contains(w.Body.String(), `"active":true`) {
					b.Fatalf("introspection: %d %s", w.Code, w.Body)
				}
			}
		})
	})
}

// exchangeAs exchanges code at the token endpoint as client.
func exchangeAs(e *opEnv, client, secret, code, verifier string) *httptest.ResponseRecorder {
	req := httptest.NewRequest("POST", "/oidc/oauth/token", strings.NewReader(url.Values{"grant_type": {"authorization_code"}, "code": {code},
		"redirect_uri": {rpRedirect}, "code_verifier": {verifier}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth(client, secret)
	w := httptest.NewRecorder()
	e.handler.ServeHTTP(w, req)
	return w
}

// cpuPerOp starts counting the process's CPU time; the function it
// returns reports it per operation as cpu-ns/op.
func cpuPerOp(b *testing.B) func() {
	start := cpuTime()
	return func() { b.ReportMetric(float64(cpuTime()-start)/float64(b.N), "cpu-ns/op") }
}

func cpuTime() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
