-- The change subscriptions' outbox, written in the transaction of each civil
-- event (one row per person and type), the subscriptions, their watch lists
-- and the state of each delivery channel. SQLite commits one writer at a
-- time, in the order of seq: tx is always 0 here (see the PostgreSQL file).
CREATE TABLE events_outbox (
    seq          INTEGER PRIMARY KEY AUTOINCREMENT,
    tx           INTEGER NOT NULL DEFAULT 0,
    event_id     TEXT NOT NULL,
    type         TEXT NOT NULL,
    pin          TEXT NOT NULL,
    date         TEXT NOT NULL,
    version      INTEGER NOT NULL,
    recorded_at  TEXT NOT NULL
);
CREATE INDEX events_outbox_order ON events_outbox (tx, seq);

CREATE TABLE event_subscriptions (
    id           INTEGER PRIMARY KEY,
    subscriber   TEXT NOT NULL,
    types        TEXT NOT NULL,
    webhook_url  TEXT NOT NULL,
    nats         INTEGER NOT NULL,
    all_people   INTEGER NOT NULL,
    purpose      TEXT NOT NULL,
    legal_basis  TEXT NOT NULL,
    created_at   TEXT NOT NULL
);
CREATE INDEX event_subscriptions_subscriber ON event_subscriptions (subscriber, id);

CREATE TABLE event_watch (
    subscription_id INTEGER NOT NULL REFERENCES event_subscriptions (id) ON DELETE CASCADE,
    pin             TEXT NOT NULL,
    PRIMARY KEY (subscription_id, pin)
);

CREATE TABLE event_deliveries (
    subscription_id INTEGER NOT NULL REFERENCES event_subscriptions (id) ON DELETE CASCADE,
    channel         TEXT NOT NULL,
    cursor_tx       INTEGER NOT NULL,
    cursor_seq      INTEGER NOT NULL,
    state           TEXT NOT NULL,
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at TEXT NOT NULL,
    failing_since   TEXT NOT NULL DEFAULT '',
    last_error      TEXT NOT NULL DEFAULT '',
    delivered       INTEGER NOT NULL DEFAULT 0,
    last_delivered_at TEXT NOT NULL DEFAULT '',
    lease_until     TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (subscription_id, channel)
);

CREATE TABLE event_keys (
    id          TEXT PRIMARY KEY,
    sealed      TEXT NOT NULL,
    created_at  TEXT NOT NULL
);
