-- Reconciliation jobs of member systems (internal/reconcile/service). The
-- uploaded file and the outputs live under the data directory
-- (<data>/reconcile/<id>/); a row holds the job's state, its progress and
-- the checkpoint a restarted server resumes it from.
CREATE TABLE reconcile_jobs (
    id               TEXT PRIMARY KEY,
    unit_code        TEXT NOT NULL,              -- the member: the owner's unit
    owner_staff_id   INTEGER NOT NULL REFERENCES staff(id),
    owner            TEXT NOT NULL,              -- the owner's username, for display
    file_name        TEXT NOT NULL,
    file_bytes       INTEGER NOT NULL DEFAULT 0,
    mapping          TEXT NOT NULL,
    config           TEXT NOT NULL,              -- JSON: the options of the run
    state            TEXT NOT NULL CHECK (state IN ('queued', 'running', 'done', 'failed', 'cancelled')),
    records_read     INTEGER NOT NULL DEFAULT 0, -- rows of the file (known once the model is estimated)
    records_decided  INTEGER NOT NULL DEFAULT 0, -- rows decided and written (at the last checkpoint)
    checkpoint       TEXT NOT NULL DEFAULT '',   -- JSON engine.Checkpoint, '' before the first
    counts           TEXT NOT NULL DEFAULT '',   -- JSON: decision → records
    error            TEXT NOT NULL DEFAULT '',
    created_at       TEXT NOT NULL,
    started_at       TEXT NOT NULL DEFAULT '',
    finished_at      TEXT NOT NULL DEFAULT ''
);
CREATE INDEX reconcile_jobs_unit ON reconcile_jobs (unit_code, created_at, id);
CREATE INDEX reconcile_jobs_state ON reconcile_jobs (state, created_at);
