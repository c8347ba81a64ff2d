package synth

import (
	"fmt"

	"github.com/populus-vn/populus/internal/civil"
	"github.com/populus-vn/populus/internal/pin"
	"github.com/populus-vn/populus/internal/wyrand"
)

// PINs: for every prefix (province of birth registration, century and sex,
// year) a counter runs 0, 1, 2, … and the serial is the counter passed
// through a pin.Permutation keyed by the seed and the prefix. So PINs are
// unique without a lookup, look random, and the generator's memory does not
// grow with the population: the counters are a fixed array (63 × 10 × 100).
type pins struct {
	key      uint64
	count    []int32  // by prefixIndex
	prefixes []string // pin.Prefix results, filled on first use
	cmndKey  uint64
	cmnd     []int32 // by legacy province
}

func newPins(seed uint64, legacy int) *pins {
	return &pins{
		key:      wyrand.Mix(seed ^ 0x5049_4e5f_4b45_5900), // "PIN_KEY"
		count:    make([]int32, legacy*1000),
		prefixes: make([]string, legacy*1000),
		cmndKey:  wyrand.Mix(seed ^ 0x434d_4e44_4b45_5900), // "CMNDKEY"
		cmnd:     make([]int32, legacy),
	}
}

// appendPIN appends a new PIN for a birth registered in legacy province li
// (whose birth-registration code is code3) to b.
func (p *pins) appendPIN(b []byte, li int, code3 string, sex civil.Sex, year int) ([]byte, error) {
	if year < 1900 || year > 2099 {
		return b, fmt.Errorf("synth: birth year %d outside 1900–2099", year)
	}
	digit4 := (year - 1900) / 100 * 2
	if sex == civil.Female {
		digit4++
	}
	idx := (li*10+digit4)*100 + year%100
	prefix := p.prefixes[idx]
	if prefix == "" {
		var err error
		if prefix, err = pin.Prefix(code3, sex, year); err != nil {
			return b, err
		}
		p.prefixes[idx] = prefix
	}
	n := p.count[idx]
	if n >= pin.Serials {
		return b, fmt.Errorf("synth: all %d serials of PIN prefix %s are used", pin.Serials, prefix)
	}
	p.count[idx]++
	serial := pin.NewPermutation(p.key + uint64(idx)).Serial(int(n))
	b = append(b, prefix...)
	return appendInt(b, serial, 6), nil
}

// appendCMND appends a unique old 9-digit identity card number, or reports
// false when the province's million numbers are used up. The real CMND
// numbering has no public table (see package pin); these numbers open with
// the 3-digit code of the province of birth registration and are unique.
func (p *pins) appendCMND(b []byte, li int, code3 string) ([]byte, bool) {
	n := p.cmnd[li]
	if n >= pin.Serials {
		return b, false
	}
	p.cmnd[li]++
	serial := pin.NewPermutation(p.cmndKey + uint64(li)).Serial(int(n))
	b = append(b, code3...)
	return appendInt(b, serial, 6), true
}

// Card rules (Law on Citizen Identification 2014 art. 19–21, kept by the Law
// on Identity 2023 art. 19–21): a card is issued from age 14 and must be
// renewed at 25, 40 and 60; a card issued or renewed within the two years
// before one of those ages is valid until the next one, and a card issued
// from 58 on does not expire. The 12-digit card (barcode from 2016, chip
// from 2021) carries the PIN as its number.
var cardMilestones = [3]int{25, 40, 60}

// Issue dates: the mass chip-card campaign of 2021–2022 replaced most older
// cards. A share of adults kept a barcode card from 2016–2020, the rest got
// their card in 2021 (most), 2022 or later; people who turned 14 since then
// applied within a year of their birthday.
var (
	dayBarcode   = dayOf(2016, 1, 1)
	dayChip      = dayOf(2021, 1, 1)
	dayChip2022  = dayOf(2022, 1, 1)
	dayChip2023  = dayOf(2023, 1, 1)
	dayRegister  = dayOf(2021, 7, 1) // the population database went live
	cardEraShare = [4]float64{0.10, 0.65, 0.15, 0.10}
)

// cardDates returns the issue and expiry day of a person's current card as
// of day asOf; ok is false for no card. expires is 0 for a card without expiry.
func cardDates(r *wyrand.Rand, birth civil.Date, asOf int) (issued, expires int, ok bool) {
	d14 := anniversary(birth, 14)
	if d14 > asOf {
		return 0, 0, false
	}
	if d14 < dayChip {
		x := r.Float64()
		var lo, hi int
		switch {
		case x < cardEraShare[0]:
			lo, hi = max(dayBarcode, d14), dayChip-1
		case x < cardEraShare[0]+cardEraShare[1]:
			lo, hi = dayChip, dayChip2022-1
		case x < cardEraShare[0]+cardEraShare[1]+cardEraShare[2]:
			lo, hi = dayChip2022, dayChip2023-1
		default:
			lo, hi = dayChip2023, asOf
		}
		if lo > hi {
			lo, hi = max(d14, dayChip), dayChip2022-1
		}
		issued = r.Between(lo, hi)
	} else {
		issued = d14 + r.Intn(365)
	}
	if issued > asOf {
		return 0, 0, false
	}
	for {
		expires = cardExpiry(birth, issued)
		if expires == 0 || expires > asOf {
			return issued, expires, true
		}
		// Renewed around the milestone; someone who has not yet been to
		// the police keeps the expired card.
		renewed := expires - 30 + r.Intn(150)
		if renewed > asOf {
			return issued, expires, true
		}
		issued = renewed
	}
}

// cardExpiry is the expiry of a card issued on day issued, 0 for none.
func cardExpiry(birth civil.Date, issued int) int {
	for _, m := range cardMilestones {
		if issued < anniversary(birth, m-2) {
			return anniversary(birth, m)
		}
	}
	return 0
}
