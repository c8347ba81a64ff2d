-- See the SQLite migration: this one diverges on purpose.
CREATE TABLE things (
    id         BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name       TEXT NOT NULL UNIQUE,
    unit_code  TEXT NOT NULL
);
CREATE INDEX things_name ON things (name);
