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

/// The statement with `$n` placeholders as SQLite wants them for speed. When they run `$1, $2, …`
/// in order, each once (every multi-row INSERT), they become anonymous `?`; otherwise `?n`.
///
/// Binding looks each parameter's name up (`sqlite3_bind_parameter_name`, a linear search of
/// the statement's parameter list), which makes a statement of n named or numbered parameters
/// cost O(n²) to bind: measured, a quarter of batched ingest at 600 parameters per INSERT.
/// Anonymous `?` parameters have no name to search for.
fn numbered(sql: &str) -> String {
    let bytes = sql.as_bytes();
    // Pass 1: are the placeholders exactly 1, 2, …, n in order?
    let mut expect = 1u64;
    let mut sequential = true;
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'$' && bytes.get(i + 1).is_some_and(u8::is_ascii_digit) {
            let start = i + 1;
            let mut end = start;
            while end < bytes.len() && bytes[end].is_ascii_digit() {
                end += 1;
            }
            if sql[start..end].parse::<u64>().ok() != Some(expect) {
                sequential = false;
                break;
            }
            expect += 1;
            i = end;
        } else {
            i += 1;
        }
    }
    let mut out = String::with_capacity(sql.len());
    let mut chars = sql.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '$' && chars.peek().is_some_and(|d| d.is_ascii_digit()) {
            out.push('?');
            if sequential {
                while chars.peek().is_some_and(|d| d.is_ascii_digit()) {
                    chars.next();
                }
            }
        } else {
            out.push(c);
        }
    }
    out
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
    let sql = numbered(sql);
    let r = sqlx::query_with(&sql, bind(args)?)
        .execute(&mut **t)
        .await?;
    Ok(r.rows_affected())
}

pub(crate) async fn fetch(
    t: &mut Transaction<'static, Sqlite>,
    sql: &str,
    args: Vec<Arg>,
) -> Result<Vec<Row>, sqlx::Error> {
    let sql = numbered(sql);
    let rows = sqlx::query_with(&sql, bind(args)?)
        .fetch_all(&mut **t)
        .await?;
    Ok(rows.into_iter().map(Row::Sqlite).collect())
}

#[cfg(test)]
mod tests {
    #[test]
    fn dollar_placeholders_become_numbered_question_marks() {
        assert_eq!(
            super::numbered("SELECT 1 WHERE a = $1 AND b IN ($2,$13) AND c = '$'"),
            "SELECT 1 WHERE a = ?1 AND b IN (?2,?13) AND c = '$'"
        );
        assert_eq!(
            super::numbered("SELECT 1 WHERE a = $1 OR b = $1"),
            "SELECT 1 WHERE a = ?1 OR b = ?1"
        );
    }

    #[test]
    fn placeholders_in_order_become_anonymous() {
        assert_eq!(
            super::numbered("INSERT INTO t VALUES ($1,$2),($3,$4) -- '$'"),
            "INSERT INTO t VALUES (?,?),(?,?) -- '$'"
        );
        assert_eq!(super::numbered("SELECT 1"), "SELECT 1");
    }
}
