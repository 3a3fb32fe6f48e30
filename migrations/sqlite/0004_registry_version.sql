-- A counter bumped by every change of the registry, so that several `storenet serve` instances on
-- one database notice another instance's outlet writes (each polls it; see src/http/sync.rs).
CREATE TABLE registry_version (
    id      INTEGER PRIMARY KEY CHECK (id = 1),
    version INTEGER NOT NULL
);
INSERT INTO registry_version (id, version) VALUES (1, 0);

CREATE TRIGGER outlets_ins_version AFTER INSERT ON outlets
BEGIN UPDATE registry_version SET version = version + 1 WHERE id = 1; END;
CREATE TRIGGER outlets_upd_version AFTER UPDATE ON outlets
BEGIN UPDATE registry_version SET version = version + 1 WHERE id = 1; END;
CREATE TRIGGER outlets_del_version AFTER DELETE ON outlets
BEGIN UPDATE registry_version SET version = version + 1 WHERE id = 1; END;
CREATE TRIGGER chains_ins_version AFTER INSERT ON chains
BEGIN UPDATE registry_version SET version = version + 1 WHERE id = 1; END;
CREATE TRIGGER chains_upd_version AFTER UPDATE ON chains
BEGIN UPDATE registry_version SET version = version + 1 WHERE id = 1; END;
CREATE TRIGGER chains_del_version AFTER DELETE ON chains
BEGIN UPDATE registry_version SET version = version + 1 WHERE id = 1; END;
