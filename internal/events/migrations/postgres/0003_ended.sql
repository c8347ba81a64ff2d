-- A subscription that ends is kept, marked with when it ended, not deleted
-- (its watch list and delivery state are): the audit entries that name it
-- keep naming one subscription, since its id is never given to another
-- (SQLite gives a new row the highest id plus one, so the id of a deleted
-- last subscription came back to the next one, perhaps another member's).
ALTER TABLE event_subscriptions ADD COLUMN ended_at TEXT NOT NULL DEFAULT '';
