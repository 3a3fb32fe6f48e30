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

// --- text rules (issue 18, section 4) ---------------------------------------------------------

const OUTLET_HEADER: &str =
    "id,name,chain,kind,street,postal_code,city,municipality,lat,lon,phone,opening_hours,services";

/// An outlet row of the fixture chain `k-market` in Utsjoki with this id, name, street and city.
fn outlet_row(id: u32, name: &str, street: &str, city: &str) -> String {
    let q = |s: &str| format!("\"{}\"", s.replace('"', "\"\""));
    format!(
        "{id},{},k-market,store,{},01000,{},890,69.907881,27.028339,+358 40 1000000,Mo-Sa 07:00-21:00,post",
        q(name),
        q(street),
        q(city)
    )
}

#[test]
fn import_refuses_control_bidi_invisible_and_overlong_text_naming_file_line_and_field() {
    let dir = data_dir();
    let file = dir.path().join("hostile.csv");
    let huge = "x".repeat(20 * 1024 * 1024);
    let rows = [
        outlet_row(1, "K-Market\u{1b}[31m", "Kauppatie 1", "Utsjoki"),
        outlet_row(2, "K\0Market", "Kauppatie 1", "Utsjoki"),
        outlet_row(3, "\u{202e}tekraM-K", "Kauppatie 1", "Utsjoki"),
        outlet_row(4, "\u{200b}\u{200d} ", "Kauppatie 1", "Utsjoki"),
        outlet_row(5, &huge, "Kauppatie 1", "Utsjoki"),
        outlet_row(6, "K-Market", "Kauppa\u{2066}tie 1", "Utsjoki"),
        outlet_row(7, "K-Market", "Kauppatie 1", "Uts\u{85}joki"),
        outlet_row(
            8,
            "K-Market Ka\u{308}rko\u{308}la\u{308}",
            "Kauppatie 1",
            "Utsjoki",
        ),
    ];
    std::fs::write(&file, format!("{OUTLET_HEADER}\n{}\n", rows.join("\n"))).unwrap();
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
    let err = String::from_utf8(out.stderr).unwrap();
    let p = file.display().to_string();
    for want in [
        "2: field `name`: contains the control character U+001B at character 9; remove it",
        "3: field `name`: contains the control character U+0000 at character 2; remove it",
        "4: field `name`: contains the bidirectional formatting character U+202E at character 1; remove it",
        "5: field `name`: is empty or only whitespace or invisible characters",
        "6: field `name`: is over 1020 characters long; at most 255 are allowed",
        "7: field `street`: contains the bidirectional formatting character U+2066 at character 7; remove it",
        "8: field `city`: contains the control character U+0085 at character 4; remove it",
    ] {
        assert!(err.contains(&format!("{p}:{want}")), "want {want} in:\n{}", &err[..err.len().min(4000)]);
    }
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["loaded"], 1, "{v}");
    assert_eq!(v["errors"].as_array().unwrap().len(), 7, "{v}");
    // The one good row is kept in NFC: its name compares equal to the composed spelling.
    let reg = load(&chains(), &file, &LoadOptions { skip_invalid: true })
        .unwrap()
        .registry;
    assert_eq!(reg.outlets()[0].name, "K-Market Kärkölä");
}

#[test]
fn an_error_quoting_a_huge_value_is_cut() {
    let dir = data_dir();
    let file = dir.path().join("huge_postal.csv");
    let row = outlet_row(1, "K-Market", "Kauppatie 1", "Utsjoki")
        .replace(",01000,", &format!(",{},", "9".repeat(1_000_000)));
    std::fs::write(&file, format!("{OUTLET_HEADER}\n{row}\n")).unwrap();
    let e = load(&chains(), &file, &LoadOptions::default()).unwrap_err();
    let rows = e.row_errors();
    assert_eq!(rows.len(), 1, "{e}");
    assert_eq!(rows[0].field.as_deref(), Some("postal_code"));
    assert!(rows[0].reason.starts_with("expected 5 digits, found `999"));
    assert!(rows[0].reason.ends_with("… (cut)"));
    assert!(rows[0].reason.chars().count() < 320);
}

#[test]
fn a_server_data_dir_with_hostile_text_fails_to_load_whole() {
    // `storenet serve` loads its data dir with `load_dir`: a NUL or ESC in a name never reaches
    // the exports.
    let dir = data_dir();
    let rows = [
        outlet_row(1, "K-Market Utsjoki", "Kauppatie 1", "Utsjoki"),
        outlet_row(2, "K-Market\0\u{1b}", "Kauppatie 1", "Utsjoki"),
    ];
    let outlets = dir.path().join("outlets.csv");
    std::fs::write(&outlets, format!("{OUTLET_HEADER}\n{}\n", rows.join("\n"))).unwrap();
    let e = load_dir(dir.path()).unwrap_err().to_string();
    assert!(
        e.contains(&format!(
            "{}:3: field `name`: contains the control character U+0000",
            outlets.display()
        )),
        "{e}"
    );
}

#[test]
fn geojson_import_applies_the_same_text_rules() {
    let dir = data_dir();
    let file = dir.path().join("hostile.geojson");
    let feature = |id: u32, name: &str| {
        serde_json::json!({"type": "Feature", "id": id,
            "geometry": {"type": "Point", "coordinates": [24.9384, 60.1699]},
            "properties": {"name": name, "chain": "k-market", "kind": "store",
                "street": "Mannerheimintie 1", "postal_code": "00100", "city": "Helsinki",
                "municipality": "091", "opening_hours": "24/7"}})
    };
    let doc = serde_json::json!({"type": "FeatureCollection", "features": [
        feature(1, "K-Market\u{7}"),
        feature(2, "\u{2067}K-Market"),
        feature(3, "\u{3164}"),
        feature(4, "K-Market Kamppi"),
    ]});
    std::fs::write(&file, doc.to_string()).unwrap();
    let e = load(&chains(), &file, &LoadOptions::default())
        .unwrap_err()
        .to_string();
    let p = file.display().to_string();
    for want in [
        "features[0].properties.name: contains the control character U+0007 at character 9",
        "features[1].properties.name: contains the bidirectional formatting character U+2067 at character 1",
        "features[2].properties.name: is empty or only whitespace or invisible characters",
    ] {
        assert!(e.contains(&format!("{p}: {want}")), "want {want} in:\n{e}");
    }
    assert!(e.starts_with("3 invalid entries"), "{e}");
}

#[test]
fn a_chains_file_with_hostile_names_or_icons_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let chains = dir.path().join("chains.csv");
    std::fs::write(
        &chains,
        "id,name,category,k_group,colour,icon\n\
         k-market,K-Market\u{202d},food,true,#e2001a,K\n\
         teboil,Teboil,fuel,false,#00a651,\u{200b}\n\
         k-rauta,\u{feff}\u{2060},building,true,#e2001a,R\n",
    )
    .unwrap();
    let e = storenet::registry::csv::read_chains(&chains)
        .unwrap_err()
        .to_string();
    let p = chains.display().to_string();
    for want in [
        ":2: field `name`: contains the bidirectional formatting character U+202D",
        ":3: field `icon`: is empty or only whitespace or invisible characters",
        ":4: field `name`: is empty or only whitespace or invisible characters",
    ] {
        assert!(e.contains(&format!("{p}{want}")), "want {want} in:\n{e}");
    }
}

#[test]
fn an_import_file_over_the_size_or_row_bound_is_refused_before_it_is_validated() {
    let dir = data_dir();
    let big = dir.path().join("big.csv");
    // Sparse: 64 MiB + 1 byte on disk costs nothing.
    let f = std::fs::File::create(&big).unwrap();
    f.set_len(storenet::registry::MAX_IMPORT_BYTES + 1).unwrap();
    drop(f);
    let e = load(&chains(), &big, &LoadOptions::default())
        .unwrap_err()
        .to_string();
    assert_eq!(
        e,
        format!("{}: the file is over 64 MiB; split it", big.display())
    );

    let many = dir.path().join("many.csv");
    let n = storenet::registry::MAX_IMPORT_ROWS;
    let mut text = String::from(OUTLET_HEADER);
    text.push('\n');
    for i in 1..=n + 1 {
        text.push_str(&outlet_row(i as u32, "K-Market", "Kauppatie 1", "Utsjoki"));
        text.push('\n');
    }
    std::fs::write(&many, &text).unwrap();
    let out = storenet(&[
        "--data-dir",
        dir.path().to_str().unwrap(),
        "import",
        many.to_str().unwrap(),
    ]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains(&format!(
            "{}: more than 100000 rows (line 100002 is past the limit); split the file",
            many.display()
        )),
        "{err}"
    );
}

#[test]
fn offers_csv_and_the_ledger_apply_the_same_text_rules() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("offers.csv");
    let header = "id,level,target,title,benefit,value,valid_from,valid_to,segments";
    for (row, want) in [
        (
            "N-1,network,,\u{202e}eerf,discount,10,2026-11-01,2026-11-30,",
            "offers.csv:2: field `title`: contains the bidirectional formatting character U+202E at character 1",
        ),
        (
            "N-1,network,,\u{200b},discount,10,2026-11-01,2026-11-30,",
            "offers.csv:2: field `title`: is empty or only whitespace or invisible characters",
        ),
        (
            "N-1,network,,Kahvi,discount,10,2026-11-01,2026-11-30,napero;x\u{1b}",
            "offers.csv:2: field `segments`: contains the control character U+001B",
        ),
        (
            "N\u{200f}1,network,,Kahvi,discount,10,2026-11-01,2026-11-30,",
            "offers.csv:2: field `id`: contains the bidirectional formatting character U+200F",
        ),
    ] {
        std::fs::write(&p, format!("{header}\n{row}\n")).unwrap();
        let e = storenet::offers::load_csv(&p).unwrap_err().to_string();
        assert!(e.contains(want), "want {want} in {e}");
    }

    // The ledger refuses the same texts whichever front end handed them over.
    let good = storenet::offers::Offer {
        id: "N-1".into(),
        level: storenet::offers::Level::Network,
        title: "Kahvi".into(),
        benefit: storenet::offers::Benefit::Discount { percent: 10 },
        valid_from: chrono::NaiveDate::from_ymd_opt(2026, 11, 1).unwrap(),
        valid_to: chrono::NaiveDate::from_ymd_opt(2026, 11, 30).unwrap(),
        segments: Default::default(),
    };
    assert!(storenet::ledger::validate_offer(&good).is_ok());
    for (title, reason) in [
        ("\u{2068}Kahvi", "bidirectional"),
        ("\u{200b}\u{200c}", "invisible"),
        ("Kahvi\u{9b}", "control"),
        ("Ka\u{308}hvi", "NFC"),
    ] {
        let o = storenet::offers::Offer {
            title: title.into(),
            ..good.clone()
        };
        match storenet::ledger::validate_offer(&o) {
            Err(storenet::ledger::LedgerError::Invalid { field, reason: r }) => {
                assert_eq!(field, "title");
                assert!(r.contains(reason), "{title:?}: {r}");
            }
            other => panic!("{title:?}: {other:?}"),
        }
    }
}

#[tokio::test]
async fn admin_and_offer_writes_refuse_hostile_text_with_a_422_naming_the_field() {
    use reqwest::{Method, StatusCode};
    use serde_json::json;
    let app = crate::http::spawn_app().await;
    let key = app.admin_key.clone();
    let outlet = |name: &str, city: &str| {
        json!({
            "name": name, "chain": "k-market", "kind": "store",
            "street": "Testitie 1", "postal_code": "00100", "city": city,
            "municipality": "091", "lat": 67.0, "lon": 26.0,
            "opening_hours": "Mo-Su 07:00-23:00"
        })
    };
    for (body, field, reason) in [
        (outlet("\u{202e}tekraM-K", "Helsinki"), "name", "U+202E"),
        (outlet("\u{200b}", "Helsinki"), "name", "invisible"),
        (outlet("K-Market", "Hel\u{2069}sinki"), "city", "U+2069"),
        (
            outlet(&"x".repeat(256), "Helsinki"),
            "name",
            "256 characters",
        ),
    ] {
        let (s, v) = app
            .send(
                Method::POST,
                "/v1/outlets",
                Some(&key),
                Some(body.to_string().into_bytes()),
            )
            .await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
        assert_eq!(v["field"], field, "{v}");
        assert!(v["message"].as_str().unwrap().contains(reason), "{v}");
    }
    let (s, v) = app
        .send(
            Method::PATCH,
            "/v1/outlets/1",
            Some(&key),
            Some(json!({"street": "Tie\u{202a} 1"}).to_string().into_bytes()),
        )
        .await;
    assert_eq!(
        (s, v["field"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("street")),
        "{v}"
    );
    let (s, v) = app
        .send(
            Method::POST,
            "/v1/outlets",
            Some(&key),
            Some(
                outlet("  K-Market Ka\u{308}rko\u{308}la\u{308} ", "Helsinki")
                    .to_string()
                    .into_bytes(),
            ),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    assert_eq!(v["name"], "K-Market Kärkölä");

    let offer = |title: &str| {
        json!({"id": "N-1", "level": "network", "target": null, "title": title,
               "benefit": "discount", "value": 10, "valid_from": "2026-11-01",
               "valid_to": "2026-11-30", "segments": []})
    };
    for title in ["\u{202e}eerf", "\u{200b}\u{2060}", "Kahvi\u{2066}"] {
        let (s, v) = app
            .send(
                Method::POST,
                "/v1/offers",
                Some(&key),
                Some(offer(title).to_string().into_bytes()),
            )
            .await;
        assert_eq!(
            (s, v["field"].as_str()),
            (StatusCode::UNPROCESSABLE_ENTITY, Some("title")),
            "{title:?}: {v}"
        );
    }
}
