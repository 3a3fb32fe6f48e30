//! Where a write is made: the one check of a purchase's outlet and chain that every front end
//! (HTTP, `storenet ledger ingest`) runs before the ledger records it.
//!
//! A purchase is recorded only at an open outlet of the registry, and only under that outlet's
//! chain (campaigns are per chain). A closed outlet (`DELETE /v1/outlets/{id}`) takes no more
//! purchases, whoever reports them; its history stays.

use super::error::LedgerError;
use super::types::Purchase;
use crate::model::{ChainId, OutletId};
use crate::registry::Registry;
use crate::store::{Store, StoreError};

/// Why a purchase may not be recorded at an outlet.
#[derive(Debug, thiserror::Error)]
pub enum PlaceError {
    /// No outlet has this id.
    #[error("unknown outlet {0}")]
    UnknownOutlet(OutletId),
    /// The outlet was closed.
    #[error("outlet {0} is closed: it takes no more purchases, returns or offers")]
    ClosedOutlet(OutletId),
    /// The write names another chain than the outlet's.
    #[error("outlet {outlet} belongs to chain `{chain}`, not `{given}`")]
    OtherChain {
        /// The outlet.
        outlet: OutletId,
        /// Its chain.
        chain: ChainId,
        /// The chain the write named.
        given: String,
    },
    /// The registry's database failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl PlaceError {
    /// The field at fault: `outlet` or `chain`.
    pub fn field(&self) -> &'static str {
        match self {
            PlaceError::OtherChain { .. } => "chain",
            _ => "outlet",
        }
    }
}

impl From<PlaceError> for LedgerError {
    fn from(e: PlaceError) -> LedgerError {
        LedgerError::Invalid {
            field: e.field(),
            reason: e.to_string(),
        }
    }
}

/// The chain of open outlet `outlet`, checked against the chain the write names (`given`, if
/// any, compared trimmed). `registry` holds the open outlets; `store` is asked only to tell a
/// closed outlet from an unknown one.
pub async fn purchase_place(
    registry: &Registry,
    store: &Store,
    outlet: OutletId,
    given: Option<&str>,
) -> Result<ChainId, PlaceError> {
    let Some(o) = registry.outlet(outlet) else {
        return Err(match store.outlet(outlet).await {
            Ok(Some(_)) => PlaceError::ClosedOutlet(outlet),
            Ok(None) | Err(StoreError::IdTooLarge(_)) => PlaceError::UnknownOutlet(outlet),
            Err(e) => PlaceError::Store(e),
        });
    };
    if let Some(given) = given {
        if given.trim() != o.chain.as_str() {
            return Err(PlaceError::OtherChain {
                outlet,
                chain: o.chain.clone(),
                given: given.to_string(),
            });
        }
    }
    Ok(o.chain.clone())
}

/// Checks the place of every purchase of a file or batch with [`purchase_place`], each distinct
/// (outlet, chain) once; the first refused purchase's index and why.
pub async fn check_places(
    registry: &Registry,
    store: &Store,
    purchases: &[Purchase],
) -> Result<(), (usize, PlaceError)> {
    let mut good: std::collections::HashSet<(OutletId, &str)> = Default::default();
    for (i, p) in purchases.iter().enumerate() {
        if good.contains(&(p.outlet, p.chain.as_str())) {
            continue;
        }
        purchase_place(registry, store, p.outlet, Some(p.chain.as_str()))
            .await
            .map_err(|e| (i, e))?;
        good.insert((p.outlet, p.chain.as_str()));
    }
    Ok(())
}
