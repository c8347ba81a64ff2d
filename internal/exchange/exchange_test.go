package exchange_test

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/populus-vn/populus/internal/auth"
	"github.com/populus-vn/populus/internal/db"
	"github.com/populus-vn/populus/internal/db/dbtest"
	"github.com/populus-vn/populus/internal/exchange"
	"github.com/populus-vn/populus/internal/oidc"
	"github.com/populus-vn/populus/internal/problem"
)

// The rights matrix: member × field of the person look-up × purpose
// (none, each of the catalogue) × consent given or not. Only what is
// granted passes, with exactly the fields asked; every refusal is
// problem+json with a reason, and audited.
func TestRightsMatrix(t *testing.T) {
	dbtest.Engines(t, schemas, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		purposes := []string{""}
		for _, p := range exchange.DefaultPurposes {
			purposes = append(purposes, p.Code)
		}
		refusals := 0
		for _, member := range []string{bank, hospital, drivers} {
			c := e.client(member)
			var right *exchange.Right
			for i := range grants {
				if grants[i].Subsystem == member && grants[i].Service == person {
					right = &grants[i]
				}
			}
			for _, purpose := range purposes {
				for _, consent := range []bool{false, true} {
					key := [3]string{e.Lan.PIN, member, purpose}
					if consent {
						e.consents.given[key] = "consent-" + member
					} else {
						delete(e.consents.given, key)
					}
					for _, field := range exchange.PersonFields {
						headers := xroad(member, purpose)
						if purpose == "CIVIL-REGISTRATION" {
							headers[exchange.HeaderLegalBasis] = "Luật Hộ tịch 2014, Điều 5"
						}
						res := e.do(t, c, "GET", "/r1/"+person+"/"+e.Lan.PIN+"?fields="+field, headers, "")
						needsConsent := purpose == "KYC"
						want := purpose != "" && slices.Contains(right.Purposes, purpose) && slices.Contains(right.Fields, field) && (consent || !needsConsent)
						name := fmt.Sprintf("%s %q consent=%v %s", member, purpose, consent, field)
						if want {
							if res.status != http.StatusOK {
								t.Fatalf("%s: %d %s", name, res.status, res.body)
							}
							m := res.json(t)
							keys := slices.Collect(func(yield func(string) bool) {
								for k := range m {
									if !yield(k) {
										return
									}
								}
							})
							sort.Strings(keys)
							if len(keys) != 2 || !slices.Contains(keys, "pin") || !slices.Contains(keys, field) {
								t.Errorf("%s: disclosed %v", name, keys)
							}
							continue
						}
						refusals++
						if res.status != http.StatusForbidden && res.status != http.StatusUnprocessableEntity {
							t.Fatalf("%s: %d %s, want a refusal", name, res.status, res.body)
						}
						if ct := res.header.Get("Content-Type"); ct != "application/problem+json" {
							t.Errorf("%s: %s", name, ct)
						}
						if m := res.json(t); m["detail"] == nil && m["errors"] == nil {
							t.Errorf("%s: no reason: %s", name, res.body)
						}
					}
				}
			}
		}
		// Each refusal is the person's to see ("who used my data"), those
		// before the service reads the person too (no purpose, another's).
		if n := e.Count(`SELECT count(*) FROM audit_log WHERE actor LIKE 'member:%' AND outcome = 'denied' AND subject = $1`, e.Lan.PIN); n != refusals {
			t.Errorf("%d refusals audited against the person, want %d", n, refusals)
		}
		// The granted accesses carry why, and the fields, never the values.
		if n := e.Count(`SELECT count(*) FROM audit_log WHERE actor = $1 AND action = $2 AND subject = $3 AND outcome = 'ok'
			AND purpose = 'KYC' AND consent = $4 AND legal_basis LIKE 'Nghị định 13/2023%' AND fields = 'full_name' AND request <> ''`,
			"member:"+bank, exchange.ActionLookup, e.Lan.PIN, "consent-"+bank); n != 1 {
			t.Errorf("the bank's look-up of full_name is audited %d times with its context", n)
		}
		if n := e.Count(`SELECT count(*) FROM audit_log WHERE actor LIKE 'member:%' AND (detail LIKE '%Nguyễn%' OR detail LIKE '%1990%')`); n != 0 {
			t.Errorf("%d audit entries hold values", n)
		}
	})
}

// Every fields parameter counts: a field not granted in a second one is
// refused as in the first, not passed over; a list's empty items and
// spaces are ignored. A protocol header given twice is refused, naming it.
func TestRepeatedParameters(t *testing.T) {
	e := newEnv(t, dbtest.SQLite(t, schemas...))
	c := e.client(hospital)
	h := xroad(hospital, "HEALTH-INSURANCE-CHECK")
	if res := e.do(t, c, "GET", "/r1/"+person+"/"+e.Lan.PIN+"?fields=full_name&fields=id_card", h, ""); res.status != http.StatusForbidden || !strings.Contains(res.body, "id_card") {
		t.Errorf("a field not granted in a second parameter: %d %s", res.status, res.body)
	}
	res := e.do(t, c, "GET", "/r1/"+person+"/"+e.Lan.PIN+"?fields=full_name&fields=sex,,%20birth_date", h, "")
	if res.status != http.StatusOK {
		t.Fatalf("%d %s", res.status, res.body)
	}
	if m := res.json(t); len(m) != 4 || m["full_name"] == nil || m["sex"] == nil || m["birth_date"] == nil {
		t.Errorf("fields of two parameters: %s", res.body)
	}
	for _, name := range []string{exchange.HeaderClient, exchange.HeaderIssue, exchange.HeaderUserID} {
		req, _ := http.NewRequest("GET", e.srv.URL+"/r1/"+person+"/"+e.Lan.PIN, nil)
		for k, v := range h {
			req.Header.Set(k, v)
		}
		req.Header.Add(name, req.Header.Get(name))
		res, err := c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if res.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(string(b), `"field":"`+name+`"`) {
			t.Errorf("%s twice: %d %s", name, res.StatusCode, b)
		}
	}
}

// Without a consent service, an access whose purpose needs consent is
// refused, saying why.
func TestNoConsentService(t *testing.T) {
	e := newEnv(t, dbtest.SQLite(t, schemas...))
	e.x.SetConsents(nil)
	res := e.do(t, e.client(bank), "GET", "/r1/"+person+"/"+e.Lan.PIN, xroad(bank, "KYC"), "")
	if res.status != http.StatusForbidden || !strings.Contains(res.body, "no consent service") {
		t.Fatalf("%d %s", res.status, res.body)
	}
	res = e.do(t, e.client(hospital), "GET", "/r1/"+person+"/"+e.Lan.PIN, xroad(hospital, "HEALTH-INSURANCE-CHECK"), "")
	if res.status != http.StatusOK {
		t.Fatalf("a purpose without consent: %d %s", res.status, res.body)
	}
}

// The protocol's headers: each missing or wrong one is named; the request
// id is echoed (made when absent); the response carries the request's hash.
func TestHeaders(t *testing.T) {
	e := newEnv(t, dbtest.SQLite(t, schemas...))
	c := e.client(hospital)
	path := "/r1/" + person + "/" + e.Lan.PIN
	ok := xroad(hospital, "HEALTH-INSURANCE-CHECK")
	ok[exchange.HeaderID] = "req-1"
	res := e.do(t, c, "GET", path, ok, "")
	if res.status != 200 || res.header.Get(exchange.HeaderID) != "req-1" || len(res.header.Get(exchange.HeaderRequestHash)) != 88 {
		t.Fatalf("%d %v %s", res.status, res.header, res.body)
	}
	if res.header.Get("Content-Type") != "application/json" || res.header.Get("Cache-Control") != "no-store" {
		t.Errorf("Content-Type %q, Cache-Control %q", res.header.Get("Content-Type"), res.header.Get("Cache-Control"))
	}
	// The protocol's header names are canonical, as clients read them.
	for _, k := range []string{exchange.HeaderClient, exchange.HeaderID, exchange.HeaderRequestHash, exchange.HeaderService} {
		if http.CanonicalHeaderKey(k) != k {
			t.Errorf("header name %q is not canonical (%q)", k, http.CanonicalHeaderKey(k))
		}
	}
	if res.header.Get(exchange.HeaderService) != person || res.header.Get(exchange.HeaderClient) != hospital || res.header.Get(exchange.HeaderError) != "" {
		t.Errorf("X-Road-Service %q, X-Road-Client %q, X-Road-Error %q", res.header.Get(exchange.HeaderService), res.header.Get(exchange.HeaderClient), res.header.Get(exchange.HeaderError))
	}
	again := e.do(t, c, "GET", path, ok, "")
	if again.header.Get(exchange.HeaderRequestHash) != res.header.Get(exchange.HeaderRequestHash) {
		t.Error("the same request hashed differently")
	}
	delete(ok, exchange.HeaderID)
	if res := e.do(t, c, "GET", path, ok, ""); len(res.header.Get(exchange.HeaderID)) != 32 {
		t.Errorf("no request id made: %v", res.header)
	}
	cases := []struct {
		name   string
		change func(h map[string]string)
		path   string
		status int
		field  string
	}{
		{"no purpose", func(h map[string]string) { delete(h, exchange.HeaderIssue) }, path, 422, exchange.HeaderIssue},
		{"unknown purpose", func(h map[string]string) { h[exchange.HeaderIssue] = "FUN" }, path, 422, exchange.HeaderIssue},
		{"no client", func(h map[string]string) { delete(h, exchange.HeaderClient) }, path, 422, exchange.HeaderClient},
		{"another client", func(h map[string]string) { h[exchange.HeaderClient] = bank }, path, 422, exchange.HeaderClient},
		{"bad client", func(h map[string]string) { h[exchange.HeaderClient] = "VN/XX/1" }, path, 422, exchange.HeaderClient},
		{"no official", func(h map[string]string) {
			delete(h, exchange.HeaderUserID)
			h[exchange.HeaderIssue] = "DRIVING-LICENCE"
		}, path, 422, exchange.HeaderUserID},
		{"several bases, none named", func(h map[string]string) { h[exchange.HeaderIssue] = "CIVIL-REGISTRATION" }, path, 422, exchange.HeaderLegalBasis},
		{"a basis not the purpose's", func(h map[string]string) { h[exchange.HeaderLegalBasis] = "Luật khác" }, path, 422, exchange.HeaderLegalBasis},
		{"bad path", func(map[string]string) {}, "/r1/VN/GOV/person", 422, "path"},
		{"bad PIN", func(map[string]string) {}, "/r1/" + person + "/123", 422, "pin"},
		{"unknown service", func(map[string]string) {}, "/r1/" + exchange.Platform + "/nothing/x", 404, ""},
		{"a field the service has not", func(map[string]string) {}, path + "?fields=full_name,shoe_size", 422, "fields"},
		{"a field not granted", func(map[string]string) {}, path + "?fields=id_card", 403, "fields"},
		{"a direction override in the official's id", func(h map[string]string) { h[exchange.HeaderUserID] = "VN-\u202e240-recifFO" }, path, 422, exchange.HeaderUserID},
		{"a zero-width space in the request id", func(h map[string]string) { h[exchange.HeaderID] = "req\u200b-1" }, path, 422, exchange.HeaderID},
		{"a Hangul filler after the official's id", func(h map[string]string) { h[exchange.HeaderUserID] = "VN-officer-042\u3164" }, path, 422, exchange.HeaderUserID},
		{"a no-break space in the official's id", func(h map[string]string) { h[exchange.HeaderUserID] = "VN-officer\u00a0042" }, path, 422, exchange.HeaderUserID},
		{"a line separator in the request id", func(h map[string]string) { h[exchange.HeaderID] = "req\u2028-1" }, path, 422, exchange.HeaderID},
	}
	for _, k := range cases {
		h := xroad(hospital, "HEALTH-INSURANCE-CHECK")
		k.change(h)
		res := e.do(t, c, "GET", k.path, h, "")
		if res.status != k.status || res.header.Get("Content-Type") != "application/problem+json" || res.header.Get(exchange.HeaderError) == "" || (k.field != "" && !strings.Contains(res.body, `"field":"`+k.field+`"`)) {
			t.Errorf("%s: %d %s", k.name, res.status, res.body)
		}
	}
	// No credentials at all.
	if res := e.do(t, e.client(""), "GET", path, xroad(hospital, "HEALTH-INSURANCE-CHECK"), ""); res.status != 401 || res.header.Get("Content-Type") != "application/problem+json" {
		t.Errorf("anonymous: %d %s", res.status, res.body)
	}
	// A token under the scheme's name in any case; two Authorization
	// headers, refused.
	var tok exchange.Token
	json.Unmarshal([]byte(e.token(t, e.assertion(t, hospital, e.tokenURL, "headers-1", time.Minute)).body), &tok)
	req, _ := http.NewRequest("GET", e.srv.URL+path, nil)
	for k, v := range xroad(hospital, "HEALTH-INSURANCE-CHECK") {
		req.Header.Set(k, v)
	}
	req.Header.Set("Authorization", "bearer "+tok.AccessToken)
	if res, err := e.client("").Do(req); err != nil || res.StatusCode != 200 {
		t.Errorf("a lowercase scheme: %v %v", res.StatusCode, err)
	}
	req.Header.Add("Authorization", "Bearer someone-else's")
	if res, err := e.client("").Do(req); err != nil || res.StatusCode != 401 {
		t.Errorf("two Authorization headers: %v %v", res.StatusCode, err)
	}
	// An unknown PIN: 404, and the attempt audited.
	if res := e.do(t, c, "GET", "/r1/"+person+"/001190000999", xroad(hospital, "HEALTH-INSURANCE-CHECK"), ""); res.status != 404 {
		t.Errorf("unknown PIN: %d %s", res.status, res.body)
	}
	if n := e.Audited("member:"+hospital, string(exchange.ActionLookup), "001190000999", "failed"); n != 1 {
		t.Errorf("unknown PIN audited %d times", n)
	}
}

// X-Road's REST metadata: listClients, listMethods, allowedMethods,
// getOpenAPI.
func TestMetadata(t *testing.T) {
	e := newEnv(t, dbtest.SQLite(t, schemas...))
	c := e.client(hospital)
	h := map[string]string{exchange.HeaderClient: hospital}
	res := e.do(t, c, "GET", "/listClients", h, "")
	if res.status != 200 || !strings.Contains(res.body, `"subsystem_code":"HIS"`) || !strings.Contains(res.body, `"member_code":"VCB"`) {
		t.Errorf("listClients: %d %s", res.status, res.body)
	}
	res = e.do(t, c, "GET", "/r1/"+exchange.Platform+"/listMethods", h, "")
	if res.status != 200 || strings.Count(res.body, `"service_code"`) != 3 || !strings.Contains(res.body, `"path":"/{pin}"`) {
		t.Errorf("listMethods: %d %s", res.status, res.body)
	}
	res = e.do(t, c, "GET", "/r1/"+exchange.Platform+"/allowedMethods", h, "")
	if res.status != 200 || strings.Count(res.body, `"service_code"`) != 1 || !strings.Contains(res.body, `"service_code":"person"`) {
		t.Errorf("allowedMethods: %d %s", res.status, res.body)
	}
	res = e.do(t, c, "GET", "/r1/"+exchange.Platform+"/getOpenAPI?serviceCode=verify-batch", h, "")
	if res.status != 200 || !strings.Contains(res.body, `"openapi": "3.0.3"`) || !strings.Contains(res.body, "x-ndjson") {
		t.Errorf("getOpenAPI: %d %s", res.status, res.body[:min(200, len(res.body))])
	}
	res = e.do(t, c, "GET", "/r1/"+exchange.Platform+"/getOpenAPI?serviceCode=none", h, "")
	if res.status != 422 || !strings.Contains(res.body, `"field":"serviceCode"`) {
		t.Errorf("getOpenAPI of nothing: %d %s", res.status, res.body)
	}

	// A store written by an older binary: its built-in services take this
	// binary's description at the next start.
	e.D.Exec(`UPDATE exchange_services SET title = 'old', openapi = '{"openapi":"3.0.0"}', fields = 'full_name' WHERE id = $1`, batch)
	if err := e.x.EnsureCatalogue(e.Ctx); err != nil {
		t.Fatal(err)
	}
	s, err := e.x.Service(e.Ctx, batch)
	if err != nil || s.Title == "old" || !strings.Contains(string(s.OpenAPI), "evidence") || !slices.Equal(s.Fields, exchange.VerifyFields) {
		t.Errorf("the built-in service after a start: %v %+v", err, s)
	}
}

// Yes/no verification through the exchange: oidc's verification, with
// the exchange's rights and consent, audited with the context.
func TestVerify(t *testing.T) {
	e := newEnv(t, dbtest.SQLite(t, schemas...))
	e.consents.given[[3]string{e.Lan.PIN, bank, "KYC"}] = "c-1"
	c := e.client(bank)
	body := `{"pin":"` + e.Lan.PIN + `","full_name":"Nguyễn Thị Lan","birth_date":"1990-05-17","alive":true}`
	h := xroad(bank, "KYC")
	h[exchange.HeaderID] = "same-id"
	res := e.do(t, c, "POST", "/r1/"+verify, h, body)
	if res.status != 200 || !strings.Contains(res.body, `"match":true`) || res.header.Get(exchange.HeaderRequestHash) == "" {
		t.Fatalf("%d %s", res.status, res.body)
	}
	// The request hash covers the body: another body, another hash; the
	// same request, the same hash.
	other := e.do(t, c, "POST", "/r1/"+verify, h, strings.Replace(body, `"alive":true`, `"alive":false`, 1))
	same := e.do(t, c, "POST", "/r1/"+verify, h, body)
	if other.header.Get(exchange.HeaderRequestHash) == res.header.Get(exchange.HeaderRequestHash) || same.header.Get(exchange.HeaderRequestHash) != res.header.Get(exchange.HeaderRequestHash) {
		t.Errorf("request hashes: %s, other body %s, same %s", res.header.Get(exchange.HeaderRequestHash), other.header.Get(exchange.HeaderRequestHash), same.header.Get(exchange.HeaderRequestHash))
	}
	if n := e.Count(`SELECT count(*) FROM audit_log WHERE actor = $1 AND action = $2 AND subject = $3 AND consent = 'c-1' AND fields = 'full_name,birth_date,alive'`, "member:"+bank, exchange.ActionVerify, e.Lan.PIN); n != 3 {
		t.Errorf("verification audited %d times with its context", n)
	}
	// The address is not granted to the bank: refused, naming it.
	res = e.do(t, c, "POST", "/r1/"+verify, xroad(bank, "KYC"), `{"pin":"`+e.Lan.PIN+`","address":{"unit_code":"00004","detail":"x"}}`)
	if res.status != 403 || !strings.Contains(res.body, "address") {
		t.Errorf("address: %d %s", res.status, res.body)
	}
	// No consent of Minh.
	res = e.do(t, c, "POST", "/r1/"+verify, xroad(bank, "KYC"), `{"pin":"`+e.Minh.PIN+`","alive":true}`)
	if res.status != 403 || !strings.Contains(res.body, "no consent") {
		t.Errorf("no consent: %d %s", res.status, res.body)
	}
	// A date that is not one: the error names birth_date.
	for _, d := range []string{`"garbage"`, `"1940-13-45"`, `19400101`} {
		res = e.do(t, c, "POST", "/r1/"+verify, xroad(bank, "KYC"), `{"pin":"`+e.Lan.PIN+`","birth_date":`+d+`}`)
		if res.status != 400 || !strings.Contains(res.body, `"field":"birth_date"`) {
			t.Errorf("birth_date %s: %d %s", d, res.status, res.body)
		}
	}
}

// Whether a person is alive is a fact the verification tells only when
// asked (alive: granted and consented): the name of a deceased person
// matches as a name, without reason 400, for a member that asked the name
// alone; asked alive, the answer says no, and the entry lists alive.
func TestVerifyDoesNotTellDeathUnasked(t *testing.T) {
	e := newEnv(t, dbtest.SQLite(t, schemas...))
	e.consents.given[[3]string{e.Ba.PIN, bank, "KYC"}] = "c-ba"
	c := e.client(bank)
	var out oidc.VerifyResponse
	res := e.do(t, c, "POST", "/r1/"+verify, xroad(bank, "KYC"), `{"pin":"`+e.Ba.PIN+`","full_name":"Lê Văn Ba"}`)
	if json.Unmarshal([]byte(res.body), &out); res.status != 200 || !out.Match || !out.Fields["full_name"] || len(out.ReasonCodes) != 0 {
		t.Errorf("the name alone: %d %s; want a match with no reason", res.status, res.body)
	}
	res = e.do(t, c, "POST", "/r1/"+verify, xroad(bank, "KYC"), `{"pin":"`+e.Ba.PIN+`","full_name":"Lê Văn Ba","alive":true}`)
	if json.Unmarshal([]byte(res.body), &out); res.status != 200 || out.Match || !slices.Contains(out.ReasonCodes, oidc.ReasonNotAlive) {
		t.Errorf("asked alive too: %d %s; want no match, reason %d", res.status, res.body, oidc.ReasonNotAlive)
	}
	if n := e.Count(`SELECT count(*) FROM audit_log WHERE action = $1 AND subject = $2 AND fields = 'full_name,alive'`, exchange.ActionVerify, e.Ba.PIN); n != 1 {
		t.Errorf("%d entries list alive, want 1", n)
	}
}

// Batch verification, NDJSON and CSV, answered row by row; a row the
// right or the consent refuses is answered with its reason, the others
// go on.
func TestVerifyBatch(t *testing.T) {
	e := newEnv(t, dbtest.SQLite(t, schemas...))
	e.consents.given[[3]string{e.Lan.PIN, bank, "KYC"}] = "c-1"
	e.consents.given[[3]string{e.Ba.PIN, bank, "KYC"}] = "c-2"
	c := e.client(bank)
	h := xroad(bank, "KYC")
	h["Content-Type"] = "application/x-ndjson"
	body := `{"pin":"` + e.Lan.PIN + `","full_name":"Nguyễn Thị Lan"}
{"pin":"` + e.Ba.PIN + `","alive":true}
{"pin":"` + e.Minh.PIN + `","alive":true}
{"pin":"` + e.Lan.PIN + `","address":{"unit_code":"00004","detail":"x"}}
not json
{"pin":"` + e.Lan.PIN + `","full_name":"x","full_name":"Nguyễn Thị Lan"}
["` + e.Lan.PIN + `"]
`
	res := e.do(t, c, "POST", "/r1/"+batch, h, body)
	lines := strings.Split(strings.TrimSpace(res.body), "\n")
	if res.status != 200 || len(lines) != 7 {
		t.Fatalf("%d %s", res.status, res.body)
	}
	// A field given twice is refused as in a single request (which one
	// would count?), and no error names Go's types.
	for i, want := range []string{`"row":1,"match":true`, `"row":2,"match":false`, `no consent`, `may not verify address`, `"field":"body"`,
		`full_name appears more than once`, `"field":"body"`} {
		if !strings.Contains(lines[i], want) {
			t.Errorf("row %d: %s, want %s", i+1, lines[i], want)
		}
	}
	if res.header.Get(exchange.HeaderRequestHash) == "" {
		t.Error("no request hash trailer")
	}
	// A line longer than 16 KiB ends the batch with one row saying so.
	res = e.do(t, c, "POST", "/r1/"+batch, h, `{"pin":"`+e.Lan.PIN+`","full_name":"Nguyễn Thị Lan"}`+"\n"+strings.Repeat("x", 17<<10)+"\n"+`{"pin":"`+e.Lan.PIN+`"}`+"\n")
	lines = strings.Split(strings.TrimSpace(res.body), "\n")
	if res.status != 200 || len(lines) != 2 || !strings.Contains(lines[0], `"row":1,"match":true`) || !strings.Contains(lines[1], "at most 16 KiB") {
		t.Errorf("a line too long: %d %.500s", res.status, res.body)
	}
	h["Content-Type"] = "text/csv"
	res = e.do(t, c, "POST", "/r1/"+batch, h, "pin,full_name,birth_date\n"+e.Lan.PIN+",Nguyễn Thị Lan,1990-05-17\n"+e.Lan.PIN+",Nguyễn Thị Lân,1990-05-18\n")
	if res.status != 200 || !regexp.MustCompile(`^row,match,reason_codes,error,evidence\n1,true,,,\d{12}\.[0-9a-f]{32}\n2,false,100 110,,\d{12}\.[0-9a-f]{32}\n$`).MatchString(res.body) {
		t.Errorf("CSV: %d %q", res.status, res.body)
	}
	// A CSV line longer than 16 KiB (a field of 17 KiB, quoted) ends the
	// batch with one row saying so, after the rows before it.
	res = e.do(t, c, "POST", "/r1/"+batch, h, "pin,full_name\n"+e.Lan.PIN+",Nguyễn Thị Lan\n"+e.Lan.PIN+`,"`+strings.Repeat("x", 17<<10)+"\"\n"+e.Lan.PIN+",Nguyễn Thị Lan\n")
	if lines := strings.Split(strings.TrimSpace(res.body), "\n"); res.status != 200 || len(lines) != 3 || !strings.HasPrefix(lines[1], "1,true") || !strings.Contains(lines[2], "at most 16 KiB") {
		t.Errorf("a CSV line too long: %d %.500s", res.status, res.body)
	}
	// Nor a record of many short lines inside one quoted field.
	res = e.do(t, c, "POST", "/r1/"+batch, h, "pin,full_name\n"+e.Lan.PIN+`,"`+strings.Repeat("x\n", 9<<10)+"\"\n")
	if lines := strings.Split(strings.TrimSpace(res.body), "\n"); res.status != 200 || len(lines) != 2 || !strings.Contains(lines[1], "at most 16 KiB") {
		t.Errorf("a quoted CSV field of many lines: %d %.300s", res.status, res.body)
	}
	res = e.do(t, c, "POST", "/r1/"+batch, h, "pin,address_line\n1,2\n")
	if res.status != 422 || !strings.Contains(res.body, "address_line") {
		t.Errorf("CSV with an unknown column: %d %s", res.status, res.body)
	}
	res = e.do(t, c, "POST", "/r1/"+batch, h, "pin,full_name,full_name\n"+e.Lan.PIN+",x,Nguyễn Thị Lan\n")
	if res.status != 422 || !strings.Contains(res.body, `names the column \"full_name\" more than once`) {
		t.Errorf("CSV with a column twice: %d %s", res.status, res.body)
	}
}

// Revoking a certificate, a subsystem or a member takes effect on the
// next request.
func TestRevocation(t *testing.T) {
	dbtest.Engines(t, schemas, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		get := func(member, purpose string) int {
			return e.do(t, e.client(member), "GET", "/r1/"+person+"/"+e.Lan.PIN, xroad(member, purpose), "").status
		}
		if s := get(hospital, "HEALTH-INSURANCE-CHECK"); s != 200 {
			t.Fatal(s)
		}
		if err := e.x.Revoke(e.Ctx, hospital); err != nil {
			t.Fatal(err)
		}
		if s := get(hospital, "HEALTH-INSURANCE-CHECK"); s != 401 {
			t.Errorf("revoked subsystem: %d", s)
		}
		if s := get(drivers, "DRIVING-LICENCE"); s != 200 {
			t.Fatal(s)
		}
		if err := e.x.Revoke(e.Ctx, "VN/GOV/CSGT"); err != nil {
			t.Fatal(err)
		}
		if s := get(drivers, "DRIVING-LICENCE"); s != 401 {
			t.Errorf("revoked member: %d", s)
		}
		if err := e.x.Revoke(e.Ctx, "VN/GOV/NONE"); err == nil {
			t.Error("revoked an unknown member")
		}
		if n := e.Count(`SELECT count(*) FROM audit_log WHERE action = $1 AND outcome = 'denied'`, exchange.ActionAuthenticate); n != 2 {
			t.Errorf("%d refused authentications audited", n)
		}
	})
}

func TestIdentifiers(t *testing.T) {
	for _, ok := range []string{"VN/COM/VCB/EKYC", "VN/GOV/BCA/C06-REGISTER", "VN/HEALTH/BV_01/his.v2"} {
		if _, err := exchange.ParseSubsystem(ok); err != nil {
			t.Errorf("%s: %v", ok, err)
		}
	}
	for _, bad := range []string{"", "VN/COM/VCB", "VN/XYZ/VCB/EKYC", "VN/COM//EKYC", "VN/COM/VCB/EK YC", "VN/COM/VCB/EKYC/x", "VN/COM/VCB/" + strings.Repeat("a", 65), "VN/COM/V%2FB/E"} {
		if _, err := exchange.ParseSubsystem(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
	tg, err := exchange.ParsePath("/r1/VN/GOV/BCA/C06-REGISTER/person/001090000001")
	if err != nil || tg.Service.String() != person || tg.Rest != "/001090000001" {
		t.Errorf("%+v %v", tg, err)
	}
	tg, err = exchange.ParsePath("/r1/VN/GOV/BCA/C06-REGISTER/listMethods")
	if err != nil || tg.Meta != "listMethods" {
		t.Errorf("%+v %v", tg, err)
	}
	if _, err := exchange.ParsePath("/r1/VN/GOV/BCA%2FX/C06/person"); err == nil {
		t.Error("an encoded slash inside a part accepted")
	}
}

// The administrators' view: a nation-wide administrator manages every
// member, a province's only those attached within it; other roles are
// refused, and audited.
func TestAdminReach(t *testing.T) {
	dbtest.Engines(t, schemas, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		nation := auth.Staff(1, "admin", "Quản trị", auth.Admin, "VN")
		hanoi := auth.Staff(2, "admin.hanoi", "Quản trị Hà Nội", auth.Admin, "01")
		m, err := e.x.Overview(e.Ctx, nation)
		if err != nil || len(m.Members) != 4 || len(m.Services) != 3 || len(m.Purposes) != 4 {
			t.Fatalf("nation: %d members, %d services, %d purposes, %v", len(m.Members), len(m.Services), len(m.Purposes), err)
		}
		m, err = e.x.Overview(e.Ctx, hanoi)
		if err != nil || len(m.Members) != 1 || m.Members[0].ID != "VN/HEALTH/BV-BACHMAI" || len(m.Subsystems) != 1 {
			t.Fatalf("Hà Nội: %+v %v", m.Members, err)
		}
		if _, err := e.x.AdminAddMember(e.Ctx, hanoi, exchange.Member{ID: "VN/COM/ACB", Name: "Ngân hàng", Unit: "VN"}); !problem.Is(err, problem.Forbidden) {
			t.Errorf("a province's administrator adds a national member: %v", err)
		}
		if _, err := e.x.AdminAddMember(e.Ctx, hanoi, exchange.Member{ID: "VN/HEALTH/BV-E", Name: "Bệnh viện E"}); err != nil {
			t.Errorf("a member of the province: %v", err)
		}
		if _, err := e.x.AddMember(e.Ctx, exchange.Member{ID: "VN/COM/ABC", Name: "Ngân hàng \u202eBCV"}); !problem.Is(err, problem.Invalid) || !strings.Contains(err.Error(), "name") {
			t.Errorf("a member's name with a direction override: %v", err)
		}
		for _, unit := range []string{"ZZ", "99999", "99"} {
			if _, err := e.x.AddMember(e.Ctx, exchange.Member{ID: "VN/COM/ABC", Name: "Công ty", Unit: unit}); !problem.Is(err, problem.Invalid) || !strings.Contains(err.Error(), "unit_code") {
				t.Errorf("a member attached to the unit %s: %v", unit, err)
			}
		}
		if _, err := e.x.AddMember(e.Ctx, exchange.Member{ID: "VN/COM/ABC", Name: "Công ty", Unit: "00004"}); err != nil {
			t.Errorf("a member attached to a commune: %v", err)
		}
		if err := e.x.AdminRevoke(e.Ctx, hanoi, bank); !problem.Is(err, problem.Forbidden) {
			t.Errorf("a province's administrator revokes the bank: %v", err)
		}
		if err := e.x.AdminRevoke(e.Ctx, hanoi, hospital); err != nil {
			t.Errorf("revoke the province's hospital: %v", err)
		}
		for _, id := range []string{exchange.Platform, "VN/GOV/BCA"} {
			if err := e.x.AdminRevoke(e.Ctx, nation, id); !problem.Is(err, problem.Invalid) {
				t.Errorf("the platform's own %s revoked: %v", id, err)
			}
		}
		registrar := auth.Staff(3, "registrar", "x", auth.Registrar, "VN")
		if _, err := e.x.Overview(e.Ctx, registrar); !problem.Is(err, problem.Forbidden) {
			t.Errorf("a registrar: %v", err)
		}
		if n := e.Count(`SELECT count(*) FROM audit_log WHERE action = 'exchange.manage' AND outcome = 'ok'`); n != 2 {
			t.Errorf("%d changes audited", n)
		}
		if name, ok := e.x.OrganisationOf(e.Ctx, "member:"+bank); !ok || name != "Ngân hàng Demo" {
			t.Errorf("OrganisationOf: %q %v", name, ok)
		}
		if _, ok := e.x.OrganisationOf(e.Ctx, "staff:admin"); ok {
			t.Error("OrganisationOf a staff account")
		}
	})
}

// Operational monitoring: a subsystem sees the figures of its own
// exchanges (X-Road's field names), succeeded and failed counted apart,
// and not another's.
func TestMonitoring(t *testing.T) {
	e := newEnv(t, dbtest.SQLite(t, schemas...))
	c := e.client(drivers)
	for range 3 {
		e.do(t, c, "GET", "/r1/"+person+"/"+e.Lan.PIN, xroad(drivers, "DRIVING-LICENCE"), "")
	}
	e.do(t, c, "GET", "/r1/"+person+"/"+e.Lan.PIN+"?fields=father_pin", xroad(drivers, "DRIVING-LICENCE"), "")
	res := e.do(t, c, "GET", "/api/v1/exchange/monitoring", nil, "")
	var out struct{ Items []exchange.OpStats }
	if err := json.Unmarshal([]byte(res.body), &out); err != nil || res.status != 200 {
		t.Fatalf("%d %s", res.status, res.body)
	}
	var s *exchange.OpStats
	for i := range out.Items {
		if out.Items[i].ClientSubsystem == drivers && out.Items[i].ServiceID == person {
			s = &out.Items[i]
		}
		if out.Items[i].ClientSubsystem != drivers && !strings.HasPrefix(out.Items[i].ServiceID, drivers+"/") {
			t.Errorf("another's figures: %+v", out.Items[i])
		}
	}
	if s == nil || s.RequestCount != 4 || s.SucceededCount != 3 || s.FailedCount != 1 || s.LastFaultCode != "Server.ServerProxy.AccessDenied" ||
		!strings.Contains(s.LastFaultString, "father_pin") || s.ResponseSize == 0 || s.MaxDurationMillis <= 0 {
		t.Errorf("%+v", s)
	}
	// Paths naming no service of the catalogue count under one name,
	// however many a caller makes up.
	for i := range 20 {
		e.do(t, c, "GET", fmt.Sprintf("/r1/%s/s%d/x", exchange.Platform, i), xroad(drivers, "DRIVING-LICENCE"), "")
		e.do(t, c, "GET", fmt.Sprintf("/r1/VN/GOV/NOBODY/X%d/listMethods", i), map[string]string{exchange.HeaderClient: drivers}, "")
	}
	out.Items = nil
	if err := json.Unmarshal([]byte(e.do(t, c, "GET", "/api/v1/exchange/monitoring", nil, "").body), &out); err != nil {
		t.Fatal(err)
	}
	if len(out.Items) != 2 || !slices.ContainsFunc(out.Items, func(s exchange.OpStats) bool { return s.ServiceID == "unknown" && s.RequestCount == 40 }) {
		t.Errorf("made-up services: %+v", out.Items)
	}
}

// A subsystem's requests beyond its limit in a clock minute are refused
// with 429 and Retry-After, audited; another subsystem is not affected.
func TestRateLimit(t *testing.T) {
	envRequestsPerMinute = 2
	defer func() { envRequestsPerMinute = 0 }()
	e := newEnv(t, dbtest.SQLite(t, schemas...))
	h := map[string]string{exchange.HeaderClient: drivers}
	codes := []int{}
	var last result
	for range 3 {
		last = e.do(t, e.client(drivers), "GET", "/r1/"+exchange.Platform+"/listMethods", h, "")
		codes = append(codes, last.status)
	}
	// The test may straddle a minute: then the third is the second of the
	// new one; at most one window boundary in three quick calls.
	if fmt.Sprint(codes) != "[200 200 429]" && fmt.Sprint(codes) != "[200 200 200]" {
		t.Fatalf("codes %v", codes)
	}
	if codes[2] == 429 && (last.header.Get("Retry-After") == "" || !strings.Contains(last.body, "more than 2 requests")) {
		t.Errorf("429 without Retry-After or reason: %v %s", last.header, last.body)
	}
	if res := e.do(t, e.client(hospital), "GET", "/r1/"+exchange.Platform+"/listMethods", map[string]string{exchange.HeaderClient: hospital}, ""); res.status != 200 {
		t.Errorf("another subsystem: %d", res.status)
	}
	if codes[2] == 429 {
		if n := e.Count(`SELECT count(*) FROM audit_log WHERE actor = $1 AND outcome = 'denied' AND detail LIKE '%more than 2 requests%'`, "member:"+drivers); n != 1 {
			t.Errorf("%d refusals audited", n)
		}
	}
}

// The exchange's listener serves member systems' paths, not the pages or
// the rest of the API.
func TestListenerHandler(t *testing.T) {
	h := exchange.ListenerHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(299) }))
	for path, want := range map[string]int{
		"/r1/" + person + "/001190000001": 299, "/listClients": 299, "/api/v1/exchange/token": 299, "/api/v1/exchange/evidence/x": 299,
		"/.well-known/oauth-authorization-server": 299, "/api/v1/events/subscriptions": 299, "/api/v1/events/subscriptions/3/watch": 299,
		"/api/v1/consent/requests/7": 299, "/api/v1/audit/checkpoint": 299, "/healthz": 299,
		"/": 404, "/login": 404, "/eid/signin": 404, "/api/v1/session": 404, "/api/v1/persons/001190000001": 404, "/static/populus.css": 404,
		"/api/v1/consent/me/records": 404, "/api/v1/events/subscriptionsX": 404, "/r1": 404, "/metrics": 404,
	} {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest("GET", path, nil))
		if rec.Code != want || want == 404 && rec.Header().Get("Content-Type") != "application/problem+json" {
			t.Errorf("%s: %d %s, want %d", path, rec.Code, rec.Header().Get("Content-Type"), want)
		}
	}
}

// The questions about one person are bounded a day, the exchange's as a
// relying party's (one count): a date of birth is not guessed row by row.
// Beyond, a verification is refused (429) and a batch's row says so; each
// refusal is recorded against the person.
func TestVerifyPerPersonLimit(t *testing.T) {
	e := newEnv(t, dbtest.SQLite(t, schemas...))
	e.consents.given[[3]string{e.Lan.PIN, bank, "KYC"}] = "c-1"
	e.consents.given[[3]string{e.Minh.PIN, bank, "KYC"}] = "c-2"
	c := e.client(bank)
	for i := range oidc.DefaultVerifyLimits.PerPersonPerDay {
		body := fmt.Sprintf(`{"pin":"%s","birth_date":"1990-01-%02d"}`, e.Lan.PIN, i+1)
		if res := e.do(t, c, "POST", "/r1/"+verify, xroad(bank, "KYC"), body); res.status != 200 {
			t.Fatalf("question %d: %d %s", i+1, res.status, res.body)
		}
	}
	res := e.do(t, c, "POST", "/r1/"+verify, xroad(bank, "KYC"), `{"pin":"`+e.Lan.PIN+`","birth_date":"1990-05-17"}`)
	if res.status != http.StatusTooManyRequests || strings.Contains(res.body, `"match"`) || res.header.Get("Retry-After") == "" {
		t.Errorf("one question too many: %d %s", res.status, res.body)
	}
	var rows strings.Builder
	for i := range 12 {
		fmt.Fprintf(&rows, `{"pin":"%s","birth_date":"1985-02-%02d"}`+"\n", e.Minh.PIN, i+1)
	}
	h := xroad(bank, "KYC")
	h["Content-Type"] = "application/x-ndjson"
	res = e.do(t, c, "POST", "/r1/"+batch, h, rows.String())
	lines := strings.Split(strings.TrimSpace(res.body), "\n")
	if res.status != 200 || len(lines) != 12 || strings.Contains(lines[9], "error") || !strings.Contains(lines[10], "rate-limited") || !strings.Contains(lines[11], "rate-limited") {
		t.Errorf("a batch of 12 questions about one person: %d %s", res.status, res.body)
	}
	for pin, want := range map[string]int{e.Lan.PIN: 1, e.Minh.PIN: 2} {
		if n := e.Count(`SELECT count(*) FROM audit_log WHERE actor = $1 AND action = $2 AND subject = $3 AND outcome = 'denied'`, "member:"+bank, exchange.ActionVerify, pin); n != want {
			t.Errorf("%d refusals recorded against %s, want %d", n, pin, want)
		}
	}
}
