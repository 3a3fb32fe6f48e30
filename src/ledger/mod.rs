//! The shared loyalty ledger: households, cards, purchases, points, Plussa money, offers.
//!
//! # Books
//! Append-only and double-entry: purchases, campaign extras, returns, bonus, conversion to
//! Plussa money, redemptions, expiry and corrections are entries, each moving a positive amount
//! between a household account (`household/{id}/points`, `household/{id}/money`) and a programme
//! account (`programme/points-issued`, `programme/points-converted`, `programme/money-issued`,
//! `programme/money-redeemed`, `programme/money-expired`, `programme/corrections-*`). Points and
//! money (cents) are separate units, each summing to zero over all accounts. Cached balances move
//! in the same transaction. On SQLite a purchase's points move `ledger_points_pending`, a small
//! table folded into `ledger_balances` in bulk (migration 0007, [`POINTS_FOLD_AT`]); a balance is
//! the sum of both (the view `ledger_balances_now`). [`Ledger::verify`] rebuilds every balance
//! from the entries and compares.
//!
//! # Writes
//! Every write is idempotent: purchases, returns, redemptions, corrections and campaigns carry a
//! client key (UUIDv7); households, cards and offers are keyed by their own ids. The same key
//! with the same content answers [`WriteStatus::Exists`] with the stored result; other content is
//! [`LedgerError::Conflict`]. One writer task ([`SqlLedger`]) gathers concurrent writes into one
//! transaction and answers each only after the commit.
//!
//! # Programme rules (defaults; see [`Rules`])
//! - 1 point per whole euro of a purchase's eligible amount (total minus the ineligible part:
//!   alcohol, tobacco, bottle returns, gambling), rounded down per purchase; all cards of a
//!   household pool.
//! - Chain campaigns give extra points (a multiplier of the base points, 2..=[`MAX_MULTIPLIER`],
//!   or fixed points, 1..=[`MAX_FIXED_POINTS`]) as their own entries; they do not count towards
//!   the bonus step.
//! - A return reverses the purchase's points in proportion to the cents returned, cumulatively
//!   exact (all returns of a purchase reverse exactly what it earned); a return of an unknown
//!   purchase or of more than is left is refused. A return may take points below zero when the
//!   points were already converted: the next months' points make up for it.
//! - Month end (Helsinki calendar month; dated at the first instant of the next month):
//!   1. bonus points from the month's eligible purchases net of returns made in the month, by the
//!      step table (default, ours: €350 → 1 %, €500 → 2 %, €700 → 3 %, €1,000 → 4 %,
//!      €1,300 → 5 % in all, the base points' 0.5 % included);
//!   2. conversion of whole 1,000s of points to Plussa money at €5 each, paid on the 1st of the
//!      next month and valid 13 months (money from October 2026 is valid to 30 November 2027);
//!   3. expiry of money whose validity ended, oldest money used first;
//!   4. a statement per household with activity or a balance.
//!
//!   Afterwards writes dated in that month, or earlier, are refused; a month end runs only once
//!   its month has ended, never for a month before the latest closed one.
//!
//! # Bounds (issue 18)
//! Nothing a client sends may poison a sum: a purchase is at most [`Rules::max_purchase_cents`]
//! and a return at most [`Rules::max_return_cents`] (default €100,000 each; a rule set may not
//! go past [`AMOUNT_CEILING`]); a write is dated inside an open month, from
//! [`Rules::first_month`] on, and at most [`Rules::max_future_secs`] (default 5 minutes) ahead
//! of the ledger's [`Clock`]; a return never before its purchase; household ids are positive.
//! Every sum the ledger computes in Rust (points, campaign points, returns, month totals,
//! balances, corrections) is checked and refused rather than wrapped; `verify` sums in 128 bits.
//! Refusals are [`LedgerError::Invalid`] naming the field (HTTP 422) or
//! [`LedgerError::MonthClosed`] (409). Where a purchase may be made (an open outlet, of its
//! chain) is [`purchase_place`], which every front end calls.
//! - Redemption uses Plussa money, never below zero. Corrections are new entries, never edits,
//!   and may not take a balance below zero.
//!
//! Offers on three levels live in the database; [`Ledger::offers_at`] is the per-location view
//! and [`can_write_offer`] says which key may write which offer.

mod bulk;
mod clock;
mod enrol;
mod error;
mod http_support;
mod ingest;
mod month_end;
pub mod offer_cache;
mod offers;
mod places;
mod post;
pub(crate) mod postgres;
mod rules;
pub(crate) mod sql;
pub(crate) mod sqlite;
mod store;
mod types;
mod verify;
mod writer;

pub use clock::Clock;
pub use error::LedgerError;
pub use ingest::{read_ledger_file, IngestError, LedgerFile, CARDS_HEADER, PURCHASES_HEADER};
pub use offers::{
    can_read_household, can_write_offer, check_offer_id, offer_namespace, validate_offer, Role,
    Scope,
};
pub use places::{check_places, purchase_place, PlaceError};
pub use post::FOLD_AT as POINTS_FOLD_AT;
pub use rules::{BonusStep, Month, MonthError, Rules, RulesError, AMOUNT_CEILING, RULE_CEILING};
pub use store::{MAX_FIXED_POINTS, MAX_MULTIPLIER};
pub use types::*;
pub use writer::Progress;

use crate::db::Db;
use crate::model::Outlet;
use crate::offers::{Offer, OfferBook, OfferSource};
use chrono::{DateTime, Utc};
use sql::Tx;
use std::future::Future;
use std::sync::Arc;
use tokio::sync::{mpsc, oneshot};
use writer::{Done, Job, Op};

/// Most purchases in one [`Ledger::purchase_batch`] call.
pub const MAX_BATCH: usize = 10_000;

/// The ledger's operations, whatever the backend.
pub trait Ledger: Send + Sync {
    /// Registers a household (idempotent by id).
    fn add_household(
        &self,
        h: NewHousehold,
    ) -> impl Future<Output = Result<Written<()>, LedgerError>> + Send;
    /// Gives a card to a household (idempotent by card number).
    fn add_card(&self, c: NewCard)
        -> impl Future<Output = Result<Written<()>, LedgerError>> + Send;
    /// Records one purchase; answers after it is committed.
    fn purchase(
        &self,
        p: Purchase,
    ) -> impl Future<Output = Result<Written<PurchaseReceipt>, LedgerError>> + Send;
    /// Records up to [`MAX_BATCH`] purchases all or nothing, in one transaction.
    fn purchase_batch(
        &self,
        ps: Vec<Purchase>,
    ) -> impl Future<Output = Result<Vec<Written<PurchaseReceipt>>, LedgerError>> + Send;
    /// Records any number of purchases all or nothing (a file), reporting progress.
    fn ingest(
        &self,
        ps: Vec<Purchase>,
        progress: Option<Progress>,
    ) -> impl Future<Output = Result<Vec<Written<PurchaseReceipt>>, LedgerError>> + Send;
    /// Records a return against an earlier purchase.
    fn return_goods(
        &self,
        r: Return,
    ) -> impl Future<Output = Result<Written<ReturnReceipt>, LedgerError>> + Send;
    /// Uses Plussa money; answers the new balance.
    fn redeem(
        &self,
        r: Redemption,
    ) -> impl Future<Output = Result<Written<Balance>, LedgerError>> + Send;
    /// Records a correction; answers the new balance.
    fn correct(
        &self,
        c: Correction,
    ) -> impl Future<Output = Result<Written<Balance>, LedgerError>> + Send;
    /// Records a chain campaign.
    fn add_campaign(
        &self,
        c: Campaign,
    ) -> impl Future<Output = Result<Written<()>, LedgerError>> + Send;
    /// Runs a month end (idempotent).
    fn month_end(
        &self,
        m: Month,
    ) -> impl Future<Output = Result<Written<MonthEndReport>, LedgerError>> + Send;
    /// A household's balances.
    fn balance(&self, h: HouseholdId) -> impl Future<Output = Result<Balance, LedgerError>> + Send;
    /// A household's statement of a month, if its month end has run.
    fn statement(
        &self,
        h: HouseholdId,
        m: Month,
    ) -> impl Future<Output = Result<Option<Statement>, LedgerError>> + Send;
    /// Rebuilds the balances from the entries and checks the books.
    fn verify(&self) -> impl Future<Output = Result<VerifyReport, LedgerError>> + Send;
    /// Stores an offer (idempotent by offer id). Check [`can_write_offer`] first.
    fn put_offer(&self, o: Offer) -> impl Future<Output = Result<Written<()>, LedgerError>> + Send;
    /// Every offer, by id.
    fn offers(&self) -> impl Future<Output = Result<Vec<Offer>, LedgerError>> + Send;
    /// The offers that apply at `outlet` at `at` (its Helsinki date): the store's, its chain's and
    /// the network's, valid then; targeted ones only if `household`'s segments and chosen chains
    /// match (see [`crate::offers::applies`]).
    fn offers_at(
        &self,
        outlet: &Outlet,
        at: DateTime<Utc>,
        household: Option<HouseholdId>,
    ) -> impl Future<Output = Result<Vec<Offer>, LedgerError>> + Send;
}

/// The ledger over a [`Db`] (SQLite or PostgreSQL), with its writer task. Cheap to clone; the
/// writer stops when the last clone is dropped.
#[derive(Clone)]
pub struct SqlLedger {
    db: Db,
    writer: mpsc::Sender<Job>,
    offer_cache: Arc<offer_cache::OfferCache>,
}

impl std::fmt::Debug for SqlLedger {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SqlLedger").field("db", &self.db).finish()
    }
}

impl SqlLedger {
    /// The ledger on an open (migrated) database, with these rules. Must be called inside a
    /// tokio runtime: it starts the writer task.
    pub fn new(db: Db, rules: Rules) -> Result<SqlLedger, RulesError> {
        SqlLedger::with_clock(db, rules, Clock::system())
    }

    /// As [`SqlLedger::new`], reading the time from `clock` (for tests, and for replaying files
    /// of past months): writes may be dated at most `max_future_secs` after it, and a month end
    /// runs only once its month has ended by it.
    pub fn with_clock(db: Db, rules: Rules, clock: Clock) -> Result<SqlLedger, RulesError> {
        rules.validate()?;
        let writer = writer::spawn(db.clone(), Arc::new(rules), clock);
        Ok(SqlLedger {
            db,
            writer,
            offer_cache: Arc::default(),
        })
    }

    /// Opens and migrates the database at `url` and starts the ledger with the default rules.
    pub async fn open(url: &str) -> Result<SqlLedger, LedgerError> {
        let db = Db::open(url).await?;
        SqlLedger::new(db, Rules::default())
            .map_err(|e| LedgerError::invalid("rules", e.to_string()))
    }

    /// Registers households, then cards, all or nothing, in one transaction (idempotent by id).
    /// A refusal is [`LedgerError::BatchItem`] with the index counted over the households, then
    /// the cards.
    pub async fn enrol(
        &self,
        households: Vec<NewHousehold>,
        cards: Vec<NewCard>,
        progress: Option<Progress>,
    ) -> Result<EnrolReport, LedgerError> {
        self.send(|tx| Job::Enrol(households, cards, progress, tx))
            .await
    }

    /// The database.
    pub fn db(&self) -> &Db {
        &self.db
    }

    /// The stored offers from memory, read again at most once per [`offer_cache::MAX_AGE`] and
    /// after this ledger stores one.
    async fn cached_offers(&self) -> Result<Arc<OfferBook>, LedgerError> {
        if let Some(book) = self.offer_cache.fresh() {
            return Ok(book);
        }
        let generation = self.offer_cache.generation();
        let all = self.offers().await?;
        Ok(self.offer_cache.store(generation, OfferBook::new(all)))
    }

    /// All stored offers as an in-memory [`OfferBook`] (an [`crate::offers::OfferSource`] for
    /// exports).
    pub async fn offer_book(&self) -> Result<OfferBook, LedgerError> {
        Ok(OfferBook::new(self.offers().await?))
    }

    async fn send<T>(
        &self,
        job: impl FnOnce(oneshot::Sender<Result<T, LedgerError>>) -> Job,
    ) -> Result<T, LedgerError> {
        let (tx, rx) = oneshot::channel();
        self.writer
            .send(job(tx))
            .await
            .map_err(|_| LedgerError::WriterStopped)?;
        rx.await.map_err(|_| LedgerError::WriterStopped)?
    }

    async fn op(&self, op: Op) -> Result<Done, LedgerError> {
        self.send(|tx| Job::Op(op, tx)).await
    }

    async fn read<T, F>(&self, f: F) -> Result<T, LedgerError>
    where
        F: for<'t> FnOnce(
            &'t mut Tx,
        ) -> std::pin::Pin<
            Box<dyn Future<Output = Result<T, LedgerError>> + Send + 't>,
        >,
    {
        let mut tx = Tx::begin_read(&self.db).await?;
        let r = f(&mut tx).await;
        tx.rollback().await?;
        r
    }
}

fn unexpected() -> LedgerError {
    // The writer answers each kind of write with its own kind of result.
    LedgerError::WriterStopped
}

impl Ledger for SqlLedger {
    async fn add_household(&self, h: NewHousehold) -> Result<Written<()>, LedgerError> {
        match self.op(Op::Household(h)).await? {
            Done::Unit(w) => Ok(w),
            _ => Err(unexpected()),
        }
    }

    async fn add_card(&self, c: NewCard) -> Result<Written<()>, LedgerError> {
        match self.op(Op::Card(c)).await? {
            Done::Unit(w) => Ok(w),
            _ => Err(unexpected()),
        }
    }

    async fn purchase(&self, p: Purchase) -> Result<Written<PurchaseReceipt>, LedgerError> {
        match self.op(Op::Purchase(p)).await? {
            Done::Purchase(w) => Ok(w),
            _ => Err(unexpected()),
        }
    }

    async fn purchase_batch(
        &self,
        ps: Vec<Purchase>,
    ) -> Result<Vec<Written<PurchaseReceipt>>, LedgerError> {
        if ps.len() > MAX_BATCH {
            return Err(LedgerError::invalid(
                "purchases",
                format!(
                    "a batch holds at most {MAX_BATCH} purchases, not {}",
                    ps.len()
                ),
            ));
        }
        self.send(|tx| Job::Atomic(ps, None, tx)).await
    }

    async fn ingest(
        &self,
        ps: Vec<Purchase>,
        progress: Option<Progress>,
    ) -> Result<Vec<Written<PurchaseReceipt>>, LedgerError> {
        self.send(|tx| Job::Atomic(ps, progress, tx)).await
    }

    async fn return_goods(&self, r: Return) -> Result<Written<ReturnReceipt>, LedgerError> {
        match self.op(Op::Return(r)).await? {
            Done::Return(w) => Ok(w),
            _ => Err(unexpected()),
        }
    }

    async fn redeem(&self, r: Redemption) -> Result<Written<Balance>, LedgerError> {
        match self.op(Op::Redeem(r)).await? {
            Done::Balance(w) => Ok(w),
            _ => Err(unexpected()),
        }
    }

    async fn correct(&self, c: Correction) -> Result<Written<Balance>, LedgerError> {
        match self.op(Op::Correct(c)).await? {
            Done::Balance(w) => Ok(w),
            _ => Err(unexpected()),
        }
    }

    async fn add_campaign(&self, c: Campaign) -> Result<Written<()>, LedgerError> {
        match self.op(Op::Campaign(c)).await? {
            Done::Unit(w) => Ok(w),
            _ => Err(unexpected()),
        }
    }

    async fn month_end(&self, m: Month) -> Result<Written<MonthEndReport>, LedgerError> {
        self.send(|tx| Job::MonthEnd(m, tx)).await
    }

    async fn balance(&self, h: HouseholdId) -> Result<Balance, LedgerError> {
        self.read(move |tx| Box::pin(store::balance(tx, h))).await
    }

    async fn statement(&self, h: HouseholdId, m: Month) -> Result<Option<Statement>, LedgerError> {
        self.read(move |tx| Box::pin(store::statement(tx, h, m)))
            .await
    }

    async fn verify(&self) -> Result<VerifyReport, LedgerError> {
        self.read(|tx| Box::pin(verify::verify(tx))).await
    }

    async fn put_offer(&self, o: Offer) -> Result<Written<()>, LedgerError> {
        let r = self.op(Op::Offer(o)).await;
        // Also after an error: the write may have committed before the answer was lost.
        self.offer_cache.invalidate();
        match r? {
            Done::Unit(w) => Ok(w),
            _ => Err(unexpected()),
        }
    }

    async fn offers(&self) -> Result<Vec<Offer>, LedgerError> {
        self.read(|tx| Box::pin(offers::all_offers(tx))).await
    }

    async fn offers_at(
        &self,
        outlet: &Outlet,
        at: DateTime<Utc>,
        household: Option<HouseholdId>,
    ) -> Result<Vec<Offer>, LedgerError> {
        let day = at.with_timezone(&chrono_tz::Europe::Helsinki).date_naive();
        let audience = match household {
            Some(h) => Some(self.read(|tx| Box::pin(offers::audience(tx, h))).await?),
            None => None,
        };
        let book = self.cached_offers().await?;
        Ok(book
            .offers_at(outlet, day, audience.as_ref())
            .into_iter()
            .cloned()
            .collect())
    }
}
