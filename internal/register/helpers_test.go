package register_test

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/populus-vn/populus/internal/audit"
	"github.com/populus-vn/populus/internal/auth"
	"github.com/populus-vn/populus/internal/civil"
	"github.com/populus-vn/populus/internal/db"
	"github.com/populus-vn/populus/internal/people"
	"github.com/populus-vn/populus/internal/pin"
	"github.com/populus-vn/populus/internal/problem"
	"github.com/populus-vn/populus/internal/register"
	"github.com/populus-vn/populus/internal/synth"
	"github.com/populus-vn/populus/internal/units"
)

// baDinh is Phường Ba Đình, Hà Nội (province 01).
const baDinh = "00004"

// hcm is a commune of TP Hồ Chí Minh (province 79), and hcm2 another one.
var hcm, hcm2 = func() (string, string) {
	c := units.Default().Communes("79")
	if len(c) < 2 {
		panic("units: fewer than two communes in province 79")
	}
	return c[0].Code, c[1].Code
}()

// hanoi2 is a commune of Hà Nội other than Ba Đình.
var hanoi2 = func() string {
	for _, c := range units.Default().Communes("01") {
		if c.Code != baDinh {
			return c.Code
		}
	}
	panic("units: no second commune in province 01")
}()

func testPolicy() auth.Policy { return auth.NewPolicy(units.Default()) }

func staffAt(role auth.Role, unit string) auth.Principal {
	return auth.Staff(1, string(role)+"@"+unit, "Cán bộ "+unit, role, unit)
}

func registrarAt(unit string) auth.Principal { return staffAt(auth.Registrar, unit) }
func policeAt(unit string) auth.Principal    { return staffAt(auth.PoliceOfficer, unit) }
func serviceAt(unit string) auth.Principal   { return staffAt(auth.ServiceOfficer, unit) }

// nation is a registrar with nationwide reach, used where a test is not
// about authorisation.
var nation = registrarAt("VN")

// env is a register over a fresh store, with a fixture builder.
type env struct {
	t       testing.TB
	ctx     context.Context
	d       *db.DB
	reg     *register.Register
	log     *audit.Log
	serials map[string]int
	nextHH  int
}

func newEnv(t testing.TB, d *db.DB) *env {
	t.Helper()
	log := audit.New(d)
	t.Cleanup(log.Close)
	return &env{
		t: t, ctx: context.Background(), d: d, log: log,
		reg:     register.New(d, auth.NewGuard(testPolicy(), log), log, units.Default()),
		serials: map[string]int{},
	}
}

func mustDate(s string) civil.Date {
	d, err := civil.ParseDate(s)
	if err != nil {
		panic(err)
	}
	return d
}

// provinceOf is the current province of a commune.
func provinceOf(commune string) string {
	u, ok := units.Default().Lookup(commune)
	if !ok {
		panic("unknown unit " + commune)
	}
	return u.ParentCode
}

// newPIN returns a PIN not used before in this env for a birth registered in
// the province of commune.
func (e *env) newPIN(commune string, sex civil.Sex, year int) string {
	e.t.Helper()
	prefix, err := pin.Prefix("0"+provinceOf(commune), sex, year)
	if err != nil {
		e.t.Fatal(err)
	}
	e.serials[prefix]++
	return string(pin.New(prefix, e.serials[prefix]))
}

// person makes (does not store) a person whose birth was registered in
// commune, with a PIN that agrees with sex and birth.
func (e *env) person(commune, name string, sex civil.Sex, birth string) *people.Person {
	e.t.Helper()
	d := mustDate(birth)
	return &people.Person{
		PIN: e.newPIN(commune, sex, d.Year), FullName: name, Sex: sex, BirthDate: d,
		BirthPlace: commune, Hometown: commune, Ethnicity: "01", Nationality: "VN",
	}
}

// carded gives p a chip card (before import): its number the PIN, as on
// real cards, issued on cardIssued.
func carded(p *people.Person) *people.Person {
	p.Card = people.IDCard{Number: p.PIN, Issued: cardIssued}
	return p
}

// cardIssued is the date of issue of the cards carded gives.
var cardIssued = civil.Date{Year: 2021, Month: 7, Day: 1}

// couple links two people as spouses (before import).
func couple(a, b *people.Person) { a.SpousePIN, b.SpousePIN = b.PIN, a.PIN }

// childOf sets a child's parents (before import); either may be nil.
func childOf(c, father, mother *people.Person) *people.Person {
	if father != nil {
		c.FatherPIN = father.PIN
	}
	if mother != nil {
		c.MotherPIN = mother.PIN
	}
	return c
}

// household imports a household at commune with the members given; the first
// is the head unless it says otherwise, the others default to other_kin. The
// members are updated with what was stored.
func (e *env) household(commune, address string, members ...*people.Person) string {
	e.t.Helper()
	e.nextHH++
	id := fmt.Sprintf("HT%s%05d", commune, e.nextHH)
	ps := make([]people.Person, len(members))
	for i, m := range members {
		m.HouseholdID = id
		m.Permanent = people.Address{Unit: commune, Detail: address}
		m.Current = m.Permanent
		if m.Relation == "" {
			m.Relation = people.OtherKin
			if i == 0 {
				m.Relation = people.Head
			}
		}
		ps[i] = *m
	}
	e.importPeople(&people.Household{ID: id, UnitCode: commune, Address: address}, ps...)
	for _, m := range members {
		*m = e.get(m.PIN)
	}
	return id
}

// lone imports people with no household; Permanent and the other addresses
// are whatever the caller set.
func (e *env) lone(ps ...*people.Person) {
	e.t.Helper()
	vals := make([]people.Person, len(ps))
	for i, p := range ps {
		vals[i] = *p
	}
	e.importPeople(nil, vals...)
	for _, p := range ps {
		*p = e.get(p.PIN)
	}
}

func (e *env) importPeople(h *people.Household, ps ...people.Person) {
	e.t.Helper()
	im := register.NewImporter(e.d)
	if err := im.Add(e.ctx, h, ps); err != nil {
		e.t.Fatal(err)
	}
	if err := im.Flush(e.ctx); err != nil {
		e.t.Fatal(err)
	}
}

// get reads a person with nationwide reach, failing the test on error.
func (e *env) get(pinStr string) people.Person {
	e.t.Helper()
	p, err := e.reg.Get(e.ctx, nation, pinStr)
	if err != nil {
		e.t.Fatalf("Get(%s): %v", pinStr, err)
	}
	return p
}

func (e *env) history(pinStr string) []people.Event {
	e.t.Helper()
	h, err := e.reg.History(e.ctx, nation, pinStr)
	if err != nil {
		e.t.Fatalf("History(%s): %v", pinStr, err)
	}
	return h
}

// lastEvent is the newest history entry of a person.
func (e *env) lastEvent(pinStr string) people.Event {
	e.t.Helper()
	h := e.history(pinStr)
	if len(h) == 0 {
		e.t.Fatalf("%s has no history", pinStr)
	}
	return h[len(h)-1]
}

func (e *env) count(query string, args ...any) int {
	e.t.Helper()
	e.log.Sync(e.ctx, 5*time.Second) // audit entries: imported from the journal
	var n int
	if err := e.d.QueryRowContext(e.ctx, query, args...).Scan(&n); err != nil {
		e.t.Fatalf("%s: %v", query, err)
	}
	return n
}

// counts is the size of the tables a civil event writes to.
type counts struct{ persons, events, audit, households int }

func (e *env) counts() counts {
	e.t.Helper()
	return counts{
		persons:    e.count(`SELECT count(*) FROM persons`),
		events:     e.count(`SELECT count(*) FROM person_events`),
		audit:      e.count(`SELECT count(*) FROM audit_log`),
		households: e.count(`SELECT count(*) FROM households`),
	}
}

// audited counts audit rows matching every non-empty argument.
func (e *env) audited(actor, action, subject, outcome string) int {
	e.t.Helper()
	return e.count(`SELECT count(*) FROM audit_log WHERE ($1 = '' OR actor = $1) AND ($2 = '' OR action = $2)
		AND ($3 = '' OR subject = $3) AND ($4 = '' OR outcome = $4)`, actor, action, subject, outcome)
}

// wantProblem checks that err is a *problem.Error of kind k naming exactly
// the fields given (in any order), and returns it.
func wantProblem(t testing.TB, err error, k problem.Kind, fields ...string) *problem.Error {
	t.Helper()
	var pe *problem.Error
	if !errors.As(err, &pe) {
		t.Fatalf("error = %v (%T), want a *problem.Error of kind %s", err, err, k)
	}
	if pe.Kind != k {
		t.Fatalf("error kind = %s (%v), want %s", pe.Kind, err, k)
	}
	got := fieldNames(pe)
	want := slices.Clone(fields)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Fatalf("error fields = %q (%v), want %q", got, err, want)
	}
	return pe
}

func fieldNames(pe *problem.Error) []string {
	var out []string
	for _, f := range pe.Fields {
		out = append(out, f.Field)
	}
	slices.Sort(out)
	return out
}

// reasonOf is the reason given for field.
func reasonOf(pe *problem.Error, field string) string {
	for _, f := range pe.Fields {
		if f.Field == field {
			return f.Reason
		}
	}
	return ""
}

func must[T any](t testing.TB, v T, err error) T {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// --- a deterministic synthetic population, for benchmarks ---

var (
	surnames = []string{"Nguyễn", "Nguyễn", "Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Huỳnh", "Phan", "Vũ", "Võ", "Đặng", "Bùi", "Đỗ", "Hồ", "Ngô", "Dương", "Lý"}
	maleMid  = []string{"Văn", "Văn", "Đức", "Minh", "Quốc", "Hữu", "Thanh", "Công"}
	femMid   = []string{"Thị", "Thị", "Ngọc", "Thu", "Thanh", "Minh", "Kim", "Phương"}
	maleGiv  = []string{"An", "Anh", "Bình", "Cường", "Dũng", "Đạt", "Hải", "Hùng", "Khoa", "Long", "Nam", "Phúc", "Quang", "Sơn", "Tâm", "Thắng", "Trung", "Tuấn", "Việt", "Vinh"}
	femGiv   = []string{"An", "Anh", "Bích", "Chi", "Dung", "Giang", "Hà", "Hằng", "Hoa", "Hương", "Lan", "Linh", "Mai", "Ngọc", "Nhung", "Phương", "Thảo", "Trang", "Vân", "Yến"}
)

// population imports n people (rounded up to whole households of four:
// head, spouse, two children) spread over the communes of province 01, and
// returns their PINs in import order. The same n gives the same people.
func population(tb testing.TB, d *db.DB, n int) []string {
	tb.Helper()
	ctx := context.Background()
	communes := units.Default().Communes("01")
	rng := rand.New(rand.NewPCG(2025, 7))
	serial := map[string]int{}
	newPIN := func(commune string, sex civil.Sex, year int) string {
		prefix, err := pin.Prefix("0"+provinceOf(commune), sex, year)
		if err != nil {
			tb.Fatal(err)
		}
		s := serial[prefix]
		serial[prefix]++
		return string(pin.New(prefix, s))
	}
	name := func(sex civil.Sex, surname string) string {
		if sex == civil.Male {
			return surname + " " + maleMid[rng.IntN(len(maleMid))] + " " + maleGiv[rng.IntN(len(maleGiv))]
		}
		return surname + " " + femMid[rng.IntN(len(femMid))] + " " + femGiv[rng.IntN(len(femGiv))]
	}
	im := register.NewImporter(d)
	pins := make([]string, 0, n+3)
	for h := 0; len(pins) < n; h++ {
		commune := communes[h%len(communes)].Code
		hh := &people.Household{ID: fmt.Sprintf("HB%07d", h), UnitCode: commune, Address: fmt.Sprintf("Số %d, ngõ %d", h%97+1, h%13+1)}
		addr := people.Address{Unit: commune, Detail: hh.Address}
		fam := surnames[rng.IntN(len(surnames))]
		headYear := 1950 + rng.IntN(45)
		birth := func(y int) civil.Date {
			switch rng.IntN(10) {
			case 0:
				return civil.Date{Year: y}
			case 1:
				return civil.Date{Year: y, Month: 1 + rng.IntN(12)}
			}
			return civil.Date{Year: y, Month: 1 + rng.IntN(12), Day: 1 + rng.IntN(28)}
		}
		mk := func(sex civil.Sex, surname string, year int, rel people.Relation) people.Person {
			return people.Person{
				PIN: newPIN(commune, sex, year), FullName: name(sex, surname), Sex: sex, BirthDate: birth(year),
				BirthPlace: commune, Hometown: commune, Ethnicity: "01", Nationality: "VN",
				Permanent: addr, Current: addr, HouseholdID: hh.ID, Relation: rel,
			}
		}
		head := mk(civil.Male, fam, headYear, people.Head)
		wife := mk(civil.Female, surnames[rng.IntN(len(surnames))], headYear+rng.IntN(5), people.Spouse)
		couple(&head, &wife)
		members := []people.Person{head, wife}
		for range 2 {
			sex := civil.Male
			if rng.IntN(2) == 0 {
				sex = civil.Female
			}
			c := mk(sex, fam, headYear+22+rng.IntN(10), people.Child)
			c.FatherPIN, c.MotherPIN = head.PIN, wife.PIN
			members = append(members, c)
		}
		if err := im.Add(ctx, hh, members); err != nil {
			tb.Fatal(err)
		}
		for _, m := range members {
			pins = append(pins, m.PIN)
		}
	}
	if err := im.Flush(ctx); err != nil {
		tb.Fatal(err)
	}
	return pins
}

// importSynthetic loads a synthetic population of n people (seed) into d
// with the bulk importer and returns the people as loaded.
func importSynthetic(t testing.TB, d *db.DB, n int, seed uint64) []people.Person {
	t.Helper()
	ctx := context.Background()
	im := register.NewImporter(d)
	defer im.Close()
	var loaded []people.Person
	err := synth.Generate(ctx, synth.Config{People: n, Seed: seed}, func(h *people.Household, members []people.Person) error {
		for _, m := range members {
			m.OtherNames = append([]string(nil), m.OtherNames...)
			loaded = append(loaded, m)
		}
		return im.Add(ctx, h, members)
	})
	if err == nil {
		err = im.Finish(ctx)
	}
	if err != nil {
		t.Fatal(err)
	}
	return loaded
}
