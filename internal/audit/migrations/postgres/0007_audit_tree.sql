-- The audit log as a Merkle tree log (RFC 6962; see internal/audit, tree.go).
-- audit_tree: how many entries the tree holds, the id of the last one, and
-- its root hash. audit_tiles: the tree's hashes in tiles of 256 (height 8),
-- per level; a level-0 tile also lists its entries' ids (the first, then
-- uvarint differences). audit_checkpoints: signed tree heads.
-- audit_signer: the checkpoint key, sealed by the master key.
-- Existing entries are added to the tree by the integrator after the upgrade.
CREATE TABLE audit_tree (
    id    INTEGER PRIMARY KEY CHECK (id = 1),
    size  BIGINT NOT NULL,
    upto  BIGINT NOT NULL,
    root  BYTEA NOT NULL
);
INSERT INTO audit_tree (id, size, upto, root) VALUES (1, 0, 0, '');
CREATE TABLE audit_tiles (
    level     INTEGER NOT NULL,
    idx       BIGINT NOT NULL,
    hashes    BYTEA NOT NULL,
    first_id  BIGINT NOT NULL,
    ids       BYTEA,
    PRIMARY KEY (level, idx)
);
CREATE INDEX audit_tiles_first ON audit_tiles (first_id) WHERE level = 0;
CREATE TABLE audit_checkpoints (
    size  BIGINT PRIMARY KEY,
    root  BYTEA NOT NULL,
    note  TEXT NOT NULL,
    at    TEXT NOT NULL
);
CREATE TABLE audit_signer (
    id        INTEGER PRIMARY KEY CHECK (id = 1),
    verifier  TEXT NOT NULL,
    sealed    TEXT NOT NULL
);
