-- The methods a session was signed in with (RFC 8176 values, space
-- separated: pwd, otp, mfa), given to relying parties as amr.
ALTER TABLE eid_sessions ADD COLUMN amr TEXT NOT NULL DEFAULT 'pwd';

-- Authentication methods the holder locked (password, totp, code): a
-- locked method is refused until the holder unlocks it.
CREATE TABLE eid_method_locks (
    account_id  BIGINT NOT NULL REFERENCES eid_accounts(id),
    method      TEXT NOT NULL,
    locked_at   TEXT NOT NULL,
    PRIMARY KEY (account_id, method)
);
