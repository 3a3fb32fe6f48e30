//! The single writer: one tokio task takes every write from a channel, gathers whatever has
//! queued into one transaction, commits, and only then answers each caller. Under load a batch
//! holds many writes, so one `fsync` serves them all and throughput grows with load.

use super::clock::Clock;
use super::enrol;
use super::error::LedgerError;
use super::month_end;
use super::offers;
use super::rules::{Month, Rules};
use super::sql::Tx;
use super::store::{self, Cache, Ctx};
use super::types::*;
use crate::db::Db;
use crate::offers::Offer;
use std::collections::HashMap;
use std::sync::Arc;
use tokio::sync::{mpsc, oneshot};
use tokio::task::JoinHandle;

/// Called with the number of rows written so far during a long ingest.
pub type Progress = Arc<dyn Fn(u64) + Send + Sync>;

/// Most writes gathered into one transaction.
const MAX_GROUP: usize = 10_000;
/// Rows per step of an all-or-nothing ingest (one progress report each).
const ATOMIC_CHUNK: usize = 5_000;

pub(crate) enum Op {
    Household(NewHousehold),
    Card(NewCard),
    Purchase(Purchase),
    Return(Return),
    Redeem(Redemption),
    Correct(Correction),
    Campaign(Campaign),
    Offer(Offer),
}

pub(crate) enum Done {
    Unit(Written<()>),
    Purchase(Written<PurchaseReceipt>),
    Return(Written<ReturnReceipt>),
    Balance(Written<Balance>),
}

type Reply<T> = oneshot::Sender<Result<T, LedgerError>>;

pub(crate) enum Job {
    Op(Op, Reply<Done>),
    Atomic(
        Vec<Purchase>,
        Option<Progress>,
        Reply<Vec<Written<PurchaseReceipt>>>,
    ),
    MonthEnd(Month, Reply<Written<MonthEndReport>>),
    Enrol(
        Vec<NewHousehold>,
        Vec<NewCard>,
        Option<Progress>,
        Reply<EnrolReport>,
    ),
}

/// Starts the writer task; it ends when every sender is dropped.
pub(crate) fn spawn(db: Db, rules: Arc<Rules>, clock: Clock) -> mpsc::Sender<Job> {
    let (tx, rx) = mpsc::channel(MAX_GROUP * 4);
    tokio::spawn(run(db, Env { rules, clock }, rx));
    tx
}

/// The rules and the clock, as the writer's functions need them.
struct Env {
    rules: Arc<Rules>,
    clock: Clock,
}

async fn run(db: Db, env: Env, mut rx: mpsc::Receiver<Job>) {
    let mut cache = Cache::default();
    let mut jobs = Vec::new();
    let mut preload: Option<JoinHandle<Result<HashMap<i64, i64>, sqlx::Error>>> = None;
    cache.reload_cards = true;
    while let Some(first) = rx.recv().await {
        // Every card's household is read beside the writer when the first write comes (not at
        // start: most one-shot commands never write), and again if the cache had to forget its
        // cards. Until it is in, purchases look their cards up.
        if std::mem::take(&mut cache.reload_cards) && preload.is_none() {
            preload = Some(tokio::spawn(load_cards(db.clone())));
        }
        if preload.as_ref().is_some_and(JoinHandle::is_finished) {
            if let Some(handle) = preload.take() {
                match handle.await.map_err(|e| e.to_string()) {
                    Ok(Ok(cards)) => merge_cards(&mut cache.cards, cards),
                    Ok(Err(e)) => tracing::warn!(error = %e, "reading the cards failed"),
                    Err(e) => tracing::warn!(error = %e, "reading the cards failed"),
                }
            }
        }
        jobs.push(first);
        while jobs.len() < MAX_GROUP {
            match rx.try_recv() {
                Ok(j) => jobs.push(j),
                Err(_) => break,
            }
        }
        let mut ops = Vec::new();
        for job in jobs.drain(..) {
            match job {
                Job::Op(op, reply) => ops.push((op, reply)),
                Job::Atomic(items, progress, reply) => {
                    flush(&db, &env, &mut cache, &mut ops).await;
                    let r = atomic(&db, &env, &mut cache, &items, progress).await;
                    let _ = reply.send(r);
                }
                Job::Enrol(hs, cs, progress, reply) => {
                    flush(&db, &env, &mut cache, &mut ops).await;
                    let r = enrol(&db, &hs, &cs, progress).await;
                    match &r {
                        // Committed: every card of the call is stored with its household, so
                        // the purchases that follow need not look them up.
                        Ok(_) => cache
                            .cards
                            .extend(cs.iter().map(|c| (c.id.0, c.household.0))),
                        Err(_) => cache.rolled_back(false),
                    }
                    let _ = reply.send(r);
                }
                Job::MonthEnd(m, reply) => {
                    flush(&db, &env, &mut cache, &mut ops).await;
                    let _ = reply.send(run_month_end(&db, &env, m).await);
                    // Month-end emptied the pending table (or failed): count it again.
                    cache.pending = None;
                }
            }
        }
        flush(&db, &env, &mut cache, &mut ops).await;
    }
}

/// Adds the cards `read` to the writer's `cached` ones, inserting the smaller map into the
/// larger. The writer waits for this: after it enrolled the network itself, its 4.4 million
/// cards went into the (empty) map a read begun before that enrolment brought, and every write
/// waited 0.57 s. A card maps to the same household in both, so the direction does not matter.
fn merge_cards(cached: &mut HashMap<i64, i64>, mut read: HashMap<i64, i64>) {
    if read.len() > cached.len() {
        std::mem::swap(cached, &mut read);
    }
    cached.extend(read);
}

/// Cards read per statement by [`load_cards`].
const CARDS_PAGE: i64 = 100_000;

/// Every card's household, read on a connection of its own in pages of [`CARDS_PAGE`] while the
/// writer goes on. Safe to merge into the writer's cache whenever it arrives: a card never
/// changes household, and one enrolled after the read is looked up when a purchase needs it. For
/// the network's 4.4 million cards this holds about 150 MB.
async fn load_cards(db: Db) -> Result<HashMap<i64, i64>, sqlx::Error> {
    load_cards_in_pages(db, CARDS_PAGE).await
}

async fn load_cards_in_pages(db: Db, page_size: i64) -> Result<HashMap<i64, i64>, sqlx::Error> {
    let mut cards = HashMap::new();
    let mut after = i64::MIN;
    loop {
        // A page comes as one text, "card household card household …": sqlx hands SQLite's
        // rows over one at a time, which took 8.2 s for the network's 4.4 million cards (the
        // restarted writer looked cards up for all that time).
        let page: Option<String> = match &db {
            Db::Sqlite(p) => {
                sqlx::query_scalar(
                    "SELECT group_concat(id || ' ' || household, ' ') FROM \
                     (SELECT id, household FROM ledger_cards WHERE id > ?1 ORDER BY id LIMIT ?2)",
                )
                .bind(after)
                .bind(page_size)
                .fetch_one(p)
                .await?
            }
            Db::Postgres(p) => {
                sqlx::query_scalar(
                    "SELECT string_agg(id || ' ' || household, ' ') FROM \
                     (SELECT id, household FROM ledger_cards WHERE id > $1 ORDER BY id LIMIT $2) c",
                )
                .bind(after)
                .bind(page_size)
                .fetch_one(p)
                .await?
            }
        };
        let Some(page) = page else { break };
        let before = cards.len();
        let mut numbers = page.split(' ').map(str::parse::<i64>);
        while let Some(card) = numbers.next() {
            let household = numbers
                .next()
                .ok_or_else(|| decode("a card without household"))?;
            let (card, household) = (card.map_err(decode)?, household.map_err(decode)?);
            after = after.max(card);
            cards.insert(card, household);
        }
        if ((cards.len() - before) as i64) < page_size {
            break;
        }
    }
    Ok(cards)
}

fn decode(e: impl Into<Box<dyn std::error::Error + Send + Sync>>) -> sqlx::Error {
    sqlx::Error::Decode(e.into())
}

/// Commits the gathered writes in one transaction; if the database fails, retries each alone
/// so that one bad write cannot sink the others.
async fn flush(db: &Db, env: &Env, cache: &mut Cache, ops: &mut Vec<(Op, Reply<Done>)>) {
    if ops.is_empty() {
        return;
    }
    let (list, replies): (Vec<Op>, Vec<Reply<Done>>) = ops.drain(..).unzip();
    let writes_cards = |ops: &[Op]| ops.iter().any(|o| matches!(o, Op::Card(_)));
    match group(db, env, cache, &list).await {
        Ok(results) => {
            for (r, reply) in results.into_iter().zip(replies) {
                let _ = reply.send(r);
            }
        }
        Err(e) if list.len() == 1 => {
            cache.rolled_back(writes_cards(&list));
            if let Some(reply) = replies.into_iter().next() {
                let _ = reply.send(Err(LedgerError::Db(e)));
            }
        }
        Err(e) => {
            tracing::warn!(error = %e, writes = list.len(), "batch failed; retrying writes one by one");
            cache.rolled_back(writes_cards(&list));
            for (op, reply) in list.into_iter().zip(replies) {
                let r = match group(db, env, cache, std::slice::from_ref(&op)).await {
                    Ok(mut v) => v.pop().unwrap_or(Err(LedgerError::WriterStopped)),
                    Err(e) => {
                        cache.rolled_back(writes_cards(std::slice::from_ref(&op)));
                        Err(LedgerError::Db(e))
                    }
                };
                let _ = reply.send(r);
            }
        }
    }
}

async fn group(
    db: &Db,
    env: &Env,
    cache: &mut Cache,
    ops: &[Op],
) -> Result<Vec<Result<Done, LedgerError>>, sqlx::Error> {
    let rules = &*env.rules;
    let mut tx = Tx::begin(db).await?;
    let mut ctx = Ctx::load(&mut tx, rules, env.clock.now()).await?;
    let mut out = Vec::with_capacity(ops.len());
    let mut i = 0;
    while i < ops.len() {
        if matches!(ops[i], Op::Purchase(_)) {
            let run: Vec<&Purchase> = ops[i..]
                .iter()
                .map_while(|o| match o {
                    Op::Purchase(p) => Some(p),
                    _ => None,
                })
                .collect();
            i += run.len();
            let res = store::purchases(&mut tx, rules, cache, &ctx, &run).await?;
            out.extend(res.into_iter().map(|r| r.map(Done::Purchase)));
            continue;
        }
        let r = match &ops[i] {
            Op::Household(h) => store::household(&mut tx, h).await?.map(Done::Unit),
            Op::Card(c) => store::card(&mut tx, c).await?.map(Done::Unit),
            Op::Return(r) => store::return_goods(&mut tx, rules, &ctx, r)
                .await?
                .map(Done::Return),
            Op::Redeem(r) => store::redeem(&mut tx, &ctx, r).await?.map(Done::Balance),
            Op::Correct(c) => store::correct(&mut tx, rules, &ctx, c)
                .await?
                .map(Done::Balance),
            Op::Campaign(c) => {
                let r = store::campaign(&mut tx, c).await?;
                if matches!(&r, Ok(w) if w.status == WriteStatus::Created) {
                    ctx.note_campaign(c);
                }
                r.map(Done::Unit)
            }
            Op::Offer(o) => match offers::put_offer(&mut tx, o).await {
                Err(LedgerError::Db(e)) => return Err(e),
                r => r.map(Done::Unit),
            },
            Op::Purchase(_) => unreachable!("purchases are handled above"),
        };
        out.push(r);
        i += 1;
    }
    tx.commit().await?;
    Ok(out)
}

async fn atomic(
    db: &Db,
    env: &Env,
    cache: &mut Cache,
    items: &[Purchase],
    progress: Option<Progress>,
) -> Result<Vec<Written<PurchaseReceipt>>, LedgerError> {
    let rules = &*env.rules;
    let mut tx = Tx::begin(db).await?;
    let ctx = Ctx::load(&mut tx, rules, env.clock.now()).await?;
    let mut out = Vec::with_capacity(items.len());
    for (ci, chunk) in items.chunks(ATOMIC_CHUNK).enumerate() {
        let refs: Vec<&Purchase> = chunk.iter().collect();
        let res = match store::purchases(&mut tx, rules, cache, &ctx, &refs).await {
            Ok(r) => r,
            Err(e) => {
                cache.rolled_back(false);
                return Err(e.into());
            }
        };
        for (k, r) in res.into_iter().enumerate() {
            match r {
                Ok(w) => out.push(w),
                Err(e) => {
                    tx.rollback().await?;
                    cache.rolled_back(false);
                    return Err(LedgerError::BatchItem {
                        index: ci * ATOMIC_CHUNK + k,
                        source: Box::new(e),
                    });
                }
            }
        }
        if let Some(p) = &progress {
            p(out.len() as u64);
        }
    }
    if let Err(e) = tx.commit().await {
        cache.rolled_back(false);
        return Err(e.into());
    }
    Ok(out)
}

async fn run_month_end(
    db: &Db,
    env: &Env,
    m: Month,
) -> Result<Written<MonthEndReport>, LedgerError> {
    let mut tx = Tx::begin(db).await?;
    let r = month_end::month_end(&mut tx, &env.rules, env.clock.now(), m).await?;
    tx.commit().await?;
    Ok(r)
}

/// Enrols households, then cards, in bulk (see [`super::enrol`]); all or nothing.
async fn enrol(
    db: &Db,
    households: &[NewHousehold],
    cards: &[NewCard],
    progress: Option<Progress>,
) -> Result<EnrolReport, LedgerError> {
    let mut tx = Tx::begin(db).await?;
    // A refusal returns here and drops the transaction: nothing of the call is written.
    let report = enrol::households_and_cards(&mut tx, households, cards, progress.as_ref()).await?;
    tx.commit().await?;
    if let Some(p) = &progress {
        p((households.len() + cards.len()) as u64);
    }
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;

    #[test]
    fn merging_cards_keeps_every_card_of_both_maps() {
        let big: HashMap<i64, i64> = (0..1_000).map(|c| (c, c / 2)).collect();
        let small: HashMap<i64, i64> = [(5, 2), (5_000, 7)].into_iter().collect();
        for (cached, read) in [(big.clone(), small.clone()), (small.clone(), big.clone())] {
            let mut cached = cached;
            merge_cards(&mut cached, read);
            assert_eq!(cached.len(), 1_001);
            assert_eq!(cached[&5_000], 7);
            assert_eq!(cached[&999], 499);
        }
    }

    /// Every card comes back, however the pages fall: a page boundary on the last card, one
    /// short page, a page larger than the table. On SQLite, and on PostgreSQL when configured.
    #[tokio::test]
    async fn cards_are_read_in_pages_without_losing_one() {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}", dir.path().join("cards.db").display());
        pages_bring_every_card(Db::open(&url).await.unwrap()).await;
        if let Some((store, url, schema)) = crate::store::tests::postgres_store().await {
            pages_bring_every_card(store.db().clone()).await;
            if let Db::Postgres(p) = store.db() {
                p.close().await;
            }
            crate::store::tests::drop_schema(&url, &schema).await;
        }
    }

    async fn pages_bring_every_card(db: Db) {
        let households: Vec<NewHousehold> = (1..=12)
            .map(|h| NewHousehold {
                id: HouseholdId(h),
                segments: BTreeSet::new(),
                chosen_chains: BTreeSet::new(),
            })
            .collect();
        // Negative and sparse card numbers: paging goes by id, not by count.
        let cards: Vec<NewCard> = (1..=12)
            .flat_map(|h| {
                [(h * 1_000, Holder::Primary), (-h, Holder::Secondary)].map(|(id, holder)| {
                    NewCard {
                        id: CardId(id),
                        household: HouseholdId(h),
                        holder,
                        kind: CardKind::Plastic,
                    }
                })
            })
            .collect();
        assert!(load_cards(db.clone()).await.unwrap().is_empty());
        enrol(&db, &households, &cards, None).await.unwrap();
        let want: HashMap<i64, i64> = cards.iter().map(|c| (c.id.0, c.household.0)).collect();
        for page in [1, 5, 6, 24, 25, 1_000] {
            let got = load_cards_in_pages(db.clone(), page).await.unwrap();
            assert_eq!(got, want, "pages of {page}");
        }
    }
}
