//! Integration tests: registry.

use crate::common::fixture;

#[test]
fn small_fixture_loads_through_the_basic_loader() {
    let chains = storenet::registry::csv::read_chains(&fixture("chains.csv")).unwrap();
    let outlets = storenet::registry::csv::read_outlets(&fixture("outlets_small.csv")).unwrap();
    let reg = storenet::registry::Registry::new(chains, outlets).unwrap();
    assert_eq!(reg.outlets().len(), 300);
    assert!(reg.chains().count() >= 11);
}
