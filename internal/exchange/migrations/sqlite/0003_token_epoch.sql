-- The epoch of the exchange's bearer tokens: counted up by every statement
-- that revokes or deletes a token, or changes or deletes a subsystem or a
-- member (a revocation, a new name), by whichever process runs it (the
-- server, the CLI). The exchange remembers the tokens it has read active,
-- with their subsystem and member, for as long as the epoch has not moved.
CREATE TABLE exchange_token_epoch (
    id   INTEGER PRIMARY KEY CHECK (id = 1),
    seq  INTEGER NOT NULL
);
INSERT INTO exchange_token_epoch (id, seq) VALUES (1, 0);
CREATE TRIGGER exchange_tokens_changed AFTER UPDATE ON exchange_tokens
BEGIN UPDATE exchange_token_epoch SET seq = seq + 1 WHERE id = 1; END;
CREATE TRIGGER exchange_tokens_deleted AFTER DELETE ON exchange_tokens
BEGIN UPDATE exchange_token_epoch SET seq = seq + 1 WHERE id = 1; END;
CREATE TRIGGER exchange_subsystems_changed AFTER UPDATE ON exchange_subsystems
BEGIN UPDATE exchange_token_epoch SET seq = seq + 1 WHERE id = 1; END;
CREATE TRIGGER exchange_subsystems_deleted AFTER DELETE ON exchange_subsystems
BEGIN UPDATE exchange_token_epoch SET seq = seq + 1 WHERE id = 1; END;
CREATE TRIGGER exchange_members_changed AFTER UPDATE ON exchange_members
BEGIN UPDATE exchange_token_epoch SET seq = seq + 1 WHERE id = 1; END;
CREATE TRIGGER exchange_members_deleted AFTER DELETE ON exchange_members
BEGIN UPDATE exchange_token_epoch SET seq = seq + 1 WHERE id = 1; END;
