-- The particulars of a civil act beyond the fields it changes (the court
-- and judgment of a divorce; the place of birth, declarant and certificate
-- of a birth; the act an annulment voids), as a JSON object of strings.
ALTER TABLE person_events ADD COLUMN details TEXT NOT NULL DEFAULT '';

-- household_events lists, for each household, the people whose membership
-- of it an event changed (joining or leaving), so that the household can be
-- shown as of a past day: its members then are among its members now and
-- these. Filled with the events that change household_id; the rows of
-- events recorded before it are added here.
CREATE TABLE household_events (
    household_id TEXT NOT NULL,
    pin          TEXT NOT NULL,
    PRIMARY KEY (household_id, pin)
);
INSERT OR IGNORE INTO household_events (household_id, pin)
SELECT json_extract(changes, '$.household_id.old'), pin FROM person_events
 WHERE coalesce(json_extract(changes, '$.household_id.old'), '') <> ''
UNION
SELECT json_extract(changes, '$.household_id.new'), pin FROM person_events
 WHERE coalesce(json_extract(changes, '$.household_id.new'), '') <> '';
