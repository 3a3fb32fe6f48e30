//! Integration tests: registry loading, validation and the `outlets` / `import` commands.

use crate::common::fixture;
use std::path::PathBuf;
use std::process::Command;
use storenet::model::{ChainId, OutletId};
use storenet::registry::{load, load_dir, LoadError, LoadOptions, Loaded, COAST_TOLERANCE_M};

fn chains() -> PathBuf {
    fixture("chains.csv")
}

fn bad(name: &str) -> PathBuf {
    fixture("registry").join(name)
}

fn load_ok(name: &str) -> Loaded {
    load(&chains(), &bad(name), &LoadOptions::default())
        .unwrap_or_else(|e| panic!("{name} should load: {e}"))
}

/// The load's error and the text of every row error, with `{path}` standing for the file.
fn load_err(name: &str) -> (LoadError, Vec<String>) {
    let path = bad(name);
    let e = load(&chains(), &path, &LoadOptions::default())
        .err()
        .unwrap_or_else(|| panic!("{name} should fail"));
    let p = path.display().to_string();
    let rows = e
        .row_errors()
        .iter()
        .map(|r| r.to_string().replace(&p, "{path}"))
        .collect();
    (e, rows)
}

#[test]
fn small_fixture_loads_and_every_outlet_is_in_finland() {
    let loaded = load(
        &chains(),
        &fixture("outlets_small.csv"),
        &LoadOptions::default(),
    )
    .unwrap();
    assert!(loaded.skipped.is_empty());
    let reg = loaded.registry;
    assert_eq!(reg.outlets().len(), 300);
    assert_eq!(reg.chains().count(), 11);
    let o = reg.outlet(OutletId(1)).unwrap();
    assert_eq!(o.name, "K-Market Utsjoki");
    assert_eq!(reg.chain_of(o).name, "K-Market");
    assert!(reg.chain(&ChainId::new("teboil").unwrap()).is_some());
    // The basic readers stay available to other modules.
    let outlets = storenet::registry::csv::read_outlets(&fixture("outlets_small.csv")).unwrap();
    assert_eq!(outlets.len(), 300);
}

#[test]
fn load_dir_reads_chains_and_outlets_csv() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(chains(), dir.path().join("chains.csv")).unwrap();
    std::fs::copy(bad("crlf.csv"), dir.path().join("outlets.csv")).unwrap();
    let reg = load_dir(dir.path()).unwrap();
    assert_eq!(reg.outlets().len(), 3);
    std::fs::copy(bad("sea.csv"), dir.path().join("outlets.csv")).unwrap();
    assert!(matches!(
        load_dir(dir.path()),
        Err(LoadError::Invalid { .. })
    ));
}

#[test]
fn a_row_with_too_few_fields_names_the_first_missing_column() {
    let (_, rows) = load_err("field_count.csv");
    assert_eq!(
        rows,
        ["{path}:3: field `services`: row has 12 fields, the header has 13"]
    );
}

#[test]
fn nan_infinite_and_out_of_range_coordinates_are_refused() {
    let (e, rows) = load_err("bad_coordinates.csv");
    assert_eq!(
        rows,
        [
            "{path}:2: field `lat`: not a finite number: `NaN`",
            "{path}:3: field `lat`: latitude 95 out of range (-90..=90)",
            "{path}:4: field `lon`: not a finite number: `inf`",
            "{path}:5: field `lon`: longitude 200.5 out of range (-180..=180)",
        ]
    );
    // Display lists every row, not only the first.
    let text = e.to_string();
    assert!(text.starts_with("4 invalid entries:\n"), "{text}");
    assert_eq!(text.lines().count(), 5);
}

#[test]
fn a_point_in_the_sea_is_refused() {
    let (_, rows) = load_err("sea.csv");
    assert_eq!(
        rows,
        ["{path}:2: field `lat,lon`: 61.500000 N 21.000000 E is not in Finland (more than 4000 m outside the outline)"]
    );
}

#[test]
fn a_point_in_sweden_is_refused() {
    let (_, rows) = load_err("sweden.csv");
    assert_eq!(
        rows,
        ["{path}:2: field `lat,lon`: 59.329300 N 18.068600 E is not in Finland (more than 4000 m outside the outline)"]
    );
}

#[test]
fn duplicate_ids_name_the_first_occurrence() {
    let (_, rows) = load_err("duplicate.csv");
    assert_eq!(
        rows,
        ["{path}:4: field `id`: duplicate id 1 (first on line 2)"]
    );
}

#[test]
fn an_unknown_chain_is_refused() {
    let (_, rows) = load_err("unknown_chain.csv");
    assert_eq!(
        rows,
        ["{path}:3: field `chain`: unknown chain `s-market`: not in the chains file"]
    );
}

#[test]
fn unparseable_opening_hours_are_refused() {
    let (_, rows) = load_err("bad_hours.csv");
    assert_eq!(
        rows,
        ["{path}:3: field `opening_hours`: hour 25 out of range (0..=24)"]
    );
}

#[test]
fn an_empty_file_and_a_header_only_file_are_clear_errors() {
    let (e, rows) = load_err("empty.csv");
    assert!(rows.is_empty());
    assert_eq!(
        e.to_string(),
        format!(
            "{}: the file is empty: expected a header line and at least one row",
            bad("empty.csv").display()
        )
    );
    let (e, _) = load_err("header_only.csv");
    assert_eq!(
        e.to_string(),
        format!(
            "{}: no rows after the header",
            bad("header_only.csv").display()
        )
    );
}

#[test]
fn a_missing_required_field_is_named() {
    let (_, rows) = load_err("missing_field.csv");
    assert_eq!(rows, ["{path}:3: field `name`: required field is empty"]);
}

#[test]
fn a_missing_required_column_is_a_header_error() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("outlets.csv");
    std::fs::write(
        &path,
        "id,name,chain,kind,street,postal_code,city,lat,lon,opening_hours\n\
         1,A,k-market,store,Katu 1,00100,Helsinki,60.1699,24.9384,24/7\n",
    )
    .unwrap();
    let e = load(&chains(), &path, &LoadOptions::default()).unwrap_err();
    assert_eq!(
        e.to_string(),
        format!(
            "{}:1: field `municipality`: missing column in header (have: id,name,chain,kind,street,postal_code,city,lat,lon,opening_hours)",
            path.display()
        )
    );
}

#[test]
fn bad_projected_coordinates_are_refused() {
    let (_, rows) = load_err("bad_projected.csv");
    assert_eq!(
        rows,
        [
            // x and y swapped: lands near the equator.
            "{path}:2: field `x,y`: x 6672118.380202 y 385611.316685 (EPSG:3067) = 2.307418 N 75.411170 E is not in Finland (more than 4000 m outside the outline)",
            "{path}:3: field `x`: not a number: `385611.3 E`",
            "{path}:4: field `crs`: unsupported CRS `4326`: use 3067 (ETRS-TM35FIN) or 2393 (KKJ/YKJ)",
        ]
    );
}

#[test]
fn projected_rows_in_3067_and_2393_land_on_helsinki() {
    let reg = load_ok("projected.csv").registry;
    assert_eq!(reg.outlets().len(), 2);
    for o in reg.outlets() {
        let (lon, lat) = (o.location.lon(), o.location.lat());
        // 1e-6 degrees is about 0.1 m.
        assert!((lat - 60.1699).abs() < 1e-6, "{}: lat {lat}", o.name);
        assert!((lon - 24.9384).abs() < 1e-6, "{}: lon {lon}", o.name);
    }
}

#[test]
fn a_bom_file_loads() {
    let reg = load_ok("bom.csv").registry;
    assert_eq!(reg.outlets().len(), 2);
    // The BOM must not stick to the first column name.
    assert_eq!(reg.outlet(OutletId(1)).unwrap().name, "K-Market Utsjoki");
}

#[test]
fn a_crlf_file_loads_without_carriage_returns_in_fields() {
    let reg = load_ok("crlf.csv").registry;
    assert_eq!(reg.outlets().len(), 3);
    let o = reg.outlet(OutletId(3)).unwrap();
    assert_eq!(o.services.len(), 2);
    assert_eq!(o.services[1].as_str(), "fuel");
    assert_eq!(o.hours.to_string(), "24/7");
}

#[test]
fn a_bad_file_fails_whole_and_lists_every_bad_row() {
    let (_, rows) = load_err("mixed.csv");
    let expected = [
        "{path}:3: field `lat,lon`: 61.500000 N 21.000000 E is not in Finland (more than 4000 m outside the outline)",
        "{path}:5: field `kind`: unknown outlet kind `shop`: expected `store` or `partner`",
        "{path}:5: field `postal_code`: expected 5 digits, found `0010`",
        "{path}:5: field `municipality`: invalid municipality code `1000`: expected a number 1..=999 (e.g. `091`)",
        "{path}:5: field `phone`: expected +358 and 5–10 digits, e.g. `+358 40 123 4567`, found `040 123`",
        "{path}:5: field `opening_hours`: time `9` is not HH:MM",
        "{path}:5: field `services`: invalid service tag `Post`: use lowercase letters, digits and '_' (e.g. `ev_charging`)",
        "{path}:6: field `street`: row has 4 fields, the header has 13",
        "{path}:7: field `id`: duplicate id 3 (first on line 4)",
    ];
    assert_eq!(rows, expected);
}

#[test]
fn skip_invalid_loads_the_good_rows_and_lists_every_skipped_one() {
    let path = bad("mixed.csv");
    let loaded = load(&chains(), &path, &LoadOptions { skip_invalid: true }).unwrap();
    let ids: Vec<u32> = loaded.registry.outlets().iter().map(|o| o.id.0).collect();
    assert_eq!(ids, [1, 3]);
    let lines: Vec<u64> = loaded.skipped.iter().filter_map(|e| e.line()).collect();
    assert_eq!(lines, [3, 5, 5, 5, 5, 5, 5, 6, 7]);
    assert_eq!(
        loaded.skipped[8].to_string(),
        format!(
            "{}:7: field `id`: duplicate id 3 (first on line 4)",
            path.display()
        )
    );
}

#[test]
fn geojson_outlets_load() {
    let reg = load_ok("good.geojson").registry;
    assert_eq!(reg.outlets().len(), 2);
    let o = reg.outlet(OutletId(7)).unwrap();
    assert_eq!(o.name, "K-Citymarket Helsinki");
    assert_eq!(o.location.lat(), 60.1699);
    let tags: Vec<&str> = o.services.iter().map(|s| s.as_str()).collect();
    assert_eq!(tags, ["pharmacy", "post"]);
    assert_eq!(
        reg.outlet(OutletId(8)).unwrap().municipality.to_string(),
        "564"
    );
}

#[test]
fn geojson_errors_name_the_feature_and_property() {
    let (_, rows) = load_err("bad.geojson");
    assert_eq!(
        rows,
        [
            "{path}: features[1].geometry: 61.500000 N 21.000000 E is not in Finland (more than 4000 m outside the outline)",
            "{path}: features[2].geometry: expected a Point, found a LineString",
            "{path}: features[2].properties.phone: expected +358 and 5–10 digits, e.g. `+358 40 123 4567`, found `+358 40 1`",
            "{path}: features[3].properties.opening_hours: unknown weekday or month `Xx` (use Mo, Tu, We, Th, Fr, Sa, Su, PH, Jan..Dec or `week NN`)",
        ]
    );
}

#[test]
fn every_municipal_centre_and_place_passes_the_coastal_tolerance() {
    let o = storenet::finland::outline();
    for (file, lon_col, lat_col) in [
        ("data/sources/fi_municipality_centres.csv", 2, 3),
        ("data/sources/geonames_fi_places.csv", 3, 2),
    ] {
        let text = std::fs::read_to_string(crate::common::repo_path(file)).unwrap();
        let mut n = 0;
        for line in text.lines().skip(1) {
            let f: Vec<&str> = line.split(',').collect();
            let p = storenet::model::LonLat::new(
                f[lon_col].parse().unwrap(),
                f[lat_col].parse().unwrap(),
            )
            .unwrap();
            assert!(
                o.contains_with_tolerance(p, COAST_TOLERANCE_M),
                "{file}: {line}"
            );
            n += 1;
        }
        assert!(n > 300, "{file} has {n} rows");
    }
}

fn storenet(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_storenet"))
        .args(args)
        .env("STORENET_LOG", "warn")
        .output()
        .unwrap()
}

/// A data dir holding the fixture chains and the small outlet list.
fn data_dir() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(chains(), dir.path().join("chains.csv")).unwrap();
    std::fs::copy(fixture("outlets_small.csv"), dir.path().join("outlets.csv")).unwrap();
    dir
}

#[test]
fn cli_outlets_json_lists_the_chain_with_numeric_coordinates() {
    let dir = data_dir();
    let out = storenet(&[
        "--data-dir",
        dir.path().to_str().unwrap(),
        "outlets",
        "--chain",
        "k-citymarket",
        "--json",
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let arr = v.as_array().unwrap();
    let expected = std::fs::read_to_string(fixture("outlets_small.csv"))
        .unwrap()
        .lines()
        .filter(|l| l.contains(",k-citymarket,"))
        .count();
    assert!(expected > 0);
    assert_eq!(arr.len(), expected);
    for o in arr {
        assert_eq!(o["chain"], "k-citymarket");
        let (lat, lon) = (o["lat"].as_f64().unwrap(), o["lon"].as_f64().unwrap());
        assert!((59.7..=70.1).contains(&lat) && (19.1..=31.6).contains(&lon));
    }
}

#[test]
fn cli_outlets_filters_by_name_and_municipality_and_prints_a_table() {
    let dir = data_dir();
    let d = dir.path().to_str().unwrap();
    let out = storenet(&["--data-dir", d, "outlets", "--name", "UTSJOKI"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).unwrap();
    let rows: Vec<&str> = text.lines().collect();
    assert!(rows[0].trim_start().starts_with("id"), "{text}");
    assert!(
        rows.iter().any(|r| r.contains("K-Market Utsjoki")),
        "{text}"
    );
    assert!(
        rows[1..]
            .iter()
            .all(|r| r.to_lowercase().contains("utsjoki")),
        "{text}"
    );
    let out = storenet(&[
        "--data-dir",
        d,
        "outlets",
        "--municipality",
        "890",
        "--json",
    ]);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let arr = v.as_array().unwrap();
    assert!(!arr.is_empty());
    assert!(arr.iter().all(|o| o["municipality"] == "890"));
}

#[test]
fn cli_import_of_a_bad_file_fails_and_reports_every_error_on_stderr() {
    let dir = data_dir();
    let file = bad("mixed.csv");
    let out = storenet(&[
        "--data-dir",
        dir.path().to_str().unwrap(),
        "import",
        file.to_str().unwrap(),
    ]);
    assert!(!out.status.success());
    let err = String::from_utf8(out.stderr).unwrap();
    let p = file.display().to_string();
    assert!(
        err.contains(&format!(
            "{p}:3: field `lat,lon`: 61.500000 N 21.000000 E is not in Finland"
        )),
        "{err}"
    );
    assert!(
        err.contains(&format!(
            "{p}:7: field `id`: duplicate id 3 (first on line 4)"
        )),
        "{err}"
    );
    assert_eq!(
        err.lines().filter(|l| l.starts_with(&p)).count(),
        9,
        "{err}"
    );
}

#[test]
fn cli_import_skip_invalid_succeeds_and_counts_per_chain() {
    let dir = data_dir();
    let file = bad("mixed.csv");
    let out = storenet(&[
        "--data-dir",
        dir.path().to_str().unwrap(),
        "import",
        file.to_str().unwrap(),
        "--skip-invalid",
        "--json",
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["loaded"], 2);
    assert_eq!(v["per_chain"]["k-market"], 1);
    assert_eq!(v["per_chain"]["teboil"], 1);
    assert_eq!(v["errors"].as_array().unwrap().len(), 9);
}

#[test]
fn cli_import_of_a_good_geojson_file_succeeds() {
    let dir = data_dir();
    let out = storenet(&[
        "--data-dir",
        dir.path().to_str().unwrap(),
        "import",
        bad("good.geojson").to_str().unwrap(),
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("k-citymarket"), "{text}");
    assert!(text.contains("2 outlets"), "{text}");
}
