//! Report tables: one shape for the terminal, CSV and maps' legends; atomic file writes.

use super::{
    CatchmentReport, CoverageReport, CoverageRow, GapReport, HuffReport, PlanError, SiteReport,
    WhatIfReport,
};
use crate::model::text::neutralise_formula;
use std::path::Path;

/// A table of already-formatted cells (figures went through the privacy floor's `Display`).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Table {
    /// Title shown above the table.
    pub title: String,
    /// Column names.
    pub header: Vec<String>,
    /// Rows of cells.
    pub rows: Vec<Vec<String>>,
}

impl Table {
    /// As CSV text. Cells that carry outside text (outlet and municipality names) could start a
    /// spreadsheet formula: every cell that is not a plain number goes through
    /// [`neutralise_formula`] (a change of `-5` stays a number; `=HYPERLINK(…)` becomes text).
    pub fn to_csv(&self) -> Result<String, PlanError> {
        let mut w = csv::Writer::from_writer(Vec::new());
        let e = |e: csv::Error| PlanError::Map(e.to_string());
        let safe = |c: &String| -> String {
            let numeric = c.trim().parse::<f64>().is_ok_and(f64::is_finite);
            if numeric {
                c.clone()
            } else {
                neutralise_formula(c).into_owned()
            }
        };
        w.write_record(self.header.iter().map(safe)).map_err(e)?;
        for r in &self.rows {
            w.write_record(r.iter().map(safe)).map_err(e)?;
        }
        let bytes = w.into_inner().map_err(|e| PlanError::Map(e.to_string()))?;
        String::from_utf8(bytes).map_err(|e| PlanError::Map(e.to_string()))
    }

    /// As aligned text for a terminal, at most `max_rows` rows (the rest counted).
    pub fn to_text(&self, max_rows: usize) -> String {
        let mut width: Vec<usize> = self.header.iter().map(|h| h.chars().count()).collect();
        for r in self.rows.iter().take(max_rows) {
            for (w, c) in width.iter_mut().zip(r) {
                *w = (*w).max(c.chars().count());
            }
        }
        let line = |cells: &[String]| {
            cells
                .iter()
                .zip(&width)
                .map(|(c, w)| format!("{c:>w$}"))
                .collect::<Vec<_>>()
                .join("  ")
        };
        let mut out = format!("{}\n{}\n", self.title, line(&self.header));
        for r in self.rows.iter().take(max_rows) {
            out.push_str(&line(r));
            out.push('\n');
        }
        if self.rows.len() > max_rows {
            out.push_str(&format!("… {} more rows\n", self.rows.len() - max_rows));
        }
        out
    }
}

/// Writes a file atomically: a temporary file beside it, then a rename, so a failure leaves no
/// half-written file.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), PlanError> {
    let io = |source| PlanError::Io {
        path: path.to_path_buf(),
        source,
    };
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir).map_err(io)?;
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("out");
    let tmp = dir.join(format!(".{name}.tmp-{}", std::process::id()));
    std::fs::write(&tmp, bytes).map_err(io)?;
    std::fs::rename(&tmp, path).map_err(|e| {
        let _ = std::fs::remove_file(&tmp);
        io(e)
    })
}

fn km(m: f64) -> String {
    let k = m / 1000.0;
    if k.fract() == 0.0 {
        format!("{k:.0}")
    } else {
        format!("{k}")
    }
}

fn coverage_rows(title: &str, bands_m: &[f64], rows: &[&CoverageRow]) -> Table {
    let mut header = vec![
        "key".into(),
        "label".into(),
        "outlets".into(),
        "households".into(),
        "cardholders".into(),
        "median_km".into(),
    ];
    for b in bands_m {
        header.push(format!("hh_{}km", km(*b)));
        header.push(format!("share_{}km", km(*b)));
    }
    let rows = rows
        .iter()
        .map(|r| {
            let mut v = vec![
                r.key.clone(),
                r.label.clone(),
                r.outlets.to_string(),
                r.households.to_string(),
                r.cardholders.to_string(),
                format!("{:.2}", r.median_m.map(|m| m / 1000.0)),
            ];
            for b in &r.bands {
                v.push(b.households.to_string());
                v.push(format!("{:.3}", b.share_households));
            }
            v
        })
        .collect();
    Table {
        title: title.into(),
        header,
        rows,
    }
}

/// Coverage as tables: summary (all + chains + categories) and per municipality.
pub fn coverage_tables(r: &CoverageReport) -> Vec<(&'static str, Table)> {
    let mut summary: Vec<&CoverageRow> = vec![&r.total];
    summary.extend(r.by_chain.iter());
    summary.extend(r.by_category.iter());
    let munis: Vec<&CoverageRow> = r.by_municipality.iter().collect();
    vec![
        (
            "coverage",
            coverage_rows(&format!("Coverage: {}", r.selection), &r.bands_m, &summary),
        ),
        (
            "coverage_by_municipality",
            coverage_rows("Coverage by municipality", &r.bands_m, &munis),
        ),
    ]
}

/// Catchments as a table.
pub fn catchment_table(r: &CatchmentReport) -> Table {
    Table {
        title: format!("Catchments: {}", r.selection),
        header: [
            "outlet",
            "name",
            "chain",
            "cells",
            "households",
            "cardholders",
            "median_km",
            "p90_km",
        ]
        .map(String::from)
        .to_vec(),
        rows: r
            .outlets
            .iter()
            .map(|o| {
                vec![
                    o.outlet.to_string(),
                    o.name.clone(),
                    o.chain.to_string(),
                    o.cells.to_string(),
                    o.households.to_string(),
                    o.cardholders.to_string(),
                    format!("{:.2}", o.median_m.map(|m| m / 1000.0)),
                    format!("{:.2}", o.p90_m.map(|m| m / 1000.0)),
                ]
            })
            .collect(),
    }
}

/// Gaps as a table.
pub fn gap_table(r: &GapReport) -> Table {
    Table {
        title: format!(
            "Gaps farther than {} km from {}: {} households",
            km(r.distance_m),
            r.selection,
            r.households
        ),
        header: [
            "rank",
            "cells",
            "households",
            "cardholders",
            "lat",
            "lon",
            "nearest_outlet",
            "nearest_name",
            "nearest_km",
        ]
        .map(String::from)
        .to_vec(),
        rows: r
            .gaps
            .iter()
            .map(|g| {
                vec![
                    g.rank.to_string(),
                    g.cells.to_string(),
                    g.households.to_string(),
                    g.cardholders.to_string(),
                    format!("{:.5}", g.centre.lat()),
                    format!("{:.5}", g.centre.lon()),
                    g.nearest_outlet.to_string(),
                    g.nearest_outlet_name.clone(),
                    format!("{:.2}", g.nearest_outlet_m.map(|m| m / 1000.0)),
                ]
            })
            .collect(),
    }
}

/// What-if as two tables: coverage before/after and per-outlet changes.
pub fn whatif_tables(r: &WhatIfReport) -> Vec<(&'static str, Table)> {
    let bands: Vec<f64> = r.before.bands.iter().map(|b| b.within_m).collect();
    let changes = Table {
        title: "Catchment changes".into(),
        header: [
            "outlet",
            "name",
            "chain",
            "status",
            "households_before",
            "households_after",
            "gained",
            "lost",
        ]
        .map(String::from)
        .to_vec(),
        rows: r
            .changes
            .iter()
            .map(|c| {
                vec![
                    c.outlet.map_or_else(|| "new".into(), |o| o.to_string()),
                    c.name.clone(),
                    c.chain.to_string(),
                    c.status.into(),
                    c.households_before.to_string(),
                    c.households_after.to_string(),
                    c.gained.to_string(),
                    c.lost.to_string(),
                ]
            })
            .collect(),
    };
    vec![
        (
            "whatif_coverage",
            coverage_rows(
                &format!("What-if coverage: {}", r.selection),
                &bands,
                &[&r.before, &r.after],
            ),
        ),
        ("whatif_changes", changes),
    ]
}

/// Suggested sites as a table.
pub fn site_table(r: &SiteReport) -> Table {
    Table {
        title: format!(
            "Suggested sites ({:?}, p={}, D={} km): within D {} → {}; mean distance {:.2} → {:.2} km",
            r.objective, r.p, km(r.distance_m), r.households_before, r.households_after,
            r.mean_distance_before_m.map(|m| m / 1000.0),
            r.mean_distance_after_m.map(|m| m / 1000.0),
        ),
        header: ["rank", "lat", "lon", "households"].map(String::from).to_vec(),
        rows: r
            .sites
            .iter()
            .map(|s| vec![s.rank.to_string(), format!("{:.5}", s.location.lat()), format!("{:.5}", s.location.lon()), s.households.to_string()])
            .collect(),
    }
}

/// Huff as two tables: outlets and areas.
pub fn huff_tables(r: &HuffReport) -> Vec<(&'static str, Table)> {
    vec![
        (
            "huff_outlets",
            Table {
                title: format!(
                    "Huff (λ = {}): {}; share {:.3}",
                    r.lambda, r.selection, r.share
                ),
                header: [
                    "outlet",
                    "name",
                    "chain",
                    "attractiveness",
                    "expected_households",
                ]
                .map(String::from)
                .to_vec(),
                rows: r
                    .outlets
                    .iter()
                    .map(|o| {
                        vec![
                            o.outlet.to_string(),
                            o.name.clone(),
                            o.chain.to_string(),
                            format!("{}", o.attractiveness),
                            format!("{:.0}", o.expected_households),
                        ]
                    })
                    .collect(),
            },
        ),
        (
            "huff_areas",
            Table {
                title: "Market share by municipality".into(),
                header: [
                    "municipality",
                    "name",
                    "households",
                    "share",
                    "competitor_share",
                ]
                .map(String::from)
                .to_vec(),
                rows: r
                    .areas
                    .iter()
                    .map(|a| {
                        vec![
                            a.municipality.clone(),
                            a.name.clone(),
                            a.households.to_string(),
                            format!("{:.3}", a.share),
                            format!("{:.3}", a.competitor_share),
                        ]
                    })
                    .collect(),
            },
        ),
    ]
}

#[cfg(test)]
mod csv_tests {
    use super::Table;

    #[test]
    fn report_csv_cells_never_start_a_formula_but_numbers_stay_numbers() {
        let t = Table {
            title: "t".into(),
            header: vec!["outlet".into(), "change".into()],
            rows: vec![
                vec!["=HYPERLINK(\"http://x\")".into(), "-5".into()],
                vec!["@SUM(A1)".into(), "+3".into()],
                vec!["K-Market Kärkölä".into(), "-1.5".into()],
                vec!["-2+3".into(), "<10".into()],
            ],
        };
        let csv = t.to_csv().unwrap();
        let mut r = csv::Reader::from_reader(csv.as_bytes());
        let rows: Vec<Vec<String>> = r
            .records()
            .map(|x| x.unwrap().iter().map(str::to_string).collect())
            .collect();
        assert_eq!(rows[0], ["'=HYPERLINK(\"http://x\")", "-5"]);
        assert_eq!(rows[1], ["'@SUM(A1)", "+3"]);
        assert_eq!(rows[2], ["K-Market Kärkölä", "-1.5"]);
        assert_eq!(rows[3], ["'-2+3", "<10"]);
    }
}
