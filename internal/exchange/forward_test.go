package exchange_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha512"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"io"
	"math/big"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/populus-vn/populus/internal/auth"
	"github.com/populus-vn/populus/internal/db"
	"github.com/populus-vn/populus/internal/db/dbtest"
	"github.com/populus-vn/populus/internal/egress"
	"github.com/populus-vn/populus/internal/exchange"
	"github.com/populus-vn/populus/internal/problem"
)

// A member publishes its own service: Populus forwards the granted calls
// with the purpose, basis, consent and fields, signs the request and the
// response, answers with the request's hash and the evidence's id, and
// either party (not a third) downloads the evidence, whose signatures
// verify and whose hashes are those of what passed.
func TestMemberService(t *testing.T) {
	dbtest.Engines(t, schemas, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		var got http.Header
		var gotBody, gotPath string
		provider := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			got = r.Header.Clone()
			b, _ := io.ReadAll(r.Body)
			gotBody, gotPath = string(b), r.URL.RequestURI()
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(201)
			io.WriteString(w, `{"card":"BHYT-01","valid":true}`)
		}))
		defer provider.Close()
		svc := "VN/HEALTH/BV-BACHMAI/HIS/insurance-card"
		doc := json.RawMessage(`{"openapi":"3.0.3","info":{"title":"Thẻ BHYT","version":"1"},"paths":{}}`)
		if err := e.x.AddService(e.Ctx, exchange.Service{ID: svc, Title: "Tra cứu thẻ bảo hiểm y tế", Fields: []string{"card", "valid"},
			Methods: []exchange.Endpoint{{Method: "POST", Path: "/cards"}}, BaseURL: provider.URL, OpenAPI: doc}); err != nil {
			t.Fatal(err)
		}
		// A right to none of the service's fields would be checked
		// against no consent: refused.
		if err := e.x.Grant(e.Ctx, exchange.Right{Subsystem: bank, Service: svc, Purposes: []string{"KYC"}}); !problem.Is(err, problem.Invalid) || !strings.Contains(err.Error(), "fields: name at least one") {
			t.Errorf("a right to no field: %v", err)
		}
		if err := e.x.Grant(e.Ctx, exchange.Right{Subsystem: bank, Service: svc, Fields: []string{"valid"}, Purposes: []string{"KYC"}}); err != nil {
			t.Fatal(err)
		}
		// A consent to the register's fields does not cover the same
		// names of a member's service: its fields are the service's.
		e.consents.given[[3]string{e.Lan.PIN, bank, "KYC"}] = "c-9"
		e.consents.covers = map[string][]string{"c-9": {"valid", "full_name"}}
		h := xroad(bank, "KYC")
		h[exchange.HeaderSubject] = e.Lan.PIN
		if r := e.do(t, e.client(bank), "POST", "/r1/"+svc+"/cards", h, `{}`); r.status != 403 || !strings.Contains(r.body, "field "+svc+":valid is not covered") {
			t.Fatalf("a consent to the register's fields: %d %s", r.status, r.body)
		}
		e.consents.covers["c-9"] = []string{svc + ":valid"}
		h[exchange.HeaderID] = "req-77"
		h["Content-Type"] = "application/json"
		// The bank signs its request with its own key.
		bodySum := sha512.Sum512([]byte(`{"q":1}`))
		st, _ := json.Marshal(exchange.ClientStatement{RequestID: "req-77", Service: svc, BodyHash: base64.StdEncoding.EncodeToString(bodySum[:])})
		h[exchange.HeaderClientSignature] = e.sign(t, bank, st)
		res := e.do(t, e.client(bank), "POST", "/r1/"+svc+"/cards?x=1", h, `{"q":1}`)
		if res.status != 201 || res.body != `{"card":"BHYT-01","valid":true}` {
			t.Fatalf("%d %s", res.status, res.body)
		}
		if got.Get(exchange.HeaderClientSignature) != h[exchange.HeaderClientSignature] {
			t.Error("the client's signature is not passed on")
		}
		// Another body under the same signature: refused, not forwarded.
		first, firstBody := got, gotBody
		got = nil
		if r := e.do(t, e.client(bank), "POST", "/r1/"+svc+"/cards?x=1", h, `{"q":2}`); r.status != 422 || !strings.Contains(r.body, exchange.HeaderClientSignature) || got != nil {
			t.Errorf("a signature over another body: %d %s", r.status, r.body)
		}
		got, gotBody = first, firstBody
		delete(h, exchange.HeaderClientSignature)
		if gotPath != "/cards?x=1" || gotBody != `{"q":1}` || got.Get(exchange.HeaderIssue) != "KYC" || got.Get(exchange.HeaderConsent) != "c-9" ||
			got.Get(exchange.HeaderFields) != "valid" || got.Get(exchange.HeaderID) != "req-77" || !strings.HasPrefix(got.Get(exchange.HeaderLegalBasis), "Nghị định 13") {
			t.Errorf("forwarded %s %q %v", gotPath, gotBody, got)
		}
		reqSig, err := e.x.VerifySignature(e.Ctx, got.Get(exchange.HeaderRequestSignature))
		if err != nil || reqSig.Kind != "request" || reqSig.RequestHash != res.header.Get(exchange.HeaderRequestHash) || reqSig.Client != bank {
			t.Errorf("request signature: %+v %v", reqSig, err)
		}
		id := res.header.Get(exchange.HeaderEvidence)
		resSig, err := e.x.VerifySignature(e.Ctx, res.header.Get(exchange.HeaderResponseSignature))
		sum := sha512.Sum512([]byte(res.body))
		if err != nil || resSig.Hash != base64.StdEncoding.EncodeToString(sum[:]) || resSig.Status != 201 || resSig.RequestHash != reqSig.RequestHash {
			t.Errorf("response signature: %+v %v", resSig, err)
		}
		// The evidence: to the client, to the provider, not to another.
		for _, who := range []string{bank, hospital} {
			r := e.do(t, e.client(who), "GET", "/api/v1/exchange/evidence/"+id, nil, "")
			var ev exchange.Evidence
			if r.status != 200 || json.Unmarshal([]byte(r.body), &ev) != nil || ev.ResponseSignature != res.header.Get(exchange.HeaderResponseSignature) || ev.RequestID != "req-77" || ev.ClientSignature == "" {
				t.Errorf("evidence to %s: %d %s", who, r.status, r.body)
			}
		}
		if r := e.do(t, e.client(drivers), "GET", "/api/v1/exchange/evidence/"+id, nil, ""); r.status != 404 {
			t.Errorf("evidence to a third: %d", r.status)
		}
		// Either party checks the evidence offline, with the CA's
		// certificate and the answer it kept; nothing else verifies.
		var ev exchange.Evidence
		json.Unmarshal([]byte(e.do(t, e.client(bank), "GET", "/api/v1/exchange/evidence/"+id, nil, "").body), &ev)
		caPEM, _ := e.x.CACertificate(e.Ctx)
		blk, _ := pem.Decode(caPEM)
		ca, err := x509.ParseCertificate(blk.Bytes)
		if err != nil {
			t.Fatal(err)
		}
		if err := exchange.VerifyForwarded(ev, []byte(res.body), ca); err != nil {
			t.Errorf("the evidence with the answer: %v", err)
		}
		if err := exchange.VerifyForwarded(ev, nil, ca); err != nil {
			t.Errorf("the evidence alone: %v", err)
		}
		if exchange.VerifyForwarded(ev, []byte(strings.Replace(res.body, "true", "false", 1)), ca) == nil {
			t.Error("the evidence verifies another answer")
		}
		otherKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: ca.Subject.CommonName}, NotBefore: time.Now(), NotAfter: time.Now().Add(time.Hour)}
		der, _ := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &otherKey.PublicKey, otherKey)
		if otherCA, err := x509.ParseCertificate(der); err != nil || exchange.VerifyForwarded(ev, []byte(res.body), otherCA) == nil {
			t.Errorf("the evidence verifies with another CA of the same name: %v", err)
		}
		for name, change := range map[string]func(*exchange.Evidence){
			"status":     func(v *exchange.Evidence) { v.Status = 200 },
			"client":     func(v *exchange.Evidence) { v.Client = drivers },
			"request id": func(v *exchange.Evidence) { v.RequestID = "req-78" },
			"signature": func(v *exchange.Evidence) {
				v.RequestSignature = v.RequestSignature[:len(v.RequestSignature)-4] + "AAAA"
			},
			"swapped sigs": func(v *exchange.Evidence) {
				v.RequestSignature, v.ResponseSignature = v.ResponseSignature, v.RequestSignature
			},
		} {
			changed := ev
			change(&changed)
			if exchange.VerifyForwarded(changed, []byte(res.body), ca) == nil {
				t.Errorf("evidence with its %s changed verifies", name)
			}
		}
		// A signature altered does not verify.
		bad := res.header.Get(exchange.HeaderResponseSignature)
		bad = bad[:len(bad)-4] + "AAAA"
		if _, err := e.x.VerifySignature(e.Ctx, bad); err == nil {
			t.Error("an altered signature verifies")
		}
		// Without the person named, a purpose needing consent is refused;
		// a field not granted too; both audited, nothing forwarded.
		got = nil
		delete(h, exchange.HeaderSubject)
		if r := e.do(t, e.client(bank), "POST", "/r1/"+svc+"/cards", h, `{}`); r.status != 422 || !strings.Contains(r.body, exchange.HeaderSubject) {
			t.Errorf("no subject: %d %s", r.status, r.body)
		}
		h[exchange.HeaderSubject] = e.Lan.PIN
		if r := e.do(t, e.client(bank), "POST", "/r1/"+svc+"/cards?fields=card", h, `{}`); r.status != 403 {
			t.Errorf("a field not granted: %d %s", r.status, r.body)
		}
		if got != nil {
			t.Error("a refused call was forwarded")
		}
		if n := e.Count(`SELECT count(*) FROM audit_log WHERE actor = $1 AND action = $2 AND consent = 'c-9' AND fields = 'valid' AND detail LIKE '%evidence ' || $3 || '%'`,
			"member:"+bank, exchange.ActionForward, id); n != 1 {
			t.Errorf("the exchange audited %d times", n)
		}
	})
}

// A provider signs its answer with its subsystem's key: the signature is
// checked and kept in the evidence; one made with another key refuses
// the answer.
func TestProviderSignature(t *testing.T) {
	e := newEnv(t, dbtest.SQLite(t, schemas...))
	signer := hospital
	provider := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body := []byte(`{"valid":true}`)
		st, err := e.x.VerifySignature(r.Context(), r.Header.Get(exchange.HeaderRequestSignature))
		if err != nil {
			t.Error(err)
		}
		sum := sha512.Sum512(body)
		b, _ := json.Marshal(exchange.ProviderStatement{RequestHash: st.RequestHash, ResponseHash: base64.StdEncoding.EncodeToString(sum[:])})
		w.Header().Set(exchange.HeaderProviderSignature, e.sign(t, signer, b))
		w.Write(body)
	}))
	defer provider.Close()
	svc := "VN/HEALTH/BV-BACHMAI/HIS/check"
	if err := e.x.AddService(e.Ctx, exchange.Service{ID: svc, Title: "Kiểm tra", Fields: []string{"valid"}, BaseURL: provider.URL,
		OpenAPI: json.RawMessage(`{"openapi":"3.0.3","info":{"title":"x","version":"1"},"paths":{}}`)}); err != nil {
		t.Fatal(err)
	}
	if err := e.x.Grant(e.Ctx, exchange.Right{Subsystem: drivers, Service: svc, Fields: []string{"valid"}, Purposes: []string{"DRIVING-LICENCE"}}); err != nil {
		t.Fatal(err)
	}
	res := e.do(t, e.client(drivers), "GET", "/r1/"+svc+"/x", xroad(drivers, "DRIVING-LICENCE"), "")
	if res.status != 200 || res.header.Get(exchange.HeaderProviderSignature) == "" {
		t.Fatalf("%d %s", res.status, res.body)
	}
	r := e.do(t, e.client(hospital), "GET", "/api/v1/exchange/evidence/"+res.header.Get(exchange.HeaderEvidence), nil, "")
	if !strings.Contains(r.body, `"provider_signature":"`+res.header.Get(exchange.HeaderProviderSignature)+`"`) {
		t.Errorf("evidence: %s", r.body)
	}
	signer = bank // the wrong key
	if res := e.do(t, e.client(drivers), "GET", "/r1/"+svc+"/x", xroad(drivers, "DRIVING-LICENCE"), ""); res.status != 503 || !strings.Contains(res.body, "does not verify") {
		t.Errorf("a forged answer: %d %s", res.status, res.body)
	}
}

// TestMemberServiceEgress: a member service in a network the operator has
// not allowed is refused when published (base_url named); one already
// published where the policy no longer allows it is never called: the
// forwarding dials no refused address (here loopback), answers 503 and
// audits the failure.
func TestMemberServiceEgress(t *testing.T) {
	e := newEnv(t, dbtest.SQLite(t, schemas...))
	doc := json.RawMessage(`{"openapi":"3.0.3","info":{"title":"x","version":"1"},"paths":{}}`)
	for _, u := range []string{"https://10.0.0.5/api", "https://169.254.169.254/latest", "https://[fd00::7]/api"} {
		err := e.x.AddService(e.Ctx, exchange.Service{ID: "VN/HEALTH/BV-BACHMAI/HIS/x", Title: "x", Fields: []string{"valid"},
			Methods: []exchange.Endpoint{{Method: "GET", Path: "/x"}}, BaseURL: u, OpenAPI: doc})
		var pe *problem.Error
		if !errors.As(err, &pe) || len(pe.Fields) != 1 || pe.Fields[0].Field != "base_url" {
			t.Errorf("publish at %s: %v, want refused naming base_url", u, err)
		}
	}
	called := 0
	provider := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { called++ }))
	defer provider.Close()
	svc := "VN/HEALTH/BV-BACHMAI/HIS/insurance-card"
	if err := e.x.AddService(e.Ctx, exchange.Service{ID: svc, Title: "Thẻ BHYT", Fields: []string{"valid"},
		Methods: []exchange.Endpoint{{Method: "GET", Path: "/cards"}}, BaseURL: provider.URL, OpenAPI: doc}); err != nil {
		t.Fatal(err)
	}
	if err := e.x.Grant(e.Ctx, exchange.Right{Subsystem: bank, Service: svc, Fields: []string{"valid"}, Purposes: []string{"KYC"}}); err != nil {
		t.Fatal(err)
	}
	e.consents.given[[3]string{e.Lan.PIN, bank, "KYC"}] = "c-9"
	e.x.SetEgress(egress.Policy{}) // the production default: no loopback
	h := xroad(bank, "KYC")
	h[exchange.HeaderSubject] = e.Lan.PIN
	res := e.do(t, e.client(bank), "GET", "/r1/"+svc+"/cards", h, "")
	if res.status != http.StatusServiceUnavailable || called != 0 {
		t.Fatalf("forwarding to loopback under the default policy: %d %s, %d calls reached it", res.status, res.body, called)
	}
}

// A member's service published and removed by administrators within the
// provider's reach: the removal takes the rights on it and refuses the
// next call; the evidence of the exchanges before it is kept; the
// register's own services are not removed; each change is audited.
func TestServiceRemoved(t *testing.T) {
	dbtest.Engines(t, schemas, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		calls := 0
		provider := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			calls++
			w.Header().Set("Content-Type", "application/json")
			io.WriteString(w, `{"valid":true}`)
		}))
		defer provider.Close()
		nation := auth.Staff(1, "admin", "Quản trị", auth.Admin, "VN")
		hanoi := auth.Staff(2, "admin.hanoi", "Quản trị Hà Nội", auth.Admin, "01")
		svc := hospital + "/insurance-card"
		s := exchange.Service{ID: svc, Title: "Tra cứu thẻ bảo hiểm y tế", Fields: []string{"valid"}, BaseURL: provider.URL,
			OpenAPI: json.RawMessage(`{"openapi":"3.0.3","info":{"title":"BHYT","version":"1"},"paths":{}}`)}
		if err := e.x.AdminAddService(e.Ctx, auth.Staff(4, "admin.hcm", "Quản trị TP HCM", auth.Admin, "79"), s); !problem.Is(err, problem.Forbidden) {
			t.Errorf("another province's administrator publishes the hospital's service: %v", err)
		}
		if err := e.x.AdminAddService(e.Ctx, hanoi, s); err != nil {
			t.Fatal(err)
		}
		if err := e.x.AdminAddService(e.Ctx, hanoi, s); !problem.Is(err, problem.Invalid) || !strings.Contains(err.Error(), "exists already") {
			t.Errorf("published twice: %v", err)
		}
		for _, u := range []string{"http://127.0.0.1@example.com/api", "http://127.0.0.1.nip.io/api", "http://localhost.evil.example/api", "ftp://127.0.0.1/x", "https:///nohost"} {
			bad := s
			bad.ID, bad.BaseURL = hospital+"/plain", u
			if err := e.x.AdminAddService(e.Ctx, hanoi, bad); !problem.Is(err, problem.Invalid) || !strings.Contains(err.Error(), "base_url") {
				t.Errorf("base URL %s: %v", u, err)
			}
		}
		big := s
		big.ID, big.OpenAPI = hospital+"/big", json.RawMessage(`{"openapi":"3.0.3","x":"`+strings.Repeat("a", exchange.MaxOpenAPI)+`"}`)
		if err := e.x.AdminAddService(e.Ctx, hanoi, big); !problem.Is(err, problem.Invalid) || !strings.Contains(err.Error(), "at most") {
			t.Errorf("a description over %d bytes: %v", exchange.MaxOpenAPI, err)
		}
		if err := e.x.AdminGrant(e.Ctx, hanoi, exchange.Right{Subsystem: bank, Service: svc, Fields: []string{"valid"}, Purposes: []string{"KYC"}}); err != nil {
			t.Fatal(err)
		}
		e.consents.given[[3]string{e.Lan.PIN, bank, "KYC"}] = "c-1"
		h := xroad(bank, "KYC")
		h[exchange.HeaderSubject] = e.Lan.PIN
		first := e.do(t, e.client(bank), "GET", "/r1/"+svc+"/cards", h, "")
		if first.status != 200 || calls != 1 {
			t.Fatalf("before: %d %s", first.status, first.body)
		}
		if err := e.x.AdminRemoveService(e.Ctx, auth.Staff(4, "admin.hcm", "Quản trị TP HCM", auth.Admin, "79"), svc); !problem.Is(err, problem.Forbidden) {
			t.Errorf("another province's administrator removes it: %v", err)
		}
		if err := e.x.AdminRemoveService(e.Ctx, nation, exchange.Platform+"/person"); !problem.Is(err, problem.Invalid) {
			t.Errorf("a built-in service removed: %v", err)
		}
		if err := e.x.AdminRemoveService(e.Ctx, hanoi, svc); err != nil {
			t.Fatal(err)
		}
		if r := e.do(t, e.client(bank), "GET", "/r1/"+svc+"/cards", h, ""); r.status != http.StatusNotFound || calls != 1 {
			t.Errorf("after the removal: %d %s, %d calls forwarded", r.status, r.body, calls)
		}
		if rs, err := e.x.Rights(e.Ctx, bank); err != nil || slices.ContainsFunc(rs, func(r exchange.Right) bool { return r.Service == svc }) {
			t.Errorf("the bank's rights: %+v %v", rs, err)
		}
		if _, err := e.x.RemoveService(e.Ctx, svc); !problem.Is(err, problem.NotFound) {
			t.Errorf("removed twice: %v", err)
		}
		if r := e.do(t, e.client(bank), "GET", "/api/v1/exchange/evidence/"+first.header.Get(exchange.HeaderEvidence), nil, ""); r.status != 200 {
			t.Errorf("the evidence of an exchange before the removal: %d %s", r.status, r.body)
		}
		if n := e.Count(`SELECT count(*) FROM audit_log WHERE action = 'exchange.manage' AND outcome = 'ok' AND subject = $1`, svc); n != 2 {
			t.Errorf("%d changes of the service audited", n)
		}
		// Published again after the removal, by the nation's administrator.
		if err := e.x.AdminAddService(e.Ctx, nation, s); err != nil {
			t.Errorf("published again: %v", err)
		}
	})
}

// A forwarded call names one of the endpoints the service published, and
// its path stays under the service's base URL: others are refused, not
// forwarded.
func TestForwardedEndpoints(t *testing.T) {
	e := newEnv(t, dbtest.SQLite(t, schemas...))
	var paths []string
	provider := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		paths = append(paths, r.Method+" "+r.URL.EscapedPath())
		io.WriteString(w, `{}`)
	}))
	defer provider.Close()
	svc := hospital + "/cards"
	if err := e.x.AddService(e.Ctx, exchange.Service{ID: svc, Title: "Thẻ", Fields: []string{"valid"}, BaseURL: provider.URL + "/api",
		Methods: []exchange.Endpoint{{Method: "GET", Path: "/cards/{id}"}, {Method: "POST", Path: "/cards"}},
		OpenAPI: json.RawMessage(`{"openapi":"3.0.3","info":{"title":"x","version":"1"},"paths":{}}`)}); err != nil {
		t.Fatal(err)
	}
	if err := e.x.Grant(e.Ctx, exchange.Right{Subsystem: drivers, Service: svc, Fields: []string{"valid"}, Purposes: []string{"DRIVING-LICENCE"}}); err != nil {
		t.Fatal(err)
	}
	h := xroad(drivers, "DRIVING-LICENCE")
	for _, c := range []struct {
		method, path string
		status       int
	}{
		{"GET", "/cards/A-1", 200}, {"POST", "/cards", 200},
		{"DELETE", "/admin/users/1", 404}, {"GET", "/cards", 404}, {"GET", "/cards/A-1/more", 404}, {"PUT", "/cards/A-1", 404},
		{"GET", "/%2e%2e/secret", 422}, {"GET", "/cards/..%2fsecret", 422}, {"GET", "/cards/%5c..", 422}, {"GET", "/./cards", 404},
	} {
		if r := e.do(t, e.client(drivers), c.method, "/r1/"+svc+c.path, h, ""); r.status != c.status {
			t.Errorf("%s %s: %d %s, want %d", c.method, c.path, r.status, r.body, c.status)
		}
	}
	if strings.Join(paths, ", ") != "GET /api/cards/A-1, POST /api/cards" {
		t.Errorf("forwarded: %v", paths)
	}
}

// A forwarded request is about the person it names in X-Populus-Subject
// only: a PIN of another person in its path, query or text body is
// refused (the consent checked and the entry written would be the named
// person's, the answer another's), recorded against the person the
// request named, and nothing is forwarded; a request naming a person
// without the header is refused too, whatever its purpose; the subject's
// own PIN, and digits in a binary body, pass.
func TestForwardedRequestTiedToItsSubject(t *testing.T) {
	e := newEnv(t, dbtest.SQLite(t, schemas...))
	calls := 0
	provider := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls++
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"valid":true}`)
	}))
	defer provider.Close()
	svc := "VN/HEALTH/BV-BACHMAI/HIS/records"
	if err := e.x.AddService(e.Ctx, exchange.Service{ID: svc, Title: "Hồ sơ", Fields: []string{"valid"}, BaseURL: provider.URL,
		OpenAPI: json.RawMessage(`{"openapi":"3.0.3","info":{"title":"x","version":"1"},"paths":{}}`)}); err != nil {
		t.Fatal(err)
	}
	for _, r := range []exchange.Right{
		{Subsystem: bank, Service: svc, Fields: []string{"valid"}, Purposes: []string{"KYC"}},
		{Subsystem: drivers, Service: svc, Fields: []string{"valid"}, Purposes: []string{"DRIVING-LICENCE"}},
	} {
		if err := e.x.Grant(e.Ctx, r); err != nil {
			t.Fatal(err)
		}
	}
	e.consents.given[[3]string{e.Lan.PIN, bank, "KYC"}] = "c-lan"
	lan, minh := e.Lan.PIN, e.Minh.PIN
	for _, tc := range []struct {
		name, client, purpose, subject, path, ctype, body string
		status                                            int
		want                                              string
	}{
		{"another person in the path", bank, "KYC", lan, "/patients/" + minh, "", "", 422, "names another person than the PIN in the request's path"},
		{"another person in the query", bank, "KYC", lan, "/patients?pin=" + minh, "", "", 422, "request's query"},
		{"another person in a JSON body", bank, "KYC", lan, "/search", "application/json", `{"pin":"` + minh + `"}`, 422, "request's body"},
		{"a person named without the header", drivers, "DRIVING-LICENCE", "", "/patients/" + minh, "", "", 422, "is required: the request names a person by PIN in its path"},
		{"the subject's own PIN", bank, "KYC", lan, "/patients/" + lan + "?also=" + lan, "application/json", `{"pin":"` + lan + `"}`, 200, ""},
		{"digits in a binary body", drivers, "DRIVING-LICENCE", "", "/upload", "application/octet-stream", "\x00" + minh, 200, ""},
		{"a longer number", drivers, "DRIVING-LICENCE", "", "/accounts/9" + minh, "", "", 200, ""},
	} {
		h := xroad(tc.client, tc.purpose)
		if tc.subject != "" {
			h[exchange.HeaderSubject] = tc.subject
		}
		if tc.ctype != "" {
			h["Content-Type"] = tc.ctype
		}
		before := calls
		method := "GET"
		if tc.body != "" {
			method = "POST"
		}
		r := e.do(t, e.client(tc.client), method, "/r1/"+svc+tc.path, h, tc.body)
		if r.status != tc.status || !strings.Contains(r.body, tc.want) {
			t.Errorf("%s: %d %s", tc.name, r.status, r.body)
		}
		if forwarded := calls > before; forwarded != (tc.status == 200) {
			t.Errorf("%s: forwarded %v", tc.name, forwarded)
		}
	}
	if n := e.Count(`SELECT count(*) FROM audit_log WHERE action = $1 AND subject = $2 AND outcome = 'denied'`, exchange.ActionForward, minh); n != 4 {
		t.Errorf("%d refusals recorded against the person named in the requests, want 4", n)
	}
}
