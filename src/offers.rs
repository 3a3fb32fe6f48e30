//! Offers on three levels (store, chain, network) and the per-location view.
//!
//! An [`OfferBook`] holds offers in memory; it is filled from `data/offers.csv` (exports before the
//! ledger) or from the ledger's database. [`OfferSource`] is what exports, the HTTP outlet detail
//! and the web map ask: "which offers apply at this outlet on this day, for this household?".

use crate::model::{ChainId, Outlet, OutletId};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;

/// Where an offer applies.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "level", content = "target", rename_all = "lowercase")]
pub enum Level {
    /// One outlet.
    Store(OutletId),
    /// Every outlet of a chain.
    Chain(ChainId),
    /// Everywhere in the network.
    Network,
}

impl Level {
    /// `store`, `chain` or `network`.
    pub fn name(&self) -> &'static str {
        match self {
            Level::Store(_) => "store",
            Level::Chain(_) => "chain",
            Level::Network => "network",
        }
    }
}

/// What the customer gets.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Benefit {
    /// A discount at the checkout, in percent (at least 10).
    Discount {
        /// Percent off, 10..=100.
        percent: u8,
    },
    /// Extra K-Plussa points per purchase.
    ExtraPoints {
        /// Points granted.
        points: u32,
    },
}

/// One offer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Offer {
    /// Stable id, e.g. `N-0001`.
    pub id: String,
    /// Where it applies.
    pub level: Level,
    /// Short text shown to the customer.
    pub title: String,
    /// What the customer gets.
    pub benefit: Benefit,
    /// First valid day (inclusive), Helsinki local date.
    pub valid_from: NaiveDate,
    /// Last valid day (inclusive), Helsinki local date.
    pub valid_to: NaiveDate,
    /// Segments targeted (e.g. `napero`, `traveller`, `young-movers`); empty = everyone.
    pub segments: BTreeSet<String>,
}

/// What is known of the household asking, for targeted offers.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Audience {
    /// The household's segments.
    pub segments: BTreeSet<String>,
    /// Chains the household chose to follow; empty = no choice made.
    pub chosen_chains: BTreeSet<ChainId>,
}

/// Anything that can answer "which offers apply here?".
pub trait OfferSource: Send + Sync {
    /// The offers valid on `day` at `outlet`: that store's, its chain's and the network's, in that
    /// order (then by id). With `audience = None` only untargeted offers are returned.
    fn offers_at(&self, outlet: &Outlet, day: NaiveDate, audience: Option<&Audience>)
        -> Vec<Offer>;
}

/// Offers held in memory.
#[derive(Debug, Clone, Default)]
pub struct OfferBook {
    offers: Vec<Offer>,
}

impl OfferBook {
    /// A book of these offers.
    pub fn new(mut offers: Vec<Offer>) -> Self {
        offers.sort_by(|a, b| a.id.cmp(&b.id));
        OfferBook { offers }
    }

    /// All offers, by id.
    pub fn all(&self) -> &[Offer] {
        &self.offers
    }
}

fn level_rank(l: &Level) -> u8 {
    match l {
        Level::Store(_) => 0,
        Level::Chain(_) => 1,
        Level::Network => 2,
    }
}

/// True if `offer` applies at `outlet` on `day` for `audience`.
pub fn applies(
    offer: &Offer,
    outlet: &Outlet,
    day: NaiveDate,
    audience: Option<&Audience>,
) -> bool {
    let place = match &offer.level {
        Level::Store(id) => *id == outlet.id,
        Level::Chain(c) => *c == outlet.chain,
        Level::Network => true,
    };
    if !place || day < offer.valid_from || day > offer.valid_to {
        return false;
    }
    if offer.segments.is_empty() {
        // A chain offer is shown to a household that picked chains only if it picked this one.
        return match (audience, &offer.level) {
            (Some(a), Level::Chain(c)) if !a.chosen_chains.is_empty() => {
                a.chosen_chains.contains(c)
            }
            _ => true,
        };
    }
    match audience {
        Some(a) => !offer.segments.is_disjoint(&a.segments),
        None => false,
    }
}

impl OfferSource for OfferBook {
    fn offers_at(
        &self,
        outlet: &Outlet,
        day: NaiveDate,
        audience: Option<&Audience>,
    ) -> Vec<Offer> {
        let mut out: Vec<Offer> = self
            .offers
            .iter()
            .filter(|o| applies(o, outlet, day, audience))
            .cloned()
            .collect();
        out.sort_by(|a, b| (level_rank(&a.level), &a.id).cmp(&(level_rank(&b.level), &b.id)));
        out
    }
}
