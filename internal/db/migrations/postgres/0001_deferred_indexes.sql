-- Indexes dropped for a bulk load into empty tables, kept here until they
-- are built again, so that a load that dies half-way is repaired at the
-- next start (db.RestoreIndexes).
CREATE TABLE deferred_indexes (
    name        TEXT PRIMARY KEY,
    table_name  TEXT NOT NULL,
    definition  TEXT NOT NULL
);
