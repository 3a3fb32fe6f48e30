//! The PostgreSQL backend's binding.

use super::sql::{Arg, Row};
use sqlx::postgres::PgArguments;
use sqlx::{Arguments, Postgres, Transaction};

fn bind(args: Vec<Arg>) -> Result<PgArguments, sqlx::Error> {
    let mut a = PgArguments::default();
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
    t: &mut Transaction<'static, Postgres>,
    sql: &str,
    args: Vec<Arg>,
) -> Result<u64, sqlx::Error> {
    let r = sqlx::query_with(sql, bind(args)?).execute(&mut **t).await?;
    Ok(r.rows_affected())
}

pub(crate) async fn fetch(
    t: &mut Transaction<'static, Postgres>,
    sql: &str,
    args: Vec<Arg>,
) -> Result<Vec<Row>, sqlx::Error> {
    let rows = sqlx::query_with(sql, bind(args)?)
        .fetch_all(&mut **t)
        .await?;
    Ok(rows.into_iter().map(Row::Pg).collect())
}
