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
	"github.com/populus-vn/populus/internal/problem"
)

func TestRegisterDeath(t *testing.T) {
	dbtest.Engines(t, testSchemas, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		f := newThreeGenerations(e)
		widow := e.person(baDinh, "Đỗ Thị Hạnh", civil.Female, "1960-02-02")
		e.household(baDinh, "3 Kim Mã", widow)
		officer := registrarAt(baDinh)

		// Refusals first, while the grandfather is alive.
		before := e.counts()
		_, err := e.reg.RegisterDeath(e.ctx, officer, people.DeathRegistration{PIN: f.grandpa.PIN, DeathDate: mustDate("1955-04-01")})
		wantProblem(t, err, problem.Invalid, "death_date")
		_, err = e.reg.RegisterDeath(e.ctx, officer, people.DeathRegistration{PIN: f.grandpa.PIN, DeathDate: mustDate("1954")})
		wantProblem(t, err, problem.Invalid, "death_date")
		_, err = e.reg.RegisterDeath(e.ctx, officer, people.DeathRegistration{PIN: f.grandpa.PIN, DeathDate: civil.DateOf(time.Now().AddDate(0, 0, 2))})
		wantProblem(t, err, problem.Invalid, "death_date")
		_, err = e.reg.RegisterDeath(e.ctx, officer, people.DeathRegistration{PIN: f.grandpa.PIN})
		wantProblem(t, err, problem.Invalid, "death_date")
		// Only a nation-wide officer is told that a PIN is unknown (see
		// TestWritesDoNotRevealPeopleOutOfReach).
		_, err = e.reg.RegisterDeath(e.ctx, nation, people.DeathRegistration{PIN: e.newPIN(baDinh, civil.Male, 1950), DeathDate: mustDate("2024-01-01")})
		wantProblem(t, err, problem.Invalid, "pin")
		_, err = e.reg.RegisterDeath(e.ctx, officer, people.DeathRegistration{PIN: "0010", DeathDate: mustDate("2024-01-01")})
		wantProblem(t, err, problem.Invalid, "pin")
		if after := e.counts(); after != before {
			t.Fatalf("refused deaths stored something: %+v → %+v", before, after)
		}

		dead, err := e.reg.RegisterDeath(e.ctx, officer, people.DeathRegistration{
			PIN: f.grandpa.PIN, DeathDate: mustDate("2024-11-20"), Meta: people.Meta{Reason: "giấy báo tử số 12"},
		})
		if err != nil {
			t.Fatal(err)
		}
		got := e.get(f.grandpa.PIN)
		if got.Status != people.Deceased || got.DeathDate != mustDate("2024-11-20") || dead.Status != people.Deceased {
			t.Errorf("after death: status %s, death date %s", got.Status, got.DeathDate)
		}
		if got.Version != f.grandpa.Version+1 {
			t.Errorf("version %d, want %d", got.Version, f.grandpa.Version+1)
		}
		ev := e.lastEvent(f.grandpa.PIN)
		if ev.Kind != people.KindDeath || ev.Changes["status"].Old != "alive" || ev.Changes["status"].New != "deceased" ||
			ev.Changes["death_date"].New != "2024-11-20" || ev.Reason != "giấy báo tử số 12" {
			t.Errorf("death event = %+v", ev)
		}

		// The surviving spouse is no longer married, in the same event.
		spouse := e.get(f.grandma.PIN)
		if spouse.SpousePIN != "" {
			t.Errorf("surviving spouse still linked to %s", spouse.SpousePIN)
		}
		sev := e.lastEvent(f.grandma.PIN)
		if sev.EventID != ev.EventID || sev.Changes["spouse_pin"].Old != f.grandpa.PIN {
			t.Errorf("spouse's event = %+v, want event %s clearing spouse_pin", sev, ev.EventID)
		}
		// The deceased keeps the link: it records whom they were married to.
		if got.SpousePIN != f.grandma.PIN {
			t.Errorf("deceased's spouse link = %q, want %q", got.SpousePIN, f.grandma.PIN)
		}

		// A deceased person cannot marry, on either side, nor die again.
		before = e.counts()
		_, err = e.reg.RegisterMarriage(e.ctx, officer, people.MarriageRegistration{PIN1: f.grandpa.PIN, PIN2: widow.PIN, Date: mustDate("2025-01-02")})
		wantProblem(t, err, problem.Invalid, "pin1")
		_, err = e.reg.RegisterMarriage(e.ctx, officer, people.MarriageRegistration{PIN1: widow.PIN, PIN2: f.grandpa.PIN, Date: mustDate("2025-01-02")})
		wantProblem(t, err, problem.Invalid, "pin2")
		_, err = e.reg.RegisterDeath(e.ctx, officer, people.DeathRegistration{PIN: f.grandpa.PIN, DeathDate: mustDate("2024-12-01")})
		wantProblem(t, err, problem.Invalid, "pin")
		if after := e.counts(); after != before {
			t.Fatalf("refused events stored something: %+v → %+v", before, after)
		}

		// The widow may remarry.
		if _, err := e.reg.RegisterMarriage(e.ctx, officer, people.MarriageRegistration{PIN1: f.grandma.PIN, PIN2: e.importMan(baDinh, "1950-01-01").PIN, Date: mustDate("2025-02-01")}); err != nil {
			t.Errorf("the surviving spouse cannot remarry: %v", err)
		}
	})
}

// judgmentOn is a court's divorce judgment of the given day.
func judgmentOn(day string) people.Judgment {
	return people.Judgment{Court: "Tòa án nhân dân khu vực 1 – Hà Nội", Number: "125/2025/HNGĐ-ST", Date: mustDate(day)}
}

// importMan stores an unmarried man in a household of his own.
func (e *env) importMan(commune, birth string) *people.Person {
	e.t.Helper()
	p := carded(e.person(commune, "Bùi Văn Độc", civil.Male, birth))
	e.household(commune, "1 Đường Láng", p)
	return p
}

// importWoman stores an unmarried woman in a household of her own.
func (e *env) importWoman(commune, birth string) *people.Person {
	e.t.Helper()
	p := carded(e.person(commune, "Ngô Thị Thân", civil.Female, birth))
	e.household(commune, "2 Đường Láng", p)
	return p
}

func TestMarriageAndDivorce(t *testing.T) {
	dbtest.Engines(t, testSchemas, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		officer := registrarAt(baDinh)
		man := e.importMan(baDinh, "1995-05-05")
		woman := e.importWoman(hcm, "1997-07-07")

		out, err := e.reg.RegisterMarriage(e.ctx, officer, people.MarriageRegistration{
			PIN1: man.PIN, PIN2: woman.PIN, Date: mustDate("2024-10-10"), Meta: people.Meta{Reason: "đăng ký kết hôn"},
			CardNumber: woman.PIN, CardIssued: cardIssued, // she lives out of the officer's reach
		})
		if err != nil {
			t.Fatal(err)
		}
		// The officer may read the man, not the woman (she lives in Hồ
		// Chí Minh): the answer holds her PIN only.
		if len(out) != 2 || out[0].SpousePIN != woman.PIN || out[1].PIN != woman.PIN || out[1].FullName != "" || out[1].SpousePIN != "" {
			t.Fatalf("RegisterMarriage returned %+v", out)
		}
		a, b := e.get(man.PIN), e.get(woman.PIN)
		if a.SpousePIN != woman.PIN || b.SpousePIN != man.PIN {
			t.Fatalf("links after marriage: %s→%q, %s→%q", a.PIN, a.SpousePIN, b.PIN, b.SpousePIN)
		}
		ea, eb := e.lastEvent(man.PIN), e.lastEvent(woman.PIN)
		if ea.Kind != people.KindMarriage || eb.Kind != people.KindMarriage || ea.EventID == "" || ea.EventID != eb.EventID {
			t.Errorf("marriage events: %+v / %+v, want one event id on both", ea, eb)
		}
		if ea.Effective != mustDate("2024-10-10") || ea.Changes["spouse_pin"].New != woman.PIN || eb.Changes["spouse_pin"].New != man.PIN {
			t.Errorf("marriage event of %s = %+v", man.PIN, ea)
		}
		if n := e.audited(officer.ActorID(), "event.marriage", "", "ok"); n != 2 {
			t.Errorf("%d audit rows for the marriage, want 2 (one per person)", n)
		}

		// Divorce of people not married to each other is refused.
		other := e.importWoman(baDinh, "1996-01-01")
		before := e.counts()
		_, err = e.reg.RecordDivorce(e.ctx, officer, people.DivorceRecord{PIN1: man.PIN, PIN2: other.PIN, Date: mustDate("2025-01-01"), Judgment: judgmentOn("2025-01-01")})
		wantProblem(t, err, problem.Invalid, "pin2")
		// The woman is out of the officer's reach: whether she is married
		// to the other is not told, the refusal is the one of an unknown PIN.
		_, err = e.reg.RecordDivorce(e.ctx, officer, people.DivorceRecord{PIN1: other.PIN, PIN2: woman.PIN, Date: mustDate("2025-01-01"), Judgment: judgmentOn("2025-01-01")})
		wantProblem(t, err, problem.Forbidden)
		_, err = e.reg.RecordDivorce(e.ctx, officer, people.DivorceRecord{PIN1: man.PIN, PIN2: woman.PIN, Date: mustDate("2025-01"), Judgment: judgmentOn("2025-01-01")})
		wantProblem(t, err, problem.Invalid, "date")
		if after := e.counts(); after.persons != before.persons || after.events != before.events || after.audit != before.audit+1 {
			t.Fatalf("refused divorces stored something: %+v → %+v", before, after)
		}

		// Named the other way round (by an officer with reach over both:
		// see TestMarriageAuthorisationIgnoresOrder).
		out, err = e.reg.RecordDivorce(e.ctx, nation, people.DivorceRecord{PIN1: woman.PIN, PIN2: man.PIN, Date: mustDate("2025-03-01"), Judgment: judgmentOn("2025-03-01")})
		if err != nil {
			t.Fatal(err)
		}
		a, b = e.get(man.PIN), e.get(woman.PIN)
		if a.SpousePIN != "" || b.SpousePIN != "" || len(out) != 2 {
			t.Fatalf("links after divorce: %q, %q", a.SpousePIN, b.SpousePIN)
		}
		da, dw := e.lastEvent(man.PIN), e.lastEvent(woman.PIN)
		if da.Kind != people.KindDivorce || dw.Kind != people.KindDivorce || da.EventID != dw.EventID || da.EventID == ea.EventID || da.Effective != mustDate("2025-03-01") {
			t.Errorf("divorce events: %+v / %+v", da, dw)
		}
		if da.Changes["spouse_pin"].Old != woman.PIN {
			t.Errorf("divorce change = %+v", da.Changes)
		}
		// Each is free to marry again.
		if _, err := e.reg.RegisterMarriage(e.ctx, officer, people.MarriageRegistration{PIN1: man.PIN, PIN2: other.PIN, Date: mustDate("2025-04-01")}); err != nil {
			t.Errorf("remarriage after divorce refused: %v", err)
		}
	})
}

func TestMarriageRefusals(t *testing.T) {
	dbtest.Engines(t, testSchemas, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		f := newThreeGenerations(e)
		officer := registrarAt(baDinh)
		man := e.importMan(baDinh, "1995-05-05")
		woman := e.importWoman(baDinh, "1997-07-07")
		man19 := e.importMan(baDinh, "2005-06-01")     // 19 on 2025-01-10
		woman17 := e.importWoman(baDinh, "2007-06-01") // 17 on 2025-01-10
		man2 := e.importMan(baDinh, "1990-01-01")
		// Two half-siblings sharing a mother, and a son of the grandparents.
		brother := childOf(e.person(baDinh, "Nguyễn Văn Tú", civil.Male, "1992-02-02"), f.grandpa, f.grandma)
		brother.Relation = people.Child
		sister := childOf(e.person(baDinh, "Lý Thị Na", civil.Female, "1994-04-04"), nil, f.grandma)
		sister.Relation = people.Child
		e.household(baDinh, "9 Phố Huế", brother, sister)
		single := e.importWoman(baDinh, "1962-03-03")
		son := childOf(e.person(baDinh, "Ngô Văn Lực", civil.Male, "1986-08-08"), nil, single)
		e.household(baDinh, "7 Lê Lợi", son)
		date := mustDate("2025-01-10")

		tests := []struct {
			name       string
			pin1, pin2 string
			date       civil.Date
			field      string
		}{
			{"man of 19", man19.PIN, woman.PIN, date, "pin1"},
			{"woman of 17", man.PIN, woman17.PIN, date, "pin2"},
			{"woman of 17 as pin1", woman17.PIN, man.PIN, date, "pin1"},
			{"same sex", man.PIN, man2.PIN, date, "pin2"},
			{"already married (pin1)", f.nam.PIN, woman.PIN, date, "pin1"},
			{"already married (pin2)", man.PIN, f.mai.PIN, date, "pin2"},
			{"half-siblings", brother.PIN, sister.PIN, date, "pin2"},
			{"mother and son", single.PIN, son.PIN, date, "pin2"},
			{"son and mother", son.PIN, single.PIN, date, "pin2"},
			{"same person", man.PIN, man.PIN, date, "pin2"},
			// Without a card, asked for the card as of a party out of
			// reach; only a nation-wide registrar is told that it does
			// not exist.
			{"unknown pin2", man.PIN, e.newPIN(baDinh, civil.Female, 1990), date, "card_number"},
			{"malformed pin1", "12", woman.PIN, date, "pin1"},
			{"partial date", man.PIN, woman.PIN, mustDate("2025-01"), "date"},
			{"future date", man.PIN, woman.PIN, civil.DateOf(time.Now().AddDate(0, 1, 0)), "date"},
		}
		for _, tc := range tests {
			t.Run(tc.name, func(t *testing.T) {
				before := e.counts()
				_, err := e.reg.RegisterMarriage(e.ctx, officer, people.MarriageRegistration{PIN1: tc.pin1, PIN2: tc.pin2, Date: tc.date})
				switch tc.field {
				case "":
					wantProblem(t, err, problem.Forbidden)
				case "card_number":
					wantProblem(t, err, problem.Invalid, "card_number", "card_issued")
				default:
					wantProblem(t, err, problem.Invalid, tc.field)
				}
				if after := e.counts(); after.persons != before.persons || after.events != before.events || after.households != before.households {
					t.Errorf("a refused marriage stored something: %+v → %+v", before, after)
				}
			})
		}
	})
}

// TestMarriageMinimumAge checks the age of marriage to the day (Law on
// Marriage and Family 2014 art. 8: a man from 20, a woman from 18 full years).
func TestMarriageMinimumAge(t *testing.T) {
	dbtest.Engines(t, testSchemas, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		officer := registrarAt(baDinh)
		tests := []struct {
			name     string
			man      string // birth date of the man
			woman    string
			date     string
			okOrPin2 string // "" when allowed, else the field refused
		}{
			{"woman's 18th birthday", "1990-01-01", "2006-05-10", "2024-05-10", ""},
			{"day before the woman's 18th birthday, both years common", "1990-01-01", "2007-05-10", "2025-05-09", "pin2"},
			{"day before the woman's 18th birthday, in a leap year", "1990-01-01", "2006-05-10", "2024-05-09", "pin2"},
			{"man's 20th birthday", "2004-05-10", "1990-01-01", "2024-05-10", ""},
			{"day before the man's 20th birthday", "2004-05-10", "1990-01-01", "2024-05-09", "pin1"},
			{"woman known only by year, could still be 17", "1990-01-01", "2006", "2024-06-30", "pin2"},
			{"woman known only by year, certainly 18", "1990-01-01", "2006", "2025-01-01", ""},
			// Leap years: 29 Feb 2024 is before 1 March, the woman's 18th
			// birthday, whatever day of the year each is.
			{"29 Feb, the day before an 18th birthday on 1 March", "1990-01-01", "2006-03-01", "2024-02-29", "pin2"},
			// 31 Dec 2022 is the 18th birthday of a woman born 31 Dec 2004,
			// though it is day 365 of 2022 and her birth day 366 of 2004.
			{"18th birthday on 31 December after a leap year", "1990-01-01", "2004-12-31", "2022-12-31", ""},
		}
		for _, tc := range tests {
			t.Run(tc.name, func(t *testing.T) {
				m := e.importMan(baDinh, tc.man)
				w := e.importWoman(baDinh, tc.woman)
				_, err := e.reg.RegisterMarriage(e.ctx, officer, people.MarriageRegistration{PIN1: m.PIN, PIN2: w.PIN, Date: mustDate(tc.date)})
				if tc.okOrPin2 == "" {
					if err != nil {
						t.Fatalf("marriage on %s of a man born %s and a woman born %s refused: %v", tc.date, tc.man, tc.woman, err)
					}
					return
				}
				wantProblem(t, err, problem.Invalid, tc.okOrPin2)
			})
		}
	})
}

// TestDivorceNotBeforeMarriage: a divorce cannot take effect before the
// marriage it ends.
func TestDivorceNotBeforeMarriage(t *testing.T) {
	dbtest.Engines(t, testSchemas, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		man := e.importMan(baDinh, "1990-01-01")
		woman := e.importWoman(baDinh, "1992-01-01")
		if _, err := e.reg.RegisterMarriage(e.ctx, nation, people.MarriageRegistration{PIN1: man.PIN, PIN2: woman.PIN, Date: mustDate("2024-06-01")}); err != nil {
			t.Fatal(err)
		}
		before := e.counts()
		_, err := e.reg.RecordDivorce(e.ctx, nation, people.DivorceRecord{PIN1: man.PIN, PIN2: woman.PIN, Date: mustDate("2023-01-01"), Judgment: judgmentOn("2023-01-01")})
		wantProblem(t, err, problem.Invalid, "date")
		if after := e.counts(); after != before {
			t.Errorf("a divorce dated before the marriage was stored: %+v → %+v", before, after)
		}
	})
}

// TestConcurrentMarriageOfOneCouple: two officers register the same
// marriage at once, naming the parties in opposite orders. One succeeds; the
// other is told the person is already married or that the record changed,
// never an internal error (such as a deadlock between the row locks). The
// deadlock needs the two transactions to interleave, so one couple may pass
// by luck; thirty make a failure near certain on PostgreSQL when locks are
// taken in the order the form names the parties.
func TestConcurrentMarriageOfOneCouple(t *testing.T) {
	dbtest.Engines(t, testSchemas, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		const couples = 30
		type pair struct{ a, b *people.Person }
		var ps []pair
		for i := 0; i < couples; i++ {
			ps = append(ps, pair{e.importMan(baDinh, "1990-01-01"), e.importWoman(baDinh, "1992-01-01")})
		}
		errs := make([][2]error, couples)
		var wg sync.WaitGroup
		for i, p := range ps {
			for j, m := range []people.MarriageRegistration{
				{PIN1: p.a.PIN, PIN2: p.b.PIN, Date: mustDate("2024-06-01")},
				{PIN1: p.b.PIN, PIN2: p.a.PIN, Date: mustDate("2024-06-01")},
			} {
				wg.Add(1)
				go func() {
					defer wg.Done()
					_, errs[i][j] = e.reg.RegisterMarriage(e.ctx, nation, m)
				}()
			}
		}
		wg.Wait()
		for i, p := range ps {
			ok := 0
			for _, err := range errs[i] {
				switch {
				case err == nil:
					ok++
				case problem.Is(err, problem.Invalid), problem.Is(err, problem.Conflict):
				default:
					t.Errorf("couple %d: %v (%s)", i, err, problem.KindOf(err))
				}
			}
			if ok != 1 {
				t.Errorf("couple %d: %d marriages registered, want 1 (%v)", i, ok, errs[i])
			}
			if a, b := e.get(p.a.PIN), e.get(p.b.PIN); a.SpousePIN != b.PIN || b.SpousePIN != a.PIN {
				t.Errorf("couple %d: links %q, %q", i, a.SpousePIN, b.SpousePIN)
			}
			if n := len(e.history(p.a.PIN)); n != 1 {
				t.Errorf("couple %d: %d history entries, want 1", i, n)
			}
		}
	})
}

// TestDivorceJudgment: a divorce names the court and its judgment, takes
// effect no earlier than the judgment, and keeps them in the history of
// both spouses.
func TestDivorceJudgment(t *testing.T) {
	dbtest.Engines(t, testSchemas, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		officer := registrarAt(baDinh)
		man := e.importMan(baDinh, "1990-01-01")
		woman := e.importWoman(baDinh, "1992-02-02")
		if _, err := e.reg.RegisterMarriage(e.ctx, officer, people.MarriageRegistration{PIN1: man.PIN, PIN2: woman.PIN, Date: mustDate("2015-05-05")}); err != nil {
			t.Fatal(err)
		}
		ok := judgmentOn("2025-01-10")
		tests := []struct {
			name   string
			date   string
			j      people.Judgment
			fields []string
		}{
			{"no court", "2025-01-20", people.Judgment{Number: ok.Number, Date: ok.Date}, []string{"court"}},
			{"blank court", "2025-01-20", people.Judgment{Court: " \t", Number: ok.Number, Date: ok.Date}, []string{"court"}},
			{"no judgment", "2025-01-20", people.Judgment{Court: ok.Court}, []string{"judgment_number", "judgment_date"}},
			{"a partial judgment date", "2025-01-20", people.Judgment{Court: ok.Court, Number: ok.Number, Date: mustDate("2025-01")}, []string{"judgment_date"}},
			{"a judgment in the future", "2025-01-20", people.Judgment{Court: ok.Court, Number: ok.Number, Date: civil.DateOf(time.Now().AddDate(0, 0, 3))}, []string{"judgment_date", "date"}},
			{"in effect before the judgment", "2025-01-09", ok, []string{"date"}},
			{"a court name on two lines", "2025-01-20", people.Judgment{Court: "Tòa án\nnhân dân", Number: ok.Number, Date: ok.Date}, []string{"court"}},
			{"a long number", "2025-01-20", people.Judgment{Court: ok.Court, Number: strings.Repeat("1", 51), Date: ok.Date}, []string{"judgment_number"}},
		}
		for _, tc := range tests {
			t.Run(tc.name, func(t *testing.T) {
				before := e.counts()
				_, err := e.reg.RecordDivorce(e.ctx, officer, people.DivorceRecord{PIN1: man.PIN, PIN2: woman.PIN, Date: mustDate(tc.date), Judgment: tc.j})
				wantProblem(t, err, problem.Invalid, tc.fields...)
				if after := e.counts(); after != before {
					t.Errorf("refused divorce stored something: %+v → %+v", before, after)
				}
			})
		}
		if _, err := e.reg.RecordDivorce(e.ctx, officer, people.DivorceRecord{PIN1: man.PIN, PIN2: woman.PIN, Date: mustDate("2025-01-10"), Judgment: ok}); err != nil {
			t.Fatal(err)
		}
		for _, p := range []string{man.PIN, woman.PIN} {
			ev := e.lastEvent(p)
			want := map[string]string{people.DetailCourt: ok.Court, people.DetailJudgmentNumber: ok.Number, people.DetailJudgmentDate: "2025-01-10",
				people.DetailActorName: officer.DisplayName, people.DetailActorRole: "registrar", people.DetailActorUnit: baDinh}
			if ev.Kind != people.KindDivorce || !maps.Equal(ev.Details, want) {
				t.Errorf("%s: divorce event %s with details %v, want %v", p, ev.Kind, ev.Details, want)
			}
		}
	})
}
