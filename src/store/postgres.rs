//! The store's SQL for PostgreSQL.

use super::{ChainRow, ChainValues, KeyRow, NewKey, OutletRow, OutletValues, StoreError};
use crate::model::Outlet;
use chrono::{DateTime, Utc};
use sqlx::{PgPool, Postgres, QueryBuilder};

const OUTLET_COLUMNS: &str = "id, name, chain, kind, street, postal_code, city, municipality, \
                              lat, lon, phone, opening_hours, services";

/// Rows per INSERT: 13 columns × 500 stays far below PostgreSQL's limit of 65,535 bound values.
const BATCH: usize = 500;

pub(super) async fn import_if_empty(
    pool: &PgPool,
    chains: &[ChainValues<'_>],
    outlets: &[OutletValues<'_>],
) -> Result<bool, StoreError> {
    let mut tx = pool.begin().await?;
    let (n_chains,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM chains")
        .fetch_one(&mut *tx)
        .await?;
    let (n_outlets,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM outlets")
        .fetch_one(&mut *tx)
        .await?;
    if n_chains > 0 || n_outlets > 0 {
        return Ok(false);
    }
    for batch in chains.chunks(BATCH) {
        let mut q: QueryBuilder<Postgres> =
            QueryBuilder::new("INSERT INTO chains (id, name, category, k_group, colour, icon) ");
        q.push_values(batch, |mut b, c| {
            b.push_bind(c.id)
                .push_bind(c.name)
                .push_bind(c.category)
                .push_bind(c.k_group)
                .push_bind(&c.colour)
                .push_bind(&c.icon);
        });
        q.build().execute(&mut *tx).await?;
    }
    for batch in outlets.chunks(BATCH) {
        let mut q: QueryBuilder<Postgres> =
            QueryBuilder::new(format!("INSERT INTO outlets ({OUTLET_COLUMNS}) "));
        q.push_values(batch, |mut b, o| {
            b.push_bind(o.id)
                .push_bind(o.name)
                .push_bind(o.chain)
                .push_bind(o.kind)
                .push_bind(o.street)
                .push_bind(o.postal_code)
                .push_bind(o.city)
                .push_bind(&o.municipality)
                .push_bind(o.lat)
                .push_bind(o.lon)
                .push_bind(o.phone)
                .push_bind(&o.opening_hours)
                .push_bind(&o.services);
        });
        q.build().execute(&mut *tx).await?;
    }
    tx.commit().await?;
    Ok(true)
}

/// Whether the registry holds any chain or outlet (EXISTS: no count over the whole table).
pub(super) async fn has_registry(pool: &PgPool) -> Result<bool, StoreError> {
    let (any,): (bool,) =
        sqlx::query_as("SELECT EXISTS (SELECT 1 FROM chains) OR EXISTS (SELECT 1 FROM outlets)")
            .fetch_one(pool)
            .await?;
    Ok(any)
}

/// The registry's version and the stored snapshot (its version and body), if any.
pub(super) async fn snapshot(pool: &PgPool) -> Result<(i64, Option<(i64, Vec<u8>)>), StoreError> {
    let (version, snap_version, body): (i64, Option<i64>, Option<Vec<u8>>) = sqlx::query_as(
        "SELECT v.version, s.version, s.body FROM registry_version v \
         LEFT JOIN registry_snapshot s ON s.id = 1 WHERE v.id = 1",
    )
    .fetch_one(pool)
    .await?;
    Ok((version, snap_version.zip(body)))
}

/// Stores a snapshot made at `version`, unless one of a later version is already there (one of
/// the same version is replaced: it may be a body that did not decode).
pub(super) async fn put_snapshot(
    pool: &PgPool,
    version: i64,
    body: &[u8],
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO registry_snapshot (id, version, body) VALUES (1, $1, $2) \
         ON CONFLICT (id) DO UPDATE SET version = excluded.version, body = excluded.body \
         WHERE excluded.version >= registry_snapshot.version",
    )
    .bind(version)
    .bind(body)
    .execute(pool)
    .await?;
    Ok(())
}

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

#[derive(sqlx::FromRow)]
struct WithClosed {
    #[sqlx(flatten)]
    row: OutletRow,
    closed: bool,
}

pub(super) async fn outlet(
    pool: &PgPool,
    id: i32,
) -> Result<Option<(OutletRow, bool)>, StoreError> {
    let r: Option<WithClosed> = sqlx::query_as(&format!(
        "SELECT {OUTLET_COLUMNS}, closed FROM outlets WHERE id = $1"
    ))
    .bind(id)
    .fetch_optional(pool)
    .await?;
    Ok(r.map(|r| (r.row, r.closed)))
}

pub(super) async fn max_outlet_id(pool: &PgPool) -> Result<Option<i64>, StoreError> {
    let (max,): (Option<i64>,) = sqlx::query_as("SELECT CAST(MAX(id) AS BIGINT) FROM outlets")
        .fetch_one(pool)
        .await?;
    Ok(max)
}

pub(super) async fn insert_outlet(pool: &PgPool, o: &OutletValues<'_>) -> Result<bool, StoreError> {
    let done = sqlx::query(&format!(
        "INSERT INTO outlets ({OUTLET_COLUMNS}) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13) \
         ON CONFLICT (id) DO NOTHING"
    ))
    .bind(o.id)
    .bind(o.name)
    .bind(o.chain)
    .bind(o.kind)
    .bind(o.street)
    .bind(o.postal_code)
    .bind(o.city)
    .bind(&o.municipality)
    .bind(o.lat)
    .bind(o.lon)
    .bind(o.phone)
    .bind(&o.opening_hours)
    .bind(&o.services)
    .execute(pool)
    .await?;
    Ok(done.rows_affected() == 1)
}

pub(super) async fn update_outlet(
    pool: &PgPool,
    id: i32,
    apply: impl FnOnce(OutletRow) -> Result<Outlet, StoreError>,
) -> Result<Option<Outlet>, StoreError> {
    // FOR UPDATE locks the row so a concurrent patch waits instead of being overwritten.
    let mut tx = pool.begin().await?;
    let row: Option<OutletRow> = sqlx::query_as(&format!(
        "SELECT {OUTLET_COLUMNS} FROM outlets WHERE id = $1 AND closed = $2 FOR UPDATE"
    ))
    .bind(id)
    .bind(false)
    .fetch_optional(&mut *tx)
    .await?;
    let Some(row) = row else {
        return Ok(None);
    };
    let o = apply(row)?;
    let v = OutletValues::of(&o)?;
    sqlx::query(
        "UPDATE outlets SET name = $2, chain = $3, kind = $4, street = $5, postal_code = $6, \
         city = $7, municipality = $8, lat = $9, lon = $10, phone = $11, opening_hours = $12, \
         services = $13, updated_at = $14 WHERE id = $1",
    )
    .bind(v.id)
    .bind(v.name)
    .bind(v.chain)
    .bind(v.kind)
    .bind(v.street)
    .bind(v.postal_code)
    .bind(v.city)
    .bind(&v.municipality)
    .bind(v.lat)
    .bind(v.lon)
    .bind(v.phone)
    .bind(&v.opening_hours)
    .bind(&v.services)
    .bind(Utc::now())
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(Some(o))
}

pub(super) async fn close_outlet(
    pool: &PgPool,
    id: i32,
    now: DateTime<Utc>,
) -> Result<bool, StoreError> {
    let done = sqlx::query(
        "UPDATE outlets SET closed = $1, updated_at = $2 WHERE id = $3 AND closed = $4",
    )
    .bind(true)
    .bind(now)
    .bind(id)
    .bind(false)
    .execute(pool)
    .await?;
    Ok(done.rows_affected() == 1)
}

pub(super) async fn insert_key(pool: &PgPool, k: &NewKey) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO api_keys (key_hash, prefix, role, scope_kind, scope_id, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(&k.hash)
    .bind(&k.prefix)
    .bind(k.role)
    .bind(k.scope_kind)
    .bind(&k.scope_id)
    .bind(k.created_at)
    .execute(pool)
    .await?;
    Ok(())
}

const KEY_COLUMNS: &str =
    "id, key_hash, prefix, role, scope_kind, scope_id, created_at, revoked_at";

pub(super) async fn key_by_hash(pool: &PgPool, hash: &str) -> Result<Option<KeyRow>, StoreError> {
    Ok(sqlx::query_as(&format!(
        "SELECT {KEY_COLUMNS} FROM api_keys WHERE key_hash = $1"
    ))
    .bind(hash)
    .fetch_optional(pool)
    .await?)
}

pub(super) async fn keys(pool: &PgPool) -> Result<Vec<KeyRow>, StoreError> {
    Ok(
        sqlx::query_as(&format!("SELECT {KEY_COLUMNS} FROM api_keys ORDER BY id"))
            .fetch_all(pool)
            .await?,
    )
}

pub(super) async fn revoke_key(
    pool: &PgPool,
    id: i64,
    now: DateTime<Utc>,
) -> Result<bool, StoreError> {
    let done =
        sqlx::query("UPDATE api_keys SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL")
            .bind(now)
            .bind(id)
            .execute(pool)
            .await?;
    Ok(done.rows_affected() == 1)
}
