package main

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"

	"github.com/populus-vn/populus/internal/audit"
	"github.com/populus-vn/populus/internal/db"
	"github.com/populus-vn/populus/internal/exchange"
	datausage "github.com/populus-vn/populus/internal/usage"
)

// exchangeExamples runs the README's "Data exchange (NDXP)" examples
// against the demo (TestDemoEndToEnd): each curl command as the demo
// prints it, with the certificates it wrote in its data directory.
//
// The citizen (signed in, who consented in the README's consent example to
// the bank reading full_name and birth_date for KYC) then sees the bank's
// look-up in "who used my data", with an inclusion proof that checks out
// against the audit log's published checkpoint key.
func exchangeExamples(t *testing.T, stdout interface{ String() string }, data string, citizen func(method, path, csrf string, body, out any) int) {
	t.Helper()
	var out string
	for i := 0; i < 600; i++ {
		if out = stdout.String(); strings.Contains(out, "https://") && strings.Contains(out, "/r1/VN/GOV/BCA/C06-REGISTER/person/") {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	m := regexp.MustCompile(`https://(127\.0\.0\.1:\d+)/r1/VN/GOV/BCA/C06-REGISTER/person/(\d{12})`).FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("the demo prints no exchange example:\n%s", out)
	}
	addr, pin := m[1], m[2]
	readme, err := os.ReadFile(filepath.Join("..", "..", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(data, "exchange")
	ca, err := os.ReadFile(filepath.Join(dir, "ca.pem"))
	if err != nil {
		t.Fatal(err)
	}
	roots := x509.NewCertPool()
	roots.AppendCertsFromPEM(ca)
	client := func(sub string) *http.Client {
		name := strings.ReplaceAll(sub, "/", "_")
		c, err := tls.LoadX509KeyPair(filepath.Join(dir, name+".crt"), filepath.Join(dir, name+".key"))
		if err != nil {
			t.Fatal(err)
		}
		return &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: roots, Certificates: []tls.Certificate{c}}}}
	}
	type ex struct {
		name, sub, method, path, body string
		headers                       map[string]string
		status                        int
		has                           []string
		hasNot                        []string
	}
	hospital := map[string]string{"X-Road-Client": "VN/HEALTH/BV-DEMO/HIS", "X-Road-Issue": "HEALTH-INSURANCE-CHECK"}
	person := "/r1/VN/GOV/BCA/C06-REGISTER/person/"
	cases := []ex{
		{"hospital look-up", "VN/HEALTH/BV-DEMO/HIS", "GET", person + pin, "", hospital, 200, []string{`"full_name"`, `"permanent_residence"`}, []string{`"id_card"`}},
		{"a field not granted", "VN/HEALTH/BV-DEMO/HIS", "GET", person + pin + "?fields=id_card", "", hospital, 403, []string{"id_card"}, nil},
		{"no purpose", "VN/HEALTH/BV-DEMO/HIS", "GET", person + pin, "", map[string]string{"X-Road-Client": "VN/HEALTH/BV-DEMO/HIS"}, 422, []string{`"field":"X-Road-Issue"`}, nil},
		{"driving licence with its officer", "VN/GOV/CSGT-DEMO/GPLX", "GET", person + pin, "",
			map[string]string{"X-Road-Client": "VN/GOV/CSGT-DEMO/GPLX", "X-Road-Issue": "DRIVING-LICENCE", "X-Road-UserId": "VN-CSGT-0042"}, 200, []string{`"id_card"`}, nil},
		{"bank KYC without consent", "VN/COM/VCB/EKYC", "GET", person + pin, "", map[string]string{"X-Road-Client": "VN/COM/VCB/EKYC", "X-Road-Issue": "KYC"}, 403, []string{"consent"}, []string{`"full_name"`}},
		{"batch", "VN/HEALTH/BV-DEMO/HIS", "POST", "/r1/VN/GOV/BCA/C06-REGISTER/verify-batch", "pin,full_name\n" + pin + ",Không Phải Tên\n",
			map[string]string{"X-Road-Client": "VN/HEALTH/BV-DEMO/HIS", "X-Road-Issue": "HEALTH-INSURANCE-CHECK", "Content-Type": "text/csv"}, 200, []string{"row,match,reason_codes,error,evidence\n1,false,100,,"}, nil},
		{"listClients", "VN/HEALTH/BV-DEMO/HIS", "GET", "/listClients", "", map[string]string{"X-Road-Client": "VN/HEALTH/BV-DEMO/HIS"}, 200, []string{`"member_code":"VCB"`}, nil},
		{"listMethods", "VN/HEALTH/BV-DEMO/HIS", "GET", "/r1/VN/GOV/BCA/C06-REGISTER/listMethods", "", map[string]string{"X-Road-Client": "VN/HEALTH/BV-DEMO/HIS"}, 200, []string{`"service_code":"verify-batch"`}, nil},
		{"allowedMethods", "VN/HEALTH/BV-DEMO/HIS", "GET", "/r1/VN/GOV/BCA/C06-REGISTER/allowedMethods", "", map[string]string{"X-Road-Client": "VN/HEALTH/BV-DEMO/HIS"}, 200, []string{`"service_code":"person"`}, nil},
		{"getOpenAPI", "VN/HEALTH/BV-DEMO/HIS", "GET", "/r1/VN/GOV/BCA/C06-REGISTER/getOpenAPI?serviceCode=person", "", map[string]string{"X-Road-Client": "VN/HEALTH/BV-DEMO/HIS"}, 200, []string{`"openapi"`}, nil},
		{"monitoring", "VN/HEALTH/BV-DEMO/HIS", "GET", "/api/v1/exchange/monitoring", "", nil, 200, []string{`"requestCount"`, `"failedCount"`}, nil},
		{"bank KYC with the citizen's consent", "VN/COM/VCB/EKYC", "GET", person + pin + "?fields=full_name,birth_date", "", map[string]string{"X-Road-Client": "VN/COM/VCB/EKYC", "X-Road-Issue": "KYC"}, 200, []string{`"full_name"`}, []string{`"address"`, `"status"`}},
	}
	// The exchange's listener serves member systems' paths only.
	for _, p := range []string{"/login", "/api/v1/persons/" + pin} {
		if res, err := client("VN/HEALTH/BV-DEMO/HIS").Get("https://" + addr + p); err != nil || res.StatusCode != http.StatusNotFound {
			t.Errorf("the exchange's listener serves %s: %v %v", p, res.StatusCode, err)
		} else {
			res.Body.Close()
		}
	}
	for _, c := range cases {
		// The README shows each call: its path and its headers.
		path, _, _ := strings.Cut(c.path, "?")
		path = strings.TrimSuffix(path, pin)
		if !strings.Contains(string(readme), path) {
			t.Errorf("README: %s: the path %s is not shown", c.name, path)
		}
		for k, v := range c.headers {
			if k != "Content-Type" && !strings.Contains(string(readme), k+": "+v) {
				t.Errorf("README: %s: the header %s: %s is not shown", c.name, k, v)
			}
		}
		var body io.Reader
		if c.body != "" {
			body = strings.NewReader(c.body)
		}
		req, _ := http.NewRequest(c.method, "https://"+addr+c.path, body)
		for k, v := range c.headers {
			req.Header.Set(k, v)
		}
		res, err := client(c.sub).Do(req)
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		b, _ := io.ReadAll(res.Body)
		res.Body.Close()
		got := fmt.Sprintf("%d %s", res.StatusCode, b)
		if res.StatusCode != c.status {
			t.Errorf("README: %s = %s, want %d", c.name, got, c.status)
		}
		for _, h := range c.has {
			if !strings.Contains(string(b), h) {
				t.Errorf("README: %s = %s, want %s in it", c.name, got, h)
			}
		}
		for _, h := range c.hasNot {
			if strings.Contains(string(b), h) {
				t.Errorf("README: %s = %s, %s in it", c.name, got, h)
			}
		}
	}
	tokenOnListener(t, data, addr, roots)
	memberServiceOnDemo(t, data, addr, client)
	var page datausage.Page
	if code := citizen("GET", "/api/v1/usage/me?limit=50", "", nil, &page); code != 200 {
		t.Fatalf("README: who used my data = %d", code)
	}
	var cp audit.CheckpointView
	if code := citizen("GET", "/api/v1/audit/checkpoint", "", nil, &cp); code != 200 || cp.Verifier == "" {
		t.Fatalf("README: the audit log's checkpoint = %d %+v", code, cp)
	}
	// The hospital's answer verifies against its evidence with populus
	// evidence, as the README says; a changed byte does not.
	req, _ := http.NewRequest("GET", "https://"+addr+person+pin, nil)
	for k, v := range hospital {
		req.Header.Set(k, v)
	}
	res, err := client("VN/HEALTH/BV-DEMO/HIS").Do(req)
	if err != nil {
		t.Fatal(err)
	}
	answer, _ := io.ReadAll(res.Body)
	res.Body.Close()
	evReq, _ := http.NewRequest("GET", "https://"+addr+"/api/v1/exchange/evidence/"+res.Header.Get("X-Populus-Evidence"), nil)
	evRes, err := client("VN/HEALTH/BV-DEMO/HIS").Do(evReq)
	if err != nil {
		t.Fatal(err)
	}
	evidence, _ := io.ReadAll(evRes.Body)
	evRes.Body.Close()
	if res.StatusCode != 200 || evRes.StatusCode != 200 || !strings.Contains(string(readme), "/api/v1/exchange/evidence/<X-Populus-Evidence>") {
		t.Fatalf("README: the answer's evidence: %d, %d %s", res.StatusCode, evRes.StatusCode, evidence)
	}
	files := t.TempDir()
	cpJSON, _ := json.Marshal(cp)
	for name, b := range map[string][]byte{"checkpoint.json": cpJSON, "evidence.json": evidence, "answer.json": answer, "changed.json": append([]byte(" "), answer...)} {
		os.WriteFile(filepath.Join(files, name), b, 0o600)
	}
	var verified, errb strings.Builder
	verify := func(body string) error {
		return run(context.Background(), []string{"evidence", "--checkpoint", filepath.Join(files, "checkpoint.json"), filepath.Join(files, "evidence.json"), filepath.Join(files, body)},
			func(string) string { return "" }, &verified, &errb)
	}
	if err := verify("answer.json"); err != nil || !strings.Contains(verified.String(), "The answer verifies: VN/GOV/BCA/C06-REGISTER/person answered VN/HEALTH/BV-DEMO/HIS about "+pin) {
		t.Errorf("populus evidence: %v\n%s%s", err, verified.String(), errb.String())
	}
	var fc *failedCheck
	if err := verify("changed.json"); err == nil || !strings.Contains(err.Error(), "the body is not the answer") || !errors.As(err, &fc) {
		t.Errorf("populus evidence, a changed answer (a failed check, exit 1): %v", err)
	}
	// A refusal saved in the evidence's place, or the files swapped: said
	// as such, not as a failed check.
	os.WriteFile(filepath.Join(files, "evidence.json"), []byte(`{"type":"https://populus.gov.vn/problems/not-found","status":404,"detail":"no evidence x of an exchange of yours"}`), 0o600)
	if err := verify("answer.json"); err == nil || !strings.Contains(err.Error(), "is a refusal, not evidence: 404 no evidence") || errors.As(err, &fc) {
		t.Errorf("populus evidence of a refusal: %v", err)
	}
	os.WriteFile(filepath.Join(files, "evidence.json"), answer, 0o600)
	if err := verify("answer.json"); err == nil || !strings.Contains(err.Error(), "is not an exchange's evidence") {
		t.Errorf("populus evidence of an answer: %v", err)
	}
	found := false
	for _, it := range page.Items {
		if it.Organisation.ID != "VN/COM/VCB/EKYC" || it.Purpose != "KYC" || it.Outcome != audit.OK {
			continue
		}
		found = true
		if it.Receiver != "Ngân hàng Demo" || strings.Join(it.Fields, ",") != "full_name,birth_date" || it.Consent == "" {
			t.Errorf("README: the bank's look-up in who used my data: %+v", it)
		}
		if it.Proof == nil {
			t.Errorf("README: the bank's look-up has no inclusion proof")
		} else if err := audit.VerifyProof(*it.Proof, cp.Verifier); err != nil {
			t.Errorf("README: the bank's look-up's inclusion proof: %v", err)
		}
	}
	if !found {
		t.Errorf("README: the bank's look-up is not in who used my data: %+v", page.Items)
	}
}

// tokenOnListener onboards a subsystem with a public key (the CLI, as the
// README does) and takes a token with private_key_jwt at the exchange
// listener, as an OAuth2 client does: the assertion's audience the URL it
// posts to. The token then calls the exchange without a certificate.
func tokenOnListener(t *testing.T, data, addr string, roots *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	jwk, _ := json.Marshal(jose.JSONWebKey{Key: &key.PublicKey, Algorithm: "ES256", Use: "sig"})
	jwkFile := filepath.Join(t.TempDir(), "key.json")
	os.WriteFile(jwkFile, jwk, 0o600)
	const sub = "VN/COM/VCB/TOKEN"
	var out, errb strings.Builder
	if err := run(context.Background(), []string{"exchange", "subsystems", "add", "--data", data, "--id", sub, "--name", "Ngân hàng Demo (token)", "--jwk", jwkFile},
		func(string) string { return "" }, &out, &errb); err != nil {
		t.Fatalf("exchange subsystems add: %v %s", err, errb.String())
	}
	tokenURL := "https://" + addr + "/api/v1/exchange/token"
	// The assertion as the README makes it: populus exchange assertion,
	// with the subsystem's private key.
	der, _ := x509.MarshalPKCS8PrivateKey(key)
	keyFile := filepath.Join(t.TempDir(), "key.pem")
	os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), 0o600)
	out.Reset()
	if err := run(context.Background(), []string{"exchange", "assertion", sub, "--key", keyFile, "--aud", tokenURL}, func(string) string { return "" }, &out, &errb); err != nil {
		t.Fatalf("exchange assertion: %v", err)
	}
	assertion := strings.TrimSpace(out.String())
	for _, bad := range [][]string{{"--key", keyFile}, {"--key", keyFile, "--aud", "ftp://x"}, {"--key", jwkFile, "--aud", tokenURL}, {"--key", keyFile, "--aud", tokenURL, "--life", "1h"}} {
		if err := run(context.Background(), append([]string{"exchange", "assertion", sub}, bad...), func(string) string { return "" }, &out, &errb); err == nil {
			t.Errorf("exchange assertion %v: no error", bad)
		}
	}
	anon := &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: roots}}}
	res, err := anon.PostForm(tokenURL, url.Values{"grant_type": {"client_credentials"},
		"client_assertion_type": {"urn:ietf:params:oauth:client-assertion-type:jwt-bearer"}, "client_assertion": {assertion}})
	if err != nil {
		t.Fatal(err)
	}
	var tok exchange.Token
	b, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != 200 || json.Unmarshal(b, &tok) != nil || tok.AccessToken == "" {
		t.Fatalf("a token at the exchange listener, audience %s: %d %s", tokenURL, res.StatusCode, b)
	}
	req, _ := http.NewRequest("GET", "https://"+addr+"/listClients", nil)
	req.Header.Set("Authorization", "Bearer "+tok.AccessToken)
	req.Header.Set("X-Road-Client", sub)
	res, err = anon.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, _ = io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != 200 || !strings.Contains(string(b), `"member_code":"VCB"`) {
		t.Errorf("listClients with the token: %d %s", res.StatusCode, b)
	}
}

// memberServiceOnDemo follows the README's member-published service: the
// hospital publishes a service (the CLI), the driving-licence authority
// is granted it and calls it through the exchange; the answer's evidence,
// downloaded, verifies with populus evidence and the CA's certificate,
// and a changed answer does not.
func memberServiceOnDemo(t *testing.T, data, addr string, client func(string) *http.Client) {
	t.Helper()
	provider := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"card":"HS4010123456789","valid":"2027-12-31","path":"`+r.URL.Path+`"}`)
	}))
	defer provider.Close()
	dir := t.TempDir()
	doc := filepath.Join(dir, "openapi.json")
	os.WriteFile(doc, []byte(`{"openapi":"3.1.0","info":{"title":"Thẻ BHYT","version":"1"},"paths":{"/cards/{id}":{"get":{"responses":{"200":{"description":"the card"}}}}}}`), 0o600)
	const svc = "VN/HEALTH/BV-DEMO/HIS/insurance-card"
	for _, args := range [][]string{
		{"exchange", "services", "add", "--data", data, "--id", svc, "--title", "Thẻ bảo hiểm y tế", "--base-url", provider.URL + "/api", "--fields", "card,valid", "--openapi", doc, "--endpoints", "GET /cards/{id}"},
		{"exchange", "grant", "--data", data, "--subsystem", "VN/GOV/CSGT-DEMO/GPLX", "--service", svc, "--fields", "card,valid", "--purposes", "DRIVING-LICENCE"},
	} {
		var out, errb strings.Builder
		if err := run(context.Background(), args, func(string) string { return "" }, &out, &errb); err != nil {
			t.Fatalf("%s: %v %s", strings.Join(args[:3], " "), err, errb.String())
		}
	}
	get := func(sub, path string, h map[string]string) (*http.Response, []byte) {
		t.Helper()
		req, _ := http.NewRequest("GET", "https://"+addr+path, nil)
		for k, v := range h {
			req.Header.Set(k, v)
		}
		res, err := client(sub).Do(req)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(res.Body)
		res.Body.Close()
		return res, b
	}
	var res *http.Response
	var answer []byte
	for range 50 { // the catalogue is read again within 2 s
		res, answer = get("VN/GOV/CSGT-DEMO/GPLX", "/r1/"+svc+"/cards/123", map[string]string{"X-Road-Client": "VN/GOV/CSGT-DEMO/GPLX", "X-Road-Issue": "DRIVING-LICENCE", "X-Road-UserId": "VN-CSGT-0042"})
		if res.StatusCode != 404 {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	if res.StatusCode != 200 || !strings.Contains(string(answer), `"path":"/api/cards/123"`) || res.Header.Get("X-Populus-Response-Signature") == "" {
		t.Fatalf("README: the member's service through the exchange: %d %s", res.StatusCode, answer)
	}
	_, evidence := get("VN/HEALTH/BV-DEMO/HIS", "/api/v1/exchange/evidence/"+res.Header.Get("X-Populus-Evidence"), nil)
	_, caPEM := get("VN/HEALTH/BV-DEMO/HIS", "/api/v1/exchange/ca", nil)
	for name, b := range map[string][]byte{"evidence.json": evidence, "ca.pem": caPEM, "answer.json": answer, "changed.json": append([]byte(" "), answer...)} {
		os.WriteFile(filepath.Join(dir, name), b, 0o600)
	}
	var out, errb strings.Builder
	verify := func(body string) error {
		return run(context.Background(), []string{"evidence", "--ca", filepath.Join(dir, "ca.pem"), filepath.Join(dir, "evidence.json"), filepath.Join(dir, body)},
			func(string) string { return "" }, &out, &errb)
	}
	if err := verify("answer.json"); err != nil || !strings.Contains(out.String(), "The answer verifies: "+svc+" answered VN/GOV/CSGT-DEMO/GPLX with status 200") {
		t.Errorf("populus evidence --ca, the provider's evidence: %v\n%s%s", err, out.String(), errb.String())
	}
	if err := verify("changed.json"); err == nil || !strings.Contains(err.Error(), "the body is not the answer") {
		t.Errorf("populus evidence --ca, a changed answer: %v", err)
	}
}

// The exchange's CLI onboards a member: member, subsystem, right,
// certificate (its key written, the CA's beside it), list, revoke; a bad
// right is refused naming the fields.
func TestExchangeCLI(t *testing.T) {
	dir := t.TempDir()
	mk := "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="
	e := env(map[string]string{"POPULUS_MASTER_KEY": mk})
	step := func(want string, args ...string) error {
		t.Helper()
		var out, errb strings.Builder
		err := run(t.Context(), append(args[:2:2], append([]string{"--data", dir}, args[2:]...)...), e, &out, &errb)
		if err == nil && !strings.Contains(out.String(), want) {
			t.Errorf("%v: %q, want %q", args, out.String(), want)
		}
		return err
	}
	for _, s := range [][]string{
		{"exchange", "members", "add", "--id", "VN/COM/ACB", "--name", "Ngân hàng ACB"},
		{"exchange", "subsystems", "add", "--id", "VN/COM/ACB/KYC", "--name", "eKYC"},
		{"exchange", "grant", "--subsystem", "VN/COM/ACB/KYC", "--service", "VN/GOV/BCA/C06-REGISTER/person", "--fields", "full_name,birth_date", "--purposes", "KYC"},
		{"exchange", "cert", "VN/COM/ACB/KYC", "--out", filepath.Join(dir, "certs")},
	} {
		// members add / subsystems add take their subcommand before the flags.
		args := s
		if s[1] == "members" || s[1] == "subsystems" {
			args = append([]string{s[0], s[1], s[2], "--data", dir}, s[3:]...)
			var out, errb strings.Builder
			if err := run(t.Context(), args, e, &out, &errb); err != nil || !strings.Contains(out.String(), "registered") {
				t.Fatalf("%v: %v %s", s, err, out.String())
			}
			continue
		}
		if err := step("", args...); err != nil {
			t.Fatalf("%v: %v", s, err)
		}
	}
	for _, f := range []string{"VN_COM_ACB_KYC.crt", "VN_COM_ACB_KYC.key", "ca.pem"} {
		if _, err := os.Stat(filepath.Join(dir, "certs", f)); err != nil {
			t.Error(err)
		}
	}
	// For the member's signing request: the certificate, no key.
	memberKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	csrDER, _ := x509.CreateCertificateRequest(rand.Reader, &x509.CertificateRequest{}, memberKey)
	csrFile := filepath.Join(dir, "member.csr")
	os.WriteFile(csrFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE REQUEST", Bytes: csrDER}), 0o600)
	if err := step("for the key of "+csrFile, "exchange", "cert", "VN/COM/ACB/KYC", "--csr", csrFile, "--out", filepath.Join(dir, "csr")); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, "csr", "VN_COM_ACB_KYC.key")); err == nil {
		t.Error("a key written for a signing request")
	}
	if b, err := os.ReadFile(filepath.Join(dir, "csr", "VN_COM_ACB_KYC.crt")); err != nil {
		t.Error(err)
	} else if blk, _ := pem.Decode(b); blk == nil {
		t.Error("no certificate written")
	} else if c, err := x509.ParseCertificate(blk.Bytes); err != nil || !memberKey.PublicKey.Equal(c.PublicKey) {
		t.Errorf("the certificate is not for the request's key: %v", err)
	}
	if err := step("right      VN/COM/ACB/KYC", "exchange", "list"); err != nil {
		t.Fatal(err)
	}
	// One certificate revoked by its serial, as list shows it; again: not
	// a valid one.
	var listed strings.Builder
	if err := run(t.Context(), []string{"exchange", "list", "--data", dir}, e, &listed, io.Discard); err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`certificate ([0-9a-f]+) +VN/COM/ACB/KYC +until \d{4}-\d{2}-\d{2}\n`).FindStringSubmatch(listed.String())
	if m == nil {
		t.Fatalf("exchange list shows no certificate:\n%s", listed.String())
	}
	if err := step(m[1]+" revoked", "exchange", "revoke", m[1]); err != nil {
		t.Fatal(err)
	}
	if err := step("", "exchange", "revoke", m[1]); err == nil || !strings.Contains(err.Error(), "no valid certificate") {
		t.Errorf("a certificate revoked twice: %v", err)
	}
	if err := step("revoked", "exchange", "list"); err != nil || !strings.Contains(listed.String(), "VN/COM/ACB/KYC") {
		t.Fatal(err)
	}
	if err := step("", "exchange", "grant", "--subsystem", "VN/COM/ACB/KYC", "--service", "VN/GOV/BCA/C06-REGISTER/person", "--fields", "address", "--purposes", "KYC"); err == nil || !strings.HasPrefix(err.Error(), "--fields: address is not a field") {
		t.Errorf("a bad grant: %v", err)
	}
	// A problem's fields are said with the flags they come from.
	var out, errb strings.Builder
	if err := run(t.Context(), []string{"exchange", "members", "add", "--data", dir, "--id", "bad", "--name", ""}, e, &out, &errb); err == nil ||
		!strings.Contains(err.Error(), "--id: ") || !strings.Contains(err.Error(), "--name: ") || strings.Contains(err.Error(), "not valid") {
		t.Errorf("a bad member: %v", err)
	}
	if err := step("VN/COM/ACB/KYC may no longer call VN/GOV/BCA/C06-REGISTER/person", "exchange", "withdraw", "--subsystem", "VN/COM/ACB/KYC", "--service", "VN/GOV/BCA/C06-REGISTER/person"); err != nil {
		t.Fatal(err)
	}
	if err := step("", "exchange", "withdraw", "--subsystem", "VN/COM/ACB/KYC", "--service", "VN/GOV/BCA/C06-REGISTER/person"); err == nil || !strings.Contains(err.Error(), "no right") {
		t.Errorf("a right withdrawn twice: %v", err)
	}
	// A member's own service published, granted, then removed with the
	// right on it; a built-in service is not removed.
	doc := filepath.Join(dir, "openapi.json")
	os.WriteFile(doc, []byte(`{"openapi":"3.0.3","info":{"title":"KYC","version":"1"},"paths":{}}`), 0o600)
	svc := "VN/COM/ACB/KYC/accounts"
	services := func(want string, args ...string) error {
		t.Helper()
		var out, errb strings.Builder
		err := run(t.Context(), append([]string{"exchange", "services", args[0], "--data", dir}, args[1:]...), e, &out, &errb)
		if err == nil && !strings.Contains(out.String(), want) {
			t.Errorf("services %v: %q, want %q", args, out.String(), want)
		}
		return err
	}
	if err := services("published", "add", "--id", svc, "--title", "Tài khoản", "--base-url", "http://127.0.0.1:9/acb", "--fields", "account,open", "--openapi", doc); err != nil {
		t.Fatal(err)
	}
	if err := step("", "exchange", "grant", "--subsystem", "VN/COM/ACB/KYC", "--service", svc, "--fields", "open", "--purposes", "KYC"); err != nil {
		t.Fatal(err)
	}
	if err := services("service "+svc+" removed, rights on it withdrawn: 1", "remove", svc); err != nil {
		t.Fatal(err)
	}
	if err := services("", "remove", svc); err == nil || !strings.Contains(err.Error(), "no service") {
		t.Errorf("a service removed twice: %v", err)
	}
	if err := services("", "remove", exchange.Platform+"/person"); err == nil || !strings.Contains(err.Error(), "register's own services") {
		t.Errorf("a built-in service removed: %v", err)
	}
	if err := services("", "add", "--id", svc+"2", "--title", "Tài khoản", "--fields", "account", "--openapi", doc); err == nil || !strings.Contains(err.Error(), "--base-url: is required") {
		t.Errorf("a member's service without its base URL: %v", err)
	}
	if err := services("", "frob"); err == nil || !strings.Contains(err.Error(), "add or remove") {
		t.Errorf("exchange services frob: %v", err)
	}
	listed.Reset()
	if err := run(t.Context(), []string{"exchange", "list", "--data", dir}, e, &listed, io.Discard); err != nil || strings.Contains(listed.String(), svc) {
		t.Errorf("the removed service listed: %v\n%s", err, listed.String())
	}
	if err := step("revoked", "exchange", "revoke", "VN/COM/ACB"); err != nil {
		t.Fatal(err)
	}
	// A revoked provider publishes nothing.
	if err := services("", "add", "--id", svc, "--title", "Tài khoản", "--base-url", "http://127.0.0.1:9/acb", "--fields", "account", "--openapi", doc); err == nil || !strings.Contains(err.Error(), "is revoked") {
		t.Errorf("a service of a revoked subsystem: %v", err)
	}
	if err := step("", "exchange", "grant", "--fields", "full_name"); err == nil || !strings.Contains(err.Error(), "--subsystem and --service are required") {
		t.Errorf("a grant without its subsystem and service: %v", err)
	}
	if err := step("", "exchange", "revoke", "nonsense"); err == nil || !strings.Contains(err.Error(), "neither a member or subsystem") {
		t.Errorf("revoke nonsense: %v", err)
	}
	// The command line's changes are in the audit log, as the console's.
	d, err := db.Open(t.Context(), "", dir)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	for subject, want := range map[string]int{"VN/COM/ACB": 2, "VN/COM/ACB/KYC": 6, svc: 2} {
		var n int
		if err := d.QueryRow(`SELECT count(*) FROM audit_log WHERE actor = 'system:cli' AND action = 'exchange.manage' AND subject = $1`, subject).Scan(&n); err != nil || n != want {
			t.Errorf("%d changes of %s by the command line audited (%v), want %d", n, subject, err, want)
		}
	}
	if err := step("", "exchange", "frob"); err == nil || !strings.Contains(err.Error(), "unknown subcommand") {
		t.Errorf("unknown subcommand: %v", err)
	}
}

// The exchange's limits come from serve's flags and environment: the
// defaults, a variable, a flag; 0 is no limit (negative in
// exchange.Options).
func TestExchangeLimitFlags(t *testing.T) {
	limits := func(vars map[string]string, args ...string) [2]int {
		t.Helper()
		var c config
		f := newFlags("serve", env(vars), io.Discard)
		f.server(&c, "text")
		if err := f.parse(args); err != nil {
			t.Fatal(err)
		}
		return [2]int{perMinute(c.ExchangeRequestsPerMinute), perMinute(c.ExchangeBatchRowsPerMinute)}
	}
	for _, c := range []struct {
		vars map[string]string
		args []string
		want [2]int
	}{
		{nil, nil, [2]int{exchange.DefaultRequestsPerMinute, exchange.DefaultBatchRowsPerMinute}},
		{map[string]string{"POPULUS_EXCHANGE_BATCH_ROWS_PER_MINUTE": "2"}, []string{"--exchange-requests-per-minute", "0"}, [2]int{-1, 2}},
		{nil, []string{"--exchange-requests-per-minute", "50", "--exchange-batch-rows-per-minute", "0"}, [2]int{50, -1}},
	} {
		if got := limits(c.vars, c.args...); got != c.want {
			t.Errorf("%v %v: %v, want %v", c.vars, c.args, got, c.want)
		}
	}
}
