//! The ledger's writes over one transaction: purchases in bulk, returns, redemptions,
//! corrections, campaigns, households and cards. Every function validates before it writes, so a
//! refused write leaves nothing behind and the others of the batch go on.

use super::bulk;
use super::error::LedgerError;
use super::post::{self, post, Entry};
use super::rules::{Month, Rules};
use super::sql::{args, multi_values, Arg, Tx};
use super::types::*;
use chrono::{DateTime, Utc};
use rayon::prelude::*;
use serde::de::DeserializeOwned;
use serde::Serialize;
use std::collections::{HashMap, HashSet};
use uuid::Uuid;

/// A write's outcome inside a batch: the database failing (outer) aborts the batch; a refusal
/// (inner) is that write's own answer.
pub(crate) type Outcome<T> = Result<Result<Written<T>, LedgerError>, sqlx::Error>;

pub(crate) fn ms(t: DateTime<Utc>) -> i64 {
    t.timestamp_millis()
}

fn created<T>(value: T) -> Written<T> {
    Written {
        status: WriteStatus::Created,
        value,
    }
}

fn exists<T>(value: T) -> Written<T> {
    Written {
        status: WriteStatus::Exists,
        value,
    }
}

/// A campaign as the purchase path needs it.
#[derive(Debug, Clone)]
pub(crate) struct CampaignRow {
    chain: String,
    starts: i64,
    ends: i64,
    multiplier: i64,
    fixed: i64,
}

/// What a batch reads once: the latest closed month, campaigns, and the window of dates a write
/// may carry.
#[derive(Debug)]
pub(crate) struct Ctx {
    /// The latest month whose month end has run: it and every month before it are closed.
    latest_closed: Option<Month>,
    campaigns: Vec<CampaignRow>,
    /// The first instant a write may be dated at: the programme's first month, or the start of
    /// the month after the latest closed one.
    first_open: DateTime<Utc>,
    /// The last instant a write may be dated at: now plus the rules' `max_future_secs`.
    last_allowed: DateTime<Utc>,
    first_month: Month,
    max_future_secs: u32,
}

impl Ctx {
    pub(crate) async fn load(
        tx: &mut Tx,
        rules: &Rules,
        now: DateTime<Utc>,
    ) -> Result<Ctx, sqlx::Error> {
        let latest_closed = latest_closed(tx).await?;
        let mut campaigns = Vec::new();
        let rows = tx
            .fetch(
                "SELECT chain, starts, ends, multiplier, fixed_points FROM ledger_campaigns",
                vec![],
            )
            .await?;
        for r in rows {
            campaigns.push(CampaignRow {
                chain: r.text(0)?,
                starts: r.i64(1)?,
                ends: r.i64(2)?,
                multiplier: r.i64(3)?,
                fixed: r.i64(4)?,
            });
        }
        let first_open = match latest_closed {
            Some(m) if m >= rules.first_month => m.end(),
            _ => rules.first_month.start(),
        };
        let last_allowed = now
            .checked_add_signed(chrono::TimeDelta::seconds(i64::from(rules.max_future_secs)))
            .unwrap_or(now);
        Ok(Ctx {
            latest_closed,
            campaigns,
            first_open,
            last_allowed,
            first_month: rules.first_month,
            max_future_secs: rules.max_future_secs,
        })
    }

    /// Campaign points of a purchase with `base` points; `None` if they do not fit 64 bits.
    fn campaign_points(&self, chain: &str, at: i64, base: i64) -> Option<i64> {
        self.campaigns
            .iter()
            .filter(|c| c.chain == chain && at >= c.starts && at < c.ends)
            .try_fold(0i64, |sum, c| {
                base.checked_mul((c.multiplier - 1).max(0))?
                    .checked_add(c.fixed)?
                    .checked_add(sum)
            })
    }

    pub(crate) fn note_campaign(&mut self, c: &Campaign) {
        let (multiplier, fixed) = match c.extra {
            Extra::Multiplier(m) => (m as i64, 0),
            Extra::Fixed(f) => (1, f as i64),
        };
        self.campaigns.push(CampaignRow {
            chain: c.chain.as_str().to_string(),
            starts: ms(c.starts),
            ends: ms(c.ends),
            multiplier,
            fixed,
        });
    }

    /// Refuses a write dated `at` outside an open month: in or before a month whose month end has
    /// run ([`LedgerError::MonthClosed`]), before the programme's first month, or more than the
    /// rules' `max_future_secs` ahead of now (both [`LedgerError::Invalid`], field `at`).
    pub(crate) fn check_open(&self, at: DateTime<Utc>) -> Result<(), LedgerError> {
        if at > self.last_allowed {
            return Err(LedgerError::invalid(
                "at",
                format!(
                    "{} is in the future: a write may be dated at most {} s ahead of the ledger's clock",
                    at.to_rfc3339(),
                    self.max_future_secs
                ),
            ));
        }
        if at >= self.first_open {
            return Ok(());
        }
        match self.latest_closed {
            Some(_) if Month::of(at) >= self.first_month => {
                Err(LedgerError::MonthClosed(Month::of(at).to_string()))
            }
            _ => Err(LedgerError::invalid(
                "at",
                format!(
                    "{} is before the programme's first month {}",
                    at.to_rfc3339(),
                    self.first_month
                ),
            )),
        }
    }
}

/// The latest month whose month end has run.
pub(crate) async fn latest_closed(tx: &mut Tx) -> Result<Option<Month>, sqlx::Error> {
    let mut latest: Option<Month> = None;
    for r in tx
        .fetch("SELECT month FROM ledger_month_ends", vec![])
        .await?
    {
        if let Ok(m) = r.text(0)?.parse::<Month>() {
            latest = latest.max(Some(m));
        }
    }
    Ok(latest)
}

/// What the writer keeps between batches.
#[derive(Debug, Default)]
pub(crate) struct Cache {
    /// Card → household: the cards the writer enrolled or looked up, and every stored card once
    /// the writer has read them all. Safe to keep: a card never changes household.
    pub(crate) cards: HashMap<i64, i64>,
    /// The writer should read every card again (its cards were forgotten, or it just started).
    pub(crate) reload_cards: bool,
    /// About how many households the pending points table holds (see `bulk::move_points`);
    /// `None` until counted.
    pub(crate) pending: Option<u64>,
}

impl Cache {
    /// After a transaction that did not commit. What it counted of the pending table is
    /// unknown. If it wrote cards, the households it looked up for them inside the transaction
    /// may not be stored: every card is forgotten and read again. Cards looked up by any other
    /// transaction were stored before it began, so they stay.
    pub(crate) fn rolled_back(&mut self, wrote_cards: bool) {
        self.pending = None;
        if wrote_cards {
            self.cards.clear();
            self.reload_cards = true;
        }
    }
}

fn validate_purchase(rules: &Rules, p: &Purchase) -> Result<(), LedgerError> {
    Rules::check_amount(p.amount_cents, rules.max_purchase_cents)
        .map_err(|reason| LedgerError::invalid("amount_cents", reason))?;
    if p.ineligible_cents < 0 || p.ineligible_cents > p.amount_cents {
        return Err(LedgerError::invalid(
            "ineligible_cents",
            format!(
                "{} is not within 0..={}",
                p.ineligible_cents, p.amount_cents
            ),
        ));
    }
    Ok(())
}

/// PostgreSQL batches at least this large try the insert before looking keys up (see
/// [`purchases`]); a smaller one looks up first, which takes fewer statements.
const OPTIMISTIC_MIN: usize = 16;

/// One answer per purchase of a batch, and the new ones to write.
type Plan<'a> = (
    Vec<Result<Written<PurchaseReceipt>, LedgerError>>,
    Vec<bulk::Fresh<'a>>,
);

/// Records purchases in bulk; one answer per item, in order.
///
/// On PostgreSQL a resend is rare, so a large batch is first written as if every key were new:
/// `ON CONFLICT DO NOTHING` skips a stored one, and only if the insert wrote fewer rows than it
/// was given is it undone (to a savepoint) and the batch planned again with every key looked
/// up. Items refused before the insert (an unknown card, a closed month) are looked up first: a
/// resend of a stored purchase answers "exists" even when it could no longer be written.
/// Measured with `benches/ledger.sh`: 92k -> 96k purchases/s in arrival order, 68k -> 95k for a
/// random-order backfill. SQLite looks up first, stored purchases and other writes' keys in one
/// statement ([`bulk::taken`]): its savepoint copies every page the insert first touches (a
/// backfill went 82k -> 70k) and its lookup of keys the insert then writes is cheap (215k
/// either way).
pub(crate) async fn purchases(
    tx: &mut Tx,
    rules: &Rules,
    cache: &mut Cache,
    ctx: &Ctx,
    items: &[&Purchase],
) -> Result<Vec<Result<Written<PurchaseReceipt>, LedgerError>>, sqlx::Error> {
    let keys: Vec<Vec<u8>> = items.iter().map(|p| p.key.as_bytes().to_vec()).collect();
    // SHA-256 of each purchase's JSON: spread over the cores while the database waits.
    let hashes = items
        .par_iter()
        .with_min_len(HASHES_PER_TASK)
        .map(|p| content_hash("purchase", p))
        .collect();
    cache_cards(tx, cache, items).await?;
    // SQLite: the stored purchases and the keys other writes took, in one statement. PostgreSQL:
    // the other writes' keys now, the stored purchases only if the optimistic insert needs them.
    let (stored, foreign) = if tx.is_postgres() {
        (None, bulk::foreign_keys(tx, &keys).await?)
    } else {
        let (stored, foreign) = bulk::taken(tx, &keys, true).await?;
        (Some(stored), foreign)
    };
    let batch = Batch {
        items,
        keys: &keys,
        hashes,
        foreign,
    };
    let plan = |stored: &bulk::Stored| batch.plan(rules, &cache.cards, ctx, stored);
    if stored.is_none() && items.len() >= OPTIMISTIC_MIN {
        let (mut out, mut fresh) = plan(&bulk::Stored::new());
        let refused: Vec<Vec<u8>> = out
            .iter()
            .zip(&keys)
            .filter(|(a, _)| matches!(a, Err(e) if !matches!(e, LedgerError::Conflict(_))))
            .map(|(_, k)| k.clone())
            .collect();
        if !refused.is_empty() {
            (out, fresh) = plan(&bulk::stored_purchases(tx, &refused).await?);
        }
        tx.exec("SAVEPOINT ledger_purchases", vec![]).await?;
        if bulk::insert(tx, &fresh, true).await? == fresh.len() as u64 {
            tx.exec("RELEASE SAVEPOINT ledger_purchases", vec![])
                .await?;
            bulk::move_points(tx, &mut cache.pending, &fresh).await?;
            return Ok(out);
        }
        // Some keys were stored already: undo and plan again knowing every stored key.
        tx.exec("ROLLBACK TO SAVEPOINT ledger_purchases", vec![])
            .await?;
        tx.exec("RELEASE SAVEPOINT ledger_purchases", vec![])
            .await?;
    }
    let stored = match stored {
        Some(stored) => stored,
        None => bulk::stored_purchases(tx, &keys).await?,
    };
    let (out, fresh) = plan(&stored);
    bulk::insert(tx, &fresh, false).await?;
    bulk::move_points(tx, &mut cache.pending, &fresh).await?;
    Ok(out)
}

/// Purchases hashed per rayon task: a single purchase is hashed where it is.
const HASHES_PER_TASK: usize = 256;

/// Looks up the household of every card of `items` not cached yet.
async fn cache_cards(
    tx: &mut Tx,
    cache: &mut Cache,
    items: &[&Purchase],
) -> Result<(), sqlx::Error> {
    let missing: Vec<i64> = {
        let mut seen = HashSet::new();
        items
            .iter()
            .map(|p| p.card.0)
            .filter(|c| !cache.cards.contains_key(c) && seen.insert(*c))
            .collect()
    };
    for r in tx
        .fetch_ids("SELECT id, household FROM ledger_cards", &missing)
        .await?
    {
        cache.cards.insert(r.i64(0)?, r.i64(1)?);
    }
    Ok(())
}

/// A batch of purchases with their keys, content hashes and the keys other writes took.
struct Batch<'a> {
    items: &'a [&'a Purchase],
    keys: &'a [Vec<u8>],
    hashes: Vec<i64>,
    foreign: HashSet<Uuid>,
}

impl<'a> Batch<'a> {
    /// Answers every item given the purchases `stored` under its keys, and lists the new
    /// purchases to write. A key repeated inside the batch answers like a stored one after its
    /// first copy.
    fn plan(
        &self,
        rules: &Rules,
        cards: &HashMap<i64, i64>,
        ctx: &Ctx,
        stored: &bulk::Stored,
    ) -> Plan<'a> {
        let (items, keys, hashes, foreign) = (self.items, self.keys, &self.hashes, &self.foreign);
        let mut seen: HashMap<Uuid, (i64, PurchaseReceipt)> = HashMap::new();
        let mut out = Vec::with_capacity(items.len());
        let mut fresh: Vec<bulk::Fresh> = Vec::with_capacity(items.len());
        for (i, p) in items.iter().enumerate() {
            let answer = (|| {
                if let Some((h, receipt)) = stored.get(&p.key).or_else(|| seen.get(&p.key)) {
                    return if *h == hashes[i] {
                        Ok(exists(*receipt))
                    } else {
                        Err(LedgerError::Conflict(p.key.to_string()))
                    };
                }
                if foreign.contains(&p.key) {
                    return Err(LedgerError::Conflict(p.key.to_string()));
                }
                validate_purchase(rules, p)?;
                let household = *cards
                    .get(&p.card.0)
                    .ok_or(LedgerError::UnknownCard(p.card))?;
                ctx.check_open(p.at)?;
                let points = rules.base_points(p.amount_cents - p.ineligible_cents);
                let campaign_points = ctx
                    .campaign_points(p.chain.as_str(), ms(p.at), points)
                    .ok_or_else(|| {
                        LedgerError::invalid(
                            "amount_cents",
                            "the campaign points of this purchase do not fit 64 bits",
                        )
                    })?;
                Ok(created(PurchaseReceipt {
                    household: HouseholdId(household),
                    points,
                    campaign_points,
                }))
            })();
            if let Ok(w) = &answer {
                if w.status == WriteStatus::Created {
                    seen.insert(p.key, (hashes[i], w.value));
                    fresh.push(bulk::Fresh {
                        purchase: p,
                        key: &keys[i],
                        hash: hashes[i],
                        receipt: w.value,
                    });
                }
            }
            out.push(answer);
        }
        (out, fresh)
    }
}

/// Is `key` taken by a purchase or return (for writes kept in `ledger_requests`)?
async fn key_taken_elsewhere(tx: &mut Tx, key: Uuid) -> Result<bool, sqlx::Error> {
    Ok(tx
        .one(
            "SELECT 1 FROM ledger_purchases WHERE key = $1 UNION ALL SELECT 1 FROM ledger_returns WHERE key = $1",
            args![key],
        )
        .await?
        .is_some())
}

/// The stored answer of a keyed write, if the key was used.
async fn stored_request<T: DeserializeOwned>(
    tx: &mut Tx,
    key: Uuid,
    kind: &str,
    hash: i64,
) -> Result<Option<Result<Written<T>, LedgerError>>, LedgerError> {
    if let Some(r) = tx
        .one(
            "SELECT kind, hash, result FROM ledger_requests WHERE key = $1",
            args![key],
        )
        .await?
    {
        if r.text(0)? == kind && r.i64(1)? == hash {
            let value: T = serde_json::from_str(&r.text(2)?)?;
            return Ok(Some(Ok(exists(value))));
        }
        return Ok(Some(Err(LedgerError::Conflict(key.to_string()))));
    }
    if key_taken_elsewhere(tx, key).await? {
        return Ok(Some(Err(LedgerError::Conflict(key.to_string()))));
    }
    Ok(None)
}

async fn record_request<T: Serialize>(
    tx: &mut Tx,
    key: Uuid,
    kind: &str,
    hash: i64,
    value: &T,
) -> Result<(), LedgerError> {
    tx.exec(
        "INSERT INTO ledger_requests (key, kind, hash, result) VALUES ($1, $2, $3, $4)",
        args![key, kind, hash, serde_json::to_string(value)?],
    )
    .await?;
    Ok(())
}

/// Splits a database failure (abort the batch) from a refusal (this write's answer).
fn split<T>(r: Result<Written<T>, LedgerError>) -> Outcome<T> {
    match r {
        Err(LedgerError::Db(e)) => Err(e),
        other => Ok(other),
    }
}

fn lock_suffix(tx: &Tx) -> &'static str {
    // SQLite's BEGIN IMMEDIATE already serialises writers; PostgreSQL instances need the row lock.
    if tx.is_postgres() {
        " FOR UPDATE"
    } else {
        ""
    }
}

async fn balance_of(tx: &mut Tx, h: HouseholdId) -> Result<Option<Balance>, sqlx::Error> {
    // The balance row alone is locked; PostgreSQL never defers points (`post::defers_points`), so
    // there the pending table is empty.
    let sql = format!(
        "SELECT b.points + COALESCE((SELECT p.points FROM ledger_points_pending p \
           WHERE p.household = b.household), 0), b.money \
         FROM ledger_balances b WHERE b.household = $1{}",
        lock_suffix(tx)
    );
    Ok(match tx.one(&sql, args![h.0]).await? {
        Some(r) => Some(Balance {
            household: h,
            points: r.i64(0)?,
            money_cents: r.i64(1)?,
        }),
        None => None,
    })
}

/// A return: reverses the purchase's points in proportion, cumulatively exact.
pub(crate) async fn return_goods(
    tx: &mut Tx,
    rules: &Rules,
    ctx: &Ctx,
    r: &Return,
) -> Outcome<ReturnReceipt> {
    split(return_inner(tx, rules, ctx, r).await)
}

async fn return_inner(
    tx: &mut Tx,
    rules: &Rules,
    ctx: &Ctx,
    r: &Return,
) -> Result<Written<ReturnReceipt>, LedgerError> {
    let hash = content_hash("return", r);
    if let Some(row) = tx
        .one(
            "SELECT hash, household, points, campaign_points, eligible FROM ledger_returns WHERE key = $1",
            args![r.key],
        )
        .await?
    {
        if row.i64(0)? != hash {
            return Err(LedgerError::Conflict(r.key.to_string()));
        }
        return Ok(exists(ReturnReceipt {
            household: HouseholdId(row.i64(1)?),
            points: row.i64(2)?,
            campaign_points: row.i64(3)?,
            eligible_cents: row.i64(4)?,
        }));
    }
    let taken = tx
        .one(
            "SELECT 1 FROM ledger_purchases WHERE key = $1 UNION ALL SELECT 1 FROM ledger_requests WHERE key = $1",
            args![r.key],
        )
        .await?;
    if taken.is_some() {
        return Err(LedgerError::Conflict(r.key.to_string()));
    }
    Rules::check_amount(r.amount_cents, rules.max_return_cents)
        .map_err(|reason| LedgerError::invalid("amount_cents", reason))?;
    let sql = format!(
        "SELECT household, amount, ineligible, points, campaign_points, returned, at FROM ledger_purchases WHERE key = $1{}",
        lock_suffix(tx)
    );
    let p = tx
        .one(&sql, args![r.purchase])
        .await?
        .ok_or(LedgerError::UnknownPurchase(r.purchase))?;
    let (household, amount, ineligible, points, campaign, before, bought_at) = (
        p.i64(0)?,
        p.i64(1)?,
        p.i64(2)?,
        p.i64(3)?,
        p.i64(4)?,
        p.i64(5)?,
        p.i64(6)?,
    );
    ctx.check_open(r.at)?;
    if ms(r.at) < bought_at {
        return Err(LedgerError::invalid(
            "at",
            format!(
                "a return is dated {}, before its purchase ({})",
                r.at.to_rfc3339(),
                DateTime::<Utc>::from_timestamp_millis(bought_at)
                    .map_or_else(|| bought_at.to_string(), |t| t.to_rfc3339())
            ),
        ));
    }
    // Checked: a stored purchase may predate the amount bounds, and `before + amount` must not
    // wrap past the "more than was bought" check.
    let remaining = amount.checked_sub(before).unwrap_or(0).max(0);
    if r.amount_cents > remaining {
        return Err(LedgerError::ReturnExceedsPurchase {
            purchase: r.purchase,
            remaining,
            requested: r.amount_cents,
        });
    }
    let after = before + r.amount_cents;
    // floor(total × after / amount) − floor(total × before / amount): the parts of all the
    // returns of a purchase add up to exactly what it earned.
    // 0 <= before < after <= amount, so each part is at most `total`: no overflow.
    let part = |total: i64| {
        let f = |x: i64| (i128::from(total) * i128::from(x) / i128::from(amount)) as i64;
        f(after) - f(before)
    };
    let receipt = ReturnReceipt {
        household: HouseholdId(household),
        points: part(points),
        campaign_points: part(campaign),
        eligible_cents: part(amount - ineligible),
    };
    let at = ms(r.at);
    tx.exec(
        "INSERT INTO ledger_returns (key, hash, purchase, household, amount, eligible, points, campaign_points, at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        args![r.key, hash, r.purchase, household, r.amount_cents, receipt.eligible_cents,
              receipt.points, receipt.campaign_points, at],
    )
    .await?;
    tx.exec(
        "UPDATE ledger_purchases SET returned = $1 WHERE key = $2",
        args![after, r.purchase],
    )
    .await?;
    let mut entries = Vec::new();
    for (kind, amount) in [
        ("return", receipt.points),
        ("campaign-return", receipt.campaign_points),
    ] {
        if amount > 0 {
            entries.push(Entry {
                key: Some(r.key),
                kind,
                unit: Unit::Points,
                household,
                to_household: false,
                programme: post::POINTS_ISSUED,
                amount,
                at,
                valid_until: None,
            });
        }
    }
    post(tx, &entries).await?;
    Ok(created(receipt))
}

/// Plussa money used at a checkout; never below zero.
pub(crate) async fn redeem(tx: &mut Tx, ctx: &Ctx, r: &Redemption) -> Outcome<Balance> {
    split(redeem_inner(tx, ctx, r).await)
}

async fn redeem_inner(
    tx: &mut Tx,
    ctx: &Ctx,
    r: &Redemption,
) -> Result<Written<Balance>, LedgerError> {
    let hash = content_hash("redemption", r);
    if let Some(done) = stored_request(tx, r.key, "redemption", hash).await? {
        return done;
    }
    if r.cents <= 0 {
        return Err(LedgerError::invalid(
            "cents",
            format!("{} is not positive", r.cents),
        ));
    }
    let mut bal = balance_of(tx, r.household)
        .await?
        .ok_or(LedgerError::UnknownHousehold(r.household))?;
    ctx.check_open(r.at)?;
    if bal.money_cents < r.cents {
        return Err(LedgerError::Insufficient {
            household: r.household,
            unit: "cents",
            available: bal.money_cents,
            requested: r.cents,
        });
    }
    post(
        tx,
        &[Entry {
            key: Some(r.key),
            kind: "redemption",
            unit: Unit::Cents,
            household: r.household.0,
            to_household: false,
            programme: post::MONEY_REDEEMED,
            amount: r.cents,
            at: ms(r.at),
            valid_until: None,
        }],
    )
    .await?;
    bal.money_cents -= r.cents;
    record_request(tx, r.key, "redemption", hash, &bal).await?;
    Ok(created(bal))
}

/// A correction entry; refused if it would take the balance below zero.
pub(crate) async fn correct(
    tx: &mut Tx,
    rules: &Rules,
    ctx: &Ctx,
    c: &Correction,
) -> Outcome<Balance> {
    split(correct_inner(tx, rules, ctx, c).await)
}

async fn correct_inner(
    tx: &mut Tx,
    rules: &Rules,
    ctx: &Ctx,
    c: &Correction,
) -> Result<Written<Balance>, LedgerError> {
    let hash = content_hash("correction", c);
    if let Some(done) = stored_request(tx, c.key, "correction", hash).await? {
        return done;
    }
    if c.delta == 0 {
        return Err(LedgerError::invalid(
            "delta",
            "a correction of 0 moves nothing",
        ));
    }
    if c.reason.trim().is_empty() {
        return Err(LedgerError::invalid(
            "reason",
            "a correction needs a reason",
        ));
    }
    let mut bal = balance_of(tx, c.household)
        .await?
        .ok_or(LedgerError::UnknownHousehold(c.household))?;
    ctx.check_open(c.at)?;
    let (current, programme, valid_until) = match c.unit {
        Unit::Points => (&mut bal.points, post::POINTS_CORRECTIONS, None),
        Unit::Cents => (
            &mut bal.money_cents,
            post::MONEY_CORRECTIONS,
            (c.delta > 0).then(|| ms(rules.money_valid_until(Month::of(c.at)))),
        ),
    };
    let Some(new) = current.checked_add(c.delta).filter(|_| c.delta != i64::MIN) else {
        return Err(LedgerError::invalid(
            "delta",
            format!("{} would take the balance out of 64 bits", c.delta),
        ));
    };
    if new < 0 {
        return Err(LedgerError::Insufficient {
            household: c.household,
            unit: c.unit.as_str(),
            available: *current,
            requested: -c.delta,
        });
    }
    *current = new;
    post(
        tx,
        &[Entry {
            key: Some(c.key),
            kind: "correction",
            unit: c.unit,
            household: c.household.0,
            to_household: c.delta > 0,
            programme,
            amount: c.delta.abs(),
            at: ms(c.at),
            valid_until,
        }],
    )
    .await?;
    record_request(tx, c.key, "correction", hash, &bal).await?;
    Ok(created(bal))
}

/// The largest campaign multiplier (10 = ten times the base points): with the purchase bound it
/// keeps a purchase's points, and a batch's sum of them, far inside 64 bits.
pub const MAX_MULTIPLIER: u32 = 10;
/// The most fixed extra points a campaign gives per purchase.
pub const MAX_FIXED_POINTS: u32 = 100_000;

/// A chain campaign.
pub(crate) async fn campaign(tx: &mut Tx, c: &Campaign) -> Outcome<()> {
    split(campaign_inner(tx, c).await)
}

async fn campaign_inner(tx: &mut Tx, c: &Campaign) -> Result<Written<()>, LedgerError> {
    let hash = content_hash("campaign", c);
    if let Some(done) = stored_request(tx, c.key, "campaign", hash).await? {
        return done;
    }
    if c.starts >= c.ends {
        return Err(LedgerError::invalid(
            "ends",
            "a campaign must end after it starts",
        ));
    }
    let (multiplier, fixed) = match c.extra {
        Extra::Multiplier(m) if (2..=MAX_MULTIPLIER).contains(&m) => (i64::from(m), 0),
        Extra::Fixed(f) if (1..=MAX_FIXED_POINTS).contains(&f) => (1, i64::from(f)),
        _ => {
            return Err(LedgerError::invalid(
                "extra",
                format!(
                    "a multiplier is 2..={MAX_MULTIPLIER}, fixed points 1..={MAX_FIXED_POINTS}"
                ),
            ))
        }
    };
    tx.exec(
        "INSERT INTO ledger_campaigns (key, chain, title, starts, ends, multiplier, fixed_points) \
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
        args![
            c.key,
            c.chain.as_str(),
            c.title.as_str(),
            ms(c.starts),
            ms(c.ends),
            multiplier,
            fixed
        ],
    )
    .await?;
    record_request(tx, c.key, "campaign", hash, &()).await?;
    Ok(created(()))
}

/// The `;`-joined form segments and chosen chains are stored in.
pub(crate) fn join<I: IntoIterator<Item = S>, S: AsRef<str>>(it: I) -> String {
    it.into_iter()
        .map(|s| s.as_ref().to_string())
        .collect::<Vec<_>>()
        .join(";")
}

/// A household joining; idempotent by id.
pub(crate) async fn household(tx: &mut Tx, h: &NewHousehold) -> Outcome<()> {
    split(household_inner(tx, h).await)
}

async fn household_inner(tx: &mut Tx, h: &NewHousehold) -> Result<Written<()>, LedgerError> {
    let segments = join(&h.segments);
    let chains = join(h.chosen_chains.iter().map(|c| c.as_str()));
    if let Some(r) = tx
        .one(
            "SELECT segments, chosen_chains FROM ledger_households WHERE id = $1",
            args![h.id.0],
        )
        .await?
    {
        return if r.text(0)? == segments && r.text(1)? == chains {
            Ok(exists(()))
        } else {
            Err(LedgerError::Conflict(format!("household {}", h.id)))
        };
    }
    if h.id.0 <= 0 {
        return Err(super::enrol::bad_household_id(h.id));
    }
    if h.segments.iter().any(|s| s.is_empty() || s.contains(';')) {
        return Err(LedgerError::invalid(
            "segments",
            "a segment is empty or holds `;`",
        ));
    }
    tx.exec(
        "INSERT INTO ledger_households (id, segments, chosen_chains, created_at) VALUES ($1, $2, $3, $4)",
        args![h.id.0, segments, chains, ms(Utc::now())],
    )
    .await?;
    tx.exec(
        "INSERT INTO ledger_balances (household, points, money) VALUES ($1, 0, 0) ON CONFLICT (household) DO NOTHING",
        args![h.id.0],
    )
    .await?;
    Ok(created(()))
}

/// A card given to a household; idempotent by card number.
pub(crate) async fn card(tx: &mut Tx, c: &NewCard) -> Outcome<()> {
    split(card_inner(tx, c).await)
}

async fn card_inner(tx: &mut Tx, c: &NewCard) -> Result<Written<()>, LedgerError> {
    if let Some(r) = tx
        .one(
            "SELECT household, holder, kind FROM ledger_cards WHERE id = $1",
            args![c.id.0],
        )
        .await?
    {
        return if r.i64(0)? == c.household.0
            && r.text(1)? == c.holder.as_str()
            && r.text(2)? == c.kind.as_str()
        {
            Ok(exists(()))
        } else {
            Err(LedgerError::Conflict(format!("card {}", c.id)))
        };
    }
    if tx
        .one(
            "SELECT 1 FROM ledger_households WHERE id = $1",
            args![c.household.0],
        )
        .await?
        .is_none()
    {
        return Err(LedgerError::UnknownHousehold(c.household));
    }
    tx.exec(
        "INSERT INTO ledger_cards (id, household, holder, kind, created_at) VALUES ($1, $2, $3, $4, $5)",
        args![c.id.0, c.household.0, c.holder.as_str(), c.kind.as_str(), ms(Utc::now())],
    )
    .await?;
    Ok(created(()))
}

/// A household's balances (read).
pub(crate) async fn balance(tx: &mut Tx, h: HouseholdId) -> Result<Balance, LedgerError> {
    match tx
        .one(
            "SELECT points, money FROM ledger_balances_now WHERE household = $1",
            args![h.0],
        )
        .await?
    {
        Some(r) => Ok(Balance {
            household: h,
            points: r.i64(0)?,
            money_cents: r.i64(1)?,
        }),
        None => Err(LedgerError::UnknownHousehold(h)),
    }
}

/// A household's statement of a month (read).
pub(crate) async fn statement(
    tx: &mut Tx,
    h: HouseholdId,
    month: Month,
) -> Result<Option<Statement>, LedgerError> {
    match tx
        .one(
            "SELECT body FROM ledger_statements WHERE household = $1 AND month = $2",
            args![h.0, month.to_string()],
        )
        .await?
    {
        Some(r) => Ok(Some(serde_json::from_str(&r.text(0)?)?)),
        None => Ok(None),
    }
}

/// Insert rows `(household, month, body)` into the statements.
pub(crate) async fn write_statements(
    tx: &mut Tx,
    rows: &[(i64, String, String)],
) -> Result<(), sqlx::Error> {
    for chunk in rows.chunks(100) {
        let sql = multi_values(
            "ledger_statements (household, month, body)",
            chunk.len(),
            3,
            "",
        );
        let mut a = Vec::with_capacity(chunk.len() * 3);
        for (h, m, b) in chunk {
            a.extend([Arg::I(*h), Arg::T(m.clone()), Arg::T(b.clone())]);
        }
        tx.exec(&sql, a).await?;
    }
    Ok(())
}
