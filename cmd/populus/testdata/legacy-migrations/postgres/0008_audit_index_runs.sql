-- On SQLite this migration makes the audit log's batch subject index
-- log-structured (see the SQLite migration of the same number). PostgreSQL
-- keeps audit_log_subject, maintained row by row. Nothing changes.
SELECT 1;
