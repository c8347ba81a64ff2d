-- The epoch of the consent records: counted up by every statement that
-- changes or deletes one (new terms, a withdrawal, an end at death or at
-- an account's recovery), by whichever process runs it. The exchange's
-- consent check remembers the records it has read for as long as the
-- epoch has not moved; a new record (an insert) cannot make a remembered
-- one wrong, and a missing record is never remembered.
CREATE TABLE consent_epoch (
    id   INTEGER PRIMARY KEY CHECK (id = 1),
    seq  INTEGER NOT NULL
);
INSERT INTO consent_epoch (id, seq) VALUES (1, 0);
CREATE TRIGGER consent_records_changed AFTER UPDATE ON consent_records
BEGIN UPDATE consent_epoch SET seq = seq + 1 WHERE id = 1; END;
CREATE TRIGGER consent_records_deleted AFTER DELETE ON consent_records
BEGIN UPDATE consent_epoch SET seq = seq + 1 WHERE id = 1; END;
