-- A fixture of the parity test, deliberately diverging: PostgreSQL's things
-- names a column differently, indexes another column, and has no
-- things_unit index (see TestParityFails).
CREATE TABLE things (
    id    INTEGER PRIMARY KEY,
    name  TEXT NOT NULL UNIQUE,
    unit  TEXT NOT NULL
);
CREATE INDEX things_name ON things (name, unit);
CREATE INDEX things_unit ON things (unit);
