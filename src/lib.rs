#![forbid(unsafe_code)]
#![warn(missing_docs)]
//! storenet: the outlet registry, nearest-store queries, navigator POI exports, the shared loyalty
//! ledger and network planning for a K-Plussa-style retail network.
//!
//! The binary `storenet` is a thin front end over these modules; the module table in the
//! README's Development section says what each one owns.

pub mod capacity;
pub mod cli;
pub mod config;
pub mod crs;
pub mod csvin;
pub mod db;
pub mod density;
pub mod error;
pub mod export;
pub mod finland;
pub mod fonts;
pub mod http;
pub mod i18n;
pub mod ledger;
pub mod model;
pub mod offers;
pub mod planning;
pub mod registry;
pub mod spatial;
pub mod store;
pub mod synth;

pub use error::Error;
