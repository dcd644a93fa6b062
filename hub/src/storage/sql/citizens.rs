//! The SQL of [`CitizenStore`], and the linking of a new case to its citizen; compiled once per
//! backend.

use async_trait::async_trait;
use sqlx::Row;

use super::cases::fetch_cases;
use super::common::parse;
use super::{DbConnection, DbRow, This};
use crate::domain::{
    Case, Citizen, CitizenContact, CitizenId, ContactPoint, ContactState, Language, NewCase,
    NormalisedContact,
};
use crate::error::Error;
use crate::storage::{CitizenStore, DbTime};

fn contact_from_row(row: &DbRow) -> Result<CitizenContact, Error> {
    let kind = parse(row, "kind")?;
    let value: String = row.try_get("value")?;
    Ok(CitizenContact {
        citizen: CitizenId(row.try_get("citizen_id")?),
        contact: NormalisedContact::parse(kind, &value)?,
        state: ContactState::from_stored(
            &row.try_get::<String, _>("state")?,
            row.try_get("reason")?,
            row.try_get::<Option<DbTime>, _>("state_at")?.map(|t| t.0),
        )?,
    })
}

async fn citizen_of(conn: &mut DbConnection, contact: &ContactPoint) -> Result<Option<i64>, Error> {
    Ok(
        sqlx::query("SELECT citizen_id FROM citizen_contacts WHERE kind = $1 AND value = $2")
            .bind(contact.kind.as_str())
            .bind(contact.address.as_str())
            .fetch_optional(&mut *conn)
            .await?
            .map(|row| row.try_get("citizen_id"))
            .transpose()?,
    )
}

/// The citizen of a new case, inside its transaction: the owner of the first of its contact
/// points that is known, else a new citizen; contact points not yet known are added to that
/// citizen. A point another citizen owns stays theirs. `None` without contact points, and
/// always for a denunciation.
pub(super) async fn link_citizen(
    conn: &mut DbConnection,
    now: DbTime,
    case: &NewCase,
) -> Result<Option<i64>, Error> {
    if case.denouncer.is_some() || case.contacts.is_empty() {
        return Ok(None);
    }
    let mut owner = None;
    for contact in &case.contacts {
        if let Some(id) = citizen_of(conn, contact).await? {
            owner = Some(id);
            break;
        }
    }
    let citizen = match owner {
        Some(id) => id,
        None => sqlx::query(
            r#"
            INSERT INTO citizens (display_name, language, created_at)
            VALUES ($1, $2, $3)
            RETURNING id
            "#,
        )
        .bind(case.citizen_name.as_deref())
        .bind(case.language.as_str())
        .bind(now)
        .fetch_one(&mut *conn)
        .await?
        .try_get("id")?,
    };
    for contact in &case.contacts {
        sqlx::query(
            r#"
            INSERT INTO citizen_contacts (citizen_id, kind, value, state, state_at, created_at)
            VALUES ($1, $2, $3, 'unverified', $4, $4)
            ON CONFLICT (kind, value) DO NOTHING
            "#,
        )
        .bind(citizen)
        .bind(contact.kind.as_str())
        .bind(contact.address.as_str())
        .bind(now)
        .execute(&mut *conn)
        .await?;
    }
    Ok(Some(citizen))
}

/// Marks the citizen contact behind a destination unreachable (a Telegram 403, an SMTP 5xx),
/// inside the transaction that records the failed send.
pub(super) async fn mark_unreachable(
    conn: &mut DbConnection,
    now: DbTime,
    kind: &str,
    value: &str,
    reason: &str,
) -> Result<(), Error> {
    sqlx::query(
        r#"
        UPDATE citizen_contacts
        SET state = 'unreachable', reason = $1, state_at = $2
        WHERE kind = $3
          AND value = $4
        "#,
    )
    .bind(reason)
    .bind(now)
    .bind(kind)
    .bind(value)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

#[async_trait]
impl CitizenStore for This {
    async fn get_citizen(&self, id: CitizenId) -> Result<Citizen, Error> {
        let row = sqlx::query(
            "SELECT id, display_name, language, created_at FROM citizens WHERE id = $1",
        )
        .bind(id.0)
        .fetch_optional(&self.pool)
        .await?
        .ok_or(Error::NotFound("citizen"))?;
        Ok(Citizen {
            id: CitizenId(row.try_get("id")?),
            display_name: row.try_get("display_name")?,
            language: parse(&row, "language")?,
            created_at: row.try_get::<DbTime, _>("created_at")?.0,
        })
    }

    async fn find_citizen_contact(
        &self,
        contact: &NormalisedContact,
    ) -> Result<Option<CitizenContact>, Error> {
        sqlx::query(
            r#"
            SELECT citizen_id, kind, value, state, reason, state_at
            FROM citizen_contacts
            WHERE kind = $1
              AND value = $2
            "#,
        )
        .bind(contact.kind().as_str())
        .bind(contact.value())
        .fetch_optional(&self.pool)
        .await?
        .as_ref()
        .map(contact_from_row)
        .transpose()
    }

    async fn list_citizen_contacts(
        &self,
        citizen: CitizenId,
    ) -> Result<Vec<CitizenContact>, Error> {
        sqlx::query(
            r#"
            SELECT citizen_id, kind, value, state, reason, state_at
            FROM citizen_contacts
            WHERE citizen_id = $1
            ORDER BY id
            "#,
        )
        .bind(citizen.0)
        .fetch_all(&self.pool)
        .await?
        .iter()
        .map(contact_from_row)
        .collect()
    }

    async fn set_citizen_language(
        &self,
        citizen: CitizenId,
        language: Language,
    ) -> Result<(), Error> {
        let mut tx = self.begin_write().await?;
        let updated = sqlx::query("UPDATE citizens SET language = $1 WHERE id = $2")
            .bind(language.as_str())
            .bind(citizen.0)
            .execute(&mut *tx)
            .await?
            .rows_affected();
        tx.commit().await?;
        if updated == 0 {
            return Err(Error::NotFound("citizen"));
        }
        Ok(())
    }

    async fn set_contact_state(
        &self,
        contact: &NormalisedContact,
        state: &ContactState,
    ) -> Result<bool, Error> {
        let (reason, at) = match state {
            ContactState::Unreachable { reason, at } => (Some(reason.as_str()), *at),
            _ => (None, self.clock.now()),
        };
        let mut tx = self.begin_write().await?;
        let updated = sqlx::query(
            r#"
            UPDATE citizen_contacts
            SET state = $1, reason = $2, state_at = $3
            WHERE kind = $4
              AND value = $5
            "#,
        )
        .bind(state.as_str())
        .bind(reason)
        .bind(DbTime(at))
        .bind(contact.kind().as_str())
        .bind(contact.value())
        .execute(&mut *tx)
        .await?
        .rows_affected();
        tx.commit().await?;
        Ok(updated == 1)
    }

    async fn list_my_cases(
        &self,
        contact: &NormalisedContact,
        denouncer_hash: &str,
    ) -> Result<Vec<Case>, Error> {
        let mut conn = self.pool.acquire().await?;
        let ids: Vec<i64> = sqlx::query(
            r#"
            SELECT id
            FROM cases
            WHERE citizen_id = (
                    SELECT citizen_id FROM citizen_contacts WHERE kind = $1 AND value = $2)
               OR id IN (SELECT case_id FROM denouncer_contact_hashes WHERE hash = $3)
            ORDER BY received_at DESC, id DESC
            "#,
        )
        .bind(contact.kind().as_str())
        .bind(contact.value())
        .bind(denouncer_hash)
        .fetch_all(&mut *conn)
        .await?
        .iter()
        .map(|row| row.try_get("id"))
        .collect::<Result<_, _>>()?;
        fetch_cases(&mut conn, ids).await
    }
}
