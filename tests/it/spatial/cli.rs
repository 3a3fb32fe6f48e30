//! The `nearest` and `route` commands, through the built binary.

use crate::common::fixture;
use std::process::Command;

/// Runs the built binary on a data dir holding the shared fixture registry (`load_dir` wants
/// `chains.csv` and `outlets.csv`; copying at run time keeps one source of truth).
fn storenet(args: &[&str]) -> std::process::Output {
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(fixture("chains.csv"), dir.path().join("chains.csv")).unwrap();
    std::fs::copy(fixture("outlets_small.csv"), dir.path().join("outlets.csv")).unwrap();
    Command::new(env!("CARGO_BIN_EXE_storenet"))
        .arg("--data-dir")
        .arg(dir.path())
        .args(args)
        .output()
        .unwrap()
}

#[test]
fn cli_nearest_prints_a_table_and_json() {
    let out = storenet(&["nearest", "--lat", "60.1699", "--lon", "24.9384", "-k", "3"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert!(
        lines[0].contains("rank") && lines[0].contains("km"),
        "{text}"
    );
    assert!(lines[1].contains("K-Market Helsinki"), "{text}");
    assert_eq!(lines.len(), 4, "{text}");

    let out = storenet(&[
        "nearest", "--lat", "60.1699", "--lon", "24.9384", "-k", "2", "--chain", "teboil", "--json",
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let arr = v.as_array().unwrap();
    assert_eq!(arr.len(), 2);
    assert!(arr.iter().all(|h| h["chain"] == "teboil"));
    let d0 = arr[0]["distance_m"].as_f64().unwrap();
    let d1 = arr[1]["distance_m"].as_f64().unwrap();
    assert!(d0 <= d1 && d0 > 0.0);
}

#[test]
fn cli_nearest_refuses_bad_input() {
    for (args, needle) in [
        (
            vec!["nearest", "--lat", "60", "--lon", "25", "-k", "0"],
            "k",
        ),
        (vec!["nearest", "--lat", "91", "--lon", "25"], "coordinate"),
        (
            vec!["nearest", "--lat", "60", "--lon", "25", "--chain", "nope"],
            "nope",
        ),
        (
            vec!["nearest", "--lat", "60", "--lon", "25", "--open-at", "soon"],
            "open_at",
        ),
    ] {
        let out = storenet(&args);
        assert!(!out.status.success(), "{args:?}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains(needle), "{args:?}: {err}");
    }
}

#[test]
fn cli_route_lists_outlets_in_route_order() {
    let gpx = fixture("spatial/helsinki-tampere.gpx");
    let out = storenet(&["route", "--gpx", gpx.to_str().unwrap(), "--corridor", "2km"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).unwrap();
    let hel = text.find("K-Market Helsinki").expect(&text);
    let hml = text.find("Rautia Hämeenlinna").expect(&text);
    let tre = text.find("K-Citymarket Tampere").expect(&text);
    assert!(hel < hml && hml < tre, "{text}");

    let out = storenet(&[
        "route",
        "--gpx",
        gpx.to_str().unwrap(),
        "--corridor",
        "2km",
        "--kind",
        "partner",
        "--json",
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let arr = v.as_array().unwrap();
    assert!(!arr.is_empty());
    assert!(arr.iter().all(|h| h["kind"] == "partner"));
    let along: Vec<f64> = arr
        .iter()
        .map(|h| h["along_km"].as_f64().unwrap())
        .collect();
    assert!(along.windows(2).all(|w| w[0] <= w[1]));
    assert!(arr
        .iter()
        .all(|h| h["distance_m"].as_f64().unwrap() <= 2_000.0));
}

#[test]
fn cli_route_refuses_bad_input() {
    let dir = tempfile::tempdir().unwrap();
    let one = dir.path().join("one.geojson");
    std::fs::write(&one, r#"{"type":"LineString","coordinates":[[24.9,60.1]]}"#).unwrap();
    let gpx = fixture("spatial/helsinki-tampere.gpx");
    for (args, needle) in [
        (
            vec!["route", "--gpx", one.to_str().unwrap(), "--corridor", "2km"],
            "one point",
        ),
        (
            vec![
                "route",
                "--gpx",
                gpx.to_str().unwrap(),
                "--corridor",
                "two km",
            ],
            "distance",
        ),
        (
            vec![
                "route",
                "--gpx",
                gpx.to_str().unwrap(),
                "--corridor",
                "60km",
            ],
            "corridor",
        ),
        (
            vec!["route", "--gpx", "/no/such/file.gpx", "--corridor", "2km"],
            "file.gpx",
        ),
    ] {
        let out = storenet(&args);
        assert!(!out.status.success(), "{args:?}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains(needle), "{args:?}: {err}");
    }
}
