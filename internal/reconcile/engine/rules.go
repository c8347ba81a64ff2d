package engine

import (
	"encoding/binary"
	"math"
	"slices"
	"strings"

	"github.com/populus-vn/populus/internal/reconcile"
)

// Rule is a blocking rule: records that share one of its keys are
// candidate pairs. Blocking is the union of the rules' pairs.
type Rule struct {
	// Name identifies the rule in reports ("family_year").
	Name string
	// Description says what the key is made of.
	Description string
	// Skip names the comparisons that every pair of the rule agrees on, or
	// nearly, because of the key: EM leaves them out when trained on the
	// rule's pairs (reconcile.EMConfig.Skip).
	Skip []string
	// Names is true when the key holds the name: the keys of a person's
	// other names (tên gọi khác) are indexed too.
	Names bool

	keys func(r *reconcile.Record, k *keyer)
}

// DefaultRules returns the blocking rules of the engine:
//
//   - family_year: folded family name and year of birth;
//   - given_dob: folded given name and full date of birth;
//   - pin: the 12-digit PIN;
//   - cmnd: the 9-digit CMND;
//   - name_province: the phonetic key of the full name, words sorted (so a
//     name written given-name first has the same key), and the province in
//     today's units (old provinces and communes mapped to their successors);
//     one key per distinct province of the record;
//   - dob_sex_province: full date of birth, sex and province (today's).
func DefaultRules() []Rule {
	return []Rule{
		{
			Name: "family_year", Description: "folded family name + birth year", Names: true,
			Skip: []string{"full_name", "birth_date", "pin"},
			keys: func(r *reconcile.Record, k *keyer) {
				fam, year := r.FamilyName(), r.BirthDate().Year
				if fam == "" || year == 0 {
					return
				}
				k.start(1)
				k.str(fam)
				k.num(year)
				k.emit()
			},
		},
		{
			Name: "given_dob", Description: "folded given name + full birth date", Names: true,
			Skip: []string{"full_name", "birth_date", "pin"},
			keys: func(r *reconcile.Record, k *keyer) {
				giv, d := r.GivenName(), r.BirthDate()
				if giv == "" || !d.Full() {
					return
				}
				k.start(2)
				k.str(giv)
				k.num(d.Key())
				k.emit()
			},
		},
		{
			Name: "pin", Description: "PIN (12 digits)",
			Skip: []string{"pin"},
			keys: func(r *reconcile.Record, k *keyer) {
				if p := r.PIN(); len(p) == 12 {
					k.start(3)
					k.str(p)
					k.emit()
				}
			},
		},
		{
			Name: "cmnd", Description: "CMND (9 digits)",
			Skip: []string{"cmnd"},
			keys: func(r *reconcile.Record, k *keyer) {
				if c := r.CMND(); len(c) == 9 {
					k.start(4)
					k.str(c)
					k.emit()
				}
			},
		},
		{
			Name: "name_province", Description: "phonetic full name (words sorted) + province after mapping old units to new", Names: true,
			Skip: []string{"full_name", "address"},
			keys: func(r *reconcile.Record, k *keyer) {
				if strings.IndexByte(r.FoldedName(), ' ') < 0 {
					return // a single word is not a name to block on
				}
				k.phon = appendPhonetic(k.phon[:0], r.FoldedName())
				for _, prov := range provinces(r, &k.prov) {
					k.start(5)
					k.buf = append(k.buf, k.phon...)
					k.num(prov)
					k.emit()
				}
			},
		},
		{
			Name: "dob_sex_province", Description: "full birth date + sex + province after mapping old units to new",
			Skip: []string{"birth_date", "sex", "address", "pin"},
			keys: func(r *reconcile.Record, k *keyer) {
				d, sex := r.BirthDate(), r.Sex()
				if !d.Full() || sex == 0 {
					return
				}
				for _, prov := range provinces(r, &k.prov) {
					k.start(6)
					k.num(d.Key())
					k.buf = append(k.buf, byte(sex))
					k.num(prov)
					k.emit()
				}
			},
		},
	}
}

// provinces returns the distinct provinces of a record's places.
func provinces(r *reconcile.Record, buf *[maxKeyProvinces]int) []int {
	out := buf[:0]
	for i := 0; ; i++ {
		_, p, ok := r.Place(i)
		if !ok {
			break
		}
		if p != 0 && !slices.Contains(out, p) {
			out = append(out, p)
		}
	}
	if len(out) > 0 {
		return out
	}
	// A commune name that several communes share, and no place: the
	// provinces of those communes (a name unique within each of them is as
	// good as the commune there).
	for i := 0; ; i++ {
		_, p, ok := r.CommuneChoice(i)
		if !ok {
			return out
		}
		if p != 0 && !slices.Contains(out, p) {
			out = append(out, p)
		}
	}
}

// maxKeyProvinces is the most provinces a record is keyed in: its places,
// or the provinces of the communes a shared commune name may mean.
const maxKeyProvinces = max(reconcile.MaxPlaces, reconcile.MaxCommuneChoices)

// keyer builds a record's keys for one rule and hashes them. It is reused
// from record to record, so keying allocates nothing.
type keyer struct {
	buf    []byte
	phon   []byte
	prov   [maxKeyProvinces]int
	hashes []uint64
}

func (k *keyer) start(rule byte) { k.buf = append(k.buf[:0], rule, 0) }
func (k *keyer) str(s string)    { k.buf = append(append(k.buf, s...), 0) }
func (k *keyer) num(n int)       { k.buf = binary.AppendUvarint(k.buf, uint64(n)) }

// emit hashes the key built and keeps it unless the record already has it.
func (k *keyer) emit() {
	h := hashKey(k.buf)
	if !slices.Contains(k.hashes, h) {
		k.hashes = append(k.hashes, h)
	}
}

// keysOf returns the hashes of r's keys for rule; the slice is reused by
// the next call.
func (k *keyer) keysOf(rule *Rule, r *reconcile.Record) []uint64 {
	k.hashes = k.hashes[:0]
	rule.keys(r, k)
	return k.hashes
}

// hashKey is FNV-1a over the key, finished with a strong mixer so that the
// top bits, which pick the bucket of a block, are uniform.
func hashKey(b []byte) uint64 {
	h := uint64(14695981039346656037)
	for _, c := range b {
		h ^= uint64(c)
		h *= 1099511628211
	}
	h ^= h >> 33
	h *= 0xff51afd7ed558ccd
	h ^= h >> 33
	h *= 0xc4ceb9fe1a85ec53
	h ^= h >> 33
	return h
}

// appendPhonetic appends a phonetic key of a folded name: each word
// reduced by the spelling confusions of Vietnamese (northern d/gi/r, tr/ch
// and s/x; southern final -c/-t, -n/-ng, y/i; k/c/q, gh/g, ngh/ng; doubled
// letters), the words sorted and joined by spaces.
func appendPhonetic(dst []byte, folded string) []byte {
	var words [reconcile.MaxTokens][24]byte
	var lens [reconcile.MaxTokens]int
	n := 0
	for w := range strings.FieldsSeq(folded) {
		if n == len(words) {
			break
		}
		lens[n] = len(phoneticWord(words[n][:0], w))
		n++
	}
	idx := [reconcile.MaxTokens]int{0, 1, 2, 3, 4, 5, 6, 7}
	order := idx[:n]
	for i := 1; i < n; i++ { // insertion sort: a name has a few words
		for j := i; j > 0 && string(words[order[j]][:lens[order[j]]]) < string(words[order[j-1]][:lens[order[j-1]]]); j-- {
			order[j], order[j-1] = order[j-1], order[j]
		}
	}
	for i, j := range order {
		if i > 0 {
			dst = append(dst, ' ')
		}
		dst = append(dst, words[j][:lens[j]]...)
	}
	return dst
}

// phoneticWord writes the phonetic form of one folded word into dst, which
// has room for 24 bytes; longer words are cut.
func phoneticWord(dst []byte, w string) []byte {
	switch {
	case strings.HasPrefix(w, "ngh"):
		w = "ng" + w[3:]
	case strings.HasPrefix(w, "gh"):
		w = "g" + w[2:]
	case strings.HasPrefix(w, "gi") && len(w) > 2:
		w = "z" + w[2:]
	case strings.HasPrefix(w, "tr"):
		w = "ch" + w[2:]
	case strings.HasPrefix(w, "d"), strings.HasPrefix(w, "r"):
		w = "z" + w[1:]
	case strings.HasPrefix(w, "s"):
		w = "x" + w[1:]
	case strings.HasPrefix(w, "k"), strings.HasPrefix(w, "q"):
		w = "c" + w[1:]
	}
	switch {
	case strings.HasSuffix(w, "ng"), strings.HasSuffix(w, "nh"):
		w = w[:len(w)-1]
	case strings.HasSuffix(w, "ch"):
		w = w[:len(w)-2] + "t"
	case strings.HasSuffix(w, "c") && len(w) > 1:
		w = w[:len(w)-1] + "t"
	case strings.HasSuffix(w, "y") && len(w) > 1:
		w = w[:len(w)-1] + "i"
	}
	for i := 0; i < len(w) && len(dst) < 24; i++ {
		if i > 0 && w[i] == w[i-1] {
			continue
		}
		dst = append(dst, w[i])
	}
	return dst
}

// block is one rule's index over the register: the register records of each
// key, found by the key's hash. The top bits of the hash pick a bucket of
// dir; within it, entries are sorted, each the low 32 bits of the hash
// above the record id, so an entry costs 8 bytes and a look-up reads the
// directory and then one run of entries; a key holds about 32+bits bits
// of hash: with 10M keys, a collision between two keys is expected about
// once in a hundred registers.
type block struct {
	bits    uint
	dir     []uint32 // len 1<<bits + 1: start of each bucket in entries
	entries []uint64 // low 32 bits of the key hash << 32 | register record id
	keys    int      // distinct keys
	max     int      // records under the most frequent key
}

// entryID is the register record id of a block entry.
func entryID(e uint64) uint32 { return uint32(e) }

// buildBlock indexes the (hash, id) pairs by counting sort on the top bits
// and sorting each bucket.
func buildBlock(hashes []uint64, ids []uint32) *block {
	n := len(hashes)
	bits := uint(8)
	for bits < 24 && 1<<bits < n/4 {
		bits++
	}
	b := &block{bits: bits, dir: make([]uint32, 1<<bits+1), entries: make([]uint64, n)}
	shift := 64 - bits
	for _, h := range hashes {
		b.dir[h>>shift+1]++
	}
	for i := 1; i < len(b.dir); i++ {
		b.dir[i] += b.dir[i-1]
	}
	next := slices.Clone(b.dir[:len(b.dir)-1])
	for i, h := range hashes {
		j := next[h>>shift]
		next[h>>shift]++
		b.entries[j] = uint64(uint32(h))<<32 | uint64(ids[i])
	}
	for k := range len(b.dir) - 1 {
		s, e := b.dir[k], b.dir[k+1]
		seg := b.entries[s:e]
		if len(seg) > 1 {
			slices.Sort(seg) // by hash, then id: look-ups return ids in a fixed order
		}
		for i := 0; i < len(seg); {
			j := i + 1
			for j < len(seg) && seg[j]>>32 == seg[i]>>32 {
				j++
			}
			b.keys++
			b.max = max(b.max, j-i)
			i = j
		}
	}
	return b
}

// lookup returns the entries of the key with hash h (entryID gives their
// register records), in increasing order of record id.
func (b *block) lookup(h uint64) []uint64 {
	k := h >> (64 - b.bits)
	return b.find(b.dir[k], b.dir[k+1], h)
}

// find returns the entries of the key with hash h in its bucket, [s, e)
// of entries. The end of a key's entries is found by galloping, so a key
// held by thousands of records (which blocking leaves out) costs a few
// reads, not thousands.
func (b *block) find(s, e uint32, h uint64) []uint64 {
	seg := b.entries[s:e]
	lo := uint64(uint32(h)) << 32
	i := 0
	if len(seg) > 8 {
		i = atLeast(seg, 0, len(seg), lo)
	} else {
		for i < len(seg) && seg[i] < lo {
			i++
		}
	}
	if i == len(seg) || seg[i]>>32 != lo>>32 {
		return seg[i:i]
	}
	// seg[i] is the key's; gallop for the first entry past its entries.
	if lo>>32 == math.MaxUint32 {
		return seg[i:] // no hash sorts after it
	}
	next := lo + 1<<32
	p, step := i+1, 1
	for {
		q := p + step - 1
		if q >= len(seg) {
			return seg[i:atLeast(seg, p, len(seg), next)]
		}
		if seg[q] >= next {
			return seg[i:atLeast(seg, p, q, next)]
		}
		p, step = q+1, step*2
	}
}

// atLeast returns the first index in [i, j) of the sorted seg whose entry
// is at least v, or j.
func atLeast(seg []uint64, i, j int, v uint64) int {
	for i < j {
		h := int(uint(i+j) >> 1)
		if seg[h] >= v {
			j = h
		} else {
			i = h + 1
		}
	}
	return i
}

// bytes is the memory the block holds.
func (b *block) bytes() int64 {
	return int64(4*len(b.dir) + 8*len(b.entries))
}
