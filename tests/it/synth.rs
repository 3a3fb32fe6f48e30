//! Integration tests: synth, the generator of the bundled data set, and the committed files.

use crate::common::repo_path;
use std::collections::{BTreeMap, BTreeSet};
use std::process::Command;
use storenet::model::{LonLat, OpeningHours};
use storenet::synth::{generate, Settings, DEFAULT_SEED, FILES};

fn committed(name: &str) -> String {
    std::fs::read_to_string(repo_path("data").join(name)).unwrap()
}

fn csv_rows(name: &str) -> Vec<BTreeMap<String, String>> {
    let mut rdr = csv::Reader::from_path(repo_path("data").join(name)).unwrap();
    rdr.deserialize().map(|r| r.unwrap()).collect()
}

#[test]
fn synth_reproduces_the_committed_data_byte_for_byte() {
    let dir = tempfile::tempdir().unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_storenet"))
        .args(["synth", "--out"])
        .arg(dir.path())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    for name in FILES {
        let fresh = std::fs::read(dir.path().join(name)).unwrap();
        let old = std::fs::read(repo_path("data").join(name)).unwrap();
        assert!(
            fresh == old,
            "data/{name} differs from a fresh `storenet synth`"
        );
    }
    // Nothing but the data files is left behind (no temporary files).
    let mut left: Vec<String> = Vec::new();
    for sub in ["", "ledger"] {
        for e in std::fs::read_dir(dir.path().join(sub)).unwrap() {
            let e = e.unwrap();
            if e.file_type().unwrap().is_file() {
                let name = e.file_name().to_string_lossy().into_owned();
                left.push(if sub.is_empty() {
                    name
                } else {
                    format!("{sub}/{name}")
                });
            }
        }
    }
    left.sort();
    let mut want: Vec<String> = FILES.iter().map(|s| s.to_string()).collect();
    want.sort();
    assert_eq!(left, want);
}

#[test]
fn the_ledger_demo_is_small_varied_and_at_real_outlets() {
    let cards = csv_rows("ledger/cards.csv");
    let purchases = csv_rows("ledger/purchases-2026-10.csv");
    let size = std::fs::metadata(repo_path("data/ledger/cards.csv"))
        .unwrap()
        .len()
        + std::fs::metadata(repo_path("data/ledger/purchases-2026-10.csv"))
            .unwrap()
            .len();
    assert!(size < 5_000_000, "{size} bytes");
    let households: BTreeSet<&str> = cards.iter().map(|c| c["household"].as_str()).collect();
    assert!(
        (2_000..=5_000).contains(&households.len()),
        "{}",
        households.len()
    );
    let kinds: BTreeSet<&str> = cards.iter().map(|c| c["kind"].as_str()).collect();
    assert_eq!(
        kinds,
        BTreeSet::from(["co-branded", "mobile", "plastic", "traveller"])
    );
    let holders: BTreeSet<&str> = cards.iter().map(|c| c["holder"].as_str()).collect();
    assert_eq!(holders, BTreeSet::from(["primary", "secondary"]));
    let segments: BTreeSet<&str> = cards
        .iter()
        .flat_map(|c| c["segments"].split(';'))
        .filter(|s| !s.is_empty())
        .collect();
    assert_eq!(
        segments,
        BTreeSet::from(["napero", "traveller", "young-movers"])
    );
    // Every purchase is at a real outlet, under that outlet's chain, by a known card, in
    // October 2026, with a part of the baskets ineligible.
    let outlets: BTreeMap<String, String> = csv_rows("outlets.csv")
        .into_iter()
        .map(|r| (r["id"].clone(), r["chain"].clone()))
        .collect();
    let card_ids: BTreeSet<&str> = cards.iter().map(|c| c["card"].as_str()).collect();
    let mut with_ineligible = 0;
    for p in &purchases {
        assert_eq!(outlets.get(&p["outlet"]), Some(&p["chain"]), "{p:?}");
        assert!(card_ids.contains(p["card"].as_str()), "{p:?}");
        let at = chrono::DateTime::parse_from_rfc3339(&p["at"]).unwrap();
        let local = at.with_timezone(&chrono_tz::Europe::Helsinki);
        assert_eq!(local.format("%Y-%m").to_string(), "2026-10", "{p:?}");
        if p["ineligible_cents"] != "0" {
            with_ineligible += 1;
        }
    }
    assert!(
        purchases.len() >= 10 * households.len(),
        "{}",
        purchases.len()
    );
    assert!(
        with_ineligible * 10 > purchases.len() && with_ineligible * 2 < purchases.len(),
        "{with_ineligible} of {} baskets with ineligible goods",
        purchases.len()
    );
}

#[tokio::test]
async fn the_ledger_demo_ingests_into_a_fresh_ledger_and_verifies() {
    use storenet::ledger::{read_ledger_file, Ledger, LedgerFile, Month, SqlLedger, WriteStatus};
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("demo.db").display());
    let ledger = SqlLedger::open(&url).await.unwrap();
    let LedgerFile::Cards(households, cards) =
        read_ledger_file(&repo_path("data/ledger/cards.csv")).unwrap()
    else {
        panic!("cards.csv is not a cards file");
    };
    let report = ledger
        .enrol(
            households.into_iter().map(|(_, h)| h).collect(),
            cards.into_iter().map(|(_, c)| c).collect(),
            None,
        )
        .await
        .unwrap();
    assert_eq!(
        report.households_created,
        csv_rows("ledger/cards.csv")
            .iter()
            .map(|c| c["household"].clone())
            .collect::<BTreeSet<_>>()
            .len() as u64
    );
    let LedgerFile::Purchases(rows) =
        read_ledger_file(&repo_path("data/ledger/purchases-2026-10.csv")).unwrap()
    else {
        panic!("the purchases file is not a purchases file");
    };
    let purchases: Vec<_> = rows.into_iter().map(|(_, p)| p).collect();
    let expected: i64 = purchases
        .iter()
        .map(|p| (p.amount_cents - p.ineligible_cents) / 100)
        .sum();
    let written = ledger.ingest(purchases.clone(), None).await.unwrap();
    assert!(written.iter().all(|w| w.status == WriteStatus::Created));
    assert_eq!(
        written.iter().map(|w| w.value.points).sum::<i64>(),
        expected
    );
    // Loading it again changes nothing.
    let again = ledger.ingest(purchases, None).await.unwrap();
    assert!(again.iter().all(|w| w.status == WriteStatus::Exists));
    let month: Month = "2026-10".parse().unwrap();
    ledger.month_end(month).await.unwrap();
    let v = ledger.verify().await.unwrap();
    assert!(v.ok(), "{v:?}");
}

#[test]
fn another_seed_gives_another_data_set() {
    let a = generate(&Settings::default()).unwrap();
    let b = generate(&Settings {
        seed: DEFAULT_SEED + 1,
        ..Settings::default()
    })
    .unwrap();
    assert_ne!(a.outlets, b.outlets);
    assert_ne!(a.cells, b.cells);
    assert_ne!(a.offers, b.offers);
    // The chains are fixed, whatever the seed.
    assert_eq!(a.chains, b.chains);
    // Whatever the seed, every outlet is on land and the household total is exact.
    let outline = storenet::finland::outline();
    for o in &b.outlets {
        assert!(
            outline.contains(LonLat::new(o.lon, o.lat).unwrap()),
            "{o:?}"
        );
    }
    let total: u64 = b.cells.iter().map(|c| u64::from(c.households)).sum();
    assert_eq!(total, storenet::synth::TOTAL_HOUSEHOLDS);
}

#[test]
fn chain_counts_match_the_network() {
    let rows = csv_rows("outlets.csv");
    assert!((3000..=3300).contains(&rows.len()), "{}", rows.len());
    let mut count: BTreeMap<String, usize> = BTreeMap::new();
    for r in &rows {
        *count.entry(r["chain"].clone()).or_default() += 1;
    }
    let want: &[(&str, usize, usize)] = &[
        ("k-citymarket", 70, 90),
        ("k-supermarket", 200, 260),
        ("k-market", 680, 820),
        ("k-rauta", 40, 50),
        ("rautia", 90, 110),
        ("intersport", 50, 60),
        ("budget-sport", 10, 14),
        ("kodin-ykkonen", 9, 11),
        ("k-auto", 25, 35),
        ("teboil", 280, 320),
        ("center-inn", 8, 8),
    ];
    for &(chain, lo, hi) in want {
        let n = count.get(chain).copied().unwrap_or(0);
        assert!((lo..=hi).contains(&n), "{chain}: {n} outlets");
    }
    let chains = csv_rows("chains.csv");
    let partners_with_outlets = chains
        .iter()
        .filter(|c| c["k_group"] == "false" && count.get(&c["id"]).is_some_and(|&n| n > 0))
        .count();
    assert!(partners_with_outlets >= 5, "{partners_with_outlets}");
    // Center Inn stays in the Helsinki region (Helsinki, Espoo, Vantaa, Kauniainen).
    for r in rows.iter().filter(|r| r["chain"] == "center-inn") {
        assert!(
            ["091", "049", "092", "235"].contains(&r["municipality"].as_str()),
            "{r:?}"
        );
    }
}

#[test]
fn the_first_chains_are_those_of_the_test_fixture() {
    let fixture = std::fs::read_to_string(repo_path("tests/fixtures/chains.csv")).unwrap();
    let data = committed("chains.csv");
    for line in fixture.lines() {
        assert!(data.lines().any(|l| l == line), "missing chain row {line}");
    }
}

#[test]
fn every_outlet_is_on_land_in_finland_with_well_formed_fields() {
    let rows = csv_rows("outlets.csv");
    let outline = storenet::finland::outline();
    let mut names = BTreeSet::new();
    let mut aland = 0;
    for (i, r) in rows.iter().enumerate() {
        assert_eq!(r["id"], (i + 1).to_string(), "ids run 1..N");
        for f in ["lat", "lon"] {
            let decimals = r[f].split('.').nth(1).map_or(0, str::len);
            assert_eq!(decimals, 6, "{f} of {r:?}");
        }
        let p = LonLat::new(r["lon"].parse().unwrap(), r["lat"].parse().unwrap()).unwrap();
        assert!(
            outline.contains(p),
            "outlet {} {} not on land",
            r["id"],
            r["name"]
        );
        assert!(
            names.insert(r["name"].clone()),
            "duplicate name {}",
            r["name"]
        );
        assert_eq!(r["municipality"].len(), 3);
        assert!(r["municipality"].bytes().all(|b| b.is_ascii_digit()));
        assert_eq!(r["postal_code"].len(), 5);
        assert!(r["postal_code"].bytes().all(|b| b.is_ascii_digit()));
        assert!(r["phone"].starts_with("+358 "), "{}", r["phone"]);
        assert!(!r["street"].is_empty() && !r["city"].is_empty());
        OpeningHours::parse(&r["opening_hours"])
            .unwrap_or_else(|e| panic!("outlet {}: {e}", r["id"]));
        if p.lon() < 21.2 && p.lat() < 60.5 {
            aland += 1;
        }
    }
    assert!(aland >= 3, "Åland gets a few outlets, got {aland}");
    let finnish = rows
        .iter()
        .filter(|r| r["name"].contains(['ä', 'ö', 'å']))
        .count();
    assert!(finnish > 300, "{finnish} names with ä, ö or å");
}

#[test]
fn households_add_up_and_lie_on_the_1km_grid_on_land() {
    let rows = csv_rows("households_1km.csv");
    assert!(
        (10_000..=200_000).contains(&rows.len()),
        "{} cells",
        rows.len()
    );
    let (mut households, mut cards) = (0u64, 0u64);
    let mut prev = (i64::MIN, i64::MIN);
    let outline = storenet::finland::outline();
    for r in &rows {
        let (x, y): (i64, i64) = (r["x"].parse().unwrap(), r["y"].parse().unwrap());
        assert!(x % 1000 == 0 && y % 1000 == 0, "({x}, {y})");
        assert!((y, x) > prev, "sorted by y then x");
        prev = (y, x);
        let h: u64 = r["households"].parse().unwrap();
        let c: u64 = r["cardholders"].parse().unwrap();
        assert!(h > 0 && c >= h);
        households += h;
        cards += c;
        let centre = storenet::crs::to_wgs84(
            storenet::crs::Crs::Tm35Fin,
            x as f64 + 500.0,
            y as f64 + 500.0,
        )
        .unwrap();
        assert!(outline.contains(centre), "cell ({x}, {y}) is not on land");
    }
    assert!(
        (2_090_000..=2_310_000).contains(&households),
        "{households} households"
    );
    let ratio = cards as f64 / households as f64;
    assert!(
        (1.5..=1.7).contains(&ratio),
        "{ratio} cardholders a household"
    );
    // The north is nearly empty: under 5% of households above 66° N (y ≈ 7,320 km).
    let north: u64 = rows
        .iter()
        .filter(|r| r["y"].parse::<i64>().unwrap() > 7_320_000)
        .map(|r| r["households"].parse::<u64>().unwrap())
        .sum();
    assert!(north * 20 < households, "{north} households in the north");
}

#[test]
fn offers_cover_three_levels_with_valid_targets() {
    let offers = csv_rows("offers.csv");
    assert!((200..=600).contains(&offers.len()), "{}", offers.len());
    let outlets: BTreeSet<String> = csv_rows("outlets.csv")
        .into_iter()
        .map(|r| r["id"].clone())
        .collect();
    let chains: BTreeSet<String> = csv_rows("chains.csv")
        .into_iter()
        .map(|r| r["id"].clone())
        .collect();
    let mut levels = BTreeMap::new();
    let today = chrono::NaiveDate::from_ymd_opt(2026, 11, 23).unwrap();
    let mut current = 0;
    for o in &offers {
        *levels.entry(o["level"].clone()).or_insert(0) += 1;
        match o["level"].as_str() {
            "store" => assert!(outlets.contains(&o["target"]), "{o:?}"),
            "chain" => assert!(chains.contains(&o["target"]), "{o:?}"),
            "network" => assert_eq!(o["target"], ""),
            other => panic!("unknown level {other}"),
        }
        let value: u32 = o["value"].parse().unwrap();
        match o["benefit"].as_str() {
            "discount" => assert!((10..=100).contains(&value), "{o:?}"),
            "extra_points" => assert!(value > 0),
            other => panic!("unknown benefit {other}"),
        }
        let from = chrono::NaiveDate::parse_from_str(&o["valid_from"], "%Y-%m-%d").unwrap();
        let to = chrono::NaiveDate::parse_from_str(&o["valid_to"], "%Y-%m-%d").unwrap();
        assert!(from <= to);
        if from <= today && today <= to {
            current += 1;
        }
        for s in o["segments"].split(';').filter(|s| !s.is_empty()) {
            assert!(["napero", "traveller", "young-movers"].contains(&s), "{s}");
        }
    }
    assert_eq!(levels.len(), 3, "{levels:?}");
    assert!(current >= 50, "{current} offers valid on the reference day");
    assert!(offers.iter().any(|o| !o["segments"].is_empty()));
}

#[test]
fn the_registry_loads_the_committed_data() {
    let reg = storenet::registry::load_dir(&repo_path("data")).unwrap();
    assert!(reg.outlets().len() >= 3000);
    assert!(reg.chains().count() >= 11);
}

#[test]
fn the_outline_copy_is_the_source_byte_for_byte() {
    assert_eq!(
        committed("finland.geojson"),
        std::fs::read_to_string(repo_path("data/sources/finland_outline.geojson")).unwrap()
    );
}
