-- Purchases' points wait here, one row per household, before they move into ledger_balances.
--
-- A batch of 10,000 purchases touches about as many households. Among the network's 2.2 million
-- households, moving each one's row in ledger_balances rewrote thousands of the table's pages
-- per batch (SQLite writes whole pages to its WAL), and ingest ran at a fifth of its speed over a
-- small population. This table stays small, so a batch rewrites few pages; the writer moves its
-- rows into ledger_balances in one pass, in household order, once it holds enough of them, and
-- month-end moves them all first. On PostgreSQL, whose WAL logs rows rather than pages, purchases
-- move ledger_balances directly (several instances share it: see `post::defers_points`), and
-- this table stays empty. A household's balance is the sum of both tables: the view
-- ledger_balances_now.
CREATE TABLE ledger_points_pending (
    household BIGINT PRIMARY KEY,
    points    BIGINT NOT NULL
);

CREATE VIEW ledger_balances_now (household, points, money) AS
    SELECT b.household, b.points + COALESCE(p.points, 0), b.money
    FROM ledger_balances b LEFT JOIN ledger_points_pending p ON p.household = b.household;
