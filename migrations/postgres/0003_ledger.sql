-- The loyalty ledger: households, cards, purchases, returns, double-entry entries, cached
-- balances, campaigns, month ends, statements and offers. Append-only apart from the caches
-- (ledger_balances, ledger_programme, ledger_purchases.returned), which `ledger verify` rebuilds.
-- No foreign keys to the registry tables: the ledger stands alone.

CREATE TABLE ledger_households (
    id            BIGINT PRIMARY KEY,
    segments      TEXT NOT NULL,
    chosen_chains TEXT NOT NULL,
    created_at    BIGINT NOT NULL
);

CREATE TABLE ledger_cards (
    id         BIGINT PRIMARY KEY,
    household  BIGINT NOT NULL REFERENCES ledger_households(id),
    holder     TEXT NOT NULL,
    kind       TEXT NOT NULL,
    created_at BIGINT NOT NULL
);

-- Cached balances of each household: points and Plussa money (cents).
CREATE TABLE ledger_balances (
    household BIGINT PRIMARY KEY,
    points    BIGINT NOT NULL,
    money     BIGINT NOT NULL
);

-- Cached balances of the programme's own accounts.
CREATE TABLE ledger_programme (
    account TEXT PRIMARY KEY,
    unit    TEXT NOT NULL,
    balance BIGINT NOT NULL
);

CREATE TABLE ledger_purchases (
    key             BYTEA PRIMARY KEY,
    hash            BIGINT NOT NULL,
    household       BIGINT NOT NULL,
    card            BIGINT NOT NULL,
    outlet          BIGINT NOT NULL,
    chain           TEXT NOT NULL,
    amount          BIGINT NOT NULL CHECK (amount > 0),
    ineligible      BIGINT NOT NULL CHECK (ineligible >= 0 AND ineligible <= amount),
    at              BIGINT NOT NULL,
    points          BIGINT NOT NULL,
    campaign_points BIGINT NOT NULL,
    returned        BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX ledger_purchases_at ON ledger_purchases(at);

CREATE TABLE ledger_returns (
    key               BYTEA PRIMARY KEY,
    hash              BIGINT NOT NULL,
    purchase          BYTEA NOT NULL,
    household         BIGINT NOT NULL,
    amount            BIGINT NOT NULL CHECK (amount > 0),
    eligible          BIGINT NOT NULL,
    points            BIGINT NOT NULL,
    campaign_points   BIGINT NOT NULL,
    at                BIGINT NOT NULL
);
CREATE INDEX ledger_returns_purchase ON ledger_returns(purchase);
CREATE INDEX ledger_returns_at ON ledger_returns(at);

-- Every movement: `amount` (> 0, in `unit`) moves from account `src` to account `dst`.
-- Accounts are `household/{id}/points`, `household/{id}/money` or `programme/{name}`.
CREATE TABLE ledger_entries (
    id          BIGSERIAL PRIMARY KEY,
    key         BYTEA,
    kind        TEXT NOT NULL,
    unit        TEXT NOT NULL,
    src         TEXT NOT NULL,
    dst         TEXT NOT NULL,
    amount      BIGINT NOT NULL CHECK (amount > 0),
    household   BIGINT NOT NULL,
    at          BIGINT NOT NULL,
    valid_until BIGINT
);
CREATE INDEX ledger_entries_money ON ledger_entries(household) WHERE unit = 'cents';

-- Idempotency of the writes that are not purchases or returns.
CREATE TABLE ledger_requests (
    key    BYTEA PRIMARY KEY,
    kind   TEXT NOT NULL,
    hash   BIGINT NOT NULL,
    result TEXT NOT NULL
);

CREATE TABLE ledger_campaigns (
    key          BYTEA PRIMARY KEY,
    chain        TEXT NOT NULL,
    title        TEXT NOT NULL,
    starts       BIGINT NOT NULL,
    ends         BIGINT NOT NULL,
    multiplier   BIGINT NOT NULL,
    fixed_points BIGINT NOT NULL
);

CREATE TABLE ledger_month_ends (
    month     TEXT PRIMARY KEY,
    report    TEXT NOT NULL,
    closed_at BIGINT NOT NULL
);

CREATE TABLE ledger_statements (
    household BIGINT NOT NULL,
    month     TEXT NOT NULL,
    body      TEXT NOT NULL,
    PRIMARY KEY (household, month)
);

CREATE TABLE ledger_offers (
    id         TEXT PRIMARY KEY,
    level      TEXT NOT NULL,
    target     TEXT NOT NULL,
    body       TEXT NOT NULL,
    valid_from TEXT NOT NULL,
    valid_to   TEXT NOT NULL
);
CREATE INDEX ledger_offers_target ON ledger_offers(level, target);
