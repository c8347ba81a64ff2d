-- The epoch of the exchange's bearer tokens: counted up by every statement
-- that revokes or deletes a token, or changes or deletes a subsystem or a
-- member (a revocation, a new name), by whichever process or instance runs
-- it. The exchange remembers the tokens it has read active, with their
-- subsystem and member, for as long as the epoch has not moved.
CREATE TABLE exchange_token_epoch (
    id   INTEGER PRIMARY KEY CHECK (id = 1),
    seq  BIGINT NOT NULL
);
INSERT INTO exchange_token_epoch (id, seq) VALUES (1, 0);
CREATE FUNCTION exchange_token_epoch_bump() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE exchange_token_epoch SET seq = seq + 1 WHERE id = 1;
    RETURN NULL;
END $$;
CREATE TRIGGER exchange_tokens_changed AFTER UPDATE OR DELETE ON exchange_tokens
    FOR EACH STATEMENT EXECUTE FUNCTION exchange_token_epoch_bump();
CREATE TRIGGER exchange_subsystems_changed AFTER UPDATE OR DELETE ON exchange_subsystems
    FOR EACH STATEMENT EXECUTE FUNCTION exchange_token_epoch_bump();
CREATE TRIGGER exchange_members_changed AFTER UPDATE OR DELETE ON exchange_members
    FOR EACH STATEMENT EXECUTE FUNCTION exchange_token_epoch_bump();
