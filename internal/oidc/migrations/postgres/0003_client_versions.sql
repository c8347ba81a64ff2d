-- Every version of a relying party's registration: an edit from the
-- administrators' page adds one (audited, oidc.clients.manage); the
-- client's row holds the current one.
ALTER TABLE oidc_clients ADD COLUMN version INTEGER NOT NULL DEFAULT 1;
CREATE TABLE oidc_client_versions (
    client_id   TEXT NOT NULL,
    version     INTEGER NOT NULL,
    config      TEXT NOT NULL,
    created_at  TEXT NOT NULL,
    PRIMARY KEY (client_id, version)
);
INSERT INTO oidc_client_versions (client_id, version, config, created_at)
    SELECT id, 1, config, updated_at FROM oidc_clients;
