-- The key a certificate certifies, by its RFC 7638 thumbprint (SHA-256,
-- base64url): revoking the certificate also removes the subsystem's key for
-- client assertions when it is the same key, whether it came with the
-- certificate or was registered before as a JWK. Empty for the
-- certificates issued before: those are matched by the key id the
-- certificate gave the key (its serial).
ALTER TABLE exchange_certificates ADD COLUMN key_thumbprint TEXT NOT NULL DEFAULT '';
