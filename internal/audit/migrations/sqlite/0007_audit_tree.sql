-- The audit log as a Merkle tree log (RFC 6962; see internal/audit, tree.go).
-- audit_tree: how many entries the tree holds, the id of the last one, and
-- its root hash. audit_tiles: the tree's hashes in tiles of 256 (height 8),
-- per level; a level-0 tile also lists its entries' ids (the first, then
-- uvarint differences). audit_checkpoints: signed tree heads.
-- audit_signer: the checkpoint key, sealed by the master key.
-- Existing entries are added to the tree by the integrator after the upgrade.
CREATE TABLE audit.audit_tree (
    id    INTEGER PRIMARY KEY CHECK (id = 1),
    size  INTEGER NOT NULL,
    upto  INTEGER NOT NULL,
    root  BLOB NOT NULL
);
INSERT INTO audit.audit_tree (id, size, upto, root) VALUES (1, 0, 0, x'');
CREATE TABLE audit.audit_tiles (
    level     INTEGER NOT NULL,
    idx       INTEGER NOT NULL,
    hashes    BLOB NOT NULL,
    first_id  INTEGER NOT NULL,
    ids       BLOB,
    PRIMARY KEY (level, idx)
);
CREATE INDEX audit.audit_tiles_first ON audit_tiles (first_id) WHERE level = 0;
CREATE TABLE audit.audit_checkpoints (
    size  INTEGER PRIMARY KEY,
    root  BLOB NOT NULL,
    note  TEXT NOT NULL,
    at    TEXT NOT NULL
);
CREATE TABLE audit.audit_signer (
    id        INTEGER PRIMARY KEY CHECK (id = 1),
    verifier  TEXT NOT NULL,
    sealed    TEXT NOT NULL
);
