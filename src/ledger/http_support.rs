//! Small reads the HTTP layer needs beside the [`Ledger`](super::Ledger) trait: where a purchase
//! was made (to check that a retailer or chain key may return goods from it).

use super::error::LedgerError;
use super::sql::{args, Tx};
use super::SqlLedger;
use crate::model::{ChainId, OutletId};
use uuid::Uuid;

impl SqlLedger {
    /// The outlet and chain of the purchase with client key `key`, if the ledger knows it.
    pub async fn purchase_place(
        &self,
        key: Uuid,
    ) -> Result<Option<(OutletId, ChainId)>, LedgerError> {
        let mut tx = Tx::begin_read(self.db()).await?;
        let row = tx
            .one(
                "SELECT outlet, chain FROM ledger_purchases WHERE key = $1",
                args![key],
            )
            .await;
        tx.rollback().await?;
        let Some(r) = row? else {
            return Ok(None);
        };
        let outlet = u32::try_from(r.i64(0)?)
            .map(OutletId)
            .map_err(|_| LedgerError::invalid("outlet", "stored outlet id out of range"))?;
        let chain = ChainId::new(&r.text(1)?)
            .map_err(|e| LedgerError::invalid("chain", format!("stored chain id: {e}")))?;
        Ok(Some((outlet, chain)))
    }
}
