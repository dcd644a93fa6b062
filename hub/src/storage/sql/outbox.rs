//! The SQL of [`OutboxStore`], compiled once per backend.

use std::sync::{Arc, LazyLock};

use async_trait::async_trait;
use sqlx::Row;

use super::audit::write_audit;
use super::citizens::mark_unreachable;
use super::common::{claim, count, parse};
use super::{CLAIM_INDEX, DbConnection, DbRow, NOTIFY_SQL, SKIP_LOCKED, This};
use crate::domain::audit::RETRY_OUTBOX;
use crate::domain::{AuditNote, CaseId};
use crate::error::Error;
use crate::notification::outbox::{
    Destination, NewNotification, OutboxRow, OutboxStatus, Outcome, Target,
};
use crate::notification::telegram::{MESSAGE_LIMIT, escape_html, split_html};
use crate::notification::{ChannelKind, TelegramMessage};
use crate::storage::{DbTime, OutboxStore, corrupt};

/// The columns `outbox_from_row` reads.
macro_rules! outbox_columns {
    () => {
        r#"
        id, dedupe_key, channel, address, sealed, category, urgent, case_id, has_email, subject,
        body_text, body_html, message_id, in_reply_to, reference_ids, list_unsubscribe, reply_to,
        telegram_parts, telegram_keyboard, telegram_thread, parts_sent, provider_ids, fallback,
        status, attempts, due_at, lease_token, claimed_by, last_error, sent_at, created_at
        "#
    };
}

/// The columns an enqueued row is inserted with, in this order.
macro_rules! outbox_insert {
    () => {
        r#"
        INSERT INTO outbox (
            dedupe_key, channel, address, sealed, category, urgent, case_id, subject, body_text,
            body_html, message_id, in_reply_to, reference_ids, list_unsubscribe, fallback, due_at,
            status, attempts, created_at, updated_at, has_email, telegram_parts,
            telegram_keyboard, telegram_thread, reply_to)
        "#
    };
}

/// Claims due rows under a lease; PostgreSQL skips rows another instance holds locked.
static CLAIM_SQL: LazyLock<String> = LazyLock::new(|| {
    format!(
        r#"
        UPDATE outbox
        SET status = 'sending', lease_token = $1, lease_until = $2, due_at = $2,
            attempts = attempts + 1, updated_at = $3, claimed_by = $5
        WHERE id IN (
            SELECT id
            FROM outbox {CLAIM_INDEX}
            WHERE status IN ('queued', 'sending')
              AND due_at <= $3
            ORDER BY urgent DESC, due_at, id
            LIMIT $4
            {SKIP_LOCKED}
        )
        RETURNING {}
        "#,
        outbox_columns!()
    )
});

fn outbox_from_row(row: &DbRow) -> Result<OutboxRow, Error> {
    let references: String = row.try_get("reference_ids")?;
    let fallback: String = row.try_get("fallback")?;
    let channel: ChannelKind = parse(row, "channel")?;
    let has_email: bool = row.try_get("has_email")?;
    let parts: Option<String> = row.try_get("telegram_parts")?;
    let keyboard: Option<String> = row.try_get("telegram_keyboard")?;
    let thread: Option<String> = row.try_get("telegram_thread")?;
    let mut telegram = parts
        .map(|parts| {
            Ok::<_, Error>(TelegramMessage {
                parts: json(&parts, "telegram_parts")?,
                keyboard: keyboard
                    .as_deref()
                    .map(|k| json(k, "telegram_keyboard"))
                    .transpose()?
                    .unwrap_or_default(),
                thread: thread
                    .as_deref()
                    .map(|t| json(t, "telegram_thread"))
                    .transpose()?,
            })
        })
        .transpose()?;
    if telegram.is_none() && channel == ChannelKind::Telegram && has_email {
        // A row queued before Telegram had templates of its own: its text is all there is.
        let subject: String = row.try_get("subject")?;
        let text: String = row.try_get("body_text")?;
        let plain = [subject.trim(), text.trim()].join("\n\n");
        telegram = Some(TelegramMessage {
            parts: split_html(&escape_html(plain.trim()), MESSAGE_LIMIT),
            ..TelegramMessage::default()
        });
    }
    let provider_ids: String = row.try_get("provider_ids")?;
    Ok(OutboxRow {
        id: row.try_get("id")?,
        dedupe_key: row.try_get("dedupe_key")?,
        channel,
        address: row.try_get("address")?,
        sealed: row.try_get("sealed")?,
        category: parse(row, "category")?,
        urgent: row.try_get("urgent")?,
        case_id: row.try_get::<Option<i64>, _>("case_id")?.map(CaseId),
        has_email,
        subject: row.try_get("subject")?,
        text: row.try_get("body_text")?,
        html: row.try_get("body_html")?,
        message_id: row.try_get("message_id")?,
        in_reply_to: row.try_get("in_reply_to")?,
        references: references.split_whitespace().map(str::to_owned).collect(),
        list_unsubscribe: row.try_get("list_unsubscribe")?,
        reply_to: row.try_get("reply_to")?,
        telegram,
        parts_sent: count(row, "parts_sent")?,
        provider_ids: json(&provider_ids, "provider_ids")?,
        fallback: json(&fallback, "fallback")?,
        status: parse(row, "status")?,
        attempts: count(row, "attempts")?,
        due_at: row.try_get::<DbTime, _>("due_at")?.0,
        lease_token: row.try_get("lease_token")?,
        claimed_by: row.try_get("claimed_by")?,
        last_error: row.try_get("last_error")?,
        sent_at: row.try_get::<Option<DbTime>, _>("sent_at")?.map(|t| t.0),
        created_at: row.try_get::<DbTime, _>("created_at")?.0,
    })
}

fn json<T: serde::de::DeserializeOwned>(text: &str, column: &str) -> Result<T, Error> {
    serde_json::from_str(text).map_err(|e| corrupt(format!("outbox.{column}: {e}")))
}

/// Inserts notifications with dedupe keys `<event_key>:<key>`, skipping keys already
/// stored; returns how many rows were added.
pub(super) async fn insert_notifications(
    conn: &mut DbConnection,
    event_key: &str,
    case: Option<CaseId>,
    notifications: &[NewNotification],
    now: DbTime,
) -> Result<u64, Error> {
    let mut added = 0;
    for n in notifications {
        let dedupe_key = format!("{event_key}:{}", n.key);
        let (first, rest): (Option<&Destination>, &[Destination]) = match &n.to {
            Target::Contacts(list) => (list.first(), list.get(1..).unwrap_or_default()),
            Target::Denouncer => (None, &[]),
        };
        let fallback = serde_json::to_string(rest).map_err(corrupt)?;
        let query = match (&n.to, first) {
            (Target::Contacts(_), None) => continue,
            (Target::Contacts(_), Some(dest)) => sqlx::query(concat!(
                outbox_insert!(),
                r#"
                VALUES ($1, $2, $3, FALSE, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15,
                        CASE WHEN $17 THEN 'suppressed' ELSE 'queued' END, 0, $16, $16,
                        $18, $19, $20, $21, $22)
                ON CONFLICT (dedupe_key) DO NOTHING
                "#
            ))
            .bind(dedupe_key)
            .bind(dest.channel.as_str())
            .bind(dest.address.as_str()),
            // Only the channel is read from the sealed identity; the address stays there and
            // is joined in when the row is claimed for sending.
            (Target::Denouncer, _) => sqlx::query(concat!(
                outbox_insert!(),
                r#"
                SELECT $1, contact_kind, '', TRUE, $4, $5, $6, $7, $8, $9, $10,
                       $11, $12, $13, $14, $15,
                       CASE WHEN $17 THEN 'suppressed' ELSE 'queued' END, 0, $16, $16,
                       $18, $19, $20, $21, $22
                FROM denouncer_identities
                WHERE case_id = $6
                  AND contact_kind IN ('email', 'telegram')
                  -- $2 and $3 carry a contact row's destination; both are empty here.
                  AND $2 = $3
                ON CONFLICT (dedupe_key) DO NOTHING
                "#
            ))
            .bind(dedupe_key)
            .bind("")
            .bind(""),
        };
        let email = n.email.clone().unwrap_or_default();
        let references = email.references.join(" ");
        let telegram_parts = n
            .telegram
            .as_ref()
            .map(|t| serde_json::to_string(&t.parts))
            .transpose()
            .map_err(corrupt)?;
        let telegram_keyboard = n
            .telegram
            .as_ref()
            .filter(|t| !t.keyboard.is_empty())
            .map(|t| serde_json::to_string(&t.keyboard))
            .transpose()
            .map_err(corrupt)?;
        let telegram_thread = n
            .telegram
            .as_ref()
            .and_then(|t| t.thread.as_ref())
            .map(serde_json::to_string)
            .transpose()
            .map_err(corrupt)?;
        added += query
            .bind(n.category.as_str())
            .bind(n.urgent)
            .bind(case.map(|c| c.0))
            .bind(email.subject)
            .bind(email.text)
            .bind(email.html)
            .bind(email.message_id)
            .bind(email.in_reply_to)
            .bind(references)
            .bind(email.list_unsubscribe)
            .bind(fallback)
            .bind(DbTime(n.due_at))
            .bind(now)
            .bind(n.suppressed)
            .bind(n.email.is_some())
            .bind(telegram_parts)
            .bind(telegram_keyboard)
            .bind(telegram_thread)
            .bind(email.reply_to)
            .execute(&mut *conn)
            .await?
            .rows_affected();
    }
    // Wakes idle workers of every instance once the transaction commits.
    if let (true, Some(sql)) = (added > 0, NOTIFY_SQL) {
        sqlx::query(sql).execute(&mut *conn).await?;
    }
    Ok(added)
}

/// Records one claimed row's outcome, fenced by its lease token; a permanent failure
/// also enqueues the first fallback destination.
async fn record_one(
    conn: &mut DbConnection,
    now: DbTime,
    row: &OutboxRow,
    outcome: &Outcome,
) -> Result<bool, Error> {
    let token = row.lease_token.as_deref().unwrap_or_default();
    let (status, due_at, error) = match outcome {
        Outcome::Sent => (OutboxStatus::Sent, None, None),
        Outcome::Retry { due_at, error } => (
            OutboxStatus::Queued,
            Some(DbTime(*due_at)),
            Some(error.as_str()),
        ),
        Outcome::Dead { error } => (OutboxStatus::Dead, None, Some(error.as_str())),
        Outcome::Failed { error } => (OutboxStatus::Failed, None, Some(error.as_str())),
        Outcome::Paced { due_at } => (
            OutboxStatus::Queued,
            Some(DbTime(*due_at)),
            row.last_error.as_deref(),
        ),
    };
    let uncount = i64::from(matches!(outcome, Outcome::Paced { .. }));
    let updated = sqlx::query(
        r#"
        UPDATE outbox
        SET status = $1, due_at = COALESCE($2, due_at), last_error = $3,
            sent_at = CASE WHEN $1 = 'sent' THEN $4 ELSE sent_at END,
            attempts = attempts - $7, parts_sent = $8, provider_ids = $9,
            lease_token = NULL, lease_until = NULL, updated_at = $4
        WHERE id = $5
          AND lease_token = $6
        "#,
    )
    .bind(status.as_str())
    .bind(due_at)
    .bind(error)
    .bind(now)
    .bind(row.id)
    .bind(token)
    .bind(uncount)
    .bind(i64::from(row.parts_sent))
    .bind(serde_json::to_string(&row.provider_ids).map_err(corrupt)?)
    .execute(&mut *conn)
    .await?
    .rows_affected();
    // A permanent failure (a blocked bot, an address that does not exist) is the citizen's
    // contact point telling us it no longer works; a sealed address belongs to no citizen.
    if let (1, Outcome::Failed { error }, false) = (updated, outcome, row.sealed) {
        mark_unreachable(&mut *conn, now, row.channel.as_str(), &row.address, error).await?;
    }
    if updated == 1
        && matches!(outcome, Outcome::Failed { .. })
        && let Some((next, rest)) = row.fallback.split_first()
    {
        enqueue_fallback(conn, now, row.id, next, rest).await?;
    }
    Ok(updated == 1)
}

/// Enqueues a failed row's next destination (`next`, then `rest` should that fail too) as a
/// copy of the row. Each step of the chain appends to its parent's key, so the channel alone
/// makes it unique, and no address enters the key.
async fn enqueue_fallback(
    conn: &mut DbConnection,
    now: DbTime,
    id: i64,
    next: &Destination,
    rest: &[Destination],
) -> Result<(), Error> {
    sqlx::query(concat!(
        outbox_insert!(),
        r#"
        SELECT dedupe_key || $1, $2, $3, sealed, category, urgent, case_id, subject,
               body_text, body_html, message_id, in_reply_to, reference_ids,
               list_unsubscribe, $4, $5, 'queued', 0, $5, $5, has_email, telegram_parts,
               telegram_keyboard, telegram_thread, reply_to
        FROM outbox
        WHERE id = $6
        ON CONFLICT (dedupe_key) DO NOTHING
        "#
    ))
    .bind(format!("|fallback:{}", next.channel))
    .bind(next.channel.as_str())
    .bind(next.address.as_str())
    .bind(serde_json::to_string(rest).map_err(corrupt)?)
    .bind(now)
    .bind(id)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// A delivery report's permanent failure of a mail already sent (a DSN 5.x.x naming the row
/// by its bounce address): the row becomes `failed`, its address unreachable and its first
/// fallback is enqueued, as when the SMTP server refuses at once. `false` when the row is
/// not a sent mail (unknown, still queued, or bounced before: a report read twice).
pub(super) async fn record_bounce(
    conn: &mut DbConnection,
    now: DbTime,
    id: i64,
    error: &str,
) -> Result<bool, Error> {
    let bounced = sqlx::query(
        r#"
        UPDATE outbox
        SET status = 'failed', last_error = $1, updated_at = $2
        WHERE id = $3 AND channel = 'email' AND status = 'sent'
        RETURNING address, sealed, fallback
        "#,
    )
    .bind(error)
    .bind(now)
    .bind(id)
    .fetch_optional(&mut *conn)
    .await?;
    let Some(bounced) = bounced else {
        return Ok(false);
    };
    let address: String = bounced.try_get("address")?;
    let sealed: bool = bounced.try_get("sealed")?;
    let fallback: Vec<Destination> = json(&bounced.try_get::<String, _>("fallback")?, "fallback")?;
    if !sealed {
        mark_unreachable(&mut *conn, now, "email", &address, error).await?;
    }
    if let Some((next, rest)) = fallback.split_first() {
        enqueue_fallback(conn, now, id, next, rest).await?;
    }
    Ok(true)
}

#[async_trait]
impl OutboxStore for This {
    async fn enqueue(
        &self,
        event_key: &str,
        case: Option<CaseId>,
        notifications: &[NewNotification],
    ) -> Result<u64, Error> {
        let now = DbTime(self.clock.now());
        let mut tx = self.begin_write().await?;
        let added = insert_notifications(&mut tx, event_key, case, notifications, now).await?;
        tx.commit().await?;
        Ok(added)
    }

    async fn listen_outbox(
        &self,
        wake: Arc<tokio::sync::Notify>,
    ) -> Result<Option<tokio::task::JoinHandle<()>>, Error> {
        self.listen(wake).await
    }

    async fn claim_outbox(
        &self,
        limit: i64,
        lease: std::time::Duration,
    ) -> Result<Vec<OutboxRow>, Error> {
        // A claimed row is due again when its lease ends: a worker that dies leaves it
        // to the next claim, and one index (status, due_at) serves both cases.
        let mut rows = claim(self, CLAIM_SQL.as_str(), limit, lease)
            .await?
            .iter()
            .map(outbox_from_row)
            .collect::<Result<Vec<_>, _>>()?;
        for row in rows.iter_mut().filter(|r| r.sealed) {
            // The denouncer's address is read here, for this send only, and never written back:
            // a row whose identity is gone keeps an empty address and fails for good.
            row.address = sqlx::query(
                r#"
                SELECT contact_address
                FROM denouncer_identities
                WHERE case_id = $1
                  AND contact_kind = $2
                "#,
            )
            .bind(row.case_id.map(|c| c.0))
            .bind(row.channel.as_str())
            .fetch_optional(&self.pool)
            .await?
            .map(|r| r.try_get::<Option<String>, _>("contact_address"))
            .transpose()?
            .flatten()
            .unwrap_or_default();
        }
        Ok(rows)
    }

    async fn record_progress(&self, row: &OutboxRow) -> Result<bool, Error> {
        let mut tx = self.begin_write().await?;
        let updated = sqlx::query(
            r#"
            UPDATE outbox
            SET parts_sent = $1, provider_ids = $2, updated_at = $3
            WHERE id = $4
              AND lease_token = $5
            "#,
        )
        .bind(i64::from(row.parts_sent))
        .bind(serde_json::to_string(&row.provider_ids).map_err(corrupt)?)
        .bind(DbTime(self.clock.now()))
        .bind(row.id)
        .bind(row.lease_token.as_deref().unwrap_or_default())
        .execute(&mut *tx)
        .await?
        .rows_affected();
        tx.commit().await?;
        Ok(updated == 1)
    }

    async fn record_outcomes(&self, outcomes: &[(OutboxRow, Outcome)]) -> Result<Vec<bool>, Error> {
        let now = DbTime(self.clock.now());
        let mut tx = self.begin_write().await?;
        let mut recorded = Vec::with_capacity(outcomes.len());
        for (row, outcome) in outcomes {
            recorded.push(record_one(&mut tx, now, row, outcome).await?);
        }
        tx.commit().await?;
        Ok(recorded)
    }

    async fn list_outbox(
        &self,
        status: Option<OutboxStatus>,
        limit: i64,
    ) -> Result<Vec<OutboxRow>, Error> {
        sqlx::query(concat!(
            "SELECT ",
            outbox_columns!(),
            r#"
            FROM outbox
            WHERE ($1 IS NULL OR status = $1)
            ORDER BY id DESC
            LIMIT $2
            "#
        ))
        .bind(status.map(|s| s.as_str()))
        .bind(limit)
        .fetch_all(&self.pool)
        .await?
        .iter()
        .map(outbox_from_row)
        .collect()
    }

    async fn get_outbox(&self, id: i64) -> Result<OutboxRow, Error> {
        let row = sqlx::query(concat!(
            "SELECT ",
            outbox_columns!(),
            " FROM outbox WHERE id = $1"
        ))
        .bind(id)
        .fetch_optional(&self.pool)
        .await?
        .ok_or(Error::NotFound("outbox row"))?;
        outbox_from_row(&row)
    }

    async fn retry_outbox(&self, id: i64, audit: &AuditNote) -> Result<OutboxRow, Error> {
        let now = DbTime(self.clock.now());
        let mut tx = self.begin_write().await?;
        let updated = sqlx::query(
            r#"
            UPDATE outbox
            SET status = 'queued', attempts = 0, due_at = $1, updated_at = $1
            WHERE id = $2
              AND status IN ('dead', 'failed')
            "#,
        )
        .bind(now)
        .bind(id)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if updated == 1 {
            write_audit(&mut tx, now, audit, RETRY_OUTBOX, &format!("outbox:{id}")).await?;
        }
        tx.commit().await?;
        let row = self.get_outbox(id).await?;
        if updated == 0 {
            return Err(Error::Conflict(format!(
                "outbox row {id} is {}; only dead or failed rows are retried",
                row.status
            )));
        }
        Ok(row)
    }

    async fn count_outbox(&self) -> Result<Vec<(OutboxStatus, i64)>, Error> {
        sqlx::query("SELECT status, COUNT(*) AS n FROM outbox GROUP BY status ORDER BY status")
            .fetch_all(&self.pool)
            .await?
            .iter()
            .map(|row| Ok((parse(row, "status")?, row.try_get("n")?)))
            .collect()
    }

    async fn count_outbox_by_channel(
        &self,
    ) -> Result<Vec<(OutboxStatus, ChannelKind, i64)>, Error> {
        sqlx::query(
            "SELECT status, channel, COUNT(*) AS n FROM outbox GROUP BY status, channel \
             ORDER BY status, channel",
        )
        .fetch_all(&self.pool)
        .await?
        .iter()
        .map(|row| {
            Ok((
                parse(row, "status")?,
                parse(row, "channel")?,
                row.try_get("n")?,
            ))
        })
        .collect()
    }
}
