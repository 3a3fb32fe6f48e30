//! Statistical disclosure control: the cell-key method and the privacy floor.
//!
//! Every household and cardholder figure storenet publishes is the count of a set of grid cells
//! (a density block, the cells within a band, a catchment, a gap, the cells a what-if moves). Each
//! figure goes through two steps, as statistical agencies' table builders do (the Australian
//! Bureau of Statistics' TableBuilder, the UK Office for National Statistics' cell key method):
//!
//! 1. **Cell key perturbation.** Every cell carries two fixed random keys (one for households,
//!    one for cardholders), derived from a secret that never leaves the server ([`KeySecret`]).
//!    The key of a set of cells is the sum of its cells' keys modulo 2³², so the same set always
//!    has the same key, whatever query produced it. The published value is the true count plus a
//!    perturbation looked up from a fixed table by (key, count) ([`perturbation`]): at most
//!    ±[`MAX_PERTURBATION`], mean about zero. Two sets that differ by a few cells have unrelated
//!    keys, so the difference of their published figures carries the sum of two unrelated
//!    perturbations and does not tell the households in the difference with certainty.
//! 2. **The floor.** A set of fewer than [`PRIVACY_FLOOR`] households (or cardholders) reads
//!    `"<10"`; the table never perturbs a count of ten or more below ten. An empty set is `0`.

use serde::{Serialize, Serializer};
use sha2::{Digest, Sha256};
use std::fmt;
use std::ops::{Add, AddAssign};

/// Areas with fewer households than this have every figure about them suppressed.
pub const PRIVACY_FLOOR: u64 = 10;

/// What a suppressed figure reads as in every output (tables, CSV, JSON, GeoJSON, map legends).
pub const SUPPRESSED: &str = "<10";

/// The largest perturbation, in households or cardholders, the cell-key table adds or subtracts.
pub const MAX_PERTURBATION: u64 = 3;

/// The perturbation table: probabilities of −3…+3 (variance 1.92, mean 0), as cumulative
/// thresholds on a key scaled to 0..2³².
const PTABLE: [(i64, f64); 7] = [
    (-3, 0.04),
    (-2, 0.14),
    (-1, 0.34),
    (0, 0.66),
    (1, 0.86),
    (2, 0.96),
    (3, 1.0),
];

/// The secret the cell keys are derived from: 32 random bytes, kept in the database every
/// instance shares ([`crate::density::secret`], created on first use) and never shown. Whoever
/// knows it can take the perturbation off every figure, so it is as sensitive as the grid's small
/// counts.
#[derive(Clone, PartialEq, Eq)]
pub struct KeySecret([u8; 32]);

impl fmt::Debug for KeySecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("KeySecret(…)")
    }
}

impl KeySecret {
    /// A fresh secret from the operating system's random source.
    pub fn random() -> Self {
        use rand::RngCore;
        let mut b = [0u8; 32];
        rand::rngs::OsRng.fill_bytes(&mut b);
        KeySecret(b)
    }

    /// A secret from its 64 hex digits.
    pub fn from_hex(s: &str) -> Option<Self> {
        let v = hex::decode(s.trim()).ok()?;
        Some(KeySecret(v.try_into().ok()?))
    }

    /// The 64 hex digits (for the database row only).
    pub fn to_hex(&self) -> String {
        hex::encode(self.0)
    }

    /// A fixed, public secret for synthetic grids ([`crate::density::Grid::from_cells`]): its
    /// perturbations can be computed by anyone, so it protects nothing. Never for real data.
    pub fn public_for_synthetic_grids() -> Self {
        KeySecret(*b"storenet synthetic grid, public!")
    }

    /// The fixed key of the cell with south-west corner (`x`, `y`) for one kind of count (`b'h'` households, `b'c'` cardholders).
    pub(crate) fn cell_key(&self, kind: u8, x: i64, y: i64) -> CellKey {
        let mut h = Sha256::new();
        h.update(self.0);
        h.update([kind]);
        h.update(x.to_le_bytes());
        h.update(y.to_le_bytes());
        let d = h.finalize();
        CellKey(u32::from_le_bytes([d[0], d[1], d[2], d[3]]))
    }
}

/// The key of a set of cells: the sum of its cells' keys modulo 2³². Uniform on 0..2³² for every
/// non-empty set, and a function of the set alone.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct CellKey(u32);

impl Add for CellKey {
    type Output = CellKey;
    fn add(self, o: CellKey) -> CellKey {
        CellKey(self.0.wrapping_add(o.0))
    }
}

impl AddAssign for CellKey {
    fn add_assign(&mut self, o: CellKey) {
        *self = *self + o;
    }
}

impl std::iter::Sum for CellKey {
    fn sum<I: Iterator<Item = CellKey>>(it: I) -> CellKey {
        it.fold(CellKey::default(), Add::add)
    }
}

/// The perturbation the table gives a count `n` (≥ [`PRIVACY_FLOOR`]) of a set with key `key`:
/// −3…+3, never taking the count below the floor (for 10–12 the negative part of the table is
/// moved up to the value that lands on 10).
pub fn perturbation(key: CellKey, n: u64) -> i64 {
    // The key alone would give every set of equal key the same noise whatever its count; mixing
    // the count in follows the ABS table, which is indexed by (key, count).
    let mixed = key.0 ^ (n as u32).wrapping_mul(0x9E37_79B9);
    let u = mixed as f64 / 4_294_967_296.0;
    let p = PTABLE.iter().find(|(_, c)| u < *c).map_or(0, |(p, _)| *p);
    let lowest = PRIVACY_FLOOR as i64 - n.min(i64::MAX as u64) as i64;
    p.max(lowest)
}

/// What a count reads as once through the cell-key table and the floor.
fn publish(n: u64, key: CellKey, area_households: u64) -> Option<u64> {
    if n == 0 && area_households == 0 {
        // The empty set: a structural zero (a closed outlet's catchment after closing).
        return Some(0);
    }
    if n < PRIVACY_FLOOR || area_households < PRIVACY_FLOOR {
        return None;
    }
    Some(n.saturating_add_signed(perturbation(key, n)))
}

/// A count of households or cardholders of a set of cells, published through the cell-key method
/// and the floor (see the module documentation).
///
/// It serialises as the published number, or as the string `"<10"` when the set holds fewer than
/// ten households or the count is below ten; an empty set is `0`. The true count is readable only
/// inside the crate.
///
/// ```
/// use storenet::density::{CellKey, Count};
/// assert_eq!(serde_json::to_string(&Count::households(9, CellKey::default())).unwrap(), "\"<10\"");
/// assert_eq!(Count::households(0, CellKey::default()).to_string(), "0");
/// let shown = Count::households(100, CellKey::default()).shown().unwrap();
/// assert!((97..=103).contains(&shown));
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Count {
    n: u64,
    published: Option<u64>,
}

impl Count {
    /// The households of a set of cells with key `key`.
    pub fn households(n: u64, key: CellKey) -> Self {
        Count {
            n,
            published: publish(n, key, n),
        }
    }

    /// The cardholders (`n`, key `key`) of a set of cells holding `area_households` households.
    pub fn cardholders(n: u64, key: CellKey, area_households: u64) -> Self {
        Count {
            n,
            published: publish(n, key, area_households),
        }
    }

    /// True when the figure is withheld (`"<10"`).
    pub fn is_suppressed(&self) -> bool {
        self.published.is_none()
    }

    /// The published value, or `None` when suppressed.
    pub fn shown(&self) -> Option<u64> {
        self.published
    }

    /// The published value moved into `lo..=hi` (each bound only when given): post-processing of
    /// published figures alone (a band never below a narrower one, never above its row), so it
    /// reveals nothing the figures did not.
    pub(crate) fn clamp_published(self, lo: Option<u64>, hi: Option<u64>) -> Count {
        let published = self.published.map(|v| {
            let v = lo.map_or(v, |lo| v.max(lo));
            hi.map_or(v, |hi| v.min(hi))
        });
        Count { published, ..self }
    }

    /// What to rank by: the published value (a suppressed figure as 0), so an order shown to
    /// users tells nothing the figures do not.
    pub(crate) fn rank(&self) -> u64 {
        self.published.unwrap_or(0)
    }

    /// The true count: for tests inside the crate only, never for output.
    #[cfg(test)]
    pub(crate) fn raw(&self) -> u64 {
        self.n
    }
}

impl Serialize for Count {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self.published {
            Some(v) => v.serialize(s),
            None => s.serialize_str(SUPPRESSED),
        }
    }
}

impl fmt::Display for Count {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.published {
            Some(v) => write!(f, "{v}"),
            None => f.write_str(SUPPRESSED),
        }
    }
}

/// Households and cardholders of a set of cells, with the set's keys: add cells, then publish.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Tally {
    pub(crate) households: u64,
    pub(crate) cardholders: u64,
    pub(crate) household_key: CellKey,
    pub(crate) cardholder_key: CellKey,
}

impl AddAssign for Tally {
    fn add_assign(&mut self, o: Tally) {
        self.households = self.households.saturating_add(o.households);
        self.cardholders = self.cardholders.saturating_add(o.cardholders);
        self.household_key += o.household_key;
        self.cardholder_key += o.cardholder_key;
    }
}

impl Add for Tally {
    type Output = Tally;
    fn add(mut self, o: Tally) -> Tally {
        self += o;
        self
    }
}

impl std::iter::Sum for Tally {
    fn sum<I: Iterator<Item = Tally>>(it: I) -> Tally {
        it.fold(Tally::default(), Add::add)
    }
}

impl Tally {
    /// The households, published.
    pub fn households(&self) -> Count {
        Count::households(self.households, self.household_key)
    }

    /// The cardholders, published (suppressed when the set holds fewer than ten households).
    pub fn cardholders(&self) -> Count {
        Count::cardholders(self.cardholders, self.cardholder_key, self.households)
    }

    /// True households: inside the crate only.
    pub(crate) fn hh(&self) -> u64 {
        self.households
    }
}

/// A real-valued figure about an area (a share, a distance, expected households) that knows how
/// many households the area holds, so no output can show it for fewer than ten.
///
/// It serialises as the number, or as the string `"<10"` when the area is below the floor, and
/// displays the same way. Shares are computed from published counts (see
/// [`Real::share`]), so they carry the counts' perturbation.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Real {
    value: f64,
    area_households: u64,
}

impl Real {
    /// A figure about an area holding `area_households` households.
    pub fn for_area(value: f64, area_households: u64) -> Self {
        Real {
            value,
            area_households,
        }
    }

    /// `part / whole` of two published counts (0 when the whole is 0, at most 1), suppressed
    /// when either is.
    pub fn share(part: &Count, whole: &Count) -> Self {
        match (part.shown(), whole.shown()) {
            (Some(p), Some(w)) => Real {
                value: if w == 0 {
                    0.0
                } else {
                    (p as f64 / w as f64).min(1.0)
                },
                area_households: PRIVACY_FLOOR,
            },
            _ => Real {
                value: 0.0,
                area_households: 0,
            },
        }
    }

    /// True when the area is below the privacy floor and the figure is withheld.
    pub fn is_suppressed(&self) -> bool {
        self.area_households < PRIVACY_FLOOR
    }

    /// The figure converted (a percentage from a share, say), for the same area.
    pub fn map(self, f: impl FnOnce(f64) -> f64) -> Real {
        Real {
            value: f(self.value),
            area_households: self.area_households,
        }
    }

    /// The value, or `None` when suppressed.
    pub fn shown(&self) -> Option<f64> {
        (!self.is_suppressed()).then_some(self.value)
    }
}

impl Serialize for Real {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self.shown() {
            Some(v) => v.serialize(s),
            None => s.serialize_str(SUPPRESSED),
        }
    }
}

impl fmt::Display for Real {
    /// Shares and distances print with the precision the caller asks for (`{:.1}`), default 3.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.shown() {
            Some(v) => write!(f, "{:.*}", f.precision().unwrap_or(3), v),
            None => f.write_str(SUPPRESSED),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn figures_below_the_floor_read_as_less_than_ten_everywhere() {
        let small = Real::for_area(0.5, 9);
        assert_eq!(serde_json::to_string(&small).unwrap(), "\"<10\"");
        assert_eq!(format!("{small:.2}"), "<10");
        assert_eq!(small.shown(), None);
        let big = Real::for_area(0.5, 10);
        assert_eq!(serde_json::to_string(&big).unwrap(), "0.5");
        assert_eq!(format!("{big:.2}"), "0.50");
        let cardholders = Count::cardholders(25, CellKey(7), 9);
        assert_eq!(cardholders.to_string(), "<10");
        assert_eq!(Count::households(1, CellKey(7)).to_string(), "<10");
        assert_eq!(Count::cardholders(9, CellKey(7), 40).to_string(), "<10");
        assert_eq!(Count::households(0, CellKey(0)).to_string(), "0");
    }

    #[test]
    fn the_table_stays_within_three_never_below_ten_and_is_about_unbiased() {
        let s = KeySecret::public_for_synthetic_grids();
        for n in [10u64, 11, 12, 13, 50, 1000, 273_640] {
            let mut sum = 0i64;
            let mut seen = std::collections::BTreeSet::new();
            for i in 0..20_000 {
                let k = s.cell_key(b'h', i, n as i64);
                let p = perturbation(k, n);
                assert!(p.unsigned_abs() <= MAX_PERTURBATION, "{n}: {p}");
                assert!(n as i64 + p >= PRIVACY_FLOOR as i64, "{n}: {p}");
                sum += p;
                seen.insert(p);
            }
            // Every count has at least two possible published values.
            assert!(seen.len() >= 4, "{n}: {seen:?}");
            if n >= 13 {
                assert_eq!(seen.len(), 7, "{n}");
                assert!((sum as f64 / 20_000.0).abs() < 0.05, "{n}: mean {sum}");
            }
        }
    }

    #[test]
    fn the_same_set_always_gets_the_same_figure() {
        let s = KeySecret::public_for_synthetic_grids();
        let keys: Vec<CellKey> = (0..5).map(|i| s.cell_key(b'h', i, 0)).collect();
        let forward: CellKey = keys.iter().copied().sum();
        let backward: CellKey = keys.iter().rev().copied().sum();
        assert_eq!(forward, backward);
        assert_eq!(
            Count::households(500, forward),
            Count::households(500, backward)
        );
        assert_ne!(s.cell_key(b'h', 1, 0), s.cell_key(b'c', 1, 0));
        assert_ne!(
            s.cell_key(b'h', 1, 0),
            KeySecret::random().cell_key(b'h', 1, 0)
        );
    }

    #[test]
    fn a_secret_reads_back_from_hex_and_never_prints() {
        let s = KeySecret::random();
        assert_eq!(KeySecret::from_hex(&s.to_hex()), Some(s.clone()));
        assert!(!format!("{s:?}").contains(&s.to_hex()[..8]));
        assert_eq!(KeySecret::from_hex("abcd"), None);
    }
}
