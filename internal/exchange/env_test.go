package exchange_test

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"io"
	"maps"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"

	"github.com/populus-vn/populus/internal/audit"
	"github.com/populus-vn/populus/internal/auth"
	"github.com/populus-vn/populus/internal/db"
	"github.com/populus-vn/populus/internal/egress"
	"github.com/populus-vn/populus/internal/exchange"
	"github.com/populus-vn/populus/internal/httpx"
	"github.com/populus-vn/populus/internal/identity/identitytest"
	"github.com/populus-vn/populus/internal/oidc"
	"github.com/populus-vn/populus/internal/problem"
	"github.com/populus-vn/populus/internal/register"
	"github.com/populus-vn/populus/internal/server"
	"github.com/populus-vn/populus/internal/staff"
	"github.com/populus-vn/populus/internal/units"
)

var schemas = append([]*db.Schema{audit.Schema, staff.Schema, oidc.Schema, exchange.Schema}, identitytest.Schemas...)

// consents is a consent service for the tests: the consents given, per
// subject, client and purpose, and the fields each covers where covers
// names them (else any).
type consents struct {
	given  map[[3]string]string
	covers map[string][]string
}

func (c *consents) Authorize(_ context.Context, subject, client, purpose string, fields []string) (string, error) {
	id, ok := c.given[[3]string{subject, client, purpose}]
	if !ok {
		return "", problem.New(problem.Forbidden, "no consent of the person for %s to %s", purpose, client)
	}
	if covered, named := c.covers[id]; named {
		for _, f := range fields {
			if !slices.Contains(covered, f) {
				return "", problem.New(problem.Forbidden, "field %s is not covered by consent %s", f, id)
			}
		}
	}
	return id, nil
}

type env struct {
	*identitytest.Env
	x        *exchange.Exchange
	prov     *oidc.Provider   // the verifications' (VerifyFor)
	srv      *httptest.Server // the exchange listener: TLS, client certificates
	consents *consents
	roots    *x509.CertPool
	certs    map[string]tls.Certificate
	keys     map[string][]byte // subsystem → private key PEM
	tokenURL string
	handler  http.Handler // the server's, without TLS
}

// Demo-like members: a bank (KYC, consent needed), a hospital, a
// driving-licence authority (an officer named).
const (
	bank     = "VN/COM/VCB/EKYC"
	hospital = "VN/HEALTH/BV-BACHMAI/HIS"
	drivers  = "VN/GOV/CSGT/GPLX"
	person   = exchange.Platform + "/person"
	verify   = exchange.Platform + "/verify"
	batch    = exchange.Platform + "/verify-batch"
)

// grants are the rights of the tests: the bank reads name, date of birth
// and status (not the address) for KYC.
var grants = []exchange.Right{
	{Subsystem: bank, Service: person, Fields: []string{"full_name", "birth_date", "status"}, Purposes: []string{"KYC"}},
	{Subsystem: bank, Service: verify, Fields: []string{"full_name", "birth_date", "card_number", "alive"}, Purposes: []string{"KYC"}},
	{Subsystem: bank, Service: batch, Fields: []string{"full_name", "birth_date", "card_number", "alive"}, Purposes: []string{"KYC"}},
	{Subsystem: hospital, Service: person, Fields: []string{"full_name", "birth_date", "sex", "permanent_residence"}, Purposes: []string{"HEALTH-INSURANCE-CHECK"}},
	{Subsystem: drivers, Service: person, Fields: []string{"full_name", "birth_date", "sex", "id_card", "permanent_residence"}, Purposes: []string{"DRIVING-LICENCE"}},
}

// envRequestsPerMinute and envBatchRowsPerMinute are the exchange's
// limits in newEnv (0: the defaults).
var envRequestsPerMinute, envBatchRowsPerMinute int

func newEnv(t testing.TB, d *db.DB) *env {
	t.Helper()
	e := &env{Env: identitytest.New(t, d), consents: &consents{given: map[[3]string]string{}}, certs: map[string]tls.Certificate{}, keys: map[string][]byte{}}
	master, _ := oidc.NewMasterKey()
	var h http.Handler
	e.srv = httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { h.ServeHTTP(w, r) }))
	e.tokenURL = "https://" + e.srv.Listener.Addr().String() + "/api/v1/exchange/token"
	prov, err := oidc.New(d, e.Svc, e.Reg, units.Default(), e.Log, oidc.Options{Issuer: "https://" + e.srv.Listener.Addr().String() + oidc.Prefix, Master: master, Guard: e.Guard})
	if err != nil {
		t.Fatal(err)
	}
	// The register as serve wires it for the exchange.
	reg := register.New(d, auth.NewGuard(auth.NewPolicy(units.Default()), exchange.ReadRecorder(e.Log)), e.Log, units.Default())
	e.prov = prov
	e.x = exchange.New(exchange.Options{DB: d, Audit: e.Log, Guard: e.Guard, Register: reg, Verifier: prov, Consents: e.consents, Master: master, TokenURL: e.tokenURL, RequestsPerMinute: envRequestsPerMinute, BatchRowsPerMinute: envBatchRowsPerMinute,
		Egress: &egress.Policy{Loopback: true}}) // the members' services run on loopback
	ctx := e.Ctx
	if err := e.x.EnsureCatalogue(ctx); err != nil {
		t.Fatal(err)
	}
	for _, m := range []exchange.Member{{ID: "VN/COM/VCB", Name: "Ngân hàng Demo"}, {ID: "VN/HEALTH/BV-BACHMAI", Name: "Bệnh viện Demo", Unit: "01"}, {ID: "VN/GOV/CSGT", Name: "Cục Cảnh sát giao thông (demo)"}} {
		if _, err := e.x.AddMember(ctx, m); err != nil {
			t.Fatal(err)
		}
	}
	for _, s := range []string{bank, hospital, drivers} {
		if _, err := e.x.AddSubsystem(ctx, s, "system "+s, nil); err != nil {
			t.Fatal(err)
		}
		iss, err := e.x.IssueCertificate(ctx, s)
		if err != nil {
			t.Fatal(err)
		}
		c, err := tls.X509KeyPair(iss.CertPEM, iss.KeyPEM)
		if err != nil {
			t.Fatal(err)
		}
		e.certs[s], e.keys[s] = c, iss.KeyPEM
	}
	for _, g := range grants {
		if err := e.x.Grant(ctx, g); err != nil {
			t.Fatal(err)
		}
	}
	guards := map[httpx.Access]httpx.Guard{}
	maps.Copy(guards, e.x.Guards())
	h, err = server.New(server.Deps{DB: d, Audit: e.Log, Capabilities: []httpx.Routes{e.x}, Guards: guards})
	if err != nil {
		t.Fatal(err)
	}
	e.handler = h
	cfg, err := e.x.TLSConfig(ctx, []string{"127.0.0.1"})
	if err != nil {
		t.Fatal(err)
	}
	e.srv.TLS = cfg
	e.srv.StartTLS()
	t.Cleanup(e.srv.Close)
	caPEM, _ := e.x.CACertificate(ctx)
	e.roots = x509.NewCertPool()
	e.roots.AppendCertsFromPEM(caPEM)
	return e
}

// client is an HTTPS client of the exchange presenting subsystem's
// certificate ("" for none).
func (e *env) client(subsystem string) *http.Client {
	cfg := &tls.Config{RootCAs: e.roots}
	if subsystem != "" {
		cfg.Certificates = []tls.Certificate{e.certs[subsystem]}
	}
	return &http.Client{Transport: &http.Transport{TLSClientConfig: cfg}}
}

// result is an answer read whole.
type result struct {
	status int
	header http.Header
	body   string
}

func (r result) json(t *testing.T) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal([]byte(r.body), &m); err != nil {
		t.Fatalf("not JSON (%d): %s", r.status, r.body)
	}
	return m
}

func (e *env) do(t testing.TB, c *http.Client, method, path string, headers map[string]string, body string) result {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, e.srv.URL+path, rd)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	res, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	for k, v := range res.Trailer {
		res.Header[k] = v
	}
	return result{res.StatusCode, res.Header, string(b)}
}

// xroad returns the protocol headers of a call by client for purpose.
func xroad(client, purpose string) map[string]string {
	h := map[string]string{exchange.HeaderClient: client, exchange.HeaderUserID: "VN-officer-042"}
	if purpose != "" {
		h[exchange.HeaderIssue] = purpose
	}
	return h
}
