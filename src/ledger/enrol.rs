//! Enrolment in bulk: households, then cards, in one transaction. Per [`LOOKUP_CHUNK`] rows,
//! one statement finds the stored ones, each row is answered here, and the new ones are written
//! with multi-row INSERTs.
//!
//! The answers are exactly those of [`store::household`] and [`store::card`] called row by row
//! in the same transaction (as enrolment did before): a stored id answers "exists" when its
//! content is the same and [`LedgerError::Conflict`] when not, before any other check; a new
//! household's id must be positive and its segments must not be empty or hold `;`; a new card's household must be stored or
//! enrolled by this call. An id repeated in the input answers like a stored one after its first
//! copy, which the row-by-row enrolment had just written.
//!
//! [`store::household`]: super::store::household
//! [`store::card`]: super::store::card

use super::bulk::LOOKUP_CHUNK;
use super::error::LedgerError;
use super::sql::{multi_values, Arg, Tx};
use super::store::{join, ms};
use super::types::*;
use super::writer::Progress;
use chrono::Utc;
use std::collections::{HashMap, HashSet};

/// Rows per multi-row INSERT: at most 5 parameters each, 2,500 a statement (SQLite allows
/// 32,766).
const INSERT_ROWS: usize = 500;
/// The progress callback runs after every this many rows of households, then of cards.
const PROGRESS_EVERY: usize = 1_000;

/// Enrols `households`, then `cards`; the first refused row aborts with
/// [`LedgerError::BatchItem`], its index counted over the households, then the cards. The caller
/// commits, or drops the transaction on an error.
pub(crate) async fn households_and_cards(
    tx: &mut Tx,
    households: &[NewHousehold],
    cards: &[NewCard],
    progress: Option<&Progress>,
) -> Result<EnrolReport, LedgerError> {
    let mut report = EnrolReport::default();
    let enrolled = enrol_households(tx, households, &mut report, progress).await?;
    enrol_cards(
        tx,
        cards,
        &enrolled,
        households.len(),
        &mut report,
        progress,
    )
    .await?;
    Ok(report)
}

/// A household id is the programme's customer number: a positive integer.
pub(crate) fn bad_household_id(id: HouseholdId) -> LedgerError {
    LedgerError::invalid(
        "household",
        format!("a household id is a positive integer, not {id}"),
    )
}

fn refused(index: usize, e: LedgerError) -> LedgerError {
    LedgerError::BatchItem {
        index,
        source: Box::new(e),
    }
}

/// Reports rows `from..to` of a section (the households, or the cards after `offset`
/// households) as the row-by-row enrolment did: after every [`PROGRESS_EVERY`]th row of the
/// section, with the number of rows done in all.
fn tick(progress: Option<&Progress>, offset: usize, from: usize, to: usize) {
    if let Some(p) = progress {
        for i in (from..to).filter(|i| i % PROGRESS_EVERY == PROGRESS_EVERY - 1) {
            p((offset + i + 1) as u64);
        }
    }
}

/// The ids of `ids` not answered yet (not in `first`), each once.
fn to_look_up(ids: impl Iterator<Item = i64>, first: &HashMap<i64, usize>) -> Vec<i64> {
    let mut seen = HashSet::new();
    ids.filter(|id| !first.contains_key(id) && seen.insert(*id))
        .collect()
}

/// A household's segments and chosen chains as stored.
fn encode(h: &NewHousehold) -> (String, String) {
    (
        join(&h.segments),
        join(h.chosen_chains.iter().map(|c| c.as_str())),
    )
}

/// Enrols the households; answers the index of the first copy of each id.
async fn enrol_households(
    tx: &mut Tx,
    hs: &[NewHousehold],
    report: &mut EnrolReport,
    progress: Option<&Progress>,
) -> Result<HashMap<i64, usize>, LedgerError> {
    let mut first: HashMap<i64, usize> = HashMap::with_capacity(hs.len());
    for (ci, chunk) in hs.chunks(LOOKUP_CHUNK).enumerate() {
        let base = ci * LOOKUP_CHUNK;
        let lookup = to_look_up(chunk.iter().map(|h| h.id.0), &first);
        let mut stored = stored_households(tx, &lookup).await?;
        let mut fresh = Vec::new();
        for (k, h) in chunk.iter().enumerate() {
            let i = base + k;
            let id = h.id.0;
            let (segments, chains) = encode(h);
            let known = match first.get(&id) {
                Some(&j) => Some(encode(&hs[j])),
                None => stored.remove(&id),
            };
            match known {
                Some((s, c)) if s == segments && c == chains => report.households_existing += 1,
                Some(_) => {
                    tick(progress, 0, base, i);
                    let e = LedgerError::Conflict(format!("household {}", h.id));
                    return Err(refused(i, e));
                }
                None if id <= 0 => {
                    tick(progress, 0, base, i);
                    return Err(refused(i, bad_household_id(h.id)));
                }
                None if h.segments.iter().any(|s| s.is_empty() || s.contains(';')) => {
                    tick(progress, 0, base, i);
                    let e = LedgerError::invalid("segments", "a segment is empty or holds `;`");
                    return Err(refused(i, e));
                }
                None => {
                    fresh.push((id, segments, chains));
                    report.households_created += 1;
                }
            }
            first.entry(id).or_insert(i);
        }
        insert_households(tx, fresh).await?;
        tick(progress, 0, base, base + chunk.len());
    }
    Ok(first)
}

/// The stored households among `ids`: id → (segments, chosen chains).
async fn stored_households(
    tx: &mut Tx,
    ids: &[i64],
) -> Result<HashMap<i64, (String, String)>, sqlx::Error> {
    let rows = tx
        .fetch_ids(
            "SELECT id, segments, chosen_chains FROM ledger_households",
            ids,
        )
        .await?;
    rows.iter()
        .map(|r| Ok((r.i64(0)?, (r.text(1)?, r.text(2)?))))
        .collect()
}

/// Writes new households `(id, segments, chosen chains)` and their zero balances.
async fn insert_households(
    tx: &mut Tx,
    fresh: Vec<(i64, String, String)>,
) -> Result<(), sqlx::Error> {
    let mut rows = fresh.into_iter().peekable();
    while rows.peek().is_some() {
        let chunk: Vec<_> = rows.by_ref().take(INSERT_ROWS).collect();
        let now = ms(Utc::now());
        let mut a = Vec::with_capacity(chunk.len() * 4);
        let mut b = Vec::with_capacity(chunk.len() * 3);
        for (id, segments, chains) in chunk {
            a.extend([Arg::I(id), Arg::T(segments), Arg::T(chains), Arg::I(now)]);
            b.extend([Arg::I(id), Arg::I(0), Arg::I(0)]);
        }
        let n = b.len() / 3;
        tx.exec(&multi_values(HOUSEHOLD_TARGET, n, 4, ""), a)
            .await?;
        tx.exec(
            &multi_values(BALANCE_TARGET, n, 3, "ON CONFLICT (household) DO NOTHING"),
            b,
        )
        .await?;
    }
    Ok(())
}

/// Enrols the cards, after `offset` households of which `households` are the ids (every one
/// enrolled by now).
async fn enrol_cards(
    tx: &mut Tx,
    cs: &[NewCard],
    households: &HashMap<i64, usize>,
    offset: usize,
    report: &mut EnrolReport,
    progress: Option<&Progress>,
) -> Result<(), LedgerError> {
    let mut first: HashMap<i64, usize> = HashMap::with_capacity(cs.len());
    // Households not enrolled by this call that the database was found to hold.
    let mut elsewhere: HashSet<i64> = HashSet::new();
    for (ci, chunk) in cs.chunks(LOOKUP_CHUNK).enumerate() {
        let base = ci * LOOKUP_CHUNK;
        let lookup = to_look_up(chunk.iter().map(|c| c.id.0), &first);
        let stored = stored_cards(tx, &lookup).await?;
        // The households of the cards that may be new, unless known already.
        let mut asked = HashSet::new();
        let ask: Vec<i64> = chunk
            .iter()
            .filter(|c| !first.contains_key(&c.id.0) && !stored.contains_key(&c.id.0))
            .map(|c| c.household.0)
            .filter(|h| !households.contains_key(h) && !elsewhere.contains(h) && asked.insert(*h))
            .collect();
        elsewhere.extend(stored_household_ids(tx, &ask).await?);
        let mut fresh = Vec::new();
        for (k, c) in chunk.iter().enumerate() {
            let i = base + k;
            let id = c.id.0;
            let answer = if let Some(&j) = first.get(&id) {
                if cs[j] == *c {
                    Ok(false)
                } else {
                    Err(LedgerError::Conflict(format!("card {}", c.id)))
                }
            } else if let Some((household, holder, kind)) = stored.get(&id) {
                if *household == c.household.0
                    && holder == c.holder.as_str()
                    && kind == c.kind.as_str()
                {
                    Ok(false)
                } else {
                    Err(LedgerError::Conflict(format!("card {}", c.id)))
                }
            } else if households.contains_key(&c.household.0) || elsewhere.contains(&c.household.0)
            {
                Ok(true)
            } else {
                Err(LedgerError::UnknownHousehold(c.household))
            };
            match answer {
                Ok(true) => {
                    fresh.push(c);
                    report.cards_created += 1;
                }
                Ok(false) => report.cards_existing += 1,
                Err(e) => {
                    tick(progress, offset, base, i);
                    return Err(refused(offset + i, e));
                }
            }
            first.entry(id).or_insert(i);
        }
        insert_cards(tx, &fresh).await?;
        tick(progress, offset, base, base + chunk.len());
    }
    Ok(())
}

/// The stored cards among `ids`: id → (household, holder, kind).
async fn stored_cards(
    tx: &mut Tx,
    ids: &[i64],
) -> Result<HashMap<i64, (i64, String, String)>, sqlx::Error> {
    let rows = tx
        .fetch_ids("SELECT id, household, holder, kind FROM ledger_cards", ids)
        .await?;
    rows.iter()
        .map(|r| Ok((r.i64(0)?, (r.i64(1)?, r.text(2)?, r.text(3)?))))
        .collect()
}

/// The stored households among `ids`.
async fn stored_household_ids(tx: &mut Tx, ids: &[i64]) -> Result<Vec<i64>, sqlx::Error> {
    let rows = tx
        .fetch_ids("SELECT id FROM ledger_households", ids)
        .await?;
    rows.iter().map(|r| r.i64(0)).collect()
}

/// Writes new cards.
async fn insert_cards(tx: &mut Tx, fresh: &[&NewCard]) -> Result<(), sqlx::Error> {
    for chunk in fresh.chunks(INSERT_ROWS) {
        let now = ms(Utc::now());
        let mut a = Vec::with_capacity(chunk.len() * 5);
        for c in chunk {
            a.extend([
                Arg::I(c.id.0),
                Arg::I(c.household.0),
                Arg::T(c.holder.as_str().to_string()),
                Arg::T(c.kind.as_str().to_string()),
                Arg::I(now),
            ]);
        }
        tx.exec(&multi_values(CARD_TARGET, chunk.len(), 5, ""), a)
            .await?;
    }
    Ok(())
}

const HOUSEHOLD_TARGET: &str = "ledger_households (id, segments, chosen_chains, created_at)";
const BALANCE_TARGET: &str = "ledger_balances (household, points, money)";
const CARD_TARGET: &str = "ledger_cards (id, household, holder, kind, created_at)";
