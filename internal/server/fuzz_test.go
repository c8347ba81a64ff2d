package server

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/populus-vn/populus/internal/audit"
	"github.com/populus-vn/populus/internal/auth"
	"github.com/populus-vn/populus/internal/civil"
	"github.com/populus-vn/populus/internal/db"
	"github.com/populus-vn/populus/internal/db/dbtest"
	"github.com/populus-vn/populus/internal/people"
	"github.com/populus-vn/populus/internal/pin"
	"github.com/populus-vn/populus/internal/register"
	"github.com/populus-vn/populus/internal/units"
)

// eventPaths are the write endpoints the fuzzer aims at, by index.
var eventPaths = []string{"birth", "death", "marriage", "divorce", "residence", "residence-removal", "correction"}

// fixture is a register with one household of two parents, served by the
// register's routes to a nation-wide registrar and police officer.
type fixture struct {
	db      *db.DB
	h       http.Handler
	mother  string
	father  string
	house   string
	counted func() [3]int
}

func newFixture(t testing.TB) *fixture {
	d := dbtest.SQLite(t, testSchemas...)
	u := units.Default()
	log := audit.New(d)
	t.Cleanup(log.Close)
	reg := register.New(d, auth.NewGuard(auth.NewPolicy(u), log), log, u)
	mk := func(sex civil.Sex, year, serial int) string {
		prefix, err := pin.Prefix("001", sex, year)
		if err != nil {
			t.Fatal(err)
		}
		return string(pin.New(prefix, serial))
	}
	f := &fixture{db: d, mother: mk(civil.Female, 1992, 11), father: mk(civil.Male, 1990, 12), house: "HFUZZ1"}
	addr := people.Address{Unit: "00004", Detail: "Số 1 Phố Đội Cấn"}
	im := register.NewImporter(d)
	err := im.Add(context.Background(), &people.Household{ID: f.house, UnitCode: "00004", Address: addr.Detail}, []people.Person{
		{PIN: f.father, FullName: "Trần Văn Hùng", BirthDate: civil.Date{Year: 1990, Month: 3, Day: 2}, Sex: civil.Male, Ethnicity: "01", Permanent: addr, Current: addr, HouseholdID: f.house, Relation: people.Head, SpousePIN: f.mother},
		{PIN: f.mother, FullName: "Lê Thị Lan", BirthDate: civil.Date{Year: 1992, Month: 8, Day: 19}, Sex: civil.Female, Ethnicity: "01", Permanent: addr, Current: addr, HouseholdID: f.house, Relation: people.Spouse, SpousePIN: f.father},
	})
	if err == nil {
		err = im.Flush(context.Background())
	}
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	for _, rt := range reg.Routes() {
		mux.Handle(rt.Pattern, rt.Handler)
	}
	f.h = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		role := auth.Registrar
		if strings.Contains(r.URL.Path, "residence") {
			role = auth.PoliceOfficer
		}
		mux.ServeHTTP(w, r.WithContext(auth.WithPrincipal(r.Context(), auth.Staff(1, "fuzz", "", role, "VN"))))
	})
	f.counted = func() [3]int {
		var c [3]int
		for i, table := range []string{"persons", "person_events", "households"} {
			d.QueryRow("SELECT count(*) FROM " + table).Scan(&c[i])
		}
		return c
	}
	return f
}

func (f *fixture) post(path string, body []byte) *httptest.ResponseRecorder {
	req := httptest.NewRequest("POST", "/api/v1/events/"+path, bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	rec := httptest.NewRecorder()
	f.h.ServeHTTP(rec, req)
	return rec
}

// FuzzEventEndpoints sends arbitrary bodies to every civil-event endpoint:
// the answer is a success or a 4xx problem document, never a 5xx, and a
// refused request stores nothing.
func FuzzEventEndpoints(f *testing.F) {
	seeds := map[string]string{
		"birth":             `{"full_name":"Trần Thị Mai","birth_date":"2025-01-05","sex":"F","birth_place":"00004","mother_pin":"MOTHER","father_pin":"FATHER"}`,
		"death":             `{"pin":"FATHER","death_date":"2025-02-01","reason":"giấy báo tử"}`,
		"marriage":          `{"pin1":"FATHER","pin2":"MOTHER","date":"2020-01-01"}`,
		"divorce":           `{"pin1":"FATHER","pin2":"MOTHER","date":"2024-01-01"}`,
		"residence":         `{"pin":"MOTHER","kind":"temporary","address":{"unit_code":"00004","detail":"Số 3"}}`,
		"residence-removal": `{"pin":"MOTHER","kind":"temporary"}`,
		"correction":        `{"pin":"MOTHER","full_name":"Lê Thị Lan Anh","reason":"sai chính tả"}`,
	}
	for i, p := range eventPaths {
		f.Add(uint8(i), []byte(seeds[p]))
		f.Add(uint8(i), []byte(`{"birth_date":"2023-02-29"}`))
		f.Add(uint8(i), []byte(`{"pin":12}`))
	}
	fx := newFixture(f)
	f.Fuzz(func(t *testing.T, which uint8, body []byte) {
		path := eventPaths[int(which)%len(eventPaths)]
		body = bytes.ReplaceAll(bytes.ReplaceAll(body, []byte("MOTHER"), []byte(fx.mother)), []byte("FATHER"), []byte(fx.father))
		before := fx.counted()
		rec := fx.post(path, body)
		if rec.Code >= 500 {
			t.Fatalf("%s %q: status %d: %s", path, body, rec.Code, rec.Body)
		}
		if rec.Code >= 400 {
			if ct := rec.Header().Get("Content-Type"); ct != "application/problem+json" {
				t.Fatalf("%s: error with content type %q", path, ct)
			}
			var p struct{ Status int }
			if json.Unmarshal(rec.Body.Bytes(), &p) != nil || p.Status != rec.Code {
				t.Fatalf("%s: malformed problem %s", path, rec.Body)
			}
			if after := fx.counted(); after != before {
				t.Fatalf("%s: refused request changed the store: %v -> %v", path, before, after)
			}
		}
	})
}

// TestBadInputStoresNothing runs the kinds of bad input the issue names
// through the API and checks the problem names the field.
func TestBadInputStoresNothing(t *testing.T) {
	fx := newFixture(t)
	birth := func(mut string) []byte {
		return []byte(strings.NewReplacer("MOTHER", fx.mother).Replace(mut))
	}
	cases := []struct {
		path, body, field string
		status            int
	}{
		{"birth", `{"full_name":"An","birth_date":"2025-01-05","sex":"F","birth_place":"00004","mother_pin":"001192000012"}`, "mother_pin", 422},
		{"birth", `{"full_name":"An","birth_date":"2023-02-29","sex":"F","birth_place":"00004","mother_pin":"MOTHER"}`, "birth_date", 400},
		{"birth", `{"full_name":"An","birth_date":"2025-01-05","sex":"F","birth_place":"99999","mother_pin":"MOTHER"}`, "birth_place", 422},
		{"birth", `{"full_name":"An","birth_date":"1980-01-05","sex":"F","birth_place":"00004","mother_pin":"MOTHER"}`, "birth_date", 422},
		{"birth", `{"full_name":"An","birth_date":"2025-01-05","sex":"X","birth_place":"00004","mother_pin":"MOTHER"}`, "sex", 400},
		{"birth", `{"full_name":"An","birth_date":"2025-01-05","sex":"F","birth_place":"00004","mother_pin":"MOTHER","extra":1}`, "extra", 400},
		{"death", `{"pin":"12345","death_date":"2025-01-01"}`, "pin", 422},
		{"marriage", `{"pin1":"MOTHER","pin2":"MOTHER","date":"2020-01-01"}`, "pin2", 422},
		{"residence", `{"pin":"MOTHER","kind":"permanent","household_id":"HFUZZ1","relation_to_head":"head"}`, "relation_to_head", 422},
		{"death", `{"pin":"12345","pin":"MOTHER","death_date":"2025-01-01"}`, "pin", 400},
		{"correction", `{"pin":"MOTHER","full_name":"Lê Thị Lan Anh","Full_Name":"X","reason":"sai"}`, "Full_Name", 400},
		{"residence", `{"pin":"MOTHER","kind":"temporary","address":{"unit_code":"00004","unit_code":"99999","detail":"Số 3"}}`, "address.unit_code", 400},
		{"residence", `{"pin":"MOTHER","kind":"temporary","address":{"unit_code":"00004","a":1}}`, "address.a", 400},
	}
	for _, c := range cases {
		before := fx.counted()
		rec := fx.post(c.path, birth(c.body))
		var p struct {
			Status int
			Errors []struct{ Field string }
		}
		json.Unmarshal(rec.Body.Bytes(), &p)
		if rec.Code != c.status || len(p.Errors) == 0 || p.Errors[0].Field != c.field {
			t.Errorf("%s %s: %d %s; want %d naming %s", c.path, c.body, rec.Code, rec.Body, c.status, c.field)
		}
		if after := fx.counted(); after != before {
			t.Errorf("%s: stored something: %v -> %v", c.path, before, after)
		}
	}
	big := append([]byte(`{"full_name":"`), bytes.Repeat([]byte("a"), 20<<10)...)
	if rec := fx.post("birth", append(big, `"}`...)); rec.Code != 413 {
		t.Errorf("oversized body: %d", rec.Code)
	}
}
