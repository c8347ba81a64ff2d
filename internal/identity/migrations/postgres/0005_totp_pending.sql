-- A new authenticator app enrolled while one is enabled waits here, sealed,
-- until confirmed with a code of it: the enabled one stays in force until
-- then (enrolling used to switch it off at once, before any confirmation).
ALTER TABLE eid_totp ADD COLUMN pending TEXT NOT NULL DEFAULT '';
