//! Placing outlets where people live.
//!
//! Each chain has a plan: how many outlets, the smallest town (or village) that gets one, and how
//! strongly larger places attract more (`pop^alpha`). Outlets are allocated to places by largest
//! remainder, then placed around the place: the centre, GeoNames districts inside the town, or
//! synthetic districts on a ring around it. Teboil also gets stations along straight lines between
//! neighbouring towns, a stand-in for the main roads. Every position is checked against the
//! Finland outline.

use super::naming::{self, Street};
use super::sources::{self, Geography, PlaceRole};
use super::{chains, SynthError};
use crate::model::LonLat;
use rand::Rng;
use rand_chacha::ChaCha8Rng;
use serde::{Serialize, Serializer};
use std::collections::BTreeSet;

/// One row of `outlets.csv`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct OutletRow {
    /// 1..=N.
    pub id: u32,
    /// Display name, e.g. `K-Market Kärkölä`.
    pub name: String,
    /// Chain slug.
    pub chain: &'static str,
    /// `store` (K-Group) or `partner`.
    pub kind: &'static str,
    /// Street and number.
    pub street: String,
    /// Five digits.
    pub postal_code: String,
    /// Post office (town or village).
    pub city: String,
    /// Kunta code of the nearest municipal centre, three digits.
    #[serde(serialize_with = "three_digits")]
    pub municipality: u16,
    /// WGS84 latitude, written with 6 decimals.
    #[serde(serialize_with = "six_decimals")]
    pub lat: f64,
    /// WGS84 longitude, written with 6 decimals.
    #[serde(serialize_with = "six_decimals")]
    pub lon: f64,
    /// `+358 …`.
    pub phone: String,
    /// OSM `opening_hours` subset.
    pub opening_hours: &'static str,
    /// `;`-separated service tags.
    pub services: String,
}

fn six_decimals<S: Serializer>(v: &f64, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&format!("{v:.6}"))
}

fn three_digits<S: Serializer>(v: &u16, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&format!("{v:03}"))
}

/// `outlets.csv` as bytes.
pub(crate) fn to_csv(rows: &[OutletRow]) -> Vec<u8> {
    super::csv_bytes(rows)
}

/// How a chain spreads over the country.
struct Plan {
    chain: &'static str,
    n: usize,
    /// Smallest municipality (or village) population that gets an outlet.
    min_pop: f64,
    /// Weight of a place: `pop^alpha`.
    alpha: f64,
    /// Whether separate villages compete with towns.
    villages: bool,
    /// Every eligible place at least this large gets one outlet before the rest is shared out.
    floor_pop: Option<f64>,
    /// Big-box format: placed in retail parks around the town rather than in its centre.
    big_box: bool,
    /// Only these municipalities (kunta codes), if not empty.
    only: &'static [u16],
}

const fn plan(chain: &'static str, n: usize, min_pop: f64, alpha: f64) -> Plan {
    Plan {
        chain,
        n,
        min_pop,
        alpha,
        villages: false,
        floor_pop: None,
        big_box: false,
        only: &[],
    }
}

/// Teboil stations along the roads between towns (the rest of its 300 stand in towns).
const TEBOIL_ROADSIDE: usize = 170;

fn plans() -> Vec<Plan> {
    let villages = |p: Plan| Plan {
        villages: true,
        ..p
    };
    let big = |p: Plan| Plan { big_box: true, ..p };
    vec![
        big(plan("k-citymarket", 80, 12_000.0, 0.85)),
        villages(plan("k-supermarket", 230, 4_000.0, 0.9)),
        Plan {
            floor_pop: Some(600.0),
            ..villages(plan("k-market", 750, 600.0, 1.0))
        },
        big(plan("k-rauta", 45, 20_000.0, 0.8)),
        big(villages(plan("rautia", 100, 2_500.0, 0.5))),
        plan("intersport", 55, 9_000.0, 0.8),
        big(plan("budget-sport", 12, 60_000.0, 0.7)),
        big(plan("kodin-ykkonen", 10, 90_000.0, 0.5)),
        big(plan("k-auto", 30, 15_000.0, 0.7)),
        villages(plan("teboil", 300 - TEBOIL_ROADSIDE, 1_500.0, 0.6)),
        Plan {
            only: &[91, 49, 92],
            ..plan("center-inn", 8, 0.0, 1.0)
        },
        Plan {
            floor_pop: Some(4_000.0),
            ..villages(plan("lahiapteekki", 320, 1_500.0, 0.9))
        },
        villages(plan("kahvila-kaneli", 220, 5_000.0, 1.0)),
        big(plan("pesupiste", 160, 5_000.0, 0.9)),
        plan("optiikka-kirkas", 150, 6_000.0, 0.9),
        villages(plan("kukkapuoti-kielo", 140, 3_000.0, 0.9)),
        big(plan("rengaspiste", 120, 5_000.0, 0.8)),
        plan("kuntopaja", 130, 6_000.0, 1.0),
        plan("lemmikkipuoti", 100, 8_000.0, 0.9),
        plan("kirjapuoti-sivu", 80, 10_000.0, 1.0),
        plan("hotelli-revontuli", 60, 10_000.0, 0.6),
    ]
}

/// A place that can receive outlets: a municipality's town or a separate village.
struct Site {
    name: String,
    lon: f64,
    lat: f64,
    /// Municipal population for a town, GeoNames population for a village.
    pop: f64,
    /// Weight share of a town once its villages compete with it.
    core_pop: f64,
    centre: usize,
    village: bool,
}

fn sites(geo: &Geography) -> Vec<Site> {
    let mut village_pop = vec![0.0; geo.centres.len()];
    let mut out = Vec::new();
    for p in &geo.places {
        if p.role == PlaceRole::Village && p.nameable {
            village_pop[p.centre] += p.pop;
            out.push(Site {
                name: p.name.clone(),
                lon: p.lon,
                lat: p.lat,
                pop: p.pop,
                core_pop: p.pop,
                centre: p.centre,
                village: true,
            });
        }
    }
    let towns = geo.centres.iter().enumerate().map(|(i, c)| Site {
        name: c.name.clone(),
        lon: c.lon,
        lat: c.lat,
        pop: c.pop,
        core_pop: (c.pop - village_pop[i]).max(0.3 * c.pop),
        centre: i,
        village: false,
    });
    let mut all: Vec<Site> = towns.chain(out).collect();
    // Largest first, so ids run from the big towns down to the villages.
    all.sort_by(|a, b| b.pop.total_cmp(&a.pop).then_with(|| a.name.cmp(&b.name)));
    all
}

/// Splits `n` into integer shares proportional to `weights` (largest remainder; ties go to the
/// earlier index), after giving one to every index in `floor`.
fn allocate(n: usize, weights: &[f64], floor: &[bool]) -> Vec<usize> {
    let mut out: Vec<usize> = floor.iter().map(|&f| usize::from(f)).collect();
    let rest = n.saturating_sub(out.iter().sum());
    let total: f64 = weights.iter().sum();
    if total <= 0.0 || rest == 0 {
        return out;
    }
    let quotas: Vec<f64> = weights.iter().map(|w| rest as f64 * w / total).collect();
    let mut given = 0;
    for (o, q) in out.iter_mut().zip(&quotas) {
        *o += q.floor() as usize;
        given += q.floor() as usize;
    }
    let mut order: Vec<usize> = (0..weights.len()).collect();
    order.sort_by(|&a, &b| {
        let (fa, fb) = (quotas[a].fract(), quotas[b].fract());
        fb.total_cmp(&fa).then(a.cmp(&b))
    });
    for &i in order.iter().take(rest - given) {
        out[i] += 1;
    }
    out
}

/// A standard normal draw (Box–Muller; rand 0.8 without rand_distr).
fn normal(rng: &mut ChaCha8Rng) -> f64 {
    let u1: f64 = rng.gen_range(f64::EPSILON..1.0);
    let u2: f64 = rng.gen::<f64>();
    (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()
}

/// Whether the point, as written to the file (6 decimals), is on land.
fn on_land(lon: f64, lat: f64) -> bool {
    LonLat::new(round6(lon), round6(lat)).is_ok_and(|p| crate::finland::outline().contains(p))
}

/// A point on land near (`lon`, `lat`), jittered by about `sigma_km`; the jitter shrinks when
/// the sea is close, and as a last resort the nearest land on a widening ring is taken.
fn land_near(
    lon: f64,
    lat: f64,
    sigma_km: f64,
    what: &str,
    rng: &mut ChaCha8Rng,
) -> Result<(f64, f64), SynthError> {
    let mut sigma = sigma_km;
    for attempt in 0..40 {
        if attempt % 10 == 9 {
            sigma *= 0.5;
        }
        let (x, y) = sources::offset(lon, lat, normal(rng) * sigma, normal(rng) * sigma);
        if on_land(x, y) {
            return Ok((round6(x), round6(y)));
        }
    }
    for ring in 0..=50 {
        for k in 0..16 {
            let r = 0.2 * f64::from(ring);
            let a = std::f64::consts::TAU * f64::from(k) / 16.0;
            let (x, y) = sources::offset(lon, lat, r * a.cos(), r * a.sin());
            if on_land(x, y) {
                return Ok((round6(x), round6(y)));
            }
        }
    }
    Err(SynthError::NoLand {
        place: what.to_string(),
        lon,
        lat,
    })
}

/// Where an outlet goes before jitter, and what it is called there.
struct Anchor {
    lon: f64,
    lat: f64,
    sigma_km: f64,
    /// District name (empty at a town's centre when the chain has one outlet there).
    district: String,
    street: Street,
    slot: u32,
    village: Option<String>,
}

/// Efraimidis–Spirakis weighted sampling without replacement: the `k` indices with the largest
/// `u^(1/w)` keys.
fn weighted_sample(weights: &[f64], k: usize, rng: &mut ChaCha8Rng) -> Vec<usize> {
    let mut keyed: Vec<(f64, usize)> = weights
        .iter()
        .enumerate()
        .map(|(i, &w)| (rng.gen_range(f64::EPSILON..1.0).powf(1.0 / w.max(1e-9)), i))
        .collect();
    keyed.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
    keyed.into_iter().take(k).map(|(_, i)| i).collect()
}

fn town_anchors(
    geo: &Geography,
    site: &Site,
    k: usize,
    big_box: bool,
    rng: &mut ChaCha8Rng,
) -> Vec<Anchor> {
    let radius = sources::town_radius_km(site.pop);
    let big_town = site.pop >= 10_000.0;
    let centre_street = if big_town {
        Street::Centre
    } else {
        Street::Village
    };
    let districts: Vec<usize> = geo
        .places
        .iter()
        .enumerate()
        .filter(|(_, p)| p.centre == site.centre && p.role == PlaceRole::District && p.nameable)
        .map(|(i, _)| i)
        .collect();
    let mut anchors = Vec::with_capacity(k);
    let synthetic = |rng: &mut ChaCha8Rng, street: Street| {
        let a = rng.gen_range(0.0..std::f64::consts::TAU);
        let r = radius * rng.gen_range(0.35..0.9);
        let (lon, lat) = sources::offset(site.lon, site.lat, r * a.cos(), r * a.sin());
        Anchor {
            lon,
            lat,
            sigma_km: 0.25,
            district: naming::synthetic_district(rng),
            street,
            slot: rng.gen_range(1..90),
            village: None,
        }
    };
    if k == 1 {
        let mut a = if big_box && big_town {
            synthetic(rng, Street::RetailPark)
        } else {
            Anchor {
                lon: site.lon,
                lat: site.lat,
                sigma_km: 0.12 * radius,
                district: String::new(),
                street: centre_street,
                slot: 0,
                village: None,
            }
        };
        a.district.clear();
        anchors.push(a);
        return anchors;
    }
    let mut want = k;
    if !big_box {
        anchors.push(Anchor {
            lon: site.lon,
            lat: site.lat,
            sigma_km: 0.08 * radius,
            district: "Keskusta".into(),
            street: centre_street,
            slot: 0,
            village: None,
        });
        want -= 1;
    }
    // Big boxes take a named district only part of the time: many stand in new retail parks.
    let from_districts = if big_box { want.div_ceil(2) } else { want };
    let weights: Vec<f64> = districts.iter().map(|&i| geo.places[i].pop).collect();
    for j in weighted_sample(&weights, from_districts.min(districts.len()), rng) {
        let p = &geo.places[districts[j]];
        anchors.push(Anchor {
            lon: p.lon,
            lat: p.lat,
            sigma_km: 0.4,
            district: p.name.clone(),
            street: if big_box {
                Street::RetailPark
            } else {
                Street::Village
            },
            slot: districts[j] as u32 % 89 + 1,
            village: None,
        });
    }
    let street = if big_box {
        Street::RetailPark
    } else {
        Street::Village
    };
    while anchors.len() < k {
        anchors.push(synthetic(rng, street));
    }
    anchors
}

struct Builder<'g> {
    geo: &'g Geography,
    rows: Vec<OutletRow>,
    names: BTreeSet<String>,
}

impl Builder<'_> {
    fn push(
        &mut self,
        chain: &'static str,
        anchor: &Anchor,
        big: bool,
        rng: &mut ChaCha8Rng,
    ) -> Result<(), SynthError> {
        // Chains come from the constant table, so the lookup always succeeds.
        let spec = chains::get(chain).expect("chain in the table");
        let (lon, lat) = land_near(anchor.lon, anchor.lat, anchor.sigma_km, chain, rng)?;
        let (ci, _) = self.geo.nearest_centre(lon, lat);
        let centre = &self.geo.centres[ci];
        let (place, city) = match &anchor.village {
            Some(v) => (v.clone(), v.clone()),
            None => (centre.name.clone(), centre.name.clone()),
        };
        let mut name = if anchor.district.is_empty() {
            format!("{} {place}", spec.name)
        } else {
            format!("{} {place} {}", spec.name, anchor.district)
        };
        let mut tries = 0;
        while self.names.contains(&name) {
            tries += 1;
            name = if tries < 20 {
                format!("{} {place} {}", spec.name, naming::synthetic_district(rng))
            } else {
                format!("{} {place} {tries}", spec.name)
            };
        }
        self.names.insert(name.clone());
        self.rows.push(OutletRow {
            id: self.rows.len() as u32 + 1,
            name,
            chain,
            kind: if spec.k_group { "store" } else { "partner" },
            street: naming::street(anchor.street, rng),
            postal_code: naming::postal_code(lon, lat, centre.code, anchor.slot),
            city,
            municipality: centre.code,
            lat: round6(lat),
            lon: round6(lon),
            phone: naming::phone(lon, lat, rng),
            opening_hours: naming::opening_hours(chain, big, rng),
            services: naming::services(chain, big, rng).join(";"),
        });
        Ok(())
    }
}

/// Rounds to the 6 decimals written to the file, so the row's numbers are exactly what a reader
/// of the file gets (and the outline check holds for them).
fn round6(v: f64) -> f64 {
    (v * 1e6).round() / 1e6
}

/// Generates every outlet; ids 1..=N in chain order, then from the largest place down.
pub(crate) fn generate(
    geo: &Geography,
    rng: &mut ChaCha8Rng,
) -> Result<Vec<OutletRow>, SynthError> {
    let sites = sites(geo);
    let mut b = Builder {
        geo,
        rows: Vec::new(),
        names: BTreeSet::new(),
    };
    for plan in plans() {
        let eligible = |s: &Site| {
            let code = geo.centres[s.centre].code;
            (plan.only.is_empty() || (!s.village && plan.only.contains(&code)))
                && (plan.villages || !s.village)
                && s.pop >= plan.min_pop
                && (!s.village || s.pop >= 500.0)
        };
        let weights: Vec<f64> = sites
            .iter()
            .map(|s| {
                if !eligible(s) {
                    0.0
                } else if plan.villages {
                    s.core_pop.powf(plan.alpha)
                } else {
                    s.pop.powf(plan.alpha)
                }
            })
            .collect();
        let floor: Vec<bool> = sites
            .iter()
            .map(|s| eligible(s) && plan.floor_pop.is_some_and(|f| s.pop >= f))
            .collect();
        let counts = allocate(plan.n, &weights, &floor);
        for (site, &k) in sites.iter().zip(&counts) {
            if k == 0 {
                continue;
            }
            let big = site.pop >= 30_000.0;
            let anchors = if site.village {
                vec![Anchor {
                    lon: site.lon,
                    lat: site.lat,
                    sigma_km: 0.3,
                    district: String::new(),
                    street: Street::Village,
                    slot: 50,
                    village: Some(site.name.clone()),
                }]
            } else {
                town_anchors(geo, site, k, plan.big_box, rng)
            };
            for a in anchors.iter().cycle().take(k) {
                b.push(plan.chain, a, big, rng)?;
            }
        }
        if plan.chain == "teboil" {
            roadside(&mut b, rng)?;
        }
    }
    Ok(b.rows)
}

/// Teboil stations along straight lines between each town and its three nearest neighbours.
fn roadside(b: &mut Builder<'_>, rng: &mut ChaCha8Rng) -> Result<(), SynthError> {
    let centres = &b.geo.centres;
    let edges: Vec<((usize, usize), f64)> = b
        .geo
        .road_edges()
        .into_iter()
        .map(|(i, j, d)| {
            (
                (i, j),
                d * ((centres[i].pop + centres[j].pop) / 10_000.0).powf(0.3),
            )
        })
        .collect();
    let total: f64 = edges.iter().map(|e| e.1).sum();
    let mut placed: Vec<(f64, f64)> = Vec::new();
    while placed.len() < TEBOIL_ROADSIDE {
        let mut r = rng.gen_range(0.0..total);
        let mut pick = edges[0].0;
        for &(e, w) in &edges {
            if r < w {
                pick = e;
                break;
            }
            r -= w;
        }
        let (a, c) = (&centres[pick.0], &centres[pick.1]);
        let t = rng.gen_range(0.12..0.88);
        let (lon, lat) = (a.lon + t * (c.lon - a.lon), a.lat + t * (c.lat - a.lat));
        let too_close = placed
            .iter()
            .any(|&(x, y)| sources::km(x, y, lon, lat) < 4.0);
        if too_close || !on_land(lon, lat) {
            continue;
        }
        placed.push((lon, lat));
        let (name, _) = nearest_place_name(b.geo, lon, lat);
        let anchor = Anchor {
            lon,
            lat,
            sigma_km: 0.1,
            district: String::new(),
            street: Street::Road,
            slot: rng.gen_range(1..90),
            village: name,
        };
        b.push("teboil", &anchor, false, rng)?;
    }
    Ok(())
}

/// The nearest named village within 8 km, if any (otherwise the station takes its
/// municipality's name).
fn nearest_place_name(geo: &Geography, lon: f64, lat: f64) -> (Option<String>, f64) {
    let mut best: (Option<String>, f64) = (None, 8.0);
    for p in geo
        .places
        .iter()
        .filter(|p| p.nameable && p.role == PlaceRole::Village)
    {
        let d = sources::km(lon, lat, p.lon, p.lat);
        if d < best.1 {
            best = (Some(p.name.clone()), d);
        }
    }
    best
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn allocate_is_proportional_and_exact() {
        assert_eq!(allocate(10, &[1.0, 1.0, 2.0], &[false; 3]), vec![3, 2, 5]);
        assert_eq!(
            allocate(5, &[0.0, 1.0, 3.0], &[true, true, false]),
            vec![1, 2, 2]
        );
        assert_eq!(allocate(7, &[1.0; 4], &[false; 4]).iter().sum::<usize>(), 7);
    }
}
