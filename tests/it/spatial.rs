//! Integration tests: spatial. The R-tree against brute force over every outlet, the sphere
//! against Karney's ellipsoidal geodesic, the atomic snapshot swap; the CLI in `spatial/cli.rs`.

mod cli;

use crate::common::fixture;
use chrono::{DateTime, Utc};
use proptest::prelude::*;
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use std::sync::Arc;
use storenet::model::{
    Address, Category, ChainId, LonLat, OpeningHours, Outlet, OutletId, OutletKind, Service,
};
use storenet::registry::{csv, Registry};
use storenet::spatial::{
    distance_m, distances_to_route, parse_open_at, BBox, Filter, OutletIndex, QueryError,
    SharedIndex, MAX_CORRIDOR_M, MAX_RADIUS_M,
};

fn fixture_registry() -> Registry {
    let chains = csv::read_chains(&fixture("chains.csv")).unwrap();
    let outlets = csv::read_outlets(&fixture("outlets_small.csv")).unwrap();
    Registry::new(chains, outlets).unwrap()
}

const HOURS: [&str; 4] = [
    "24/7",
    "Mo-Sa 07:00-21:00; Su 10:00-21:00",
    "Mo-Fr 08:00-17:00",
    "Mo-Fr 10:00-20:00; Sa 10:00-18:00; Su 12:00-17:00",
];
const SERVICES: [&str; 5] = ["post", "pharmacy", "fuel", "ev_charging", "parcel_locker"];

/// ~5,000 random outlets inside Finland's extent with the fixture's chains; one in ten sits
/// exactly on an earlier one (shopping centres), so equal distances and id tie-breaks happen.
fn generated_registry(seed: u64, n: u32) -> Registry {
    let chains = csv::read_chains(&fixture("chains.csv")).unwrap();
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut outlets: Vec<Outlet> = Vec::new();
    for i in 1..=n {
        let location = if i > 10 && rng.gen_bool(0.1) {
            outlets[rng.gen_range(0..outlets.len())].location
        } else {
            // Denser in the south, as people are.
            let lat = 59.8 + 10.2 * rng.gen::<f64>().powi(2);
            LonLat::new(rng.gen_range(20.5..31.0), lat).unwrap()
        };
        let chain = chains.choose(&mut rng).unwrap();
        let mut services: Vec<Service> = SERVICES
            .iter()
            .filter(|_| rng.gen_bool(0.3))
            .map(|s| Service::new(s).unwrap())
            .collect();
        services.sort();
        outlets.push(Outlet {
            id: OutletId(i),
            name: format!("{} {i}", chain.name),
            chain: chain.id.clone(),
            kind: if chain.k_group {
                OutletKind::Store
            } else {
                OutletKind::Partner
            },
            address: Address {
                street: format!("Kauppatie {i}"),
                postal_code: "00100".into(),
                city: "Testi".into(),
            },
            municipality: "091".parse().unwrap(),
            location,
            phone: "+358 40 1234567".into(),
            hours: OpeningHours::parse(HOURS[rng.gen_range(0..HOURS.len())]).unwrap(),
            services,
        });
    }
    // Shuffle so ids are not in spatial order.
    outlets.shuffle(&mut rng);
    Registry::new(chains, outlets).unwrap()
}

fn random_point(rng: &mut impl Rng, reg: &Registry) -> LonLat {
    if rng.gen_bool(0.1) {
        // Exactly on an outlet: zero distances and ties.
        reg.outlets()[rng.gen_range(0..reg.outlets().len())].location
    } else {
        // Across Finland and well around it (sea, Sweden, Russia, Estonia).
        LonLat::new(rng.gen_range(17.0..34.0), rng.gen_range(58.0..71.5)).unwrap()
    }
}

fn random_filter(rng: &mut impl Rng, reg: &Registry) -> Filter {
    let chains: Vec<ChainId> = reg.chains().map(|c| c.id.clone()).collect();
    let mut f = Filter::default();
    if rng.gen_bool(0.3) {
        let n = rng.gen_range(1..=3);
        f.chains = chains.choose_multiple(rng, n).cloned().collect();
    }
    if rng.gen_bool(0.2) {
        f.categories = vec![*Category::ALL.choose(rng).unwrap()];
    }
    if rng.gen_bool(0.2) {
        f.kind = Some(if rng.gen() {
            OutletKind::Store
        } else {
            OutletKind::Partner
        });
    }
    if rng.gen_bool(0.2) {
        f.services = vec![Service::new(SERVICES.choose(rng).unwrap()).unwrap()];
    }
    if rng.gen_bool(0.2) {
        let t = 1_790_000_000 + rng.gen_range(0..14 * 86_400);
        f.open_at = Some(DateTime::<Utc>::from_timestamp(t, 0).unwrap());
    }
    f
}

/// Every outlet passing the filter with its distance, unsorted: the oracle's input.
fn brute_all(reg: &Registry, p: LonLat, f: &Filter) -> Vec<(OutletId, f64)> {
    reg.outlets()
        .iter()
        .filter(|o| f.matches(reg, o))
        .map(|o| (o.id, distance_m(p, o.location)))
        .collect()
}

fn by_distance_then_id(a: &(OutletId, f64), b: &(OutletId, f64)) -> std::cmp::Ordering {
    a.1.total_cmp(&b.1).then(a.0.cmp(&b.0))
}

/// The oracle for nearest: the first `k` by (distance, id).
fn brute_nearest(mut all: Vec<(OutletId, f64)>, k: usize) -> Vec<(OutletId, f64)> {
    if all.len() > k {
        all.select_nth_unstable_by(k - 1, by_distance_then_id);
        all.truncate(k);
    }
    all.sort_by(by_distance_then_id);
    all
}

/// The oracle for within: everything at most `r` away, by (distance, id).
fn brute_within(all: &[(OutletId, f64)], r: f64) -> Vec<(OutletId, f64)> {
    let mut v: Vec<_> = all.iter().copied().filter(|(_, d)| *d <= r).collect();
    v.sort_by(by_distance_then_id);
    v
}

fn ties(v: &[(OutletId, f64)]) -> usize {
    v.windows(2).filter(|w| w[0].1 == w[1].1).count()
}

fn ids_and_distances(hits: &[storenet::spatial::Hit<'_>]) -> Vec<(OutletId, f64)> {
    hits.iter().map(|h| (h.outlet.id, h.distance_m)).collect()
}

#[test]
fn ten_thousand_random_queries_match_brute_force_exactly() {
    let regs = [fixture_registry(), generated_registry(7, 5_000)];
    let indexes: Vec<OutletIndex> = regs
        .iter()
        .map(|r| OutletIndex::new(Arc::new(r.clone())))
        .collect();
    let mut rng = ChaCha8Rng::seed_from_u64(20261123);
    let mut ties_seen = 0;
    for q in 0..10_000 {
        let which = q % 2;
        let (reg, idx) = (&regs[which], &indexes[which]);
        let p = random_point(&mut rng, reg);
        let f = random_filter(&mut rng, reg);
        let all = brute_all(reg, p, &f);

        let k = rng.gen_range(1..=100);
        let got = idx.nearest(p, k, &f).unwrap();
        let want = brute_nearest(all.clone(), k);
        assert_eq!(
            ids_and_distances(&got),
            want,
            "nearest q{q} {p:?} k={k} {f:?}"
        );
        ties_seen += ties(&want);

        let r = 10f64.powf(rng.gen_range(2.0..MAX_RADIUS_M.log10()));
        let got = idx.within(p, r, &f).unwrap();
        let want = brute_within(&all, r);
        assert_eq!(
            ids_and_distances(&got),
            want,
            "within q{q} {p:?} r={r} {f:?}"
        );
        ties_seen += ties(&want);
    }
    // The generated registry stacks outlets on one spot, so the id tie-break was exercised.
    assert!(ties_seen > 500, "only {ties_seen} ties");
}

#[test]
fn bbox_matches_brute_force_and_includes_edges() {
    let reg = generated_registry(11, 2_000);
    let idx = OutletIndex::new(Arc::new(reg.clone()));
    let mut rng = ChaCha8Rng::seed_from_u64(3);
    for _ in 0..500 {
        let (a, b) = (random_point(&mut rng, &reg), random_point(&mut rng, &reg));
        let bbox = BBox {
            min: LonLat::new(a.lon().min(b.lon()), a.lat().min(b.lat())).unwrap(),
            max: LonLat::new(a.lon().max(b.lon()), a.lat().max(b.lat())).unwrap(),
        };
        let f = random_filter(&mut rng, &reg);
        let got: Vec<OutletId> = idx.in_bbox(bbox, &f).iter().map(|o| o.id).collect();
        let want: Vec<OutletId> = reg
            .outlets()
            .iter()
            .filter(|o| {
                let l = o.location;
                (bbox.min.lon()..=bbox.max.lon()).contains(&l.lon())
                    && (bbox.min.lat()..=bbox.max.lat()).contains(&l.lat())
                    && f.matches(&reg, o)
            })
            .map(|o| o.id)
            .collect();
        assert_eq!(got, want);
    }
    // A degenerate box on one outlet finds it (edges count).
    let o = &reg.outlets()[0];
    let on = BBox {
        min: o.location,
        max: o.location,
    };
    assert!(idx
        .in_bbox(on, &Filter::default())
        .iter()
        .any(|x| x.id == o.id));
    // South above north is empty; west east of east wraps round the antimeridian.
    let flipped = BBox {
        min: LonLat::new(20.0, 70.0).unwrap(),
        max: LonLat::new(32.0, 59.0).unwrap(),
    };
    assert!(idx.in_bbox(flipped, &Filter::default()).is_empty());
    let wrapped = BBox {
        min: LonLat::new(25.0, 59.0).unwrap(),
        max: LonLat::new(-170.0, 71.0).unwrap(),
    };
    let east_of_25 = reg
        .outlets()
        .iter()
        .filter(|o| o.location.lon() >= 25.0)
        .count();
    assert_eq!(idx.in_bbox(wrapped, &Filter::default()).len(), east_of_25);
}

#[test]
fn polygon_with_a_hole_excludes_the_hole() {
    use geo::{polygon, Contains, MultiPolygon};
    let reg = generated_registry(5, 3_000);
    let idx = OutletIndex::new(Arc::new(reg.clone()));
    let ring = polygon!(
        exterior: [(x: 22.0, y: 60.0), (x: 28.0, y: 60.0), (x: 28.0, y: 63.0), (x: 22.0, y: 63.0)],
        interiors: [[(x: 24.0, y: 61.0), (x: 26.0, y: 61.0), (x: 26.0, y: 62.0), (x: 24.0, y: 62.0)]],
    );
    let triangle = polygon![(x: 27.0, y: 65.0), (x: 30.0, y: 65.0), (x: 28.5, y: 67.0)];
    let area = MultiPolygon(vec![ring, triangle]);
    let got: Vec<OutletId> = idx
        .in_polygon(&area, &Filter::default())
        .iter()
        .map(|o| o.id)
        .collect();
    let want: Vec<OutletId> = reg
        .outlets()
        .iter()
        .filter(|o| area.contains(&o.location.to_point()))
        .map(|o| o.id)
        .collect();
    assert_eq!(got, want);
    let in_hole = |o: &Outlet| {
        let (x, y) = (o.location.lon(), o.location.lat());
        (24.0..=26.0).contains(&x) && (61.0..=62.0).contains(&y)
    };
    let in_triangle = |o: &Outlet| o.location.lat() > 65.0;
    assert!(
        reg.outlets().iter().any(in_hole),
        "fixture has outlets in the hole"
    );
    assert!(!got.iter().any(|id| in_hole(reg.outlet(*id).unwrap())));
    assert!(got.iter().any(|id| in_triangle(reg.outlet(*id).unwrap())));
    assert!(got.len() > 100);
    // With a filter: only the chain asked for.
    let f = Filter {
        chains: vec![ChainId::new("teboil").unwrap()],
        ..Filter::default()
    };
    let teboil = idx.in_polygon(&area, &f);
    assert!(!teboil.is_empty() && teboil.iter().all(|o| o.chain.as_str() == "teboil"));
    assert!(idx
        .in_polygon(&MultiPolygon(vec![]), &Filter::default())
        .is_empty());
}

/// A random route: a wandering walk of `n` points with legs of `step_km` on average.
fn random_route(rng: &mut impl Rng, n: usize, step_km: f64) -> Vec<LonLat> {
    let (mut lon, mut lat) = (rng.gen_range(21.0..30.0), rng.gen_range(60.0..68.0));
    let mut heading: f64 = rng.gen_range(0.0..std::f64::consts::TAU);
    let mut out = Vec::with_capacity(n);
    for _ in 0..n {
        out.push(LonLat::new(lon, lat).unwrap());
        heading += rng.gen_range(-0.6..0.6);
        let d = step_km * rng.gen_range(0.0..2.0) / 111.0;
        lat = (lat + d * heading.cos()).clamp(59.0, 71.0);
        lon = (lon + d * heading.sin() / lat.to_radians().cos()).clamp(18.0, 33.0);
    }
    out
}

#[test]
fn along_route_matches_brute_force_over_every_leg() {
    let reg = generated_registry(9, 5_000);
    let idx = OutletIndex::new(Arc::new(reg.clone()));
    let mut rng = ChaCha8Rng::seed_from_u64(99);
    let mut total_hits = 0;
    for i in 0..60 {
        let n = rng.gen_range(2..300);
        let step = [0.05, 1.0, 20.0, 150.0][i % 4];
        let route = random_route(&mut rng, n, step);
        let corridor = 10f64.powf(rng.gen_range(2.0..MAX_CORRIDOR_M.log10()));
        let f = if i % 3 == 0 {
            random_filter(&mut rng, &reg)
        } else {
            Filter::default()
        };
        let got: Vec<(OutletId, f64, f64)> = idx
            .along_route(&route, corridor, &f)
            .unwrap()
            .iter()
            .map(|h| (h.outlet.id, h.distance_m, h.along_km))
            .collect();
        let passing: Vec<&Outlet> = reg
            .outlets()
            .iter()
            .filter(|o| f.matches(&reg, o))
            .collect();
        let all = distances_to_route(&route, passing.iter().map(|o| o.location));
        let mut want: Vec<(OutletId, f64, f64)> = passing
            .iter()
            .zip(all)
            .filter(|(_, (d, _))| *d <= corridor)
            .map(|(o, (d, along))| (o.id, d, along))
            .collect();
        want.sort_by(|a, b| a.2.total_cmp(&b.2).then(a.0.cmp(&b.0)));
        assert_eq!(got, want, "route {i}: {n} points, corridor {corridor}");
        total_hits += got.len();
        assert!(got.windows(2).all(|w| w[0].2 <= w[1].2));
    }
    assert!(total_hits > 500, "routes found only {total_hits} outlets");
}

#[test]
fn route_positions_are_km_along_the_road() {
    let reg = fixture_registry();
    let idx = OutletIndex::new(Arc::new(reg));
    // Helsinki -> Hämeenlinna -> Tampere through real town centres.
    let route: Vec<LonLat> = [
        (24.9384, 60.1699),
        (25.0378, 60.2934),
        (24.8587, 60.6311),
        (24.4643, 60.9959),
        (23.7610, 61.4978),
    ]
    .iter()
    .map(|&(lon, lat)| LonLat::new(lon, lat).unwrap())
    .collect();
    let hits = idx
        .along_route(&route, 2_000.0, &Filter::default())
        .unwrap();
    let names: Vec<&str> = hits.iter().map(|h| h.outlet.name.as_str()).collect();
    // The two ends, the Vantaa and Hyvinkää waypoints and Hämeenlinna are on the road.
    for want in [
        "K-Market Helsinki",
        "Center Inn Vantaa",
        "Budget Sport Hyvinkää",
        "Rautia Hämeenlinna",
        "K-Citymarket Tampere",
    ] {
        assert!(names.contains(&want), "{want} missing from {names:?}");
    }
    let first = &hits[0];
    assert_eq!(first.outlet.name, "K-Market Helsinki");
    assert!(first.along_km < 1.0 && first.distance_m < 2_000.0);
    let last = hits.last().unwrap();
    assert_eq!(last.outlet.name, "K-Citymarket Tampere");
    // The route's length is its legs' great-circle lengths, within 0.5 % of the ellipsoid's.
    let total = storenet::spatial::route_length_m(&route) / 1000.0;
    let geodesic: f64 = route
        .windows(2)
        .map(|w| {
            use geo::{Distance, Geodesic};
            Geodesic.distance(w[0].to_point(), w[1].to_point()) / 1000.0
        })
        .sum();
    assert!(
        (total - geodesic).abs() < 0.005 * geodesic,
        "{total} vs {geodesic}"
    );
    assert!((160.0..175.0).contains(&total), "{total}");
    assert!((last.along_km - total).abs() < 1.0);
    assert!(hits.iter().all(|h| h.distance_m <= 2_000.0));
}

#[test]
fn each_filter_field_restricts_the_results() {
    let reg = fixture_registry();
    let idx = OutletIndex::new(Arc::new(reg.clone()));
    let p = LonLat::new(25.0, 62.0).unwrap();
    let check = |f: Filter, pred: &dyn Fn(&Outlet) -> bool| {
        let hits = idx.nearest(p, 100, &f).unwrap();
        let expected = reg.outlets().iter().filter(|o| pred(o)).count().min(100);
        assert!(expected > 0);
        assert_eq!(hits.len(), expected, "{f:?}");
        assert!(hits.iter().all(|h| pred(h.outlet)), "{f:?}");
    };
    let market = ChainId::new("k-market").unwrap();
    let teboil = ChainId::new("teboil").unwrap();
    check(
        Filter {
            chains: vec![market.clone(), teboil.clone()],
            ..Filter::default()
        },
        &|o| o.chain == market || o.chain == teboil,
    );
    check(
        Filter {
            categories: vec![Category::Sports],
            ..Filter::default()
        },
        &|o| ["intersport", "budget-sport"].contains(&o.chain.as_str()),
    );
    check(
        Filter {
            kind: Some(OutletKind::Partner),
            ..Filter::default()
        },
        &|o| o.kind == OutletKind::Partner,
    );
    let (fuel, ev) = (
        Service::new("fuel").unwrap(),
        Service::new("ev_charging").unwrap(),
    );
    check(
        Filter {
            services: vec![fuel.clone(), ev.clone()],
            ..Filter::default()
        },
        &|o| o.services.contains(&fuel) && o.services.contains(&ev),
    );
    // Nearest under a selective filter still finds k: the filter runs inside the tree walk.
    let f = Filter {
        chains: vec![ChainId::new("k-auto").unwrap()],
        ..Filter::default()
    };
    assert_eq!(idx.nearest(p, 23, &f).unwrap().len(), 23);
    // Open at: whatever the opening hours say, the index agrees with them.
    let t = parse_open_at("2026-11-22T22:30").unwrap(); // a Sunday night in Helsinki
    check(
        Filter {
            open_at: Some(t),
            ..Filter::default()
        },
        &|o| o.hours.is_open_at(t),
    );
}

#[test]
fn bad_parameters_are_refused_with_the_field_named() {
    let idx = OutletIndex::new(Arc::new(fixture_registry()));
    let p = LonLat::new(25.0, 62.0).unwrap();
    let f = Filter::default();
    let field = |e: QueryError| match e {
        QueryError::OutOfRange { field, .. } => field,
    };
    assert_eq!(field(idx.nearest(p, 0, &f).unwrap_err()), "k");
    assert_eq!(field(idx.nearest(p, 101, &f).unwrap_err()), "k");
    assert_eq!(idx.nearest(p, 100, &f).unwrap().len(), 100);
    for r in [0.0, -5.0, 500_000.1, f64::NAN, f64::INFINITY] {
        assert_eq!(field(idx.within(p, r, &f).unwrap_err()), "radius_m", "{r}");
    }
    assert!(idx.within(p, 500_000.0, &f).is_ok());
    assert_eq!(
        field(idx.along_route(&[p], 1_000.0, &f).unwrap_err()),
        "route"
    );
    assert_eq!(
        field(idx.along_route(&[], 1_000.0, &f).unwrap_err()),
        "route"
    );
    let two = [p, LonLat::new(25.1, 62.1).unwrap()];
    for c in [0.0, -1.0, 50_001.0, f64::NAN] {
        assert_eq!(
            field(idx.along_route(&two, c, &f).unwrap_err()),
            "corridor_m"
        );
    }
    let unknown = Filter {
        chains: vec![ChainId::new("no-such-chain").unwrap()],
        ..Filter::default()
    };
    let e = idx.nearest(p, 5, &unknown).unwrap_err();
    assert!(e.to_string().contains("no-such-chain"), "{e}");
    assert_eq!(field(e), "chain");
    assert_eq!(field(idx.within(p, 10.0, &unknown).unwrap_err()), "chain");
}

#[test]
fn sphere_distance_is_within_half_a_percent_of_the_wgs84_geodesic() {
    use geo::{Distance, Geodesic};
    let mut rng = ChaCha8Rng::seed_from_u64(42);
    let mut worst: f64 = 0.0;
    for i in 0..20_000 {
        let a = LonLat::new(rng.gen_range(19.1..31.6), rng.gen_range(59.7..70.1)).unwrap();
        let b = if i % 2 == 0 {
            LonLat::new(rng.gen_range(19.1..31.6), rng.gen_range(59.7..70.1)).unwrap()
        } else {
            // Short hops: tens of metres to tens of km.
            let s = 10f64.powf(rng.gen_range(-4.0..-0.5));
            LonLat::new(
                a.lon() + rng.gen_range(-s..s),
                a.lat() + rng.gen_range(-s..s),
            )
            .unwrap()
        };
        let g = Geodesic.distance(a.to_point(), b.to_point());
        if g < 1.0 {
            continue;
        }
        let rel = (distance_m(a, b) - g).abs() / g;
        worst = worst.max(rel);
    }
    assert!(worst <= 0.005, "worst relative error {worst}");
    // The bound is not loose by orders of magnitude: the sphere really is a few ‰ short.
    assert!(worst > 0.002, "worst relative error {worst}");
}

#[test]
fn readers_keep_a_consistent_snapshot_while_it_is_swapped() {
    let full = fixture_registry();
    let chains: Vec<_> = full.chains().cloned().collect();
    let half: Vec<Outlet> = full.outlets().iter().step_by(2).cloned().collect();
    let half = Registry::new(chains, half).unwrap();
    let (n_full, n_half) = (full.outlets().len(), half.outlets().len());
    let shared = Arc::new(SharedIndex::new(full.clone()));
    let p = LonLat::new(25.5, 62.5).unwrap();
    let held = shared.load();
    let before: Vec<OutletId> = held
        .nearest(p, 50, &Filter::default())
        .unwrap()
        .iter()
        .map(|h| h.outlet.id)
        .collect();

    std::thread::scope(|s| {
        for _ in 0..3 {
            let shared = Arc::clone(&shared);
            s.spawn(move || {
                for _ in 0..300 {
                    let snap = shared.load();
                    let n = snap.registry().outlets().len();
                    assert!(n == n_full || n == n_half, "torn snapshot of {n}");
                    // Everything a query returns belongs to the snapshot it ran on.
                    let all = snap.within(p, 500_000.0, &Filter::default()).unwrap();
                    let brute = snap
                        .registry()
                        .outlets()
                        .iter()
                        .filter(|o| distance_m(p, o.location) <= 500_000.0)
                        .count();
                    assert_eq!(all.len(), brute);
                    for h in &all {
                        assert!(std::ptr::eq(
                            h.outlet,
                            snap.registry().outlet(h.outlet.id).unwrap()
                        ));
                    }
                }
            });
        }
        let shared = Arc::clone(&shared);
        let (full, half) = (full.clone(), half.clone());
        s.spawn(move || {
            for i in 0..60 {
                let next = if i % 2 == 0 {
                    half.clone()
                } else {
                    full.clone()
                };
                let built = shared.replace(next);
                // Only this thread writes, so what it stored is what readers now get.
                assert!(Arc::ptr_eq(&built, &shared.load()));
            }
        });
    });
    // The snapshot held through 60 swaps still answers as before.
    let after: Vec<OutletId> = held
        .nearest(p, 50, &Filter::default())
        .unwrap()
        .iter()
        .map(|h| h.outlet.id)
        .collect();
    assert_eq!(before, after);
    assert_eq!(held.len(), n_full);
    // The last swap (i = 59) put the full registry back.
    assert_eq!(shared.load().len(), n_full);
    assert!(!Arc::ptr_eq(&held, &shared.load()));
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn nearest_and_within_agree_with_brute_force(
        lon in 15.0f64..35.0,
        lat in 57.0f64..72.0,
        k in 1usize..=100,
        radius in 1.0f64..500_000.0,
        seed in any::<u64>(),
    ) {
        thread_local! {
            static IDX: (Registry, OutletIndex) = {
                let r = fixture_registry();
                (r.clone(), OutletIndex::new(Arc::new(r)))
            };
        }
        let p = LonLat::new(lon, lat).unwrap();
        IDX.with(|(reg, idx)| {
            let f = random_filter(&mut ChaCha8Rng::seed_from_u64(seed), reg);
            let all = brute_all(reg, p, &f);
            let got = ids_and_distances(&idx.nearest(p, k, &f).unwrap());
            prop_assert_eq!(got, brute_nearest(all.clone(), k));
            let got = ids_and_distances(&idx.within(p, radius, &f).unwrap());
            prop_assert_eq!(got, brute_within(&all, radius));
            Ok(())
        })?;
    }
}
