package exchange_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/populus-vn/populus/internal/exchange"
)

// The /r1/ path parser never panics, and what it accepts names a valid
// subsystem, and a valid service or a metadata call.
func FuzzParsePath(f *testing.F) {
	for _, s := range []string{"/r1/VN/GOV/BCA/C06-REGISTER/person/001090000001", "/r1/VN/GOV/BCA/C06-REGISTER/listMethods",
		"/r1/VN/COM/VCB/EKYC/svc/a/b%2Fc?x", "/r1/VN/GOV/BCA%2FX/C06/person", "/r1//////", "/r2/VN/GOV/BCA/C06/x"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		tg, err := exchange.ParsePath(s)
		if err != nil {
			return
		}
		if _, err := exchange.ParseSubsystem(tg.Service.Provider.String()); err != nil {
			t.Fatalf("%q accepted with provider %q: %v", s, tg.Service.Provider, err)
		}
		if tg.Meta == "" {
			if _, err := exchange.ParseService(tg.Service.String()); err != nil {
				t.Fatalf("%q accepted with service %q: %v", s, tg.Service, err)
			}
		}
	})
}

// The header parser never panics; what it accepts has a valid client, a
// purpose code and a request id.
func FuzzParseHeaders(f *testing.F) {
	f.Add("VN/COM/VCB/EKYC", "id-1", "KYC", "", "")
	f.Add("VN/COM/VCB", "", "", "officer", "Luật")
	f.Add("VN/COM/VCB/EKYC", "\x00", "K Y C", "\xff", strings.Repeat("x", 400))
	f.Fuzz(func(t *testing.T, client, id, issue, user, basis string) {
		h := http.Header{}
		for k, v := range map[string]string{exchange.HeaderClient: client, exchange.HeaderID: id, exchange.HeaderIssue: issue, exchange.HeaderUserID: user, exchange.HeaderLegalBasis: basis} {
			h[k] = []string{v}
		}
		out, err := exchange.ParseHeaders(h)
		if err != nil {
			return
		}
		if _, err := exchange.ParseSubsystem(out.Client); err != nil || out.Issue == "" || out.RequestID == "" {
			t.Fatalf("accepted %+v", out)
		}
	})
}

// The client assertion parser never panics; what it accepts names a
// subsystem as issuer and a jti.
func FuzzParseAssertion(f *testing.F) {
	f.Add("eyJhbGciOiJFUzI1NiJ9.eyJpc3MiOiJWTi9DT00vVkNCL0VLWUMiLCJzdWIiOiJWTi9DT00vVkNCL0VLWUMiLCJqdGkiOiIxIn0.AAAA")
	f.Add("eyJhbGciOiJub25lIn0.eyJpc3MiOiJ4In0.")
	f.Add("a.b.c")
	f.Add("")
	f.Fuzz(func(t *testing.T, s string) {
		a, err := exchange.ParseAssertion(s)
		if err != nil {
			return
		}
		if _, err := exchange.ParseSubsystem(a.Issuer); err != nil || a.JTI == "" {
			t.Fatalf("accepted %+v", a)
		}
	})
}
