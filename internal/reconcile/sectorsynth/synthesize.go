package sectorsynth

import (
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"iter"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/populus-vn/populus/internal/civil"
	"github.com/populus-vn/populus/internal/people"
	"github.com/populus-vn/populus/internal/reconcile/sector"
	"github.com/populus-vn/populus/internal/synth"
	"github.com/populus-vn/populus/internal/units"
	"github.com/populus-vn/populus/internal/wyrand"
)

// Population streams the register's people household by household, in the
// shape of synth.Generate: members are valid only during the call.
// Synthesize calls it twice (once to count, once to draw) and it must give
// the same people in the same order both times.
type Population func(ctx context.Context, fn func(h *people.Household, members []people.Person) error) error

// SynthPopulation is the synthetic register population of cfg.
func SynthPopulation(cfg synth.Config) Population {
	return func(ctx context.Context, fn func(*people.Household, []people.Person) error) error {
		return synth.Generate(ctx, cfg, fn)
	}
}

// SynthConfig says what sector file to make.
type SynthConfig struct {
	Kind    sector.Kind
	Records int    // number of records to write, exactly
	Seed    uint64 // the same seed, population and config give byte-identical files
	// Now is the reference date for ages; the zero Date means
	// synth.DefaultNow. Use the register population's own.
	Now civil.Date
	// Profile chooses the kind's corruption rates: ProfileDefault (also
	// "") or ProfileHard.
	Profile Profile
	// Rates overrides the profile's rates; nil keeps them.
	Rates *Rates
}

// Synthesize writes a sector file of cfg.Kind derived from the register
// population pop under the corruption model of README.md, and beside it the
// truth file (TruthHeader), one line per record in the same order. It
// draws cfg.Records records exactly: the people, and the share of them who
// died, by selection sampling over the eligible people in two passes; the
// people not in the register from a second synthetic population with a
// seed derived from cfg.Seed. Memory does not depend on cfg.Records or on
// the population's size.
func Synthesize(ctx context.Context, cfg SynthConfig, pop Population, out, truth io.Writer) error {
	spec := spec(cfg.Kind)
	if spec == nil {
		_, err := sector.ParseKind(string(cfg.Kind))
		return err
	}
	if cfg.Records < 0 {
		return errors.New("sector: Records is negative")
	}
	rates, err := RatesFor(cfg.Kind, cfg.Profile)
	if err != nil {
		return err
	}
	s := &synthesizer{spec: spec, rates: rates, reg: units.Default(), now: cfg.Now}
	if cfg.Rates != nil {
		s.rates = *cfg.Rates
	}
	if err := s.rates.check(); err != nil {
		return err
	}
	if s.now.IsZero() {
		s.now = synth.DefaultNow
	}
	if !s.now.Full() || !s.now.Valid() {
		return fmt.Errorf("sector: reference date %v is not a full date", s.now)
	}
	s.r = wyrand.New(wyrand.Mix(cfg.Seed ^ 0x5ec7025eed))
	s.ids = newFeistel(wyrand.Mix(cfg.Seed+1), spec.idHalf)

	// Pass 1: count the eligible living and dead.
	err = pop(ctx, func(_ *people.Household, ms []people.Person) error {
		for i := range ms {
			if st := s.stratum(&ms[i]); st >= 0 {
				s.pool[st]++
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	s.fakesLeft = int(math.Round(float64(cfg.Records) * s.rates.NotInRegister))
	inRegister := cfg.Records - s.fakesLeft
	s.need[dead] = min(int(math.Round(float64(cfg.Records)*s.rates.Deceased)), s.pool[dead], inRegister)
	s.need[alive] = inRegister - s.need[dead]
	if s.need[alive] > s.pool[alive] {
		return fmt.Errorf("sector: the register has %d living people eligible for a %s record, fewer than the %d wanted; ask for fewer records or a larger register",
			s.pool[alive], cfg.Kind, s.need[alive])
	}

	// People not in the register come from another synthetic population.
	next, stop := iter.Pull2(outsiders(ctx, s.now, cfg.Seed, 4*s.fakesLeft+64))
	defer stop()
	s.outsider = next

	if spec.bom {
		if _, err := io.WriteString(out, "\ufeff"); err != nil {
			return err
		}
	}
	s.out, s.truth = csv.NewWriter(out), csv.NewWriter(truth)
	s.out.Comma = spec.comma
	if err := s.out.Write(spec.header); err != nil {
		return err
	}
	if err := s.truth.Write(sector.TruthHeader); err != nil {
		return err
	}

	// Pass 2: draw.
	if err := pop(ctx, s.household); err != nil {
		return err
	}
	for s.fakesLeft > 0 {
		if err := s.writeOutsider(); err != nil {
			return err
		}
	}
	if s.need != [2]int{} || s.written != cfg.Records {
		return fmt.Errorf("sector: wrote %d records of %d: the population was not the same on the second pass", s.written, cfg.Records)
	}
	s.out.Flush()
	s.truth.Flush()
	return errors.Join(s.out.Error(), s.truth.Error())
}

// outsiders yields the living people of a population the register does
// not hold: synth's, with a seed derived from the sector file's, and then
// the error that ended the generation, if any.
func outsiders(ctx context.Context, now civil.Date, seed uint64, n int) iter.Seq2[people.Person, error] {
	return func(yield func(people.Person, error) bool) {
		stop := errors.New("stop")
		err := synth.Generate(ctx, synth.Config{People: n, Seed: wyrand.Mix(seed ^ 0x0475_1de5), Now: now},
			func(_ *people.Household, ms []people.Person) error {
				for _, p := range ms {
					if p.Status == people.Alive && !yield(p, nil) {
						return stop
					}
				}
				return nil
			})
		if err != nil && err != stop {
			yield(people.Person{}, err)
		}
	}
}

const (
	alive = 0
	dead  = 1
)

// synthesizer is the state of one Synthesize call.
type synthesizer struct {
	spec  *kindSpec
	rates Rates
	reg   *units.Registry
	now   civil.Date
	r     wyrand.Rand
	ids   feistel

	out, truth *csv.Writer
	written    int

	need, pool [2]int // records still to draw, eligible people still to pass; by stratum
	fakesLeft  int
	outsider   func() (people.Person, error, bool)

	prev      people.Address // the previous household's address, for Moved
	last      people.Person  // the register person written last, for LookAlike
	lookAlike bool           // the record being written is a look-alike
	taken     []bool         // members of the household already written
	row       []string
	tags      []string
	truthRow  [4]string
}

// stratum says whether p may hold a record of the kind: alive, dead, or -1.
func (s *synthesizer) stratum(p *people.Person) int {
	switch p.Status {
	case people.Alive:
		if age(p.BirthDate, s.now) >= s.spec.minAge {
			return alive
		}
	case people.Deceased:
		if !p.DeathDate.IsZero() && age(p.BirthDate, p.DeathDate) >= s.spec.minAge {
			return dead
		}
	}
	return -1
}

// age is the age in whole years on day at.
func age(birth, at civil.Date) int {
	a := at.Year - birth.Year
	if at.Month*100+at.Day < birth.Month*100+birth.Day {
		a--
	}
	return a
}

// household draws the household's people by selection sampling: each
// eligible person is taken with probability (records still needed) /
// (eligible people not yet passed) in their stratum, which takes exactly
// the number needed.
func (s *synthesizer) household(h *people.Household, ms []people.Person) error {
	s.taken = s.taken[:0]
	for range ms {
		s.taken = append(s.taken, false)
	}
	for i := range ms {
		p := &ms[i]
		st := s.stratum(p)
		if st < 0 {
			continue
		}
		take := !s.taken[i] && s.need[st] > 0 && s.r.Intn(s.pool[st]) < s.need[st]
		s.pool[st]--
		if !take {
			continue
		}
		s.taken[i] = true
		c := sector.CaseMatch
		if st == dead {
			c = sector.CaseDeceased
		}
		if err := s.writePerson(h, p, c, st); err != nil {
			return err
		}
		if s.need[st] > 0 && s.r.ChanceIfPositive(s.rates.Duplicate) {
			if err := s.writePerson(h, p, sector.CaseDuplicate, st); err != nil {
				return err
			}
		}
		if j, twin := s.sibling(ms, i); j >= 0 && s.r.ChanceIfPositive(s.rates.Sibling) {
			sj := s.stratum(&ms[j])
			if s.need[sj] == 0 {
				continue
			}
			s.taken[j] = true
			c := sector.CaseSibling
			if twin {
				c = sector.CaseTwin
			}
			if err := s.writePerson(h, &ms[j], c, sj); err != nil {
				return err
			}
		}
	}
	if h.UnitCode != "" {
		s.prev = people.Address{Unit: h.UnitCode, Detail: h.Address}
	}
	return nil
}

// sibling returns an eligible member not yet written who shares a parent
// with member i (a twin if there is one), or -1.
func (s *synthesizer) sibling(ms []people.Person, i int) (j int, twin bool) {
	p := &ms[i]
	j = -1
	for k := range ms {
		q := &ms[k]
		if k == i || s.taken[k] || s.stratum(q) < 0 || !siblings(p, q) {
			continue
		}
		if q.BirthDate == p.BirthDate {
			return k, true
		}
		if j < 0 {
			j = k
		}
	}
	return j, false
}

func siblings(p, q *people.Person) bool {
	return p.FatherPIN != "" && p.FatherPIN == q.FatherPIN || p.MotherPIN != "" && p.MotherPIN == q.MotherPIN
}

// writePerson writes a record of a register person, after any outsiders
// due before it: outsiders are spread over the file by the same sampling,
// but never come between a person and their duplicate or sibling.
func (s *synthesizer) writePerson(h *people.Household, p *people.Person, c string, st int) error {
	for (c == sector.CaseMatch || c == sector.CaseDeceased) && s.fakesLeft > 0 && s.r.Intn(s.fakesLeft+s.need[alive]+s.need[dead]) < s.fakesLeft {
		if err := s.writeOutsider(); err != nil {
			return err
		}
	}
	s.need[st]--
	s.last = *p
	if h != nil && s.last.Current.Unit == "" && s.last.Permanent.Unit == "" {
		s.last.Current = people.Address{Unit: h.UnitCode, Detail: h.Address}
	}
	return s.write(h, p, c, p.PIN)
}

func (s *synthesizer) writeOutsider() error {
	for {
		p, err, ok := s.outsider()
		switch {
		case err != nil:
			return fmt.Errorf("sector: people not in the register: %w", err)
		case !ok:
			return errors.New("sector: the population of outsiders ran out") // a bug: it is sized for the need
		}
		if s.stratum(&p) == alive {
			s.fakesLeft--
			if s.last.PIN != "" && s.r.ChanceIfPositive(s.rates.LookAlike) {
				if l, ok := s.lookAlikeOf(&s.last, &p); ok {
					s.lookAlike = true
					defer func() { s.lookAlike = false }()
					return s.write(nil, &l, sector.CaseNotInRegister, "")
				}
			}
			return s.write(nil, &p, sector.CaseNotInRegister, "")
		}
	}
}

// lookAlikeOf makes a person the register does not hold who looks like
// the register person q: the family and middle names, sex, address and
// household of q, another person's given name, a date of birth a few days
// to a few months from q's, and the outsider o's own identity numbers
// (which the register never issued). ok is false when o's given name is
// q's.
func (s *synthesizer) lookAlikeOf(q, o *people.Person) (people.Person, bool) {
	qw, ow := strings.Fields(q.FullName), strings.Fields(o.FullName)
	if len(qw) < 2 || len(ow) == 0 || strings.EqualFold(qw[len(qw)-1], ow[len(ow)-1]) {
		return people.Person{}, false
	}
	l := *q
	l.FullName = strings.Join(append(qw[:len(qw)-1:len(qw)-1], ow[len(ow)-1]), " ")
	l.OtherNames = nil
	l.PIN, l.CMND = o.PIN, o.CMND
	l.Status, l.DeathDate = people.Alive, civil.Date{}
	if l.BirthDate.Full() {
		days := 1 + s.r.Intn(120)
		if s.r.Chance(0.5) {
			days = -days
		}
		l.BirthDate = addDays(l.BirthDate, days)
	}
	return l, true
}

func (s *synthesizer) write(h *people.Household, p *people.Person, c, truePIN string) error {
	d := s.corrupt(h, p, c)
	s.spec.row(s, &d)
	if d.legacy != "" {
		for _, i := range s.spec.text {
			s.row[i] = legacyText(s.row[i], d.legacy)
		}
	}
	if err := s.out.Write(s.row); err != nil {
		return err
	}
	s.truthRow = [4]string{s.row[0], truePIN, c, strings.Join(d.tags, " ")}
	s.written++
	return s.truth.Write(s.truthRow[:])
}

// draft is a person as the sector file will show them.
type draft struct {
	id         string
	name       string
	birth      civil.Date
	birthText  string
	sex        civil.Sex
	number     string // PIN or CMND as written
	numberKind string // CCCD, CMND or ""
	commune    units.Unit
	province   units.Unit
	detail     string
	noProvince bool
	// provinceText and communeText, when set, are what the province and
	// commune columns hold instead of the units' names.
	provinceText, communeText string
	legacy                    string // LegacyText's encoding: legacyTCVN3, legacyTCVN3As1252, legacyVNIAs1252
	phone                     string
	split                     uint8 // how the name columns split the name (splitAs); 0 the Vietnamese way
	dead                      bool
	death                     civil.Date
	issued                    civil.Date
	tags                      []string
}

func (d *draft) tag(t string) { d.tags = append(d.tags, t) }

// corrupt applies the corruption model to one record.
func (s *synthesizer) corrupt(h *people.Household, p *people.Person, c string) draft {
	rt, r := &s.rates, &s.r
	d := draft{tags: s.tags[:0], birth: p.BirthDate, sex: p.Sex, dead: p.Status == people.Deceased, death: p.DeathDate}
	d.id = s.id()
	if s.lookAlike {
		d.tag("lookalike")
	}

	// Name.
	name := p.FullName
	if len(p.OtherNames) > 0 && r.ChanceIfPositive(rt.OtherName) {
		name = p.OtherNames[0]
		d.tag("name:other")
	}
	w := strings.Fields(name)
	if len(w) >= 3 && r.ChanceIfPositive(rt.NoMiddle) {
		w = []string{w[0], w[len(w)-1]}
		d.tag("name:no-middle")
	}
	if len(w) >= 2 && r.ChanceIfPositive(rt.GivenFirst) {
		w = append([]string{w[len(w)-1]}, w[:len(w)-1]...)
		d.tag("name:given-first")
	}
	d.name = strings.Join(w, " ")
	if r.ChanceIfPositive(rt.NameTypo) {
		var kind string
		d.name, kind = typo(r, d.name)
		d.tag("name:typo-" + kind)
		if r.ChanceIfPositive(rt.SecondTypo) {
			d.name, kind = typo(r, d.name)
			d.tag("name:typo2-" + kind)
		}
	}
	ime := false
	if r.ChanceIfPositive(rt.IMEOff) {
		vni := r.Chance(0.2)
		if out := imeAll(d.name, vni); out != d.name {
			d.name, ime = out, true
			d.tag(map[bool]string{false: "name:ime-telex", true: "name:ime-vni"}[vni])
		}
	}
	if !ime && r.ChanceIfPositive(rt.NoDiacritics) {
		d.name = stripDiacritics(d.name)
		d.tag("name:no-diacritics")
	}
	if r.ChanceIfPositive(rt.UpperCase) {
		d.name = strings.ToUpper(d.name)
		d.tag("name:upper")
	}
	if s.spec.parts && r.ChanceIfPositive(rt.SplitName) {
		d.split = 1 + uint8(r.Intn(4))
		d.tag("name:split")
	}

	// Date of birth.
	switch {
	case r.ChanceIfPositive(rt.NoDate):
		d.tag("date:missing")
	case r.ChanceIfPositive(rt.YearOnly):
		d.birthText = strconv.Itoa(p.BirthDate.Year)
		if s.spec.zeros && r.Chance(0.5) {
			d.birthText = "00/00/" + d.birthText
		}
		d.tag("date:year-only")
	default:
		b := p.BirthDate
		switch {
		case b.Full() && (b.Day != 1 || b.Month != 1) && r.ChanceIfPositive(rt.Placeholder):
			b.Day, b.Month = 1, 1
			d.tag("date:placeholder")
		case b.Day != 0 && b.Day <= 12 && b.Day != b.Month && r.ChanceIfPositive(rt.DayMonthSwap):
			b.Day, b.Month = b.Month, b.Day
			d.tag("date:day-month-swapped")
		}
		if r.ChanceIfPositive(rt.YearOff) {
			b.Year += 1 - 2*r.Intn(2)
			if !b.Valid() {
				b.Day = 28 // 29 February of a year that has none
			}
			d.tag("date:year-off")
		}
		if b.Full() && r.ChanceIfPositive(rt.DayOff) {
			off := wyrand.Pick(r, []int{-10, -1, 1, 10})
			if c := (civil.Date{Year: b.Year, Month: b.Month, Day: b.Day + off}); c.Valid() {
				b = c
				d.tag("date:day-off")
			}
		}
		d.birthText = b.VN()
		if s.spec.iso {
			d.birthText = b.String()
		}
		switch {
		case b.Full() && !s.spec.iso && r.ChanceIfPositive(rt.TwoDigitYear):
			d.birthText = fmt.Sprintf("%02d/%02d/%02d", b.Day, b.Month, b.Year%100)
			d.tag("date:two-digit-year")
		case b.Full() && r.ChanceIfPositive(rt.SerialDate):
			d.birthText = strconv.Itoa(serialOf(b))
			d.tag("date:serial")
		}
		if r.ChanceIfPositive(rt.DateTypo) {
			d.birthText = dateTypo(r, d.birthText)
			d.tag("date:typo")
		}
	}

	// Sex.
	switch {
	case r.ChanceIfPositive(rt.NoSex):
		d.sex = civil.SexUnknown
		d.tag("sex:missing")
	case r.ChanceIfPositive(rt.WrongSex):
		d.sex = map[civil.Sex]civil.Sex{civil.Male: civil.Female, civil.Female: civil.Male}[d.sex]
		d.tag("sex:wrong")
	}

	// Identity number. A sibling's record usually lacks it, so that only
	// the name and date tell the siblings apart.
	switch {
	case r.ChanceIfPositive(rt.NoPIN), (c == sector.CaseSibling || c == sector.CaseTwin) && r.Chance(0.8):
		d.tag("pin:missing")
	case p.CMND != "" && r.ChanceIfPositive(rt.CMNDForPIN):
		d.number, d.numberKind = p.CMND, "CMND"
		d.tag("pin:cmnd")
	case r.ChanceIfPositive(rt.UnknownCMND):
		d.number, d.numberKind = unknownCMND(p.PIN), "CMND"
		d.tag("pin:unknown-cmnd")
	default:
		d.number, d.numberKind = p.PIN, "CCCD"
		if r.ChanceIfPositive(rt.PINTypo) {
			d.number = digitTypo(r, d.number)
			d.tag("pin:typo")
		}
		switch {
		case r.ChanceIfPositive(rt.SciNotation):
			if n, err := strconv.ParseInt(d.number, 10, 64); err == nil {
				d.number = strconv.FormatFloat(float64(n), 'E', 5, 64)
				d.tag("pin:scientific")
			}
		case strings.HasPrefix(d.number, "0") && r.ChanceIfPositive(rt.LostZeros):
			d.number = strings.TrimLeft(d.number, "0")
			d.tag("pin:lost-zeros")
		case strings.HasPrefix(d.number, "0") && r.ChanceIfPositive(rt.LostZero):
			d.number = d.number[1:]
			d.tag("pin:lost-zero")
		}
	}

	s.address(h, p, &d)
	if s.spec.phone {
		s.phone(p, &d)
	}
	if r.ChanceIfPositive(rt.LegacyText) {
		d.legacy = wyrand.Pick(r, []string{legacyTCVN3, legacyTCVN3, legacyTCVN3As1252, legacyVNIAs1252, legacyVNIAs1252})
		d.tag("text:" + d.legacy)
	}
	d.issued = s.issued(p)
	s.tags = d.tags[:0]
	return d
}

// address sets the commune, province and detail of the record: the
// place of residence, or for civil-status books the place of registration
// (a pre-2025 commune).
func (s *synthesizer) address(h *people.Household, p *people.Person, d *draft) {
	rt, r := &s.rates, &s.r
	if s.spec == &civilStatus {
		d.commune, _ = s.reg.Lookup(p.BirthPlace)
	} else {
		a := p.Current
		if a.Unit == "" {
			a = p.Permanent
		}
		if a.Unit == "" && h != nil {
			a = people.Address{Unit: h.UnitCode, Detail: h.Address} // the dead keep the family's address
		}
		if s.prev.Unit != "" && s.prev.Unit != a.Unit && r.ChanceIfPositive(rt.Moved) {
			a = s.prev
			d.tag("addr:moved")
		}
		d.commune, _ = s.reg.Lookup(a.Unit)
		d.detail = a.Detail
		if r.ChanceIfPositive(rt.OldUnits) {
			if preds := s.reg.Predecessors(d.commune.Code); len(preds) > 0 {
				// All members of a household get the same old commune.
				d.commune = preds[hashString(a.Unit+"|"+a.Detail)%uint64(len(preds))]
				d.tag("addr:old-units")
			}
		}
	}
	if k, ok := d.commune.ParentKey(); ok {
		d.province, _ = s.reg.Lookup(k.String())
	}
	if r.ChanceIfPositive(rt.NoProvince) {
		d.noProvince = true
		d.province = units.Unit{}
		d.tag("addr:no-province")
	}
	if d.commune.Code != "" && r.ChanceIfPositive(rt.NoCommune) {
		d.commune = units.Unit{}
		d.tag("addr:no-commune")
	}
	if d.province.Code != "" && r.ChanceIfPositive(rt.ProvinceAbbrev) {
		d.provinceText = abbreviate(r, d.province)
		d.tag("addr:province-abbrev")
	}
	if d.commune.District != "" && r.ChanceIfPositive(rt.CommuneDistrict) {
		d.communeText = withDistrict(r, d.commune)
		d.tag("addr:commune-district")
	}
}

// addressText writes the address the Vietnamese way, smallest unit first;
// pre-2025 addresses name the district too.
func (d *draft) addressText(withProvince bool) string {
	parts := make([]string, 0, 4)
	if d.detail != "" {
		parts = append(parts, d.detail)
	}
	if d.commune.Code != "" {
		parts = append(parts, d.commune.FullName())
	}
	if d.commune.District != "" {
		parts = append(parts, d.commune.District)
	}
	if d.province.Code != "" && withProvince {
		parts = append(parts, d.province.FullName())
	}
	return strings.Join(parts, ", ")
}

// communeName is what the commune column holds.
func (d *draft) communeName() string {
	switch {
	case d.communeText != "":
		return d.communeText
	case d.commune.Code == "":
		return ""
	}
	return d.commune.FullName()
}

func (d *draft) provinceName(full bool) string {
	switch {
	case d.provinceText != "":
		return d.provinceText
	case d.province.Code == "":
		return ""
	case full:
		return d.province.FullName()
	}
	return d.province.Name
}

// phone makes the person's phone number (the register holds none), the
// same for every record of the person, written in one of the usual ways.
func (s *synthesizer) phone(p *people.Person, d *draft) {
	if s.r.ChanceIfPositive(s.rates.NoPhone) {
		d.tag("phone:missing")
		return
	}
	h := hashString("phone|" + p.PIN)
	prefixes := []string{"32", "33", "34", "35", "36", "37", "38", "39", "56", "58", "70", "76", "77", "78", "79",
		"81", "82", "83", "84", "85", "86", "88", "89", "90", "91", "92", "93", "94", "96", "97", "98", "99"}
	n := prefixes[h%uint64(len(prefixes))] + fmt.Sprintf("%07d", h/64%10_000_000)
	if s.r.ChanceIfPositive(s.rates.PhoneLostZero) {
		d.phone = n
		d.tag("phone:lost-zero")
		return
	}
	switch s.r.Weighted([]int{55, 20, 15, 10}) {
	case 0:
		d.phone = "0" + n
	case 1:
		d.phone = "+84" + n
	case 2:
		d.phone = "84 " + n[:2] + " " + n[2:5] + " " + n[5:]
	default:
		d.phone = "0" + n[:3] + "." + n[3:6] + "." + n[6:]
	}
}

// issued draws the day a licence was issued: from age 18 (and not before
// 1995) to the reference date or death.
func (s *synthesizer) issued(p *people.Person) civil.Date {
	from := max(p.BirthDate.Year+18, 1995)
	to := s.now.Year
	if !p.DeathDate.IsZero() {
		to = p.DeathDate.Year
	}
	y := from
	if to > from {
		y = from + s.r.Intn(to-from)
	}
	return civil.Date{Year: y, Month: 1 + s.r.Intn(12), Day: 1 + s.r.Intn(28)}
}

// id returns the next record's id: digits of a keyed permutation of the
// record number, so ids are unique and not in file order.
func (s *synthesizer) id() string {
	n := s.ids.apply(uint64(s.written))
	digits := 2 * len(strconv.FormatUint(s.ids.half-1, 10))
	return fmt.Sprintf("%0*d", digits, n)
}

// unknownCMND is a 9-digit number the register does not hold, fixed for a
// person (every record of the person shows the same one).
func unknownCMND(pinNumber string) string {
	h := hashString("cmnd|" + pinNumber)
	return fmt.Sprintf("%02d%07d", 1+h%38, h/64%10_000_000)
}

// dateTypo changes one digit of a written date.
func dateTypo(r *wyrand.Rand, s string) string {
	b := []byte(s)
	var at []int
	for i, c := range b {
		if c >= '0' && c <= '9' {
			at = append(at, i)
		}
	}
	if len(at) == 0 {
		return s
	}
	i := wyrand.Pick(r, at)
	b[i] = byte('0' + (int(b[i]-'0')+1+r.Intn(9))%10)
	return string(b)
}

// addDays adds n days to a full date.
func addDays(d civil.Date, n int) civil.Date {
	return civil.DateOf(time.Date(d.Year, time.Month(d.Month), d.Day+n, 0, 0, 0, 0, time.UTC))
}
