//! Reading ledger files: purchases and cards CSV, every bad row named by file, line and field.
//!
//! Purchases: `key,card,outlet,chain,amount_cents,ineligible_cents,at` — `key` a UUID (v7), `at`
//! RFC 3339 (e.g. `2026-10-03T14:05:00Z`), money in integer cents.
//! Cards: `card,household,holder,kind,segments,chosen_chains` — `holder` primary|secondary,
//! `kind` plastic|co-branded|mobile|traveller, `segments` and `chosen_chains` `;`-separated; the
//! household's segments and chains must agree on all its rows.

use super::types::*;
use crate::model::{ChainId, OutletId};
use chrono::{DateTime, Utc};
use serde::Deserialize;
use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Display;
use std::path::{Path, PathBuf};
use uuid::Uuid;

/// Why a ledger file could not be read.
#[derive(Debug, thiserror::Error)]
pub enum IngestError {
    /// A bad value.
    #[error("{path}:{line}: field `{field}`: {reason}")]
    BadField {
        /// The file.
        path: PathBuf,
        /// 1-based line.
        line: u64,
        /// The column.
        field: &'static str,
        /// What is wrong.
        reason: String,
    },
    /// A malformed row (wrong number of fields, bad quoting).
    #[error("{path}:{line}: {reason}")]
    BadRow {
        /// The file.
        path: PathBuf,
        /// 1-based line.
        line: u64,
        /// What is wrong.
        reason: String,
    },
    /// A header that is neither a purchases nor a cards file.
    #[error("{path}: unknown header `{found}`: expected `{PURCHASES_HEADER}` or `{CARDS_HEADER}`")]
    Header {
        /// The file.
        path: PathBuf,
        /// The header found.
        found: String,
    },
    /// The file could not be read.
    #[error("reading {path}")]
    Io {
        /// The file.
        path: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
}

/// The header of a purchases file.
pub const PURCHASES_HEADER: &str = "key,card,outlet,chain,amount_cents,ineligible_cents,at";
/// The header of a cards file.
pub const CARDS_HEADER: &str = "card,household,holder,kind,segments,chosen_chains";

/// The rows of a ledger file, each with its line number.
#[derive(Debug, Clone)]
pub enum LedgerFile {
    /// Purchases.
    Purchases(Vec<(u64, Purchase)>),
    /// Households (first line defining each) and cards.
    Cards(Vec<(u64, NewHousehold)>, Vec<(u64, NewCard)>),
}

#[derive(Deserialize)]
struct PurchaseRow {
    key: String,
    card: String,
    outlet: String,
    chain: String,
    amount_cents: String,
    ineligible_cents: String,
    at: String,
}

#[derive(Deserialize)]
struct CardRow {
    card: String,
    household: String,
    holder: String,
    kind: String,
    segments: String,
    chosen_chains: String,
}

fn bad(path: &Path, line: u64, field: &'static str, reason: impl Display) -> IngestError {
    IngestError::BadField {
        path: path.to_path_buf(),
        line,
        field,
        reason: reason.to_string(),
    }
}

fn int(path: &Path, line: u64, field: &'static str, s: &str) -> Result<i64, IngestError> {
    s.trim()
        .parse::<i64>()
        .map_err(|_| bad(path, line, field, format!("`{s}` is not an integer")))
}

/// Reads a purchases or cards file, chosen by its header.
pub fn read_ledger_file(path: &Path) -> Result<LedgerFile, IngestError> {
    let io = |source| IngestError::Io {
        path: path.to_path_buf(),
        source,
    };
    let bytes = crate::csvin::read(path).map_err(io)?;
    let mut rdr = csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
        .from_reader(bytes.as_slice());
    let header = rdr
        .headers()
        .map_err(|e| IngestError::BadRow {
            path: path.to_path_buf(),
            line: 1,
            reason: e.to_string(),
        })?
        .iter()
        .collect::<Vec<_>>()
        .join(",");
    let line_of = |r: &csv::StringRecord| crate::csvin::record_line(&bytes, r.position());
    let mut rec = csv::StringRecord::new();
    let headers = rdr.headers().cloned().map_err(|e| IngestError::BadRow {
        path: path.to_path_buf(),
        line: 1,
        reason: e.to_string(),
    })?;
    let row_err = |e: csv::Error| IngestError::BadRow {
        path: path.to_path_buf(),
        line: crate::csvin::record_line(&bytes, e.position()),
        reason: e.to_string(),
    };
    if header == PURCHASES_HEADER {
        let mut out = Vec::new();
        while rdr.read_record(&mut rec).map_err(row_err)? {
            let line = line_of(&rec);
            let r: PurchaseRow =
                rec.deserialize(Some(&headers))
                    .map_err(|e| IngestError::BadRow {
                        path: path.to_path_buf(),
                        line,
                        reason: e.to_string(),
                    })?;
            let at: DateTime<Utc> = DateTime::parse_from_rfc3339(&r.at)
                .map_err(|e| {
                    bad(
                        path,
                        line,
                        "at",
                        format!("`{}`: {e} (expected RFC 3339)", r.at),
                    )
                })?
                .with_timezone(&Utc);
            out.push((
                line,
                Purchase {
                    key: Uuid::parse_str(&r.key).map_err(|e| bad(path, line, "key", e))?,
                    card: CardId(int(path, line, "card", &r.card)?),
                    outlet: r
                        .outlet
                        .parse::<OutletId>()
                        .map_err(|e| bad(path, line, "outlet", e))?,
                    chain: ChainId::new(&r.chain).map_err(|e| bad(path, line, "chain", e))?,
                    amount_cents: int(path, line, "amount_cents", &r.amount_cents)?,
                    ineligible_cents: int(path, line, "ineligible_cents", &r.ineligible_cents)?,
                    at,
                },
            ));
        }
        Ok(LedgerFile::Purchases(out))
    } else if header == CARDS_HEADER {
        let mut households: BTreeMap<i64, (u64, NewHousehold)> = BTreeMap::new();
        let mut cards = Vec::new();
        while rdr.read_record(&mut rec).map_err(row_err)? {
            let line = line_of(&rec);
            let r: CardRow = rec
                .deserialize(Some(&headers))
                .map_err(|e| IngestError::BadRow {
                    path: path.to_path_buf(),
                    line,
                    reason: e.to_string(),
                })?;
            let household = HouseholdId(int(path, line, "household", &r.household)?);
            let list = |s: &str| -> Vec<String> {
                s.split(';')
                    .map(str::trim)
                    .filter(|x| !x.is_empty())
                    .map(str::to_string)
                    .collect()
            };
            let segments: BTreeSet<String> = list(&r.segments).into_iter().collect();
            let chosen_chains = list(&r.chosen_chains)
                .iter()
                .map(|c| ChainId::new(c).map_err(|e| bad(path, line, "chosen_chains", e)))
                .collect::<Result<BTreeSet<_>, _>>()?;
            let h = NewHousehold {
                id: household,
                segments,
                chosen_chains,
            };
            match households.get(&household.0) {
                Some((first, known)) if *known != h => {
                    return Err(bad(
                        path,
                        line,
                        "segments",
                        format!(
                        "household {household} was given other segments or chains on line {first}"
                    ),
                    ))
                }
                Some(_) => {}
                None => {
                    households.insert(household.0, (line, h));
                }
            }
            cards.push((
                line,
                NewCard {
                    id: CardId(int(path, line, "card", &r.card)?),
                    household,
                    holder: r.holder.parse().map_err(|e| bad(path, line, "holder", e))?,
                    kind: r.kind.parse().map_err(|e| bad(path, line, "kind", e))?,
                },
            ));
        }
        Ok(LedgerFile::Cards(households.into_values().collect(), cards))
    } else {
        Err(IngestError::Header {
            path: path.to_path_buf(),
            found: header,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_spreadsheet_export_reads_with_its_real_line_numbers() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("purchases.csv");
        // A byte order mark and CRLF line ends, as spreadsheets write "CSV UTF-8".
        let row = "0190f1c2-3b4a-7c5d-8e6f-0123456789ab,11,42,k-market,1234,0,2026-10-07T10:00:00Z";
        let body = format!("\u{feff}{PURCHASES_HEADER}\r\n{row}\r\n");
        std::fs::write(&path, body).unwrap();
        match read_ledger_file(&path).unwrap() {
            LedgerFile::Purchases(rows) => {
                assert_eq!(rows.len(), 1);
                assert_eq!(rows[0].0, 2, "line numbers count the header line");
                assert_eq!(rows[0].1.amount_cents, 1234);
            }
            LedgerFile::Cards(..) => panic!("read as cards"),
        }
        // The bad row, after a blank line, is on line 4.
        let bad = format!(
            "\u{feff}{PURCHASES_HEADER}\r\n{row}\r\n\r\n{}\r\n",
            row.replace("1234", "12x")
        );
        std::fs::write(&path, bad).unwrap();
        let e = read_ledger_file(&path).unwrap_err().to_string();
        assert!(e.contains(":4:") || e.contains("line 4"), "{e}");
    }
}
