//! The SQL of [`StaffLinkStore`], compiled once per backend.

use async_trait::async_trait;
use sqlx::Row;

use super::audit::{insert_audit, write_audit};
use super::common::contact_from_row;
use super::staff::get_staff_on;
use super::{DbConnection, This};
use crate::domain::audit::{ISSUE_STAFF_LINK, LINK_STAFF_CHAT};
use crate::domain::{AuditNote, ContactKind, ContactPoint, NormalisedContact, Staff, StaffId};
use crate::error::Error;
use crate::storage::{DbTime, NewStaffLink, StaffLinkChange, StaffLinkRow, StaffLinkStore};

/// Uses the token up and links the chat inside the caller's transaction: the chat leaves any
/// other account, the account's earlier Telegram chat goes, and the new one becomes the
/// account's first contact (so that its notifications go to Telegram first, with its other
/// channels as the fallback). A token used or expired meanwhile fails with `Conflict`.
pub(super) async fn apply_staff_link(
    conn: &mut DbConnection,
    change: &StaffLinkChange,
    now: DbTime,
) -> Result<Staff, Error> {
    let consumed = sqlx::query(
        r#"
        UPDATE staff_links
        SET used_at = $1
        WHERE token_hash = $2
          AND staff_id = $3
          AND used_at IS NULL
          AND expires_at > $1
        "#,
    )
    .bind(now)
    .bind(change.token_hash.as_str())
    .bind(change.staff.id.0)
    .execute(&mut *conn)
    .await?
    .rows_affected();
    if consumed != 1 {
        return Err(Error::Conflict(
            "the staff link was used or expired meanwhile".to_owned(),
        ));
    }
    let chat = change.chat.value();
    let telegram = ContactKind::Telegram.as_str();
    let holders: Vec<i64> = sqlx::query(
        r#"
        SELECT DISTINCT staff_id
        FROM staff_contacts
        WHERE kind = $1
          AND address = $2
          AND staff_id <> $3
        "#,
    )
    .bind(telegram)
    .bind(chat)
    .bind(change.staff.id.0)
    .fetch_all(&mut *conn)
    .await?
    .iter()
    .map(|row| row.try_get("staff_id"))
    .collect::<Result<_, _>>()?;
    sqlx::query(
        r#"
        DELETE FROM staff_contacts
        WHERE kind = $1
          AND address = $2
        "#,
    )
    .bind(telegram)
    .bind(chat)
    .execute(&mut *conn)
    .await?;
    let others = sqlx::query(
        r#"
        SELECT kind, address
        FROM staff_contacts
        WHERE staff_id = $1
          AND kind <> $2
        ORDER BY position
        "#,
    )
    .bind(change.staff.id.0)
    .bind(telegram)
    .fetch_all(&mut *conn)
    .await?
    .iter()
    .map(contact_from_row)
    .collect::<Result<Vec<_>, _>>()?;
    sqlx::query("DELETE FROM staff_contacts WHERE staff_id = $1")
        .bind(change.staff.id.0)
        .execute(&mut *conn)
        .await?;
    let first: ContactPoint = change.chat.clone().into();
    for (position, contact) in std::iter::once(first).chain(others).enumerate() {
        sqlx::query(
            r#"
            INSERT INTO staff_contacts (staff_id, position, kind, address)
            VALUES ($1, $2, $3, $4)
            "#,
        )
        .bind(change.staff.id.0)
        .bind(position as i64)
        .bind(contact.kind.as_str())
        .bind(contact.address.as_str())
        .execute(&mut *conn)
        .await?;
    }
    let mut detail = telegram.to_owned();
    for holder in &holders {
        detail.push_str(&format!("; moved from staff:{holder}"));
    }
    insert_audit(
        &mut *conn,
        now,
        Some(change.staff.id),
        LINK_STAFF_CHAT,
        &format!("staff:{}", change.staff.id),
        Some(&detail),
    )
    .await?;
    get_staff_on(conn, change.staff.id).await
}

#[async_trait]
impl StaffLinkStore for This {
    async fn add_staff_link(&self, link: &NewStaffLink, audit: &AuditNote) -> Result<(), Error> {
        let now = DbTime(self.clock.now());
        let mut tx = self.begin_write().await?;
        sqlx::query(
            r#"
            INSERT INTO staff_links (token_hash, staff_id, created_at, expires_at)
            VALUES ($1, $2, $3, $4)
            "#,
        )
        .bind(link.token_hash.as_str())
        .bind(link.staff.0)
        .bind(now)
        .bind(DbTime(link.expires_at))
        .execute(&mut *tx)
        .await?;
        let note = AuditNote {
            detail: Some(format!("Telegram; until {}", link.expires_at.to_rfc3339())),
            ..audit.clone()
        };
        write_audit(
            &mut tx,
            now,
            &note,
            ISSUE_STAFF_LINK,
            &format!("staff:{}", link.staff),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    async fn get_staff_link(&self, token_hash: &str) -> Result<Option<StaffLinkRow>, Error> {
        sqlx::query(
            r#"
            SELECT staff_id, expires_at, used_at
            FROM staff_links
            WHERE token_hash = $1
            "#,
        )
        .bind(token_hash)
        .fetch_optional(&self.pool)
        .await?
        .map(|row| {
            Ok(StaffLinkRow {
                staff: StaffId(row.try_get("staff_id")?),
                expires_at: row.try_get::<DbTime, _>("expires_at")?.0,
                used_at: row.try_get::<Option<DbTime>, _>("used_at")?.map(|t| t.0),
            })
        })
        .transpose()
    }

    async fn link_staff_chat(&self, change: &StaffLinkChange) -> Result<Staff, Error> {
        let now = DbTime(self.clock.now());
        let mut tx = self.begin_write().await?;
        let staff = apply_staff_link(&mut tx, change, now).await?;
        tx.commit().await?;
        Ok(staff)
    }

    async fn get_staff_by_chat(&self, chat: &NormalisedContact) -> Result<Option<Staff>, Error> {
        let mut conn = self.pool.acquire().await?;
        let found = sqlx::query(
            r#"
            SELECT c.staff_id
            FROM staff_contacts c
            JOIN staff s ON s.id = c.staff_id
            WHERE c.kind = $1
              AND c.address = $2
            ORDER BY s.active DESC, c.staff_id
            LIMIT 1
            "#,
        )
        .bind(chat.kind().as_str())
        .bind(chat.value())
        .fetch_optional(&mut *conn)
        .await?;
        match found {
            Some(row) => Ok(Some(
                get_staff_on(&mut conn, StaffId(row.try_get("staff_id")?)).await?,
            )),
            None => Ok(None),
        }
    }
}
