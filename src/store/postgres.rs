//! The store's SQL for PostgreSQL: the shared statements of [`super::sql::backend!`], and the
//! registry load.

use super::{ChainRow, OutletRow, StoreError};
use sqlx::{PgPool, Postgres};

/// Rows per INSERT: 13 columns × 500 stays far below PostgreSQL's limit of 65,535 bound values.
const BATCH: usize = 500;

super::sql::backend!(Postgres, PgPool, lock = " FOR UPDATE");

pub(super) async fn load(pool: &PgPool) -> Result<(Vec<ChainRow>, Vec<OutletRow>), StoreError> {
    let chains = sqlx::query_as("SELECT id, name, category, k_group, colour, icon FROM chains")
        .fetch_all(pool)
        .await?;
    let outlets = sqlx::query_as(&format!(
        "SELECT {OUTLET_COLUMNS} FROM outlets WHERE closed = $1 ORDER BY id"
    ))
    .bind(false)
    .fetch_all(pool)
    .await?;
    Ok((chains, outlets))
}
