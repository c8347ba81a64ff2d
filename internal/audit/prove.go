package audit

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/transparency-dev/merkle/proof"
	"github.com/transparency-dev/merkle/rfc6962"
	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"

	"github.com/populus-vn/populus/internal/db"
	"github.com/populus-vn/populus/internal/problem"
)

// Proof shows that an entry is in the log: its leaf (the entry as stored,
// encoded), the leaf's index, and the hashes that lead from it to the root
// of a signed checkpoint (RFC 6962 inclusion proof).
type Proof struct {
	Entry    int64  `json:"entry"`
	Leaf     int64  `json:"leaf_index"`
	LeafData []byte `json:"leaf,omitempty"`
	// LeafHash stands for LeafData in a redacted proof (Redacted): the
	// RFC 6962 hash of the leaf, without the entry it encodes.
	LeafHash   []byte   `json:"leaf_hash,omitempty"`
	TreeSize   int64    `json:"tree_size"`
	Hashes     [][]byte `json:"hashes"`
	Checkpoint string   `json:"checkpoint"`
}

// Redacted returns p with the leaf's hash in place of the leaf: the entry
// encoded in the leaf holds every column as stored (an officer's account,
// the address a request came from, the detail), more than its subject is
// shown; the hash still proves that an entry at that place is in the log,
// and an auditor, who may read the entry, can show which.
func (p Proof) Redacted() Proof {
	if p.LeafData != nil {
		h := rfc6962.DefaultHasher.HashLeaf(p.LeafData)
		p.LeafHash, p.LeafData = h, nil
	}
	return p
}

// Position is the entry's place in the tree counted from 1, as a person
// reads it (Leaf counts from 0, as RFC 6962 does).
func (p Proof) Position() int64 { return p.Leaf + 1 }

// ErrNotInTree is returned by Prove for an entry the tree does not hold.
var ErrNotInTree = problem.New(problem.NotFound, "no such entry in the audit log")

// Prove returns the inclusion proof of the entry with id against the latest
// checkpoint, adding the entry to the tree and signing a checkpoint first if
// need be. The caller decides who may see it: the proof holds the entry.
func (l *Log) Prove(ctx context.Context, id int64) (Proof, error) {
	ps, err := l.ProveAll(ctx, []int64{id})
	if err != nil {
		return Proof{}, err
	}
	return ps[0], nil
}

// ProveAll returns the inclusion proofs of the entries ids, in order, as
// Prove does, all against one checkpoint and reading each tile once (a page
// of "who used my data" shares most of its proofs' tiles).
func (l *Log) ProveAll(ctx context.Context, ids []int64) ([]Proof, error) {
	t := l.tree
	leaves, err := leavesOf(ctx, t.db, ids)
	if errors.Is(err, ErrNotInTree) {
		l.Sync(ctx, 2*time.Second)
		if _, err = t.integrateAll(ctx); err == nil {
			leaves, err = leavesOf(ctx, t.db, ids)
		}
	}
	if err != nil {
		return nil, err
	}
	cp, err := latestCheckpoint(ctx, t.db)
	if errors.Is(err, sql.ErrNoRows) || err == nil && (cp.Size <= slices.Max(leaves) || cp.Note == "" && t.signing()) {
		cp, err = t.checkpoint(ctx, false)
	}
	if err != nil {
		return nil, err
	}
	var root tlog.Hash
	copy(root[:], cp.Root)
	hr := tlog.TileHashReader(tlog.Tree{N: cp.Size, Hash: root}, &storedTiles{ctx: ctx, q: t.db, read: map[tlog.Tile][]byte{}})
	text := cp.Note
	if text == "" {
		text = checkpointText(cp.Size, root)
	}
	out := make([]Proof, len(ids))
	for i, id := range ids {
		rp, err := tlog.ProveRecord(cp.Size, leaves[i], hr)
		if err != nil {
			return nil, fmt.Errorf("audit proof of entry %d: %w", id, err)
		}
		var r storedRow
		if err := scanRow(t.db.QueryRowContext(ctx, `SELECT `+rowCols+` FROM audit_log WHERE id = $1`, id), &r); err != nil {
			return nil, err
		}
		p := Proof{Entry: id, Leaf: leaves[i], LeafData: leafData(&r), TreeSize: cp.Size, Checkpoint: text}
		for _, h := range rp {
			p.Hashes = append(p.Hashes, slices.Clone(h[:]))
		}
		out[i] = p
	}
	return out, nil
}

// leavesOf returns the leaf index of each entry of ids, ErrNotInTree if the
// tree does not hold one (yet).
func leavesOf(ctx context.Context, q querier, ids []int64) ([]int64, error) {
	out := make([]int64, len(ids))
	for i, id := range ids {
		leaf, err := leafOf(ctx, q, id)
		if err != nil {
			return nil, err
		}
		out[i] = leaf
	}
	return out, nil
}

// leafOf returns the leaf index of entry id, ErrNotInTree if the tree does
// not hold it (yet).
func leafOf(ctx context.Context, q querier, id int64) (int64, error) {
	var idx, first int64
	var enc []byte
	err := q.QueryRowContext(ctx, `SELECT idx, first_id, ids FROM audit_tiles WHERE level = 0 AND first_id <= $1 ORDER BY first_id DESC LIMIT 1`, id).Scan(&idx, &first, &enc)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, ErrNotInTree
	}
	if err != nil {
		return 0, err
	}
	ids, err := decodeIDs(first, enc)
	if err != nil {
		return 0, err
	}
	if i, ok := slices.BinarySearch(ids, id); ok {
		return idx*tileWidth + int64(i), nil
	}
	return 0, ErrNotInTree
}

// storedTiles reads tiles from audit_tiles for tlog.TileHashReader, which
// checks them against the checkpoint's root.
type storedTiles struct {
	ctx  context.Context
	q    querier
	read map[tlog.Tile][]byte // the tiles read so far
}

func (s *storedTiles) Height() int { return tileHeight }

func (s *storedTiles) ReadTiles(tiles []tlog.Tile) ([][]byte, error) {
	out := make([][]byte, len(tiles))
	for i, t := range tiles {
		if d, ok := s.read[t]; ok {
			out[i] = d
			continue
		}
		var d []byte
		if err := s.q.QueryRowContext(s.ctx, `SELECT hashes FROM audit_tiles WHERE level = $1 AND idx = $2`, t.L, t.N).Scan(&d); err != nil {
			return nil, fmt.Errorf("audit tree: tile %d/%d: %w", t.L, t.N, err)
		}
		if len(d) < t.W*tlog.HashSize {
			return nil, fmt.Errorf("audit tree: tile %d/%d is shorter than the checkpoint needs", t.L, t.N)
		}
		out[i] = d[:t.W*tlog.HashSize]
		s.read[t] = out[i]
	}
	return out, nil
}

func (s *storedTiles) SaveTiles([]tlog.Tile, [][]byte) {}

// VerifyProof checks p with a second implementation of RFC 6962
// (transparency-dev/merkle): the checkpoint's signature by verifierKey (a
// note verifier key; "" accepts an unsigned checkpoint), that the leaf is
// the entry p names (a redacted proof has only the leaf's hash: the place
// of an entry, not which), and that the hashes lead from the leaf to the
// checkpoint's root.
func VerifyProof(p Proof, verifierKey string) error {
	text := p.Checkpoint
	if verifierKey != "" {
		v, err := note.NewVerifier(verifierKey)
		if err != nil {
			return fmt.Errorf("verifier key: %w", err)
		}
		n, err := note.Open([]byte(p.Checkpoint), note.VerifierList(v))
		if err != nil {
			return fmt.Errorf("checkpoint signature: %w", err)
		}
		text = n.Text
	}
	size, root, err := parseCheckpoint(text)
	if err != nil {
		return err
	}
	if size != p.TreeSize {
		return fmt.Errorf("the proof is for a tree of %d entries, the checkpoint for %d", p.TreeSize, size)
	}
	h := rfc6962.DefaultHasher
	leaf := p.LeafHash
	if p.LeafData != nil || leaf == nil {
		if id, ok := leafEntry(p.LeafData); !ok || id != p.Entry {
			return fmt.Errorf("the leaf is not entry %d", p.Entry)
		}
		leaf = h.HashLeaf(p.LeafData)
	}
	return proof.VerifyInclusion(h, uint64(p.Leaf), uint64(size), leaf, p.Hashes, root[:])
}

// leafEntry returns the entry id a leaf encodes.
func leafEntry(b []byte) (int64, bool) {
	rest, ok := bytes.CutPrefix(b, []byte(leafPrefix))
	digits, _, found := bytes.Cut(rest, []byte("\n"))
	if !ok || !found {
		return 0, false
	}
	id, err := strconv.ParseInt(string(digits), 10, 64)
	return id, err == nil
}

// VerifyReport is what Verify checked.
type VerifyReport struct {
	Entries     int64  // entries in the tree, each checked
	Pending     int64  // entries after the tree's last, not yet added to it
	Checkpoints int    // checkpoints checked, with their signatures
	Unsigned    int    // of them, made without a key (served without a master key)
	Verifier    string // the key the signatures were checked with
	Size        int64
	Root        []byte
}

// Tampered is Verify's finding: the first entry, tile or checkpoint that
// does not match.
type Tampered struct {
	Entry int64 // the entry concerned, 0 when a tile or checkpoint
	What  string
}

func (e *Tampered) Error() string {
	if e.Entry != 0 {
		return fmt.Sprintf("entry %d: %s", e.Entry, e.What)
	}
	return e.What
}

// Verify checks the whole log on d: every entry against its leaf hash, in
// order, none missing and none added; every tile against the tiles below;
// the tree's root; and every checkpoint's signature (with verifierKey, or
// the key in the store when empty), its root against the tree, and its
// consistency with the one before. It streams the log, in memory about 32
// bytes per 256 entries. A mismatch is returned as *Tampered.
func Verify(ctx context.Context, d *db.DB, verifierKey string) (VerifyReport, error) {
	var rep VerifyReport
	st, err := readState(ctx, d, false)
	if err != nil {
		return rep, err
	}
	rep.Size, rep.Root = st.size, st.root[:]
	// Level 0: the entries against the leaves.
	var leaves, lastID int64
	var roots []tlog.Hash // of the complete tiles of the level below
	tiles, err := d.QueryContext(ctx, `SELECT idx, hashes, first_id, ids FROM audit_tiles WHERE level = 0 ORDER BY idx`)
	if err != nil {
		return rep, err
	}
	for tiles.Next() {
		var idx, first int64
		var hashes, enc []byte
		if err := tiles.Scan(&idx, &hashes, &first, &enc); err != nil {
			tiles.Close()
			return rep, err
		}
		ids, err := decodeIDs(first, enc)
		if err != nil || idx*tileWidth != leaves || len(hashes) != len(ids)*tlog.HashSize || len(ids) > tileWidth {
			tiles.Close()
			return rep, &Tampered{Entry: first, What: fmt.Sprintf("tile 0/%d of the tree is malformed", idx)}
		}
		if err := checkEntries(ctx, d, lastID, ids, hashes); err != nil {
			tiles.Close()
			return rep, err
		}
		if len(ids) == tileWidth {
			roots = append(roots, subtreeRoot(hashes))
		}
		leaves += int64(len(ids))
		lastID = ids[len(ids)-1]
	}
	tiles.Close()
	if err := tiles.Err(); err != nil {
		return rep, err
	}
	if leaves != st.size || (st.size > 0 && lastID != st.upto) {
		return rep, &Tampered{What: fmt.Sprintf("the tree says it holds %d entries up to entry %d; its tiles hold %d up to entry %d", st.size, st.upto, leaves, lastID)}
	}
	rep.Entries = leaves
	// Entries after the tree's last: none may sit before it (checked
	// above); count those waiting.
	if err := d.QueryRowContext(ctx, `SELECT count(*) FROM audit_log WHERE id > $1`, lastID).Scan(&rep.Pending); err != nil {
		return rep, err
	}
	// Higher levels: each hash is the root of a complete tile below.
	for level := 1; len(roots) > 0; level++ {
		var next []tlog.Hash
		var at int
		rows, err := d.QueryContext(ctx, `SELECT idx, hashes FROM audit_tiles WHERE level = $1 ORDER BY idx`, level)
		if err != nil {
			return rep, err
		}
		for rows.Next() {
			var idx int64
			var hashes []byte
			if err := rows.Scan(&idx, &hashes); err != nil {
				rows.Close()
				return rep, err
			}
			for j := 0; j*tlog.HashSize < len(hashes); j++ {
				if at >= len(roots) || idx*tileWidth+int64(j) != int64(at) || string(hashes[j*tlog.HashSize:(j+1)*tlog.HashSize]) != string(roots[at][:]) {
					rows.Close()
					return rep, &Tampered{What: fmt.Sprintf("tile %d/%d of the tree does not match the tiles below it (hash %d)", level, idx, j)}
				}
				at++
			}
			if len(hashes) == tileWidth*tlog.HashSize {
				next = append(next, subtreeRoot(hashes))
			}
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return rep, err
		}
		if at != len(roots) {
			return rep, &Tampered{What: fmt.Sprintf("level %d of the tree lacks %d hashes", level, len(roots)-at)}
		}
		roots = next
	}
	hr := newTileHashes(ctx, d)
	if st.size > 0 {
		root, err := tlog.TreeHash(st.size, hr)
		if err != nil {
			return rep, err
		}
		if root != st.root {
			return rep, &Tampered{What: "the tree's recorded root hash does not match its tiles"}
		}
	}
	return rep, verifyCheckpoints(ctx, d, verifierKey, hr, &rep)
}

// checkEntries checks that the entries after lastID up to the tile's last
// are exactly ids, each with its leaf hash.
func checkEntries(ctx context.Context, d *db.DB, lastID int64, ids []int64, hashes []byte) error {
	rows, err := d.QueryContext(ctx, `SELECT `+rowCols+` FROM audit_log WHERE id > $1 AND id <= $2 ORDER BY id`, lastID, ids[len(ids)-1])
	if err != nil {
		return err
	}
	defer rows.Close()
	i := 0
	for rows.Next() {
		var r storedRow
		if err := scanRow(rows, &r); err != nil {
			return err
		}
		switch {
		case i >= len(ids) || r.id < ids[i]:
			return &Tampered{Entry: r.id, What: "is not in the tree: added to the log afterwards"}
		case r.id > ids[i]:
			return &Tampered{Entry: ids[i], What: "is missing from the log: deleted"}
		}
		h := tlog.RecordHash(leafData(&r))
		if string(h[:]) != string(hashes[i*tlog.HashSize:(i+1)*tlog.HashSize]) {
			return &Tampered{Entry: r.id, What: "does not match its hash in the tree: altered"}
		}
		i++
	}
	if err := rows.Err(); err != nil {
		return err
	}
	if i < len(ids) {
		return &Tampered{Entry: ids[i], What: "is missing from the log: deleted"}
	}
	return nil
}

// subtreeRoot is the root of the complete subtree whose 256 bottom hashes
// are a tile's data.
func subtreeRoot(data []byte) tlog.Hash {
	hs := make([]tlog.Hash, len(data)/tlog.HashSize)
	for i := range hs {
		copy(hs[i][:], data[i*tlog.HashSize:])
	}
	for len(hs) > 1 {
		for i := 0; i < len(hs)/2; i++ {
			hs[i] = tlog.NodeHash(hs[2*i], hs[2*i+1])
		}
		hs = hs[:len(hs)/2]
	}
	return hs[0]
}

// verifyCheckpoints checks every checkpoint, oldest first.
func verifyCheckpoints(ctx context.Context, d *db.DB, verifierKey string, hr tlog.HashReader, rep *VerifyReport) error {
	if verifierKey == "" {
		err := d.QueryRowContext(ctx, `SELECT verifier FROM audit_signer WHERE id = 1`).Scan(&verifierKey)
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return err
		}
	}
	rep.Verifier = verifierKey
	var verifiers note.Verifiers
	if verifierKey != "" {
		v, err := note.NewVerifier(verifierKey)
		if err != nil {
			return fmt.Errorf("verifier key: %w", err)
		}
		verifiers = note.VerifierList(v)
	}
	rows, err := d.QueryContext(ctx, `SELECT size, root, note FROM audit_checkpoints ORDER BY size`)
	if err != nil {
		return err
	}
	defer rows.Close()
	var prevSize int64
	var prevRoot tlog.Hash
	for rows.Next() {
		var size int64
		var rootB []byte
		var msg string
		if err := rows.Scan(&size, &rootB, &msg); err != nil {
			return err
		}
		bad := func(why string) error {
			return &Tampered{What: fmt.Sprintf("checkpoint of %d entries: %s", size, why)}
		}
		var root tlog.Hash
		copy(root[:], rootB)
		if msg == "" {
			rep.Unsigned++ // made while the server ran without a master key
		} else {
			if verifiers == nil {
				return bad("signed, but the log has no key to check it with")
			}
			n, err := note.Open([]byte(msg), verifiers)
			if err != nil {
				return bad("its signature does not verify (" + err.Error() + ")")
			}
			s, r, err := parseCheckpoint(n.Text)
			if err != nil || s != size || r != root {
				return bad("its signed text does not match its size and root")
			}
		}
		if size > rep.Size {
			return bad(fmt.Sprintf("larger than the tree (%d entries)", rep.Size))
		}
		want, err := tlog.TreeHash(size, hr)
		if err != nil {
			return err
		}
		if want != root {
			return bad("its root does not match the tree's entries")
		}
		if prevSize > 0 {
			tp, err := tlog.ProveTree(size, prevSize, hr)
			if err != nil {
				return err
			}
			p := make([][]byte, len(tp))
			for i := range tp {
				p[i] = tp[i][:]
			}
			if err := proof.VerifyConsistency(rfc6962.DefaultHasher, uint64(prevSize), uint64(size), p, prevRoot[:], root[:]); err != nil {
				return bad("inconsistent with the checkpoint before it (" + err.Error() + ")")
			}
		}
		prevSize, prevRoot = size, root
		rep.Checkpoints++
	}
	return rows.Err()
}
