-- The audit log moves to a file of its own, attached to every connection as
-- the schema "audit" (populus-audit.db beside populus.db; see db.AuditSchema
-- for why, and for what a transaction over both files guarantees). Queries
-- name the tables without the schema. Back up both files together.
CREATE TABLE audit.audit_log (
    id          INTEGER PRIMARY KEY,
    at          TEXT NOT NULL,
    actor       TEXT NOT NULL,
    action      TEXT NOT NULL,
    subject     TEXT NOT NULL DEFAULT '',
    outcome     TEXT NOT NULL,
    detail      TEXT NOT NULL DEFAULT '',
    remote      TEXT NOT NULL DEFAULT ''
);
CREATE TABLE audit.audit_subjects (
    subject   TEXT NOT NULL,
    entry_id  INTEGER NOT NULL,
    PRIMARY KEY (subject, entry_id)
) WITHOUT ROWID;
CREATE TABLE audit.audit_index_state (
    id            INTEGER PRIMARY KEY CHECK (id = 1),
    indexed_upto  INTEGER NOT NULL
);
INSERT INTO audit.audit_log SELECT * FROM main.audit_log ORDER BY id;
INSERT INTO audit.audit_subjects SELECT * FROM main.audit_subjects ORDER BY subject, entry_id;
INSERT INTO audit.audit_index_state SELECT * FROM main.audit_index_state;
-- Dropping a table deletes its rows without firing its triggers.
DROP TABLE main.audit_log;
DROP TABLE main.audit_subjects;
DROP TABLE main.audit_index_state;
CREATE TRIGGER audit.audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;
CREATE TRIGGER audit.audit_log_no_delete BEFORE DELETE ON audit_log
BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;
CREATE TRIGGER audit.audit_subjects_no_update BEFORE UPDATE ON audit_subjects
BEGIN SELECT RAISE(ABORT, 'audit_subjects is append-only'); END;
CREATE TRIGGER audit.audit_subjects_no_delete BEFORE DELETE ON audit_subjects
BEGIN SELECT RAISE(ABORT, 'audit_subjects is append-only'); END;
