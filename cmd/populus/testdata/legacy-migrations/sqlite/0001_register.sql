-- The national population register: people, households and the append-only
-- history of every change. Dates are partial ISO strings (YYYY, YYYY-MM,
-- YYYY-MM-DD); timestamps are fixed-width UTC text.
CREATE TABLE households (
    id          TEXT PRIMARY KEY,
    unit_code   TEXT NOT NULL,
    address     TEXT NOT NULL DEFAULT '',
    created_at  TEXT NOT NULL
);

CREATE TABLE persons (
    pin            TEXT PRIMARY KEY,
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
-- Search by unaccented name, optionally narrowed by date of birth.
CREATE INDEX persons_name_birth ON persons (name_folded, birth_key);
CREATE INDEX persons_household ON persons (household_id);
CREATE UNIQUE INDEX persons_cmnd ON persons (cmnd) WHERE cmnd <> '';
-- One head per household.
CREATE UNIQUE INDEX persons_household_head ON persons (household_id) WHERE relation = 'head';

-- person_events is the register's history: one row per change to one person,
-- with the fields it changed (old and new values) so that any past state can
-- be rebuilt from the current one. Rows are never updated or deleted.
CREATE TABLE person_events (
    id           INTEGER PRIMARY KEY,
    pin          TEXT NOT NULL,
    version      INTEGER NOT NULL,
    kind         TEXT NOT NULL,
    event_id     TEXT NOT NULL,
    effective    TEXT NOT NULL DEFAULT '',
    recorded_at  TEXT NOT NULL,
    actor        TEXT NOT NULL,
    reason       TEXT NOT NULL DEFAULT '',
    legal_basis  TEXT NOT NULL DEFAULT '',
    changes      TEXT NOT NULL,
    UNIQUE (pin, version)
);
CREATE INDEX person_events_event ON person_events (event_id);
CREATE TRIGGER person_events_no_update BEFORE UPDATE ON person_events
BEGIN SELECT RAISE(ABORT, 'person_events is append-only'); END;
CREATE TRIGGER person_events_no_delete BEFORE DELETE ON person_events
BEGIN SELECT RAISE(ABORT, 'person_events is append-only'); END;
