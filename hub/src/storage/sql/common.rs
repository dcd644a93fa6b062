//! Row decoding and statements several aggregates share, compiled once per backend.

use std::str::FromStr;

use sqlx::Row;

use super::{DbConnection, DbRow, This};
use crate::domain::ContactPoint;
use crate::error::Error;
use crate::storage::{DbTime, corrupt};

/// Runs a lease claim (`$1` token, `$2` lease end, `$3` now, `$4` limit, `$5` this instance)
/// in its own write transaction, which commits before the caller works on the rows: no row
/// lock is held across the work.
pub(super) async fn claim(
    store: &This,
    sql: &'static str,
    limit: i64,
    lease: std::time::Duration,
) -> Result<Vec<DbRow>, Error> {
    let now = store.clock.now();
    let until = now + chrono::Duration::from_std(lease).map_err(corrupt)?;
    let token = crate::domain::AccessToken::generate().hash();
    let mut tx = store.begin_write().await?;
    let rows = sqlx::query(sql)
        .bind(token.as_str())
        .bind(DbTime(until))
        .bind(DbTime(now))
        .bind(limit)
        .bind(crate::notification::outbox::instance_name())
        .fetch_all(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(rows)
}

pub(super) fn parse<T: FromStr>(row: &DbRow, column: &str) -> Result<T, Error>
where
    T::Err: std::fmt::Display,
{
    let text: String = row.try_get(column)?;
    text.parse().map_err(|e| corrupt(format!("{column}: {e}")))
}

pub(super) fn parse_opt<T: FromStr>(row: &DbRow, column: &str) -> Result<Option<T>, Error>
where
    T::Err: std::fmt::Display,
{
    let text: Option<String> = row.try_get(column)?;
    text.map(|t| t.parse().map_err(|e| corrupt(format!("{column}: {e}"))))
        .transpose()
}

pub(super) fn count(row: &DbRow, column: &str) -> Result<u32, Error> {
    let n: i64 = row.try_get(column)?;
    u32::try_from(n).map_err(|e| corrupt(format!("{column}: {e}")))
}

pub(super) fn contact_from_row(row: &DbRow) -> Result<ContactPoint, Error> {
    Ok(ContactPoint {
        kind: parse(row, "kind")?,
        address: row.try_get("address")?,
    })
}

pub(super) async fn insert_contacts(
    conn: &mut DbConnection,
    table_sql: &'static str,
    owner: i64,
    contacts: &[ContactPoint],
) -> Result<(), Error> {
    for (position, contact) in contacts.iter().enumerate() {
        sqlx::query(table_sql)
            .bind(owner)
            .bind(position as i64)
            .bind(contact.kind.as_str())
            .bind(contact.address.as_str())
            .execute(&mut *conn)
            .await?;
    }
    Ok(())
}
