-- What ended a consent other than its holder's withdrawal: 'death' when
-- the holder's death, registered, ended it (revoked_at is then the moment
-- of the registration); empty otherwise.
ALTER TABLE consent_records ADD COLUMN ended_by TEXT NOT NULL DEFAULT '';
