//! The current index snapshot, replaced atomically while readers keep going.

use super::OutletIndex;
use crate::registry::Registry;
use arc_swap::ArcSwap;
use std::sync::Arc;

/// The live [`OutletIndex`]: readers [`load`](SharedIndex::load) a snapshot and keep it as long
/// as they like; a writer [`replace`](SharedIndex::replace)s it with one built from a new registry.
///
/// Readers never wait and never see a half-built index: the new index is built completely before
/// one atomic pointer swap publishes it, and a reader holding the old `Arc` keeps a consistent
/// view (registry and trees together) until it drops it.
#[derive(Debug)]
pub struct SharedIndex {
    current: ArcSwap<OutletIndex>,
}

impl SharedIndex {
    /// Starts with an index built over `registry`.
    pub fn new(registry: Registry) -> Self {
        Self::from_index(OutletIndex::new(Arc::new(registry)))
    }

    /// Starts with an index already built.
    pub fn from_index(index: OutletIndex) -> Self {
        SharedIndex {
            current: ArcSwap::from_pointee(index),
        }
    }

    /// The current snapshot.
    pub fn load(&self) -> Arc<OutletIndex> {
        self.current.load_full()
    }

    /// Builds an index over `registry` and swaps it in; returns the new snapshot.
    pub fn replace(&self, registry: Registry) -> Arc<OutletIndex> {
        let next = Arc::new(OutletIndex::new(Arc::new(registry)));
        self.store(Arc::clone(&next));
        next
    }

    /// Swaps in an index already built (for callers that build it off the request path).
    pub fn store(&self, index: Arc<OutletIndex>) {
        self.current.store(index);
    }
}
