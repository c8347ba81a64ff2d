-- SQLite only. PostgreSQL keeps audit_log_subject, maintained row by row:
-- its buffer manager absorbs the random index pages, and concurrent
-- transactions commit entry ids out of order, so a batch index that trusts
-- "every id up to N is committed" would miss entries there.
-- The audit log's entries by subject ("who read this person's record") are
-- indexed in batches instead of row by row. Each read of a person appends an
-- entry; kept up to date row by row, the (subject, at) index put every entry
-- on a random page of a large B-tree, so every group commit wrote one page
-- per entry to the write-ahead log (a third of a read's CPU on a register of
-- a million people). Entries are now appended only to audit_log; the audit
-- writer adds them to audit_subjects in batches sorted by subject (see
-- internal/audit), and audit_index_state.indexed_upto is the last entry id
-- so indexed. A look-up by subject reads audit_subjects up to that id and
-- scans the few entries after it.
DROP INDEX audit_log_subject;
CREATE TABLE audit_subjects (
    subject   TEXT NOT NULL,
    entry_id  INTEGER NOT NULL,
    PRIMARY KEY (subject, entry_id)
) WITHOUT ROWID;
CREATE TABLE audit_index_state (
    id            INTEGER PRIMARY KEY CHECK (id = 1),
    indexed_upto  INTEGER NOT NULL
);
INSERT INTO audit_subjects (subject, entry_id)
    SELECT subject, id FROM audit_log WHERE subject <> '' ORDER BY subject, id;
INSERT INTO audit_index_state (id, indexed_upto) VALUES (1, COALESCE((SELECT max(id) FROM audit_log), 0));
CREATE TRIGGER audit_subjects_no_update BEFORE UPDATE ON audit_subjects
BEGIN SELECT RAISE(ABORT, 'audit_subjects is append-only'); END;
CREATE TRIGGER audit_subjects_no_delete BEFORE DELETE ON audit_subjects
BEGIN SELECT RAISE(ABORT, 'audit_subjects is append-only'); END;
