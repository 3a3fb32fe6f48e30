//! The database connection: SQLite (embedded default) or PostgreSQL, and the migrations.
//!
//! Each backend has its own numbered migrations in `migrations/sqlite` and `migrations/postgres`
//! (same numbers), embedded in the binary and run at start-up.

use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions};
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
    SqliteTransactionManager,
};
use sqlx::TransactionManager;
use std::str::FromStr;
use std::time::Duration;

/// The default database: a SQLite file in the working directory.
pub const DEFAULT_URL: &str = "sqlite://storenet.db";

/// Why the database could not be opened or migrated.
#[derive(Debug, thiserror::Error)]
pub enum DbError {
    /// A URL that is neither `sqlite:` nor `postgres:`.
    #[error("unsupported database URL `{0}`: use sqlite://FILE or postgres://USER@HOST/DB")]
    BadUrl(String),
    /// Connecting failed.
    #[error("cannot open database {url}")]
    Connect {
        /// The URL, without password.
        url: String,
        /// The driver's error.
        #[source]
        source: sqlx::Error,
    },
    /// A migration failed.
    #[error("database migration failed")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    /// A query failed.
    #[error("database error")]
    Sqlx(#[from] sqlx::Error),
}

/// A connection pool to one of the two backends.
#[derive(Debug, Clone)]
pub enum Db {
    /// SQLite: one file, WAL, `synchronous=FULL`.
    Sqlite(SqlitePool),
    /// PostgreSQL.
    Postgres(PgPool),
}

/// The URL with any password replaced by `***`, for logs and errors.
pub fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(s), Some(at)) if at > s => {
            let creds = &url[s + 3..at];
            match creds.find(':') {
                Some(c) => format!("{}{}:***{}", &url[..s + 3], &creds[..c], &url[at..]),
                None => url.to_string(),
            }
        }
        _ => url.to_string(),
    }
}

impl Db {
    /// Opens (creating a SQLite file if needed) and migrates the database at `url`.
    pub async fn open(url: &str) -> Result<Db, DbError> {
        let connect_err = |source| DbError::Connect {
            url: redact(url),
            source,
        };
        let db = if url.starts_with("sqlite:") {
            let opts = SqliteConnectOptions::from_str(url)
                .map_err(connect_err)?
                .create_if_missing(true)
                .journal_mode(SqliteJournalMode::Wal)
                .synchronous(SqliteSynchronous::Full)
                .foreign_keys(true)
                .busy_timeout(Duration::from_secs(10))
                // Pages kept per connection, in KiB (SQLite's default is 2 MB). Measured with
                // `benches/ledger.sh` over 2.2 M households: a random-order backfill 35k -> 42k
                // purchases/s (its inserts into the time index land on pages still held), batched
                // ingest +5 %. At most 8 connections x 64 MB, taken only as pages are read.
                .pragma("cache_size", "-65536");
            let pool = SqlitePoolOptions::new()
                .max_connections(8)
                // SQLite rolls a transaction back by itself on some errors (SQLITE_FULL,
                // SQLITE_IOERR: a full or failing disk); sqlx's own ROLLBACK then fails, its
                // transaction depth stays above zero and every later BEGIN on that connection is
                // refused ("begin_with at non-zero transaction depth"), also once the disk is
                // fine again. Such a connection is closed instead of being handed out.
                .before_acquire(|conn, _| {
                    Box::pin(async move {
                        Ok(SqliteTransactionManager::get_transaction_depth(conn) == 0)
                    })
                })
                .connect_with(opts)
                .await
                .map_err(connect_err)?;
            Db::Sqlite(pool)
        } else if url.starts_with("postgres:") || url.starts_with("postgresql:") {
            let opts = PgConnectOptions::from_str(url).map_err(connect_err)?;
            let pool = PgPoolOptions::new()
                .max_connections(16)
                .acquire_timeout(Duration::from_secs(10))
                .connect_with(opts)
                .await
                .map_err(connect_err)?;
            Db::Postgres(pool)
        } else {
            return Err(DbError::BadUrl(redact(url)));
        };
        db.migrate().await?;
        // Letting the runtime run once here (sqlx returns the migration's connection to the pool
        // in a task of its own) saves a one-shot command about 1 ms: measured, `storenet export
        // --format ov2` 11.2 -> 10.2 ms. Why is not established: the pool still opens a second
        // SQLite connection either way (strace).
        tokio::task::yield_now().await;
        Ok(db)
    }

    /// Closes every connection (waiting for those in use), so a one-shot command leaves no
    /// SQLite WAL behind it and no PostgreSQL session open.
    pub async fn close(&self) {
        match self {
            Db::Sqlite(p) => p.close().await,
            Db::Postgres(p) => p.close().await,
        }
    }

    /// Runs the embedded migrations of this backend.
    pub async fn migrate(&self) -> Result<(), DbError> {
        match self {
            Db::Sqlite(p) => sqlx::migrate!("migrations/sqlite").run(p).await?,
            Db::Postgres(p) => sqlx::migrate!("migrations/postgres").run(p).await?,
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::redact;

    #[test]
    fn redact_hides_the_password_only() {
        assert_eq!(redact("postgres://u:secret@h/db"), "postgres://u:***@h/db");
        assert_eq!(redact("postgres://u@h/db"), "postgres://u@h/db");
        assert_eq!(redact("sqlite://x.db"), "sqlite://x.db");
    }
}
