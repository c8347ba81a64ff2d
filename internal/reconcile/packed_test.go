package reconcile

import (
	"reflect"
	"strings"
	"testing"

	"github.com/populus-vn/populus/internal/civil"
)

// packedCases are records that exercise every field of the packed form:
// missing values, a name equal to its folded form, a name too long for a
// slot, more words than MaxTokens, a PIN one digit short, a phone, partial
// dates, places of both systems.
func packedCases() []Record {
	fs := []Fields{
		{},
		{FullName: "Nguyễn Văn An", BirthDate: civil.Date{Year: 1985, Month: 4, Day: 2}, Sex: civil.Male,
			PIN: "079085001234", CMND: "025123456", Units: []string{"26740", "00004", "old:79", "01"}, Phone: "+84 912 345 678"},
		{FullName: "tran thi b", BirthDate: civil.Date{Year: 1990}, Sex: civil.Female, PIN: "07908500123"},
		{FamilyName: "Tôn Nữ", MiddleName: "Thị", GivenName: "Hồng Nhung", BirthDate: civil.Date{Year: 2001, Month: 12}},
		{FullName: "a b c d e f g h i j k", CMND: "025123456"},
		{FullName: strings.Repeat("Nguyễn Thị Ngọc Bích ", 4), PIN: "001199000001", CMND: "123456789", Units: []string{"old:00004"}},
		{FullName: strings.Repeat("Đặng ", 300)}, // too long to be a name: missing
		{FullName: strings.Repeat("Đặng ", 120), BirthDate: civil.Date{Year: 1950, Month: 1, Day: 31}},
		{PIN: "025123456"}, // a CMND in the PIN column
	}
	var out []Record
	for _, f := range fs {
		r := NewRecord(f)
		r.tf = [numTF]float32{0.25, 1e-7, 0}
		out = append(out, r)
	}
	return out
}

// A record read back from a store is the record added, long or short, and
// stays so while the store grows.
func TestRecordStoreRoundTrip(t *testing.T) {
	w := testWorld(t)
	recs := append(packedCases(), w.register...)
	recs = append(recs, w.sector...)
	var s RecordStore
	for i := range recs {
		if got := s.Add(&recs[i]); got != i {
			t.Fatalf("Add returned %d, want %d", got, i)
		}
	}
	first := make([]Record, len(recs))
	for i := range recs {
		s.Get(i, &first[i])
	}
	// Grow the store past several chunks: what was read stays valid.
	for range 3 * storeChunk {
		s.Add(&recs[1])
	}
	var got Record
	for i := range recs {
		s.Get(i, &got)
		if !reflect.DeepEqual(got, recs[i]) {
			t.Fatalf("record %d: read back\n%#v\nwant\n%#v", i, got, recs[i])
		}
		if !reflect.DeepEqual(first[i], recs[i]) {
			t.Fatalf("record %d changed as the store grew: %#v", i, first[i])
		}
	}
	s.Get(len(recs)+5, &got)
	if !reflect.DeepEqual(got, recs[1]) {
		t.Errorf("a record in a later chunk: %#v", got)
	}
	if s.Len() != len(recs)+3*storeChunk {
		t.Errorf("Len %d", s.Len())
	}
	if b := s.Bytes(); b < int64(s.Len())*SlotSize || b > int64(s.Len())*SlotSize+1<<20 {
		t.Errorf("Bytes %d for %d records", b, s.Len())
	}
	// Scoring a read-back pair gives the weight of the original pair.
	m := NewModel(DefaultComparisons()...)
	m.Lambda = 1e-4
	sc, err := m.Scorer()
	if err != nil {
		t.Fatal(err)
	}
	var a, b Record
	for i := 1; i < 200 && i < len(recs); i++ {
		s.Get(i, &a)
		s.Get(i-1, &b)
		if x, y := sc.Weight(&a, &b), sc.Weight(&recs[i], &recs[i-1]); x != y {
			t.Fatalf("pair %d: weight %v read back, %v", i, x, y)
		}
	}
}

// Term frequencies are written into a stored record in place, long
// records included, and marks are kept apart from the record.
func TestRecordStoreTermFrequencies(t *testing.T) {
	var s RecordStore
	recs := packedCases()
	for i := range recs {
		s.Add(&recs[i])
	}
	for i := range recs {
		recs[i].tf = [numTF]float32{float32(i) / 10, 0.5, float32(i)}
		s.SetTermFrequencies(i, &recs[i])
	}
	for i := range recs {
		if i%2 == 1 {
			s.Mark(i)
		}
	}
	var got Record
	for i := range recs {
		s.Get(i, &got)
		if !reflect.DeepEqual(got, recs[i]) {
			t.Errorf("record %d: %v, want %v", i, got.tf, recs[i].tf)
		}
		if s.Marked(i) != (i%2 == 1) {
			t.Errorf("record %d: marked %v", i, s.Marked(i))
		}
	}
}

// Reading a record from the store allocates nothing.
func TestRecordStoreGetAllocs(t *testing.T) {
	var s RecordStore
	recs := packedCases()
	for i := range recs {
		s.Add(&recs[i])
	}
	var r Record
	if n := testing.AllocsPerRun(100, func() {
		for i := range recs {
			s.Get(i, &r)
			s.Touch(i)
		}
	}); n != 0 {
		t.Errorf("%v allocations", n)
	}
}

// A Preparer prepares the records NewRecord does, known units or not.
func TestPreparer(t *testing.T) {
	p := NewPreparer()
	fs := []Fields{
		{FullName: "Nguyễn Văn An", Units: []string{"26740", "00004", "old:79"}},
		{FullName: "Lê Thị Hồng", Units: []string{"old:00004", "99", "old:999", "x", "01"}},
		{FullName: "Lê Thị Hồng", Units: []string{"old:00004", "99", "old:999", "x", "01"}}, // remembered this time
		{Units: []string{" 79 ", "old:001"}},
	}
	for _, f := range fs {
		if got, want := p.Record(f), NewRecord(f); !reflect.DeepEqual(got, want) {
			t.Errorf("%v: %#v, want %#v", f, got, want)
		}
	}
}
