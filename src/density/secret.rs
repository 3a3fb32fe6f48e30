//! Where the cell-key secret lives: one row of the database every instance shares
//! (`planning_secret`, migration 0008).
//!
//! Several `storenet serve` instances on one database, and `storenet plan` pointed at it, must
//! derive every cell key from one secret: instances with secrets of their own would give the same
//! set of cells independent perturbations, and an attacker asking each of them could average the
//! noise away. So the secret is created in the database, once: the first caller that finds no row
//! inserts a fresh random secret with `ON CONFLICT DO NOTHING` and every caller reads back the row
//! that won, so callers racing at start-up agree. It is never replaced (a second secret is a
//! second, independent draw of every figure); a row that does not read as a secret is an error,
//! not a reason to write a new one.

use super::KeySecret;
use crate::db::Db;

/// Why the cell-key secret could not be read or created.
#[derive(Debug, thiserror::Error)]
pub enum SecretError {
    /// The database did not answer, or refused the read or the insert.
    #[error("cannot read or create the planning secret in the database")]
    Db(#[from] sqlx::Error),
    /// The stored row is not 64 hex digits (the table's check forbids it; someone changed it by
    /// hand). Never replaced: restore it from a backup.
    #[error(
        "the planning secret stored in the database is not 64 hex digits; restore it from a backup"
    )]
    Damaged,
}

const SELECT: &str = "SELECT secret FROM planning_secret WHERE id = 1";
const INSERT_SQLITE: &str =
    "INSERT INTO planning_secret (id, secret) VALUES (1, ?) ON CONFLICT (id) DO NOTHING";
const INSERT_POSTGRES: &str =
    "INSERT INTO planning_secret (id, secret) VALUES (1, $1) ON CONFLICT (id) DO NOTHING";

/// The database's cell-key secret, created (from the operating system's random source) if it has
/// none yet. Every caller on one database gets the same secret, also callers racing to create it.
pub async fn load_or_create(db: &Db) -> Result<KeySecret, SecretError> {
    if let Some(s) = load(db).await? {
        return Ok(s);
    }
    load_or_insert(db, KeySecret::random()).await
}

/// The database's cell-key secret, `fresh` stored first if it has none yet (a fixed secret for a
/// test, say). Returns the stored secret, which is `fresh` only if no other was there.
pub async fn load_or_insert(db: &Db, fresh: KeySecret) -> Result<KeySecret, SecretError> {
    let hex = fresh.to_hex();
    let inserted = match db {
        Db::Sqlite(p) => {
            let r = sqlx::query(INSERT_SQLITE).bind(&hex).execute(p).await?;
            r.rows_affected()
        }
        Db::Postgres(p) => {
            let r = sqlx::query(INSERT_POSTGRES).bind(&hex).execute(p).await?;
            r.rows_affected()
        }
    };
    if inserted == 1 {
        tracing::info!("created the planning cell-key secret in the database");
    }
    // The row that won, ours or a racing caller's; committed either way, so it is there.
    load(db)
        .await?
        .ok_or(SecretError::Db(sqlx::Error::RowNotFound))
}

/// The stored secret, `None` when there is none yet.
async fn load(db: &Db) -> Result<Option<KeySecret>, SecretError> {
    let text: Option<String> = match db {
        Db::Sqlite(p) => sqlx::query_scalar(SELECT).fetch_optional(p).await?,
        Db::Postgres(p) => sqlx::query_scalar(SELECT).fetch_optional(p).await?,
    };
    text.map(|t| KeySecret::from_hex(&t).ok_or(SecretError::Damaged))
        .transpose()
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn sqlite(dir: &std::path::Path) -> Db {
        Db::open(&format!("sqlite://{}", dir.join("s.db").display()))
            .await
            .unwrap()
    }

    #[tokio::test]
    async fn the_secret_is_created_once_and_kept() {
        let dir = tempfile::tempdir().unwrap();
        let db = sqlite(dir.path()).await;
        assert_eq!(load(&db).await.unwrap(), None);
        let first = load_or_create(&db).await.unwrap();
        assert_eq!(load_or_create(&db).await.unwrap(), first);
        // A later candidate is ignored: the stored secret is never replaced.
        let other = KeySecret::random();
        assert_eq!(load_or_insert(&db, other).await.unwrap(), first);
        // Reopening (a restart) reads the same secret.
        db.close().await;
        assert_eq!(
            load_or_create(&sqlite(dir.path()).await).await.unwrap(),
            first
        );
    }

    #[tokio::test]
    async fn a_secret_damaged_by_hand_is_refused_not_replaced() {
        let dir = tempfile::tempdir().unwrap();
        let db = sqlite(dir.path()).await;
        let Db::Sqlite(p) = &db else { unreachable!() };
        // The table's check refuses anything but 64 lowercase hex digits…
        let bad = sqlx::query("INSERT INTO planning_secret (id, secret) VALUES (1, 'not hex')")
            .execute(p)
            .await;
        assert!(bad.is_err());
        // …and a second row.
        load_or_create(&db).await.unwrap();
        let second = sqlx::query("INSERT INTO planning_secret (id, secret) VALUES (2, ?)")
            .bind(KeySecret::random().to_hex())
            .execute(p)
            .await;
        assert!(second.is_err());
        // A row changed behind the check's back (the check dropped) is an error, and stays.
        let mut conn = p.acquire().await.unwrap();
        sqlx::query("PRAGMA ignore_check_constraints = ON")
            .execute(&mut *conn)
            .await
            .unwrap();
        sqlx::query("UPDATE planning_secret SET secret = 'zz' WHERE id = 1")
            .execute(&mut *conn)
            .await
            .unwrap();
        drop(conn);
        assert!(matches!(
            load_or_create(&db).await,
            Err(SecretError::Damaged)
        ));
        let text: String = sqlx::query_scalar(SELECT).fetch_one(p).await.unwrap();
        assert_eq!(text, "zz");
    }
}
