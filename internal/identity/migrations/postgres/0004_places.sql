-- The operator's table of address ranges (populus places import): the
-- place and network of each range, for the login history. There is no
-- online geolocation; only what the operator imported.
CREATE TABLE eid_places (
    cidr      TEXT PRIMARY KEY,
    province  TEXT NOT NULL,
    name      TEXT NOT NULL,
    network   TEXT NOT NULL
);

-- The place of each sign-in as the table said then (kind: listed, local
-- or unknown; '' for entries made before places were kept).
ALTER TABLE eid_logins ADD COLUMN place_kind TEXT NOT NULL DEFAULT '';
ALTER TABLE eid_logins ADD COLUMN place_province TEXT NOT NULL DEFAULT '';
ALTER TABLE eid_logins ADD COLUMN place_name TEXT NOT NULL DEFAULT '';
ALTER TABLE eid_logins ADD COLUMN place_network TEXT NOT NULL DEFAULT '';
