-- Electronic identity accounts (tài khoản định danh điện tử): one per person
-- of the register (pin), their one-time codes, sessions, sign-in history and
-- throttle, and the outbox of the demo's notifier.
CREATE TABLE eid_accounts (
    id             INTEGER PRIMARY KEY,
    pin            TEXT NOT NULL UNIQUE,
    state          TEXT NOT NULL,
    level          INTEGER NOT NULL,
    phone          TEXT NOT NULL,
    password_hash  TEXT NOT NULL,
    state_reason   TEXT NOT NULL DEFAULT '',
    level2_by      TEXT NOT NULL DEFAULT '',
    level2_at      TEXT NOT NULL DEFAULT '',
    created_at     TEXT NOT NULL,
    updated_at     TEXT NOT NULL
);

-- The pending one-time code of an account: its SHA-256, never the code.
CREATE TABLE eid_codes (
    account_id  INTEGER PRIMARY KEY REFERENCES eid_accounts(id),
    purpose     TEXT NOT NULL,
    code_hash   TEXT NOT NULL,
    attempts    INTEGER NOT NULL,
    expires_at  TEXT NOT NULL
);

CREATE TABLE eid_sessions (
    token_hash  TEXT PRIMARY KEY,
    account_id  INTEGER NOT NULL REFERENCES eid_accounts(id),
    csrf_token  TEXT NOT NULL,
    created_at  TEXT NOT NULL,
    expires_at  TEXT NOT NULL
);
CREATE INDEX eid_sessions_account ON eid_sessions (account_id);

CREATE TABLE eid_logins (
    id          INTEGER PRIMARY KEY,
    account_id  INTEGER NOT NULL REFERENCES eid_accounts(id),
    at          TEXT NOT NULL,
    remote      TEXT NOT NULL,
    device      TEXT NOT NULL,
    outcome     TEXT NOT NULL,
    detail      TEXT NOT NULL
);
CREATE INDEX eid_logins_account ON eid_logins (account_id, id);

-- Sign-in and registration throttle: one row per key (kind, name).
CREATE TABLE eid_throttle (
    kind      TEXT NOT NULL,
    name      TEXT NOT NULL,
    attempts  INTEGER NOT NULL,
    last_at   TEXT NOT NULL,
    PRIMARY KEY (kind, name)
);

-- Messages of the outbox notifier (the demo's): shown on the outbox page.
CREATE TABLE eid_outbox (
    id         INTEGER PRIMARY KEY,
    channel    TEXT NOT NULL,
    recipient  TEXT NOT NULL,
    body       TEXT NOT NULL,
    created_at TEXT NOT NULL
);
