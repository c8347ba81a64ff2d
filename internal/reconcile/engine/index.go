package engine

import (
	"context"
	"fmt"
	"io"
	mbits "math/bits"
	"runtime"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/populus-vn/populus/internal/civil"
	"github.com/populus-vn/populus/internal/db"
	"github.com/populus-vn/populus/internal/people"
	"github.com/populus-vn/populus/internal/progress"
	"github.com/populus-vn/populus/internal/reconcile"
	"github.com/populus-vn/populus/internal/register"
)

// Person is a register person as the index takes it.
type Person struct {
	Fields reconcile.Fields
	// OtherNames are the person's other names (tên gọi khác): a sector
	// record may carry one instead of the full name.
	OtherNames []string
	Status     people.Status
	DeathDate  civil.Date
	// Unit is the commune responsible for the person
	// (people.ResponsibleUnit): the unit that decides which principals may
	// be shown the person (Config.Reach).
	Unit string
}

// Index is the register in memory, prepared for reconciliation: one
// reconcile.Record per person (and per other name), and one block per
// blocking rule. It is read-only once built and safe for concurrent use.
//
// It holds no people.Person, and no pointer per person: the records are
// packed in a reconcile.RecordStore (128 bytes each, strings included, in
// memory the garbage collector does not scan), and each rule's block costs
// 8 bytes per key of a person. Stats reports the bytes per person measured.
type Index struct {
	recs     reconcile.RecordStore // people; record id i < people
	arecs    reconcile.RecordStore // other names; record id people+i
	people   int
	aliasOf  []uint32         // person of record people+i, in increasing order
	hasOther []uint64         // bit per person: has other names (and the person's record is marked)
	rank     []uint32         // people with other names before each word of hasOther
	from     []uint32         // first other name (i of people+i) of each person that has some, and the end
	notAlive []uint64         // bit per person: in status
	status   map[uint32]death // people not alive
	rules    []Rule
	blocks   []*block
	family   []reconcile.TermCount
	middles  []string // the register's most common middle names (tên đệm), folded
	stats    IndexStats
	// unit is the responsible unit of each person, as an index into
	// unitCodes (0 is "": no unit).
	unit      []uint16
	unitCodes []string
}

type death struct {
	status people.Status
	date   civil.Date
}

// IndexStats describes an index and what it cost.
type IndexStats struct {
	People     int `json:"people"`
	OtherNames int `json:"other_names"`
	NotAlive   int `json:"not_alive"`
	// RecordBytes is the records and their strings; BlockBytes the
	// blocks; OtherBytes the rest (people not alive, other names, the
	// responsible units).
	RecordBytes int64 `json:"record_bytes"`
	BlockBytes  int64 `json:"block_bytes"`
	OtherBytes  int64 `json:"other_bytes"`
	// BytesPerPerson is the sum of the three per person.
	BytesPerPerson float64 `json:"bytes_per_person"`
	// HeapBytes is the growth of the live Go heap while the index was
	// loaded, measured after garbage collection (0 when not measured).
	HeapBytes          int64            `json:"heap_bytes"`
	HeapBytesPerPerson float64          `json:"heap_bytes_per_person"`
	LoadSeconds        float64          `json:"load_seconds"`
	BuildSeconds       float64          `json:"build_seconds"`
	Rules              []RuleIndexStats `json:"rules"`
}

// RuleIndexStats describes one rule's block.
type RuleIndexStats struct {
	Name    string `json:"name"`
	Keys    int    `json:"keys"`    // distinct keys
	Entries int    `json:"entries"` // (key, record) entries
	MaxKey  int    `json:"max_key"` // records under the most frequent key
	Bytes   int64  `json:"bytes"`
}

// People returns the number of people in the index.
func (x *Index) People() int { return x.people }

// Rules returns the blocking rules of the index.
func (x *Index) Rules() []Rule { return x.rules }

// UnitOf returns the responsible unit of person i ("" when none).
func (x *Index) UnitOf(i int) string { return x.unitCodes[x.unit[i]] }

// within returns, for each unit of the index, whether reach holds it; nil
// when reach is nil (every unit).
func (x *Index) within(reach func(unit string) bool) []bool {
	if reach == nil {
		return nil
	}
	in := make([]bool, len(x.unitCodes))
	for i, u := range x.unitCodes {
		in[i] = u != "" && reach(u)
	}
	return in
}

// Stats returns what the index holds and cost.
func (x *Index) Stats() IndexStats { return x.stats }

// Record returns the prepared record of person i, read from the index into
// a new Record.
func (x *Index) Record(i int) *reconcile.Record {
	r := new(reconcile.Record)
	x.recs.Get(i, r)
	return r
}

// FindPIN returns the person holding a PIN.
func (x *Index) FindPIN(p string) (int, bool) {
	for i, r := range x.rules {
		if r.Name != "pin" {
			continue
		}
		var k keyer
		var reg reconcile.Record
		rec := reconcile.NewRecord(reconcile.Fields{PIN: p})
		for _, h := range k.keysOf(&x.rules[i], &rec) {
			for _, e := range x.blocks[i].lookup(h) {
				if x.get(entryID(e), &reg); reg.PIN() == rec.PIN() {
					return int(x.person(entryID(e))), true
				}
			}
		}
	}
	return -1, false
}

// get reads the record of a record id (a person or an other name) into r;
// r's strings point into the index.
func (x *Index) get(id uint32, r *reconcile.Record) {
	if int(id) < x.people {
		x.recs.Get(int(id), r)
		return
	}
	x.arecs.Get(int(id)-x.people, r)
}

// rec returns the record of a record id, in a new Record.
func (x *Index) rec(id uint32) *reconcile.Record {
	r := new(reconcile.Record)
	x.get(id, r)
	return r
}

// touch reads the memory of a record id's record (reconcile.RecordStore.Touch).
func (x *Index) touch(id uint32) byte {
	if int(id) < x.people {
		return x.recs.Touch(int(id))
	}
	return x.arecs.Touch(int(id) - x.people)
}

// others returns the record ids of person p's other names, [from, to).
func (x *Index) others(p uint32) (from, to uint32) {
	w, bit := p/64, uint64(1)<<(p%64)
	if x.hasOther[w]&bit == 0 {
		return 0, 0
	}
	k := x.rank[w] + uint32(mbits.OnesCount64(x.hasOther[w]&(bit-1)))
	return uint32(x.people) + x.from[k], uint32(x.people) + x.from[k+1]
}

// deathOf returns the status of person p when not alive.
func (x *Index) deathOf(p uint32) (death, bool) {
	if x.notAlive[p/64]&(1<<(p%64)) == 0 {
		return death{}, false
	}
	d, ok := x.status[p]
	return d, ok
}

// records returns the number of record ids.
func (x *Index) records() int { return x.recs.Len() + x.arecs.Len() }

// person returns the person of a record id.
func (x *Index) person(id uint32) uint32 {
	if int(id) < x.people {
		return id
	}
	return x.aliasOf[int(id)-x.people]
}

// TopFamilyNames returns the most frequent family names of the register
// with their counts, for the report.
func (x *Index) TopFamilyNames() []reconcile.TermCount { return x.family }

// IndexBuilder builds an Index from people added one at a time.
type IndexBuilder struct {
	rules     []Rule
	recs      reconcile.RecordStore
	aliasRecs reconcile.RecordStore
	aliasOf   []uint32
	status    map[uint32]death
	tf        *reconcile.TermFrequencies
	tmp       reconcile.Record
	prep      *reconcile.Preparer
	unit      []uint16
	unitIdx   map[string]uint16
	unitCodes []string
	middles   map[string]int // folded middle words of the register's names, counted
}

// NewIndexBuilder returns a builder for an index with the given rules (nil
// for DefaultRules), with room for sizeHint people.
func NewIndexBuilder(rules []Rule, sizeHint int) *IndexBuilder {
	if rules == nil {
		rules = DefaultRules()
	}
	_ = sizeHint // the record store grows by chunks that never move
	return &IndexBuilder{
		rules:     rules,
		status:    map[uint32]death{},
		tf:        reconcile.NewTermFrequencies(),
		unitIdx:   map[string]uint16{"": 0},
		unitCodes: []string{""},
		middles:   map[string]int{},
	}
}

// prepared is a person made ready for the index.
type prepared struct {
	rec    reconcile.Record
	others []reconcile.Record
	status people.Status
	death  civil.Date
	unit   string
}

func prepare(p *Person, pr *reconcile.Preparer) prepared {
	out := prepared{rec: pr.Record(p.Fields), status: p.Status, death: p.DeathDate, unit: p.Unit}
	for _, n := range p.OtherNames {
		if n = strings.TrimSpace(n); n == "" {
			continue
		}
		f := p.Fields
		f.FullName, f.FamilyName, f.MiddleName, f.GivenName = n, "", "", ""
		if r := pr.Record(f); r.FoldedName() != "" && r.FoldedName() != out.rec.FoldedName() {
			out.others = append(out.others, r)
		}
	}
	return out
}

// Add adds a person.
func (b *IndexBuilder) Add(p Person) {
	if b.prep == nil {
		b.prep = reconcile.NewPreparer()
	}
	b.add(prepare(&p, b.prep))
}

func (b *IndexBuilder) add(p prepared) {
	// The term frequencies are counted on the stored records, so that the
	// counts' keys are the store's strings, not copies.
	id := uint32(b.recs.Add(&p.rec))
	u, ok := b.unitIdx[p.unit]
	if !ok && len(b.unitCodes) < 1<<16 {
		u = uint16(len(b.unitCodes))
		b.unitIdx[p.unit] = u
		b.unitCodes = append(b.unitCodes, p.unit)
	} // beyond 65,535 units (there are about 13,000), a unit counts as none: out of every reach but the nation's
	b.unit = append(b.unit, u)
	b.recs.Get(int(id), &b.tmp)
	b.tf.Add(&b.tmp)
	countMiddles(b.middles, b.tmp.FoldedName())
	for i := range p.others {
		j := b.aliasRecs.Add(&p.others[i])
		b.aliasRecs.Get(j, &b.tmp)
		b.tf.Add(&b.tmp)
		b.aliasOf = append(b.aliasOf, id)
	}
	if p.status != "" && p.status != people.Alive {
		b.status[id] = death{p.status, p.death}
	}
}

// Build indexes the people added. The builder must not be used after.
func (b *IndexBuilder) Build() *Index {
	start := time.Now()
	x := &Index{
		people:    b.recs.Len(),
		aliasOf:   b.aliasOf,
		status:    b.status,
		rules:     b.rules,
		blocks:    make([]*block, len(b.rules)),
		family:    b.tf.Top(reconcile.TFFamilyName, 20),
		middles:   topMiddles(b.middles, maxMiddles),
		unit:      b.unit,
		unitCodes: b.unitCodes,
	}
	x.recs, x.arecs = b.recs, b.aliasRecs
	b.recs, b.aliasRecs = reconcile.RecordStore{}, reconcile.RecordStore{}
	x.hasOther = make([]uint64, (x.people+63)/64)
	x.rank = make([]uint32, len(x.hasOther))
	x.notAlive = make([]uint64, len(x.hasOther))
	for i, p := range x.aliasOf {
		if i == 0 || p != x.aliasOf[i-1] {
			x.from = append(x.from, uint32(i))
		}
		x.hasOther[p/64] |= 1 << (p % 64)
		x.recs.Mark(int(p))
	}
	x.from = append(x.from, uint32(len(x.aliasOf)))
	n := uint32(0)
	for w, bits := range x.hasOther {
		x.rank[w] = n
		n += uint32(mbits.OnesCount64(bits))
	}
	for p := range x.status {
		x.notAlive[p/64] |= 1 << (p % 64)
	}
	// Term frequencies are read from the records while scoring: annotate
	// and drop the table.
	workers := runtime.GOMAXPROCS(0)
	parallelFor(x.records(), workers, func(lo, hi int) {
		var r reconcile.Record
		for i := lo; i < hi; i++ {
			x.get(uint32(i), &r)
			b.tf.Annotate(&r)
			if i < x.people {
				x.recs.SetTermFrequencies(i, &r)
			} else {
				x.arecs.SetTermFrequencies(i-x.people, &r)
			}
		}
	})
	b.tf = nil

	// One block per rule, rules built in parallel.
	var wg sync.WaitGroup
	next := make(chan int, len(x.rules))
	for i := range x.rules {
		next <- i
	}
	close(next)
	for range min(workers, len(x.rules)) {
		wg.Go(func() {
			for i := range next {
				x.blocks[i] = x.buildRule(&x.rules[i])
			}
		})
	}
	wg.Wait()

	x.stats = x.measure()
	x.stats.BuildSeconds = time.Since(start).Seconds()
	return x
}

func (x *Index) buildRule(r *Rule) *block {
	var k keyer
	var rec reconcile.Record
	hashes := make([]uint64, 0, x.people)
	ids := make([]uint32, 0, x.people)
	n := x.people
	if r.Names {
		n = x.records()
	}
	for i := range n {
		x.get(uint32(i), &rec)
		for _, h := range k.keysOf(r, &rec) {
			hashes = append(hashes, h)
			ids = append(ids, uint32(i))
		}
	}
	return buildBlock(hashes, ids)
}

// measure counts the bytes the index holds: the records' slots (and the
// overflow of long ones), the blocks and the maps.
func (x *Index) measure() IndexStats {
	s := IndexStats{People: x.people, OtherNames: x.arecs.Len(), NotAlive: len(x.status)}
	s.RecordBytes = x.recs.Bytes() + x.arecs.Bytes()
	for i, b := range x.blocks {
		s.BlockBytes += b.bytes()
		s.Rules = append(s.Rules, RuleIndexStats{Name: x.rules[i].Name, Keys: b.keys, Entries: len(b.entries), MaxKey: b.max, Bytes: b.bytes()})
	}
	// Maps: about 48 bytes per entry with their overhead.
	s.OtherBytes = int64(len(x.aliasOf)+len(x.from))*4 + int64(len(x.status))*48 + int64(len(x.hasOther))*(8+4+8) + int64(len(x.unit))*2
	if x.people > 0 {
		s.BytesPerPerson = float64(s.RecordBytes+s.BlockBytes+s.OtherBytes) / float64(x.people)
	}
	return s
}

// parallelFor runs fn over [0, n) split into one range per worker.
func parallelFor(n, workers int, fn func(lo, hi int)) {
	if n < 1024 || workers < 2 {
		fn(0, n)
		return
	}
	var wg sync.WaitGroup
	step := (n + workers - 1) / workers
	for lo := 0; lo < n; lo += step {
		wg.Go(func() { fn(lo, min(lo+step, n)) })
	}
	wg.Wait()
}

// LoadOptions tune LoadRegister.
type LoadOptions struct {
	// Rules are the blocking rules; nil means DefaultRules.
	Rules []Rule
	// Progress, when set, receives a progress bar.
	Progress io.Writer
	// Workers prepare records in parallel; 0 means GOMAXPROCS.
	Workers int
}

// LoadRegister reads every person of the register into an Index. It
// selects only the columns matching needs and builds compact records as
// rows stream in: it never holds people.Person values for the whole
// register. It reads; it never writes.
func LoadRegister(ctx context.Context, d *db.DB) (*Index, error) {
	return Load(ctx, d, LoadOptions{})
}

// Load is LoadRegister with options.
func Load(ctx context.Context, d *db.DB, opts LoadOptions) (*Index, error) {
	start := time.Now()
	runtime.GC()
	var before runtime.MemStats
	runtime.ReadMemStats(&before)

	total, err := register.Count(ctx, d)
	if err != nil {
		return nil, fmt.Errorf("reconcile: count the register: %w", err)
	}
	b := NewIndexBuilder(opts.Rules, int(total))
	var bar *progress.Bar
	if opts.Progress != nil {
		bar = progress.New(opts.Progress, total, "register")
	}
	workers := opts.Workers
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	// The reading goroutine only scans (register.ScanIdentities, one
	// connection, only the columns the index needs); the workers parse the
	// values and prepare the records.
	produce := func(ctx context.Context, emit func([]register.Identity) error) error {
		return register.ScanIdentities(ctx, d, emit)
	}
	preps := make([]*reconcile.Preparer, workers)
	for i := range preps {
		preps[i] = reconcile.NewPreparer()
	}
	work := func(w int, rs []register.Identity) []prepared {
		out := make([]prepared, len(rs))
		for i := range rs {
			r := &rs[i]
			p := Person{Fields: reconcile.Fields{PIN: r.PIN, CMND: r.CMND, FullName: r.FullName, Units: unitList(r.CurrentUnit, r.PermanentUnit, r.TemporaryUnit, r.BirthPlace)},
				OtherNames: r.OtherNames(), Status: r.Status(), DeathDate: r.DeathDate(),
				Unit: people.ResponsibleUnit(&people.Person{Permanent: people.Address{Unit: r.PermanentUnit},
					Current: people.Address{Unit: r.CurrentUnit}, Temporary: people.Address{Unit: r.TemporaryUnit}, BirthPlace: r.BirthPlace})}
			p.Fields.BirthDate, p.Fields.Sex = r.BirthDate(), r.Sex()
			out[i] = prepare(&p, preps[w])
		}
		return out
	}
	consume := func(ps []prepared) error {
		for _, p := range ps {
			b.add(p)
		}
		if bar != nil {
			bar.Add(int64(len(ps)))
		}
		return nil
	}
	if err := runOrdered(ctx, workers, 4*workers, produce, work, consume); err != nil {
		return nil, err
	}
	if bar != nil {
		bar.Done()
	}
	x := b.Build()
	runtime.GC()
	var after runtime.MemStats
	runtime.ReadMemStats(&after)
	x.stats.HeapBytes = int64(after.HeapAlloc) - int64(before.HeapAlloc)
	if x.people > 0 {
		x.stats.HeapBytesPerPerson = float64(x.stats.HeapBytes) / float64(x.people)
	}
	x.stats.LoadSeconds = time.Since(start).Seconds()
	return x, nil
}

// PersonOf returns what the index takes of a register person: its places
// are the current, permanent and temporary residences and the place where
// the birth was registered (civil-status books record that one), the
// first three distinct ones.
func PersonOf(p *people.Person) Person {
	f := reconcile.FieldsOf(p)
	f.Units = unitList(p.Current.Unit, p.Permanent.Unit, p.Temporary.Unit, p.BirthPlace)
	return Person{Fields: f, OtherNames: p.OtherNames, Status: p.Status, DeathDate: p.DeathDate, Unit: people.ResponsibleUnit(p)}
}

// unitList returns the distinct non-empty units, in order.
func unitList(us ...string) []string {
	out := make([]string, 0, len(us))
	for _, u := range us {
		if u != "" && !contains(out, u) {
			out = append(out, u)
		}
	}
	return out
}

func contains(ss []string, s string) bool {
	for _, x := range ss {
		if x == s {
			return true
		}
	}
	return false
}

// maxMiddles is the number of common middle names the probes try in a
// name written without one.
const maxMiddles = 40

// countMiddles counts the words of a folded name between its first and its
// last. The keys are the name's own substrings: the store's strings, kept
// for the index's life. The map holds at most a few thousand words; past
// 1<<14, new ones are not counted.
func countMiddles(m map[string]int, folded string) {
	first := strings.IndexByte(folded, ' ')
	last := strings.LastIndexByte(folded, ' ')
	if first < 0 || first == last {
		return
	}
	mid := folded[first+1 : last]
	for mid != "" {
		w := mid
		if i := strings.IndexByte(mid, ' '); i >= 0 {
			w, mid = mid[:i], mid[i+1:]
		} else {
			mid = ""
		}
		if _, ok := m[w]; ok || len(m) < 1<<14 {
			m[w]++
		}
	}
}

// topMiddles returns the n most counted words, most counted first.
func topMiddles(m map[string]int, n int) []string {
	out := make([]string, 0, len(m))
	for w := range m {
		out = append(out, w)
	}
	slices.SortFunc(out, func(a, b string) int {
		if c := m[b] - m[a]; c != 0 {
			return c
		}
		return strings.Compare(a, b)
	})
	return out[:min(n, len(out))]
}
