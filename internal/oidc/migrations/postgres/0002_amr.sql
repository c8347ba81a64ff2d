-- The authentication methods (amr) of the session that completed a request.
ALTER TABLE oidc_auth_requests ADD COLUMN amr TEXT NOT NULL DEFAULT '';
