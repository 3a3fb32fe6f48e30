//! The store's SQL, written once for both backends. [`backend!`] expands it in `sqlite` and in
//! `postgres` with that backend's types: the statements are the same on both (numbered
//! parameters, `ON CONFLICT`), and where they differ the backend passes the difference in
//! (`lock`) or keeps a function of its own (`load`).

pub(super) const OUTLET_COLUMNS: &str =
    "id, name, chain, kind, street, postal_code, city, municipality, lat, lon, phone, \
     opening_hours, services";

pub(super) const KEY_COLUMNS: &str =
    "id, key_hash, prefix, role, scope_kind, scope_id, created_at, revoked_at";

/// The shared functions of a backend module: `$db` is the sqlx database, `$pool` its pool and
/// `$lock` what the statement that reads an outlet before a patch appends to lock its row. The
/// module defines `BATCH`, the rows per multi-row INSERT, within its bound-value limit.
macro_rules! backend {
    ($db:ty, $pool:ty, lock = $lock:literal) => {
        use super::sql::{KEY_COLUMNS, OUTLET_COLUMNS};

        pub(super) async fn import_if_empty(
            pool: &$pool,
            chains: &[super::ChainValues<'_>],
            outlets: &[super::OutletValues<'_>],
        ) -> Result<bool, super::StoreError> {
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
                let mut q: sqlx::QueryBuilder<$db> = sqlx::QueryBuilder::new(
                    "INSERT INTO chains (id, name, category, k_group, colour, icon) ",
                );
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
                let mut q: sqlx::QueryBuilder<$db> =
                    sqlx::QueryBuilder::new(format!("INSERT INTO outlets ({OUTLET_COLUMNS}) "));
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
        pub(super) async fn has_registry(pool: &$pool) -> Result<bool, super::StoreError> {
            let (any,): (bool,) = sqlx::query_as(
                "SELECT EXISTS (SELECT 1 FROM chains) OR EXISTS (SELECT 1 FROM outlets)",
            )
            .fetch_one(pool)
            .await?;
            Ok(any)
        }

        /// The registry's version and the stored snapshot (its version and body), if any.
        pub(super) async fn snapshot(
            pool: &$pool,
        ) -> Result<(i64, Option<(i64, Vec<u8>)>), super::StoreError> {
            let (version, snap_version, body): (i64, Option<i64>, Option<Vec<u8>>) =
                sqlx::query_as(
                    "SELECT v.version, s.version, s.body FROM registry_version v \
                 LEFT JOIN registry_snapshot s ON s.id = 1 WHERE v.id = 1",
                )
                .fetch_one(pool)
                .await?;
            Ok((version, snap_version.zip(body)))
        }

        /// Stores a snapshot made at `version`, unless one of a later version is already there (one
        /// of the same version is replaced: it may be a body that did not decode).
        pub(super) async fn put_snapshot(
            pool: &$pool,
            version: i64,
            body: &[u8],
        ) -> Result<(), super::StoreError> {
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

        #[derive(sqlx::FromRow)]
        struct WithClosed {
            #[sqlx(flatten)]
            row: super::OutletRow,
            closed: bool,
        }

        pub(super) async fn outlet(
            pool: &$pool,
            id: i32,
        ) -> Result<Option<(super::OutletRow, bool)>, super::StoreError> {
            let r: Option<WithClosed> = sqlx::query_as(&format!(
                "SELECT {OUTLET_COLUMNS}, closed FROM outlets WHERE id = $1"
            ))
            .bind(id)
            .fetch_optional(pool)
            .await?;
            Ok(r.map(|r| (r.row, r.closed)))
        }

        pub(super) async fn max_outlet_id(pool: &$pool) -> Result<Option<i64>, super::StoreError> {
            let (max,): (Option<i64>,) =
                sqlx::query_as("SELECT CAST(MAX(id) AS BIGINT) FROM outlets")
                    .fetch_one(pool)
                    .await?;
            Ok(max)
        }

        pub(super) async fn insert_outlet(
            pool: &$pool,
            o: &super::OutletValues<'_>,
        ) -> Result<bool, super::StoreError> {
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
            pool: &$pool,
            id: i32,
            apply: impl FnOnce(super::OutletRow) -> Result<crate::model::Outlet, super::StoreError>,
        ) -> Result<Option<crate::model::Outlet>, super::StoreError> {
            // `$lock` is PostgreSQL's FOR UPDATE: it locks the row, so a concurrent patch waits
            // instead of being overwritten. SQLite has none and needs none: the UPDATE takes
            // the write lock and SQLite serialises writers (BEGIN IMMEDIATE would take it at
            // once).
            let mut tx = pool.begin().await?;
            let row: Option<super::OutletRow> = sqlx::query_as(&format!(
                "SELECT {OUTLET_COLUMNS} FROM outlets WHERE id = $1 AND closed = $2{}",
                $lock
            ))
            .bind(id)
            .bind(false)
            .fetch_optional(&mut *tx)
            .await?;
            let Some(row) = row else {
                return Ok(None);
            };
            let o = apply(row)?;
            let v = super::OutletValues::of(&o)?;
            sqlx::query(
                "UPDATE outlets SET name = $2, chain = $3, kind = $4, street = $5, \
                 postal_code = $6, city = $7, municipality = $8, lat = $9, lon = $10, \
                 phone = $11, opening_hours = $12, services = $13, updated_at = $14 \
                 WHERE id = $1",
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
            .bind(chrono::Utc::now())
            .execute(&mut *tx)
            .await?;
            tx.commit().await?;
            Ok(Some(o))
        }

        pub(super) async fn close_outlet(
            pool: &$pool,
            id: i32,
            now: chrono::DateTime<chrono::Utc>,
        ) -> Result<bool, super::StoreError> {
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

        pub(super) async fn insert_key(
            pool: &$pool,
            k: &super::NewKey,
        ) -> Result<(), super::StoreError> {
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

        pub(super) async fn key_by_hash(
            pool: &$pool,
            hash: &str,
        ) -> Result<Option<super::KeyRow>, super::StoreError> {
            Ok(sqlx::query_as(&format!(
                "SELECT {KEY_COLUMNS} FROM api_keys WHERE key_hash = $1"
            ))
            .bind(hash)
            .fetch_optional(pool)
            .await?)
        }

        pub(super) async fn keys(pool: &$pool) -> Result<Vec<super::KeyRow>, super::StoreError> {
            Ok(
                sqlx::query_as(&format!("SELECT {KEY_COLUMNS} FROM api_keys ORDER BY id"))
                    .fetch_all(pool)
                    .await?,
            )
        }

        pub(super) async fn revoke_key(
            pool: &$pool,
            id: i64,
            now: chrono::DateTime<chrono::Utc>,
        ) -> Result<bool, super::StoreError> {
            let done = sqlx::query(
                "UPDATE api_keys SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL",
            )
            .bind(now)
            .bind(id)
            .execute(pool)
            .await?;
            Ok(done.rows_affected() == 1)
        }
    };
}
pub(super) use backend;
