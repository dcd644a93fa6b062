//! The SQL of [`ChatStore`], compiled once per backend.

use async_trait::async_trait;
use sqlx::Row;

use super::common::{count, parse};
use super::{DbConnection, This};
use crate::domain::{CaseId, ChatChange, ChatState, ContactKind, Language, Window};
use crate::error::Error;
use crate::storage::{ChatStore, DbTime};

#[async_trait]
impl ChatStore for This {
    async fn get_chat(&self, chat: &str) -> Result<Option<ChatState>, Error> {
        let row = sqlx::query(
            r#"
            SELECT chat_id, language, dialogue, window_start, window_count
            FROM bot_chats
            WHERE chat_id = $1
            "#,
        )
        .bind(chat)
        .fetch_optional(&self.pool)
        .await?;
        row.map(|row| {
            Ok(ChatState {
                chat: row.try_get("chat_id")?,
                language: parse(&row, "language")?,
                dialogue: row.try_get("dialogue")?,
                window: row
                    .try_get::<Option<DbTime>, _>("window_start")?
                    .map(|start| -> Result<Window, Error> {
                        Ok(Window {
                            start: start.0,
                            count: count(&row, "window_count")?,
                        })
                    })
                    .transpose()?,
            })
        })
        .transpose()
    }

    async fn case_topic(&self, chat: &str, case: CaseId) -> Result<Option<i64>, Error> {
        Ok(sqlx::query_scalar(
            "SELECT thread_id FROM case_topics WHERE chat_id = $1 AND case_id = $2",
        )
        .bind(chat)
        .bind(case.0)
        .fetch_optional(&self.pool)
        .await?)
    }

    async fn keep_case_topic(&self, chat: &str, case: CaseId, thread: i64) -> Result<i64, Error> {
        let now = DbTime(self.clock.now());
        sqlx::query(
            r#"
            INSERT INTO case_topics (chat_id, case_id, thread_id, created_at)
            VALUES ($1, $2, $3, $4)
            ON CONFLICT (chat_id, case_id) DO NOTHING
            "#,
        )
        .bind(chat)
        .bind(case.0)
        .bind(thread)
        .bind(now)
        .execute(&self.pool)
        .await?;
        self.case_topic(chat, case)
            .await?
            .ok_or_else(|| Error::Corrupt("a case topic vanished as it was kept".to_owned()))
    }

    async fn topic_case(&self, chat: &str, thread: i64) -> Result<Option<CaseId>, Error> {
        let case: Option<i64> = sqlx::query_scalar(
            "SELECT case_id FROM case_topics WHERE chat_id = $1 AND thread_id = $2",
        )
        .bind(chat)
        .bind(thread)
        .fetch_optional(&self.pool)
        .await?;
        Ok(case.map(CaseId))
    }
}

/// Applies a chat change inside the caller's transaction. A new language becomes the linked
/// citizen's too, so that every later message to them is in it, on every channel.
pub(super) async fn apply_chat_change(
    conn: &mut DbConnection,
    change: &ChatChange,
    now: DbTime,
) -> Result<(), Error> {
    // The row starts in Vietnamese unless the change says otherwise.
    let language = change.language.unwrap_or(Language::Vi);
    let (set_dialogue, dialogue) = match &change.dialogue {
        Some(dialogue) => (true, dialogue.as_deref()),
        None => (false, None),
    };
    sqlx::query(
        r#"
        INSERT INTO bot_chats (chat_id, language, dialogue, updated_at, window_start, window_count)
        VALUES ($1, $2, $3, $4, $7, $8)
        ON CONFLICT (chat_id) DO UPDATE
        SET language = CASE WHEN $5 THEN $2 ELSE bot_chats.language END,
            dialogue = CASE WHEN $6 THEN $3 ELSE bot_chats.dialogue END,
            window_start = CASE WHEN $9 THEN $7 ELSE bot_chats.window_start END,
            window_count = CASE WHEN $9 THEN $8 ELSE bot_chats.window_count END,
            updated_at = $4
        "#,
    )
    .bind(change.chat.as_str())
    .bind(language.as_str())
    .bind(dialogue)
    .bind(now)
    .bind(change.language.is_some())
    .bind(set_dialogue)
    .bind(change.window.map(|w| DbTime(w.start)))
    .bind(i64::from(change.window.map_or(0, |w| w.count)))
    .bind(change.window.is_some())
    .execute(&mut *conn)
    .await?;
    if let Some(language) = change.language {
        sqlx::query(
            r#"
            UPDATE citizens
            SET language = $1
            WHERE id IN (SELECT citizen_id FROM citizen_contacts WHERE kind = $2 AND value = $3)
            "#,
        )
        .bind(language.as_str())
        .bind(ContactKind::Telegram.as_str())
        .bind(change.chat.as_str())
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}
