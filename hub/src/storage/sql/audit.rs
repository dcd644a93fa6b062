//! The SQL of [`AuditStore`], and the audit row every audited write adds in its own
//! transaction; compiled once per backend.

use async_trait::async_trait;
use sqlx::Row;

use super::{DbConnection, This};
use crate::domain::{AuditEntry, AuditNote, StaffId};
use crate::error::Error;
use crate::storage::{AuditStore, DbTime};

pub(super) async fn insert_audit(
    conn: &mut DbConnection,
    at: DbTime,
    staff: Option<StaffId>,
    action: &str,
    subject: &str,
    detail: Option<&str>,
) -> Result<(), Error> {
    sqlx::query(
        r#"
        INSERT INTO audit_log (at, staff_id, action, subject, detail)
        VALUES ($1, $2, $3, $4, $5)
        "#,
    )
    .bind(at)
    .bind(staff.map(|s| s.0))
    .bind(action)
    .bind(subject)
    .bind(detail)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Writes `note` as the audit row of `action` on `subject`.
pub(super) async fn write_audit(
    conn: &mut DbConnection,
    at: DbTime,
    note: &AuditNote,
    action: &str,
    subject: &str,
) -> Result<(), Error> {
    insert_audit(conn, at, note.by, action, subject, note.detail.as_deref()).await
}

#[async_trait]
impl AuditStore for This {
    async fn list_audit(&self, limit: i64) -> Result<Vec<AuditEntry>, Error> {
        sqlx::query(
            r#"
            SELECT id, at, staff_id, action, subject, detail
            FROM audit_log
            ORDER BY id DESC
            LIMIT $1
            "#,
        )
        .bind(limit)
        .fetch_all(&self.pool)
        .await?
        .iter()
        .map(|row| {
            Ok(AuditEntry {
                id: row.try_get("id")?,
                at: row.try_get::<DbTime, _>("at")?.0,
                staff: row.try_get::<Option<i64>, _>("staff_id")?.map(StaffId),
                action: row.try_get("action")?,
                subject: row.try_get("subject")?,
                detail: row.try_get("detail")?,
            })
        })
        .collect()
    }
}
