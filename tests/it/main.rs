//! The integration tests: one binary, one module per capability.

#[path = "../common/mod.rs"]
mod common;

mod crs;
mod export;
mod faults;
mod hours_oracle;
mod http;
mod i18n;
mod ledger;
mod ledger_crash;
mod planning;
mod registry;
mod spatial;
mod synth;
