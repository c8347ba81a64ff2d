package register_test

import (
	"maps"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/populus-vn/populus/internal/civil"
	"github.com/populus-vn/populus/internal/db"
	"github.com/populus-vn/populus/internal/db/dbtest"
	"github.com/populus-vn/populus/internal/people"
	"github.com/populus-vn/populus/internal/pin"
	"github.com/populus-vn/populus/internal/problem"
	"github.com/populus-vn/populus/internal/register"
)

// threeGenerations is a household in Ba Đình: grandparents (head and
// spouse), their daughter Mai and her husband Nam (child-in-law); and, in Hồ
// Chí Minh, a household headed by a woman, Lan.
type threeGenerations struct {
	hhBaDinh, hhHCM         string
	grandpa, grandma        *people.Person
	mai, nam                *people.Person
	lan, lanHusband         *people.Person
	hhBaDinhAddr, hhHCMAddr string
}

func newThreeGenerations(e *env) *threeGenerations {
	f := &threeGenerations{hhBaDinhAddr: "12 Phố Đội Cấn", hhHCMAddr: "45 Nguyễn Trãi"}
	f.grandpa = e.person(baDinh, "Nguyễn Văn Hùng", civil.Male, "1955-04-02")
	f.grandma = e.person(baDinh, "Lê Thị Hoa", civil.Female, "1958-09-20")
	f.grandma.Relation = people.Spouse
	couple(f.grandpa, f.grandma)
	f.mai = childOf(carded(e.person(baDinh, "Nguyễn Thị Mai", civil.Female, "1990-06-15")), f.grandpa, f.grandma)
	f.mai.Relation = people.Child
	f.nam = e.person(baDinh, "Trần Văn Nam", civil.Male, "1988-11-03")
	f.nam.Relation = people.ChildInLaw
	couple(f.mai, f.nam)
	f.hhBaDinh = e.household(baDinh, f.hhBaDinhAddr, f.grandpa, f.grandma, f.mai, f.nam)

	f.lan = e.person(hcm, "Phạm Thị Lan", civil.Female, "1992-01-30")
	f.lanHusband = e.person(hcm, "Võ Minh Tuấn", civil.Male, "1991-03-12")
	f.lanHusband.Relation = people.Spouse
	couple(f.lan, f.lanHusband)
	f.hhHCM = e.household(hcm, f.hhHCMAddr, f.lan, f.lanHusband)
	return f
}

func TestRegisterBirth(t *testing.T) {
	dbtest.Engines(t, testSchemas, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		f := newThreeGenerations(e)

		tests := []struct {
			name         string
			by           string // commune of the registrar
			b            people.BirthRegistration
			wantProvince string
			wantDigit4   byte
			wantHH       string
			wantAddr     people.Address
			wantRelation people.Relation
		}{
			{
				name: "mother is the head's child: grandchild in the grandparents' household",
				by:   baDinh,
				b: people.BirthRegistration{
					FullName: "  Trần Minh Khôi ", BirthDate: mustDate("2024-03-15"), Sex: civil.Male, BirthPlace: baDinh,
					FatherPIN: f.nam.PIN, MotherPIN: f.mai.PIN, Meta: people.Meta{Reason: "khai sinh đúng hạn"},
				},
				wantProvince: "001", wantDigit4: '2', wantHH: f.hhBaDinh,
				wantAddr:     people.Address{Unit: baDinh, Detail: f.hhBaDinhAddr},
				wantRelation: people.Grandchild,
			},
			{
				name: "mother is head: child; registered in Hồ Chí Minh, so prefix 079",
				by:   hcm,
				b: people.BirthRegistration{
					FullName: "Võ Ngọc Hân", BirthDate: mustDate("2023-12-31"), Sex: civil.Female, BirthPlace: hcm,
					FatherPIN: f.lanHusband.PIN, MotherPIN: f.lan.PIN,
				},
				wantProvince: "079", wantDigit4: '3', wantHH: f.hhHCM,
				wantAddr:     people.Address{Unit: hcm, Detail: f.hhHCMAddr},
				wantRelation: people.Child,
			},
			{
				name: "only the father given: his household",
				by:   hcm,
				b: people.BirthRegistration{
					FullName: "Võ Minh Khang", BirthDate: mustDate("2025-01-05"), Sex: civil.Male, BirthPlace: hcm,
					FatherPIN: f.lanHusband.PIN,
				},
				wantProvince: "079", wantDigit4: '2', wantHH: f.hhHCM,
				wantAddr:     people.Address{Unit: hcm, Detail: f.hhHCMAddr},
				wantRelation: people.Child,
			},
		}
		for _, tc := range tests {
			t.Run(tc.name, func(t *testing.T) {
				before := e.counts()
				officer := registrarAt(tc.by)
				child, err := e.reg.RegisterBirth(e.ctx, officer, tc.b)
				if err != nil {
					t.Fatal(err)
				}

				// The PIN is well formed and says what the record says.
				p, parts, err := pin.Parse(child.PIN)
				if err != nil {
					t.Fatalf("issued PIN %q does not parse: %v", child.PIN, err)
				}
				if parts.Province != tc.wantProvince || parts.Sex != tc.b.Sex || parts.BirthYear != tc.b.BirthDate.Year {
					t.Errorf("PIN %s parts = %+v, want province %s, sex %s, year %d", p, parts, tc.wantProvince, tc.b.Sex, tc.b.BirthDate.Year)
				}
				if child.PIN[3] != tc.wantDigit4 {
					t.Errorf("PIN %s digit 4 = %c, want %c", child.PIN, child.PIN[3], tc.wantDigit4)
				}
				if err := parts.CheckPerson(child.Sex, child.BirthDate); err != nil {
					t.Errorf("PIN disagrees with the record: %v", err)
				}

				// The stored record.
				got := e.get(child.PIN)
				if got.FullName != strings.TrimSpace(tc.b.FullName) || got.BirthDate != tc.b.BirthDate || got.Sex != tc.b.Sex || got.BirthPlace != tc.b.BirthPlace {
					t.Errorf("stored %+v", got)
				}
				if got.FatherPIN != tc.b.FatherPIN || got.MotherPIN != tc.b.MotherPIN {
					t.Errorf("parents = %q/%q, want %q/%q", got.FatherPIN, got.MotherPIN, tc.b.FatherPIN, tc.b.MotherPIN)
				}
				if got.HouseholdID != tc.wantHH || got.Relation != tc.wantRelation {
					t.Errorf("household = %s as %s, want %s as %s", got.HouseholdID, got.Relation, tc.wantHH, tc.wantRelation)
				}
				if got.Permanent != tc.wantAddr || got.Current != tc.wantAddr {
					t.Errorf("permanent = %+v, current = %+v, want %+v", got.Permanent, got.Current, tc.wantAddr)
				}
				if got.Status != people.Alive || got.Version != 1 || got.Ethnicity != "01" || got.Nationality != "VN" {
					t.Errorf("status %s, version %d, ethnicity %q, nationality %q", got.Status, got.Version, got.Ethnicity, got.Nationality)
				}
				if got.SpousePIN != "" || !got.DeathDate.IsZero() {
					t.Errorf("newborn has spouse %q or death date %s", got.SpousePIN, got.DeathDate)
				}

				// The household lists the child.
				_, members, err := e.reg.Household(e.ctx, nation, tc.wantHH)
				if err != nil {
					t.Fatal(err)
				}
				found := false
				for _, m := range members {
					if m.PIN == child.PIN {
						found = m.Relation == tc.wantRelation
					}
				}
				if !found {
					t.Errorf("household %s members %+v lack %s as %s", tc.wantHH, members, child.PIN, tc.wantRelation)
				}

				// History: exactly one birth event carrying the new values.
				h := e.history(child.PIN)
				if len(h) != 1 {
					t.Fatalf("history has %d entries, want 1: %+v", len(h), h)
				}
				ev := h[0]
				if ev.Kind != people.KindBirth || ev.Version != 1 || ev.EventID == "" || ev.Actor != officer.ActorID() {
					t.Errorf("event = %+v", ev)
				}
				if ev.Reason != tc.b.Reason || ev.LegalBasis == "" {
					t.Errorf("reason %q, legal basis %q", ev.Reason, ev.LegalBasis)
				}
				for field, want := range map[string]any{
					"pin": child.PIN, "full_name": got.FullName, "birth_date": tc.b.BirthDate.String(),
					"mother_pin": tc.b.MotherPIN, "father_pin": tc.b.FatherPIN, "household_id": tc.wantHH,
					"relation_to_head": string(tc.wantRelation), "status": "alive",
				} {
					if want == "" {
						continue
					}
					c, ok := ev.Changes[field]
					if !ok {
						t.Errorf("birth event has no change of %s: %v", field, ev.Changes)
						continue
					}
					if c.New != want {
						t.Errorf("change %s new = %v, want %v", field, c.New, want)
					}
					if c.Old != nil && c.Old != "" {
						t.Errorf("change %s old = %v, want empty", field, c.Old)
					}
				}
				if addr, _ := ev.Changes["permanent_residence"].New.(map[string]any); addr["unit_code"] != tc.wantAddr.Unit {
					t.Errorf("change permanent_residence = %v", ev.Changes["permanent_residence"])
				}

				// The write is audited in the same transaction.
				if n := e.audited(officer.ActorID(), "event.birth", child.PIN, "ok"); n != 1 {
					t.Errorf("%d audit rows for the birth, want 1", n)
				}
				after := e.counts()
				if after.persons != before.persons+1 || after.events != before.events+1 {
					t.Errorf("counts %+v → %+v: want one more person and one more event", before, after)
				}
			})
		}
	})
}

// TestRegisterBirthRefusals: bad input is refused, naming the field, and
// nothing is stored: no person, no history, no audit entry.
func TestRegisterBirthRefusals(t *testing.T) {
	dbtest.Engines(t, testSchemas, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		f := newThreeGenerations(e)
		valid := func() people.BirthRegistration {
			return people.BirthRegistration{
				FullName: "Trần Minh Khôi", BirthDate: mustDate("2024-03-15"), Sex: civil.Male, BirthPlace: baDinh,
				FatherPIN: f.nam.PIN, MotherPIN: f.mai.PIN,
			}
		}
		unknownPIN := e.newPIN(baDinh, civil.Female, 1991) // well formed, never stored
		future := civil.DateOf(time.Now().AddDate(1, 0, 0))
		tests := []struct {
			name   string
			change func(b *people.BirthRegistration)
			fields []string
			kind   problem.Kind
		}{
			{"missing name", func(b *people.BirthRegistration) { b.FullName = "  " }, []string{"full_name"}, problem.Invalid},
			{"name with digits", func(b *people.BirthRegistration) { b.FullName = "Khôi 2" }, []string{"full_name"}, problem.Invalid},
			{"future birth date", func(b *people.BirthRegistration) { b.BirthDate = future }, []string{"birth_date"}, problem.Invalid},
			{"partial birth date", func(b *people.BirthRegistration) { b.BirthDate = mustDate("2024-03") }, []string{"birth_date"}, problem.Invalid},
			{"no birth date", func(b *people.BirthRegistration) { b.BirthDate = civil.Date{} }, []string{"birth_date"}, problem.Invalid},
			{"unknown sex", func(b *people.BirthRegistration) { b.Sex = civil.SexUnknown }, []string{"sex"}, problem.Invalid},
			{"unknown birth place", func(b *people.BirthRegistration) { b.BirthPlace = "99999" }, []string{"birth_place"}, problem.Invalid},
			{"birth place is a province", func(b *people.BirthRegistration) { b.BirthPlace = "01" }, []string{"birth_place"}, problem.Invalid},
			{"no birth place", func(b *people.BirthRegistration) { b.BirthPlace = "" }, []string{"birth_place"}, problem.Invalid},
			{"no parent", func(b *people.BirthRegistration) { b.FatherPIN, b.MotherPIN = "", "" }, []string{"mother_pin"}, problem.Invalid},
			{"unknown mother PIN", func(b *people.BirthRegistration) { b.MotherPIN = unknownPIN }, nil, problem.Forbidden}, // as a mother out of reach
			{"name with a newline", func(b *people.BirthRegistration) { b.FullName = "Trần\nKhôi" }, []string{"full_name"}, problem.Invalid},
			{"name with a right-to-left override", func(b *people.BirthRegistration) { b.FullName = "Trần \u202eKhôi" }, []string{"full_name"}, problem.Invalid},
			{"name not UTF-8", func(b *people.BirthRegistration) { b.FullName = "Tr\xe1n Khôi" }, []string{"full_name"}, problem.Invalid},
			{"name as a formula", func(b *people.BirthRegistration) { b.FullName = "=SUM(A:A)" }, []string{"full_name"}, problem.Invalid},
			{"father recorded as female", func(b *people.BirthRegistration) { b.FatherPIN = f.mai.PIN; b.MotherPIN = "" }, []string{"father_pin"}, problem.Invalid},
			{"mother recorded as male", func(b *people.BirthRegistration) { b.MotherPIN = f.nam.PIN; b.FatherPIN = "" }, []string{"mother_pin"}, problem.Invalid},
			{"child born before the mother", func(b *people.BirthRegistration) { b.BirthDate = mustDate("1990-06-14") }, []string{"birth_date"}, problem.Invalid},
			{"child born on the mother's birthday", func(b *people.BirthRegistration) { b.BirthDate = mustDate("1990-06-15") }, []string{"birth_date"}, problem.Invalid},
			{"malformed father PIN", func(b *people.BirthRegistration) { b.FatherPIN = "00120012345" }, []string{"father_pin"}, problem.Invalid},
			{"father PIN with a letter", func(b *people.BirthRegistration) { b.FatherPIN = "0012O0012345" }, []string{"father_pin"}, problem.Invalid},
			{"head as relation", func(b *people.BirthRegistration) { b.Relation = people.Head }, []string{"relation_to_head"}, problem.Invalid},
			// Refused as a household out of reach is: only a nation-wide
			// registrar is told that it does not exist.
			{"unknown household", func(b *people.BirthRegistration) { b.HouseholdID = "HNOSUCH" }, nil, problem.Forbidden},
			{"unknown ethnicity", func(b *people.BirthRegistration) { b.Ethnicity = "99" }, []string{"ethnicity"}, problem.Invalid},
			{"future effective date", func(b *people.BirthRegistration) { b.Effective = future }, []string{"effective_date"}, problem.Invalid},
			{"several at once", func(b *people.BirthRegistration) { b.FullName = ""; b.BirthPlace = "x"; b.Sex = 0 }, []string{"full_name", "birth_place", "sex"}, problem.Invalid},
		}
		for _, tc := range tests {
			t.Run(tc.name, func(t *testing.T) {
				b := valid()
				tc.change(&b)
				before := e.counts()
				_, err := e.reg.RegisterBirth(e.ctx, registrarAt(baDinh), b)
				wantProblem(t, err, tc.kind, tc.fields...)
				if after := e.counts(); after.persons != before.persons || after.events != before.events || after.households != before.households {
					t.Errorf("a refused birth stored something: %+v → %+v", before, after)
				}
			})
		}
		// The valid registration is accepted, so the refusals above are
		// down to the change each made.
		if _, err := e.reg.RegisterBirth(e.ctx, registrarAt(baDinh), valid()); err != nil {
			t.Fatalf("valid registration refused: %v", err)
		}
	})
}

// TestRegisterBirthConcurrentPINs: many births at once under one prefix get
// distinct PINs, and all succeed.
func TestRegisterBirthConcurrentPINs(t *testing.T) {
	dbtest.Engines(t, testSchemas, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		f := newThreeGenerations(e)
		const n = 40
		b := people.BirthRegistration{
			FullName: "Trần Minh Khôi", BirthDate: mustDate("2024-03-15"), Sex: civil.Male, BirthPlace: baDinh,
			FatherPIN: f.nam.PIN, MotherPIN: f.mai.PIN,
		}
		prefix, _ := pin.Prefix("001", civil.Male, 2024)
		var (
			wg      sync.WaitGroup
			mu      sync.Mutex
			pins    []string
			errs    []error
			retries int
		)
		start := make(chan struct{})
		for i := 0; i < n; i++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				for {
					child, err := e.reg.RegisterBirth(e.ctx, registrarAt(baDinh), b)
					mu.Lock()
					if problem.Is(err, problem.Conflict) && strings.Contains(err.Error(), "changed") {
						retries++
						mu.Unlock()
						continue
					}
					if err != nil {
						errs = append(errs, err)
					} else {
						pins = append(pins, child.PIN)
					}
					mu.Unlock()
					return
				}
			}()
		}
		close(start)
		wg.Wait()
		for _, err := range errs {
			t.Errorf("concurrent birth failed: %v", err)
		}
		if retries > 0 {
			t.Logf("%d births retried after a version conflict", retries)
		}
		seen := map[string]bool{}
		for _, p := range pins {
			if seen[p] {
				t.Errorf("PIN %s issued twice", p)
			}
			seen[p] = true
			if !strings.HasPrefix(p, prefix) {
				t.Errorf("PIN %s lacks prefix %s", p, prefix)
			}
		}
		if len(seen) != n {
			t.Errorf("%d distinct PINs, want %d", len(seen), n)
		}
		if got := e.count(`SELECT count(*) FROM persons WHERE mother_pin = $1`, f.mai.PIN); got != n {
			t.Errorf("%d children of the mother stored, want %d", got, n)
		}
		if got := e.count(`SELECT count(*) FROM person_events WHERE kind = 'birth'`); got != n {
			t.Errorf("%d birth events, want %d", got, n)
		}
	})
}

// TestRegisterBirthCrowdedPrefix: when most serials of a prefix are taken, the
// draw retries until it finds a free one and never reuses an issued PIN.
func TestRegisterBirthCrowdedPrefix(t *testing.T) {
	if testing.Short() {
		t.Skip("imports 100,000 people")
	}
	dbtest.Engines(t, testSchemas, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		f := newThreeGenerations(e)
		// Take 10% of the serials of 001224 (Hà Nội, male, 2024), so that
		// about one draw in ten hits a taken PIN and must be drawn again.
		prefix, _ := pin.Prefix("001", civil.Male, 2024)
		const taken = 100_000
		im := register.NewImporter(d)
		perm := pin.NewPermutation(1)
		for i := 0; i < taken; i++ {
			err := im.Add(e.ctx, nil, []people.Person{{
				PIN: string(pin.New(prefix, perm.Serial(i))), FullName: "Người Có Sẵn", Sex: civil.Male,
				BirthDate: mustDate("2024-01-01"), BirthPlace: baDinh,
			}})
			if err != nil {
				t.Fatal(err)
			}
		}
		if err := im.Flush(e.ctx); err != nil {
			t.Fatal(err)
		}
		for i := 0; i < 40; i++ {
			child, err := e.reg.RegisterBirth(e.ctx, registrarAt(baDinh), people.BirthRegistration{
				FullName: "Trần Minh Khôi", BirthDate: mustDate("2024-03-15"), Sex: civil.Male, BirthPlace: baDinh,
				MotherPIN: f.mai.PIN,
			})
			if err != nil {
				t.Fatal(err)
			}
			got := e.get(child.PIN)
			if got.FullName != "Trần Minh Khôi" || got.MotherPIN != f.mai.PIN {
				t.Fatalf("PIN %s was issued over an existing person: %+v", child.PIN, got)
			}
		}
		if n := e.count(`SELECT count(*) FROM persons WHERE full_name = 'Người Có Sẵn'`); n != taken {
			t.Errorf("%d existing people left, want %d", n, taken)
		}
	})
}

// TestRegisterBirthAfterMothersDeath: a mother who died in childbirth, or
// whose death was registered first, does not prevent the birth registration
// (Luật Hộ tịch 2014 art. 15: a relative may declare it); a child born after
// the mother's death is refused.
func TestRegisterBirthAfterMothersDeath(t *testing.T) {
	dbtest.Engines(t, testSchemas, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		f := newThreeGenerations(e)
		if _, err := e.reg.RegisterDeath(e.ctx, nation, people.DeathRegistration{PIN: f.mai.PIN, DeathDate: mustDate("2024-03-15")}); err != nil {
			t.Fatal(err)
		}
		b := people.BirthRegistration{
			FullName: "Trần Minh Khôi", BirthDate: mustDate("2024-03-20"), Sex: civil.Male, BirthPlace: baDinh,
			FatherPIN: f.nam.PIN, MotherPIN: f.mai.PIN,
		}
		_, err := e.reg.RegisterBirth(e.ctx, registrarAt(baDinh), b)
		wantProblem(t, err, problem.Invalid, "mother_pin")

		b.BirthDate = mustDate("2024-03-15")
		child, err := e.reg.RegisterBirth(e.ctx, registrarAt(baDinh), b)
		if err != nil {
			t.Fatalf("birth on the day of the mother's death refused: %v", err)
		}
		if child.MotherPIN != f.mai.PIN || child.HouseholdID != f.hhBaDinh {
			t.Errorf("child %+v", child)
		}
	})
}

// TestBirthParticulars: the actual place of birth, the declarant and the
// medical birth certificate are checked and kept in the birth's history
// entry; wrong ones refuse the birth.
func TestBirthParticulars(t *testing.T) {
	dbtest.Engines(t, testSchemas, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		f := newThreeGenerations(e)
		officer := registrarAt(baDinh)
		base := func() people.BirthRegistration {
			return people.BirthRegistration{FullName: "Trần Minh An", BirthDate: mustDate("2025-03-01"), Sex: civil.Male, BirthPlace: baDinh,
				MotherPIN: f.mai.PIN, FatherPIN: f.nam.PIN}
		}
		tests := []struct {
			name   string
			edit   func(*people.BirthRegistration)
			fields []string
		}{
			{"actual place without a commune", func(b *people.BirthRegistration) { b.ActualPlace.Detail = "Bệnh viện Phụ sản Hà Nội" }, []string{"actual_birth_place.unit_code"}},
			{"actual place in an unknown commune", func(b *people.BirthRegistration) {
				b.ActualPlace = people.Address{Unit: "99999", Detail: "Bệnh viện"}
			}, []string{"actual_birth_place.unit_code"}},
			{"actual place without detail", func(b *people.BirthRegistration) { b.ActualPlace.Unit = hanoi2 }, []string{"actual_birth_place.detail"}},
			{"declarant name too long", func(b *people.BirthRegistration) { b.DeclarantName = strings.Repeat("A", 101) }, []string{"declarant_name"}},
			{"certificate number on two lines", func(b *people.BirthRegistration) { b.CertificateNumber = "12\n34" }, []string{"birth_certificate_number"}},
		}
		for _, tc := range tests {
			t.Run(tc.name, func(t *testing.T) {
				b := base()
				tc.edit(&b)
				before := e.counts()
				_, err := e.reg.RegisterBirth(e.ctx, officer, b)
				wantProblem(t, err, problem.Invalid, tc.fields...)
				if after := e.counts(); after != before {
					t.Errorf("refused birth stored something: %+v → %+v", before, after)
				}
			})
		}
		b := base()
		b.ActualPlace = people.Address{Unit: hanoi2, Detail: " Bệnh viện Phụ sản Hà Nội "}
		b.DeclarantName, b.DeclarantRelation, b.CertificateNumber = "Nguyễn Thị Mai", "mẹ", "GCS-2025-000123"
		child, err := e.reg.RegisterBirth(e.ctx, officer, b)
		if err != nil {
			t.Fatal(err)
		}
		want := map[string]string{
			people.DetailActualPlaceUnit: hanoi2, people.DetailActualPlaceDetail: "Bệnh viện Phụ sản Hà Nội",
			people.DetailDeclarantName: "Nguyễn Thị Mai", people.DetailDeclarantRelation: "mẹ", people.DetailCertificateNumber: "GCS-2025-000123",
			// Who registered it, by name and role at the time.
			people.DetailActorName: officer.DisplayName, people.DetailActorRole: "registrar", people.DetailActorUnit: baDinh,
		}
		if ev := e.lastEvent(child.PIN); !maps.Equal(ev.Details, want) {
			t.Errorf("birth details = %v, want %v", ev.Details, want)
		}
		if child.BirthPlace != baDinh {
			t.Errorf("place of registration = %s, want %s", child.BirthPlace, baDinh)
		}
	})
}
