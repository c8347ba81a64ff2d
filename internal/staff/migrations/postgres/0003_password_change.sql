-- An account whose password was set by someone else (an administrator
-- creating it or resetting it) must change it at its next sign-in.
ALTER TABLE staff ADD COLUMN must_change_password INTEGER NOT NULL DEFAULT 0;
