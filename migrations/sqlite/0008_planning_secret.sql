-- The secret every planning figure's cell keys derive from (src/density/secret.rs): one row, 64
-- lowercase hex digits (256 bits). The first instance (or `storenet plan`) that needs it inserts a
-- fresh random one with ON CONFLICT DO NOTHING and reads back whichever row won, so every instance
-- on this database, even ones starting at the same moment, perturbs every figure the same way.
-- Never updated or deleted by storenet: a second secret would give an attacker a second,
-- independent draw of every figure.
CREATE TABLE planning_secret (
    id         INTEGER PRIMARY KEY CHECK (id = 1),
    secret     TEXT NOT NULL CHECK (length(secret) = 64 AND secret NOT GLOB '*[^0-9a-f]*'),
    created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now'))
);
