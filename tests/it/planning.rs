//! Integration tests: density and planning.

#[path = "../fixtures/planning/synth.rs"]
mod synth;

use crate::common::{fixture, repo_path, PgSchema};
use rand::{Rng, SeedableRng};
use std::sync::{Arc, OnceLock};
use storenet::crs::Crs;
use storenet::db::Db;
use storenet::density::{secret, DensityError, Grid, GridOptions, KeySecret, MAX_PERTURBATION};
use storenet::model::{ChainId, LonLat, OutletId};
use storenet::planning::map::{self, Heat, MapSpec};
use storenet::planning::nearest::NearestIndex;
use storenet::planning::output;
use storenet::planning::site::{mclp, mclp_brute_force, Objective, SiteInstance, SiteOptions};
use storenet::planning::{
    self, sphere, Connectivity, HuffOptions, NewOutlet, PlanContext, PlanError,
};
use storenet::registry::{self, Registry};
use storenet::spatial::Filter;

fn registry() -> Arc<Registry> {
    let chains = registry::csv::read_chains(&fixture("chains.csv")).unwrap();
    let outlets = registry::csv::read_outlets(&fixture("outlets_small.csv")).unwrap();
    Arc::new(Registry::new(chains, outlets).unwrap())
}

fn centres() -> Vec<planning::Municipality> {
    planning::read_municipality_centres(&repo_path("data/sources/fi_municipality_centres.csv"))
        .unwrap()
}

/// The synthetic grid around real municipal centres, plus one remote cell of 5 households.
fn ctx() -> &'static PlanContext {
    static CTX: OnceLock<PlanContext> = OnceLock::new();
    CTX.get_or_init(|| {
        let mut cells = synth::grid_cells(&repo_path(""), 0.8, 1);
        // Far north-west of Enontekiö's road end: a lone cell below the privacy floor.
        cells.push((250_000, 7_660_000, 5, 7));
        let grid = Arc::new(Grid::from_cells(cells, 1000).unwrap());
        PlanContext::new(grid, registry(), &centres())
    })
}

/// Grid options with a fixed secret, so the fixtures' figures are the same on every run.
fn opts() -> GridOptions {
    GridOptions::new(KeySecret::public_for_synthetic_grids())
}

/// A published figure is the true count of a set of cells within the cell-key table's reach
/// (`sets` figures summed: `sets` times that).
fn about(shown: Option<u64>, truth: u64, sets: u64) -> bool {
    shown.is_some_and(|s| s.abs_diff(truth) <= MAX_PERTURBATION * sets)
}

fn km(v: &[f64]) -> Vec<f64> {
    v.iter().map(|k| k * 1000.0).collect()
}

#[test]
fn our_grid_format_loads_with_centres_and_floor() {
    let g = Grid::load(&fixture("planning/grid_ours.csv"), &opts()).unwrap();
    assert_eq!(g.cells().len(), 4);
    assert_eq!(g.cell_size_m(), 1000);
    assert!(about(g.total_households().shown(), 2045, 1));
    let small = g.cells().iter().find(|c| c.y == 6_672_000).unwrap();
    assert_eq!(
        serde_json::to_string(&small.households()).unwrap(),
        "\"<10\""
    );
    assert_eq!(small.cardholders().to_string(), "<10");
    // The Helsinki cell's centre is near Helsinki.
    let c = g
        .cells()
        .iter()
        .find(|c| c.x == 385_000 && c.y == 6_671_000)
        .unwrap()
        .centre;
    assert!(
        (c.lat() - 60.17).abs() < 0.03 && (c.lon() - 24.94).abs() < 0.05,
        "{c:?}"
    );
}

#[test]
fn statistics_finland_250m_grid_maps_population_to_households() {
    let g = Grid::load(&fixture("planning/grid_statfin_250m.csv"), &opts()).unwrap();
    assert_eq!(g.cell_size_m(), 250);
    // 100 / 2.0 = 50 and 51 / 2.0 = 25.5 → 26; the empty cell is dropped.
    let hh: Vec<_> = g.cells().iter().map(|c| c.households().shown()).collect();
    assert_eq!(hh.len(), 2);
    assert!(about(hh[0], 50, 1) && about(hh[1], 26, 1), "{hh:?}");
    let opts = GridOptions {
        persons_per_household: 1.0,
        ..opts()
    };
    let g = Grid::load(&fixture("planning/grid_statfin_250m.csv"), &opts).unwrap();
    assert!(about(g.total_households().shown(), 151, 1));
}

#[test]
fn wgs84_grids_are_recognised_and_snapped_to_tm35fin_cells() {
    let g = Grid::load(&fixture("planning/grid_wgs84.csv"), &opts()).unwrap();
    assert_eq!(g.cells().len(), 2);
    for c in g.cells() {
        assert_eq!(c.x % 1000, 0);
        assert_eq!(c.y % 1000, 0);
    }
    let hel = g
        .cells()
        .iter()
        .find(|c| about(c.households().shown(), 300, 1))
        .unwrap();
    assert!(sphere::metres(hel.centre, LonLat::new(24.9384, 60.1699).unwrap()) < 710.0);
}

#[test]
fn bad_grids_get_clear_errors() {
    let load = |f: &str| Grid::load(&fixture(f), &opts()).unwrap_err();
    let e = load("planning/grid_negative.csv");
    assert!(
        matches!(e, DensityError::BadField { line: 3, ref field, .. } if field == "households"),
        "{e}"
    );
    assert!(
        e.to_string()
            .contains("grid_negative.csv:3: field `households`"),
        "{e}"
    );
    assert!(matches!(
        load("planning/grid_empty.csv"),
        DensityError::Empty { .. }
    ));
    assert!(matches!(
        load("planning/does_not_exist.csv"),
        DensityError::Io { .. }
    ));
    let e = load("planning/grid_unknown_crs.csv");
    assert!(matches!(e, DensityError::UnknownCrs { .. }), "{e}");
    assert!(e.to_string().contains("--grid-crs"));
    // A CRS given that the coordinates do not fit is refused, not silently mis-projected.
    let opts = GridOptions {
        crs: Some(Crs::Wgs84),
        ..opts()
    };
    assert!(matches!(
        Grid::load(&fixture("planning/grid_ours.csv"), &opts),
        Err(DensityError::UnknownCrs { .. })
    ));
    assert!(Crs::from_epsg(9999).is_err());
    let e = load("chains.csv");
    assert!(matches!(e, DensityError::MissingColumn { .. }), "{e}");
}

/// 100,000 cells: the grid's cells and random points in Finland, against brute force, with the
/// 300 fixture outlets and with 3,000 synthetic ones.
#[test]
fn nearest_assignment_equals_brute_force_on_100k_points() {
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(42);
    let cells = ctx().units();
    let mut pts: Vec<_> = (0..100_000)
        .map(|i| {
            if i % 2 == 0 {
                cells[rng.gen_range(0..cells.len())]
            } else {
                sphere::unit(
                    LonLat::new(rng.gen_range(19.5..31.5), rng.gen_range(59.7..70.1)).unwrap(),
                )
            }
        })
        .collect();
    let fixture_sites: Vec<_> = registry()
        .outlets()
        .iter()
        .map(|o| sphere::unit(o.location))
        .collect();
    let idx = NearestIndex::new(fixture_sites);
    let got = idx.assign(&pts);
    for (p, g) in pts.iter().zip(&got) {
        assert_eq!(g.map(|n| n.site), idx.brute_force(p).map(|n| n.site));
    }
    let raw = synth::grid_cells(&repo_path(""), 0.8, 1);
    let many: Vec<_> = synth::outlets(&raw, 3000, 9)
        .iter()
        .map(|o| sphere::unit(o.location))
        .collect();
    let idx = NearestIndex::new(many);
    pts.truncate(20_000);
    let got = idx.assign(&pts);
    for (p, g) in pts.iter().zip(&got) {
        assert_eq!(g.map(|n| n.site), idx.brute_force(p).map(|n| n.site));
    }
}

#[test]
fn coverage_bands_are_cumulative_and_municipalities_add_up() {
    let c = ctx();
    let r = planning::coverage(
        c,
        &Filter::default(),
        &km(&[0.5, 1.0, 2.0, 5.0, 10.0, 20.0]),
    )
    .unwrap();
    let total = r.total.households.shown().unwrap();
    assert_eq!(Some(total), c.grid().total_households().shown());
    let within: Vec<u64> = r
        .total
        .bands
        .iter()
        .map(|b| b.households.shown().unwrap())
        .collect();
    assert!(within.windows(2).all(|w| w[0] <= w[1]), "{within:?}");
    assert!(
        within[5] <= total && within[5] > total / 2,
        "{within:?} of {total}"
    );
    // Published figures are not additive (each set has its own perturbation), but close.
    let n = r.by_municipality.len() as u64;
    let muni_sum: u64 = r
        .by_municipality
        .iter()
        .map(|m| m.households.shown().unwrap_or(0))
        .sum();
    let slack = MAX_PERTURBATION * (n + 1);
    assert!(muni_sum <= total + slack && muni_sum + 10 * n + slack >= total);
    assert!(r.by_chain.iter().any(|c| c.key == "k-market"));
    assert!(r.by_category.iter().any(|c| c.key == "food"));
    // A chain alone covers no more than the whole network.
    for ch in &r.by_chain {
        assert!(ch.bands[3].households.shown().unwrap_or(0) <= within[3] + 2 * MAX_PERTURBATION);
    }
    assert!(matches!(
        planning::coverage(c, &Filter::default(), &[0.0]),
        Err(PlanError::BadParam { .. })
    ));
    let none = Filter {
        chains: vec![ChainId::new("no-such-chain").unwrap()],
        ..Filter::default()
    };
    assert!(matches!(
        planning::coverage(c, &none, &[1000.0]),
        Err(PlanError::NoOutlets(_))
    ));
}

#[test]
fn catchments_partition_the_households() {
    let c = ctx();
    let r = planning::catchments(c, &Filter::default()).unwrap();
    let sum: u64 = r
        .outlets
        .iter()
        .map(|o| o.households.shown().unwrap_or(0))
        .sum();
    let suppressed = r
        .outlets
        .iter()
        .filter(|o| o.households.is_suppressed())
        .count() as u64;
    let total = c.grid().total_households().shown().unwrap();
    let slack = MAX_PERTURBATION * (r.outlets.len() as u64 + 1);
    assert!(sum <= total + slack && sum + 9 * suppressed + slack >= total);
    for o in &r.outlets {
        if let (Some(m), Some(p)) = (o.median_m.shown(), o.p90_m.shown()) {
            assert!(m <= p);
        }
    }
    let fc = planning::catchments_geojson(c, &r).unwrap();
    assert!(!fc.features.is_empty());
}

#[test]
fn gaps_are_ranked_and_the_lone_small_cell_is_suppressed() {
    let c = ctx();
    let r = planning::gaps(c, &Filter::default(), 20_000.0, Connectivity::Four).unwrap();
    assert!(!r.gaps.is_empty());
    let hh: Vec<u64> = r
        .gaps
        .iter()
        .map(|g| g.households.shown().unwrap_or(0))
        .collect();
    assert!(hh.windows(2).all(|w| w[0] >= w[1]));
    let lone = r
        .gaps
        .iter()
        .find(|g| g.cells == 1 && g.households.is_suppressed())
        .expect("the 5-household cell");
    let json = serde_json::to_value(lone).unwrap();
    assert_eq!(json["households"], "<10");
    assert_eq!(json["cardholders"], "<10");
    assert_eq!(json["nearest_outlet_m"], "<10");
    let r8 = planning::gaps(c, &Filter::default(), 20_000.0, Connectivity::Eight).unwrap();
    assert!(r8.gaps.len() <= r.gaps.len());
    assert!(matches!(
        planning::gaps(c, &Filter::default(), -1.0, Connectivity::Four),
        Err(PlanError::BadParam { .. })
    ));
}

#[test]
fn whatif_closing_moves_households_to_neighbours_and_refuses_unknown_ids() {
    let c = ctx();
    let id = c.registry().outlets()[0].id;
    let r = planning::what_if(c, &Filter::default(), &[], &[id], &km(&[1.0, 5.0, 20.0])).unwrap();
    let closed = r.changes.iter().find(|x| x.outlet == Some(id)).unwrap();
    assert_eq!(closed.status, "closed");
    // The closed outlet's catchment after is the empty set: a known zero, shown as 0.
    assert_eq!(closed.households_after.shown(), Some(0));
    let gained: u64 = r
        .changes
        .iter()
        .filter(|x| x.status == "kept")
        .map(|x| x.gained.shown().unwrap_or(0))
        .sum();
    let movers = r.changes.iter().filter(|x| x.status == "kept").count() as u64;
    assert!(
        gained
            <= closed
                .households_before
                .shown()
                .map_or(u64::MAX, |b| b + MAX_PERTURBATION * (movers + 1))
    );
    let open = NewOutlet {
        location: LonLat::new(24.95, 60.19).unwrap(),
        chain: ChainId::new("k-market").unwrap(),
    };
    let r = planning::what_if(c, &Filter::default(), &[open], &[], &km(&[1.0, 5.0])).unwrap();
    assert!(r.after.bands[0].households.shown() >= r.before.bands[0].households.shown());
    assert!(r.changes.iter().any(|x| x.status == "opened"));
    let e = planning::what_if(
        c,
        &Filter::default(),
        &[],
        &[OutletId(999_999)],
        &km(&[1.0]),
    )
    .unwrap_err();
    assert!(
        matches!(e, PlanError::UnknownOutlet(OutletId(999_999))),
        "{e}"
    );
}

#[test]
fn site_suggestion_matches_brute_force_on_a_small_instance_and_checks_its_input() {
    let c = ctx();
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(5);
    let cells = c.grid().cells();
    let demand: Vec<usize> = (0..400).map(|_| rng.gen_range(0..cells.len())).collect();
    let inst = SiteInstance {
        demand: demand.iter().map(|&i| c.units()[i]).collect(),
        weights: demand
            .iter()
            .map(|&i| cells[i].households().shown().unwrap_or(5))
            .collect(),
        candidates: demand.iter().take(15).map(|&i| c.units()[i]).collect(),
    };
    for p in [2, 3, 4] {
        let ours = mclp(&inst, p, 30_000.0).unwrap();
        let best = mclp_brute_force(&inst, p, 30_000.0).unwrap();
        assert_eq!(ours.objective, best.objective, "p = {p}");
    }
    let cands = planning::read_candidates(&fixture("planning/candidates.csv")).unwrap();
    let opts = SiteOptions {
        p: 4,
        candidates: Some(cands.clone()),
        ..SiteOptions::default()
    };
    assert!(matches!(
        planning::suggest_sites(c, &Filter::default(), &opts),
        Err(PlanError::BadParam { field: "p", .. })
    ));
    let opts = SiteOptions {
        p: 2,
        distance_m: 0.0,
        candidates: Some(cands.clone()),
        ..SiteOptions::default()
    };
    assert!(matches!(
        planning::suggest_sites(c, &Filter::default(), &opts),
        Err(PlanError::BadParam {
            field: "distance",
            ..
        })
    ));
    let opts = SiteOptions {
        p: 2,
        candidates: Some(cands),
        objective: Objective::PMedian,
        ..SiteOptions::default()
    };
    let r = planning::suggest_sites(c, &Filter::default(), &opts).unwrap();
    assert_eq!(r.sites.len(), 2);
    assert!(r.mean_distance_after_m.shown() <= r.mean_distance_before_m.shown());
    let opts = SiteOptions {
        p: 5,
        distance_m: 5_000.0,
        min_candidate_households: 200,
        ..SiteOptions::default()
    };
    let r = planning::suggest_sites(c, &Filter::default(), &opts).unwrap();
    assert!(r.households_after.shown() > r.households_before.shown());
}

#[test]
fn huff_shares_sum_to_at_most_one_and_competitors_take_some() {
    let c = ctx();
    let r = planning::huff(c, &Filter::default(), &HuffOptions::default()).unwrap();
    let share = r.share.shown().unwrap();
    assert!(share > 0.5 && share <= 1.0 + 1e-9, "{share}");
    let comp = planning::read_competitors(&fixture("planning/competitors.csv")).unwrap();
    let r2 = planning::huff(
        c,
        &Filter::default(),
        &HuffOptions {
            competitors: comp,
            ..HuffOptions::default()
        },
    )
    .unwrap();
    assert!(r2.share.shown().unwrap() < share);
    for a in &r2.areas {
        if let (Some(s), Some(t), Some(h)) = (
            a.share.shown(),
            a.competitor_share.shown(),
            a.households.shown(),
        ) {
            // Ratios of published (perturbed) figures: within the perturbation of one.
            assert!(
                s + t <= 1.0 + 2.0 * MAX_PERTURBATION as f64 / h as f64,
                "{s} + {t}"
            );
        }
    }
    assert!(planning::huff(
        c,
        &Filter::default(),
        &HuffOptions {
            lambda: 0.0,
            ..HuffOptions::default()
        }
    )
    .is_err());
}

/// Every output of every analysis: a figure for fewer than ten households reads `<10`.
#[test]
fn privacy_floor_holds_in_every_output() {
    // One outlet, a big town next to it and a hamlet of 4 households 80 km away.
    let hel = (385_000, 6_671_000);
    let cells = vec![
        (hel.0, hel.1, 500, 700),
        (hel.0 + 1000, hel.1, 300, 450),
        (hel.0 + 80_000, hel.1 + 80_000, 4, 6),
    ];
    let grid = Arc::new(Grid::from_cells(cells, 1000).unwrap());
    let reg = registry();
    let ctx = PlanContext::new(grid, reg.clone(), &centres());
    let only_hel = Filter {
        chains: vec![ChainId::new("k-citymarket").unwrap()],
        ..Filter::default()
    };
    let dir = tempfile::tempdir().unwrap();

    let gaps = planning::gaps(&ctx, &only_hel, 30_000.0, Connectivity::Four).unwrap();
    let hamlet = gaps
        .gaps
        .iter()
        .find(|g| g.households.is_suppressed())
        .expect("hamlet gap");
    assert_eq!(hamlet.households.to_string(), "<10");
    let t = output::gap_table(&gaps);
    assert!(t.to_csv().unwrap().contains("<10"));
    assert!(!t
        .to_csv()
        .unwrap()
        .lines()
        .skip(1)
        .any(|l| l.split(',').nth(2) == Some("4")));
    let gj = planning::gaps_geojson(&ctx, &gaps).unwrap().to_string();
    assert!(gj.contains("\"households\":\"<10\""), "{gj}");

    let cov = planning::coverage(&ctx, &only_hel, &km(&[0.5, 100.0])).unwrap();
    let json = serde_json::to_string(&cov).unwrap();
    assert!(!json.contains(":4,") && !json.contains(":4}"));
    let per_muni = cov
        .by_municipality
        .iter()
        .find(|m| m.households.is_suppressed())
        .expect("hamlet municipality");
    assert_eq!(
        serde_json::to_value(per_muni).unwrap()["cardholders"],
        "<10"
    );
    for (_, t) in output::coverage_tables(&cov) {
        let csv = t.to_csv().unwrap();
        assert!(
            !csv.lines().any(|l| l.split(',').nth(3) == Some("4")),
            "{csv}"
        );
    }

    let catch = planning::catchments(&ctx, &Filter::default()).unwrap();
    let small: Vec<_> = catch
        .outlets
        .iter()
        .filter(|o| o.households.is_suppressed())
        .collect();
    assert!(!small.is_empty());
    let v = serde_json::to_value(small[0]).unwrap();
    assert_eq!(v["households"], "<10");
    assert_eq!(v["median_m"], "<10");
    let gj = planning::catchments_geojson(&ctx, &catch)
        .unwrap()
        .to_string();
    assert!(gj.contains("\"households\":\"<10\""));
    assert!(output::catchment_table(&catch)
        .to_text(1000)
        .contains("<10"));

    let cells_gj = planning::cells_geojson(ctx.grid()).unwrap().to_string();
    assert!(cells_gj.contains("\"households\":\"<10\"") && !cells_gj.contains("\"households\":4"));

    let id = ctx.select(&only_hel)[0].id;
    let wi = planning::what_if(&ctx, &Filter::default(), &[], &[id], &km(&[1.0])).unwrap();
    assert!(
        serde_json::to_string(&wi).unwrap().contains("<10")
            || wi.changes.iter().all(|c| !c.gained.is_suppressed())
    );

    let huff = planning::huff(
        &ctx,
        &only_hel,
        &HuffOptions {
            cutoff_m: 200_000.0,
            ..HuffOptions::default()
        },
    )
    .unwrap();
    let hamlet_area = huff
        .areas
        .iter()
        .find(|a| a.households.is_suppressed())
        .expect("hamlet area");
    let v = serde_json::to_value(hamlet_area).unwrap();
    assert_eq!(
        (v["households"].as_str(), v["share"].as_str()),
        (Some("<10"), Some("<10"))
    );

    let site = planning::suggest_sites(
        &ctx,
        &only_hel,
        &SiteOptions {
            p: 1,
            distance_m: 5_000.0,
            min_candidate_households: 1,
            candidates: Some(vec![storenet::crs::to_wgs84(
                Crs::Tm35Fin,
                465_500.0,
                6_751_500.0,
            )
            .unwrap()]),
            ..SiteOptions::default()
        },
    )
    .unwrap();
    assert_eq!(
        serde_json::to_value(&site).unwrap()["sites"][0]["households"],
        "<10"
    );
    assert!(output::site_table(&site).to_csv().unwrap().contains("<10"));

    // Maps: the density legend's lowest bin reads <10 (SVG text is XML-escaped).
    let spec = MapSpec {
        title: "privacy".into(),
        outlets: ctx.select(&Filter::default()),
        heat: Heat::Density,
        marks: vec![],
        mark_label: String::new(),
    };
    let svg = dir.path().join("m.svg");
    map::draw(&ctx, &spec, &svg).unwrap();
    let text = std::fs::read_to_string(&svg).unwrap();
    assert!(text.contains("&lt;10 households"), "legend missing");
}

#[test]
fn maps_draw_png_and_svg_and_refuse_other_formats() {
    let c = ctx();
    let r = planning::gaps(c, &Filter::default(), 15_000.0, Connectivity::Four).unwrap();
    let mut in_gap = vec![false; c.grid().cells().len()];
    for g in &r.gaps {
        for &i in &g.members {
            in_gap[i] = true;
        }
    }
    let spec = MapSpec {
        title: "Gaps".into(),
        outlets: c.select(&Filter::default()),
        heat: Heat::Gaps(in_gap),
        marks: r
            .gaps
            .iter()
            .take(5)
            .map(|g| map::Mark {
                location: g.centre,
                label: g.rank.to_string(),
            })
            .collect(),
        mark_label: "gaps".into(),
    };
    let dir = tempfile::tempdir().unwrap();
    let png = dir.path().join("gaps.png");
    map::draw(c, &spec, &png).unwrap();
    let bytes = std::fs::read(&png).unwrap();
    assert_eq!(&bytes[1..4], b"PNG");
    assert!(bytes.len() > 20_000);
    let svg = dir.path().join("gaps.svg");
    map::draw(c, &spec, &svg).unwrap();
    assert!(std::fs::read_to_string(&svg).unwrap().contains("100 km"));
    assert!(map::draw(c, &spec, &dir.path().join("gaps.bmpx")).is_err());
    assert_eq!(&map::png_bytes(c, &spec).unwrap()[1..4], b"PNG");
    assert!(map::svg_string(c, &spec).unwrap().starts_with("<svg"));
    assert!(!dir.path().join("gaps.bmpx").exists());
    // Leave a copy to look at when asked.
    if let Ok(d) = std::env::var("STORENET_MAP_DIR") {
        std::fs::copy(&png, std::path::Path::new(&d).join("gaps.png")).unwrap();
    }
}

/// 4-connected components of a set of (column, row) cells, by flood fill.
fn four_components(cells: &std::collections::HashSet<(i64, i64)>) -> usize {
    let mut seen = std::collections::HashSet::new();
    let mut n = 0;
    for &s in cells {
        if !seen.insert(s) {
            continue;
        }
        n += 1;
        let mut stack = vec![s];
        while let Some((c, r)) = stack.pop() {
            for nb in [(c + 1, r), (c - 1, r), (c, r + 1), (c, r - 1)] {
                if cells.contains(&nb) && seen.insert(nb) {
                    stack.push(nb);
                }
            }
        }
    }
    n
}

#[test]
fn catchment_and_gap_areas_are_dissolved_valid_polygons() {
    use geo::{Orient, Validation};
    let c = ctx();
    let r = planning::catchments(c, &Filter::default()).unwrap();
    let fc = planning::catchments_geojson(c, &r).unwrap();
    let mut cells_of: std::collections::HashMap<OutletId, std::collections::HashSet<(i64, i64)>> =
        Default::default();
    for (i, cell) in c.grid().cells().iter().enumerate() {
        let o = r.owner_of_cell(i).unwrap();
        cells_of
            .entry(o)
            .or_default()
            .insert(c.grid().col_row(cell));
    }
    assert_eq!(fc.features.len(), cells_of.len());
    let mut holes = 0;
    for f in &fc.features {
        let id = OutletId(f.property("outlet").unwrap().as_u64().unwrap() as u32);
        let geometry = f.geometry.as_ref().unwrap();
        let mp = geo::MultiPolygon::<f64>::try_from(&geometry.value).unwrap();
        // One polygon per 4-connected piece of the catchment, no internal edges (a polygon per
        // cell or per row run would give more), valid and by the right-hand rule.
        assert_eq!(mp.0.len(), four_components(&cells_of[&id]), "outlet {id}");
        assert!(mp.is_valid(), "outlet {id}: {:?}", mp.validation_errors());
        assert_eq!(mp.orient(geo::orient::Direction::Default), mp);
        for p in &mp.0 {
            assert!(p.exterior().is_closed());
            holes += p.interiors().len();
        }
    }
    println!("{} catchments, {holes} holes", fc.features.len());
    let g = planning::gaps(c, &Filter::default(), 10_000.0, Connectivity::Four).unwrap();
    let fc = planning::gaps_geojson(c, &g).unwrap();
    for (f, gap) in fc.features.iter().zip(&g.gaps) {
        let mp = geo::MultiPolygon::<f64>::try_from(&f.geometry.as_ref().unwrap().value).unwrap();
        // A 4-connected gap is one polygon.
        assert_eq!(mp.0.len(), 1, "gap {}", gap.rank);
        assert!(
            mp.is_valid(),
            "gap {}: {:?}",
            gap.rank,
            mp.validation_errors()
        );
    }
}

// ---------- differencing attacks (issue 18, section 2) ----------

/// The attack context and, per group, the lone cell's centre and true (households, cardholders).
type Attack = (PlanContext, Vec<(LonLat, u64, u64)>);

/// Groups for the differencing attacks: at well separated outlets of the fixture registry, a 3×3
/// block of cells around the outlet (within 2.5 km of it) and one lone cell of 1–9 households
/// 5 km east, more than 2.5 km from every outlet. Each group is a municipality of its own (its
/// centre is the outlet). Returns the context and, per group, the lone cell's centre and true
/// (households, cardholders).
fn attack_ctx() -> Attack {
    let reg = registry();
    let outlets = reg.outlets();
    let mut picked: Vec<LonLat> = Vec::new();
    for o in outlets {
        if picked.len() == 30 {
            break;
        }
        if picked
            .iter()
            .all(|p| sphere::metres(*p, o.location) > 40_000.0)
        {
            picked.push(o.location);
        }
    }
    let mut cells = Vec::new();
    let mut lone = Vec::new();
    let mut centres = Vec::new();
    for (g, at) in picked.iter().enumerate() {
        let (x, y) = storenet::crs::from_wgs84(Crs::Tm35Fin, *at).unwrap();
        let (cx, cy) = (
            (x / 1000.0).floor() as i64 * 1000,
            (y / 1000.0).floor() as i64 * 1000,
        );
        let (lx, ly) = (cx + 5000, cy);
        let lone_centre =
            storenet::crs::to_wgs84(Crs::Tm35Fin, lx as f64 + 500.0, ly as f64 + 500.0).unwrap();
        if outlets
            .iter()
            .any(|o| sphere::metres(o.location, lone_centre) < 3_000.0)
        {
            continue;
        }
        for dx in -1..=1 {
            for dy in -1..=1 {
                cells.push((cx + dx * 1000, cy + dy * 1000, 30 + g as u32, 45));
            }
        }
        let (h, c) = (1 + g as u32 % 9, 2 + g as u32 % 7);
        cells.push((lx, ly, h, c));
        lone.push((lone_centre, h as u64, c as u64));
        centres.push(planning::Municipality {
            code: format!("{:03}", 100 + g).parse().unwrap(),
            name: format!("group {g}"),
            centre: *at,
        });
    }
    assert!(lone.len() >= 15, "{} groups", lone.len());
    let grid = Arc::new(Grid::from_cells(cells, 1000).unwrap());
    (PlanContext::new(grid, reg, &centres), lone)
}

/// Over pairs of published figures whose difference is a known group of 1–9 households (or
/// cardholders): how many pairs, how many differences equal the truth, and how many distinct
/// errors (difference − truth) occur. An attacker is certain when every difference is exact.
fn differences(pairs: &[(Option<u64>, Option<u64>, u64)]) -> (usize, usize, usize) {
    let shown: Vec<i64> = pairs
        .iter()
        .filter_map(|&(a, b, truth)| Some(b? as i64 - a? as i64 - truth as i64))
        .collect();
    let exact = shown.iter().filter(|&&e| e == 0).count();
    let kinds: std::collections::BTreeSet<i64> = shown.iter().copied().collect();
    (shown.len(), exact, kinds.len())
}

/// Most differences must miss the truth and the errors must vary: on a floor-only publication
/// every difference is exact (the attack of the issue).
fn assert_not_certain(what: &str, pairs: &[(Option<u64>, Option<u64>, u64)]) {
    let (n, exact, kinds) = differences(pairs);
    assert!(n >= 10, "{what}: only {n} pairs with both figures shown");
    assert!(
        exact * 2 < n && kinds >= 3,
        "{what}: {exact} of {n} differences equal the true 1–9 count ({kinds} distinct errors)"
    );
}

/// Issue 18: neighbouring catchments overlapped in slivers (a long grid run was one segment on
/// one side and several on the other). Topology check: no two catchments overlap, and together
/// they cover exactly the area of their cells (each cell a quadrilateral of its WGS84 corners).
#[test]
fn neighbouring_catchments_share_boundaries_exactly() {
    use geo::{Area, BooleanOps, BoundingRect, Intersects};
    let c = ctx();
    let r = planning::catchments(c, &Filter::default()).unwrap();
    let fc = planning::catchments_geojson(c, &r).unwrap();
    let polys: Vec<geo::MultiPolygon<f64>> = fc
        .features
        .iter()
        .map(|f| geo::MultiPolygon::<f64>::try_from(&f.geometry.as_ref().unwrap().value).unwrap())
        .collect();
    let rects: Vec<geo::Rect<f64>> = polys.iter().map(|p| p.bounding_rect().unwrap()).collect();
    let (mut pairs, mut worst) = (0, 0f64);
    for i in 0..polys.len() {
        for j in i + 1..polys.len() {
            if !rects[i].intersects(&rects[j]) {
                continue;
            }
            pairs += 1;
            let overlap = polys[i].intersection(&polys[j]).unsigned_area();
            worst = worst.max(overlap);
        }
    }
    assert!(pairs > 100, "{pairs} neighbouring pairs");
    // Square degrees: 1e-12 is below a hundredth of a square metre in Finland.
    assert!(
        worst < 1e-12,
        "neighbouring catchments overlap by up to {worst:e} deg²"
    );
    let total: f64 = polys.iter().map(|p| p.unsigned_area()).sum();
    let s = c.grid().cell_size_m() as f64;
    let quad = |x: f64, y: f64| {
        let p = |dx: f64, dy: f64| {
            let ll = storenet::crs::to_wgs84(Crs::Tm35Fin, x + dx, y + dy).unwrap();
            (
                (ll.lon() * 1e6).round() / 1e6,
                (ll.lat() * 1e6).round() / 1e6,
            )
        };
        geo::Polygon::new(
            geo::LineString::from(vec![
                p(0.0, 0.0),
                p(s, 0.0),
                p(s, s),
                p(0.0, s),
                p(0.0, 0.0),
            ]),
            vec![],
        )
        .unsigned_area()
    };
    let cells: f64 = c
        .grid()
        .cells()
        .iter()
        .map(|cell| quad(cell.x as f64, cell.y as f64))
        .sum();
    assert!(
        ((total - cells) / cells).abs() < 1e-9,
        "catchments cover {total:e} deg², their cells {cells:e}"
    );
}

#[test]
fn whatif_opening_on_an_isolated_cell_does_not_reveal_its_households() {
    let (c, lone) = attack_ctx();
    let bands = [2_500.0];
    let k_market = ChainId::new("k-market").unwrap();
    let mut hh = Vec::new();
    let mut ch = Vec::new();
    for &(at, h, card) in &lone {
        let open = NewOutlet {
            location: at,
            chain: k_market.clone(),
        };
        let r = planning::what_if(&c, &Filter::default(), &[open], &[], &bands).unwrap();
        // The only cell the new outlet brings within 2.5 km is the lone one.
        hh.push((
            r.before.bands[0].households.shown(),
            r.after.bands[0].households.shown(),
            h,
        ));
        ch.push((
            r.before.bands[0].cardholders.shown(),
            r.after.bands[0].cardholders.shown(),
            card,
        ));
        // Its own catchment gained exactly that cell: never shown as a number below ten.
        let opened = r.changes.iter().find(|x| x.status == "opened").unwrap();
        assert!(opened.gained.is_suppressed(), "{:?}", opened.gained);
    }
    assert_not_certain("what-if households", &hh);
    assert_not_certain("what-if cardholders", &ch);
}

#[test]
fn coverage_total_minus_a_band_does_not_reveal_the_households_beyond_it() {
    let (c, lone) = attack_ctx();
    let r = planning::coverage(&c, &Filter::default(), &[2_500.0]).unwrap();
    let mut hh = Vec::new();
    let mut ch = Vec::new();
    for (g, &(_, h, card)) in lone.iter().enumerate() {
        let Some(row) = r
            .by_municipality
            .iter()
            .find(|m| m.label == format!("group {g}"))
        else {
            continue;
        };
        // The row's cells: the block within 2.5 km, the lone cell beyond.
        hh.push((row.bands[0].households.shown(), row.households.shown(), h));
        ch.push((
            row.bands[0].cardholders.shown(),
            row.cardholders.shown(),
            card,
        ));
    }
    assert_not_certain("coverage households", &hh);
    assert_not_certain("coverage cardholders", &ch);
}

/// The attack context, built once.
fn attack() -> &'static Attack {
    static A: OnceLock<Attack> = OnceLock::new();
    A.get_or_init(attack_ctx)
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(24))]

    /// "Isolate": two answers A, B over cell sets SA ⊂ SB (the cells within a band of the
    /// outlets, after a what-if opening a random set X of outlets, and after opening X and one
    /// more on a lone cell) where SB∖SA is one group of 1–9 households. The difference of the
    /// published figures isolates the group when it equals the group's true count with
    /// certainty, i.e. whatever X the attacker picks. Property: over random X, the differences
    /// do not all equal the true count and disagree among themselves (at least two distinct
    /// errors). On a floor-only publication every difference is exact. The property is only
    /// what certainty means: how often one pair is exact is a matter of chance (about a fifth
    /// of pairs with the cell-key table; the fixed-context tests above check "fewer than half"
    /// on fixed data), so it is not asserted over random draws, which would fail now and then.
    #[test]
    fn differences_of_pairs_of_answers_never_isolate_a_small_group(
        g in 0usize..15,
        radius in 2_000.0f64..3_500.0,
        seed in 0u64..1_000_000,
    ) {
        let (c, lone) = attack();
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
        let k_market = ChainId::new("k-market").unwrap();
        let at = |p: LonLat| NewOutlet { location: p, chain: k_market.clone() };
        let (target, h, card) = lone[g];
        let mut hh = Vec::new();
        let mut ch = Vec::new();
        for _ in 0..16 {
            // X: other groups' lone cells, each with probability one half, and at least one.
            let mut x: Vec<NewOutlet> = lone
                .iter()
                .enumerate()
                .filter(|&(k, _)| k != g && rng.gen_bool(0.5))
                .map(|(_, l)| at(l.0))
                .collect();
            if x.is_empty() {
                x.push(at(lone[(g + 1) % lone.len()].0));
            }
            let a = planning::what_if(c, &Filter::default(), &x, &[], &[radius]).unwrap();
            x.push(at(target));
            let b = planning::what_if(c, &Filter::default(), &x, &[], &[radius]).unwrap();
            hh.push((a.after.bands[0].households.shown(), b.after.bands[0].households.shown(), h));
            ch.push((a.after.bands[0].cardholders.shown(), b.after.bands[0].cardholders.shown(), card));
        }
        for (what, pairs) in [("households", &hh), ("cardholders", &ch)] {
            let (n, exact, kinds) = differences(pairs);
            proptest::prop_assert!(n >= 10, "{}: {} pairs", what, n);
            proptest::prop_assert!(
                exact < n && kinds >= 2,
                "{}: {} of {} exact, {} distinct errors", what, exact, n, kinds
            );
        }
    }
}

/// Several handles on one database (instances, `storenet plan`), racing to create the secret,
/// all get one secret and so the same figure for every cell; a later candidate never replaces it.
async fn the_planning_secret_is_one_per_database(url: &str) {
    let mut dbs = Vec::new();
    for _ in 0..4 {
        dbs.push(Db::open(url).await.unwrap());
    }
    let barrier = Arc::new(tokio::sync::Barrier::new(dbs.len()));
    let tasks: Vec<_> = dbs
        .iter()
        .cloned()
        .map(|db| {
            let barrier = barrier.clone();
            tokio::spawn(async move {
                barrier.wait().await;
                secret::load_or_create(&db).await.unwrap()
            })
        })
        .collect();
    let mut secrets = Vec::new();
    for t in tasks {
        secrets.push(t.await.unwrap());
    }
    assert!(
        secrets.windows(2).all(|w| w[0] == w[1]),
        "{url}: secrets differ"
    );
    // A handle that arrives later with a candidate of its own reads the stored one.
    let late = secret::load_or_insert(&dbs[3], KeySecret::random())
        .await
        .unwrap();
    assert_eq!(late, secrets[0]);
    assert_ne!(late, KeySecret::public_for_synthetic_grids());
    let rows: i64 = match &dbs[0] {
        Db::Sqlite(p) => sqlx::query_scalar("SELECT count(*) FROM planning_secret")
            .fetch_one(p)
            .await
            .unwrap(),
        Db::Postgres(p) => sqlx::query_scalar("SELECT count(*) FROM planning_secret")
            .fetch_one(p)
            .await
            .unwrap(),
    };
    assert_eq!(rows, 1);
    // The same grid loaded through any two handles publishes the same figure for every cell.
    let figures = |s: KeySecret| -> Vec<Option<u64>> {
        let g = Grid::load(&fixture("planning/grid_ours.csv"), &GridOptions::new(s)).unwrap();
        g.cells().iter().map(|c| c.households().shown()).collect()
    };
    assert_eq!(
        figures(secret::load_or_create(&dbs[0]).await.unwrap()),
        figures(secret::load_or_create(&dbs[2]).await.unwrap())
    );
    for db in dbs {
        db.close().await;
    }
}

#[tokio::test]
async fn the_planning_secret_is_one_per_sqlite_file() {
    let dir = tempfile::tempdir().unwrap();
    the_planning_secret_is_one_per_database(&format!(
        "sqlite://{}",
        dir.path().join("shared.db").display()
    ))
    .await;
}

#[tokio::test]
async fn the_planning_secret_is_one_per_postgresql_database() {
    let Some(pg) = PgSchema::create("the_planning_secret_is_one_per_postgresql_database").await
    else {
        return;
    };
    the_planning_secret_is_one_per_database(&pg.url).await;
    pg.drop_now().await;
}
