package engine

import (
	"context"
	"errors"
	"math/rand/v2"
	"slices"
	"sync/atomic"
	"testing"

	"github.com/populus-vn/populus/internal/civil"
	"github.com/populus-vn/populus/internal/reconcile"
)

func TestPhonetic(t *testing.T) {
	same := [][2]string{
		{"nguyen van duc", "van duc nguyen"},    // order
		{"tran thi giang", "chan thi dang"},     // tr/ch, gi/d
		{"le thi ry", "le thi di"},              // r/d, y/i
		{"pham van xuan", "pham van suan"},      // s/x
		{"nguyen ngoc bich", "nguyen ngot bit"}, // final c/t, ch/t
		{"hoang thi thanh", "hoang thi than"},   // final nh/n
		{"nguyen van nghia", "nguyen van ngia"}, // ngh/ng
		{"le van quang", "le van cuang"},        // q/c
		{"do thi hoa", "do thii hoa"},           // doubled letter
	}
	for _, p := range same {
		a, b := string(appendPhonetic(nil, p[0])), string(appendPhonetic(nil, p[1]))
		if a != b {
			t.Errorf("%q → %q, %q → %q", p[0], a, p[1], b)
		}
	}
	if a, b := string(appendPhonetic(nil, "nguyen van an")), string(appendPhonetic(nil, "nguyen van binh")); a == b {
		t.Errorf("different names share a key %q", a)
	}
	if allocs := testing.AllocsPerRun(100, func() { appendPhonetic(make([]byte, 0, 64), "nguyen thi ngoc bich") }); allocs > 1 {
		t.Errorf("%v allocations", allocs)
	}
}

// Rules give a record written given name first, without diacritics, or
// with an old province the same name keys as the register's record.
func TestRuleKeys(t *testing.T) {
	reg := reconcile.NewRecord(reconcile.Fields{FullName: "Nguyễn Văn Đức", BirthDate: civil.Date{Year: 1990, Month: 5, Day: 6},
		Sex: civil.Male, PIN: "079090001234", Units: []string{"25750"}})
	sec := reconcile.NewRecord(reconcile.Fields{FullName: "DUC NGUYEN VAN", BirthDate: civil.Date{Year: 1990, Month: 5, Day: 6},
		Sex: civil.Male, Units: []string{"old:74"}})
	var k keyer
	for _, r := range DefaultRules() {
		a := slices.Clone(k.keysOf(&r, &reg))
		b := slices.Clone(k.keysOf(&r, &sec))
		shared := len(a) > 0 && len(b) > 0 && slices.Contains(a, b[0])
		want := r.Name == "name_province" || r.Name == "dob_sex_province"
		if shared != want {
			t.Errorf("%s: register keys %x, sector keys %x", r.Name, a, b)
		}
	}
	// No key from a missing value.
	empty := reconcile.NewRecord(reconcile.Fields{})
	for _, r := range DefaultRules() {
		if ks := k.keysOf(&r, &empty); len(ks) != 0 {
			t.Errorf("%s: keys of an empty record %x", r.Name, ks)
		}
	}
}

// A block finds exactly the ids of each hash, however the hashes fall into
// buckets.
func TestBlock(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for _, n := range []int{0, 1, 7, 1000, 50_000} {
		var hashes []uint64
		var ids []uint32
		want := map[uint64][]uint32{}
		distinct := max(n/3, 1)
		keys := make([]uint64, distinct)
		for i := range keys {
			keys[i] = r.Uint64()
		}
		keys[0] = keys[min(1, distinct-1)] &^ 0xffffffff // shares the top bits with another
		for i := range n {
			h := keys[r.IntN(distinct)]
			if i%10 == 0 {
				h = keys[0] // one frequent key
			}
			hashes = append(hashes, h)
			ids = append(ids, uint32(i))
			want[h] = append(want[h], uint32(i))
		}
		b := buildBlock(hashes, ids)
		for h, w := range want {
			var got []uint32
			for _, e := range b.lookup(h) {
				got = append(got, entryID(e))
			}
			if !slices.IsSorted(got) {
				t.Errorf("n=%d: lookup %x: ids out of order", n, h)
			}
			if !slices.Equal(got, w) {
				t.Fatalf("n=%d: lookup %x: %d ids, want %d", n, h, len(got), len(w))
			}
		}
		if len(b.lookup(r.Uint64())) != 0 {
			t.Errorf("n=%d: a missing key found", n)
		}
		if b.keys != len(want) {
			t.Errorf("n=%d: %d keys, want %d", n, b.keys, len(want))
		}
	}
}

func TestRunOrdered(t *testing.T) {
	ctx := context.Background()
	var inFlight, most atomic.Int64
	produce := func(_ context.Context, emit func(int) error) error {
		for i := range 1000 {
			if err := emit(i); err != nil {
				return err
			}
		}
		return nil
	}
	var got []int
	err := runOrdered(ctx, 4, 8, produce, func(_ int, v int) int {
		n := inFlight.Add(1)
		for m := most.Load(); n > m && !most.CompareAndSwap(m, n); m = most.Load() {
		}
		if v%7 == 0 {
			for range 10000 { // uneven work, so results come out of order
			}
		}
		inFlight.Add(-1)
		return v * 2
	}, func(v int) error {
		got = append(got, v)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for i, v := range got {
		if v != 2*i {
			t.Fatalf("result %d is %d: out of order", i, v)
		}
	}
	if len(got) != 1000 || most.Load() > 4 {
		t.Errorf("%d results, %d in flight at most", len(got), most.Load())
	}
	// The consumer's error stops everything and is returned.
	stop := errors.New("stop")
	n := 0
	err = runOrdered(ctx, 2, 4, produce, func(_ int, v int) int { return v }, func(v int) error {
		if n++; n == 10 {
			return stop
		}
		return nil
	})
	if !errors.Is(err, stop) || n != 10 {
		t.Errorf("err %v after %d", err, n)
	}
	// The producer's too.
	err = runOrdered(ctx, 2, 4, func(_ context.Context, emit func(int) error) error {
		emit(1)
		return stop
	}, func(_ int, v int) int { return v }, func(int) error { return nil })
	if !errors.Is(err, stop) {
		t.Errorf("producer error: %v", err)
	}
}

// A commune name that a few communes share, with no province, keys the
// record in the provinces of those communes: it shares the name and the
// date keys with a person of one of them, not with one elsewhere.
func TestRuleKeysSharedCommuneName(t *testing.T) {
	dob := civil.Date{Year: 1990, Month: 5, Day: 6}
	sec := reconcile.NewRecord(reconcile.Fields{FullName: "Nguyễn Văn Đức", BirthDate: dob, Sex: civil.Male,
		Communes: []string{"03388", "04000", "06001"}}) // Đoàn Kết, in provinces 12, 14 and 20
	for _, tc := range []struct {
		unit  string
		share bool
	}{{"04000", true}, {"06001", true}, {"26743", false}} {
		reg := reconcile.NewRecord(reconcile.Fields{FullName: "Nguyễn Văn Đức", BirthDate: dob, Sex: civil.Male, Units: []string{tc.unit}})
		var k keyer
		for _, r := range DefaultRules() {
			if r.Name != "name_province" && r.Name != "dob_sex_province" {
				continue
			}
			a := slices.Clone(k.keysOf(&r, &reg))
			b := slices.Clone(k.keysOf(&r, &sec))
			shared := slices.ContainsFunc(b, func(h uint64) bool { return slices.Contains(a, h) })
			if shared != tc.share {
				t.Errorf("%s, register person in %s: shared %v (register keys %x, sector keys %x)", r.Name, tc.unit, shared, a, b)
			}
		}
	}
	var buf [maxKeyProvinces]int
	if got := provinces(&sec, &buf); !slices.Equal(got, []int{12, 14, 20}) {
		t.Errorf("provinces %v, want [12 14 20]", got)
	}
}
