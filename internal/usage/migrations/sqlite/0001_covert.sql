-- Accesses flagged as covert by law enforcement: hidden from the person's
-- "who used my data" until the disclosure date. An access is named by its
-- audit entry id or by its request id (one of them, the other 0 or empty).
CREATE TABLE usage_covert (
    id           INTEGER PRIMARY KEY,
    subject      TEXT NOT NULL,
    entry_id     INTEGER NOT NULL DEFAULT 0,
    request_id   TEXT NOT NULL DEFAULT '',
    until        TEXT NOT NULL,
    legal_basis  TEXT NOT NULL,
    flagged_by   TEXT NOT NULL,
    created_at   TEXT NOT NULL
);
CREATE INDEX usage_covert_subject ON usage_covert (subject);
