//! The SQL of [`CalendarFeedStore`], compiled once per backend.

use async_trait::async_trait;
use sqlx::Row;

use super::audit::write_audit;
use super::common::parse;
use super::{DbRow, This};
use crate::domain::audit::ISSUE_CALENDAR_FEED;
use crate::domain::{AuditNote, StaffId};
use crate::error::Error;
use crate::storage::{CalendarFeedStore, DbTime, FeedEventRow, NewCalendarFeed};

fn feed_event_from_row(row: &DbRow) -> Result<FeedEventRow, Error> {
    Ok(FeedEventRow {
        id: row.try_get("id")?,
        title: row.try_get("title")?,
        kind: parse(row, "kind")?,
        starts_at: row.try_get::<DbTime, _>("starts_at")?.0,
        ends_at: row.try_get::<Option<DbTime>, _>("ends_at")?.map(|t| t.0),
        place: row.try_get("place")?,
        public: row.try_get("public")?,
    })
}

#[async_trait]
impl CalendarFeedStore for This {
    async fn list_public_events(
        &self,
        from: chrono::DateTime<chrono::Utc>,
        to: chrono::DateTime<chrono::Utc>,
    ) -> Result<Vec<FeedEventRow>, Error> {
        sqlx::query(
            r#"
            SELECT id, title, kind, starts_at, ends_at, place, public
            FROM calendar_events
            WHERE public = TRUE
              AND starts_at >= $1
              AND starts_at <= $2
            ORDER BY starts_at, id
            "#,
        )
        .bind(DbTime(from))
        .bind(DbTime(to))
        .fetch_all(&self.pool)
        .await?
        .iter()
        .map(feed_event_from_row)
        .collect()
    }

    async fn list_attended_events(
        &self,
        staff: StaffId,
        from: chrono::DateTime<chrono::Utc>,
        to: chrono::DateTime<chrono::Utc>,
    ) -> Result<Vec<FeedEventRow>, Error> {
        sqlx::query(
            r#"
            SELECT e.id, e.title, e.kind, e.starts_at, e.ends_at, e.place, e.public
            FROM calendar_events e
            JOIN event_attendees a ON a.event_id = e.id
            WHERE a.staff_id = $1
              AND e.starts_at >= $2
              AND e.starts_at <= $3
            ORDER BY e.starts_at, e.id
            "#,
        )
        .bind(staff.0)
        .bind(DbTime(from))
        .bind(DbTime(to))
        .fetch_all(&self.pool)
        .await?
        .iter()
        .map(feed_event_from_row)
        .collect()
    }

    async fn set_calendar_feed(
        &self,
        feed: &NewCalendarFeed,
        audit: &AuditNote,
    ) -> Result<(), Error> {
        let now = DbTime(self.clock.now());
        let mut tx = self.begin_write().await?;
        // Replacing the row is what rotates the URL: the old hash is gone with it.
        sqlx::query(
            r#"
            INSERT INTO calendar_feeds (staff_id, token_hash, created_at)
            VALUES ($1, $2, $3)
            ON CONFLICT (staff_id) DO UPDATE
            SET token_hash = excluded.token_hash,
                created_at = excluded.created_at
            "#,
        )
        .bind(feed.staff.0)
        .bind(feed.token_hash.as_str())
        .bind(now)
        .execute(&mut *tx)
        .await?;
        write_audit(
            &mut tx,
            now,
            audit,
            ISSUE_CALENDAR_FEED,
            &format!("staff:{}", feed.staff),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    async fn get_calendar_feed(&self, token_hash: &str) -> Result<Option<StaffId>, Error> {
        let row = sqlx::query(
            r#"
            SELECT staff_id
            FROM calendar_feeds
            WHERE token_hash = $1
            "#,
        )
        .bind(token_hash)
        .fetch_optional(&self.pool)
        .await?;
        row.map(|r| Ok(StaffId(r.try_get("staff_id")?))).transpose()
    }
}
