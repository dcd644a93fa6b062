//! The SQL of [`FollowStore`], compiled once per backend.

use async_trait::async_trait;
use sqlx::Row;

use super::audit::insert_audit;
use super::common::parse;
use super::{DbConnection, DbRow, This};
use crate::domain::audit::{FOLLOW_CASE, UNFOLLOW_CASE};
use crate::domain::{CaseCode, CaseId, Followed, Follower, NormalisedContact};
use crate::error::Error;
use crate::storage::{DbTime, FollowChange, FollowStore, FollowToken, UnfollowChange, corrupt};

/// The language a follower reads: the one their chat chose, else the one of the citizen whose
/// contact it is, else Vietnamese.
macro_rules! follower_language {
    () => {
        r#"
        COALESCE(
            (SELECT language FROM bot_chats
             WHERE f.kind = 'telegram' AND bot_chats.chat_id = f.address),
            (SELECT citizens.language
             FROM citizen_contacts
             JOIN citizens ON citizens.id = citizen_contacts.citizen_id
             WHERE citizen_contacts.kind = f.kind AND citizen_contacts.value = f.address),
            'vi') AS language
        "#
    };
}

fn contact_of(row: &DbRow) -> Result<NormalisedContact, Error> {
    let address: String = row.try_get("address")?;
    NormalisedContact::parse(parse(row, "kind")?, &address)
        .map_err(|_| corrupt("case_follows: a stored contact does not parse"))
}

fn token_from_row(row: &DbRow) -> Result<FollowToken, Error> {
    Ok(FollowToken {
        follow_id: row.try_get("id")?,
        case_id: CaseId(row.try_get("case_id")?),
        language: parse(row, "language")?,
    })
}

/// Adds a follow inside the caller's transaction, if the case is still published and not a
/// denunciation; `true` when a row was added.
pub(super) async fn apply_follow(
    conn: &mut DbConnection,
    change: &FollowChange,
    now: DbTime,
) -> Result<bool, Error> {
    let added = sqlx::query(
        r#"
        INSERT INTO case_follows (case_id, kind, address, unsubscribe_token, created_at)
        SELECT id, $2, $3, $4, $5
        FROM cases
        WHERE id = $1
          AND published = TRUE
          AND kind <> 'to_cao'
        ON CONFLICT DO NOTHING
        "#,
    )
    .bind(change.case_id.0)
    .bind(change.contact.kind().as_str())
    .bind(change.contact.value())
    .bind(change.unsubscribe_token.as_str())
    .bind(now)
    .execute(&mut *conn)
    .await?
    .rows_affected()
        == 1;
    if added {
        insert_audit(
            &mut *conn,
            now,
            None,
            FOLLOW_CASE,
            &format!("case:{}", change.case_id),
            Some(change.contact.kind().as_str()),
        )
        .await?;
    }
    Ok(added)
}

/// Removes the follows an unfollow names inside the caller's transaction; returns how many.
pub(super) async fn apply_unfollow(
    conn: &mut DbConnection,
    change: &UnfollowChange,
    now: DbTime,
) -> Result<u64, Error> {
    let case = change.case.as_ref().map(|(id, _)| id.0);
    let removed = sqlx::query(
        r#"
        DELETE FROM case_follows
        WHERE kind = $1
          AND address = $2
          AND ($3 IS NULL OR case_id = $3)
        "#,
    )
    .bind(change.contact.kind().as_str())
    .bind(change.contact.value())
    .bind(case)
    .execute(&mut *conn)
    .await?
    .rows_affected();
    if removed > 0 {
        let subject = match case {
            Some(id) => format!("case:{id}"),
            None => "case:*".to_owned(),
        };
        let detail = format!("{}; {removed} removed", change.contact.kind());
        insert_audit(
            &mut *conn,
            now,
            None,
            UNFOLLOW_CASE,
            &subject,
            Some(&detail),
        )
        .await?;
    }
    Ok(removed)
}

#[async_trait]
impl FollowStore for This {
    async fn add_follow(&self, change: &FollowChange) -> Result<bool, Error> {
        let now = DbTime(self.clock.now());
        let mut tx = self.begin_write().await?;
        let added = apply_follow(&mut tx, change, now).await?;
        tx.commit().await?;
        Ok(added)
    }

    async fn remove_follows(&self, change: &UnfollowChange) -> Result<u64, Error> {
        let now = DbTime(self.clock.now());
        let mut tx = self.begin_write().await?;
        let removed = apply_unfollow(&mut tx, change, now).await?;
        tx.commit().await?;
        Ok(removed)
    }

    async fn list_followers(&self, case: CaseId) -> Result<Vec<Follower>, Error> {
        sqlx::query(concat!(
            "SELECT f.id, f.case_id, f.kind, f.address, f.unsubscribe_token,",
            follower_language!(),
            r#"
            FROM case_follows f
            WHERE f.case_id = $1
            ORDER BY f.id
            "#
        ))
        .bind(case.0)
        .fetch_all(&self.pool)
        .await?
        .iter()
        .map(|row| {
            Ok(Follower::new(
                row.try_get("id")?,
                CaseId(row.try_get("case_id")?),
                contact_of(row)?,
                parse(row, "language")?,
                row.try_get("unsubscribe_token")?,
            ))
        })
        .collect()
    }

    async fn list_followed(&self, contact: &NormalisedContact) -> Result<Vec<Followed>, Error> {
        sqlx::query(
            r#"
            SELECT f.case_id, c.code, f.created_at
            FROM case_follows f
            JOIN cases c ON c.id = f.case_id
            WHERE f.kind = $1
              AND f.address = $2
            ORDER BY f.id
            "#,
        )
        .bind(contact.kind().as_str())
        .bind(contact.value())
        .fetch_all(&self.pool)
        .await?
        .iter()
        .map(|row| {
            Ok(Followed {
                case_id: CaseId(row.try_get("case_id")?),
                code: CaseCode::from_stored(row.try_get("code")?),
                since: row.try_get::<DbTime, _>("created_at")?.0,
            })
        })
        .collect()
    }

    async fn follow_token(&self, token: &str) -> Result<Option<FollowToken>, Error> {
        sqlx::query(concat!(
            "SELECT f.id, f.case_id,",
            follower_language!(),
            r#"
            FROM case_follows f
            WHERE f.unsubscribe_token = $1
            "#
        ))
        .bind(token)
        .fetch_optional(&self.pool)
        .await?
        .as_ref()
        .map(token_from_row)
        .transpose()
    }

    async fn unfollow_by_token(&self, token: &str) -> Result<Option<FollowToken>, Error> {
        let now = DbTime(self.clock.now());
        let mut tx = self.begin_write().await?;
        let found = sqlx::query(concat!(
            "SELECT f.id, f.case_id, f.kind,",
            follower_language!(),
            r#"
            FROM case_follows f
            WHERE f.unsubscribe_token = $1
            "#
        ))
        .bind(token)
        .fetch_optional(&mut *tx)
        .await?;
        let Some(row) = found else {
            return Ok(None);
        };
        let follow = token_from_row(&row)?;
        let kind: String = row.try_get("kind")?;
        sqlx::query("DELETE FROM case_follows WHERE id = $1")
            .bind(follow.follow_id)
            .execute(&mut *tx)
            .await?;
        insert_audit(
            &mut tx,
            now,
            None,
            UNFOLLOW_CASE,
            &format!("case:{}", follow.case_id),
            Some(&format!("{kind}; by the email's unsubscribe link")),
        )
        .await?;
        tx.commit().await?;
        Ok(Some(follow))
    }
}
