package synth

import (
	"context"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/populus-vn/populus/internal/civil"
	"github.com/populus-vn/populus/internal/people"
	"github.com/populus-vn/populus/internal/pin"
	"github.com/populus-vn/populus/internal/units"
	"github.com/populus-vn/populus/internal/wyrand"
)

func TestDayNumbers(t *testing.T) {
	for d := time.Date(1890, 1, 1, 0, 0, 0, 0, time.UTC); d.Year() < 2110; d = d.AddDate(0, 0, 1) {
		n := int(d.Unix() / 86400)
		if got := dayOf(d.Year(), int(d.Month()), d.Day()); got != n {
			t.Fatalf("dayOf(%v) = %d, want %d", d, got, n)
		}
		if got := dateOfDay(n); got != civil.DateOf(d) {
			t.Fatalf("dateOfDay(%d) = %v, want %v", n, got, d)
		}
	}
	if got := dateOfDay(anniversary(civil.Date{Year: 2004, Month: 2, Day: 29}, 25)); got != (civil.Date{Year: 2029, Month: 3, Day: 1}) {
		t.Errorf("25th birthday of a leap-day baby: %v", got)
	}
}

func TestCardExpiry(t *testing.T) {
	birth := civil.Date{Year: 1990, Month: 5, Day: 10}
	day := func(y, m, d int) int { return dayOf(y, m, d) }
	cases := []struct {
		issued int
		want   civil.Date // zero: no expiry
	}{
		{day(2012, 1, 1), civil.Date{Year: 2015, Month: 5, Day: 10}}, // at 21: until 25
		{day(2013, 6, 1), civil.Date{Year: 2030, Month: 5, Day: 10}}, // within two years of 25: until 40
		{day(2021, 3, 1), civil.Date{Year: 2030, Month: 5, Day: 10}}, // at 30: until 40
		{day(2028, 6, 1), civil.Date{Year: 2050, Month: 5, Day: 10}}, // within two years of 40: until 60
		{day(2048, 6, 1), civil.Date{}},                              // within two years of 60: no expiry
	}
	for _, c := range cases {
		got := cardExpiry(birth, c.issued)
		var gotDate civil.Date
		if got != 0 {
			gotDate = dateOfDay(got)
		}
		if gotDate != c.want {
			t.Errorf("issued %v: expires %v, want %v", dateOfDay(c.issued), gotDate, c.want)
		}
	}
}

func TestAlias(t *testing.T) {
	w := []float64{1, 0, 3, 6}
	a := newAlias(w)
	r := wyrand.New(1)
	var n [4]int
	const draws = 400000
	for range draws {
		n[a.draw(&r)]++
	}
	for i, x := range w {
		if got := float64(n[i]) / draws; math.Abs(got-x/10) > 0.005 {
			t.Errorf("outcome %d: %.4f, want %.4f", i, got, x/10)
		}
	}
}

// TestUrn checks that the household rules rarely find their age range out
// of quota, and that the stock left in the urn does not grow with the
// population (so the pyramid holds at any size).
func TestUrn(t *testing.T) {
	g, err := newGenerator(Config{People: 300000, Seed: 5})
	if err != nil {
		t.Fatal(err)
	}
	var stock [3]int32
	for i, n := range []int{100000, 200000, 300000} {
		for g.emitted < n {
			if err := g.household(n - g.emitted); err != nil {
				t.Fatal(err)
			}
		}
		stock[i] = g.urn.below(0, maxAge+1) + g.urn.below(1, maxAge+1)
	}
	if g.urn.fallbacks > g.emitted/100 {
		t.Errorf("%d of %d draws fell back to the pyramid", g.urn.fallbacks, g.emitted)
	}
	if stock[2] > 2*urnStart || stock[2] > stock[0]+urnStart/2 {
		t.Errorf("urn stock after 100k, 200k, 300k people: %v", stock)
	}
	t.Logf("fallbacks %d of %d; stock %v", g.urn.fallbacks, g.emitted, stock)
}

// TestRegions checks that the map looks right: the southern spelling of
// surnames in the south, Khmer in the Mekong delta, the Hòa Hảo in their
// home provinces (less the families who migrated).
func TestRegions(t *testing.T) {
	s := population(t)
	var hoangNorth, huynhNorth, hoangSouth, huynhSouth, khmer, khmerMekong, hoaHao, hoaHaoHome int
	for hi, h := range s.households {
		code := h.UnitCode
		u, _ := units.Default().Lookup(code)
		prov := u.ParentCode
		south := prov >= "48"
		for _, p := range s.members[hi] {
			if p.Status != people.Alive {
				continue
			}
			switch first := strings.Fields(p.FullName)[0]; {
			case first == "Hoàng" && south:
				hoangSouth++
			case first == "Huỳnh" && south:
				huynhSouth++
			case first == "Hoàng":
				hoangNorth++
			case first == "Huỳnh":
				huynhNorth++
			}
			if p.Ethnicity == "05" {
				khmer++
				if regionOf[prov] == regMekong {
					khmerMekong++
				}
			}
			if p.Religion == "03" {
				hoaHao++
				if prov == "91" || prov == "82" || prov == "92" || prov == "86" {
					hoaHaoHome++
				}
			}
		}
	}
	if hoangNorth < 3*huynhNorth || huynhSouth < 3*hoangSouth {
		t.Errorf("Hoàng/Huỳnh: north %d/%d, south %d/%d", hoangNorth, huynhNorth, hoangSouth, huynhSouth)
	}
	if khmer == 0 || float64(khmerMekong)/float64(khmer) < 0.75 {
		t.Errorf("Khmer: %d of %d in the Mekong delta", khmerMekong, khmer)
	}
	if hoaHao == 0 || float64(hoaHaoHome)/float64(hoaHao) < 0.75 {
		t.Errorf("Hòa Hảo: %d of %d in their home provinces", hoaHaoHome, hoaHao)
	}
	t.Logf("Hoàng/Huỳnh north %d/%d south %d/%d; Khmer in Mekong %d/%d; Hòa Hảo at home %d/%d",
		hoangNorth, huynhNorth, hoangSouth, huynhSouth, khmerMekong, khmer, hoaHaoHome, hoaHao)
}

// TestLaterReferenceDate generates as of 2027: children born after the 2025
// reorganisation are registered in a commune of the new system, and their
// PINs still open with a pre-2025 province code.
func TestLaterReferenceDate(t *testing.T) {
	now := civil.Date{Year: 2027, Month: 3, Day: 15}
	after := 0
	err := Generate(context.Background(), Config{People: 30000, Seed: 3, Now: now}, func(h *people.Household, ms []people.Person) error {
		for _, p := range ms {
			_, parts, err := pin.Parse(p.PIN)
			if err != nil || parts.CheckPerson(p.Sex, p.BirthDate) != nil {
				t.Fatalf("%s: %v", p.PIN, err)
			}
			if !p.BirthDate.CertainlyBefore(now) {
				t.Fatalf("%s born %v, after %v", p.PIN, p.BirthDate, now)
			}
			if p.BirthDate.Key() >= 20250701 {
				after++
				if p.BirthPlace != h.UnitCode {
					t.Fatalf("%s born %v registered in %q, not the household's commune %s", p.PIN, p.BirthDate, p.BirthPlace, h.UnitCode)
				}
			} else if !strings.HasPrefix(p.BirthPlace, units.LegacyPrefix) {
				t.Fatalf("%s born %v registered in %q, not a pre-2025 commune", p.PIN, p.BirthDate, p.BirthPlace)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if after == 0 {
		t.Error("no births after 1 July 2025")
	}
}
