package exchange_test

import (
	"net/http"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/populus-vn/populus/internal/exchange"
	"github.com/populus-vn/populus/internal/problem"
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
// purpose code and a request id, and an official's id without the audit
// detail's separator.
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
		if _, err := exchange.ParseSubsystem(out.Client); err != nil || out.Issue == "" || out.RequestID == "" || strings.Contains(out.UserID, ";") {
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

// A batch's body, CSV or NDJSON, is read without a panic to its end, one
// row at a time (no more rows than lines); each refused header or row
// names the field that is wrong.
func FuzzBatchRequests(f *testing.F) {
	f.Add(true, "pin,full_name,birth_date\n001190000001,Nguyễn Thị Lan,1990-05-17\n001190000002,\"Trần, Văn\",17/05/1990\n")
	f.Add(true, "pin,age_at_least,alive,address\n001190000001,x,maybe,00004|Số 1\n001190000001\n\"unterminated\n")
	f.Add(true, "full_name\nA\n")
	f.Add(false, `{"pin":"001190000001","full_name":"Nguyễn Thị Lan","alive":true}`+"\n\n"+`{"pin":"1","extra":1}`+"\nnot json\n")
	f.Add(false, strings.Repeat("x", 20<<10)+"\n{}\n")
	fields := append([]string{"body"}, exchange.VerifyFields...)
	f.Fuzz(func(t *testing.T, isCSV bool, body string) {
		named := func(err error) {
			b := problem.BodyOf(err, "")
			if len(b.Errors) == 0 {
				t.Fatalf("%.300q: an error naming no field: %v", body, err)
			}
			for _, fe := range b.Errors {
				if !slices.Contains(fields, fe.Field) || fe.Reason == "" {
					t.Fatalf("%.300q: an error naming %q: %q", body, fe.Field, fe.Reason)
				}
			}
		}
		next, err := exchange.BatchRequests(isCSV, strings.NewReader(body))
		if err != nil {
			named(err)
			return
		}
		rows, max := 0, strings.Count(body, "\n")+1
		for {
			_, ok, err := next()
			if !ok {
				break
			}
			if rows++; rows > max {
				t.Fatalf("%.300q: more than %d rows", body, max)
			}
			if err != nil {
				named(err)
			}
		}
	})
}

// An evidence id from a URL is accepted only as a PIN, a dot and 32
// lower-case hex digits, and names that PIN.
func FuzzAnswerSubject(f *testing.F) {
	for _, s := range []string{"001190000001.0123456789abcdef0123456789abcdef", "001190000001.0123456789ABCDEF0123456789ABCDEF", "00119000000.x", "..", "001190000001.", "００1190000001.0123456789abcdef0123456789abcdef"} {
		f.Add(s)
	}
	valid := regexp.MustCompile(`^[0-9]{12}\.[0-9a-f]{32}$`)
	now := time.Now()
	f.Fuzz(func(t *testing.T, id string) {
		subject, ok := exchange.AnswerSubject(id)
		if ok != valid.MatchString(id) || (ok && subject != id[:12]) {
			t.Fatalf("%q: %q %v", id, subject, ok)
		}
		// The time an id holds, if any, is one the search can start from:
		// since 2020, not after now and a minute.
		if at, ok := exchange.EvidenceTime(id, now); ok && (at.Year() < 2020 || at.After(now.Add(time.Minute))) {
			t.Fatalf("%q: time %v", id, at)
		}
	})
}
