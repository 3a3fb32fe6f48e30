//! The ledger's errors.

use super::types::{CardId, HouseholdId};
use uuid::Uuid;

/// Why a ledger call was refused or failed. Refusals write nothing.
#[derive(Debug, thiserror::Error)]
pub enum LedgerError {
    /// The key was used before for a different write (HTTP 409).
    #[error("idempotency key {0} was already used for a different write")]
    Conflict(String),
    /// A card the ledger does not know.
    #[error("unknown card {0}")]
    UnknownCard(CardId),
    /// A household the ledger does not know.
    #[error("unknown household {0}")]
    UnknownHousehold(HouseholdId),
    /// A return refers to a purchase the ledger does not know.
    #[error("unknown purchase {0}")]
    UnknownPurchase(Uuid),
    /// A return of more than is left of the purchase.
    #[error(
        "return of {requested} cents exceeds the {remaining} cents left of purchase {purchase}"
    )]
    ReturnExceedsPurchase {
        /// The purchase.
        purchase: Uuid,
        /// Cents not yet returned.
        remaining: i64,
        /// Cents asked.
        requested: i64,
    },
    /// A redemption or correction would take a balance below zero.
    #[error("household {household} has {available} {unit}; {requested} asked")]
    Insufficient {
        /// Whose.
        household: HouseholdId,
        /// `points` or `cents`.
        unit: &'static str,
        /// What is there.
        available: i64,
        /// What was asked.
        requested: i64,
    },
    /// A write dated in a month whose month end (or a later month's) has run.
    #[error("month {0} is closed: its month end, or a later month's, has run")]
    MonthClosed(String),
    /// A value out of range (amounts, dates, percentages).
    #[error("invalid {field}: {reason}")]
    Invalid {
        /// Which field.
        field: &'static str,
        /// What is wrong.
        reason: String,
    },
    /// One item of an all-or-nothing batch was refused; nothing of the batch was written.
    #[error("item {index} of the batch: {source}")]
    BatchItem {
        /// 0-based position in the batch.
        index: usize,
        /// Why.
        #[source]
        source: Box<LedgerError>,
    },
    /// The writer task is gone (the runtime is shutting down).
    #[error("the ledger writer has stopped")]
    WriterStopped,
    /// The database failed.
    #[error("ledger database error")]
    Db(#[from] sqlx::Error),
    /// The database could not be opened.
    #[error(transparent)]
    Open(#[from] crate::db::DbError),
    /// A stored document could not be read back.
    #[error("corrupt stored ledger document")]
    Corrupt(#[from] serde_json::Error),
}

impl LedgerError {
    pub(crate) fn invalid(field: &'static str, reason: impl Into<String>) -> LedgerError {
        LedgerError::Invalid {
            field,
            reason: reason.into(),
        }
    }
}
