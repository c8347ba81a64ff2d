package main

import (
	"fmt"
	"net/url"
	"strings"
	"testing"

	"github.com/populus-vn/populus/internal/staff"
)

// readmeExamples runs the examples of the README's "What to try" against
// the demo, signed in as registrar.badinh (TestDemoEndToEnd): the search
// by name without diacritics, with a date of birth that finds a record
// knowing only the year, within a commune; a person's history and the
// record as of a past day; a rule broken, refused naming the field; the
// API document; the audit log of a person, as the auditor.
func readmeExamples(t *testing.T, call func(method, path, csrf string, body, out any) int, csrf string) {
	t.Helper()
	type person struct {
		PIN       string `json:"pin"`
		FullName  string `json:"full_name"`
		BirthDate string `json:"birth_date"`
		SpousePIN string `json:"spouse_pin"`
		Unit      struct {
			Unit string `json:"unit_code"`
		} `json:"permanent_residence"`
	}
	var list struct {
		Items []person `json:"items"`
	}
	// "Search the register by name without diacritics (nguyen van)".
	if code := call("GET", "/api/v1/persons?name=nguyen+van&limit=200", "", nil, &list); code != 200 || len(list.Items) == 0 {
		t.Fatalf("README: search nguyen van as registrar.badinh = %d, %d people", code, len(list.Items))
	}
	// "… within a commune".
	var inCommune struct{ Items []person }
	if code := call("GET", "/api/v1/persons?name=nguyen&unit=00004&limit=200", "", nil, &inCommune); code != 200 || len(inCommune.Items) == 0 {
		t.Errorf("README: search within Phường Ba Đình = %d, %d people", code, len(inCommune.Items))
	}
	// "… with a date of birth (a record that knows only the year of birth
	// is still found)".
	var all struct{ Items []person }
	call("GET", "/api/v1/persons?name=nguyen&limit=200", "", nil, &all)
	yearOnly := false
	for _, p := range all.Items {
		if len(p.BirthDate) != 4 {
			continue
		}
		var found struct{ Items []person }
		q := url.Values{"name": {p.FullName}, "birth_date": {p.BirthDate + "-06-15"}, "limit": {"200"}}
		call("GET", "/api/v1/persons?"+q.Encode(), "", nil, &found)
		for _, f := range found.Items {
			yearOnly = yearOnly || f.PIN == p.PIN
		}
		break
	}
	if !yearOnly {
		t.Errorf("README: no record knowing only its year of birth found by a full date (among %d people named nguyen)", len(all.Items))
	}
	// "Open a person: … the history timeline … and the record as of any
	// past date": a married person's record before the marriage.
	asOf := false
	for _, p := range list.Items {
		if p.SpousePIN == "" {
			continue
		}
		var h struct {
			Items []struct {
				Kind      string `json:"kind"`
				Effective string `json:"effective_date"`
			} `json:"items"`
		}
		if code := call("GET", "/api/v1/persons/"+p.PIN+"/history", "", nil, &h); code != 200 || len(h.Items) < 2 || h.Items[0].Kind != "birth" {
			t.Fatalf("README: history of %s = %d %+v", p.PIN, code, h)
		}
		for _, e := range h.Items {
			if e.Kind != "marriage" {
				continue
			}
			var before person
			y, m, d := 0, 0, 0
			fmt.Sscanf(e.Effective, "%d-%d-%d", &y, &m, &d)
			day := fmt.Sprintf("%04d-%02d-%02d", y-1, m, min(d, 28))
			if code := call("GET", "/api/v1/persons/"+p.PIN+"?as_of="+day, "", nil, &before); code != 200 || before.SpousePIN != "" {
				t.Errorf("README: %s as of %s, a year before the marriage = %d, spouse %q", p.PIN, day, code, before.SpousePIN)
			}
			asOf = true
		}
		if asOf {
			break
		}
	}
	if !asOf {
		t.Error("README: no married person with a marriage in the history among the results of nguyen van")
	}
	// "Try breaking a rule: a child born before a parent": refused, naming
	// the field, nothing stored.
	var prob struct {
		Errors []struct{ Field, Reason string } `json:"errors"`
	}
	p := list.Items[0]
	bad := map[string]any{"full_name": "Nguyễn Văn Bé", "birth_date": "1900-01-01", "sex": "M", "birth_place": "00004", "mother_pin": p.PIN}
	if strings.HasPrefix(p.PIN[3:4], "0") || strings.HasPrefix(p.PIN[3:4], "2") {
		bad["father_pin"], bad["mother_pin"] = p.PIN, nil
	}
	if code := call("POST", "/api/v1/events/birth", csrf, bad, &prob); code != 422 || len(prob.Errors) == 0 || prob.Errors[0].Field != "birth_date" {
		t.Errorf("README: a child born before a parent = %d %+v", code, prob)
	}
	// "The API: curl -s http://127.0.0.1:8080/api/v1/openapi.json".
	var doc struct {
		OpenAPI string `json:"openapi"`
	}
	// "the key set is public at GET /api/v1/events/keys".
	var keys struct {
		Keys []struct {
			Alg string `json:"alg"`
			Kid string `json:"kid"`
		} `json:"keys"`
	}
	if code := call("GET", "/api/v1/events/keys", "", nil, &keys); code != 200 || len(keys.Keys) != 1 || keys.Keys[0].Alg != "ES256" || keys.Keys[0].Kid == "" {
		t.Errorf("README: GET /api/v1/events/keys = %d, %+v", code, keys)
	}
	if code := call("GET", "/api/v1/openapi.json", "", nil, &doc); code != 200 || doc.OpenAPI == "" {
		t.Errorf("README: openapi.json = %d %q", code, doc.OpenAPI)
	}
	// "The audit log: signed in as auditor … GET /api/v1/audit?subject={pin}".
	call("DELETE", "/api/v1/session", csrf, nil, nil)
	var sess struct {
		CSRF string `json:"csrf_token"`
	}
	if code := call("POST", "/api/v1/session", "", map[string]string{"username": "auditor", "password": staff.DemoPassword}, &sess); code != 201 {
		t.Fatalf("README: sign in as auditor = %d", code)
	}
	var audit struct {
		Items []struct {
			Action string `json:"action"`
		} `json:"items"`
	}
	if code := call("GET", "/api/v1/audit?subject="+p.PIN, "", nil, &audit); code != 200 || len(audit.Items) == 0 {
		t.Errorf("README: the audit log of %s = %d, %d entries", p.PIN, code, len(audit.Items))
	}
}
