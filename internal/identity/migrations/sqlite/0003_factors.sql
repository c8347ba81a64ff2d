-- The methods a session was signed in with (RFC 8176 values, space
-- separated: pwd, otp, mfa, swk, user), given to relying parties as amr.
ALTER TABLE eid_sessions ADD COLUMN amr TEXT NOT NULL DEFAULT 'pwd';

-- Authentication methods the holder locked (password, totp, passkey,
-- code): a locked method is refused until the holder unlocks it.
CREATE TABLE eid_method_locks (
    account_id  INTEGER NOT NULL REFERENCES eid_accounts(id),
    method      TEXT NOT NULL,
    locked_at   TEXT NOT NULL,
    PRIMARY KEY (account_id, method)
);

-- Passkeys (WebAuthn): the account's user handle given to authenticators
-- (random, never the PIN), and each credential as go-webauthn returns it
-- (public key, sign count, flags; no secret).
CREATE TABLE eid_passkey_users (
    account_id  INTEGER PRIMARY KEY REFERENCES eid_accounts(id),
    handle      TEXT NOT NULL UNIQUE
);
CREATE TABLE eid_passkeys (
    id            TEXT PRIMARY KEY,
    account_id    INTEGER NOT NULL REFERENCES eid_accounts(id),
    name          TEXT NOT NULL,
    credential    TEXT NOT NULL,
    created_at    TEXT NOT NULL,
    last_used_at  TEXT NOT NULL DEFAULT ''
);
CREATE INDEX eid_passkeys_account ON eid_passkeys (account_id);

-- A WebAuthn ceremony in progress (its challenge), used once: a
-- registration by a signed-in holder (account_id) or a sign-in (0).
CREATE TABLE eid_passkey_ceremonies (
    id          TEXT PRIMARY KEY,
    account_id  INTEGER NOT NULL,
    data        TEXT NOT NULL,
    expires_at  TEXT NOT NULL
);
