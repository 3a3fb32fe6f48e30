//! Ledger ingest files, purchases and cards CSV (`ledger::read_ledger_file`): no panic; every
//! error names a real line of the file; rows read carry real lines, in order.
#![no_main]

#[path = "../common.rs"]
mod common;

use libfuzzer_sys::fuzz_target;
use storenet::ledger::{read_ledger_file, IngestError, LedgerFile};

fuzz_target!(|data: &[u8]| {
    let path = common::scratch("ledger.csv", data);
    let lines: Vec<u64> = match read_ledger_file(&path) {
        Ok(LedgerFile::Purchases(rows)) => rows.iter().map(|r| r.0).collect(),
        Ok(LedgerFile::Cards(_, cards)) => cards.iter().map(|r| r.0).collect(),
        Err(e @ (IngestError::BadField { line, .. } | IngestError::BadRow { line, .. })) => {
            common::assert_line(line, data, &e);
            return;
        }
        Err(_) => return,
    };
    for l in &lines {
        common::assert_line(*l, data, &"a row read");
    }
    assert!(lines.windows(2).all(|w| w[0] < w[1]), "rows out of order");
});
