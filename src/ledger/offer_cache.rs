//! The stored offers in memory, for the per-location view (outlet detail, the map, the offers of
//! an outlet): read whole from the database at most once per [`MAX_AGE`], and again at once after
//! this ledger stores an offer.
//!
//! Measured with `benches/load.sh` before: the outlet detail read its offers with a transaction
//! of its own per request and served 12,492 requests/s, against nearest's 120,180.
//!
//! Offers are never changed or deleted once stored (the same id with other content is a
//! conflict), so a book can only lack offers stored since it was read. Another instance on the
//! same PostgreSQL stores offers without telling this one: those appear here within `MAX_AGE`.

use crate::offers::OfferBook;
use arc_swap::ArcSwapOption;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// How long a book read from the database is used before it is read again.
pub const MAX_AGE: Duration = Duration::from_secs(1);

/// A book and when it was read.
struct Cached {
    book: Arc<OfferBook>,
    /// [`OfferCache::generation`] when the read began.
    generation: u64,
    read_at: Instant,
}

/// The current book, if still good.
#[derive(Default)]
pub(crate) struct OfferCache {
    current: ArcSwapOption<Cached>,
    /// Counts this ledger's offer writes: a book read before the last one is not used.
    generation: AtomicU64,
}

impl OfferCache {
    /// The book, if it was read after this ledger's last offer write and less than
    /// [`MAX_AGE`] ago.
    pub(crate) fn fresh(&self) -> Option<Arc<OfferBook>> {
        let c = self.current.load_full()?;
        (c.generation == self.generation.load(Ordering::SeqCst) && c.read_at.elapsed() < MAX_AGE)
            .then(|| Arc::clone(&c.book))
    }

    /// To call before reading the offers from the database; pass it to [`store`](Self::store).
    pub(crate) fn generation(&self) -> u64 {
        self.generation.load(Ordering::SeqCst)
    }

    /// Keeps a book read from the database after [`generation`](Self::generation) gave
    /// `generation`. A write in between makes it stale at once, so it is read again next time.
    pub(crate) fn store(&self, generation: u64, book: OfferBook) -> Arc<OfferBook> {
        let book = Arc::new(book);
        self.current.store(Some(Arc::new(Cached {
            book: Arc::clone(&book),
            generation,
            read_at: Instant::now(),
        })));
        book
    }

    /// An offer was stored: the current book must not be used again.
    pub(crate) fn invalidate(&self) {
        self.generation.fetch_add(1, Ordering::SeqCst);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_book_read_before_a_write_is_not_used() {
        let c = OfferCache::default();
        assert!(c.fresh().is_none());
        let g = c.generation();
        c.store(g, OfferBook::default());
        assert!(c.fresh().is_some());
        c.invalidate();
        assert!(c.fresh().is_none(), "written since");
        // A read that began before a write finished after it.
        let g = c.generation();
        c.invalidate();
        c.store(g, OfferBook::default());
        assert!(c.fresh().is_none(), "read before the write");
    }
}
