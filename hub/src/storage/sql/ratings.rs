//! The SQL of [`RatingStore`], compiled once per backend.

use async_trait::async_trait;
use sqlx::Row;

use super::audit::insert_audit;
use super::cases::{apply_progress, bump_version, insert_event, record_change};
use super::{DbConnection, DbRow, This};
use crate::domain::audit::RATE_CASE;
use crate::domain::{CaseId, Rating, Reopening, Score};
use crate::error::Error;
use crate::storage::{DbTime, RatedCase, RatingChange, RatingStore, corrupt};

fn rating_from_row(row: &DbRow) -> Result<Rating, Error> {
    Ok(Rating {
        id: row.try_get("id")?,
        case_id: CaseId(row.try_get("case_id")?),
        score: Score::try_from(row.try_get::<i64, _>("score")?).map_err(corrupt)?,
        comment: row.try_get("comment")?,
        not_satisfied: row.try_get("not_satisfied")?,
        reopened: row.try_get("reopened")?,
        rated_at: row.try_get::<DbTime, _>("rated_at")?.0,
    })
}

/// Applies a rating inside the caller's transaction (its own, or an inbound message's `done`):
/// the guarded version move (the reopening's, when there is one), the timeline events, the
/// rating row and the audit row. A lost guard returns [`Error::Conflict`] and the caller's
/// transaction writes nothing.
pub(super) async fn apply_rating(
    conn: &mut DbConnection,
    change: &RatingChange,
    now: DbTime,
) -> Result<RatedCase, Error> {
    let case = match &change.reopen {
        Some(reopen) => {
            if reopen.case_id != change.case_id
                || reopen.expected_version != change.expected_version
            {
                return Err(corrupt(
                    "a rating's reopening names another case or version",
                ));
            }
            // The rating first, so that the timeline reads "rated, then reopened"; if the
            // reopening's guard fails, the caller's transaction drops this event too.
            insert_event(&mut *conn, change.case_id, now, &change.event).await?;
            apply_progress(&mut *conn, reopen, now).await?
        }
        None => {
            let updated = bump_version(
                &mut *conn,
                change.case_id,
                change.expected_status,
                change.expected_version,
                now,
            )
            .await?;
            record_change(&mut *conn, change.case_id, updated, &change.event, now).await?
        }
    };
    let rating = &change.rating;
    let row = sqlx::query(
        r#"
        INSERT INTO case_ratings (case_id, score, comment, not_satisfied, reopened, rated_at)
        VALUES ($1, $2, $3, $4, $5, $6)
        RETURNING id, case_id, score, comment, not_satisfied, reopened, rated_at
        "#,
    )
    .bind(change.case_id.0)
    .bind(i64::from(rating.score.get()))
    .bind(rating.comment.as_deref())
    .bind(rating.not_satisfied)
    .bind(change.reopening.reopened())
    .bind(now)
    .fetch_one(&mut *conn)
    .await?;
    // The score and what came of it; the comment is the citizen's own words and stays in the
    // rating row.
    let detail = format!(
        "citizen; score {}; {}",
        rating.score.get(),
        match change.reopening {
            Reopening::NotAsked => "satisfied".to_owned(),
            Reopening::Reopened => "not satisfied; reopened".to_owned(),
            Reopening::WindowClosed { last_day } => {
                format!("not satisfied; not reopened, the window ended on {last_day}")
            }
            Reopening::NotAnswered => "not satisfied; not reopened, no answer to review".to_owned(),
        }
    );
    insert_audit(
        &mut *conn,
        now,
        None,
        RATE_CASE,
        &format!("case:{}", change.case_id),
        Some(&detail),
    )
    .await?;
    Ok(RatedCase {
        case,
        rating: rating_from_row(&row)?,
        reopening: change.reopening,
    })
}

#[async_trait]
impl RatingStore for This {
    async fn add_rating(&self, change: RatingChange) -> Result<RatedCase, Error> {
        let now = DbTime(self.clock.now());
        let mut tx = self.begin_write().await?;
        let rated = apply_rating(&mut tx, &change, now).await?;
        tx.commit().await?;
        Ok(rated)
    }

    async fn list_ratings(&self, case: CaseId) -> Result<Vec<Rating>, Error> {
        sqlx::query(
            r#"
            SELECT id, case_id, score, comment, not_satisfied, reopened, rated_at
            FROM case_ratings
            WHERE case_id = $1
            ORDER BY id
            "#,
        )
        .bind(case.0)
        .fetch_all(&self.pool)
        .await?
        .iter()
        .map(rating_from_row)
        .collect()
    }

    async fn latest_rating(&self, case: CaseId) -> Result<Option<Rating>, Error> {
        sqlx::query(
            r#"
            SELECT id, case_id, score, comment, not_satisfied, reopened, rated_at
            FROM case_ratings
            WHERE case_id = $1
            ORDER BY id DESC
            LIMIT 1
            "#,
        )
        .bind(case.0)
        .fetch_optional(&self.pool)
        .await?
        .as_ref()
        .map(rating_from_row)
        .transpose()
    }
}
