-- Evidence of each exchange forwarded to a member's own service: the
-- request's and the response's hashes (SHA-512, base64), the platform's
-- JWS over each (compact, ES256 with the exchange CA's key), the client's
-- and the provider's own JWS when they sent one, the times and the status;
-- never the bodies. Either party downloads it by its id.
CREATE TABLE exchange_evidence (
    id                  TEXT PRIMARY KEY,
    request_id          TEXT NOT NULL,
    client_id           TEXT NOT NULL,
    service_id          TEXT NOT NULL,
    provider_id         TEXT NOT NULL,
    request_hash        TEXT NOT NULL,
    response_hash       TEXT NOT NULL,
    request_signature   TEXT NOT NULL,
    response_signature  TEXT NOT NULL,
    provider_signature  TEXT NOT NULL,
    client_signature    TEXT NOT NULL,
    status              INTEGER NOT NULL,
    requested_at        TEXT NOT NULL,
    responded_at        TEXT NOT NULL
);
CREATE INDEX exchange_evidence_client ON exchange_evidence (client_id);
CREATE INDEX exchange_evidence_provider ON exchange_evidence (provider_id);
