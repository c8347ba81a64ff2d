-- Authenticator apps (TOTP, RFC 6238): the secret sealed under the master
-- key, enabled once the holder proved it with a first code; last_step is
-- the time step of the last code used, which cannot be used again.
CREATE TABLE eid_totp (
    account_id  BIGINT PRIMARY KEY REFERENCES eid_accounts(id),
    sealed      TEXT NOT NULL,
    enabled     INTEGER NOT NULL DEFAULT 0,
    last_step   BIGINT NOT NULL DEFAULT 0,
    created_at  TEXT NOT NULL
);
