-- The PostgreSQL fixture of ../parity, in SQLite's dialect, so that the
-- parity test is seen to fail without a PostgreSQL server.
CREATE TABLE things (
    id         INTEGER PRIMARY KEY,
    name       TEXT NOT NULL UNIQUE,
    unit_code  TEXT NOT NULL
);
CREATE INDEX things_name ON things (name);
