-- Consents of citizens to the data-exchange platform's members: the record
-- in force (one per person, subsystem and purpose), every signed version of
-- it, the uses counted against its frequency limit, the members' requests
-- for consent, and the keys that sign the receipts (sealed under the master
-- key).
CREATE TABLE consent_records (
    id                TEXT PRIMARY KEY,
    subject           TEXT NOT NULL,
    client            TEXT NOT NULL,
    client_name       TEXT NOT NULL,
    purpose           TEXT NOT NULL,
    purpose_text      TEXT NOT NULL,
    fields            TEXT NOT NULL,
    valid_from        TEXT NOT NULL,
    valid_until       TEXT NOT NULL,
    data_life_days    INTEGER NOT NULL,
    freq_max          INTEGER NOT NULL,
    freq_period       TEXT NOT NULL,
    method            TEXT NOT NULL,
    version           INTEGER NOT NULL,
    created_at        TEXT NOT NULL,
    updated_at        TEXT NOT NULL,
    revoked_at        TEXT NOT NULL DEFAULT ''
);
CREATE UNIQUE INDEX consent_records_key ON consent_records (subject, client, purpose);

CREATE TABLE consent_versions (
    consent_id  TEXT NOT NULL REFERENCES consent_records (id),
    version     INTEGER NOT NULL,
    receipt     TEXT NOT NULL,
    created_at  TEXT NOT NULL,
    PRIMARY KEY (consent_id, version)
);

CREATE TABLE consent_uses (
    consent_id  TEXT NOT NULL REFERENCES consent_records (id),
    period      TEXT NOT NULL,
    uses        INTEGER NOT NULL,
    PRIMARY KEY (consent_id, period)
);

CREATE TABLE consent_requests (
    id              TEXT PRIMARY KEY,
    subject         TEXT NOT NULL,
    client          TEXT NOT NULL,
    client_name     TEXT NOT NULL,
    purpose         TEXT NOT NULL,
    purpose_text    TEXT NOT NULL,
    fields          TEXT NOT NULL,
    valid_until     TEXT NOT NULL,
    data_life_days  INTEGER NOT NULL,
    freq_max        INTEGER NOT NULL,
    freq_period     TEXT NOT NULL,
    reason          TEXT NOT NULL,
    status          TEXT NOT NULL,
    consent_id      TEXT NOT NULL DEFAULT '',
    created_at      TEXT NOT NULL,
    decided_at      TEXT NOT NULL DEFAULT ''
);
CREATE INDEX consent_requests_subject ON consent_requests (subject, status, created_at);
CREATE INDEX consent_requests_client ON consent_requests (client, subject, status);

CREATE TABLE consent_keys (
    id          TEXT PRIMARY KEY,
    sealed      TEXT NOT NULL,
    public_jwk  TEXT NOT NULL,
    created_at  TEXT NOT NULL
);
