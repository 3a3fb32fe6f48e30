-- The loyalty ledger: households, cards, purchases, returns, double-entry entries, cached
-- balances, campaigns, month ends, statements and offers. Append-only apart from the caches
-- (ledger_balances, ledger_programme, ledger_purchases.returned), which `ledger verify` rebuilds.
-- No foreign keys to the registry tables: the ledger stands alone.

CREATE TABLE ledger_households (
    id            INTEGER PRIMARY KEY,
    segments      TEXT NOT NULL,
    chosen_chains TEXT NOT NULL,
    created_at    INTEGER NOT NULL
);

CREATE TABLE ledger_cards (
    id         INTEGER PRIMARY KEY,
    household  INTEGER NOT NULL REFERENCES ledger_households(id),
    holder     TEXT NOT NULL,
    kind       TEXT NOT NULL,
    created_at INTEGER NOT NULL
);

-- Cached balances of each household: points and Plussa money (cents).
CREATE TABLE ledger_balances (
    household INTEGER PRIMARY KEY,
    points    INTEGER NOT NULL,
    money     INTEGER NOT NULL
);

-- Cached balances of the programme's own accounts.
CREATE TABLE ledger_programme (
    account TEXT PRIMARY KEY,
    unit    TEXT NOT NULL,
    balance INTEGER NOT NULL
) WITHOUT ROWID;

CREATE TABLE ledger_purchases (
    key             BLOB PRIMARY KEY,
    hash            INTEGER NOT NULL,
    household       INTEGER NOT NULL,
    card            INTEGER NOT NULL,
    outlet          INTEGER NOT NULL,
    chain           TEXT NOT NULL,
    amount          INTEGER NOT NULL CHECK (amount > 0),
    ineligible      INTEGER NOT NULL CHECK (ineligible >= 0 AND ineligible <= amount),
    at              INTEGER NOT NULL,
    points          INTEGER NOT NULL,
    campaign_points INTEGER NOT NULL,
    returned        INTEGER NOT NULL DEFAULT 0
) WITHOUT ROWID;
CREATE INDEX ledger_purchases_at ON ledger_purchases(at);

CREATE TABLE ledger_returns (
    key               BLOB PRIMARY KEY,
    hash              INTEGER NOT NULL,
    purchase          BLOB NOT NULL,
    household         INTEGER NOT NULL,
    amount            INTEGER NOT NULL CHECK (amount > 0),
    eligible          INTEGER NOT NULL,
    points            INTEGER NOT NULL,
    campaign_points   INTEGER NOT NULL,
    at                INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX ledger_returns_purchase ON ledger_returns(purchase);
CREATE INDEX ledger_returns_at ON ledger_returns(at);

-- Every movement: `amount` (> 0, in `unit`) moves from account `src` to account `dst`.
-- Accounts are `household/{id}/points`, `household/{id}/money` or `programme/{name}`.
CREATE TABLE ledger_entries (
    id          INTEGER PRIMARY KEY,
    key         BLOB,
    kind        TEXT NOT NULL,
    unit        TEXT NOT NULL,
    src         TEXT NOT NULL,
    dst         TEXT NOT NULL,
    amount      INTEGER NOT NULL CHECK (amount > 0),
    household   INTEGER NOT NULL,
    at          INTEGER NOT NULL,
    valid_until INTEGER
);
CREATE INDEX ledger_entries_money ON ledger_entries(household) WHERE unit = 'cents';

-- Idempotency of the writes that are not purchases or returns.
CREATE TABLE ledger_requests (
    key    BLOB PRIMARY KEY,
    kind   TEXT NOT NULL,
    hash   INTEGER NOT NULL,
    result TEXT NOT NULL
) WITHOUT ROWID;

CREATE TABLE ledger_campaigns (
    key          BLOB PRIMARY KEY,
    chain        TEXT NOT NULL,
    title        TEXT NOT NULL,
    starts       INTEGER NOT NULL,
    ends         INTEGER NOT NULL,
    multiplier   INTEGER NOT NULL,
    fixed_points INTEGER NOT NULL
) WITHOUT ROWID;

CREATE TABLE ledger_month_ends (
    month     TEXT PRIMARY KEY,
    report    TEXT NOT NULL,
    closed_at INTEGER NOT NULL
);

CREATE TABLE ledger_statements (
    household INTEGER NOT NULL,
    month     TEXT NOT NULL,
    body      TEXT NOT NULL,
    PRIMARY KEY (household, month)
) WITHOUT ROWID;

CREATE TABLE ledger_offers (
    id         TEXT PRIMARY KEY,
    level      TEXT NOT NULL,
    target     TEXT NOT NULL,
    body       TEXT NOT NULL,
    valid_from TEXT NOT NULL,
    valid_to   TEXT NOT NULL
);
CREATE INDEX ledger_offers_target ON ledger_offers(level, target);
