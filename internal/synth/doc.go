// Package synth generates a realistic, reproducible synthetic population for
// the register: households with their members, names, dates, PINs, cards,
// addresses and family links, streamed to a callback (populus seed and demo
// load it through register.Importer).
//
// The same Config gives byte-identical output on every run and platform:
// the random generator is written out (internal/wyrand, not math/rand),
// float expressions are kept from fused multiply-add, and no
// platform-dependent math function feeds a draw.
// Memory is flat in the number of people: households are built in reused
// buffers, all text of a household is one string, and PIN uniqueness comes
// from per-prefix counters through a keyed pin.Permutation, not from a set
// of issued numbers.
//
// What is modelled, and from what (docs/synthetic-population.md has the
// detail and the figures the tests measure):
//
//   - Names: surnames with the shares usually quoted (Nguyễn 38.4%, Trần 11%,
//     …) and an estimated tail; Hoàng/Huỳnh and Vũ/Võ by region; middle names
//     by sex, with Văn and Thị declining by decade of birth; a few hundred
//     given names with Zipf-like weights and name fashion by era; children
//     take the father's surname (some recent ones both parents'); other names
//     (tên gọi khác), mostly among the old. Ethnic-minority naming is out of
//     scope.
//   - Ages and sexes: the 2019 census pyramid in 5-year bands with band sex
//     ratios giving the census's 99.1 males per 100 females and about 110 at
//     ages 0–4, held by a quota urn while household rules constrain each
//     age.
//   - Households: the census's size distribution (mean about 3.5) and
//     make-up (couples, nuclear families, three generations, grandparents
//     with grandchildren, siblings), one head, parents 20–40 years older
//     than their children, spouses and parents linked by PIN.
//   - Places: communes of the 34 provinces of 2025 weighted by province
//     population; address details in each region's forms; births registered
//     in a pre-2025 commune the household's commune was formed from (so the
//     PIN's province agrees), or elsewhere for migrant families and
//     in-marrying spouses; some temporary residences, in cities mostly.
//   - Ethnicity and religion: national shares of civil.Ethnicities and
//     civil.Religions, placed in the provinces where each group lives.
//   - Deaths, cards, old numbers: parents who died since the database went
//     live stay as deceased records, out of the household, with their last
//     permanent residence (as the register's death registration leaves it,
//     so that an empty residence does not tell of a death); chip-card
//     dates follow the renewal ages
//     25, 40 and 60; a few percent of people over 40 keep a 9-digit CMND.
//
// It must never be used to make data that could pass for real people's: the
// serials are generated from a public seed, so they can be enumerated.
package synth
