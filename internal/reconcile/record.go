package reconcile

import (
	"encoding/binary"
	"slices"
	"strings"
	"sync"
	"unicode"

	"golang.org/x/text/unicode/norm"

	"github.com/populus-vn/populus/internal/civil"
	"github.com/populus-vn/populus/internal/people"
	"github.com/populus-vn/populus/internal/pin"
	"github.com/populus-vn/populus/internal/textfold"
	"github.com/populus-vn/populus/internal/units"
)

// Fields are one record's values as a column mapping delivers them, before
// preparation. Any of them may be empty; an empty value is "missing", never
// "disagrees".
type Fields struct {
	// FullName is the whole name in any order or case. When it is empty it
	// is composed from the parts.
	FullName string
	// FamilyName (họ), MiddleName (tên đệm) and GivenName (tên), when the
	// source keeps them apart. Without them the family name is taken to be
	// the first word of FullName and the given name the last, the
	// Vietnamese order.
	FamilyName, MiddleName, GivenName string

	BirthDate civil.Date // partial dates allowed
	// BirthDigits are the YYYYMMDD digits of a date of birth written with a
	// typing error that makes it no date (month 90), when BirthDate is
	// zero: they agree with a date one digit or one transposition away.
	BirthDigits string
	Sex         civil.Sex

	// PIN is the 12-digit personal identification number. Spaces, dots and
	// dashes are ignored; a 9-digit number here is taken as a CMND, since
	// sector systems often hold the old number in the PIN column.
	PIN string
	// CMND is the old 9-digit identity card number.
	CMND string

	// Units are the administrative units of the record's addresses, as unit
	// keys: a current province or commune ("79", "26734") or a pre-2025 one
	// ("old:79", "old:00004"). Only the first MaxPlaces are kept; keys the
	// registry does not know are ignored.
	Units []string
	// Communes are the communes a commune name may mean when several
	// communes share it and the source names no one of them (no province,
	// or a name shared within the province): unit keys, current or
	// pre-2025. The name is evidence all the same: a candidate living in
	// one of them agrees on it (Address's PlaceCommuneName). At most
	// MaxCommuneChoices distinct current communes are kept; a name that
	// more share is ignored.
	Communes []string

	Phone string
}

// FieldsOf returns the fields of a register person: the residences
// (permanent, current, temporary) are its places.
func FieldsOf(p *people.Person) Fields {
	f := Fields{
		FullName:  p.FullName,
		BirthDate: p.BirthDate,
		Sex:       p.Sex,
		PIN:       p.PIN,
		CMND:      p.CMND,
	}
	for _, a := range []people.Address{p.Permanent, p.Current, p.Temporary} {
		if a.Unit != "" {
			f.Units = append(f.Units, a.Unit)
		}
	}
	return f
}

// Limits of a prepared record. They keep Record fixed-size so that a
// register index of millions of records is one flat slice.
const (
	// MaxTokens is the number of words of a name kept apart; words beyond
	// it stay joined to the last one.
	MaxTokens = 8
	// MaxPlaces is the number of addresses kept per record.
	MaxPlaces = 3
	// MaxCommuneChoices is the most communes a shared commune name may
	// mean for it to be kept (Fields.Communes).
	MaxCommuneChoices = 8

	maxName = 1 << 10 // bytes; a longer name is treated as missing
)

// Record is a record prepared for comparison: everything a comparison needs
// is computed once here (folded name and its words, the digits of the date,
// the current units of old addresses, what the PIN says), so that comparing
// a pair allocates nothing and does no parsing. It is fixed-size and small
// (about 160 bytes and the strings); the register side is held in memory
// packed, one slot of a RecordStore per person, and read back into a Record
// to be compared. Make it with NewRecord; the zero Record has every value
// missing.
type Record struct {
	name, folded     string // cleaned (NFC, lower case, single spaces) and accent-folded full name
	pin, cmnd, phone string
	// tokEnd[i] is the end of word i in folded. The family name is the
	// first famTok words, the given name the last givTok.
	tokEnd               [MaxTokens]uint16
	ntok, famTok, givTok uint8
	// asciiName is true when folded is ASCII, as nearly every folded name
	// is: the name comparators then read its bytes as its characters
	// without looking at every byte again for each pair. False says
	// nothing (the comparators look).
	asciiName   bool
	sex, pinSex civil.Sex
	nplaces     uint8
	birth       dob
	pinYear     int16   // birth year the PIN encodes; 0 when the PIN did not parse
	dobKey      [8]byte // YYYYMMDD digits of a full date
	places      [MaxPlaces]place
	// choice is the set of current communes a shared commune name may
	// mean (Fields.Communes), as its number in choiceSets; 0 for nearly
	// every record, and never packed: only sector records have one.
	choice uint32
	tf     [numTF]float32 // register frequencies of the names; 0 when unknown
}

// dob is a civil.Date in 4 bytes.
type dob struct {
	year       int16
	month, day uint8
}

func (d dob) full() bool { return d.day != 0 }

// place is an address resolved to the current (post-2025) units: old
// communes and provinces are replaced by their successors when the record is
// prepared, so that comparison is two integer tests.
type place struct {
	commune  int32 // current commune code; 0 when only the province is known
	province int16 // current province code
}

// NewRecord prepares f for comparison against the default registry of
// administrative units. Values it cannot read (a PIN with letters, an
// unknown unit key) are treated as missing: validating input and reporting
// bad values is the reader's job, before this point.
func NewRecord(f Fields) Record {
	return prepare(f, units.Default(), nil)
}

// Preparer prepares records as NewRecord does, remembering the
// administrative units it has resolved: a file names the same few thousand
// units record after record, and resolving one (an old commune to its
// successor) takes a search of the registry. It is not safe for concurrent
// use: give each goroutine its own.
type Preparer struct {
	places map[string]resolved
}

type resolved struct {
	p  place
	ok bool
}

// maxPreparerPlaces bounds what a Preparer remembers: more than the
// registry's units, so that only keys it does not know are not remembered
// beyond it.
const maxPreparerPlaces = 1 << 16

// NewPreparer returns a Preparer for the default registry of units.
func NewPreparer() *Preparer { return &Preparer{places: map[string]resolved{}} }

// Record is NewRecord(f).
func (p *Preparer) Record(f Fields) Record { return prepare(f, units.Default(), p) }

// place is resolvePlace(reg, key), remembered.
func (p *Preparer) place(reg *units.Registry, key string) (place, bool) {
	if r, ok := p.places[key]; ok {
		return r.p, r.ok
	}
	pl, ok := resolvePlace(reg, key)
	if len(p.places) < maxPreparerPlaces {
		p.places[strings.Clone(key)] = resolved{pl, ok}
	}
	return pl, ok
}

func prepare(f Fields, reg *units.Registry, pr *Preparer) Record {
	var r Record
	r.setName(f)
	if f.Sex.Valid() {
		r.sex = f.Sex
	}
	if b := f.BirthDate; b.Valid() && !b.IsZero() {
		r.birth = dob{int16(b.Year), uint8(b.Month), uint8(b.Day)}
		r.setDOBKey()
	} else if d := f.BirthDigits; len(d) == len(r.dobKey) && strings.Trim(d, "0123456789") == "" {
		copy(r.dobKey[:], d)
	}
	r.setNumbers(f.PIN, f.CMND)
	r.phone = normalizePhone(f.Phone)
	for _, k := range f.Units {
		if int(r.nplaces) == MaxPlaces {
			break
		}
		var p place
		var ok bool
		if pr != nil {
			p, ok = pr.place(reg, k)
		} else {
			p, ok = resolvePlace(reg, k)
		}
		if ok {
			r.places[r.nplaces] = p
			r.nplaces++
		}
	}
	if len(f.Communes) > 0 {
		r.setChoices(f.Communes, reg, pr)
	}
	return r
}

// setChoices resolves the communes a shared name may mean to today's
// communes; none are kept when they are more than MaxCommuneChoices.
func (r *Record) setChoices(keys []string, reg *units.Registry, pr *Preparer) {
	var out []place
	for _, k := range keys {
		var p place
		var ok bool
		if pr != nil {
			p, ok = pr.place(reg, k)
		} else {
			p, ok = resolvePlace(reg, k)
		}
		if !ok || p.commune == 0 || slices.Contains(out, p) {
			continue
		}
		if len(out) == MaxCommuneChoices {
			return
		}
		out = append(out, p)
	}
	if len(out) > 0 {
		r.choice = choiceSets.intern(out)
	}
}

// choiceSets numbers the sets of communes that shared commune names mean,
// so that a Record holds one in 4 bytes. A file names at most the few
// thousand commune names there are; the sets are kept for the process.
var choiceSets = &choiceTable{byKey: map[string]uint32{}, sets: [][]place{nil}}

type choiceTable struct {
	mu    sync.RWMutex
	byKey map[string]uint32
	sets  [][]place // sets[0] is the empty set
}

// maxChoiceSets bounds the table; a set past it is not kept (the record
// loses the evidence, nothing else).
const maxChoiceSets = 1 << 20

func (t *choiceTable) intern(ps []place) uint32 {
	key := make([]byte, 0, 8*len(ps))
	for _, p := range ps {
		key = binary.LittleEndian.AppendUint32(key, uint32(p.commune))
	}
	t.mu.RLock()
	id, ok := t.byKey[string(key)]
	t.mu.RUnlock()
	if ok {
		return id
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if id, ok := t.byKey[string(key)]; ok {
		return id
	}
	if len(t.sets) >= maxChoiceSets {
		return 0
	}
	id = uint32(len(t.sets))
	t.sets = append(t.sets, ps)
	t.byKey[string(key)] = id
	return id
}

// get returns set id; the sets never change once made.
func (t *choiceTable) get(id uint32) []place {
	if id == 0 {
		return nil
	}
	t.mu.RLock()
	defer t.mu.RUnlock()
	return t.sets[id]
}

// setDOBKey writes the YYYYMMDD digits of a full date of birth.
func (r *Record) setDOBKey() {
	if b := r.birth; b.full() {
		y, m, d := int(b.year), b.month, b.day
		r.dobKey = [8]byte{
			byte('0' + y/1000%10), byte('0' + y/100%10), byte('0' + y/10%10), byte('0' + y%10),
			'0' + m/10, '0' + m%10, '0' + d/10, '0' + d%10,
		}
	}
}

func (r *Record) setName(f Fields) {
	family, given := clean(f.FamilyName), clean(f.GivenName)
	full := f.FullName
	if full == "" {
		full = strings.Join(nonEmpty(family, clean(f.MiddleName), given), " ")
	}
	if len(full) > maxName {
		full = "" // no name is this long: it is a broken field, and word ends are uint16
	}
	r.name = ocrDigits(clean(full))
	r.folded = textfold.Fold(r.name)
	if r.folded == r.name {
		r.folded = r.name // share memory: most sector names are already plain
	}
	r.asciiName = textfold.IsASCII(r.folded)
	r.tokenize()
	// Vietnamese order: family name first, given name last, one word each;
	// a single word is taken as the given name, or as the family name when
	// only that part was given. The parts a source keeps apart compose the
	// name but do not say how many words each has: files merged from
	// several offices split one name several ways ("Nguyễn Văn | | An",
	// "Nguyễn | Văn | An", "Nguyễn | | Văn An", the whole name in one
	// column), and the register keeps whole names, whose family and given
	// names are taken so too. The blocking keys and the name comparisons
	// then see the same words on both sides.
	n := int(r.ntok)
	fam, giv := max(min(n-1, 1), 0), min(n, 1)
	if n == 1 && family != "" && given == "" && clean(f.MiddleName) == "" {
		fam, giv = 1, 0
	}
	r.famTok, r.givTok = uint8(min(fam, n)), uint8(min(giv, n-min(fam, n)))
}

// tokenize finds the word boundaries of the folded name. Fold leaves
// exactly one space between words, and clean the same words (see clean).
// Words beyond MaxTokens stay joined to the last one.
func (r *Record) tokenize() {
	s := r.folded
	r.ntok = 0
	for start := 0; start < len(s); {
		end := strings.IndexByte(s[start:], ' ')
		if end < 0 || int(r.ntok) == MaxTokens-1 {
			end = len(s)
		} else {
			end += start
		}
		r.tokEnd[r.ntok] = uint16(end)
		r.ntok++
		start = end + 1
	}
}

// tokens writes the words of the folded name into w.
func (r *Record) tokens(w *[MaxTokens]string) {
	start := 0
	for i := range min(int(r.ntok), MaxTokens) {
		end := int(r.tokEnd[i])
		w[i] = r.folded[start:end]
		start = end + 1
	}
}

// token returns word i of the folded name.
func (r *Record) token(i int) string {
	return r.folded[r.tokStart(i):r.tokEnd[i]]
}

func (r *Record) tokStart(i int) int {
	if i == 0 {
		return 0
	}
	return int(r.tokEnd[i-1]) + 1
}

// family and given return the folded family and given names.
func (r *Record) family() string {
	if r.famTok == 0 {
		return ""
	}
	return r.folded[:r.tokEnd[r.famTok-1]]
}

func (r *Record) given() string {
	if r.givTok == 0 {
		return ""
	}
	return r.folded[r.tokStart(int(r.ntok-r.givTok)):]
}

// familyClean and givenClean return the same parts of the cleaned name. Its
// words are those of the folded name, so they are found by counting spaces.
func (r *Record) familyClean() string {
	if r.famTok == 0 {
		return ""
	}
	return r.name[:nthSpace(r.name, int(r.famTok))]
}

func (r *Record) givenClean() string {
	if r.givTok == 0 {
		return ""
	}
	if k := int(r.ntok - r.givTok); k > 0 {
		return r.name[nthSpace(r.name, k)+1:]
	}
	return r.name
}

// nthSpace returns the index of the n-th space of s (n ≥ 1), or len(s).
func nthSpace(s string, n int) int {
	for i := 0; i < len(s); i++ {
		if s[i] == ' ' {
			if n--; n == 0 {
				return i
			}
		}
	}
	return len(s)
}

// clean puts a name in the form compared for exact agreement: composed
// (NFC), lower case, words separated by single spaces. It keeps diacritics:
// "Nguyễn" and "Nguyên" are different names.
// Words made only of combining marks, which Fold would drop, are dropped
// here too, so that both forms have the same words.
func clean(s string) string {
	if s == "" {
		return ""
	}
	words := strings.Fields(strings.ToLower(strings.Map(nameRune, norm.NFC.String(s))))
	out := words[:0]
	for _, w := range words {
		if strings.IndexFunc(w, func(r rune) bool { return !unicode.Is(unicode.Mn, r) }) >= 0 {
			out = append(out, w)
		}
	}
	return strings.Join(out, " ")
}

// nameRune maps what files put in names that is no part of a name:
// invisible format characters (zero-width spaces and joiners, byte-order
// marks, soft hyphens, direction marks) are dropped, which split a word
// unseen; punctuation that separates words ("Nguyễn, Quỳnh Vi", "Nguyễn
// V. An", brackets, quotes, slashes) becomes a space; the eth of Icelandic
// (Ð, ð), typed for Đ, becomes Đ. Hyphens and apostrophes stay: names of
// some peoples have them.
func nameRune(r rune) rune {
	switch {
	case r == 'Ð':
		return 'Đ'
	case r == 'ð':
		return 'đ'
	case unicode.Is(unicode.Cf, r):
		return -1
	case strings.ContainsRune(",;:.()[]{}\"/\\|“”«»„<>", r):
		return ' '
	}
	return r
}

// ocrDigits reads the digits that optical character recognition puts in
// names for letters as those letters: 0 as o, 1 as l at the start of a
// word and i inside one. No name has digits; keystrokes of the VNI input
// method, which are digits too, have been decoded by the reader before.
func ocrDigits(s string) string {
	if !strings.ContainsAny(s, "01") {
		return s
	}
	b := []byte(s)
	for i, c := range b {
		switch {
		case c == '0':
			b[i] = 'o'
		case c == '1' && (i == 0 || b[i-1] == ' '):
			b[i] = 'l'
		case c == '1':
			b[i] = 'i'
		}
	}
	return string(b)
}

func nonEmpty(ss ...string) []string {
	out := ss[:0]
	for _, s := range ss {
		if s = strings.TrimSpace(s); s != "" {
			out = append(out, s)
		}
	}
	return out
}

// digitsOf strips the separators people type inside numbers and returns ""
// when anything else is left but digits.
func digitsOf(s string) string {
	s = strings.Map(func(r rune) rune {
		switch {
		case r == ' ' || r == '.' || r == '-' || r == '\u00a0':
			return -1
		case r >= '0' && r <= '9':
			return r
		}
		return unicode.ReplacementChar
	}, s)
	if strings.ContainsRune(s, unicode.ReplacementChar) {
		return ""
	}
	return s
}

func (r *Record) setNumbers(p, c string) {
	p, c = digitsOf(p), digitsOf(c)
	// The old and new numbers often sit in each other's columns.
	if len(p) == pin.CMNDLength && c == "" {
		p, c = "", p
	}
	if len(c) == pin.Length && p == "" {
		p, c = c, ""
	}
	// Lengths one off are kept: a dropped or doubled digit is still
	// evidence at the one-digit-off level.
	if len(p) >= pin.Length-1 && len(p) <= pin.Length+1 {
		r.pin = p
		if _, parts, err := pin.Parse(p); err == nil {
			r.pinSex, r.pinYear = parts.Sex, int16(parts.BirthYear)
		}
	}
	if len(c) >= pin.CMNDLength-1 && len(c) <= pin.CMNDLength+1 {
		r.cmnd = c
	}
}

// normalizePhone returns the national form of a Vietnamese phone number
// (0 and 9 or 10 digits), turning the +84 country code into the leading 0.
func normalizePhone(s string) string {
	s = digitsOf(strings.TrimPrefix(strings.TrimSpace(s), "+"))
	switch {
	case strings.HasPrefix(s, "84") && (len(s) == 11 || len(s) == 12):
		s = "0" + s[2:]
	case strings.HasPrefix(s, "0084"):
		s = "0" + s[4:]
	}
	if len(s) < 9 || len(s) > 11 {
		return ""
	}
	return s
}

// resolvePlace maps a unit key to the current units: a pre-2025 unit to the
// unit it became part of on 1 July 2025, a commune to its province too.
func resolvePlace(reg *units.Registry, key string) (place, bool) {
	k, err := units.ParseKey(key)
	if err != nil {
		return place{}, false
	}
	var u units.Unit
	var ok bool
	if k.Legacy {
		u, ok = reg.Successor(k.Code)
		if !ok && k.Level() == units.LevelCommune {
			// An old commune without a recorded successor still
			// tells the province.
			if old, found := reg.Lookup(key); found {
				u, ok = reg.Successor(old.ParentCode)
			}
		}
	} else {
		u, ok = reg.Lookup(key)
	}
	if !ok {
		return place{}, false
	}
	if u.Level == units.LevelCommune {
		return place{commune: int32(atoi(u.Code)), province: int16(atoi(u.ParentCode))}, true
	}
	return place{province: int16(atoi(u.Code))}, true
}

// atoi reads the registry's codes, which are known to be short digit strings.
func atoi(s string) int {
	n := 0
	for i := 0; i < len(s); i++ {
		n = n*10 + int(s[i]-'0')
	}
	return n
}

// Name returns the cleaned full name (lower case, with diacritics).
func (r *Record) Name() string { return r.name }

// FoldedName returns the accent-folded full name.
func (r *Record) FoldedName() string { return r.folded }

// FamilyName and GivenName return the folded name parts, from the source's
// parts or from the first and last word of the full name.
func (r *Record) FamilyName() string { return r.family() }
func (r *Record) GivenName() string  { return r.given() }

// BirthDate returns the date of birth; the zero Date when missing.
func (r *Record) BirthDate() civil.Date {
	return civil.Date{Year: int(r.birth.year), Month: int(r.birth.month), Day: int(r.birth.day)}
}

// Sex returns the sex; civil.SexUnknown when missing.
func (r *Record) Sex() civil.Sex { return r.sex }

// PIN and CMND return the digits of the identity numbers as prepared, after
// moving a number found in the wrong column; "" when missing.
func (r *Record) PIN() string  { return r.pin }
func (r *Record) CMND() string { return r.cmnd }

// Phone returns the phone number in national form; "" when missing.
func (r *Record) Phone() string { return r.phone }

// TermFrequency returns the frequency of the record's value of f in the
// register, as set by TermFrequencies.Annotate; 0 when unknown.
func (r *Record) TermFrequency(f TFField) float64 { return float64(r.tf[f]) }

// CommuneChoice returns the i-th of the communes a shared commune name may
// mean (Fields.Communes), in today's units; ok is false past the last.
func (r *Record) CommuneChoice(i int) (commune, province int, ok bool) {
	cs := choiceSets.get(r.choice)
	if i < 0 || i >= len(cs) {
		return 0, 0, false
	}
	p := cs[i]
	return int(p.commune), int(p.province), true
}

// Place returns the record's i-th place in today's units: the commune code
// (0 when only the province is known) and the province code; ok is false
// past the last place. Places keep the order of Fields.Units, old units
// already replaced by their successors.
func (r *Record) Place(i int) (commune, province int, ok bool) {
	if i < 0 || i >= int(r.nplaces) {
		return 0, 0, false
	}
	p := r.places[i]
	return int(p.commune), int(p.province), true
}
