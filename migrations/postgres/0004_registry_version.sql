-- A counter bumped by every change of the registry, so that several `storenet serve` instances on
-- one database notice another instance's outlet writes (each polls it; see src/http/sync.rs).
-- One bump per statement, not per row: an import of thousands of outlets is one bump.
CREATE TABLE registry_version (
    id      INTEGER PRIMARY KEY CHECK (id = 1),
    version BIGINT NOT NULL
);
INSERT INTO registry_version (id, version) VALUES (1, 0);

CREATE FUNCTION bump_registry_version() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE registry_version SET version = version + 1 WHERE id = 1;
    RETURN NULL;
END
$$;

CREATE TRIGGER outlets_version AFTER INSERT OR UPDATE OR DELETE ON outlets
    FOR EACH STATEMENT EXECUTE FUNCTION bump_registry_version();
CREATE TRIGGER chains_version AFTER INSERT OR UPDATE OR DELETE ON chains
    FOR EACH STATEMENT EXECUTE FUNCTION bump_registry_version();
