-- SQLite only. PostgreSQL keeps audit_log_subject, maintained row by row.
-- The audit log's subject index becomes log-structured (see internal/audit,
-- runs.go). A batch added to one large audit_subjects B-tree wrote about one
-- random page per entry once that tree had more leaf pages than a batch had
-- entries, so its cost grew with the size of the log. Each batch is now a
-- run of its own: audit_postings is keyed by (run, subject, entry_id) and a
-- new run has a number larger than every existing one, so its postings are
-- appended at the right edge of the B-tree, page after page. audit_runs
-- lists the runs that make up the index, each covering the contiguous entry
-- ids lo_id..hi_id; runs of a higher level hold older entries. The audit
-- writer merges 8 runs of one level into one of the next, in chunks;
-- audit_merges lists the merges under way, so that one interrupted by a
-- restart is resumed. Postings of a run in neither table are garbage (the
-- sources of a finished merge), which the writer deletes in chunks; look-ups
-- join through audit_runs and never see them. audit_index_state keeps
-- indexed_upto, the last entry id so indexed.
CREATE TABLE audit.audit_runs (
    run      INTEGER PRIMARY KEY,
    level    INTEGER NOT NULL,
    lo_id    INTEGER NOT NULL,
    hi_id    INTEGER NOT NULL,
    entries  INTEGER NOT NULL
);
-- Ranges do not overlap: a look-up reads the runs newest first by lo_id,
-- and, this index being unique, each run's postings in entry order, so
-- SQLite returns a page without sorting the subject's entries.
CREATE UNIQUE INDEX audit.audit_runs_lo_id ON audit_runs (lo_id);
CREATE TABLE audit.audit_postings (
    run       INTEGER NOT NULL,
    subject   TEXT NOT NULL,
    entry_id  INTEGER NOT NULL,
    PRIMARY KEY (run, subject, entry_id)
) WITHOUT ROWID;
-- A merge under way: run is its target, level the target's level, and its
-- sources are the runs of level - 1 within lo_id..hi_id.
CREATE TABLE audit.audit_merges (
    run    INTEGER PRIMARY KEY,
    level  INTEGER NOT NULL,
    lo_id  INTEGER NOT NULL,
    hi_id  INTEGER NOT NULL
);
-- The batch index becomes run 1, covering every entry up to indexed_upto.
-- Its level is the lowest whose runs nominally hold as many entries (50,000
-- a batch, times 8 a level), so that it is not rewritten by merges of runs
-- far smaller than itself; runs of a higher level must hold older entries,
-- and it holds the oldest.
INSERT INTO audit.audit_postings (run, subject, entry_id)
    SELECT 1, subject, entry_id FROM audit.audit_subjects ORDER BY subject, entry_id;
INSERT INTO audit.audit_runs (run, level, lo_id, hi_id, entries)
    SELECT 1,
        CASE WHEN n <= 50000 THEN 0 WHEN n <= 400000 THEN 1 WHEN n <= 3200000 THEN 2
             WHEN n <= 25600000 THEN 3 WHEN n <= 204800000 THEN 4 ELSE 5 END,
        1, (SELECT indexed_upto FROM audit.audit_index_state), n
    FROM (SELECT count(*) AS n FROM audit.audit_subjects) WHERE n > 0;
-- Dropping the table drops its append-only triggers, without firing them.
DROP TABLE audit.audit_subjects;
