package register_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/populus-vn/populus/internal/auth"
	"github.com/populus-vn/populus/internal/civil"
	"github.com/populus-vn/populus/internal/db"
	"github.com/populus-vn/populus/internal/db/dbtest"
	"github.com/populus-vn/populus/internal/people"
)

// post sends a civil event to the register's API as pr and returns the
// status and the body.
func (e *env) post(pr auth.Principal, path string, body any) (int, string) {
	e.t.Helper()
	var b []byte
	switch v := body.(type) {
	case string:
		b = []byte(v)
	default:
		var err error
		if b, err = json.Marshal(v); err != nil {
			e.t.Fatal(err)
		}
	}
	mux := http.NewServeMux()
	for _, r := range e.reg.Routes() {
		mux.Handle(r.Pattern, r.Handler)
	}
	req := httptest.NewRequest(http.MethodPost, path, bytes.NewReader(b))
	req.Header.Set("Content-Type", "application/json")
	req = req.WithContext(auth.WithPrincipal(req.Context(), pr))
	w := httptest.NewRecorder()
	mux.ServeHTTP(w, req)
	return w.Code, w.Body.String()
}

// outside are people of Hồ Chí Minh, out of the reach of Ba Đình's officers,
// each with a fact a rule of some event would refuse on: a man, a married
// woman, a dead woman, the head of a household others live in.
type outside struct {
	man, wife, husband, dead, head, member *people.Person
	household                              string
}

func newOutside(e *env) outside {
	o := outside{
		man:     carded(e.person(hcm, "Đỗ Văn Xa", civil.Male, "1927-11-13")),
		wife:    carded(e.person(hcm, "Lý Thị Vợ", civil.Female, "1960-02-02")),
		husband: carded(e.person(hcm, "Hồ Văn Chồng", civil.Male, "1958-03-03")),
		dead:    carded(e.person(hcm, "Dương Thị Mất", civil.Female, "1950-04-04")),
		head:    carded(e.person(hcm, "Phan Văn Chủ", civil.Male, "1965-05-05")),
		member:  carded(e.person(hcm, "Phan Thị Con", civil.Female, "1995-06-06")),
	}
	couple(o.wife, o.husband)
	e.household(hcm, "9 Lê Lợi", o.husband, o.wife)
	o.dead.Status, o.dead.DeathDate = people.Deceased, mustDate("2020-01-01")
	e.household(hcm, "10 Lê Lợi", o.dead)
	e.household(hcm, "11 Lê Lợi", o.man)
	o.household = e.household(hcm, "12 Lê Lợi", o.head, o.member)
	return o
}

// TestEventsOutOfReachMatrix: every civil-event endpoint, given the PIN (or
// household) of a person out of the officer's reach in any slot of its
// request, answers exactly what it answers for an unknown PIN (the same
// status and body, the PIN aside), whatever the person's facts, stores
// nothing, and audits the attempt as denied against that PIN. Before,
// these answers told the person's sex and birth date, their marriage,
// their death and the size of their household.
func TestEventsOutOfReachMatrix(t *testing.T) {
	dbtest.Engines(t, testSchemas, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		o := newOutside(e)
		f := newThreeGenerations(e)
		local := e.importMan(baDinh, "1990-01-01")
		registrar, police := registrarAt(baDinh), policeAt(baDinh)
		meta := map[string]any{"reason": "thử"}
		with := func(m map[string]any) map[string]any {
			out := map[string]any{}
			for k, v := range meta {
				out[k] = v
			}
			for k, v := range m {
				out[k] = v
			}
			return out
		}
		birth := func(slot string) func(string) any {
			return func(x string) any {
				return with(map[string]any{"full_name": "Trần Minh Khôi", "birth_date": "2024-03-15", "sex": "M", "birth_place": baDinh, slot: x})
			}
		}
		type slot struct {
			name    string
			pr      auth.Principal
			path    string
			body    func(x string) any
			persons []*people.Person // out of reach, to put at x
		}
		everyone := []*people.Person{o.man, o.wife, o.dead, o.head}
		slots := []slot{
			{"birth, mother", registrar, "/api/v1/events/birth", birth("mother_pin"), everyone},
			{"birth, father", registrar, "/api/v1/events/birth", birth("father_pin"), everyone},
			{"death", registrar, "/api/v1/events/death", func(x string) any {
				return with(map[string]any{"pin": x, "death_date": "2025-01-02"})
			}, everyone},
			// With the card of the party out of reach (the rules then
			// refuse each of them), and with a wrong one.
			{"marriage, pin2", registrar, "/api/v1/events/marriage", func(x string) any {
				return with(map[string]any{"pin1": local.PIN, "pin2": x, "date": "2025-01-02", "card_number": x, "card_issued": cardIssued.String()})
			}, everyone},
			{"marriage, pin1", registrar, "/api/v1/events/marriage", func(x string) any {
				return with(map[string]any{"pin1": x, "pin2": local.PIN, "date": "2025-01-02", "card_number": x, "card_issued": cardIssued.String()})
			}, everyone},
			{"marriage, a wrong card", registrar, "/api/v1/events/marriage", func(x string) any {
				return with(map[string]any{"pin1": local.PIN, "pin2": x, "date": "2025-01-02", "card_number": x, "card_issued": "2020-01-01"})
			}, everyone},
			{"marriage, no card", registrar, "/api/v1/events/marriage", func(x string) any {
				return with(map[string]any{"pin1": local.PIN, "pin2": x, "date": "2025-01-02"})
			}, everyone},
			{"divorce", registrar, "/api/v1/events/divorce", func(x string) any {
				return with(map[string]any{"pin1": f.nam.PIN, "pin2": x, "date": "2025-01-02", "court": "Tòa án nhân dân khu vực 1", "judgment_number": "1/2025/HNGĐ-ST", "judgment_date": "2025-01-02"})
			}, everyone},
			{"correction", registrar, "/api/v1/events/correction", func(x string) any {
				return with(map[string]any{"pin": x, "full_name": "Tên Khác"})
			}, everyone},
			// With the card of the person (a wrong date of issue for the
			// head, whose move would be allowed with the right one).
			{"temporary residence", police, "/api/v1/events/residence", func(x string) any {
				return with(map[string]any{"pin": x, "kind": "temporary", "address": map[string]string{"unit_code": baDinh, "detail": "1 Đội Cấn"}, "card_number": x, "card_issued": cardIssued.String()})
			}, []*people.Person{o.dead}},
			{"permanent residence", police, "/api/v1/events/residence", func(x string) any {
				return with(map[string]any{"pin": x, "kind": "permanent", "address": map[string]string{"unit_code": baDinh, "detail": "2 Đội Cấn"}, "card_number": x, "card_issued": cardIssued.String()})
			}, []*people.Person{o.dead}},
			{"permanent residence, a wrong card", police, "/api/v1/events/residence", func(x string) any {
				return with(map[string]any{"pin": x, "kind": "permanent", "address": map[string]string{"unit_code": baDinh, "detail": "2 Đội Cấn"}, "card_number": x, "card_issued": "2021-07-02"})
			}, []*people.Person{o.dead, o.head}},
			{"residence removal", police, "/api/v1/events/residence-removal", func(x string) any {
				return with(map[string]any{"pin": x, "kind": "permanent"})
			}, everyone},
		}
		unknown := e.newPIN(hcm, civil.Female, 1950)
		for _, s := range slots {
			for _, p := range s.persons {
				t.Run(fmt.Sprintf("%s: %s", s.name, p.FullName), func(t *testing.T) {
					e.reg.ForgetCardChecks() // each pair of tries shows its cards anew
					status, body, denied := e.refused(t, s.pr, s.path, s.body, p.PIN)
					ustatus, ubody, udenied := e.refused(t, s.pr, s.path, s.body, unknown)
					want := http.StatusForbidden
					if strings.HasSuffix(s.name, "no card") {
						want = http.StatusUnprocessableEntity // the card asked for, alike
					}
					if status != want || status != ustatus || body != ubody {
						t.Errorf("out of reach: %d %s\nunknown:      %d %s", status, body, ustatus, ubody)
					}
					if denied < 1 || udenied < 1 {
						t.Errorf("denied audit rows against the PIN: %d (out of reach), %d (unknown), want ≥ 1", denied, udenied)
					}
					for _, fact := range []string{p.BirthDate.String(), "male", "female", "deceased", "married", "household", hcm} {
						if strings.Contains(body, fact) {
							t.Errorf("the refusal tells %q: %s", fact, body)
						}
					}
				})
			}
		}
		// A household out of reach is refused as an unknown one.
		for _, s := range []slot{
			{"birth into a household", registrar, "/api/v1/events/birth", func(x string) any {
				return with(map[string]any{"full_name": "Trần Minh Khôi", "birth_date": "2024-03-15", "sex": "M", "birth_place": baDinh, "mother_pin": f.mai.PIN, "household_id": x})
			}, nil},
			{"joining a household", police, "/api/v1/events/residence", func(x string) any {
				return with(map[string]any{"pin": local.PIN, "kind": "permanent", "household_id": x, "relation_to_head": "other_kin"})
			}, nil},
		} {
			t.Run(s.name, func(t *testing.T) {
				status, body, denied := e.refused(t, s.pr, s.path, s.body, o.household)
				ustatus, ubody, udenied := e.refused(t, s.pr, s.path, s.body, "HNOSUCH")
				if status != http.StatusForbidden || status != ustatus || strings.ReplaceAll(body, o.household, "X") != strings.ReplaceAll(ubody, "HNOSUCH", "X") {
					t.Errorf("out of reach: %d %s\nunknown:      %d %s", status, body, ustatus, ubody)
				}
				if e.audited(s.pr.ActorID(), "", "household:"+o.household, "denied") < 1 || udenied+denied < 0 {
					t.Errorf("no denied audit row against household:%s", o.household)
				}
			})
		}
	})
}

// refused sends the event with x in its slot and returns the status, the
// body with x replaced by PIN, and the number of new denied audit rows
// against x; it fails the test if anything but the audit log changed.
func (e *env) refused(t *testing.T, pr auth.Principal, path string, body func(string) any, x string) (int, string, int) {
	t.Helper()
	before := e.counts()
	deniedBefore := e.audited(pr.ActorID(), "", x, "denied")
	status, out := e.post(pr, path, body(x))
	after := e.counts()
	if after.persons != before.persons || after.events != before.events || after.households != before.households {
		t.Errorf("a refused event stored something: %+v → %+v", before, after)
	}
	return status, strings.ReplaceAll(out, x, "PIN"), e.audited(pr.ActorID(), "", x, "denied") - deniedBefore
}

// TestEventAnswersOnlyWhatMayBeRead: an event answers with the record of
// each person the officer may read once it is registered, audited as a
// read, and of anyone else with the event's id and the PIN only. Before, a
// temporary residence answered with the whole record of a person of
// another province, and a marriage with the other party's.
func TestEventAnswersOnlyWhatMayBeRead(t *testing.T) {
	dbtest.Engines(t, testSchemas, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		o := newOutside(e)
		local := e.importMan(baDinh, "1990-01-01")
		police, registrar := policeAt(baDinh), registrarAt(baDinh)

		// A temporary residence in Ba Đình of a man who lives in Hồ Chí
		// Minh (Luật Cư trú: registered where he stays).
		status, body := e.post(police, "/api/v1/events/residence", map[string]any{
			"pin": o.man.PIN, "kind": "temporary", "reason": "đi làm",
			"address":     map[string]string{"unit_code": baDinh, "detail": "Phòng 3, 5 Đội Cấn"},
			"card_number": o.man.PIN, "card_issued": cardIssued.String(),
		})
		if status != http.StatusCreated {
			t.Fatalf("temporary residence: %d %s", status, body)
		}
		var ack map[string]any
		if err := json.Unmarshal([]byte(body), &ack); err != nil {
			t.Fatal(err)
		}
		if len(ack) != 2 || ack["pin"] != o.man.PIN || !strings.HasPrefix(fmt.Sprint(ack["event_id"]), "E") {
			t.Errorf("the answer about a person out of reach is %s, want only the event id and the PIN", body)
		}
		if n := e.audited(police.ActorID(), string(auth.ReadPerson), o.man.PIN, "ok"); n != 0 {
			t.Errorf("%d reads of %s audited, none was answered", n, o.man.PIN)
		}

		// A marriage registered where the man lives: his record, her PIN.
		bride := e.importWoman(hcm, "1995-05-05")
		status, body = e.post(registrar, "/api/v1/events/marriage", map[string]any{"pin1": local.PIN, "pin2": bride.PIN, "date": "2025-01-02", "card_number": bride.PIN, "card_issued": cardIssued.String()})
		if status != http.StatusCreated {
			t.Fatalf("marriage: %d %s", status, body)
		}
		var pair []map[string]any
		if err := json.Unmarshal([]byte(body), &pair); err != nil {
			t.Fatal(err)
		}
		if len(pair) != 2 || pair[0]["pin"] != local.PIN || pair[0]["spouse_pin"] != bride.PIN || pair[0]["full_name"] == nil {
			t.Errorf("the answer about the officer's own person is %v, want the record", pair)
		}
		if len(pair) == 2 && (len(pair[1]) != 2 || pair[1]["pin"] != bride.PIN) {
			t.Errorf("the answer about the bride, out of reach, is %v, want only the event id and the PIN", pair[1])
		}
		if n := e.count(`SELECT count(*) FROM audit_log WHERE actor = $1 AND action = $2 AND subject = $3 AND outcome = 'ok' AND detail LIKE 'answer to event %'`,
			registrar.ActorID(), string(auth.ReadPerson), local.PIN); n != 1 {
			t.Errorf("%d audited reads of the record answered, want 1", n)
		}
		if n := e.audited(registrar.ActorID(), string(auth.ReadPerson), bride.PIN, "ok"); n != 0 {
			t.Errorf("%d reads of the bride audited, none was answered", n)
		}

		// A residence in a unit out of reach is refused, naming the unit
		// the officer gave.
		status, body = e.post(police, "/api/v1/events/residence", map[string]any{
			"pin": local.PIN, "kind": "temporary", "address": map[string]string{"unit_code": hcm, "detail": "1 Lê Lợi"},
		})
		if status != http.StatusForbidden {
			t.Errorf("residence in another province: %d %s", status, body)
		}
		if got := e.get(local.PIN); !got.Temporary.IsZero() {
			t.Errorf("refused residence applied: %+v", got.Temporary)
		}
	})
}

// TestBirthParentOutOfReach: a registrar may not name as a parent a person
// out of reach (the rule this register adopts; a registrar whose reach
// covers the parent, or a nation-wide one, may), nor correct a date of birth
// against such a parent: either would tell the parent's facts.
func TestBirthParentOutOfReach(t *testing.T) {
	dbtest.Engines(t, testSchemas, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		o := newOutside(e)
		officer := registrarAt(baDinh)
		b := people.BirthRegistration{FullName: "Đỗ Minh Khôi", BirthDate: mustDate("2024-03-15"), Sex: civil.Male, BirthPlace: baDinh, MotherPIN: o.wife.PIN}
		before := e.counts()
		_, err := e.reg.RegisterBirth(e.ctx, officer, b)
		e.wantDenied(t, officer, auth.RegisterBirth, o.wife.PIN, before, err)
		if _, err := e.reg.RegisterBirth(e.ctx, registrarAt("79"), people.BirthRegistration{
			FullName: "Hồ Minh Khôi", BirthDate: mustDate("2024-03-15"), Sex: civil.Male, BirthPlace: hcm, MotherPIN: o.wife.PIN, FatherPIN: o.husband.PIN,
		}); err != nil {
			t.Errorf("a registrar of the parents' province: %v", err)
		}

		// A child of Ba Đình whose mother lives in Hồ Chí Minh.
		child := childOf(e.person(baDinh, "Đỗ Văn Bé", civil.Male, "1990-01-01"), o.man, nil)
		e.household(baDinh, "3 Đội Cấn", child)
		before = e.counts()
		_, err = e.reg.Correct(e.ctx, officer, people.Correction{PIN: child.PIN, BirthDate: ptr(mustDate("1990-01-02")), Meta: people.Meta{Reason: "cải chính"}})
		e.wantDenied(t, officer, auth.CorrectRecord, o.man.PIN, before, err)
		if strings.Contains(err.Error(), o.man.BirthDate.String()) {
			t.Errorf("the refusal tells the parent's birth date: %v", err)
		}
	})
}
