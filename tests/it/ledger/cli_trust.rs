//! Issue 18, section 1, through the command line: `ledger ingest` refuses what HTTP refuses,
//! `ledger month-end` refuses a month that has not ended, `keys create` refuses ids that do not
//! exist. On SQLite and on PostgreSQL.

use super::*;
use crate::common::PgSchema;
use std::path::{Path, PathBuf};
use storenet::store::Store;

/// A data dir of the small fixture registry (outlet 1–3 k-market, 4 k-supermarket, 7 k-rauta).
pub(super) fn data_dir(dir: &Path) -> PathBuf {
    let data = dir.join("data");
    std::fs::create_dir_all(&data).unwrap();
    std::fs::copy(fixture("chains.csv"), data.join("chains.csv")).unwrap();
    std::fs::copy(fixture("outlets_small.csv"), data.join("outlets.csv")).unwrap();
    data
}

fn write(dir: &Path, name: &str, body: &str) -> String {
    let p = dir.join(name);
    std::fs::write(&p, body).unwrap();
    p.display().to_string()
}

fn purchases_file(dir: &Path, name: &str, rows: &[(i64, u32, &str, i64, &str)]) -> String {
    let mut s = format!("{PURCHASES_HEADER}\n");
    for (card, outlet, chain, amount, at) in rows {
        s.push_str(&format!(
            "{},{card},{outlet},{chain},{amount},0,{at}\n",
            Uuid::now_v7()
        ));
    }
    write(dir, name, &s)
}

#[test]
fn ingest_checks_places_households_amounts_and_dates_like_http_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("cli.db").display());
    ingest_refuses_what_http_refuses(dir.path(), &url);
}

#[test]
fn ingest_checks_places_households_amounts_and_dates_like_http_postgres() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let Some(pg) = rt.block_on(PgSchema::create("the ledger CLI trust test")) else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    ingest_refuses_what_http_refuses(dir.path(), &pg.url);
    rt.block_on(pg.drop_now());
}

fn ingest_refuses_what_http_refuses(dir: &Path, url: &str) {
    let data = data_dir(dir).display().to_string();
    let run = |args: &[&str]| {
        let mut v = vec!["--data-dir", &data, "ledger"];
        v.extend_from_slice(args);
        v.extend_from_slice(&["--database-url", url]);
        storenet(&v)
    };
    // Cards of households -5 and 0 (the issue), then good ones.
    for (h, line) in [(-5, 3), (0, 3)] {
        let f = write(
            dir,
            "bad_cards.csv",
            &format!("{CARDS_HEADER}\n11,1,primary,plastic,,\n12,{h},primary,plastic,,\n"),
        );
        let (ok, _, err) = run(&["ingest", &f]);
        assert!(!ok, "household {h} was accepted");
        assert!(
            err.contains(&format!("bad_cards.csv:{line}: field `household`")),
            "{err}"
        );
    }
    let cards = write(
        dir,
        "cards.csv",
        &format!("{CARDS_HEADER}\n11,1,primary,plastic,,\n12,1,secondary,mobile,,\n"),
    );
    let (ok, _, err) = run(&["ingest", &cards]);
    assert!(ok, "{err}");

    // Outlet 2 closes, as DELETE /v1/outlets/2 would.
    let when = "2026-10-05T10:00:00Z";
    let good = (11, 1, "k-market", 1_000, when);
    let (ok, _, err) = run(&["ingest", &purchases_file(dir, "first.csv", &[good])]);
    assert!(ok, "{err}");
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let store = Store::open(url).await.unwrap();
        assert!(store.close_outlet(OutletId(2)).await.unwrap());
    });
    for (row, field, what) in [
        (
            (11, 999_999, "k-market", 1_000, when),
            "outlet",
            "unknown outlet",
        ),
        (
            (11, 7, "k-market", 1_000, when),
            "chain",
            "belongs to chain `k-rauta`",
        ),
        ((11, 2, "k-market", 1_000, when), "outlet", "closed"),
        ((11, 1, "k-market", i64::MAX, when), "amount_cents", ""),
        (
            (11, 1, "k-market", 4_611_686_018_427_387_903, when),
            "amount_cents",
            "",
        ),
        ((11, 1, "k-market", 1_000, "1970-01-01T00:00:00Z"), "at", ""),
        ((11, 1, "k-market", 1_000, "2099-01-01T00:00:00Z"), "at", ""),
        ((11, 1, "k-market", 1_000, "0001-01-01T00:00:00Z"), "at", ""),
    ] {
        let f = purchases_file(dir, "bad.csv", &[good, row]);
        let (ok, _, err) = run(&["ingest", &f]);
        assert!(!ok, "{row:?} was accepted");
        assert!(
            err.contains(&format!("bad.csv:3: field `{field}`")),
            "{row:?}: {err}"
        );
        assert!(err.contains(what), "{row:?}: {err}");
        assert!(err.contains("nothing of the file was applied"), "{err}");
    }
    let (ok, out, _) = run(&["balance", "--household", "1"]);
    assert!(
        ok && out.contains("\"points\": 10"),
        "only the first file: {out}"
    );

    // Month end: never of a month that has not ended.
    let this_month = Month::of(Utc::now()).to_string();
    for m in [this_month.as_str(), "2099-12"] {
        let (ok, out, err) = run(&["month-end", m]);
        assert!(!ok, "month end of {m} ran: {out}");
        assert!(
            err.contains("field `month`") || err.contains("has not ended"),
            "{err}"
        );
    }
    let (ok, out, err) = run(&["month-end", "2026-10"]);
    assert!(ok && out.contains("ran"), "{out}{err}");
    let (ok, out, err) = run(&["verify"]);
    assert!(ok, "{out}{err}");

    // Keys only for what exists.
    let keys = |args: &[&str]| {
        let mut v = vec!["keys", "--database-url", url, "create"];
        v.extend_from_slice(args);
        storenet(&v)
    };
    for args in [
        ["--role", "retailer", "--outlet", "999999"],
        ["--role", "retailer", "--outlet", "2"],
        ["--role", "chain", "--chain", "nope"],
        ["--role", "household", "--household", "999999999"],
        ["--role", "household", "--household=-5", "--"],
    ] {
        let (ok, out, err) = keys(&args);
        assert!(!ok, "{args:?} made a key: {out}");
        assert!(err.contains("no such"), "{args:?}: {err}");
        assert!(!out.contains("sn_"), "{out}");
    }
    for args in [
        ["--role", "retailer", "--outlet", "1"],
        ["--role", "chain", "--chain", "k-rauta"],
        ["--role", "household", "--household", "1"],
    ] {
        let (ok, out, err) = keys(&args);
        assert!(ok && out.trim().starts_with("sn_"), "{args:?}: {err}");
    }
}
