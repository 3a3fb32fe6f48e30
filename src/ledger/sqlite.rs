//! The SQLite backend's binding: one file, WAL, `synchronous=FULL` (set in [`crate::db`]).

use super::sql::{Arg, Row};
use sqlx::sqlite::SqliteArguments;
use sqlx::{Arguments, Sqlite, SqlitePool, Transaction};

/// Starts a write transaction that takes the write lock at once (`BEGIN IMMEDIATE`), so two
/// writers never deadlock upgrading read locks; the busy timeout makes the second wait.
pub(crate) async fn begin_immediate(
    pool: &SqlitePool,
) -> Result<Transaction<'static, Sqlite>, sqlx::Error> {
    pool.begin_with("BEGIN IMMEDIATE").await
}

fn bind(args: Vec<Arg>) -> Result<SqliteArguments<'static>, sqlx::Error> {
    let mut a = SqliteArguments::default();
    for v in args {
        match v {
            Arg::I(x) => a.add(x),
            Arg::OptI(x) => a.add(x),
            Arg::T(x) => a.add(x),
            Arg::B(x) => a.add(x),
            Arg::OptB(x) => a.add(x),
        }
        .map_err(sqlx::Error::Encode)?;
    }
    Ok(a)
}

pub(crate) async fn exec(
    t: &mut Transaction<'static, Sqlite>,
    sql: &str,
    args: Vec<Arg>,
) -> Result<u64, sqlx::Error> {
    let r = sqlx::query_with(sql, bind(args)?).execute(&mut **t).await?;
    Ok(r.rows_affected())
}

pub(crate) async fn fetch(
    t: &mut Transaction<'static, Sqlite>,
    sql: &str,
    args: Vec<Arg>,
) -> Result<Vec<Row>, sqlx::Error> {
    let rows = sqlx::query_with(sql, bind(args)?)
        .fetch_all(&mut **t)
        .await?;
    Ok(rows.into_iter().map(Row::Sqlite).collect())
}
