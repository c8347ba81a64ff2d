-- The data-exchange platform: members and their subsystems (X-Road
-- identifiers), the platform's certificate authority (its key sealed under
-- the master key), the certificates it issued, purposes, services, rights
-- (subsystem x service x fields x purposes), short-lived access tokens
-- (hashed) and the client assertions' ids already used.
CREATE TABLE exchange_members (
    id          TEXT PRIMARY KEY,
    instance    TEXT NOT NULL,
    class       TEXT NOT NULL,
    code        TEXT NOT NULL,
    name        TEXT NOT NULL,
    unit_code   TEXT NOT NULL,
    created_at  TEXT NOT NULL,
    revoked_at  TEXT NOT NULL DEFAULT ''
);

CREATE TABLE exchange_subsystems (
    id          TEXT PRIMARY KEY,
    member_id   TEXT NOT NULL REFERENCES exchange_members (id),
    code        TEXT NOT NULL,
    name        TEXT NOT NULL,
    public_jwk  TEXT NOT NULL DEFAULT '',
    created_at  TEXT NOT NULL,
    revoked_at  TEXT NOT NULL DEFAULT ''
);
CREATE INDEX exchange_subsystems_member ON exchange_subsystems (member_id);

CREATE TABLE exchange_ca (
    id          INTEGER PRIMARY KEY,
    cert_pem    TEXT NOT NULL,
    sealed_key  TEXT NOT NULL,
    created_at  TEXT NOT NULL
);

CREATE TABLE exchange_certificates (
    serial        TEXT PRIMARY KEY,
    subsystem_id  TEXT NOT NULL REFERENCES exchange_subsystems (id),
    not_after     TEXT NOT NULL,
    created_at    TEXT NOT NULL,
    revoked_at    TEXT NOT NULL DEFAULT ''
);
CREATE INDEX exchange_certificates_subsystem ON exchange_certificates (subsystem_id);

CREATE TABLE exchange_purposes (
    code              TEXT PRIMARY KEY,
    name              TEXT NOT NULL,
    legal_bases       TEXT NOT NULL,
    consent_required  INTEGER NOT NULL,
    officer_required  INTEGER NOT NULL
);

CREATE TABLE exchange_services (
    id            TEXT PRIMARY KEY,
    provider_id   TEXT NOT NULL REFERENCES exchange_subsystems (id),
    code          TEXT NOT NULL,
    title         TEXT NOT NULL,
    fields        TEXT NOT NULL,
    methods       TEXT NOT NULL,
    base_url      TEXT NOT NULL DEFAULT '',
    openapi       TEXT NOT NULL,
    created_at    TEXT NOT NULL
);
CREATE INDEX exchange_services_provider ON exchange_services (provider_id);

CREATE TABLE exchange_rights (
    subsystem_id  TEXT NOT NULL REFERENCES exchange_subsystems (id),
    service_id    TEXT NOT NULL REFERENCES exchange_services (id),
    fields        TEXT NOT NULL,
    purposes      TEXT NOT NULL,
    created_at    TEXT NOT NULL,
    PRIMARY KEY (subsystem_id, service_id)
);

CREATE TABLE exchange_tokens (
    hash          TEXT PRIMARY KEY,
    subsystem_id  TEXT NOT NULL REFERENCES exchange_subsystems (id),
    expires_at    TEXT NOT NULL,
    revoked_at    TEXT NOT NULL DEFAULT ''
);
CREATE INDEX exchange_tokens_subsystem ON exchange_tokens (subsystem_id);

CREATE TABLE exchange_assertions (
    subsystem_id  TEXT NOT NULL,
    jti           TEXT NOT NULL,
    expires_at    TEXT NOT NULL,
    PRIMARY KEY (subsystem_id, jti)
);
