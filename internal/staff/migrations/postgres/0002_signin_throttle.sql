-- Sign-in throttling, kept across restarts and shared by every instance:
-- one row per key (kind account, account-address or address) counting the
-- attempts reserved before their password was checked, and kind known:
-- where an account signed in successfully, exempt from the account's limit.
CREATE TABLE signin_throttle (
    kind      TEXT NOT NULL,
    username  TEXT NOT NULL,
    remote    TEXT NOT NULL,
    attempts  INTEGER NOT NULL,
    last_at   TEXT NOT NULL,
    PRIMARY KEY (kind, username, remote)
);
