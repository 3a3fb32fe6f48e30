-- Chains and outlets: the registry the service serves. Imported from data/*.csv on first start.
CREATE TABLE chains (
    id        TEXT PRIMARY KEY,
    name      TEXT NOT NULL,
    category  TEXT NOT NULL,
    k_group   INTEGER NOT NULL,
    colour    TEXT NOT NULL,
    icon      TEXT NOT NULL
);

CREATE TABLE outlets (
    id            INTEGER PRIMARY KEY,
    name          TEXT NOT NULL,
    chain         TEXT NOT NULL REFERENCES chains(id),
    kind          TEXT NOT NULL,
    street        TEXT NOT NULL,
    postal_code   TEXT NOT NULL,
    city          TEXT NOT NULL,
    municipality  TEXT NOT NULL,
    lat           DOUBLE PRECISION NOT NULL,
    lon           DOUBLE PRECISION NOT NULL,
    phone         TEXT NOT NULL,
    opening_hours TEXT NOT NULL,
    services      TEXT NOT NULL,
    closed        INTEGER NOT NULL DEFAULT 0,
    updated_at    TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
);
