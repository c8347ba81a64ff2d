-- The uses counted against a consent's frequency that have a name (a change
-- event's id): the same use again (a delivery retried, or sent on a second
-- channel) is not counted twice in a period. Rows of past periods are
-- pruned as the consent is used.
CREATE TABLE consent_use_keys (
    consent_id  TEXT NOT NULL REFERENCES consent_records (id),
    period      TEXT NOT NULL,
    use_key     TEXT NOT NULL,
    PRIMARY KEY (consent_id, period, use_key)
);
