-- The revocation epoch of the tokens: counted up by every statement that
-- revokes or deletes a token, by whichever process or code path runs it
-- (the server, the CLI, another instance). A provider remembers the active
-- tokens it has read for as long as the epoch has not moved.
CREATE TABLE oidc_token_epoch (
    id   INTEGER PRIMARY KEY CHECK (id = 1),
    seq  BIGINT NOT NULL
);
INSERT INTO oidc_token_epoch (id, seq) VALUES (1, 0);
CREATE FUNCTION oidc_token_epoch_bump() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE oidc_token_epoch SET seq = seq + 1 WHERE id = 1;
    RETURN NULL;
END $$;
CREATE TRIGGER oidc_tokens_revoked AFTER UPDATE OF revoked ON oidc_tokens
    FOR EACH STATEMENT EXECUTE FUNCTION oidc_token_epoch_bump();
CREATE TRIGGER oidc_tokens_deleted AFTER DELETE ON oidc_tokens
    FOR EACH STATEMENT EXECUTE FUNCTION oidc_token_epoch_bump();
