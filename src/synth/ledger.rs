//! The demo sample for the loyalty ledger: households with their cards, and a month of purchases
//! at the generated outlets, in the formats `storenet ledger ingest` reads
//! ([`crate::ledger::CARDS_HEADER`], [`crate::ledger::PURCHASES_HEADER`]).
//!
//! SYNTHETIC like the rest of the data set. Each household lives by a "home" food store (bigger
//! stores serve more households) and shops mostly there, sometimes at the other outlets nearest
//! to it (any chain, partners included). Baskets depend on the chain's category; food and fuel
//! baskets may hold ineligible parts (alcohol, tobacco, bottle deposits, gambling). Amounts are
//! drawn with integer arithmetic only, and keys are UUIDv7 built from the purchase's time and
//! random bytes of the seeded stream, so the files are reproducible byte for byte.

use super::chains;
use super::outlets::OutletRow;
use chrono::{NaiveDate, TimeZone, Utc};
use rand::Rng;
use rand_chacha::ChaCha8Rng;
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};

/// Households in the sample.
pub const DEMO_HOUSEHOLDS: u32 = 3_000;
/// The first household id (ids run from here, one by one).
pub const FIRST_HOUSEHOLD: i64 = 100_001;
/// The month the purchases fall in (Helsinki calendar month).
pub const DEMO_MONTH: (i32, u32) = (2026, 10);
/// Outlets nearest to a household's home store that it also visits.
const NEIGHBOURS: usize = 15;

/// One row of `ledger/cards.csv` (a household's segments and chains repeat on each of its rows).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CardRow {
    /// Card number: the household id × 10 + 1, 2, ….
    pub card: i64,
    /// Household id.
    pub household: i64,
    /// `primary` or `secondary`.
    pub holder: &'static str,
    /// `plastic`, `co-branded`, `mobile` or `traveller`.
    pub kind: &'static str,
    /// `;`-separated from `napero`, `traveller`, `young-movers`.
    pub segments: String,
    /// `;`-separated chain ids the household chose in the mobile app.
    pub chosen_chains: String,
}

/// One row of `ledger/purchases-YYYY-MM.csv`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PurchaseRow {
    /// UUIDv7, hyphenated.
    pub key: String,
    /// Card number.
    pub card: i64,
    /// Outlet id (from `outlets.csv`).
    pub outlet: u32,
    /// The outlet's chain.
    pub chain: &'static str,
    /// The whole basket, cents.
    pub amount_cents: i64,
    /// Alcohol, tobacco, bottle deposits and gambling in it, cents.
    pub ineligible_cents: i64,
    /// RFC 3339 UTC, whole seconds.
    pub at: String,
}

/// The demo sample.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Demo {
    /// Card rows, by household then card.
    pub cards: Vec<CardRow>,
    /// Purchases, by time then key.
    pub purchases: Vec<PurchaseRow>,
}

/// `ledger/cards.csv` as bytes.
pub(crate) fn cards_csv(d: &Demo) -> Vec<u8> {
    super::csv_bytes(&d.cards)
}

/// `ledger/purchases-YYYY-MM.csv` as bytes.
pub(crate) fn purchases_csv(d: &Demo) -> Vec<u8> {
    super::csv_bytes(&d.purchases)
}

/// The purchases file's name, e.g. `purchases-2026-10.csv`.
pub(crate) fn purchases_file() -> String {
    format!("purchases-{}-{:02}.csv", DEMO_MONTH.0, DEMO_MONTH.1)
}

fn is_food(chain: &str) -> bool {
    chains::get(chain).is_some_and(|c| c.category == "food")
}

/// Squared distance in km² on a local equirectangular projection around `cos_lat` (a ranking
/// only: never shown as a distance).
fn dist2(a: &OutletRow, b: &OutletRow, cos_lat: f64) -> f64 {
    let dx = (a.lon - b.lon) * cos_lat * 111.32;
    let dy = (a.lat - b.lat) * 110.57;
    dx * dx + dy * dy
}

/// Draws from `0..total` and returns the index whose cumulative weight covers it.
fn weighted(rng: &mut ChaCha8Rng, weights: &[u32]) -> usize {
    let total: u32 = weights.iter().sum();
    let mut x = rng.gen_range(0..total);
    for (i, w) in weights.iter().enumerate() {
        if x < *w {
            return i;
        }
        x -= w;
    }
    weights.len() - 1
}

/// A basket at a chain: (whole amount, ineligible part), cents.
fn basket(rng: &mut ChaCha8Rng, chain: &str) -> (i64, i64) {
    let category = chains::get(chain).map_or("other", |c| c.category);
    let items =
        |rng: &mut ChaCha8Rng, n: std::ops::RangeInclusive<i64>, each: std::ops::Range<i64>| {
            let k = rng.gen_range(n);
            (0..k).map(|_| rng.gen_range(each.clone())).sum::<i64>()
        };
    let eligible = match (chain, category) {
        ("k-citymarket", _) => items(rng, 3..=45, 80..1_200),
        (_, "food") => items(rng, 1..=25, 60..900),
        (_, "building") => items(rng, 1..=6, 400..9_000),
        (_, "sports") => items(rng, 1..=3, 1_500..13_000),
        (_, "home") => items(rng, 1..=4, 800..9_000),
        (_, "fuel") => rng.gen_range(2_500..9_500) + items(rng, 0..=3, 150..600),
        (_, "restaurant") => items(rng, 1..=4, 250..1_200),
        _ => items(rng, 1..=2, 900..9_000),
    };
    let mut ineligible = 0;
    if category == "food" {
        if rng.gen_bool(0.25) {
            ineligible += items(rng, 1..=4, 180..1_800); // alcohol
        }
        if rng.gen_bool(0.15) {
            ineligible += rng.gen_range(40..600); // bottle deposits
        }
    }
    if category == "food" || category == "fuel" {
        if rng.gen_bool(0.06) {
            ineligible += rng.gen_range(1_000..1_350); // tobacco
        }
        if rng.gen_bool(0.05) {
            ineligible += rng.gen_range(100..2_000); // gambling
        }
    }
    // A basket of nothing but ineligible goods is possible; an empty one is not.
    let eligible = if ineligible == 0 {
        eligible.max(50)
    } else {
        eligible
    };
    (eligible + ineligible, ineligible)
}

/// The outlets nearest to `home` (itself first), by distance then id.
fn neighbourhood(outlets: &[OutletRow], home: usize) -> Vec<usize> {
    let h = &outlets[home];
    let cos_lat = h.lat.to_radians().cos();
    let mut by: Vec<(f64, u32, usize)> = outlets
        .iter()
        .enumerate()
        .map(|(i, o)| (dist2(h, o, cos_lat), o.id, i))
        .collect();
    by.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
    by.into_iter().take(NEIGHBOURS + 1).map(|t| t.2).collect()
}

/// Generates the demo sample at `outlets` from `rng`.
pub(crate) fn generate(outlets: &[OutletRow], rng: &mut ChaCha8Rng) -> Demo {
    let homes: Vec<usize> = (0..outlets.len())
        .filter(|&i| is_food(outlets[i].chain))
        .collect();
    let home_weights: Vec<u32> = homes
        .iter()
        .map(|&i| match outlets[i].chain {
            "k-citymarket" => 6,
            "k-supermarket" => 3,
            _ => 1,
        })
        .collect();
    let k_chains: Vec<&'static str> = chains::all()
        .iter()
        .filter(|c| c.k_group)
        .map(|c| c.id)
        .collect();
    let (year, month) = DEMO_MONTH;
    let first = NaiveDate::from_ymd_opt(year, month, 1);
    let days = first
        .and_then(|f| f.checked_add_months(chrono::Months::new(1)))
        .zip(first)
        .map_or(30, |(next, f)| (next - f).num_days() as u32);
    let mut near_cache: BTreeMap<usize, Vec<usize>> = BTreeMap::new();
    let mut cards = Vec::new();
    let mut purchases = Vec::new();
    for n in 0..DEMO_HOUSEHOLDS {
        let household = FIRST_HOUSEHOLD + i64::from(n);
        let home = if homes.is_empty() {
            0
        } else {
            homes[weighted(rng, &home_weights)]
        };
        let near = near_cache
            .entry(home)
            .or_insert_with(|| neighbourhood(outlets, home))
            .clone();

        // Segments: families with small children, travellers, young people moving home.
        let napero = rng.gen_bool(0.15);
        let traveller = rng.gen_bool(0.08);
        let young = !napero && rng.gen_bool(0.07);
        let mut segments = Vec::new();
        if napero {
            segments.push("napero");
        }
        if traveller {
            segments.push("traveller");
        }
        if young {
            segments.push("young-movers");
        }
        let holders = if young {
            1 + u32::from(rng.gen_bool(0.3))
        } else {
            [1, 2, 2, 2, 3][rng.gen_range(0..5)] + u32::from(napero && rng.gen_bool(0.3))
        };
        let mut kinds: Vec<(&'static str, &'static str)> = Vec::new();
        for h in 0..holders {
            let (holder, kind) = if h == 0 {
                (
                    "primary",
                    ["plastic", "co-branded", "mobile"][weighted(rng, &[5, 3, 3])],
                )
            } else {
                ("secondary", ["plastic", "mobile"][weighted(rng, &[4, 6])])
            };
            kinds.push((holder, kind));
        }
        if traveller {
            kinds.push(("primary", "traveller"));
        }
        let chosen: BTreeSet<&'static str> = if kinds.iter().any(|(_, k)| *k == "mobile") {
            let n = rng.gen_range(0..=3);
            (0..n)
                .map(|_| k_chains[rng.gen_range(0..k_chains.len())])
                .collect()
        } else {
            BTreeSet::new()
        };
        let segments = segments.join(";");
        let chosen = chosen.into_iter().collect::<Vec<_>>().join(";");
        let first_card = cards.len();
        for (k, (holder, kind)) in kinds.iter().enumerate() {
            cards.push(CardRow {
                card: household * 10 + k as i64 + 1,
                household,
                holder,
                kind,
                segments: segments.clone(),
                chosen_chains: chosen.clone(),
            });
        }
        let my_cards: Vec<i64> = cards[first_card..].iter().map(|c| c.card).collect();
        let card_weights: Vec<u32> = cards[first_card..]
            .iter()
            .map(|c| if c.holder == "primary" { 3 } else { 2 })
            .collect();

        let visits = 2 + 4 * holders + rng.gen_range(0..=4) + if napero { 3 } else { 0 };
        let food_near: Vec<usize> = near
            .iter()
            .copied()
            .filter(|&i| is_food(outlets[i].chain))
            .collect();
        for _ in 0..visits {
            let o = match rng.gen_range(0..100) {
                0..=59 => home,
                60..=84 if !food_near.is_empty() => food_near[rng.gen_range(0..food_near.len())],
                _ => near[rng.gen_range(0..near.len())],
            };
            let outlet = &outlets[o];
            let (amount_cents, ineligible_cents) = basket(rng, outlet.chain);
            let day = rng.gen_range(1..=days);
            let (hour, minute, second) = (
                rng.gen_range(7..21),
                rng.gen_range(0..60),
                rng.gen_range(0..60),
            );
            // Shop hours are never in the autumn's repeated hour (03:00–04:00), so the local
            // time has one UTC instant.
            let at = NaiveDate::from_ymd_opt(year, month, day)
                .and_then(|d| d.and_hms_opt(hour, minute, second))
                .and_then(|t| chrono_tz::Europe::Helsinki.from_local_datetime(&t).single())
                .map(|t| t.with_timezone(&Utc));
            let Some(at) = at else { continue };
            let random: [u8; 10] = rng.gen();
            let key = uuid::Builder::from_unix_timestamp_millis(
                at.timestamp_millis().max(0) as u64,
                &random,
            )
            .into_uuid();
            purchases.push(PurchaseRow {
                key: key.hyphenated().to_string(),
                card: my_cards[weighted(rng, &card_weights)],
                outlet: outlet.id,
                chain: outlet.chain,
                amount_cents,
                ineligible_cents,
                at: at.format("%Y-%m-%dT%H:%M:%SZ").to_string(),
            });
        }
    }
    // Like a feed: in time order (RFC 3339 UTC strings sort by time).
    purchases.sort_by(|a, b| a.at.cmp(&b.at).then_with(|| a.key.cmp(&b.key)));
    Demo { cards, purchases }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    #[test]
    fn baskets_hold_their_ineligible_part_and_are_never_empty() {
        let mut rng = ChaCha8Rng::seed_from_u64(1);
        for chain in [
            "k-market",
            "k-citymarket",
            "teboil",
            "k-rauta",
            "kahvila-kaneli",
        ] {
            for _ in 0..2_000 {
                let (amount, ineligible) = basket(&mut rng, chain);
                assert!(amount > 0 && (0..=amount).contains(&ineligible), "{chain}");
            }
        }
    }

    #[test]
    fn headers_are_those_the_ledger_reads() {
        let d = Demo {
            cards: vec![],
            purchases: vec![],
        };
        assert!(cards_csv(&d).is_empty());
        let one = Demo {
            cards: vec![CardRow {
                card: 11,
                household: 1,
                holder: "primary",
                kind: "plastic",
                segments: String::new(),
                chosen_chains: String::new(),
            }],
            purchases: vec![PurchaseRow {
                key: uuid::Uuid::nil().to_string(),
                card: 11,
                outlet: 1,
                chain: "k-market",
                amount_cents: 100,
                ineligible_cents: 0,
                at: "2026-10-01T10:00:00Z".into(),
            }],
        };
        let c = String::from_utf8(cards_csv(&one)).unwrap();
        let p = String::from_utf8(purchases_csv(&one)).unwrap();
        assert_eq!(c.lines().next(), Some(crate::ledger::CARDS_HEADER));
        assert_eq!(p.lines().next(), Some(crate::ledger::PURCHASES_HEADER));
    }
}
