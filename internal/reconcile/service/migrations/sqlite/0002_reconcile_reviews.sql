-- Officers' review decisions on the records a reconciliation job left for
-- review (internal/reconcile/service, review.go). A record's decisions are
-- kept in order (revision 1, 2, …); the latest is current = 1, the earlier
-- ones stay as its history.
CREATE TABLE reconcile_reviews (
    job_id             TEXT NOT NULL REFERENCES reconcile_jobs(id),
    line               INTEGER NOT NULL,           -- the record's line in the uploaded file
    revision           INTEGER NOT NULL,           -- 1 for the record's first decision
    record_id          TEXT NOT NULL,              -- the sector's key for the record
    outcome            TEXT NOT NULL CHECK (outcome IN ('accepted', 'rejected', 'not_in_register')),
    pin                TEXT NOT NULL DEFAULT '',   -- the candidate accepted; '' otherwise
    reviewer_staff_id  INTEGER NOT NULL REFERENCES staff(id),
    reviewer           TEXT NOT NULL,              -- the reviewer's username, for display and export
    reviewed_at        TEXT NOT NULL,
    reason             TEXT NOT NULL DEFAULT '',
    current            INTEGER NOT NULL DEFAULT 1 CHECK (current IN (0, 1)),
    PRIMARY KEY (job_id, line, revision)
);
CREATE UNIQUE INDEX reconcile_reviews_current ON reconcile_reviews (job_id, line) WHERE current = 1;
