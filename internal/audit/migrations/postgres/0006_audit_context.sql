-- Why an access was made, for the data-exchange platform and "who used my
-- data": the purpose stated (X-Road-Issue), its legal basis, the citizen's
-- consent that allowed it, the request's id (X-Road-Id), and the names of
-- the fields disclosed, comma-separated: never their values. Empty for
-- accesses that state none (an officer's read in the register's pages).
ALTER TABLE audit_log ADD COLUMN purpose TEXT NOT NULL DEFAULT '';
ALTER TABLE audit_log ADD COLUMN legal_basis TEXT NOT NULL DEFAULT '';
ALTER TABLE audit_log ADD COLUMN consent TEXT NOT NULL DEFAULT '';
ALTER TABLE audit_log ADD COLUMN request TEXT NOT NULL DEFAULT '';
ALTER TABLE audit_log ADD COLUMN fields TEXT NOT NULL DEFAULT '';
