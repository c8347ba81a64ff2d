package oidc_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"golang.org/x/oauth2"

	"github.com/populus-vn/populus/internal/db"
	"github.com/populus-vn/populus/internal/db/dbtest"
	"github.com/populus-vn/populus/internal/oidc"
)

// verify posts a verification as client (id, secret) and returns the
// status and the answer.
func (e *opEnv) verify(t *testing.T, id, secret, body string) (int, oidc.VerifyResponse, string) {
	t.Helper()
	req, _ := http.NewRequest("POST", e.srv.URL+"/api/v1/verify", strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.SetBasicAuth(id, secret)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	var out oidc.VerifyResponse
	json.Unmarshal(b, &out)
	return res.StatusCode, out, string(b)
}

// Yes/no verification: per field and predicate, with the documented reason
// codes, no personal data in the answer, every call audited (fields,
// purpose, outcome; no values); only an entitled client may ask.
func TestVerification(t *testing.T) {
	dbtest.Engines(t, schemas, func(t *testing.T, d *db.DB) {
		e := newOP(t, d)
		secret, err := e.prov.Clients().Register(e.Ctx, oidc.ClientConfig{ID: "kyc", Name: "Ngân hàng KYC", AuthMethod: oidc.AuthSecretBasic,
			RedirectURIs: []string{rpRedirect}, Scopes: []string{"openid"}, Verify: true})
		if err != nil {
			t.Fatal(err)
		}
		lan := e.Lan
		cases := []struct {
			name, body string
			match      bool
			codes      string
		}{
			{"all match", `{"pin":"` + lan.PIN + `","purpose":"mở tài khoản","full_name":"nguyễn thị  lan","birth_date":"1990-05-17","card_number":"` + lan.PIN + `","age_at_least":18,"resides_in":"01","alive":true}`, true, "[]"},
			{"name and date differ", `{"pin":"` + lan.PIN + `","purpose":"mở tài khoản","full_name":"Nguyễn Thị Lân","birth_date":"1990-05-18"}`, false, "[100,110]"},
			{"address differs", `{"pin":"` + lan.PIN + `","purpose":"x","address":{"unit_code":"00004","detail":"Số 2 Điện Biên Phủ"}}`, false, "[200]"},
			{"too young", `{"pin":"` + lan.PIN + `","purpose":"x","age_at_least":40}`, false, "[]"},
			{"deceased", `{"pin":"` + e.Ba.PIN + `","purpose":"x","full_name":"Lê Văn Ba"}`, false, "[400]"},
			{"unknown PIN", `{"pin":"001190000999","purpose":"x","full_name":"Ai Đó"}`, false, "[900]"},
		}
		for _, c := range cases {
			code, out, raw := e.verify(t, "kyc", secret, c.body)
			codes, _ := json.Marshal(out.ReasonCodes)
			if code != http.StatusOK || out.Match != c.match || string(codes) != c.codes {
				t.Errorf("%s: %d match %v codes %s (%s)", c.name, code, out.Match, codes, raw)
			}
			if strings.Contains(raw, "Nguyễn") || strings.Contains(raw, "1990") || strings.Contains(raw, "Điện Biên") {
				t.Errorf("%s: personal data in the answer: %s", c.name, raw)
			}
		}
		if code, _, raw := e.verify(t, "kyc", secret, `{"pin":"`+lan.PIN+`","purpose":"x","alive":true}`); code != http.StatusOK || !strings.Contains(raw, `"alive":true`) {
			t.Errorf("alive: %d %s", code, raw)
		}
		if code, _, raw := e.verify(t, "kyc", secret, `{"pin":"12","purpose":""}`); code != http.StatusUnprocessableEntity || !strings.Contains(raw, `"field":"pin"`) || !strings.Contains(raw, `"field":"purpose"`) {
			t.Errorf("invalid: %d %s", code, raw)
		}
		if code, _, _ := e.verify(t, "kyc", "wrong", cases[0].body); code != http.StatusUnauthorized {
			t.Errorf("wrong secret: %d", code)
		}
		if code, _, _ := e.verify(t, "bank", e.secret, cases[0].body); code != http.StatusForbidden {
			t.Errorf("client not entitled: %d", code)
		}
		if n := e.Count("SELECT count(*) FROM audit_log WHERE actor = 'client:kyc' AND action = $1 AND subject = $2 AND detail LIKE '%purpose mở tài khoản; no match 100,110'", oidc.ActionVerify, lan.PIN); n != 1 {
			t.Errorf("verification audited %d times", n)
		}
		if n := e.Count("SELECT count(*) FROM audit_log WHERE actor = 'client:kyc' AND detail LIKE '%Lân%'"); n != 0 {
			t.Error("a value asked was written to the audit log")
		}
		if n := e.Count("SELECT count(*) FROM audit_log WHERE actor = 'client:bank' AND action = $1 AND outcome = 'denied'", oidc.ActionVerify); n != 1 {
			t.Errorf("refusal audited %d times", n)
		}
	})
}

// A verification request of any form never fails with a server error.
func FuzzVerifyRequest(f *testing.F) {
	d := dbtest.SQLite(f, schemas...)
	e := newOPFor(f, d)
	secret, err := e.prov.Clients().Register(e.Ctx, oidc.ClientConfig{ID: "kyc", Name: "KYC", AuthMethod: oidc.AuthSecretBasic,
		RedirectURIs: []string{rpRedirect}, Scopes: []string{"openid"}, Verify: true})
	if err != nil {
		f.Fatal(err)
	}
	for _, s := range []string{
		`{"pin":"` + e.Lan.PIN + `","purpose":"x","full_name":"Nguyễn Thị Lan","birth_date":"1990-05-17"}`,
		`{"pin":"` + e.Lan.PIN + `","purpose":"x","age_at_least":-1,"resides_in":"0"}`,
		`{"pin":"` + e.Lan.PIN + `","purpose":"x","address":{"unit_code":"","detail":1}}`,
		`{"pin":null}`, `[]`, `{"pin":"1","pin":"2"}`,
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, body string) {
		req := httptest.NewRequest("POST", "/api/v1/verify", strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.SetBasicAuth("kyc", secret)
		w := httptest.NewRecorder()
		e.handler.ServeHTTP(w, req)
		if w.Code >= 500 {
			t.Fatalf("%q: %d %s", body, w.Code, w.Body)
		}
	})
}

// A client registered with purposes may give only those: another purpose
// is refused, naming the field and the purposes, and audited as refused.
func TestVerificationPurposes(t *testing.T) {
	dbtest.Engines(t, schemas, func(t *testing.T, d *db.DB) {
		e := newOP(t, d)
		if _, err := e.prov.Clients().Register(e.Ctx, oidc.ClientConfig{ID: "nope", Name: "X", AuthMethod: oidc.AuthSecretBasic,
			RedirectURIs: []string{rpRedirect}, Scopes: []string{"openid"}, Purposes: []string{"mở tài khoản"}}); err == nil || !strings.Contains(err.Error(), "verify_purposes") {
			t.Errorf("purposes without verification: %v", err)
		}
		secret, err := e.prov.Clients().Register(e.Ctx, oidc.ClientConfig{ID: "kyc", Name: "Ngân hàng KYC", AuthMethod: oidc.AuthSecretBasic,
			RedirectURIs: []string{rpRedirect}, Scopes: []string{"openid"}, Verify: true, Purposes: []string{"mở tài khoản", "vay tiêu dùng"}})
		if err != nil {
			t.Fatal(err)
		}
		code, out, raw := e.verify(t, "kyc", secret, `{"pin":"`+e.Lan.PIN+`","purpose":"vay tiêu dùng","full_name":"Nguyễn Thị Lan"}`)
		if code != http.StatusOK || !out.Match {
			t.Fatalf("registered purpose: %d %s", code, raw)
		}
		code, _, raw = e.verify(t, "kyc", secret, `{"pin":"`+e.Lan.PIN+`","purpose":"quảng cáo","full_name":"Nguyễn Thị Lan"}`)
		if code != http.StatusUnprocessableEntity || !strings.Contains(raw, `"purpose"`) ||
			!strings.Contains(raw, "must be one of the purposes registered for this client: mở tài khoản, vay tiêu dùng") || strings.Contains(raw, "match") {
			t.Errorf("other purpose: %d %s", code, raw)
		}
		if n := e.Audited("client:kyc", oidc.ActionVerify, e.Lan.PIN, "denied"); n != 1 {
			t.Errorf("refusal audited %d times", n)
		}
	})
}

// A relying party's verifications are bounded: per person in a day (a
// date of birth cannot be guessed day by day, nor an age bisected), per
// client in a minute; a refusal is a 429, audited against the person.
func TestVerificationLimits(t *testing.T) {
	dbtest.Engines(t, schemas, func(t *testing.T, d *db.DB) {
		e := newOP(t, d)
		e.prov.SetVerifyLimits(oidc.VerifyLimits{PerPersonPerDay: 3, PerMinute: 5})
		// One moment, in the middle of a minute and of a day in Vietnam.
		at := time.Date(2026, 12, 7, 10, 30, 30, 0, time.UTC)
		e.prov.SetClock(func() time.Time { return at })
		defer e.prov.SetClock(time.Now)
		secret, err := e.prov.Clients().Register(e.Ctx, oidc.ClientConfig{ID: "kyc", Name: "Ngân hàng KYC", AuthMethod: oidc.AuthSecretBasic,
			RedirectURIs: []string{rpRedirect}, Scopes: []string{"openid"}, Verify: true})
		if err != nil {
			t.Fatal(err)
		}
		ask := func(pin, date string) (int, string) {
			code, _, raw := e.verify(t, "kyc", secret, `{"pin":"`+pin+`","purpose":"mở tài khoản","birth_date":"`+date+`"}`)
			return code, raw
		}
		for i, date := range []string{"1990-01-01", "1990-01-02", "1990-01-03"} {
			if code, raw := ask(e.Lan.PIN, date); code != http.StatusOK {
				t.Fatalf("guess %d: %d %s", i+1, code, raw)
			}
		}
		if code, raw := ask(e.Lan.PIN, "1990-05-17"); code != http.StatusTooManyRequests || strings.Contains(raw, `"match"`) || !strings.Contains(raw, "this person") {
			t.Errorf("a fourth question about the person in a day: %d %s", code, raw)
		}
		if n := e.Count("SELECT count(*) FROM audit_log WHERE actor = 'client:kyc' AND action = $1 AND subject = $2 AND outcome = 'denied'", oidc.ActionVerify, e.Lan.PIN); n != 1 {
			t.Errorf("the refusal audited %d times against the person", n)
		}
		// Another person: until the minute's limit (5 answered in all).
		for i := range 2 {
			if code, raw := ask(e.Minh.PIN, "1990-01-01"); code != http.StatusOK {
				t.Fatalf("another person, %d: %d %s", i+1, code, raw)
			}
		}
		if code, raw := ask(e.Minh.PIN, "1990-01-02"); code != http.StatusTooManyRequests || !strings.Contains(raw, "minute") {
			t.Errorf("beyond the minute's limit: %d %s", code, raw)
		}
		// The next minute: the other person again; the first, the next day.
		at = at.Add(time.Minute)
		if code, raw := ask(e.Minh.PIN, "1990-01-02"); code != http.StatusOK {
			t.Errorf("the next minute: %d %s", code, raw)
		}
		if code, _ := ask(e.Lan.PIN, "1990-05-17"); code != http.StatusTooManyRequests {
			t.Errorf("the same day: %d", code)
		}
		at = at.Add(24 * time.Hour)
		if code, raw := ask(e.Lan.PIN, "1990-05-17"); code != http.StatusOK {
			t.Errorf("the next day: %d %s", code, raw)
		}
	})
}

// A disclosure is a read: while the audit log cannot record, a
// verification, an e-KYC record and the userinfo claims are not answered.
// (The register's own read, recorded first, fails here too; the answers'
// own entries, which were only logged as lost when they failed, now fail
// the answer as well, for a log that fails between the two.)
func TestDisclosuresNeedTheirAuditEntry(t *testing.T) {
	e := newOP(t, dbtest.SQLite(t, schemas...))
	e.Active(e.Lan)
	secret, err := e.prov.Clients().Register(e.Ctx, oidc.ClientConfig{ID: "kyc", Name: "Ngân hàng KYC", AuthMethod: oidc.AuthSecretBasic,
		RedirectURIs: []string{rpRedirect}, Scopes: []string{"openid"}, Verify: true})
	if err != nil {
		t.Fatal(err)
	}
	v := oauth2.GenerateVerifier()
	loc, page := e.signIn(e.browser(), e.authURL(v, []string{"openid", "profile"}), e.Lan, []string{"profile"})
	if loc == nil {
		t.Fatalf("no code: %.300s", page)
	}
	tok, err := e.config("openid", "profile").Exchange(e.Ctx, loc.Query().Get("code"), oauth2.VerifierOption(v))
	if err != nil {
		t.Fatal(err)
	}
	e.Log.Close() // the audit log fails from here on
	body := `{"pin":"` + e.Lan.PIN + `","purpose":"mở tài khoản","full_name":"Nguyễn Thị Lan"}`
	if code, _, raw := e.verify(t, "kyc", secret, body); code < 500 || strings.Contains(raw, "match") {
		t.Errorf("a verification unrecorded: %d %s", code, raw)
	}
	for _, c := range []struct{ method, path string }{{"POST", "/api/v1/ekyc"}, {"GET", oidc.Prefix + "/userinfo"}} {
		req, _ := http.NewRequest(c.method, e.srv.URL+c.path, nil)
		req.Header.Set("Authorization", "Bearer "+tok.AccessToken)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if res.StatusCode == http.StatusOK || strings.Contains(string(b), "Nguyễn") {
			t.Errorf("%s unrecorded: %d %s", c.path, res.StatusCode, b)
		}
	}
}
