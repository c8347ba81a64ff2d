package reconcile

import (
	"encoding/binary"
	"math"
	"unsafe"

	"github.com/populus-vn/populus/internal/civil"
)

// RecordStore holds prepared records packed into pointer-free memory: each
// record is a fixed slot of SlotSize bytes (two cache lines) holding its
// values and its strings together, so that reading a register record for a
// comparison touches one place in memory, and the garbage collector has
// nothing to scan however many millions of records it holds. The rare
// record too long for a slot (a name of more than about 30 characters with
// diacritics and a CMND) is written to an overflow area, its slot pointing
// there.
//
// Records are read back with Get, into a Record whose strings point into
// the store (they stay valid as long as the store does). Slots are
// allocated in chunks that never move, so the strings of a record read
// while the store grows stay valid too. Add is not safe for concurrent use;
// Get and Touch are, with each other.
type RecordStore struct {
	chunks [][]byte // storeChunk slots each
	over   [][]byte // overflow area, in chunks of overChunk bytes
	n      int
}

// SlotSize is the bytes a record takes in a RecordStore, besides the rare
// long record's overflow.
const SlotSize = 128

const (
	chunkShift = 14 // slots per chunk: 16,384 (2 MiB)
	storeChunk = 1 << chunkShift
	overChunk  = 1 << 20
)

// Packed layout: a fixed header, then the strings (name, folded name when
// it differs from the name, PIN, CMND, phone). Multi-byte integers are
// little-endian. The word boundaries are stored as bytes when the folded
// name is shorter than 256 bytes; Get finds those of a longer one again.
const (
	pkFlags     = 0                   // pkFoldedIsName, pkOverflow
	pkNameLen   = 1                   // uint16
	pkFoldedLen = 3                   // uint16
	pkPINLen    = 5                   // uint8
	pkCMNDLen   = 6                   // uint8
	pkPhoneLen  = 7                   // uint8
	pkFamTok    = 8                   // uint8
	pkGivTok    = 9                   // uint8
	pkSex       = 10                  // uint8
	pkPINSex    = 11                  // uint8
	pkPlaces    = 12                  // uint8: number of places
	pkMonth     = 13                  // uint8
	pkDay       = 14                  // uint8
	pkYear      = 15                  // int16
	pkPINYear   = 17                  // int16
	pkTF        = 19                  // numTF float32
	pkPlace     = pkTF + 4*int(numTF) // MaxPlaces × (int32 commune, int16 province)
	pkNTok      = pkPlace + 6*MaxPlaces
	pkTokEnd    = pkNTok + 1 // MaxTokens × uint8
	pkDOBKey    = pkTokEnd + MaxTokens
	pkHeader    = pkDOBKey + 8

	pkFoldedIsName = 1 << 0
	pkOverflow     = 1 << 1 // the slot holds the overflow position at byte 8
	pkMarked       = 1 << 2 // Mark, in the slot's flags
	pkLongName     = 1 << 3 // the word boundaries are not stored
	pkASCIIName    = 1 << 4 // the folded name is ASCII (Record.asciiName)
)

// packedLen is the bytes r takes packed.
func (r *Record) packedLen() int {
	n := pkHeader + len(r.name) + len(r.pin) + len(r.cmnd) + len(r.phone)
	if r.folded != r.name {
		n += len(r.folded)
	}
	return n
}

// pack writes r into dst, which has room for r.packedLen() bytes.
func (r *Record) pack(dst []byte) {
	_ = dst[pkHeader-1]
	sameName := r.folded == r.name
	var flags byte
	if sameName {
		flags |= pkFoldedIsName
	}
	if r.asciiName {
		flags |= pkASCIIName
	}
	if len(r.folded) > 255 {
		flags |= pkLongName
	} else {
		dst[pkNTok] = r.ntok
		for i, e := range r.tokEnd {
			dst[pkTokEnd+i] = byte(e)
		}
	}
	copy(dst[pkDOBKey:pkDOBKey+8], r.dobKey[:])
	dst[pkFlags] = flags
	binary.LittleEndian.PutUint16(dst[pkNameLen:], uint16(len(r.name)))
	binary.LittleEndian.PutUint16(dst[pkFoldedLen:], uint16(len(r.folded)))
	dst[pkPINLen], dst[pkCMNDLen], dst[pkPhoneLen] = byte(len(r.pin)), byte(len(r.cmnd)), byte(len(r.phone))
	dst[pkFamTok], dst[pkGivTok] = r.famTok, r.givTok
	dst[pkSex], dst[pkPINSex] = byte(r.sex), byte(r.pinSex)
	dst[pkPlaces], dst[pkMonth], dst[pkDay] = r.nplaces, r.birth.month, r.birth.day
	binary.LittleEndian.PutUint16(dst[pkYear:], uint16(r.birth.year))
	binary.LittleEndian.PutUint16(dst[pkPINYear:], uint16(r.pinYear))
	r.packTF(dst)
	for i, p := range r.places {
		binary.LittleEndian.PutUint32(dst[pkPlace+6*i:], uint32(p.commune))
		binary.LittleEndian.PutUint16(dst[pkPlace+6*i+4:], uint16(p.province))
	}
	o := pkHeader
	o += copy(dst[o:], r.name)
	if !sameName {
		o += copy(dst[o:], r.folded)
	}
	o += copy(dst[o:], r.pin)
	o += copy(dst[o:], r.cmnd)
	copy(dst[o:], r.phone)
}

func (r *Record) packTF(dst []byte) {
	for f := range numTF {
		binary.LittleEndian.PutUint32(dst[pkTF+4*int(f):], math.Float32bits(r.tf[f]))
	}
}

// unpack reads a record packed by pack. Its strings point into src, which
// must not change afterwards (but for the term frequencies).
func (r *Record) unpack(src []byte) {
	_ = src[pkHeader-1]
	*r = Record{
		famTok:    src[pkFamTok],
		givTok:    src[pkGivTok],
		sex:       civil.Sex(src[pkSex]),
		pinSex:    civil.Sex(src[pkPINSex]),
		nplaces:   src[pkPlaces],
		birth:     dob{year: int16(binary.LittleEndian.Uint16(src[pkYear:])), month: src[pkMonth], day: src[pkDay]},
		pinYear:   int16(binary.LittleEndian.Uint16(src[pkPINYear:])),
		dobKey:    [8]byte(src[pkDOBKey : pkDOBKey+8]),
		asciiName: src[pkFlags]&pkASCIIName != 0,
	}
	for f := range numTF {
		r.tf[f] = math.Float32frombits(binary.LittleEndian.Uint32(src[pkTF+4*int(f):]))
	}
	for i := range int(r.nplaces) {
		r.places[i] = place{commune: int32(binary.LittleEndian.Uint32(src[pkPlace+6*i:])),
			province: int16(binary.LittleEndian.Uint16(src[pkPlace+6*i+4:]))}
	}
	o := pkHeader
	str := func(n int) string {
		if n == 0 {
			return ""
		}
		s := unsafe.String(&src[o], n)
		o += n
		return s
	}
	r.name = str(int(binary.LittleEndian.Uint16(src[pkNameLen:])))
	if src[pkFlags]&pkFoldedIsName != 0 {
		r.folded = r.name
	} else {
		r.folded = str(int(binary.LittleEndian.Uint16(src[pkFoldedLen:])))
	}
	r.pin = str(int(src[pkPINLen]))
	r.cmnd = str(int(src[pkCMNDLen]))
	r.phone = str(int(src[pkPhoneLen]))
	if src[pkFlags]&pkLongName != 0 {
		r.tokenize()
	} else {
		r.ntok = src[pkNTok]
		for i := range r.tokEnd {
			r.tokEnd[i] = uint16(src[pkTokEnd+i])
		}
	}
}

// Add appends a copy of r and returns its position.
func (s *RecordStore) Add(r *Record) int {
	i := s.n
	if i>>chunkShift == len(s.chunks) {
		s.chunks = append(s.chunks, make([]byte, storeChunk*SlotSize))
	}
	slot := s.slot(i)
	if n := r.packedLen(); n <= SlotSize {
		r.pack(slot)
	} else {
		if len(s.over) == 0 || len(s.over[len(s.over)-1])+n > cap(s.over[len(s.over)-1]) {
			s.over = append(s.over, make([]byte, 0, max(overChunk, n)))
		}
		c := len(s.over) - 1
		buf := s.over[c]
		off := len(buf)
		s.over[c] = buf[:off+n]
		r.pack(s.over[c][off:])
		slot[pkFlags] = pkOverflow
		binary.LittleEndian.PutUint64(slot[8:], uint64(c)<<32|uint64(off))
	}
	s.n++
	return i
}

// slot returns the slot of record i.
func (s *RecordStore) slot(i int) []byte {
	c := s.chunks[i>>chunkShift]
	o := (i & (storeChunk - 1)) * SlotSize
	return c[o : o+SlotSize : o+SlotSize]
}

// packed returns where record i's packed form starts.
func (s *RecordStore) packed(i int) []byte {
	b := s.slot(i)
	if b[pkFlags]&pkOverflow != 0 {
		at := binary.LittleEndian.Uint64(b[8:])
		return s.over[at>>32][uint32(at):]
	}
	return b
}

// Get reads record i into r. r's strings point into the store.
func (s *RecordStore) Get(i int, r *Record) { r.unpack(s.packed(i)) }

// SetTermFrequencies writes r's term frequencies (TermFrequencies.Annotate)
// into record i, whose other values must be r's.
func (s *RecordStore) SetTermFrequencies(i int, r *Record) { r.packTF(s.packed(i)) }

// Mark sets the mark of record i: a bit the store keeps for its user in
// the record's slot, so that reading it costs nothing once the record is
// read.
func (s *RecordStore) Mark(i int) { s.slot(i)[pkFlags] |= pkMarked }

// Marked reports whether record i is marked.
func (s *RecordStore) Marked(i int) bool { return s.slot(i)[pkFlags]&pkMarked != 0 }

// Touch reads a byte of each cache line of record i's slot and returns
// them combined. Touching the records about to be compared, one after the
// other, lets the processor fetch them from memory in parallel rather than
// one at a time when they are compared.
func (s *RecordStore) Touch(i int) byte {
	b := s.slot(i)
	return b[0] ^ b[SlotSize/2]
}

// Len returns the number of records.
func (s *RecordStore) Len() int { return s.n }

// Bytes returns the memory the records take: their slots and overflow.
// The last chunk of slots and of overflow is allocated whole, up to 2 MiB
// and 1 MiB more.
func (s *RecordStore) Bytes() int64 {
	n := int64(s.n) * SlotSize
	for _, c := range s.over {
		n += int64(len(c))
	}
	return n
}
