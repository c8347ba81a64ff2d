package exchange_test

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"

	"github.com/populus-vn/populus/internal/db"
	"github.com/populus-vn/populus/internal/db/dbtest"
	"github.com/populus-vn/populus/internal/exchange"
	"github.com/populus-vn/populus/internal/problem"
)

// AuthorizeField decides as the look-up does: a field the right grants
// for the purpose passes, with the consent's id where the purpose needs
// one; a field not granted, another purpose, a purpose the catalogue
// lacks, no right, no consent, an unknown or revoked subsystem, or a
// revoked member is refused with a problem saying why.
func TestAuthorizeField(t *testing.T) {
	dbtest.Engines(t, schemas, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		pin := e.Lan.PIN
		refused := func(name string, err error, kind problem.Kind, why string) {
			t.Helper()
			if !problem.Is(err, kind) || !strings.Contains(err.Error(), why) {
				t.Errorf("%s: want %s saying %q, got %v", name, kind, why, err)
			}
		}
		// The hospital: no consent needed for health insurance checks.
		if id, err := e.x.AuthorizeField(e.Ctx, hospital, "HEALTH-INSURANCE-CHECK", pin, "permanent_residence"); err != nil || id != "" {
			t.Errorf("hospital, permanent_residence: %q %v", id, err)
		}
		_, err := e.x.AuthorizeField(e.Ctx, hospital, "HEALTH-INSURANCE-CHECK", pin, "status")
		refused("hospital, status", err, problem.Forbidden, "may not read status")
		_, err = e.x.AuthorizeField(e.Ctx, hospital, "KYC", pin, "full_name")
		refused("hospital for KYC", err, problem.Forbidden, "for HEALTH-INSURANCE-CHECK only")
		_, err = e.x.AuthorizeField(e.Ctx, hospital, "GOSSIP", pin, "full_name")
		refused("an unknown purpose", err, problem.Invalid, "not a purpose of the catalogue")
		// The bank: KYC needs the person's consent.
		_, err = e.x.AuthorizeField(e.Ctx, bank, "KYC", pin, "status")
		refused("bank without consent", err, problem.Forbidden, "no consent")
		e.consents.given[[3]string{pin, bank, "KYC"}] = "c-42"
		if id, err := e.x.AuthorizeField(e.Ctx, bank, "KYC", pin, "status"); err != nil || id != "c-42" {
			t.Errorf("bank with consent: %q %v", id, err)
		}
		_, err = e.x.AuthorizeField(e.Ctx, bank, "KYC", pin, "permanent_residence")
		refused("bank, the address", err, problem.Forbidden, "may not read permanent_residence")
		_, err = e.x.AuthorizeField(e.Ctx, "VN/COM/NONE/EKYC", "KYC", pin, "status")
		refused("an unknown subsystem", err, problem.Forbidden, "not a subsystem")
		// An Access decided before a revocation keeps deciding its batch;
		// the next one is refused.
		a, err := e.x.Access(e.Ctx, hospital, exchange.PersonService, "HEALTH-INSURANCE-CHECK")
		if err != nil {
			t.Fatal(err)
		}
		if err := e.x.Revoke(e.Ctx, hospital); err != nil {
			t.Fatal(err)
		}
		if _, err := a.Fields(e.Ctx, pin, "full_name"); err != nil {
			t.Errorf("the batch's access: %v", err)
		}
		_, err = e.x.AuthorizeField(e.Ctx, hospital, "HEALTH-INSURANCE-CHECK", pin, "full_name")
		refused("a revoked subsystem", err, problem.Forbidden, "revoked")
		if err := e.x.Revoke(e.Ctx, "VN/COM/VCB"); err != nil {
			t.Fatal(err)
		}
		_, err = e.x.AuthorizeField(e.Ctx, bank, "KYC", pin, "status")
		refused("a revoked member", err, problem.Forbidden, "revoked")
	})
}

// The choices of the citizen's consent form: the systems that hold a right
// for a purpose that needs consent (the bank for KYC, not the hospital nor
// the driving-licence authority), with their member's name, those
// purposes, and the fields such rights grant; a revoked system is gone.
func TestConsentChoices(t *testing.T) {
	dbtest.Engines(t, schemas, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		ch, err := e.x.ConsentChoices(e.Ctx)
		if err != nil {
			t.Fatal(err)
		}
		if len(ch.Clients) != 1 || ch.Clients[0].Code != bank || !strings.HasPrefix(ch.Clients[0].Name, "Ngân hàng Demo") {
			t.Errorf("clients: %+v", ch.Clients)
		}
		if len(ch.Purposes) != 1 || ch.Purposes[0].Code != "KYC" || ch.Purposes[0].Name == "" {
			t.Errorf("purposes: %+v", ch.Purposes)
		}
		if got := strings.Join(ch.Fields, ","); got != "full_name,birth_date,status,card_number,alive" {
			t.Errorf("fields: %s", got)
		}
		if err := e.x.Revoke(e.Ctx, bank); err != nil {
			t.Fatal(err)
		}
		if ch, err := e.x.ConsentChoices(e.Ctx); err != nil || len(ch.Clients) != 0 {
			t.Errorf("after the bank's system is revoked: %+v %v", ch.Clients, err)
		}
	})
}

// A subsystem's certificates are listed with their serials; one revoked
// by its serial is refused at its next request, the subsystem's other
// ways in (a token) still work.
func TestCertificateRevokedAlone(t *testing.T) {
	dbtest.Engines(t, schemas, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		cs, err := e.x.Certificates(e.Ctx, hospital)
		if err != nil || len(cs) != 1 || cs[0].Subsystem != hospital || !cs[0].RevokedAt.IsZero() || !cs[0].NotAfter.After(time.Now()) {
			t.Fatalf("certificates: %+v %v", cs, err)
		}
		look := func(c *http.Client, h map[string]string) int {
			return e.do(t, c, "GET", "/r1/"+person+"/"+e.Lan.PIN, h, "").status
		}
		if s := look(e.client(hospital), xroad(hospital, "HEALTH-INSURANCE-CHECK")); s != http.StatusOK {
			t.Fatalf("before: %d", s)
		}
		revoked := cs[0].Serial
		if err := e.x.RevokeCertificate(e.Ctx, revoked); err != nil {
			t.Fatal(err)
		}
		if s := look(e.client(hospital), xroad(hospital, "HEALTH-INSURANCE-CHECK")); s != http.StatusUnauthorized {
			t.Errorf("with the revoked certificate: %d", s)
		}
		// The subsystem is kept: a new certificate opens the exchange.
		iss, err := e.x.IssueCertificate(e.Ctx, hospital)
		if err != nil {
			t.Fatal(err)
		}
		pair, err := tls.X509KeyPair(iss.CertPEM, iss.KeyPEM)
		if err != nil {
			t.Fatal(err)
		}
		e.certs[hospital] = pair
		if s := look(e.client(hospital), xroad(hospital, "HEALTH-INSURANCE-CHECK")); s != http.StatusOK {
			t.Errorf("the subsystem with a new certificate: %d", s)
		}
		if cs, err := e.x.Certificates(e.Ctx, ""); err != nil || len(cs) != 4 {
			t.Errorf("all certificates: %d %v", len(cs), err)
		} else if now, _ := e.x.Certificates(e.Ctx, hospital); len(now) != 2 || !slices.ContainsFunc(now, func(c exchange.Certificate) bool { return c.Serial == revoked && !c.RevokedAt.IsZero() }) {
			t.Errorf("the revoked certificate is not listed as revoked: %+v", now)
		}
	})
}

// A certificate whose key became the subsystem's for client assertions
// (it had none): revoking the certificate takes that key and the tokens it
// got, at once; a new assertion signed with it is refused.
func TestCertificateKeyRevoked(t *testing.T) {
	dbtest.Engines(t, schemas, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		const sub = "VN/COM/VCB/APP"
		if _, err := e.x.AddSubsystem(e.Ctx, sub, "Ứng dụng", nil); err != nil {
			t.Fatal(err)
		}
		if err := e.x.Grant(e.Ctx, exchange.Right{Subsystem: sub, Service: person, Fields: []string{"full_name"}, Purposes: []string{"KYC"}}); err != nil {
			t.Fatal(err)
		}
		e.consents.given[[3]string{e.Lan.PIN, sub, "KYC"}] = "c-app"
		iss, err := e.x.IssueCertificate(e.Ctx, sub)
		if err != nil {
			t.Fatal(err)
		}
		e.keys[sub] = iss.KeyPEM
		var tok exchange.Token
		if res := e.token(t, e.assertion(t, sub, e.tokenURL, "k-1", time.Minute)); json.Unmarshal([]byte(res.body), &tok) != nil || tok.AccessToken == "" {
			t.Fatalf("a token with the certificate's key: %d %s", res.status, res.body)
		}
		h := xroad(sub, "KYC")
		h["Authorization"] = "Bearer " + tok.AccessToken
		if r := e.do(t, e.client(""), "GET", "/r1/"+person+"/"+e.Lan.PIN, h, ""); r.status != http.StatusOK {
			t.Fatalf("with the token: %d %s", r.status, r.body)
		}
		if err := e.x.RevokeCertificate(e.Ctx, iss.Serial); err != nil {
			t.Fatal(err)
		}
		if r := e.do(t, e.client(""), "GET", "/r1/"+person+"/"+e.Lan.PIN, h, ""); r.status != http.StatusUnauthorized {
			t.Errorf("the token taken with the revoked certificate's key: %d %s", r.status, r.body)
		}
		if res := e.token(t, e.assertion(t, sub, e.tokenURL, "k-2", time.Minute)); res.status != http.StatusUnauthorized {
			t.Errorf("a new assertion signed with the revoked certificate's key: %d %s", res.status, res.body)
		}
		// The subsystem is not revoked: a new certificate gives it a key.
		if iss, err = e.x.IssueCertificate(e.Ctx, sub); err != nil {
			t.Fatal(err)
		}
		e.keys[sub] = iss.KeyPEM
		if res := e.token(t, e.assertion(t, sub, e.tokenURL, "k-3", time.Minute)); res.status != http.StatusOK {
			t.Errorf("with a new certificate's key: %d %s", res.status, res.body)
		}
	})
}

// A subsystem's key registered as a JWK and certified later by a signing
// request is the certificate's key: revoking the certificate removes it
// (assertions signed with it refused); revoking a certificate of another
// key leaves the registered key in place.
func TestRegisteredKeyRevokedWithItsCertificate(t *testing.T) {
	dbtest.Engines(t, schemas, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		const sub = "VN/COM/VCB/JWK"
		key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		jwk, err := jose.JSONWebKey{Key: key.Public(), KeyID: "member-chosen", Algorithm: string(jose.ES256), Use: "sig"}.MarshalJSON()
		if err != nil {
			t.Fatal(err)
		}
		if _, err := e.x.AddSubsystem(e.Ctx, sub, "Hệ thống có khoá riêng", jwk); err != nil {
			t.Fatal(err)
		}
		keyDER, _ := x509.MarshalPKCS8PrivateKey(key)
		e.keys[sub] = pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER})
		other, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		unrelated, err := e.x.IssueCertificateForCSR(e.Ctx, sub, csrPEM(t, other))
		if err != nil {
			t.Fatal(err)
		}
		same, err := e.x.IssueCertificateForCSR(e.Ctx, sub, csrPEM(t, key))
		if err != nil {
			t.Fatal(err)
		}
		if r := e.token(t, e.assertion(t, sub, e.tokenURL, "jwk-1", time.Minute)); r.status != http.StatusOK {
			t.Fatalf("an assertion signed with the registered key: %d %s", r.status, r.body)
		}
		if err := e.x.RevokeCertificate(e.Ctx, unrelated.Serial); err != nil {
			t.Fatal(err)
		}
		if r := e.token(t, e.assertion(t, sub, e.tokenURL, "jwk-2", time.Minute)); r.status != http.StatusOK {
			t.Errorf("after revoking another key's certificate: %d %s", r.status, r.body)
		}
		if err := e.x.RevokeCertificate(e.Ctx, same.Serial); err != nil {
			t.Fatal(err)
		}
		if r := e.token(t, e.assertion(t, sub, e.tokenURL, "jwk-3", time.Minute)); r.status != http.StatusUnauthorized {
			t.Errorf("after revoking the registered key's certificate: %d %s", r.status, r.body)
		}
	})
}

// csrPEM is a certificate signing request for key, PEM.
func csrPEM(t *testing.T, key crypto.Signer) []byte {
	t.Helper()
	der, err := x509.CreateCertificateRequest(rand.Reader, &x509.CertificateRequest{Subject: pkix.Name{CommonName: "anything"}}, key)
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE REQUEST", Bytes: der})
}

// A member sends a signing request: the certificate is for its key, which
// Populus never sees; the key becomes the subsystem's for client
// assertions; the certificate opens the exchange. A request that does not
// verify, or a weak key, is refused naming csr.
func TestCertificateForCSR(t *testing.T) {
	dbtest.Engines(t, schemas, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		const sub = "VN/COM/VCB/CSR"
		if _, err := e.x.AddSubsystem(e.Ctx, sub, "Hệ thống CSR", nil); err != nil {
			t.Fatal(err)
		}
		key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		iss, err := e.x.IssueCertificateForCSR(e.Ctx, sub, csrPEM(t, key))
		if err != nil || len(iss.KeyPEM) != 0 {
			t.Fatalf("issue: %v, key %d bytes", err, len(iss.KeyPEM))
		}
		keyDER, _ := x509.MarshalPKCS8PrivateKey(key)
		pair, err := tls.X509KeyPair(iss.CertPEM, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER}))
		if err != nil {
			t.Fatalf("the certificate is not for the request's key: %v", err)
		}
		leaf, _ := x509.ParseCertificate(pair.Certificate[0])
		if leaf.Subject.CommonName != sub {
			t.Errorf("the certificate names %q", leaf.Subject.CommonName)
		}
		e.certs[sub], e.keys[sub] = pair, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER})
		if r := e.do(t, e.client(sub), "GET", "/listClients", map[string]string{exchange.HeaderClient: sub}, ""); r.status != http.StatusOK {
			t.Errorf("listClients with the certificate: %d %s", r.status, r.body)
		}
		if r := e.token(t, e.assertion(t, sub, e.tokenURL, "csr-1", time.Minute)); r.status != http.StatusOK {
			t.Errorf("an assertion signed with the request's key: %d %s", r.status, r.body)
		}
		weak, _ := rsa.GenerateKey(rand.Reader, 1024)
		tampered := csrPEM(t, key)
		blk, _ := pem.Decode(tampered)
		blk.Bytes[len(blk.Bytes)-3] ^= 0xff
		for name, bad := range map[string][]byte{"garbage": []byte("not a request"), "weak RSA key": csrPEM(t, weak), "bad signature": pem.EncodeToMemory(blk)} {
			if _, err := e.x.IssueCertificateForCSR(e.Ctx, sub, bad); !strings.Contains(fmt.Sprint(problem.BodyOf(err, "").Errors), "csr") {
				t.Errorf("%s: %v", name, err)
			}
		}
	})
}

// A right withdrawn is refused at the subsystem's next call, audited as a
// refusal; withdrawing it again says there is none.
func TestRightWithdrawn(t *testing.T) {
	dbtest.Engines(t, schemas, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		look := func() result {
			return e.do(t, e.client(hospital), "GET", "/r1/"+person+"/"+e.Lan.PIN, xroad(hospital, "HEALTH-INSURANCE-CHECK"), "")
		}
		if r := look(); r.status != http.StatusOK {
			t.Fatalf("before: %d %s", r.status, r.body)
		}
		if err := e.x.WithdrawRight(e.Ctx, hospital, person); err != nil {
			t.Fatal(err)
		}
		if r := look(); r.status != http.StatusForbidden || !strings.Contains(r.body, "no right") {
			t.Errorf("after the withdrawal: %d %s", r.status, r.body)
		}
		if err := e.x.WithdrawRight(e.Ctx, hospital, person); !problem.Is(err, problem.NotFound) {
			t.Errorf("withdrawn twice: %v", err)
		}
		if rs, err := e.x.Rights(e.Ctx, hospital); err != nil || slices.ContainsFunc(rs, func(r exchange.Right) bool { return r.Service == person }) {
			t.Errorf("the hospital's rights: %+v %v", rs, err)
		}
	})
}

// A consent a subsystem asks a citizen for must be one its rights could
// use: a purpose it holds a right for, fields those rights grant.
func TestEntitled(t *testing.T) {
	e := newEnv(t, dbtest.SQLite(t, schemas...))
	for _, c := range []struct {
		sub, purpose string
		fields       []string
		field        string // the field refused; "" for none
	}{
		{bank, "KYC", []string{"full_name", "birth_date"}, ""},
		{bank, "KYC", []string{"full_name", "permanent_residence"}, "fields"},
		{hospital, "KYC", []string{"full_name"}, "purpose"},
		{"VN/COM/NOBODY/X", "KYC", []string{"full_name"}, "purpose"},
	} {
		err := e.x.Entitled(e.Ctx, c.sub, c.purpose, c.fields)
		if c.field == "" && err != nil || c.field != "" && (!problem.Is(err, problem.Invalid) || !strings.Contains(err.Error(), c.field)) {
			t.Errorf("%s %s %v: %v", c.sub, c.purpose, c.fields, err)
		}
	}
}
