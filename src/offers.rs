//! Offers on three levels (store, chain, network) and the per-location view.
//!
//! An [`OfferBook`] holds offers in memory; it is filled from `data/offers.csv` (exports before the
//! ledger) or from the ledger's database. [`OfferSource`] is what exports, the HTTP outlet detail
//! and the web map ask: "which offers apply at this outlet on this day, for this household?".

use crate::model::text::{rules, TextRule};
use crate::model::{ChainId, Outlet, OutletId};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeSet, HashMap};

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
    fn offers_at<'s>(
        &'s self,
        outlet: &Outlet,
        day: NaiveDate,
        audience: Option<&Audience>,
    ) -> Vec<&'s Offer>;

    /// Every offer held, by id.
    fn offers(&self) -> &[Offer];
}

/// Offers held in memory, indexed by where they apply.
#[derive(Debug, Clone, Default)]
pub struct OfferBook {
    offers: Vec<Offer>,
    /// Positions in `offers` (so by id) of each store's, each chain's and the network's offers.
    by_store: HashMap<OutletId, Vec<usize>>,
    by_chain: HashMap<ChainId, Vec<usize>>,
    network: Vec<usize>,
}

impl OfferBook {
    /// A book of these offers.
    pub fn new(mut offers: Vec<Offer>) -> Self {
        offers.sort_by(|a, b| a.id.cmp(&b.id));
        let mut book = OfferBook::default();
        for (i, o) in offers.iter().enumerate() {
            match &o.level {
                Level::Store(id) => book.by_store.entry(*id).or_default().push(i),
                Level::Chain(c) => book.by_chain.entry(c.clone()).or_default().push(i),
                Level::Network => book.network.push(i),
            }
        }
        book.offers = offers;
        book
    }

    /// All offers, by id.
    pub fn all(&self) -> &[Offer] {
        &self.offers
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
    fn offers_at<'s>(
        &'s self,
        outlet: &Outlet,
        day: NaiveDate,
        audience: Option<&Audience>,
    ) -> Vec<&'s Offer> {
        // Store, chain, network: each list is in id order, so the answer needs no sort.
        let none: &[usize] = &[];
        let store = self.by_store.get(&outlet.id).map_or(none, Vec::as_slice);
        let chain = self.by_chain.get(&outlet.chain).map_or(none, Vec::as_slice);
        store
            .iter()
            .chain(chain)
            .chain(&self.network)
            .map(|&i| &self.offers[i])
            .filter(|o| applies(o, outlet, day, audience))
            .collect()
    }

    fn offers(&self) -> &[Offer] {
        &self.offers
    }
}

/// Why an offers file could not be read.
#[derive(Debug, thiserror::Error)]
pub enum OffersError {
    /// The file could not be opened or read.
    #[error("reading {path}: {source}")]
    Io {
        /// The file.
        path: std::path::PathBuf,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
    /// A row with a bad field.
    #[error("{path}:{line}: field `{field}`: {reason}")]
    BadField {
        /// The file.
        path: std::path::PathBuf,
        /// 1-based line number (the header is line 1).
        line: u64,
        /// The column.
        field: &'static str,
        /// What is wrong.
        reason: String,
    },
}

#[derive(Debug, Deserialize)]
struct OfferRow {
    id: String,
    level: String,
    target: String,
    title: String,
    benefit: String,
    value: String,
    valid_from: String,
    valid_to: String,
    segments: String,
}

/// Reads `offers.csv` (`id,level,target,title,benefit,value,valid_from,valid_to,segments`) into a
/// book; every malformed row is reported with file, line and field.
pub fn load_csv(path: &std::path::Path) -> Result<OfferBook, OffersError> {
    let bad = |line: u64, field: &'static str, reason: String| OffersError::BadField {
        path: path.to_path_buf(),
        line,
        field,
        reason,
    };
    let bytes = crate::csvin::read(path).map_err(|source| OffersError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    let mut rdr = ::csv::ReaderBuilder::new()
        .trim(::csv::Trim::All)
        .from_reader(bytes.as_slice());
    let csv_err = |e: ::csv::Error| {
        let line = crate::csvin::record_line(&bytes, e.position()).max(1);
        bad(line, "row", e.to_string())
    };
    let headers = rdr.headers().map_err(csv_err)?.clone();
    let mut offers = Vec::new();
    for rec in rdr.records() {
        let rec = rec.map_err(csv_err)?;
        // The record's own line: blank lines and quoted line breaks make it differ from the row count.
        let line = crate::csvin::record_line(&bytes, rec.position());
        let r: OfferRow = rec
            .deserialize(Some(&headers))
            .map_err(|e| bad(line, "row", e.to_string()))?;
        let level = match r.level.as_str() {
            "store" => Level::Store(
                r.target
                    .parse()
                    .map_err(|e: crate::model::ModelError| bad(line, "target", e.to_string()))?,
            ),
            "chain" => Level::Chain(
                ChainId::new(&r.target).map_err(|e| bad(line, "target", e.to_string()))?,
            ),
            "network" => Level::Network,
            other => {
                return Err(bad(
                    line,
                    "level",
                    format!("`{other}`: expected store, chain or network"),
                ))
            }
        };
        let benefit = match r.benefit.as_str() {
            "discount" => Benefit::Discount {
                percent: r
                    .value
                    .parse::<u8>()
                    .ok()
                    .filter(|p| (10..=100).contains(p))
                    .ok_or_else(|| {
                        bad(
                            line,
                            "value",
                            format!("`{}`: expected a percent 10..=100", r.value),
                        )
                    })?,
            },
            "extra_points" => Benefit::ExtraPoints {
                points: r.value.parse().map_err(|_| {
                    bad(
                        line,
                        "value",
                        format!("`{}`: expected whole points", r.value),
                    )
                })?,
            },
            other => {
                return Err(bad(
                    line,
                    "benefit",
                    format!("`{other}`: expected discount or extra_points"),
                ))
            }
        };
        let date = |field: &'static str, s: &str| {
            NaiveDate::parse_from_str(s, "%Y-%m-%d")
                .map_err(|e| bad(line, field, format!("`{s}`: {e}; expected YYYY-MM-DD")))
        };
        let (valid_from, valid_to) = (
            date("valid_from", &r.valid_from)?,
            date("valid_to", &r.valid_to)?,
        );
        if valid_to < valid_from {
            return Err(bad(line, "valid_to", "before valid_from".into()));
        }
        let text = |rule: TextRule, v: &str| {
            rule.clean(v)
                .map_err(|e| bad(line, rule.field, e.to_string()))
        };
        let segments = r
            .segments
            .split(';')
            .filter(|s| !s.trim().is_empty())
            .map(|s| text(rules::OFFER_SEGMENT, s))
            .collect::<Result<_, _>>()?;
        offers.push(Offer {
            id: text(rules::OFFER_ID, &r.id)?,
            level,
            title: text(rules::OFFER_TITLE, &r.title)?,
            benefit,
            valid_from,
            valid_to,
            segments,
        });
    }
    Ok(OfferBook::new(offers))
}

#[cfg(test)]
mod load_tests {
    use super::*;

    #[test]
    fn load_csv_reads_three_levels_and_names_bad_fields() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("offers.csv");
        std::fs::write(
            &p,
            "id,level,target,title,benefit,value,valid_from,valid_to,segments\n\
             S-1,store,7,Coffee,discount,20,2026-11-01,2026-11-30,\n\
             C-1,chain,k-market,Bread,extra_points,50,2026-11-01,2026-11-30,napero;traveller\n\
             N-1,network,,All,discount,10,2026-11-01,2026-12-31,\n",
        )
        .unwrap();
        let b = load_csv(&p).unwrap();
        assert_eq!(b.all().len(), 3);
        assert_eq!(
            b.all()[0].level,
            Level::Chain(ChainId::new("k-market").unwrap())
        );
        assert_eq!(b.all()[0].segments.len(), 2);
        std::fs::write(
            &p,
            "id,level,target,title,benefit,value,valid_from,valid_to,segments\n\
             S-1,store,7,Coffee,discount,5,2026-11-01,2026-11-30,\n",
        )
        .unwrap();
        let e = load_csv(&p).unwrap_err().to_string();
        assert!(e.contains("offers.csv:2: field `value`"), "{e}");
    }

    #[test]
    fn load_csv_names_the_real_line_after_blank_lines_and_quoted_line_breaks() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("offers.csv");
        std::fs::write(
            &p,
            "id,level,target,title,benefit,value,valid_from,valid_to,segments\n\
             \n\
             C-1,chain,k-market,Bread,extra_points,50,2026-11-01,2026-11-30,\"napero;\ntraveller\"\n\
             S-1,store,7,Coffee,discount,5,2026-11-01,2026-11-30,\n",
        )
        .unwrap();
        let e = load_csv(&p).unwrap_err().to_string();
        assert!(e.contains("offers.csv:5: field `value`"), "{e}");
    }
}
