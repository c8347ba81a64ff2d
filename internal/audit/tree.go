package audit

// The audit log is a Merkle tree log (RFC 6962), the design of Certificate
// Transparency and of Go's checksum database: every entry of audit_log is a
// leaf, in id order; a checkpoint (the tree's size and root hash, signed
// with an Ed25519 note key) commits to every entry before it, and any entry
// has an inclusion proof against a checkpoint, so that an entry altered,
// removed or slipped in afterwards, and a checkpoint rewritten, are found
// (Verify; `populus audit verify`).
//
// The hashes are those of golang.org/x/mod/sumdb/tlog (RFC 6962's leaf and
// node hashes), stored in tiles of height 8 as the checksum database stores
// them: audit_tiles holds, per level of tiles, rows of up to 256 hashes, the
// right-most one partial and rewritten as the tree grows; a level-0 tile
// also lists the ids of its entries, so an entry's leaf is found by its id.
// Proofs are verified with github.com/transparency-dev/merkle, a second
// implementation.
//
// Entries are appended to audit_log as before (group commit, journal); an
// integrator goroutine adds the new ones to the tree in batches, in their own
// transaction, so the tree never holds up a read: an acknowledged entry is in
// audit_log, and it is in the tree within about integrateEvery. On
// PostgreSQL, concurrent transactions may commit entry ids out of order, and
// a transaction rolled back leaves a gap: the integrator stops at a gap until
// every transaction that was running when it first saw the gap has ended.

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"sync"
	"time"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"

	"github.com/populus-vn/populus/internal/db"
)

// tileHeight is the height of the stored tiles: 256 hashes a tile.
const tileHeight = 8

const tileWidth = 1 << tileHeight

// Origin names the log in its checkpoints and its note key.
const Origin = "populus-audit"

// integrateMax bounds the entries one integration adds to the tree.
const integrateMax = 20_000

var (
	// integrateEvery is how often the integrator adds the new entries to
	// the tree: each integration rewrites the right-most, partial tile of
	// each level, so under load fewer, larger batches cost less (at 10,000
	// reads a second, integrating after every import, every 20 ms, took a
	// tenth of the server's CPU). Prove integrates at once when it must.
	// checkpointEvery is how often at most it signs a checkpoint while
	// entries arrive.
	integrateEvery  = time.Second
	checkpointEvery = 5 * time.Second
)

// Sealer encrypts the checkpoint key at rest (the master key).
type Sealer interface {
	Seal(purpose string, b, ad []byte) (string, error)
	Open(purpose, s string, ad []byte) ([]byte, error)
}

// leafPrefix begins every leaf.
const leafPrefix = "populus-audit-entry/1\n"

// leafData is the canonical encoding of a stored entry, the tree's leaf:
// leafPrefix, the id in decimal and a newline, then every column as
// stored, each as its length in bytes, a colon and its bytes, the salt
// last where the entry has one (entries written before salts have none,
// and their leaves stay as they were). The integrator has the store build
// it (leafSQL), one value a row.
func leafData(r *storedRow) []byte {
	b := make([]byte, 0, 256)
	b = append(b, leafPrefix...)
	b = append(strconv.AppendInt(b, r.id, 10), '\n')
	for _, s := range r.cols() {
		b = append(strconv.AppendInt(b, int64(len(s)), 10), ':')
		b = append(b, s...)
	}
	if r.salt != "" {
		b = append(strconv.AppendInt(b, int64(len(r.salt)), 10), ':')
		b = append(b, r.salt...)
	}
	return b
}

var leafColumns = []string{"at", "actor", "action", "subject", "outcome", "detail", "remote", "purpose", "legal_basis", "consent", "request", "fields"}

// leafSQL is the expression of leafData in the engine's SQL, without the
// prefix: reading one value a row instead of thirteen is most of what the
// integrator saves.
func leafSQL(e db.Engine) string {
	nl := "chr(10)"
	if e == db.SQLite {
		nl = "char(10)"
	}
	parts := []string{"CAST(id AS TEXT)", nl}
	for _, c := range leafColumns {
		parts = append(parts, "octet_length("+c+")", "':'", c)
	}
	parts = append(parts, "CASE WHEN salt = '' THEN '' ELSE concat(octet_length(salt), ':', salt) END")
	// One concat() call, not a chain of ||, each of which copied the
	// growing string: a quarter of the integrator's time.
	return "concat(" + strings.Join(parts, ", ") + ")"
}

// storedRow is an audit_log row as stored, for the tree.
type storedRow struct {
	id                                                  int64
	at, actor, action, subject, outcome, detail, remote string
	purpose, legalBasis, consent, request, fields       string
	salt                                                string // "" for entries written before salts
}

func (r *storedRow) cols() [12]string {
	return [12]string{r.at, r.actor, r.action, r.subject, r.outcome, r.detail, r.remote, r.purpose, r.legalBasis, r.consent, r.request, r.fields}
}

const rowCols = `id, at, actor, action, subject, outcome, detail, remote, purpose, legal_basis, consent, request, fields, salt`

func scanRow(s db.Scanner, r *storedRow) error {
	return s.Scan(&r.id, &r.at, &r.actor, &r.action, &r.subject, &r.outcome, &r.detail, &r.remote, &r.purpose, &r.legalBasis, &r.consent, &r.request, &r.fields, &r.salt)
}

// leafRow is an entry as the integrator reads it: its id, its time and its
// leaf without leafPrefix (leafSQL).
type leafRow struct {
	id       int64
	at, leaf string
}

// leafHash is the tree's hash of a leaf read without its prefix.
func leafHash(rest string) tlog.Hash {
	b := make([]byte, 0, len(leafPrefix)+len(rest))
	return tlog.RecordHash(append(append(b, leafPrefix...), rest...))
}

// tree adds the log's entries to its Merkle tree and signs checkpoints.
type tree struct {
	db *db.DB
	// mu serialises this process's integrations and checkpoints.
	mu sync.Mutex
	// signer signs checkpoints; nil until SignCheckpoints.
	signer   note.Signer
	verifier string
	// gapID and gapXmax: on PostgreSQL, the first missing id the
	// integrator met and the snapshot's xmax then.
	gapID, gapXmax int64
	gapSeen        time.Time
	lastCheckpoint time.Time
	stop, done     chan struct{}
}

func newTree(d *db.DB) *tree {
	t := &tree{db: d, stop: make(chan struct{}), done: make(chan struct{})}
	go t.run()
	return t
}

// run integrates new entries every integrateEvery, and signs a checkpoint
// every checkpointEvery if the tree has grown since the last, until stop;
// then it integrates what is left and signs a last checkpoint.
func (t *tree) run() {
	defer close(t.done)
	tick := time.NewTicker(integrateEvery)
	defer tick.Stop()
	ctx := context.Background()
	failing := false
	for {
		select {
		case <-tick.C:
		case <-t.stop:
			if _, err := t.integrateAll(ctx); err == nil {
				_, err = t.checkpoint(ctx, false)
			}
			return
		}
		_, err := t.integrateAll(ctx)
		t.mu.Lock()
		due := time.Since(t.lastCheckpoint) >= checkpointEvery
		t.mu.Unlock()
		if err == nil && due {
			_, err = t.checkpoint(ctx, false)
		}
		if err != nil && !failing {
			writeErrors.Inc()
			slog.Error("audit entries could not be added to the log's Merkle tree; retried (reads go on)", "err", err)
		}
		if err == nil && failing {
			slog.Info("audit entries added to the Merkle tree again")
		}
		failing = err != nil
	}
}

func (t *tree) close() {
	close(t.stop)
	<-t.done
}

// integrateAll integrates until no entry waits; grew says whether the tree
// grew.
func (t *tree) integrateAll(ctx context.Context) (grew bool, err error) {
	for {
		n, err := t.integrate(ctx)
		if err != nil || n < integrateMax {
			return grew || n > 0, err
		}
		grew = true
	}
}

// state is the tree's size, the id of its last entry, and its root.
type state struct {
	size, upto int64
	root       tlog.Hash
}

func readState(ctx context.Context, q querier, forUpdate bool) (state, error) {
	var s state
	var root []byte
	query := `SELECT size, upto, root FROM audit_tree WHERE id = 1`
	if forUpdate {
		query += ` FOR UPDATE`
	}
	if err := q.QueryRowContext(ctx, query).Scan(&s.size, &s.upto, &root); err != nil {
		return s, err
	}
	copy(s.root[:], root)
	return s, nil
}

type querier interface {
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
}

// integrate adds up to integrateMax new entries to the tree in one
// transaction and returns how many.
func (t *tree) integrate(ctx context.Context) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	var n int
	err := t.db.InTx(ctx, func(tx *sql.Tx) error {
		pg := t.db.Engine == db.Postgres
		if pg {
			// One integrator at a time across processes.
			if _, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock(6061706)`); err != nil {
				return err
			}
		}
		st, err := readState(ctx, tx, pg)
		if err != nil {
			return err
		}
		rows, err := tx.QueryContext(ctx, `SELECT id, at, `+leafSQL(t.db.Engine)+` FROM audit_log WHERE id > $1 ORDER BY id LIMIT $2`, st.upto, integrateMax)
		if err != nil {
			return err
		}
		var batch []leafRow
		for rows.Next() {
			var r leafRow
			if err := rows.Scan(&r.id, &r.at, &r.leaf); err != nil {
				rows.Close()
				return err
			}
			batch = append(batch, r)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		if pg {
			if batch, err = t.untilGap(ctx, tx, st.upto, batch); err != nil {
				return err
			}
		}
		if len(batch) == 0 {
			return nil
		}
		hr := newTileHashes(ctx, tx)
		ids := make([]int64, len(batch))
		for i := range batch {
			r := &batch[i]
			ids[i] = r.id
			leaf := st.size + int64(i)
			hs, err := tlog.StoredHashesForRecordHash(leaf, leafHash(r.leaf), hr)
			if err != nil {
				return err
			}
			base := tlog.StoredHashIndex(0, leaf)
			for k, h := range hs {
				hr.overlay[base+int64(k)] = h
			}
		}
		size := st.size + int64(len(batch))
		for _, tl := range tlog.NewTiles(tileHeight, st.size, size) {
			data, err := tlog.ReadTileData(tl, hr)
			if err != nil {
				return err
			}
			var first int64
			var idList []byte
			if tl.L == 0 {
				if first, idList, err = tileIDs(ctx, tx, tl, st.size, ids); err != nil {
					return err
				}
			}
			if _, err := tx.ExecContext(ctx, `INSERT INTO audit_tiles (level, idx, hashes, first_id, ids) VALUES ($1, $2, $3, $4, $5)
				ON CONFLICT (level, idx) DO UPDATE SET hashes = excluded.hashes, first_id = excluded.first_id, ids = excluded.ids`,
				tl.L, tl.N, data, first, idList); err != nil {
				return err
			}
		}
		root, err := tlog.TreeHash(size, hr)
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE audit_tree SET size = $1, upto = $2, root = $3 WHERE id = 1`, size, batch[len(batch)-1].id, root[:]); err != nil {
			return err
		}
		n = len(batch)
		return nil
	})
	return n, err
}

// untilGap returns the entries of batch up to the first missing id after
// upto that a running transaction may still commit (gapClosed).
func (t *tree) untilGap(ctx context.Context, tx *sql.Tx, upto int64, batch []leafRow) ([]leafRow, error) {
	next := upto + 1
	for i := range batch {
		if batch[i].id != next {
			closed, err := t.gapClosed(ctx, tx, next, &batch[i])
			if err != nil || !closed {
				return batch[:i], err
			}
		}
		next = batch[i].id + 1
	}
	return batch, nil
}

// gapClosed says whether id, missing before the entry after, will never be
// committed (a rolled-back transaction took it): it was first met at least
// gapWait ago and every transaction running then has ended, or the entry
// after it is older than any transaction lasts.
func (t *tree) gapClosed(ctx context.Context, tx *sql.Tx, id int64, after *leafRow) (bool, error) {
	if at, err := db.ParseTime(after.at); err == nil && time.Since(at) > gapOld {
		return true, nil
	}
	if t.gapID != id {
		t.gapID, t.gapSeen = id, time.Now()
		err := tx.QueryRowContext(ctx, `SELECT pg_snapshot_xmax(pg_current_snapshot())::text::bigint`).Scan(&t.gapXmax)
		return false, err
	}
	var xmin int64
	if err := tx.QueryRowContext(ctx, `SELECT pg_snapshot_xmin(pg_current_snapshot())::text::bigint`).Scan(&xmin); err != nil {
		return false, err
	}
	if xmin >= t.gapXmax && time.Since(t.gapSeen) >= gapWait {
		t.gapID = 0
		return true, nil
	}
	return false, nil
}

// gapWait and gapOld: see gapClosed.
var (
	gapWait = 2 * time.Second
	gapOld  = 10 * time.Minute
)

// tileHashes reads the tree's stored hashes from audit_tiles, and those of
// the integration under way from overlay (tlog.HashReader).
type tileHashes struct {
	ctx     context.Context
	q       querier
	overlay map[int64]tlog.Hash
	tiles   map[[2]int64][]byte // (level, idx) → hashes as stored
}

func newTileHashes(ctx context.Context, q querier) *tileHashes {
	return &tileHashes{ctx: ctx, q: q, overlay: map[int64]tlog.Hash{}, tiles: map[[2]int64][]byte{}}
}

// tile returns the hashes stored for tile (level, idx), nil if none.
func (r *tileHashes) tile(level int, idx int64) ([]byte, error) {
	k := [2]int64{int64(level), idx}
	if d, ok := r.tiles[k]; ok {
		return d, nil
	}
	var d []byte
	err := r.q.QueryRowContext(r.ctx, `SELECT hashes FROM audit_tiles WHERE level = $1 AND idx = $2`, level, idx).Scan(&d)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return nil, err
	}
	r.tiles[k] = d
	return d, nil
}

func (r *tileHashes) ReadHashes(indexes []int64) ([]tlog.Hash, error) {
	out := make([]tlog.Hash, len(indexes))
	for i, x := range indexes {
		if h, ok := r.overlay[x]; ok {
			out[i] = h
			continue
		}
		t := tlog.TileForIndex(tileHeight, x)
		data, err := r.tile(t.L, t.N)
		if err != nil {
			return nil, err
		}
		if len(data) < t.W*tlog.HashSize || len(data)%tlog.HashSize != 0 {
			return nil, fmt.Errorf("audit tree: tile %d/%d holds %d bytes, hash %d needs %d", t.L, t.N, len(data), x, t.W*tlog.HashSize)
		}
		t.W = len(data) / tlog.HashSize
		if out[i], err = tlog.HashFromTile(t, data, x); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// tileIDs returns the first entry id and the ids (encoded) of level-0 tile
// tl, whose leaves before size are already stored and the others are the
// batch's ids (from leaf size on).
func tileIDs(ctx context.Context, q querier, tl tlog.Tile, size int64, batch []int64) (int64, []byte, error) {
	lo := tl.N * tileWidth
	var ids []int64
	if lo < size {
		var first int64
		var enc []byte
		if err := q.QueryRowContext(ctx, `SELECT first_id, ids FROM audit_tiles WHERE level = 0 AND idx = $1`, tl.N).Scan(&first, &enc); err != nil {
			return 0, nil, fmt.Errorf("audit tree: tile 0/%d: %w", tl.N, err)
		}
		old, err := decodeIDs(first, enc)
		if err != nil {
			return 0, nil, err
		}
		ids = old[:size-lo]
	}
	from := max(lo, size) - size
	ids = append(ids, batch[from:lo+int64(tl.W)-size]...)
	return ids[0], encodeIDs(ids), nil
}

// encodeIDs encodes ascending ids as the uvarint differences after the
// first (one byte each while ids are consecutive).
func encodeIDs(ids []int64) []byte {
	b := make([]byte, 0, len(ids))
	for i := 1; i < len(ids); i++ {
		b = binary.AppendUvarint(b, uint64(ids[i]-ids[i-1]))
	}
	return b
}

func decodeIDs(first int64, b []byte) ([]int64, error) {
	ids := []int64{first}
	for len(b) > 0 {
		d, n := binary.Uvarint(b)
		if n <= 0 || d == 0 {
			return nil, errors.New("audit tree: a tile's entry ids are corrupt")
		}
		ids = append(ids, ids[len(ids)-1]+int64(d))
		b = b[n:]
	}
	return ids, nil
}

// Checkpoint is a signed statement of the tree's size and root hash, in the
// checkpoint format of transparency-dev (origin, size, base64 root) signed
// as a note (golang.org/x/mod/sumdb/note).
type Checkpoint struct {
	Size int64     `json:"size"`
	Root []byte    `json:"root"`
	At   time.Time `json:"at"`
	// Note is the signed checkpoint; empty when the log has no key
	// (served without a master key).
	Note string `json:"note,omitempty"`
}

func checkpointText(size int64, root tlog.Hash) string {
	return Origin + "\n" + strconv.FormatInt(size, 10) + "\n" + base64.StdEncoding.EncodeToString(root[:]) + "\n"
}

// parseCheckpoint reads the body of a checkpoint note.
func parseCheckpoint(text string) (size int64, root tlog.Hash, err error) {
	lines := strings.SplitN(text, "\n", 4)
	if len(lines) < 4 || lines[0] != Origin {
		return 0, root, errors.New("not a checkpoint of this log")
	}
	if size, err = strconv.ParseInt(lines[1], 10, 64); err != nil || size < 0 {
		return 0, root, errors.New("bad size in checkpoint")
	}
	b, err := base64.StdEncoding.DecodeString(lines[2])
	if err != nil || len(b) != tlog.HashSize {
		return 0, root, errors.New("bad root hash in checkpoint")
	}
	copy(root[:], b)
	return size, root, nil
}

// checkpoint stores a checkpoint of the tree as it is, signed if the log
// has a key, unless one of that size exists (or, unless force, the tree is
// empty). It returns the latest checkpoint.
func (t *tree) checkpoint(ctx context.Context, force bool) (Checkpoint, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	st, err := readState(ctx, t.db, false)
	if err != nil {
		return Checkpoint{}, err
	}
	cp := Checkpoint{Size: st.size, Root: st.root[:], At: time.Now().UTC()}
	if st.size == 0 && !force {
		return cp, nil
	}
	t.lastCheckpoint = time.Now()
	if last, err := latestCheckpoint(ctx, t.db); err == nil && last.Size == st.size && (last.Note != "" || t.signer == nil) {
		return last, nil // the tree has not grown since
	}
	if t.signer != nil {
		msg, err := note.Sign(&note.Note{Text: checkpointText(st.size, st.root)}, t.signer)
		if err != nil {
			return Checkpoint{}, err
		}
		cp.Note = string(msg)
	} else {
		// Without the key: a server without a master key stores its
		// checkpoints unsigned; a process of a log that has a key (a
		// command of the CLI beside the server) stores none, since its
		// checkpoint would stand for the tree at its size, and the proofs
		// given against it would not verify.
		var keyed bool
		if err := t.db.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM audit_signer)`).Scan(&keyed); err != nil {
			return Checkpoint{}, err
		}
		if keyed {
			return cp, nil
		}
	}
	// A signed checkpoint replaces an unsigned one of the same size (left
	// by an older binary's command).
	if _, err := t.db.ExecContext(ctx, `INSERT INTO audit_checkpoints (size, root, note, at) VALUES ($1, $2, $3, $4)
		ON CONFLICT (size) DO UPDATE SET note = excluded.note WHERE audit_checkpoints.note = '' AND excluded.note <> ''`,
		cp.Size, cp.Root, cp.Note, db.FormatTime(cp.At)); err != nil {
		return Checkpoint{}, err
	}
	return latestCheckpoint(ctx, t.db)
}

// signing reports whether this process signs the log's checkpoints.
func (t *tree) signing() bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.signer != nil
}

func latestCheckpoint(ctx context.Context, q querier) (Checkpoint, error) {
	var cp Checkpoint
	err := q.QueryRowContext(ctx, `SELECT size, root, note, at FROM audit_checkpoints ORDER BY size DESC LIMIT 1`).
		Scan(&cp.Size, &cp.Root, &cp.Note, db.Time{T: &cp.At})
	return cp, err
}

// SignCheckpoints gives the log its checkpoint key: made on the first call
// and kept in audit_signer, sealed by sealer. It returns the verifier key
// to publish (note format: populus-audit+hash+key).
func (l *Log) SignCheckpoints(ctx context.Context, sealer Sealer) (string, error) {
	t := l.tree
	var verifier, sealed string
	err := t.db.QueryRowContext(ctx, `SELECT verifier, sealed FROM audit_signer WHERE id = 1`).Scan(&verifier, &sealed)
	if errors.Is(err, sql.ErrNoRows) {
		skey, vkey, err := note.GenerateKey(rand.Reader, Origin)
		if err != nil {
			return "", err
		}
		if sealed, err = sealer.Seal(signerPurpose, []byte(skey), []byte(vkey)); err != nil {
			return "", err
		}
		if _, err := t.db.ExecContext(ctx, `INSERT INTO audit_signer (id, verifier, sealed) VALUES (1, $1, $2) ON CONFLICT (id) DO NOTHING`, vkey, sealed); err != nil {
			return "", err
		}
		return l.SignCheckpoints(ctx, sealer) // the row stored, ours or a concurrent start's
	}
	if err != nil {
		return "", err
	}
	skey, err := sealer.Open(signerPurpose, sealed, []byte(verifier))
	if err != nil {
		return "", fmt.Errorf("audit checkpoint key: %w (is this the master key it was sealed with?)", err)
	}
	signer, err := note.NewSigner(string(skey))
	if err != nil {
		return "", err
	}
	t.mu.Lock()
	t.signer, t.verifier = signer, verifier
	t.mu.Unlock()
	return verifier, nil
}

const signerPurpose = "audit-checkpoint-key"
