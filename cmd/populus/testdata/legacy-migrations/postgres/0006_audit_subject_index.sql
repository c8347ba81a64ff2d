-- On SQLite this migration replaces the audit log's row-by-row subject index
-- by one built in batches (see the SQLite migration of the same number).
-- PostgreSQL keeps audit_log_subject, maintained row by row: its buffer
-- manager absorbs the random index pages, and concurrent transactions commit
-- entry ids out of order, so a batch index that trusts "every id up to N is
-- committed" would miss entries there. Nothing changes.
SELECT 1;
