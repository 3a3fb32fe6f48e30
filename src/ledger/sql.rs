//! One transaction over either backend, with dynamically bound values: the ledger's logic is
//! written once over [`Tx`]; each backend's binding lives in `sqlite.rs` / `postgres.rs`.
//!
//! Every statement uses `$n` placeholders, which both SQLite and PostgreSQL accept.

use super::bulk::LOOKUP_CHUNK;
use super::{postgres, sqlite};
use crate::db::Db;
use sqlx::{Postgres, Sqlite, Transaction};

/// A bound value.
#[derive(Debug, Clone)]
pub(crate) enum Arg {
    /// BIGINT / INTEGER.
    I(i64),
    /// A nullable BIGINT.
    OptI(Option<i64>),
    /// TEXT.
    T(String),
    /// BLOB / BYTEA.
    B(Vec<u8>),
    /// A nullable BLOB / BYTEA.
    OptB(Option<Vec<u8>>),
}

impl From<i64> for Arg {
    fn from(v: i64) -> Arg {
        Arg::I(v)
    }
}
impl From<Option<i64>> for Arg {
    fn from(v: Option<i64>) -> Arg {
        Arg::OptI(v)
    }
}
impl From<&str> for Arg {
    fn from(v: &str) -> Arg {
        Arg::T(v.to_string())
    }
}
impl From<String> for Arg {
    fn from(v: String) -> Arg {
        Arg::T(v)
    }
}
impl From<uuid::Uuid> for Arg {
    fn from(v: uuid::Uuid) -> Arg {
        Arg::B(v.as_bytes().to_vec())
    }
}

/// Builds an argument list: `args![a, b, c]`.
macro_rules! args {
    ($($e:expr),* $(,)?) => { vec![$($crate::ledger::sql::Arg::from($e)),*] };
}
pub(crate) use args;

/// A result row of either backend.
pub(crate) enum Row {
    Sqlite(sqlx::sqlite::SqliteRow),
    Pg(sqlx::postgres::PgRow),
}

impl Row {
    pub(crate) fn i64(&self, i: usize) -> Result<i64, sqlx::Error> {
        use sqlx::Row as _;
        match self {
            Row::Sqlite(r) => r.try_get(i),
            Row::Pg(r) => r.try_get(i),
        }
    }
    pub(crate) fn text(&self, i: usize) -> Result<String, sqlx::Error> {
        use sqlx::Row as _;
        match self {
            Row::Sqlite(r) => r.try_get(i),
            Row::Pg(r) => r.try_get(i),
        }
    }
    pub(crate) fn uuid(&self, i: usize) -> Result<uuid::Uuid, sqlx::Error> {
        use sqlx::Row as _;
        let b: Vec<u8> = match self {
            Row::Sqlite(r) => r.try_get(i)?,
            Row::Pg(r) => r.try_get(i)?,
        };
        uuid::Uuid::from_slice(&b).map_err(|e| sqlx::Error::Decode(Box::new(e)))
    }
}

/// An open transaction.
pub(crate) enum Tx {
    Sqlite(Transaction<'static, Sqlite>),
    Pg(Transaction<'static, Postgres>),
}

impl Tx {
    pub(crate) async fn begin(db: &Db) -> Result<Tx, sqlx::Error> {
        Ok(match db {
            Db::Sqlite(p) => Tx::Sqlite(sqlite::begin_immediate(p).await?),
            Db::Postgres(p) => Tx::Pg(p.begin().await?),
        })
    }

    /// A read transaction (SQLite: deferred, so it takes no write lock).
    pub(crate) async fn begin_read(db: &Db) -> Result<Tx, sqlx::Error> {
        Ok(match db {
            Db::Sqlite(p) => Tx::Sqlite(p.begin().await?),
            Db::Postgres(p) => Tx::Pg(p.begin().await?),
        })
    }

    pub(crate) fn is_postgres(&self) -> bool {
        matches!(self, Tx::Pg(_))
    }

    /// Runs a statement; the number of rows it changed.
    pub(crate) async fn exec(&mut self, sql: &str, args: Vec<Arg>) -> Result<u64, sqlx::Error> {
        match self {
            Tx::Sqlite(t) => sqlite::exec(t, sql, args).await,
            Tx::Pg(t) => postgres::exec(t, sql, args).await,
        }
    }

    /// Runs a query; all its rows.
    pub(crate) async fn fetch(
        &mut self,
        sql: &str,
        args: Vec<Arg>,
    ) -> Result<Vec<Row>, sqlx::Error> {
        match self {
            Tx::Sqlite(t) => sqlite::fetch(t, sql, args).await,
            Tx::Pg(t) => postgres::fetch(t, sql, args).await,
        }
    }

    /// The rows of `select` (a `SELECT … FROM table` with no WHERE) whose integer `id` is among
    /// `ids`: one statement per [`LOOKUP_CHUNK`] ids.
    pub(crate) async fn fetch_ids(
        &mut self,
        select: &str,
        ids: &[i64],
    ) -> Result<Vec<Row>, sqlx::Error> {
        let mut rows = Vec::new();
        for chunk in ids.chunks(LOOKUP_CHUNK) {
            let sql = format!("{select} WHERE id IN {}", in_list(chunk.len()));
            let args = chunk.iter().map(|&id| Arg::I(id)).collect();
            rows.extend(self.fetch(&sql, args).await?);
        }
        Ok(rows)
    }

    /// Runs a query; its first row, if any.
    pub(crate) async fn one(
        &mut self,
        sql: &str,
        args: Vec<Arg>,
    ) -> Result<Option<Row>, sqlx::Error> {
        Ok(self.fetch(sql, args).await?.into_iter().next())
    }

    pub(crate) async fn commit(self) -> Result<(), sqlx::Error> {
        match self {
            Tx::Sqlite(t) => t.commit().await,
            Tx::Pg(t) => t.commit().await,
        }
    }

    pub(crate) async fn rollback(self) -> Result<(), sqlx::Error> {
        match self {
            Tx::Sqlite(t) => t.rollback().await,
            Tx::Pg(t) => t.rollback().await,
        }
    }
}

/// `INSERT INTO {head} VALUES ($1,..),(..)` for `rows` rows of `cols` columns, then `tail`.
pub(crate) fn multi_values(head: &str, rows: usize, cols: usize, tail: &str) -> String {
    format!("INSERT INTO {head} VALUES {} {tail}", rows_of(rows, cols))
}

/// `($1,$2,…,$n)` for an `IN` list.
pub(crate) fn in_list(n: usize) -> String {
    rows_of(1, n)
}

/// `($1,..),(..)`: `rows` rows of `cols` placeholders, numbered in order.
pub(crate) fn rows_of(rows: usize, cols: usize) -> String {
    let mut s = String::with_capacity(rows * (cols * 7 + 3));
    let mut n = 1;
    for r in 0..rows {
        if r > 0 {
            s.push(',');
        }
        s.push('(');
        for c in 0..cols {
            if c > 0 {
                s.push(',');
            }
            s.push('$');
            s.push_str(&n.to_string());
            n += 1;
        }
        s.push(')');
    }
    s
}
