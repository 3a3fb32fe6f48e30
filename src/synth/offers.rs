//! Sample offers on the three levels: store, chain and network.

use super::chains::ChainSpec;
use super::outlets::OutletRow;
use chrono::{Duration, NaiveDate};
use rand::seq::SliceRandom;
use rand::Rng;
use rand_chacha::ChaCha8Rng;
use serde::Serialize;

/// One row of `offers.csv`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct OfferRow {
    /// `S-0001` (store), `C-0001` (chain) or `N-0001` (network).
    pub id: String,
    /// `store`, `chain` or `network`.
    pub level: &'static str,
    /// Outlet id (store), chain id (chain) or empty (network).
    pub target: String,
    /// Text shown to the customer.
    pub title: String,
    /// `discount` or `extra_points`.
    pub benefit: &'static str,
    /// Percent (discount, at least 10) or points (extra_points).
    pub value: u32,
    /// First valid day, `YYYY-MM-DD`.
    pub valid_from: NaiveDate,
    /// Last valid day, `YYYY-MM-DD`.
    pub valid_to: NaiveDate,
    /// `;`-separated segments, may be empty.
    pub segments: String,
}

/// `offers.csv` as bytes.
pub(crate) fn to_csv(rows: &[OfferRow]) -> Vec<u8> {
    super::csv_bytes(rows)
}

const STORE_OFFERS: usize = 160;
const CHAIN_OFFERS: usize = 120;
const NETWORK_OFFERS: usize = 40;

/// Products by chain category, each with the segment it speaks to (empty = everyone).
fn subjects(category: &str) -> &'static [(&'static str, &'static str)] {
    match category {
        "food" => &[
            ("Joulukinkku", ""),
            ("Kahvi", ""),
            ("Ruisleipä", ""),
            ("Kotimaiset juustot", ""),
            ("Hedelmät ja vihannekset", ""),
            ("Pakasteet", ""),
            ("Glögi ja piparit", ""),
            ("Tuore kala", ""),
            ("Karjalanpiirakat", ""),
            ("Lastenruoat", "napero"),
            ("Vaipat", "napero"),
            ("Eväät matkalle", "traveller"),
            ("Ensimmäisen kodin perustarvikkeet", "young-movers"),
        ],
        "building" => &[
            ("Sisämaalit", ""),
            ("Työkalut", ""),
            ("Lumityökalut", ""),
            ("Valaisimet", ""),
            ("Tapetit", "young-movers"),
            ("Laminaatit", "young-movers"),
            ("Lämpöpumput", ""),
        ],
        "sports" => &[
            ("Sukset ja monot", ""),
            ("Luistimet", "napero"),
            ("Juoksukengät", ""),
            ("Talvitakit", ""),
            ("Lasten kypärät", "napero"),
            ("Retkeilyvarusteet", "traveller"),
        ],
        "home" => &[
            ("Kodintekstiilit", ""),
            ("Astiat", "young-movers"),
            ("Kynttilät", ""),
            ("Sohvat", "young-movers"),
            ("Lastenhuoneen kalusteet", "napero"),
        ],
        "fuel" => &[
            ("Autopesu", ""),
            ("Kahvi ja munkki", "traveller"),
            ("Tuulilasinpesuneste", ""),
            ("Matkaeväät", "traveller"),
        ],
        "restaurant" => &[
            ("Lounas", ""),
            ("Viikonlopun brunssi", ""),
            ("Lasten annokset", "napero"),
            ("Hotelliyö", "traveller"),
        ],
        _ => &[
            ("Talvirenkaat", ""),
            ("Huolto", ""),
            ("Silmälasit", ""),
            ("Kukkakimput", ""),
            ("Lemmikkiruoat", ""),
            ("Kirjat", ""),
            ("Matkalukemista", "traveller"),
        ],
    }
}

fn benefit(rng: &mut ChaCha8Rng) -> (&'static str, u32) {
    if rng.gen_bool(0.65) {
        let pct = [10, 15, 20, 20, 25, 30, 30, 40, 50];
        ("discount", pct.choose(rng).copied().unwrap_or(20))
    } else {
        let pts = [50, 100, 100, 150, 200, 250, 300, 500, 1000];
        ("extra_points", pts.choose(rng).copied().unwrap_or(100))
    }
}

fn title(subject: &str, benefit: &str, value: u32) -> String {
    if benefit == "discount" {
        format!("{subject} -{value} %")
    } else {
        format!("{subject}: {value} lisäpistettä")
    }
}

/// A validity window around `today`: starting up to 45 days before it or 30 days after, lasting
/// one to eight weeks.
fn window(today: NaiveDate, rng: &mut ChaCha8Rng) -> (NaiveDate, NaiveDate) {
    let from = today + Duration::days(rng.gen_range(-45..=30));
    let to = from + Duration::days(7 * rng.gen_range(1..=8) - 1);
    (from, to)
}

/// Generates the offers for this network, around `today`.
pub(crate) fn generate(
    chains: &[ChainSpec],
    outlets: &[OutletRow],
    today: NaiveDate,
    rng: &mut ChaCha8Rng,
) -> Vec<OfferRow> {
    let mut out = Vec::with_capacity(STORE_OFFERS + CHAIN_OFFERS + NETWORK_OFFERS);
    let stores: Vec<&OutletRow> = outlets.iter().filter(|o| o.kind == "store").collect();
    let category_of = |chain: &str| {
        chains
            .iter()
            .find(|c| c.id == chain)
            .map_or("other", |c| c.category)
    };
    let push = |out: &mut Vec<OfferRow>,
                prefix: &str,
                level: &'static str,
                target: String,
                category: &str,
                rng: &mut ChaCha8Rng| {
        let &(subject, segment) = subjects(category).choose(rng).unwrap_or(&("Tarjous", ""));
        let (benefit, value) = benefit(rng);
        let (valid_from, valid_to) = window(today, rng);
        let n = out.iter().filter(|o: &&OfferRow| o.level == level).count() + 1;
        out.push(OfferRow {
            id: format!("{prefix}-{n:04}"),
            level,
            target,
            title: title(subject, benefit, value),
            benefit,
            value,
            valid_from,
            valid_to,
            segments: segment.to_string(),
        });
    };
    for _ in 0..STORE_OFFERS {
        if let Some(o) = stores.choose(rng) {
            let cat = category_of(o.chain);
            push(&mut out, "S", "store", o.id.to_string(), cat, rng);
        }
    }
    for i in 0..CHAIN_OFFERS {
        // Every chain gets at least one offer; the rest go to random chains.
        let c = if i < chains.len() {
            &chains[i]
        } else {
            chains.choose(rng).unwrap_or(&chains[0])
        };
        push(&mut out, "C", "chain", c.id.to_string(), c.category, rng);
    }
    let network_subjects: &[(&str, &str)] = &[
        ("Tuplaplussat koko verkostossa", ""),
        ("Plussa-viikot", ""),
        ("Joulun lisäpisteet", ""),
        ("Napero-klubin etu", "napero"),
        ("Matkaajan K-Plussa-etu", "traveller"),
        ("Muuttajan etu", "young-movers"),
        ("Talviloman etu", "traveller"),
    ];
    for _ in 0..NETWORK_OFFERS {
        let &(subject, segment) = network_subjects.choose(rng).unwrap_or(&network_subjects[0]);
        let (benefit, value) = benefit(rng);
        let (valid_from, valid_to) = window(today, rng);
        let n = out.iter().filter(|o| o.level == "network").count() + 1;
        out.push(OfferRow {
            id: format!("N-{n:04}"),
            level: "network",
            target: String::new(),
            title: title(subject, benefit, value),
            benefit,
            value,
            valid_from,
            valid_to,
            segments: segment.to_string(),
        });
    }
    out
}
