//! The SQL of [`InboundStore`], compiled once per backend.

use std::sync::LazyLock;

use async_trait::async_trait;
use sqlx::Row;

use super::SKIP_LOCKED;
use super::cases::{apply_information, apply_progress, apply_publication, insert_case};
use super::chats::apply_chat_change;
use super::common::{claim, count, parse};
use super::follows::{apply_follow, apply_unfollow};
use super::messages::{apply_message, apply_read};
use super::outbox::{insert_notifications, record_bounce};
use super::ratings::apply_rating;
use super::staff_links::apply_staff_link;
use super::work::apply_task_change;
use super::{DbConnection, DbRow, This};
use crate::domain::{ExternalKey, InboundFailure, InboundRow, InboundStatus, NewInbound, Received};
use crate::error::Error;
use crate::storage::{Completed, DbTime, InboundCompletion, InboundEffect, InboundStore};

/// The columns `inbound_from_row` reads.
macro_rules! inbound_columns {
    () => {
        r#"
        id, source, external_key, received_at, status, attempts, due_at, lease_token, claimed_by,
        last_error, payload, sealed, processed_at
        "#
    };
}

/// Claims due rows under a lease, oldest first; PostgreSQL skips rows another instance holds.
static CLAIM_SQL: LazyLock<String> = LazyLock::new(|| {
    format!(
        r#"
        UPDATE inbound
        SET status = 'processing', lease_token = $1, lease_until = $2, due_at = $2,
            attempts = attempts + 1, updated_at = $3, claimed_by = $5
        WHERE id IN (
            SELECT id
            FROM inbound
            WHERE status IN ('new', 'processing')
              AND due_at <= $3
            ORDER BY id
            LIMIT $4
            {SKIP_LOCKED}
        )
        RETURNING {}
        "#,
        inbound_columns!()
    )
});

fn inbound_from_row(row: &DbRow) -> Result<InboundRow, Error> {
    Ok(InboundRow {
        id: row.try_get("id")?,
        source: parse(row, "source")?,
        key: ExternalKey::from_stored(row.try_get("external_key")?),
        received_at: row.try_get::<DbTime, _>("received_at")?.0,
        status: parse(row, "status")?,
        attempts: count(row, "attempts")?,
        due_at: row.try_get::<DbTime, _>("due_at")?.0,
        lease_token: row.try_get("lease_token")?,
        claimed_by: row.try_get("claimed_by")?,
        last_error: row.try_get("last_error")?,
        payload: row.try_get("payload")?,
        sealed: row.try_get("sealed")?,
        processed_at: row
            .try_get::<Option<DbTime>, _>("processed_at")?
            .map(|t| t.0),
    })
}

/// Marks a claimed row done, fenced by its lease token; a sealed row loses its payload.
async fn mark_done(
    conn: &mut DbConnection,
    now: DbTime,
    row: &InboundRow,
    seal: bool,
) -> Result<bool, Error> {
    let updated = sqlx::query(
        r#"
        UPDATE inbound
        SET status = 'done', processed_at = $1, updated_at = $1, last_error = NULL,
            lease_token = NULL, lease_until = NULL,
            sealed = (sealed OR $2),
            payload = CASE WHEN sealed OR $2 THEN NULL ELSE payload END
        WHERE id = $3
          AND lease_token = $4
        "#,
    )
    .bind(now)
    .bind(seal)
    .bind(row.id)
    .bind(row.lease_token.as_deref().unwrap_or_default())
    .execute(&mut *conn)
    .await?
    .rows_affected();
    Ok(updated == 1)
}

#[async_trait]
impl InboundStore for This {
    async fn inbound_mail_seen(&self, mail_key: &str) -> Result<bool, Error> {
        let mut conn = self.pool.acquire().await?;
        let found: Option<i64> =
            sqlx::query_scalar("SELECT inbound_id FROM inbound_mail WHERE mail_key = $1")
                .bind(mail_key)
                .fetch_optional(&mut *conn)
                .await?;
        Ok(found.is_some())
    }

    async fn add_inbound(&self, message: NewInbound) -> Result<Received, Error> {
        let now = DbTime(self.clock.now());
        let mut tx = self.begin_write().await?;
        let inserted = sqlx::query(
            r#"
            INSERT INTO inbound (
                source, external_key, received_at, status, attempts, due_at, payload, sealed,
                updated_at)
            VALUES ($1, $2, $3, 'new', 0, $3, $4, $5, $3)
            ON CONFLICT (source, external_key) DO NOTHING
            RETURNING id
            "#,
        )
        .bind(message.source.as_str())
        .bind(message.key.as_str())
        .bind(now)
        .bind(message.payload.as_slice())
        .bind(message.sealed)
        .fetch_optional(&mut *tx)
        .await?;
        let received = match inserted {
            Some(row) => Received {
                id: row.try_get("id")?,
                fresh: true,
            },
            None => Received {
                id: sqlx::query("SELECT id FROM inbound WHERE source = $1 AND external_key = $2")
                    .bind(message.source.as_str())
                    .bind(message.key.as_str())
                    .fetch_one(&mut *tx)
                    .await?
                    .try_get("id")?,
                fresh: false,
            },
        };
        tx.commit().await?;
        Ok(received)
    }

    async fn claim_inbound(
        &self,
        limit: i64,
        lease: std::time::Duration,
    ) -> Result<Vec<InboundRow>, Error> {
        let mut rows = claim(self, CLAIM_SQL.as_str(), limit, lease)
            .await?
            .iter()
            .map(inbound_from_row)
            .collect::<Result<Vec<_>, _>>()?;
        // RETURNING gives no order; the handlers see the oldest first.
        rows.sort_by_key(|r| r.id);
        Ok(rows)
    }

    async fn complete_inbound(
        &self,
        row: &InboundRow,
        completion: InboundCompletion,
    ) -> Result<Completed, Error> {
        let now = DbTime(self.clock.now());
        let mut tx = self.begin_write().await?;
        // The fence first: on PostgreSQL it also locks the row until commit, so a worker that
        // takes the row over after this point waits, and then finds it done.
        let seal = completion.seal
            || matches!(&completion.effect, InboundEffect::Case(r) if r.case.denouncer.is_some());
        if !mark_done(&mut tx, now, row, seal).await? {
            return Ok(Completed::LeaseLost);
        }
        let case = match completion.effect {
            InboundEffect::Nothing => None,
            InboundEffect::Case(mut record) => {
                record.case.source_ref = Some(format!("inbound:{}", row.id));
                Some(Box::new(insert_case(&mut tx, now, *record).await?))
            }
            InboundEffect::Progress(change) => {
                apply_progress(&mut tx, &change, now).await?;
                None
            }
            InboundEffect::Rating(change) => {
                apply_rating(&mut tx, &change, now).await?;
                None
            }
            InboundEffect::Follow(change) => {
                apply_follow(&mut tx, &change, now).await?;
                None
            }
            InboundEffect::Unfollow(change) => {
                apply_unfollow(&mut tx, &change, now).await?;
                None
            }
            InboundEffect::StaffLink(change) => {
                apply_staff_link(&mut tx, &change, now).await?;
                None
            }
            InboundEffect::Information(change) => {
                apply_information(&mut tx, &change, now).await?;
                None
            }
            InboundEffect::Publication(change) => {
                apply_publication(&mut tx, &change, now).await?;
                None
            }
            InboundEffect::Message(change) => {
                let source_ref = format!("inbound:{}", row.id);
                apply_message(&mut tx, &change, Some(&source_ref), now).await?;
                None
            }
            InboundEffect::MessageRead(change) => {
                apply_read(&mut tx, &change, now).await?;
                None
            }
            InboundEffect::Task(change) => {
                apply_task_change(&mut tx, &change, now).await?;
                None
            }
            InboundEffect::Bounce(change) => {
                record_bounce(&mut tx, now, change.outbox_id, &change.error).await?;
                None
            }
        };
        if let Some(key) = &completion.mail_key {
            let taken = sqlx::query(
                "INSERT INTO inbound_mail (mail_key, inbound_id, created_at) VALUES ($1, $2, $3) \
                 ON CONFLICT (mail_key) DO NOTHING",
            )
            .bind(key)
            .bind(row.id)
            .bind(now)
            .execute(&mut *tx)
            .await?
            .rows_affected();
            if taken == 0 {
                // Another row took the same mail in meanwhile; dropping the transaction undoes
                // this one's effect.
                return Err(Error::Conflict(format!(
                    "inbound message {} is a mail already taken in",
                    row.id
                )));
            }
        }
        if let Some(change) = &completion.chat {
            apply_chat_change(&mut tx, change, now).await?;
        }
        let event_key = format!("inbound:{}", row.id);
        let case_id = case.as_ref().map(|c| c.case.id);
        insert_notifications(&mut tx, &event_key, case_id, &completion.replies, now).await?;
        tx.commit().await?;
        Ok(Completed::Done { case })
    }

    async fn fail_inbound(&self, row: &InboundRow, failure: InboundFailure) -> Result<bool, Error> {
        let now = DbTime(self.clock.now());
        let due_at = match &failure {
            InboundFailure::Retry { due_at, .. } => Some(DbTime(*due_at)),
            _ => None,
        };
        let mut tx = self.begin_write().await?;
        let updated = sqlx::query(
            r#"
            UPDATE inbound
            SET status = $1, due_at = COALESCE($2, due_at), last_error = $3, updated_at = $4,
                lease_token = NULL, lease_until = NULL
            WHERE id = $5
              AND lease_token = $6
            "#,
        )
        .bind(failure.status().as_str())
        .bind(due_at)
        .bind(failure.error())
        .bind(now)
        .bind(row.id)
        .bind(row.lease_token.as_deref().unwrap_or_default())
        .execute(&mut *tx)
        .await?
        .rows_affected();
        tx.commit().await?;
        Ok(updated == 1)
    }

    async fn purge_inbound_payloads(
        &self,
        before: chrono::DateTime<chrono::Utc>,
    ) -> Result<u64, Error> {
        let mut tx = self.begin_write().await?;
        let purged = sqlx::query(
            r#"
            UPDATE inbound
            SET payload = NULL
            WHERE status = 'done'
              AND processed_at < $1
              AND payload IS NOT NULL
            "#,
        )
        .bind(DbTime(before))
        .execute(&mut *tx)
        .await?
        .rows_affected();
        tx.commit().await?;
        Ok(purged)
    }

    async fn get_inbound(&self, id: i64) -> Result<InboundRow, Error> {
        let row = sqlx::query(concat!(
            "SELECT ",
            inbound_columns!(),
            " FROM inbound WHERE id = $1"
        ))
        .bind(id)
        .fetch_optional(&self.pool)
        .await?
        .ok_or(Error::NotFound("inbound message"))?;
        inbound_from_row(&row)
    }

    async fn count_inbound(&self) -> Result<Vec<(InboundStatus, i64)>, Error> {
        sqlx::query("SELECT status, COUNT(*) AS n FROM inbound GROUP BY status ORDER BY status")
            .fetch_all(&self.pool)
            .await?
            .iter()
            .map(|row| Ok((parse(row, "status")?, row.try_get("n")?)))
            .collect()
    }
}
