//! Export options and bad input: selections, empty results, unknown names, failed writes,
//! over-long names, the command line.

use super::*;

#[test]
fn empty_selection_is_an_error_and_writes_nothing() {
    let fx = Fixture::new();
    let sel = Selection {
        municipalities: vec!["999".parse().unwrap()],
        bbox: Some(export::parse_bbox("19,59,20,59.1").unwrap()),
        ..Selection::default()
    };
    let selected = export::select(&fx.index, &sel).unwrap();
    assert!(selected.outlets.is_empty());
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("exports");
    let err = export::write_to_dir(
        &[Format::Gpx],
        &selected,
        &fx.ctx(ExportOptions::default()),
        &out,
        &mut |_| {},
    )
    .unwrap_err();
    assert!(matches!(err, ExportError::EmptySelection(_)), "{err}");
    assert!(err.to_string().contains("matched no outlets"));
    assert!(!out.exists(), "nothing written");
}

#[test]
fn unknown_format_and_chain_are_refused_with_clear_messages() {
    let fx = Fixture::new();
    let e = Format::parse_list("gpx,mp3").unwrap_err();
    assert!(e.to_string().contains("unknown export format `mp3`"), "{e}");
    let e = export::parse_chains(fx.index.registry(), &["k-market,lidl".into()]).unwrap_err();
    assert!(e.to_string().contains("unknown chain `lidl`"), "{e}");
    let sel = Selection {
        chains: vec![ChainId::new("no-such-chain").unwrap()],
        ..Selection::default()
    };
    assert!(matches!(
        export::select(&fx.index, &sel),
        Err(ExportError::UnknownChain(_))
    ));
    assert!("65002".parse::<Codepage>().is_err());
}

fn list_files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    if let Ok(rd) = std::fs::read_dir(dir) {
        for e in rd.flatten() {
            let p = e.path();
            if p.is_dir() {
                out.extend(list_files(&p));
            }
            out.push(p);
        }
    }
    out
}

#[test]
fn a_failed_write_leaves_nothing_behind() {
    let fx = Fixture::new();
    let ctx = fx.ctx(ExportOptions::default());
    let set = PoiSet::prepare(&fx.all(), &ctx).unwrap();
    let files = export::build(&[Format::Gpx, Format::Ov2], &set, &ctx).unwrap();
    let last = files.last().unwrap().path.clone();
    assert_eq!(last, "ov2/storenet.bmp");

    // An output "directory" that is a file: nothing can be created.
    let dir = tempfile::tempdir().unwrap();
    let blocker = dir.path().join("file");
    std::fs::write(&blocker, b"x").unwrap();
    let err =
        export::write_files_atomically(&blocker.join("out"), &files, &mut |_| {}).unwrap_err();
    assert!(matches!(err, ExportError::Io { .. }), "{err}");
    assert_eq!(list_files(dir.path()), vec![blocker.clone()]);

    // The last file's place is taken by a directory: the rename fails after the others were
    // renamed, and they are removed again.
    let out = dir.path().join("exports");
    std::fs::create_dir_all(out.join(&last)).unwrap();
    let err = export::write_files_atomically(&out, &files, &mut |_| {}).unwrap_err();
    assert!(err.to_string().contains("storenet.bmp"), "{err}");
    let left: Vec<PathBuf> = list_files(&out)
        .into_iter()
        .filter(|p| p.is_file())
        .collect();
    assert!(left.is_empty(), "left behind: {left:?}");
}

#[test]
fn over_long_names_are_cut_at_a_character_boundary() {
    let fx = Fixture::new();
    let reg = fx.index.registry();
    let long = reg.outlet(OutletId(900007)).unwrap();
    assert!(long.name.len() > 255);
    let sel = Selection {
        municipalities: vec![long.municipality],
        chains: vec![long.chain.clone()],
        ..Selection::default()
    };
    let selected = export::select(&fx.index, &sel).unwrap();
    let ctx = fx.ctx(ExportOptions::default());
    let set = PoiSet::prepare(&selected, &ctx).unwrap();
    let files: Vec<OutFile> = export::build(&[Format::Gpi, Format::GarminCsv], &set, &ctx).unwrap();
    let gpi = &files
        .iter()
        .find(|f| f.path.ends_with(".gpi"))
        .unwrap()
        .bytes;
    let want = truncate_utf8(&long.name, 255);
    assert!(want.len() <= 255 && want.len() >= 253 && long.name.starts_with(want));
    let pos = gpi
        .windows(want.len())
        .position(|w| w == want.as_bytes())
        .expect("cut name in GPI");
    let n = u16::from_le_bytes([gpi[pos - 2], gpi[pos - 1]]) as usize;
    assert_eq!(n, want.len(), "the string length is that of the cut name");
    let csv = &files
        .iter()
        .find(|f| f.path.ends_with(".csv"))
        .unwrap()
        .bytes;
    let text = std::str::from_utf8(csv).expect("CSV stays valid UTF-8");
    assert!(text.contains(&format!("\"{want}\"")));
}

#[test]
fn selection_by_region_municipality_and_route() {
    let fx = Fixture::new();
    let reg = fx.index.registry();
    let sel = Selection {
        bbox: Some(export::parse_bbox("19.0,59.7,21.0,60.5").unwrap()),
        ..Selection::default()
    };
    let s = export::select(&fx.index, &sel).unwrap();
    assert!(!s.outlets.is_empty());
    assert!(s.outlets.iter().all(|o| o.location.lon() <= 21.0));
    assert!(s.outlets.iter().any(|o| o.id == OutletId(900003)));

    let dir = tempfile::tempdir().unwrap();
    let poly = dir.path().join("area.geojson");
    std::fs::write(
        &poly,
        r#"{"type":"Feature","properties":{},"geometry":{"type":"Polygon","coordinates":[[[25,60.5],[26,60.5],[26,61],[25,61],[25,60.5]]]}}"#,
    )
    .unwrap();
    let sel = Selection {
        polygon: Some(export::read_polygon(&poly).unwrap()),
        ..Selection::default()
    };
    let s = export::select(&fx.index, &sel).unwrap();
    assert!(
        s.outlets.iter().any(|o| o.id == OutletId(900001)),
        "Kärkölä is inside"
    );
    assert!(s
        .outlets
        .iter()
        .all(|o| (25.0..=26.0).contains(&o.location.lon())
            && (60.5..=61.0).contains(&o.location.lat())));

    let sel = Selection {
        municipalities: vec!["148".parse().unwrap()],
        kind: Some(storenet::model::OutletKind::Partner),
        ..Selection::default()
    };
    let s = export::select(&fx.index, &sel).unwrap();
    assert!(s
        .outlets
        .iter()
        .all(|o| o.municipality.get() == 148 && o.kind == storenet::model::OutletKind::Partner));
    assert!(s.outlets.iter().any(|o| o.id == OutletId(900006)));

    // Along a GPX track from Lahti through Kärkölä towards Hyvinkää, 2 km corridor.
    let route = dir.path().join("route.gpx");
    std::fs::write(
        &route,
        r#"<?xml version="1.0"?><gpx version="1.1" creator="t" xmlns="http://www.topografix.com/GPX/1/1"><trk><trkseg><trkpt lat="60.98" lon="25.66"/><trkpt lat="60.8697" lon="25.2758"/><trkpt lat="60.63" lon="24.86"/></trkseg></trk></gpx>"#,
    )
    .unwrap();
    let sel = Selection {
        route: Some((export::parse_gpx_route(&route).unwrap(), 2000.0)),
        ..Selection::default()
    };
    let s = export::select(&fx.index, &sel).unwrap();
    assert!(s.outlets.iter().any(|o| o.id == OutletId(900001)));
    assert!(s.outlets.len() < reg.outlets().len());
    let bad = dir.path().join("bad.gpx");
    std::fs::write(&bad, "not xml").unwrap();
    assert!(matches!(
        export::parse_gpx_route(&bad),
        Err(ExportError::Input { .. })
    ));
}

#[test]
fn cli_exports_split_and_zipped_into_the_output_directory() {
    let data = tempfile::tempdir().unwrap();
    std::fs::copy(fixture("chains.csv"), data.path().join("chains.csv")).unwrap();
    std::fs::copy(
        fixture("outlets_small.csv"),
        data.path().join("outlets.csv"),
    )
    .unwrap();
    let out = data.path().join("out");
    let db = format!("sqlite://{}", data.path().join("t.db").display());
    let run = |args: &[&str]| {
        std::process::Command::new(env!("CARGO_BIN_EXE_storenet"))
            .arg("--data-dir")
            .arg(data.path())
            .arg("export")
            .args(args)
            .arg("--out")
            .arg(&out)
            .arg("--database-url")
            .arg(&db)
            .output()
            .unwrap()
    };
    let o = run(&[
        "--format",
        "gpx,ov2",
        "--chain",
        "k-market",
        "--split",
        "--zip",
        "--date",
        "2026-11-23",
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(
        String::from_utf8_lossy(&o.stderr).contains("holds no offers"),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    assert!(out.join("storenet-2026-11-23.zip").is_file());
    let o = run(&["--format", "gpx", "--chain", "lidl"]);
    assert!(!o.status.success());
    assert!(String::from_utf8_lossy(&o.stderr).contains("unknown chain `lidl`"));
    let o = run(&["--format", "gpx", "--municipality", "999"]);
    assert!(!o.status.success());
    assert!(String::from_utf8_lossy(&o.stderr).contains("matched no outlets"));
    let o = run(&["--format", "doc"]);
    assert!(String::from_utf8_lossy(&o.stderr).contains("unknown export format"));
}

/// The GeoJSON `offers` ids of every feature, from a CLI export into `out`.
fn cli_geojson_offer_ids(data: &std::path::Path, db: &str, out: &std::path::Path) -> Vec<String> {
    let o = std::process::Command::new(env!("CARGO_BIN_EXE_storenet"))
        .arg("--data-dir")
        .arg(data)
        .args(["export", "--format", "geojson", "--date", "2026-11-23"])
        .arg("--out")
        .arg(out)
        .arg("--database-url")
        .arg(db)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let fc: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join("storenet.geojson")).unwrap()).unwrap();
    let mut ids: Vec<String> = fc["features"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|f| f["properties"]["offers"].as_array().unwrap().clone())
        .map(|o| o["id"].as_str().unwrap().to_string())
        .collect();
    ids.sort();
    ids.dedup();
    ids
}

#[test]
fn cli_export_reads_offers_from_the_ledger_seeded_on_first_use() {
    let data = tempfile::tempdir().unwrap();
    std::fs::copy(fixture("chains.csv"), data.path().join("chains.csv")).unwrap();
    std::fs::copy(
        fixture("outlets_small.csv"),
        data.path().join("outlets.csv"),
    )
    .unwrap();
    let header = "id,level,target,title,benefit,value,valid_from,valid_to,segments\n";
    std::fs::write(
        data.path().join("offers.csv"),
        format!("{header}N-T1,network,,Plussa week,discount,15,2026-11-01,2026-11-30,\n"),
    )
    .unwrap();
    let db = format!("sqlite://{}", data.path().join("t.db").display());
    let out = data.path().join("out");
    // First use: the empty database gets the outlets and offers.csv, as `serve` would import them.
    assert_eq!(cli_geojson_offer_ids(data.path(), &db, &out), ["N-T1"]);
    // The CSV is read only on first start: a changed file does not reach the next export, the
    // ledger's offers do.
    std::fs::write(
        data.path().join("offers.csv"),
        format!("{header}N-T2,network,,Other week,discount,20,2026-11-01,2026-11-30,\n"),
    )
    .unwrap();
    std::fs::remove_dir_all(&out).unwrap();
    assert_eq!(cli_geojson_offer_ids(data.path(), &db, &out), ["N-T1"]);
}
