-- On SQLite this migration moves the audit log to a file of its own (see the
-- SQLite migration of the same number). PostgreSQL has no such need: a
-- commit does not empty other sessions' buffers. Nothing changes.
SELECT 1;
