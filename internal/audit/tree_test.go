package audit

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/transparency-dev/merkle/rfc6962"

	"github.com/populus-vn/populus/internal/db"
	"github.com/populus-vn/populus/internal/db/dbtest"
)

// plainSealer stands in for the master key (internal/oidc), which this
// package cannot import in its tests: it only encodes.
type plainSealer struct{}

func (plainSealer) Seal(purpose string, b, ad []byte) (string, error) {
	return purpose + ":" + base64.StdEncoding.EncodeToString(b), nil
}

func (plainSealer) Open(purpose, s string, ad []byte) ([]byte, error) {
	rest, ok := strings.CutPrefix(s, purpose+":")
	if !ok {
		return nil, errors.New("sealed for another purpose")
	}
	return base64.StdEncoding.DecodeString(rest)
}

// settle waits until every entry recorded is in the tree, and signs a
// checkpoint.
func settle(t *testing.T, l *Log) {
	t.Helper()
	ctx := context.Background()
	l.Sync(ctx, 5*time.Second)
	if _, err := l.tree.integrateAll(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := l.tree.checkpoint(ctx, false); err != nil {
		t.Fatal(err)
	}
}

func recordN(t *testing.T, l *Log, n int, tag string) {
	t.Helper()
	var es []Entry
	for i := range n {
		es = append(es, OfActor("member:VN/COM/BANK/EKYC", "exchange.person.read", fmt.Sprintf("0010900%05d", i%97)).
			For("KYC", "consent", "c-1").Disclosing("full_name", "birth_date").With(tag))
	}
	if err := l.Record(context.Background(), es...); err != nil {
		t.Fatal(err)
	}
}

// Every entry, across tile boundaries and several checkpoints, has a proof
// that a second implementation accepts against a signed checkpoint, and
// the whole log verifies.
func TestTreeProvesEveryEntry(t *testing.T) {
	dbtest.Engines(t, testSchemas, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		l := New(d)
		defer l.Close()
		vkey, err := l.SignCheckpoints(ctx, plainSealer{})
		if err != nil {
			t.Fatal(err)
		}
		total := 0
		for _, n := range []int{1, 255, 1, 300, 70_000 - 557} {
			recordN(t, l, n, "batch")
			total += n
			settle(t, l)
		}
		rep, err := Verify(ctx, d, vkey)
		if err != nil {
			t.Fatal(err)
		}
		if rep.Entries != int64(total) || rep.Pending != 0 || rep.Checkpoints != 5 {
			t.Fatalf("verified %+v, want %d entries in 5 checkpoints", rep, total)
		}
		var ids []int64
		rows, err := d.QueryContext(ctx, `SELECT id FROM audit_log ORDER BY id`)
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
			var id int64
			rows.Scan(&id)
			ids = append(ids, id)
		}
		rows.Close()
		for _, i := range []int{0, 1, 255, 256, 257, 556, 557, 65535, 65536, total - 1} {
			p, err := l.Prove(ctx, ids[i])
			if err != nil {
				t.Fatalf("entry %d: %v", ids[i], err)
			}
			if err := VerifyProof(p, vkey); err != nil {
				t.Fatalf("entry %d (leaf %d): %v", ids[i], p.Leaf, err)
			}
			// A proof for another entry's leaf, or a changed hash, fails.
			q := p
			q.Entry++
			if VerifyProof(q, vkey) == nil {
				t.Errorf("entry %d: a proof relabelled for another entry was accepted", ids[i])
			}
			if len(p.Hashes) > 0 {
				q = p
				q.Hashes = append([][]byte(nil), p.Hashes...)
				q.Hashes[0] = make([]byte, 32)
				if VerifyProof(q, vkey) == nil {
					t.Errorf("entry %d: a proof with a changed hash was accepted", ids[i])
				}
			}
		}
		// An entry recorded after the last checkpoint is proved at once.
		recordN(t, l, 1, "late")
		l.Sync(ctx, 5*time.Second) // imported from the journal, not yet in the tree
		var late int64
		d.QueryRowContext(ctx, `SELECT max(id) FROM audit_log`).Scan(&late)
		p, err := l.Prove(ctx, late)
		if err != nil {
			t.Fatal(err)
		}
		if err := VerifyProof(p, vkey); err != nil || p.TreeSize != int64(total+1) {
			t.Fatalf("late entry: %v (tree of %d)", err, p.TreeSize)
		}
		if _, err := l.Prove(ctx, late+1000); !errors.Is(err, ErrNotInTree) {
			t.Errorf("an entry that does not exist: %v", err)
		}
	})
}

// Tampering with any stored entry, tile or checkpoint makes Verify fail
// and name the first bad entry.
func TestVerifyFindsTampering(t *testing.T) {
	type tamper struct {
		name  string
		sql   string // $1: the 300th entry's id
		entry int64  // offset from the first id of the entry named; -1: none
		what  string
	}
	cases := []tamper{
		{"altered detail", `UPDATE audit_log SET detail = 'nothing to see' WHERE id = $1`, 299, "altered"},
		{"altered purpose", `UPDATE audit_log SET purpose = 'CIVIL' WHERE id = $1`, 299, "altered"},
		{"altered actor", `UPDATE audit_log SET actor = 'staff:someone' WHERE id = $1`, 299, "altered"},
		{"deleted", `DELETE FROM audit_log WHERE id = $1`, 299, "deleted"},
		{"a leaf hash", `UPDATE audit_tiles SET hashes = $2 WHERE level = 0 AND idx = 1`, -1, "altered"},
		{"a higher tile", `UPDATE audit_tiles SET hashes = $2 WHERE level = 1 AND idx = 0`, -1, "does not match the tiles below"},
		{"the root", `UPDATE audit_tree SET root = $2`, -1, "root hash does not match"},
		{"a checkpoint's root", `UPDATE audit_checkpoints SET root = $2 WHERE size = (SELECT min(size) FROM audit_checkpoints)`, -1, "checkpoint of 300 entries"},
		{"a checkpoint's note", `UPDATE audit_checkpoints SET note = replace(note, 'populus-audit', 'populus-audix') WHERE size = (SELECT min(size) FROM audit_checkpoints)`, -1, "checkpoint of 300 entries"},
	}
	for _, engine := range []string{"sqlite", "postgres"} {
		for _, tc := range cases {
			t.Run(engine+"/"+tc.name, func(t *testing.T) {
				var d *db.DB
				if engine == "sqlite" {
					d = dbtest.SQLite(t, testSchemas...)
				} else {
					d = dbtest.Postgres(t, testSchemas...)
				}
				ctx := context.Background()
				l := New(d)
				vkey, err := l.SignCheckpoints(ctx, plainSealer{})
				if err != nil {
					t.Fatal(err)
				}
				recordN(t, l, 300, "a")
				settle(t, l)
				recordN(t, l, 300, "b")
				settle(t, l)
				l.Close()
				if _, err := Verify(ctx, d, vkey); err != nil {
					t.Fatalf("before tampering: %v", err)
				}
				var first int64
				d.QueryRowContext(ctx, `SELECT min(id) FROM audit_log`).Scan(&first)
				if d.Engine == db.SQLite {
					d.ExecContext(ctx, `DROP TRIGGER audit.audit_log_no_update`)
					d.ExecContext(ctx, `DROP TRIGGER audit.audit_log_no_delete`)
				} else {
					d.ExecContext(ctx, `ALTER TABLE audit_log DISABLE TRIGGER audit_log_no_change`)
				}
				var args []any
				switch {
				case strings.Contains(tc.sql, "$1"):
					args = []any{first + 299}
				case strings.Contains(tc.sql, "$2"):
					args = []any{make([]byte, 32*256)}
					tc.sql = strings.ReplaceAll(tc.sql, "$2", "$1")
				}
				res, err := d.ExecContext(ctx, tc.sql, args...)
				if err != nil {
					t.Fatal(err)
				}
				if n, _ := res.RowsAffected(); n != 1 {
					t.Fatalf("tampering changed %d rows", n)
				}
				_, err = Verify(ctx, d, vkey)
				var tm *Tampered
				if !errors.As(err, &tm) {
					t.Fatalf("Verify after tampering with %s: %v, want *Tampered", tc.name, err)
				}
				if tc.entry >= 0 && tm.Entry != first+tc.entry {
					t.Errorf("named entry %d, want %d (%v)", tm.Entry, first+tc.entry, err)
				}
				if !strings.Contains(err.Error(), tc.what) {
					t.Errorf("%v: want it to say %q", err, tc.what)
				}
			})
		}
	}
}

// An entry slipped in among integrated ones is found.
func TestVerifyFindsInsertedEntry(t *testing.T) {
	dbtest.Engines(t, testSchemas, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		l := New(d)
		recordN(t, l, 10, "a")
		settle(t, l)
		l.Close()
		var first int64
		d.QueryRowContext(ctx, `SELECT min(id) FROM audit_log`).Scan(&first)
		if d.Engine == db.SQLite {
			d.ExecContext(ctx, `DROP TRIGGER audit.audit_log_no_delete`)
		} else {
			d.ExecContext(ctx, `ALTER TABLE audit_log DISABLE TRIGGER audit_log_no_change`)
		}
		// Entry first+4 is replaced by a new row with a later id, and
		// one is inserted under first+4's id again... simplest: delete
		// it and insert a forged row with its id.
		if _, err := d.ExecContext(ctx, `DELETE FROM audit_log WHERE id = $1`, first+4); err != nil {
			t.Fatal(err)
		}
		insert := `INSERT INTO audit_log (id, at, actor, action, subject, outcome) VALUES ($1, '2026-01-01T00:00:00.000000Z', 'staff:x', 'person.read', '001090000001', 'ok')`
		if d.Engine == db.Postgres {
			insert = strings.Replace(insert, "VALUES", "OVERRIDING SYSTEM VALUE VALUES", 1)
		}
		if _, err := d.ExecContext(ctx, insert, first+4); err != nil {
			t.Fatal(err)
		}
		_, err := Verify(ctx, d, "")
		var tm *Tampered
		if !errors.As(err, &tm) || tm.Entry != first+4 || !strings.Contains(err.Error(), "altered") {
			t.Fatalf("Verify: %v, want entry %d altered", err, first+4)
		}
	})
}

// On PostgreSQL an entry id taken by a transaction still running is
// waited for, and one rolled back is passed once no transaction that may
// hold it is running.
func TestTreeWaitsForEntriesCommittedOutOfOrder(t *testing.T) {
	d := dbtest.Postgres(t, testSchemas...)
	ctx := context.Background()
	defer func(w time.Duration) { gapWait = w }(gapWait)
	gapWait = 0
	l := New(d)
	defer l.Close()
	recordN(t, l, 3, "a")
	insert := `INSERT INTO audit_log (at, actor, action, subject, outcome) VALUES ('2026-12-01T00:00:00.000000Z', 'staff:x', 'person.read', '001090000001', 'ok')`
	slow, err := d.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := slow.ExecContext(ctx, insert); err != nil {
		t.Fatal(err)
	}
	rolled, err := d.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := rolled.ExecContext(ctx, insert); err != nil {
		t.Fatal(err)
	}
	rolled.Rollback()
	recordN(t, l, 3, "b")
	size := func() int64 {
		t.Helper()
		if _, err := l.tree.integrateAll(ctx); err != nil {
			t.Fatal(err)
		}
		st, err := readState(ctx, d, false)
		if err != nil {
			t.Fatal(err)
		}
		return st.size
	}
	for range 3 {
		if n := size(); n != 3 {
			t.Fatalf("with entry 4 uncommitted the tree holds %d entries, want 3", n)
		}
	}
	if err := slow.Commit(); err != nil {
		t.Fatal(err)
	}
	size() // meets the rolled-back id's gap
	if n := size(); n != 7 {
		t.Fatalf("after the commit the tree holds %d entries, want 7", n)
	}
	if _, err := l.tree.checkpoint(ctx, false); err != nil {
		t.Fatal(err)
	}
	if rep, err := Verify(ctx, d, ""); err != nil || rep.Entries != 7 {
		t.Fatalf("Verify: %+v %v", rep, err)
	}
}

// Checkpoints made before the log had a key (a server run without a master
// key) are checked against the entries and counted as unsigned; the signed
// ones after them are checked with the key.
func TestVerifyCountsUnsignedCheckpoints(t *testing.T) {
	ctx := context.Background()
	d := dbtest.SQLite(t, testSchemas...)
	l := New(d)
	recordN(t, l, 10, "a")
	settle(t, l)
	vkey, err := l.SignCheckpoints(ctx, plainSealer{})
	if err != nil {
		t.Fatal(err)
	}
	recordN(t, l, 10, "b")
	settle(t, l)
	l.Close()
	rep, err := Verify(ctx, d, vkey)
	if err != nil || rep.Checkpoints != 2 || rep.Unsigned != 1 || rep.Entries != 20 {
		t.Fatalf("Verify: %+v, %v; want 2 checkpoints, 1 unsigned", rep, err)
	}
}

// A process without the checkpoint key (a command of the CLI run beside
// the server) adds its entries to the tree but stores no checkpoint: an
// unsigned one would stand for the tree at its size, and the server's
// proofs against it would not verify. One left by an older binary is
// signed over when the server proves against it.
func TestKeylessProcessStoresNoCheckpoint(t *testing.T) {
	dbtest.Engines(t, testSchemas, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		server := New(d)
		defer server.Close()
		vkey, err := server.SignCheckpoints(ctx, plainSealer{})
		if err != nil {
			t.Fatal(err)
		}
		recordN(t, server, 5, "server")
		settle(t, server)
		cli := New(d)
		recordN(t, cli, 3, "cli")
		cli.Sync(ctx, 5*time.Second)
		if _, err := cli.tree.integrateAll(ctx); err != nil {
			t.Fatal(err)
		}
		cli.Close() // integrates and checkpoints as it stops
		var unsigned int
		d.QueryRow(`SELECT count(*) FROM audit_checkpoints WHERE note = ''`).Scan(&unsigned)
		if unsigned != 0 {
			t.Fatalf("%d unsigned checkpoints stored by the keyless process", unsigned)
		}
		var last int64
		d.QueryRow(`SELECT max(id) FROM audit_log`).Scan(&last)
		p, err := server.Prove(ctx, last)
		if err != nil {
			t.Fatal(err)
		}
		if err := VerifyProof(p, vkey); err != nil {
			t.Errorf("the proof of the command's entry: %v", err)
		}
		// An unsigned checkpoint of the tree's size, as an older binary's
		// command left it: the next proof signs it.
		recordN(t, server, 2, "more")
		server.Sync(ctx, 5*time.Second)
		if _, err := server.tree.integrateAll(ctx); err != nil {
			t.Fatal(err)
		}
		st, err := readState(ctx, d, false)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := d.Exec(`INSERT INTO audit_checkpoints (size, root, note, at) VALUES ($1, $2, '', $3)`, st.size, st.root[:], db.FormatTime(time.Now())); err != nil {
			t.Fatal(err)
		}
		d.QueryRow(`SELECT max(id) FROM audit_log`).Scan(&last)
		if p, err = server.Prove(ctx, last); err != nil {
			t.Fatal(err)
		}
		if err := VerifyProof(p, vkey); err != nil {
			t.Errorf("a proof against an unsigned checkpoint left by an older binary: %v", err)
		}
		if rep, err := Verify(ctx, d, vkey); err != nil || rep.Unsigned != 0 {
			t.Errorf("Verify: %+v %v", rep, err)
		}
	})
}

// A redacted proof cannot be tested against guesses of what it hides: a
// person shown an entry's id, time, action and outcome, and its leaf's
// hash, who tries every officer and address of a small candidate set, finds
// none whose leaf has that hash, nor for the neighbouring entry whose leaf
// the path holds; an entry's leaf holds a random salt they are never
// shown (with it, the true columns give the hash: the guess was right).
func TestRedactedProofResistsGuesses(t *testing.T) {
	dbtest.Engines(t, testSchemas, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		l := New(d)
		defer l.Close()
		if _, err := l.SignCheckpoints(ctx, plainSealer{}); err != nil {
			t.Fatal(err)
		}
		for _, e := range []Entry{
			{Actor: "staff:police.badinh", Action: "person.read", Subject: "001051699127", Outcome: OK, Remote: "10.0.0.7"},
			{Actor: "staff:registrar.badinh", Action: "person.read", Subject: "001040999957", Outcome: OK, Remote: "10.0.0.9"},
		} {
			if err := l.Record(ctx, e); err != nil {
				t.Fatal(err)
			}
		}
		settle(t, l)
		var rows []storedRow
		q, err := d.QueryContext(ctx, `SELECT `+rowCols+` FROM audit_log ORDER BY id`)
		if err != nil {
			t.Fatal(err)
		}
		for q.Next() {
			var r storedRow
			if err := scanRow(q, &r); err != nil {
				t.Fatal(err)
			}
			rows = append(rows, r)
		}
		q.Close()
		if len(rows) != 2 || rows[0].salt == "" || rows[1].salt == "" || rows[0].salt == rows[1].salt || len(rows[0].salt) != 2*saltSize {
			t.Fatalf("salts: %+v", rows)
		}
		p, err := l.Prove(ctx, rows[1].id)
		if err != nil {
			t.Fatal(err)
		}
		shown := p.Redacted()
		if shown.LeafData != nil || len(shown.Hashes) != 1 {
			t.Fatalf("redacted proof %+v", shown)
		}
		targets := map[string][]byte{"the person's entry": shown.LeafHash, "its neighbour's": shown.Hashes[0]}
		for i, r := range rows {
			if got := rfc6962.DefaultHasher.HashLeaf(leafData(&r)); !bytes.Equal(got, targets[[]string{"its neighbour's", "the person's entry"}[i]]) {
				t.Fatalf("entry %d's leaf with its salt does not give the proof's hash", r.id)
			}
			for _, actor := range []string{"staff:registrar.badinh", "staff:police.badinh", "staff:admin"} {
				for _, remote := range []string{"10.0.0.7", "10.0.0.9", "127.0.0.1"} {
					guess := r
					guess.actor, guess.remote, guess.salt = actor, remote, ""
					h := rfc6962.DefaultHasher.HashLeaf(leafData(&guess))
					for what, target := range targets {
						if bytes.Equal(h, target) {
							t.Errorf("%s found by guessing %s from %s", what, actor, remote)
						}
					}
				}
			}
		}
	})
}
