-- The whole open registry (chains and open outlets) in one row, for a fast load
-- (`Store::load_registry`). It is a cache: valid only while `version` equals
-- registry_version.version, which the triggers of migration 0004 bump on every change, so any
-- change (by any process, even by hand in SQL) makes it stale and the next load reads the tables
-- and writes it again.
CREATE TABLE registry_snapshot (
    id      INTEGER PRIMARY KEY CHECK (id = 1),
    version BIGINT NOT NULL,
    body    BYTEA NOT NULL
);
