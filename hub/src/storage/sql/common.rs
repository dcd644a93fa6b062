//! Row decoding and statements several aggregates share, compiled once per backend.

use std::str::FromStr;

use sqlx::Row;

use super::{DbConnection, DbRow};
use crate::domain::ContactPoint;
use crate::error::Error;
use crate::storage::corrupt;

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
