//! The ledger's values: households, cards, writes and their receipts.

use super::rules::Month;
use crate::model::{ChainId, OutletId};
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::collections::BTreeSet;
use std::fmt;
use std::str::FromStr;
use uuid::Uuid;

/// A household's id: the programme's customer number.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct HouseholdId(pub i64);

/// A card number.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct CardId(pub i64);

impl fmt::Display for HouseholdId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

impl fmt::Display for CardId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

/// Who holds a card in the household.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Holder {
    /// The primary cardholder: controls what secondary holders may see and use.
    Primary,
    /// A secondary cardholder (free cards for the household's members).
    Secondary,
}

/// The form of a card. All kinds earn alike; the kind is kept for reporting.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum CardKind {
    /// The plastic K-Plussa card.
    Plastic,
    /// A bank debit or credit card carrying the K-Plussa feature.
    CoBranded,
    /// The mobile card.
    Mobile,
    /// The Traveller's K-Plussa card.
    Traveller,
}

macro_rules! str_enum {
    ($t:ty, $what:literal, $($v:ident = $s:literal),+) => {
        impl $t {
            /// Its name in files and the database.
            pub fn as_str(&self) -> &'static str {
                match self { $(Self::$v => $s),+ }
            }
        }
        impl FromStr for $t {
            type Err = String;
            fn from_str(s: &str) -> Result<Self, String> {
                match s.trim() {
                    $($s => Ok(Self::$v),)+
                    other => Err(format!(concat!("unknown ", $what, " `{}`: expected one of ", $($s, " "),+), other)),
                }
            }
        }
    };
}
str_enum!(
    Holder,
    "holder",
    Primary = "primary",
    Secondary = "secondary"
);
str_enum!(
    CardKind,
    "card kind",
    Plastic = "plastic",
    CoBranded = "co-branded",
    Mobile = "mobile",
    Traveller = "traveller"
);

/// A household joining the programme. Idempotent by `id`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewHousehold {
    /// Its id.
    pub id: HouseholdId,
    /// Segments it belongs to (e.g. `napero`, `traveller`, `young-movers`).
    pub segments: BTreeSet<String>,
    /// Chains it chose to follow; empty = no choice made.
    pub chosen_chains: BTreeSet<ChainId>,
}

/// A card given to a household. Idempotent by `id`; a card never moves to another household.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewCard {
    /// The card number.
    pub id: CardId,
    /// The household whose total its purchases pool into.
    pub household: HouseholdId,
    /// Primary or secondary holder.
    pub holder: Holder,
    /// Plastic, co-branded, mobile or traveller.
    pub kind: CardKind,
}

/// A purchase reported by an outlet.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Purchase {
    /// The client's idempotency key (UUIDv7).
    pub key: Uuid,
    /// The card shown at the checkout.
    pub card: CardId,
    /// Where.
    pub outlet: OutletId,
    /// The outlet's chain (campaigns are per chain).
    pub chain: ChainId,
    /// The total, in cents (> 0).
    pub amount_cents: i64,
    /// The part that earns no points (alcohol, tobacco, bottle returns, gambling), in cents.
    pub ineligible_cents: i64,
    /// When.
    pub at: DateTime<Utc>,
}

/// What a purchase earned.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct PurchaseReceipt {
    /// The household credited.
    pub household: HouseholdId,
    /// Base points: one per whole euro of eligible amount.
    pub points: i64,
    /// Extra points from chain campaigns (their own entry; not counted towards the bonus step).
    pub campaign_points: i64,
}

/// A return of goods from an earlier purchase.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Return {
    /// The client's idempotency key.
    pub key: Uuid,
    /// The purchase's key.
    pub purchase: Uuid,
    /// Cents returned (> 0, at most what is left of the purchase).
    pub amount_cents: i64,
    /// When.
    pub at: DateTime<Utc>,
}

/// What a return reversed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReturnReceipt {
    /// The household debited.
    pub household: HouseholdId,
    /// Base points reversed.
    pub points: i64,
    /// Campaign points reversed.
    pub campaign_points: i64,
    /// Eligible cents taken off the bonus base of the return's month.
    pub eligible_cents: i64,
}

/// Plussa money used at a checkout.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Redemption {
    /// The client's idempotency key.
    pub key: Uuid,
    /// Whose money.
    pub household: HouseholdId,
    /// Cents used (> 0, at most the balance).
    pub cents: i64,
    /// When.
    pub at: DateTime<Utc>,
}

/// Which balance a correction moves.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Unit {
    /// Points.
    Points,
    /// Plussa money, in cents.
    Cents,
}

impl Unit {
    /// `points` or `cents`.
    pub fn as_str(&self) -> &'static str {
        match self {
            Unit::Points => "points",
            Unit::Cents => "cents",
        }
    }
}

/// A correction: a new entry, never an edit. Refused if it would take a balance below zero.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Correction {
    /// The client's idempotency key.
    pub key: Uuid,
    /// Whose balance.
    pub household: HouseholdId,
    /// Points or Plussa money.
    pub unit: Unit,
    /// Signed change (≠ 0). Money credited is valid like converted money.
    pub delta: i64,
    /// Why (kept with the entry's request).
    pub reason: String,
    /// When.
    pub at: DateTime<Utc>,
}

/// The extra a campaign gives per purchase.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", content = "value", rename_all = "lowercase")]
pub enum Extra {
    /// Base points multiplied (2 = double points: the extra entry is base × (m − 1)).
    Multiplier(u32),
    /// A fixed number of extra points per purchase.
    Fixed(u32),
}

/// A chain campaign ("extra points") for a period `[starts, ends)`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Campaign {
    /// The client's idempotency key.
    pub key: Uuid,
    /// The chain.
    pub chain: ChainId,
    /// Title shown on statements.
    pub title: String,
    /// First instant.
    pub starts: DateTime<Utc>,
    /// First instant after.
    pub ends: DateTime<Utc>,
    /// The extra.
    pub extra: Extra,
}

/// Whether a write was applied now or had been applied before with the same content.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum WriteStatus {
    /// Applied by this call.
    Created,
    /// The same key and content were applied before; the stored result is returned.
    Exists,
}

/// A write's result.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Written<T> {
    /// Created or exists.
    pub status: WriteStatus,
    /// The stored result.
    pub value: T,
}

/// A household's balances.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Balance {
    /// Whose.
    pub household: HouseholdId,
    /// Points not yet converted (negative after a return of converted points).
    pub points: i64,
    /// Plussa money, cents.
    pub money_cents: i64,
}

/// A household's monthly statement, written by month end.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Statement {
    /// Whose.
    pub household: HouseholdId,
    /// Which month.
    pub month: Month,
    /// Purchases made (count).
    pub purchases: i64,
    /// Their total, cents.
    pub purchase_cents: i64,
    /// Returned in the month, cents.
    pub returned_cents: i64,
    /// Eligible purchases net of returns: the bonus base, cents.
    pub eligible_cents: i64,
    /// Base points net of returns.
    pub points: i64,
    /// Campaign points net of returns (their own line; not in the bonus base).
    pub campaign_points: i64,
    /// The bonus step reached, basis points of the eligible purchases (0 below the first step).
    pub bonus_step_bp: i64,
    /// Bonus points.
    pub bonus_points: i64,
    /// Points converted to Plussa money.
    pub converted_points: i64,
    /// Plussa money paid for them, cents.
    pub money_paid_cents: i64,
    /// Last valid day of that money.
    pub money_valid_to: NaiveDate,
    /// Plussa money used in the month, cents.
    pub money_redeemed_cents: i64,
    /// Plussa money expired at the month's end, cents.
    pub money_expired_cents: i64,
    /// Points left after conversion.
    pub points_balance: i64,
    /// Plussa money after the month end, cents.
    pub money_balance_cents: i64,
}

/// What a month end did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MonthEndReport {
    /// Which month.
    pub month: Month,
    /// Statements written.
    pub statements: i64,
    /// Bonus points granted.
    pub bonus_points: i64,
    /// Points converted.
    pub converted_points: i64,
    /// Plussa money paid, cents.
    pub money_paid_cents: i64,
    /// Plussa money expired, cents.
    pub money_expired_cents: i64,
}

/// What an enrolment of households and cards did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct EnrolReport {
    /// Households added.
    pub households_created: u64,
    /// Households that were there with the same content.
    pub households_existing: u64,
    /// Cards added.
    pub cards_created: u64,
    /// Cards that were there with the same content.
    pub cards_existing: u64,
}

/// What `verify` found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VerifyReport {
    /// Entries read.
    pub entries: i64,
    /// Households checked.
    pub households: i64,
    /// Sum of every points account (0 when the books balance), summed in 128 bits.
    pub points_sum: i128,
    /// Sum of every money account (0 when the books balance), summed in 128 bits.
    pub cents_sum: i128,
    /// Every difference found (at most 100 listed).
    pub problems: Vec<String>,
}

impl VerifyReport {
    /// True when the cached balances match the entries and the books balance.
    pub fn ok(&self) -> bool {
        self.problems.is_empty() && self.points_sum == 0 && self.cents_sum == 0
    }
}

/// A 63-bit content hash of a write, for "same key, same content?": SHA-256 of the kind and the
/// write's JSON text.
pub(crate) fn content_hash<T: Serialize>(kind: &str, v: &T) -> i64 {
    // The JSON is written out and hashed in one piece: fed to the hash token by token as serde
    // writes it, a purchase took a third longer (measured over 10,000).
    let mut text = Vec::with_capacity(256);
    text.extend_from_slice(kind.as_bytes());
    // Serialising our own plain structs to JSON cannot fail.
    let _ = serde_json::to_writer(&mut text, v);
    let d = Sha256::digest(&text);
    let mut b = [0u8; 8];
    b.copy_from_slice(&d[..8]);
    (u64::from_le_bytes(b) >> 1) as i64
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Stored hashes must keep matching: the hash is of the kind and the JSON text, however the
    /// text reaches the hasher.
    #[test]
    fn content_hash_is_sha256_of_the_kind_and_the_json_text() {
        let p = serde_json::json!({
            "key": "0190f1c2-3b4a-7c5d-8e6f-0123456789ab",
            "card": 11,
            "outlet": 42,
            "chain": "k-market",
            "amount_cents": 12_345,
            "ineligible_cents": 0,
            "at": "2026-10-07T10:00:00Z",
            "note": "Ääkkösiä \"lainattu\"",
        });
        let mut h = Sha256::new();
        h.update(b"purchase");
        h.update(serde_json::to_vec(&p).unwrap());
        let d = h.finalize();
        let want = (u64::from_le_bytes(d[..8].try_into().unwrap()) >> 1) as i64;
        assert_eq!(content_hash("purchase", &p), want);
        assert_ne!(content_hash("return", &p), want);
    }
}
