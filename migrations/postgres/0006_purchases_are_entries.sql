-- Purchases are their own journal entries. A purchase row moves `points`, and `campaign_points`
-- when a campaign applied, from programme/points-issued to its household's points; the copies
-- of those moves in ledger_entries (kinds `purchase` and `campaign`) doubled every purchase's
-- writes and are dropped. They held nothing the purchase rows do not: `ledger verify` compared
-- their sums with the purchases' all along.
--
-- ledger_journal is every entry, from both tables, in ledger_entries' shape: `ledger verify`
-- rebuilds the balances and checks the books from it.
DELETE FROM ledger_entries WHERE kind IN ('purchase', 'campaign');

CREATE VIEW ledger_journal (key, kind, unit, src, dst, amount, household, at, valid_until) AS
    SELECT key, kind, unit, src, dst, amount, household, at, valid_until FROM ledger_entries
    UNION ALL
    SELECT key, CAST('purchase' AS TEXT), CAST('points' AS TEXT), CAST('programme/points-issued' AS TEXT),
           'household/' || CAST(household AS TEXT) || '/points', points, household, at, CAST(NULL AS BIGINT)
    FROM ledger_purchases WHERE points > 0
    UNION ALL
    SELECT key, CAST('campaign' AS TEXT), CAST('points' AS TEXT), CAST('programme/points-issued' AS TEXT),
           'household/' || CAST(household AS TEXT) || '/points', campaign_points, household, at, CAST(NULL AS BIGINT)
    FROM ledger_purchases WHERE campaign_points > 0;
