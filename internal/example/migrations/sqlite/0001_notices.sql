-- Notices a commune posts for its residents (the worked example of
-- docs/adding-a-capability.md).
CREATE TABLE example_notices (
    id          INTEGER PRIMARY KEY,
    unit_code   TEXT NOT NULL,
    title       TEXT NOT NULL,
    author      TEXT NOT NULL,
    created_at  TEXT NOT NULL
);
CREATE INDEX example_notices_unit ON example_notices (unit_code, id);
