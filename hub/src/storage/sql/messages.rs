//! The SQL of [`MessageStore`], compiled once per backend.

use async_trait::async_trait;
use sqlx::Row;

use super::audit::insert_audit;
use super::outbox::insert_notifications;
use super::{DbConnection, DbRow, This};
use crate::domain::audit::{READ_MESSAGE, REPLY_MESSAGE, SEND_MESSAGE};
use crate::domain::{Audience, Message, MessageId, ReadVia, Receipt, StaffId};
use crate::error::Error;
use crate::storage::{
    DbTime, MessageChange, MessageStore, ReadByLink, ReadChange, SentMessage, ThreadRow, corrupt,
};

/// The columns `message_from_row` reads.
macro_rules! message_columns {
    () => {
        "m.id, m.thread_id, m.sender_id, m.audience, m.body, m.created_at"
    };
}

fn message_from_row(row: &DbRow) -> Result<Message, Error> {
    let id = MessageId(row.try_get("id")?);
    let audience: String = row.try_get("audience")?;
    Ok(Message {
        id,
        thread: row
            .try_get::<Option<i64>, _>("thread_id")?
            .map_or(id, MessageId),
        sender: StaffId(row.try_get("sender_id")?),
        audience: Audience::from_stored(&audience).map_err(corrupt)?,
        body: row.try_get("body")?,
        created_at: row.try_get::<DbTime, _>("created_at")?.0,
    })
}

async fn get_message_on(conn: &mut DbConnection, id: MessageId) -> Result<Message, Error> {
    let row = sqlx::query(concat!(
        "SELECT ",
        message_columns!(),
        " FROM messages m WHERE m.id = $1"
    ))
    .bind(id.0)
    .fetch_optional(&mut *conn)
    .await?
    .ok_or(Error::NotFound("message"))?;
    message_from_row(&row)
}

/// Stores a planned message inside the caller's transaction (its own, or an inbound message's
/// `done`): the message, one row per recipient, the audit row, the replied message read by its
/// author, and the notifications, keyed `message:<id>:staff:<id>`. A `source_ref` stored
/// before writes nothing and returns that message.
pub(super) async fn apply_message(
    conn: &mut DbConnection,
    change: &MessageChange,
    source_ref: Option<&str>,
    now: DbTime,
) -> Result<SentMessage, Error> {
    let inserted = sqlx::query(
        r#"
        INSERT INTO messages (thread_id, sender_id, audience, body, source_ref, created_at)
        VALUES ($1, $2, $3, $4, $5, $6)
        ON CONFLICT (source_ref) DO NOTHING
        RETURNING id
        "#,
    )
    .bind(change.thread.map(|t| t.0))
    .bind(change.sender.0)
    .bind(change.audience.as_stored())
    .bind(change.body.as_str())
    .bind(source_ref)
    .bind(now)
    .fetch_optional(&mut *conn)
    .await?;
    let Some(row) = inserted else {
        let id: i64 = sqlx::query("SELECT id FROM messages WHERE source_ref = $1")
            .bind(source_ref)
            .fetch_one(&mut *conn)
            .await?
            .try_get("id")?;
        let message = get_message_on(conn, MessageId(id)).await?;
        let recipients = count_recipients(conn, message.id).await?;
        return Ok(SentMessage {
            message,
            recipients,
            fresh: false,
        });
    };
    let id = MessageId(row.try_get("id")?);
    for recipient in &change.recipients {
        sqlx::query(
            r#"
            INSERT INTO message_recipients (message_id, staff_id, read_token_hash)
            VALUES ($1, $2, $3)
            "#,
        )
        .bind(id.0)
        .bind(recipient.staff.0)
        .bind(recipient.token_hash.as_str())
        .execute(&mut *conn)
        .await?;
    }
    let (action, detail) = match change.thread {
        Some(root) => (
            REPLY_MESSAGE,
            format!("thread:{root}; {} recipients", change.recipients.len()),
        ),
        None => (
            SEND_MESSAGE,
            format!(
                "{}; {} recipients",
                change.audience.as_stored(),
                change.recipients.len()
            ),
        ),
    };
    insert_audit(
        &mut *conn,
        now,
        Some(change.sender),
        action,
        &format!("message:{id}"),
        Some(&detail),
    )
    .await?;
    if let Some(replied) = change.marks_read {
        let read = ReadChange {
            message: replied,
            staff: change.sender,
            via: ReadVia::Telegram,
            already_read: false,
        };
        apply_read(conn, &read, now).await?;
    }
    let notifications = (change.notify.0)(id)?;
    insert_notifications(conn, &format!("message:{id}"), None, &notifications, now).await?;
    let message = get_message_on(conn, id).await?;
    Ok(SentMessage {
        message,
        recipients: change.recipients.len(),
        fresh: true,
    })
}

async fn count_recipients(conn: &mut DbConnection, id: MessageId) -> Result<usize, Error> {
    let n: i64 = sqlx::query("SELECT COUNT(*) AS n FROM message_recipients WHERE message_id = $1")
        .bind(id.0)
        .fetch_one(&mut *conn)
        .await?
        .try_get("n")?;
    usize::try_from(n).map_err(corrupt)
}

/// Marks a message read by its recipient inside the caller's transaction, with the audit row;
/// `false` when it was read before (or `staff` did not receive it).
pub(super) async fn apply_read(
    conn: &mut DbConnection,
    change: &ReadChange,
    now: DbTime,
) -> Result<bool, Error> {
    let read = sqlx::query(
        r#"
        UPDATE message_recipients
        SET read_at = $1, read_via = $2
        WHERE message_id = $3
          AND staff_id = $4
          AND read_at IS NULL
        "#,
    )
    .bind(now)
    .bind(change.via.as_str())
    .bind(change.message.0)
    .bind(change.staff.0)
    .execute(&mut *conn)
    .await?
    .rows_affected()
        == 1;
    if read {
        insert_audit(
            &mut *conn,
            now,
            Some(change.staff),
            READ_MESSAGE,
            &format!("message:{}", change.message),
            Some(change.via.as_str()),
        )
        .await?;
    }
    Ok(read)
}

#[async_trait]
impl MessageStore for This {
    async fn add_message(&self, change: &MessageChange) -> Result<SentMessage, Error> {
        let now = DbTime(self.clock.now());
        let mut tx = self.begin_write().await?;
        let sent = apply_message(&mut tx, change, change.source_ref.as_deref(), now).await?;
        tx.commit().await?;
        Ok(sent)
    }

    async fn get_message(&self, id: MessageId) -> Result<Message, Error> {
        let mut conn = self.pool.acquire().await?;
        get_message_on(&mut conn, id).await
    }

    async fn list_message_recipients(&self, id: MessageId) -> Result<Vec<Receipt>, Error> {
        sqlx::query(
            r#"
            SELECT staff_id, read_at, read_via
            FROM message_recipients
            WHERE message_id = $1
            ORDER BY staff_id
            "#,
        )
        .bind(id.0)
        .fetch_all(&self.pool)
        .await?
        .iter()
        .map(|row| {
            let via: Option<String> = row.try_get("read_via")?;
            Ok(Receipt {
                staff: StaffId(row.try_get("staff_id")?),
                read_at: row.try_get::<Option<DbTime>, _>("read_at")?.map(|t| t.0),
                via: via.as_deref().and_then(ReadVia::parse),
            })
        })
        .collect()
    }

    async fn list_thread_participants(&self, root: MessageId) -> Result<Vec<StaffId>, Error> {
        sqlx::query(
            r#"
            SELECT sender_id AS staff_id
            FROM messages
            WHERE id = $1 OR thread_id = $1
            UNION
            SELECT r.staff_id
            FROM message_recipients r
            JOIN messages m ON m.id = r.message_id
            WHERE m.id = $1 OR m.thread_id = $1
            ORDER BY staff_id
            "#,
        )
        .bind(root.0)
        .fetch_all(&self.pool)
        .await?
        .iter()
        .map(|row| Ok(StaffId(row.try_get("staff_id")?)))
        .collect()
    }

    async fn list_threads(&self, staff: StaffId, limit: i64) -> Result<Vec<ThreadRow>, Error> {
        sqlx::query(
            r#"
            SELECT COALESCE(m.thread_id, m.id) AS root,
                   MAX(m.id) AS last_id,
                   COUNT(*) AS messages,
                   SUM(CASE WHEN r.staff_id IS NOT NULL AND r.read_at IS NULL THEN 1 ELSE 0 END)
                       AS unread,
                   MAX(CASE WHEN m.sender_id = $1 THEN m.id END) AS own_last
            FROM messages m
            LEFT JOIN message_recipients r ON r.message_id = m.id AND r.staff_id = $1
            WHERE COALESCE(m.thread_id, m.id) IN (
                SELECT COALESCE(t.thread_id, t.id)
                FROM messages t
                LEFT JOIN message_recipients tr ON tr.message_id = t.id AND tr.staff_id = $1
                WHERE t.sender_id = $1
                   OR tr.staff_id IS NOT NULL
            )
            GROUP BY COALESCE(m.thread_id, m.id)
            ORDER BY last_id DESC
            LIMIT $2
            "#,
        )
        .bind(staff.0)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?
        .iter()
        .map(|row| {
            Ok(ThreadRow {
                root: MessageId(row.try_get("root")?),
                last: MessageId(row.try_get("last_id")?),
                messages: row.try_get("messages")?,
                unread: row.try_get("unread")?,
                own_last: row.try_get::<Option<i64>, _>("own_last")?.map(MessageId),
            })
        })
        .collect()
    }

    async fn mark_message_read(&self, change: &ReadChange) -> Result<bool, Error> {
        let now = DbTime(self.clock.now());
        let mut tx = self.begin_write().await?;
        let read = apply_read(&mut tx, change, now).await?;
        tx.commit().await?;
        Ok(read)
    }

    async fn read_message_by_token(&self, token_hash: &str) -> Result<Option<ReadByLink>, Error> {
        let now = DbTime(self.clock.now());
        let mut tx = self.begin_write().await?;
        let found = sqlx::query(
            r#"
            SELECT message_id, staff_id
            FROM message_recipients
            WHERE read_token_hash = $1
            "#,
        )
        .bind(token_hash)
        .fetch_optional(&mut *tx)
        .await?;
        let Some(row) = found else {
            return Ok(None);
        };
        let message = MessageId(row.try_get("message_id")?);
        let reader = StaffId(row.try_get("staff_id")?);
        let change = ReadChange {
            message,
            staff: reader,
            via: ReadVia::Email,
            already_read: false,
        };
        let newly_read = apply_read(&mut tx, &change, now).await?;
        let message = get_message_on(&mut tx, message).await?;
        tx.commit().await?;
        Ok(Some(ReadByLink {
            message,
            reader,
            newly_read,
        }))
    }
}
