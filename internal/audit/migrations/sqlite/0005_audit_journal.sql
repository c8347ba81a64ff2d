-- SQLite only. PostgreSQL commits each group of entries to audit_log itself.
-- On SQLite an entry is acknowledged once it is in the journal file beside
-- the audit file (populus-audit.journal; see internal/audit, journal.go),
-- and imported into audit_log in batches. audit_journal records how far:
-- the journal of generation gen (its header) is imported up to the byte
-- offset imported, updated in the same transaction as each batch inserted,
-- so that a restart imports exactly the records after it.
CREATE TABLE audit.audit_journal (
    id        INTEGER PRIMARY KEY CHECK (id = 1),
    gen       INTEGER NOT NULL,
    imported  INTEGER NOT NULL
);
INSERT INTO audit.audit_journal (id, gen, imported) VALUES (1, 0, 0);
