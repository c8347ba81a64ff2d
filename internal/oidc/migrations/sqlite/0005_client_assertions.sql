-- The ids (jti) of the client assertions (private_key_jwt) the token,
-- introspection, revocation and PAR endpoints took, each until its expiry:
-- an assertion is used once (OpenID Connect Core §9, RFC 7523 §3).
CREATE TABLE oidc_client_assertions (
    client_id   TEXT NOT NULL,
    jti         TEXT NOT NULL,
    expires_at  TEXT NOT NULL,
    PRIMARY KEY (client_id, jti)
);
CREATE INDEX oidc_client_assertions_expiry ON oidc_client_assertions (expires_at);
