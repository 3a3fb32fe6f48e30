//! The store's SQL for SQLite: the shared statements of [`super::sql::backend!`], and the
//! registry load, which reads the outlets as one JSON text.

use super::{ChainRow, OutletRow, StoreError};
use sqlx::{Sqlite, SqlitePool};

/// Rows per INSERT: 13 columns × 500 stays far below SQLite's limit of 32,766 bound values.
const BATCH: usize = 500;

super::sql::backend!(Sqlite, SqlitePool, lock = "");

pub(super) async fn load(pool: &SqlitePool) -> Result<(Vec<ChainRow>, Vec<OutletRow>), StoreError> {
    let chains = sqlx::query_as("SELECT id, name, category, k_group, colour, icon FROM chains")
        .fetch_all(pool)
        .await?;
    // One row holding every open outlet as a JSON array of arrays, built by SQLite and parsed by
    // serde_json: row by row, sqlx copies each value and hands each row across threads, which
    // was most of a registry load (measured: 24 ms of a 32 ms `storenet export` of 3,100
    // outlets). A REAL goes over as the text of 21 significant digits, which reads back exactly
    // (JSON's own 15 digits may not).
    let (json,): (Option<String>,) = sqlx::query_as(
        "SELECT json_group_array(json_array(id, name, chain, kind, street, postal_code, city, \
         municipality, printf('%!.20e', lat), printf('%!.20e', lon), phone, opening_hours, services)) \
         FROM (SELECT * FROM outlets WHERE closed = $1 ORDER BY id)",
    )
    .bind(false)
    .fetch_one(pool)
    .await?;
    let mut outlets: Vec<OutletRow> = match json {
        Some(text) => serde_json::from_str(&text).map_err(|e| StoreError::Corrupt {
            id: 0,
            field: "outlets",
            reason: format!("the outlets as JSON: {e}"),
        })?,
        None => Vec::new(),
    };
    outlets.sort_unstable_by_key(|o| o.id);
    Ok((chains, outlets))
}
