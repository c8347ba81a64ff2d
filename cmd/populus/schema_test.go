package main

import (
	"context"
	"database/sql"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/populus-vn/populus/internal/db"
	"github.com/populus-vn/populus/internal/db/dbtest"
)

// engines are the engines to test on: SQLite, and PostgreSQL when
// POPULUS_TEST_POSTGRES is set.
func engines(t *testing.T) []db.Engine {
	if os.Getenv(dbtest.EnvPostgres) == "" {
		t.Logf("PostgreSQL variant skipped: set %s=postgres://… to run it", dbtest.EnvPostgres)
		return []db.Engine{db.SQLite}
	}
	return []db.Engine{db.SQLite, db.Postgres}
}

// migrateLegacy migrates d as releases before per-capability migrations
// did, up to version upto of their single numbering, with their files
// (frozen in testdata/legacy-migrations).
func migrateLegacy(t *testing.T, d *db.DB, upto int) {
	t.Helper()
	ctx := context.Background()
	if _, err := d.Exec(`CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)`); err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join("testdata", "legacy-migrations", string(d.Engine))
	files, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		v, _ := strconv.Atoi(f.Name()[:4])
		if v > upto {
			break
		}
		b, err := os.ReadFile(filepath.Join(dir, f.Name()))
		if err != nil {
			t.Fatal(err)
		}
		err = d.InTx(ctx, func(tx *sql.Tx) error {
			if _, err := tx.Exec(string(b)); err != nil {
				return err
			}
			_, err := tx.Exec(`INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, '2025-07-01T00:00:00.000000Z')`,
				v, strings.TrimSuffix(f.Name(), ".sql"))
			return err
		})
		if err != nil {
			t.Fatalf("legacy migration %s: %v", f.Name(), err)
		}
	}
}

// A store migrated by a release of the single numbering, fully or in part,
// is taken over: what was applied is recorded under its capability with its
// time, nothing is applied again, what was not is applied, and the schema is
// that of a store migrated afresh.
func TestUpgradeFromSingleNumbering(t *testing.T) {
	ctx := context.Background()
	for _, e := range engines(t) {
		migrated := dbtest.SQLite
		if e == db.Postgres {
			migrated = dbtest.Postgres
		}
		fresh := dbtest.Describe(t, migrated(t, schemas...))
		for _, tc := range []struct {
			upto int
			want map[db.Engine][]string // applied by the upgrade
		}{
			{9, map[db.Engine][]string{db.SQLite: {"audit/0005_audit_journal", "audit/0006_audit_context", "audit/0007_audit_tree", "audit/0008_audit_salt", "staff/0002_signin_throttle", "staff/0003_password_change"}, db.Postgres: {"audit/0006_audit_context", "audit/0007_audit_tree", "audit/0008_audit_salt", "staff/0002_signin_throttle", "staff/0003_password_change"}}},
			{6, map[db.Engine][]string{
				db.SQLite:   {"audit/0003_audit_file", "audit/0004_audit_index_runs", "audit/0005_audit_journal", "audit/0006_audit_context", "audit/0007_audit_tree", "audit/0008_audit_salt", "staff/0002_signin_throttle", "staff/0003_password_change", "register/0003_persons_keyed_by_pin"},
				db.Postgres: {"audit/0006_audit_context", "audit/0007_audit_tree", "audit/0008_audit_salt", "staff/0002_signin_throttle", "staff/0003_password_change"},
			}},
			{4, map[db.Engine][]string{
				db.SQLite:   {"audit/0002_audit_subject_index", "audit/0003_audit_file", "audit/0004_audit_index_runs", "audit/0005_audit_journal", "audit/0006_audit_context", "audit/0007_audit_tree", "audit/0008_audit_salt", "staff/0002_signin_throttle", "staff/0003_password_change", "register/0002_person_birth_name", "register/0003_persons_keyed_by_pin"},
				db.Postgres: {"audit/0006_audit_context", "audit/0007_audit_tree", "audit/0008_audit_salt", "staff/0002_signin_throttle", "staff/0003_password_change", "register/0002_person_birth_name"},
			}},
		} {
			t.Run(string(e)+"/"+strconv.Itoa(tc.upto), func(t *testing.T) {
				d := dbtest.Fresh(t, e)
				migrateLegacy(t, d, tc.upto)
				if _, err := d.Exec(`INSERT INTO audit_log (at, actor, action, subject, outcome) VALUES ('2025-07-02T00:00:00.000000Z', 'staff:a', 'person.read', '001090000001', 'ok')`); err != nil {
					t.Fatal(err)
				}
				applied, err := d.Migrate(ctx, schemas...)
				if err != nil {
					t.Fatal(err)
				}
				var got []string
				for _, m := range applied {
					got = append(got, m.String())
				}
				// Migrations added since the single numbering are applied
				// by every upgrade, after those: the register's newer ones,
				// then those of capabilities added since.
				want := append(slices.Clone(tc.want[e]), "register/0004_event_details", "register/0005_person_names", "reconcile/0002_reconcile_reviews",
					"secmon/0001_security_events", "identity/0001_accounts", "identity/0002_totp", "identity/0003_factors", "identity/0004_places", "identity/0005_totp_pending", "oidc/0001_provider", "oidc/0002_amr", "oidc/0003_client_versions", "oidc/0004_token_epoch", "oidc/0005_client_assertions", "events/0001_events", "events/0002_dispatch_lease", "events/0003_ended",
					"consent/0001_consent", "consent/0002_consent_use_keys", "consent/0003_consent_ended_by", "consent/0004_consent_epoch", "usage/0001_covert", "exchange/0001_exchange", "exchange/0002_evidence", "exchange/0003_token_epoch", "exchange/0004_certificate_key")
				if !slices.Equal(got, want) {
					t.Errorf("the upgrade applied %q, want %q", got, want)
				}
				if again, err := d.Migrate(ctx, schemas...); err != nil || len(again) != 0 {
					t.Errorf("a second Migrate applied %v (%v)", again, err)
				}
				var n, legacy int
				d.QueryRow(`SELECT count(*) FROM audit_log`).Scan(&n)
				d.QueryRow(`SELECT count(*) FROM schema_migrations WHERE source = 'legacy' AND applied_at = '2025-07-01T00:00:00.000000Z'`).Scan(&legacy)
				if n != 1 || legacy != tc.upto {
					t.Errorf("%d audit entries and %d legacy rows kept, want 1 and %d", n, legacy, tc.upto)
				}
				// register/0001 was applied by the old release, at its time.
				var at string
				if err := d.QueryRow(`SELECT applied_at FROM schema_migrations WHERE source = 'register' AND version = 1`).Scan(&at); err != nil || at != "2025-07-01T00:00:00.000000Z" {
					t.Errorf("register/0001 recorded as applied at %q (%v)", at, err)
				}
				if p := dbtest.Parity("fresh", fresh, "upgraded", dbtest.Describe(t, d), nil); len(p) > 0 {
					t.Errorf("the upgraded schema differs from a fresh one:\n%s", strings.Join(p, "\n"))
				}
			})
		}
	}
}

// engineDifferences are the differences between the engines' schemas that
// are meant; TestSchemaParity fails on any other, and on any of these that
// no longer holds.
var engineDifferences = []dbtest.Declared{
	{Diff: "column persons.pin: type integer on sqlite, text on postgres",
		Reason: "SQLite keys persons by the PIN as an integer, the table's own B-tree (register migration 0003); PostgreSQL's text key's index already points at the heap tuple"},
	{Diff: `table audit_log: in schema "audit" on sqlite, "" on postgres`,
		Reason: "on SQLite the audit log lives in its own attached file, populus-audit.db (audit.File), so that its commits do not empty the register readers' page caches"},
	{Diff: `table audit_tree: in schema "audit" on sqlite, "" on postgres`, Reason: "the audit log's Merkle tree lives with the log in its own file on SQLite"},
	{Diff: `table audit_tiles: in schema "audit" on sqlite, "" on postgres`, Reason: "the audit log's Merkle tree lives with the log in its own file on SQLite"},
	{Diff: `table audit_checkpoints: in schema "audit" on sqlite, "" on postgres`, Reason: "the audit log's Merkle tree lives with the log in its own file on SQLite"},
	{Diff: `table audit_signer: in schema "audit" on sqlite, "" on postgres`, Reason: "the audit log's Merkle tree lives with the log in its own file on SQLite"},
	{Diff: "index audit_log.audit_log_subject: only on postgres",
		Reason: "SQLite indexes the audit log by subject in sorted runs (audit_postings, audit migrations 0002 and 0004); PostgreSQL keeps the row-by-row index"},
	{Diff: "table audit_index_state: only on sqlite",
		Reason: "the SQLite subject index's state: the last entry indexed (audit migration 0002)"},
	{Diff: "table audit_journal: only on sqlite",
		Reason: "how far the SQLite audit journal is imported into audit_log (audit migration 0005); PostgreSQL commits each group to audit_log"},
	{Diff: "table audit_merges: only on sqlite",
		Reason: "the SQLite subject index's merges under way (audit migration 0004)"},
	{Diff: "table audit_postings: only on sqlite",
		Reason: "the SQLite subject index's postings (audit migration 0004)"},
	{Diff: "table audit_runs: only on sqlite",
		Reason: "the SQLite subject index's runs (audit migration 0004)"},
}

// The SQLite full-text index of names (register migration 0005): the
// virtual table and its shadow tables; PostgreSQL indexes the words of
// names with GIN (persons_name_words).
func init() {
	const why = "SQLite searches names by word through an FTS5 index (register migration 0005); PostgreSQL through a GIN index of the words, persons_name_words"
	for _, t := range []string{"persons_names", "persons_names_config", "persons_names_data", "persons_names_docsize", "persons_names_idx"} {
		engineDifferences = append(engineDifferences, dbtest.Declared{Diff: "table " + t + ": only on sqlite", Reason: why})
	}
}

// TestSchemaParity: both engines, migrated with every capability, have the
// same tables, columns (types compared loosely) and indexes, but for
// engineDifferences.
func TestSchemaParity(t *testing.T) {
	sqlite := dbtest.Describe(t, dbtest.SQLite(t, schemas...))
	if len(sqlite["persons"].Columns) == 0 || len(sqlite["audit_log"].Columns) == 0 {
		t.Fatalf("the SQLite catalog lacks persons or audit_log: %v", sqlite)
	}
	if os.Getenv(dbtest.EnvPostgres) == "" {
		t.Skipf("PostgreSQL not set: set %s=postgres://… to compare the engines", dbtest.EnvPostgres)
	}
	pg := dbtest.Describe(t, dbtest.Postgres(t, schemas...))
	if p := dbtest.Parity("sqlite", sqlite, "postgres", pg, engineDifferences); len(p) > 0 {
		t.Errorf("the engines' schemas differ:\n%s", strings.Join(p, "\n"))
	}
}
