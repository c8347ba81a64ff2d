-- A random salt of each entry (32 hex digits, 128 bits), part of its leaf
-- in the tree and never shown to the person: a redacted proof (the leaf's
-- hash, and its neighbours' in the path) cannot be tested against guesses
-- of the columns it hides (the officer, the address). Empty for entries
-- written before, whose leaves stay as they were.
ALTER TABLE audit.audit_log ADD COLUMN salt TEXT NOT NULL DEFAULT '';
