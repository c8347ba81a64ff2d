-- The OpenID provider: relying parties (clients), signing keys (encrypted
-- under the master key), authorization requests, tokens, pairwise
-- subjects, consents and pushed authorization requests.
CREATE TABLE oidc_clients (
    id                 TEXT PRIMARY KEY,
    name               TEXT NOT NULL,
    secret_hash        TEXT NOT NULL,
    auth_method        TEXT NOT NULL,
    config             TEXT NOT NULL,
    disabled           INTEGER NOT NULL DEFAULT 0,
    created_at         TEXT NOT NULL,
    updated_at         TEXT NOT NULL
);

CREATE TABLE oidc_keys (
    id          TEXT PRIMARY KEY,
    algorithm   TEXT NOT NULL,
    sealed      TEXT NOT NULL,
    public_jwk  TEXT NOT NULL,
    created_at  TEXT NOT NULL,
    retired_at  TEXT NOT NULL DEFAULT ''
);

CREATE TABLE oidc_auth_requests (
    id          TEXT PRIMARY KEY,
    client_id   TEXT NOT NULL,
    request     TEXT NOT NULL,
    account_id  INTEGER NOT NULL DEFAULT 0,
    subject     TEXT NOT NULL DEFAULT '',
    acr         TEXT NOT NULL DEFAULT '',
    auth_time   TEXT NOT NULL DEFAULT '',
    scopes      TEXT NOT NULL DEFAULT '',
    done        INTEGER NOT NULL DEFAULT 0,
    code_hash   TEXT NOT NULL DEFAULT '',
    created_at  TEXT NOT NULL,
    expires_at  TEXT NOT NULL
);
CREATE INDEX oidc_auth_requests_code ON oidc_auth_requests (code_hash);

-- Access tokens (opaque: the id, encrypted by the provider) and refresh
-- tokens (by SHA-256), each refresh token in a family that a reuse revokes.
CREATE TABLE oidc_tokens (
    id          TEXT PRIMARY KEY,
    kind        TEXT NOT NULL,
    family      TEXT NOT NULL,
    client_id   TEXT NOT NULL,
    subject     TEXT NOT NULL,
    account_id  INTEGER NOT NULL,
    scopes      TEXT NOT NULL,
    acr         TEXT NOT NULL,
    amr         TEXT NOT NULL,
    auth_time   TEXT NOT NULL,
    created_at  TEXT NOT NULL,
    expires_at  TEXT NOT NULL,
    used_at     TEXT NOT NULL DEFAULT '',
    revoked     INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX oidc_tokens_family ON oidc_tokens (family);
CREATE INDEX oidc_tokens_account ON oidc_tokens (account_id, client_id);

-- Pairwise subjects: one per person and sector identifier.
CREATE TABLE oidc_subjects (
    sector      TEXT NOT NULL,
    subject     TEXT NOT NULL,
    account_id  INTEGER NOT NULL,
    PRIMARY KEY (sector, subject)
);

-- Consents: what a holder approved (scopes) of what a client asked
-- (asked), until the request changes or the consent expires; revoked_at set when the holder withdraws it.
CREATE TABLE oidc_consents (
    id          INTEGER PRIMARY KEY,
    account_id  INTEGER NOT NULL,
    client_id   TEXT NOT NULL,
    asked       TEXT NOT NULL,
    scopes      TEXT NOT NULL,
    granted_at  TEXT NOT NULL,
    expires_at  TEXT NOT NULL,
    revoked_at  TEXT NOT NULL DEFAULT ''
);
CREATE INDEX oidc_consents_account ON oidc_consents (account_id, client_id);

-- Pushed authorization requests (RFC 9126), used once.
CREATE TABLE oidc_par (
    id          TEXT PRIMARY KEY,
    client_id   TEXT NOT NULL,
    params      TEXT NOT NULL,
    expires_at  TEXT NOT NULL
);
