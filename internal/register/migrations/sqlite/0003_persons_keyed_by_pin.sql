-- SQLite only: PostgreSQL keeps `pin text PRIMARY KEY`, whose index points
-- at the heap tuple, so a look-up by PIN already reads one index and one
-- heap page.
-- persons is keyed by the PIN itself, as an integer: the table's B-tree is
-- the PIN's index. It was a rowid table with `pin TEXT PRIMARY KEY`, so a
-- look-up by PIN descended two B-trees (the PIN's index, then the table by
-- rowid), reading a leaf page of each; a look-up now reads one. The PIN's
-- index, about a twentieth of the table, is gone, and every secondary index
-- refers to people by PIN. A PIN is 12 digits, so its integer value keeps
-- its order; reads format it back with leading zeros (db.PINText), and a
-- PIN bound as text converts to the integer (column affinity) wherever it
-- is compared with or stored into the column. PostgreSQL keeps its text
-- key, whose B-tree index returns the heap tuple directly.
CREATE TABLE persons_by_pin (
    pin            INTEGER PRIMARY KEY,
    cmnd           TEXT NOT NULL DEFAULT '',
    full_name      TEXT NOT NULL,
    name_folded    TEXT NOT NULL,
    other_names    TEXT NOT NULL DEFAULT '',
    birth_date     TEXT NOT NULL,
    birth_key      INTEGER NOT NULL,
    sex            TEXT NOT NULL,
    birth_place    TEXT NOT NULL DEFAULT '',
    hometown       TEXT NOT NULL DEFAULT '',
    ethnicity      TEXT NOT NULL DEFAULT '',
    religion       TEXT NOT NULL DEFAULT '',
    nationality    TEXT NOT NULL DEFAULT 'VN',
    perm_unit      TEXT NOT NULL DEFAULT '',
    perm_address   TEXT NOT NULL DEFAULT '',
    temp_unit      TEXT NOT NULL DEFAULT '',
    temp_address   TEXT NOT NULL DEFAULT '',
    cur_unit       TEXT NOT NULL DEFAULT '',
    cur_address    TEXT NOT NULL DEFAULT '',
    household_id   TEXT REFERENCES households(id),
    relation       TEXT NOT NULL DEFAULT '',
    father_pin     TEXT NOT NULL DEFAULT '',
    mother_pin     TEXT NOT NULL DEFAULT '',
    spouse_pin     TEXT NOT NULL DEFAULT '',
    card_number    TEXT NOT NULL DEFAULT '',
    card_issued    TEXT NOT NULL DEFAULT '',
    card_expires   TEXT NOT NULL DEFAULT '',
    -- resp_unit is the commune whose officers answer for the person (see
    -- register.ResponsibleUnit); search filters on it and reads check it.
    resp_unit      TEXT NOT NULL DEFAULT '',
    status         TEXT NOT NULL DEFAULT 'alive',
    death_date     TEXT NOT NULL DEFAULT '',
    version        INTEGER NOT NULL DEFAULT 1,
    created_at     TEXT NOT NULL,
    updated_at     TEXT NOT NULL
);
INSERT INTO persons_by_pin (pin, cmnd, full_name, name_folded, other_names, birth_date, birth_key, sex,
        birth_place, hometown, ethnicity, religion, nationality, perm_unit, perm_address, temp_unit, temp_address,
        cur_unit, cur_address, household_id, relation, father_pin, mother_pin, spouse_pin,
        card_number, card_issued, card_expires, resp_unit, status, death_date, version, created_at, updated_at)
    SELECT CAST(pin AS INTEGER), cmnd, full_name, name_folded, other_names, birth_date, birth_key, sex,
        birth_place, hometown, ethnicity, religion, nationality, perm_unit, perm_address, temp_unit, temp_address,
        cur_unit, cur_address, household_id, relation, father_pin, mother_pin, spouse_pin,
        card_number, card_issued, card_expires, resp_unit, status, death_date, version, created_at, updated_at
    FROM persons ORDER BY pin;
DROP TABLE persons;
ALTER TABLE persons_by_pin RENAME TO persons;
CREATE INDEX persons_name_birth ON persons (name_folded, birth_key);
CREATE INDEX persons_household ON persons (household_id);
CREATE UNIQUE INDEX persons_cmnd ON persons (cmnd) WHERE cmnd <> '';
CREATE UNIQUE INDEX persons_household_head ON persons (household_id) WHERE relation = 'head';
CREATE INDEX persons_birth_name ON persons (birth_key, name_folded);
-- The table was rebuilt with every index: none is waiting to be built
-- again after an interrupted bulk load.
DELETE FROM deferred_indexes WHERE table_name = 'persons';
