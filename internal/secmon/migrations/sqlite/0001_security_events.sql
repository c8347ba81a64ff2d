-- Security events: alerts for auditors (an account that reached its rate
-- limit, an account that read far more people than its peers). One event
-- per kind, account and window.
CREATE TABLE security_events (
    id            INTEGER PRIMARY KEY,
    at            TEXT NOT NULL,
    kind          TEXT NOT NULL,
    actor         TEXT NOT NULL,
    role          TEXT NOT NULL DEFAULT '',
    unit          TEXT NOT NULL DEFAULT '',
    window_start  TEXT NOT NULL,
    window_end    TEXT NOT NULL,
    count         INTEGER NOT NULL,
    baseline      INTEGER NOT NULL,
    peers         INTEGER NOT NULL DEFAULT 0,
    detail        TEXT NOT NULL DEFAULT ''
);
CREATE UNIQUE INDEX security_events_once ON security_events (kind, actor, window_start);
