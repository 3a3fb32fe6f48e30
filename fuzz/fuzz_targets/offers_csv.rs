//! Offers CSV (`offers::load_csv`): no panic; every error names a real line of the file; offers
//! read keep their documented invariants.
#![no_main]

#[path = "../common.rs"]
mod common;

use libfuzzer_sys::fuzz_target;
use storenet::offers::{load_csv, Benefit, OffersError};

fuzz_target!(|data: &[u8]| {
    let path = common::scratch("offers.csv", data);
    match load_csv(&path) {
        Ok(book) => {
            for o in book.all() {
                assert!(o.valid_from <= o.valid_to);
                if let Benefit::Discount { percent } = &o.benefit {
                    assert!((10..=100).contains(percent));
                }
            }
        }
        Err(e @ OffersError::BadField { line, .. }) => common::assert_line(line, data, &e),
        Err(_) => {}
    }
});
