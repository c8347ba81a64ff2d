-- The epoch of the consent records: counted up by every statement that
-- changes or deletes one (new terms, a withdrawal, an end at death or at
-- an account's recovery), by whichever process or instance runs it. The
-- exchange's consent check remembers the records it has read for as long
-- as the epoch has not moved; a new record (an insert) cannot make a
-- remembered one wrong, and a missing record is never remembered.
CREATE TABLE consent_epoch (
    id   INTEGER PRIMARY KEY CHECK (id = 1),
    seq  BIGINT NOT NULL
);
INSERT INTO consent_epoch (id, seq) VALUES (1, 0);
CREATE FUNCTION consent_epoch_bump() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE consent_epoch SET seq = seq + 1 WHERE id = 1;
    RETURN NULL;
END $$;
CREATE TRIGGER consent_records_changed AFTER UPDATE OR DELETE ON consent_records
    FOR EACH STATEMENT EXECUTE FUNCTION consent_epoch_bump();
