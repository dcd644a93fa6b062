//! The SQL of [`Open311Store`], compiled once per backend.
//!
//! The listing names its columns (never `*`) and filters on `published = TRUE AND kind <>
//! 'to_cao'` itself. Its lists of codes, categories and statuses vary in length, so it is built
//! with a `QueryBuilder`, every value bound, never spliced.

use async_trait::async_trait;
use sqlx::{QueryBuilder, Row};

use super::audit::write_audit;
use super::common::parse;
use super::{Db, DbRow, This};
use crate::domain::audit::{ISSUE_OPEN311_KEY, REVOKE_OPEN311_KEY};
use crate::domain::{AuditNote, CaseCode, SourceChannel};
use crate::error::Error;
use crate::storage::{
    DbTime, Open311Client, Open311ClientId, Open311Filter, Open311Row, Open311Store, PublicCaseRow,
    corrupt,
};

/// The public columns, the answer only once final (as the catalog loads them), and the last
/// step of the case itself on the public timeline: publishing and withdrawing the public copy
/// change the copy, not the case, and classification and ratings are not shown there; so a
/// closed case is dated by its closing step, as GeoReport v2 asks of `updated_datetime`.
const SELECT: &str = r#"
    SELECT c.code, c.kind, c.area, c.category, c.received_on, c.status, c.accepted_on,
           c.forwarded_on, c.closed_on, c.statutory_due, c.council_due, c.relay_due,
           c.statutory_source, c.council_source, c.relay_source, c.forwarded_unit,
           c.public_title, c.public_summary,
           CASE WHEN c.status IN ('answered', 'explained') THEN c.answer END AS answer,
           c.published_at, c.received_at,
           (SELECT MAX(e.at)
            FROM case_events e
            WHERE e.case_id = c.id
              AND e.kind NOT IN ('published', 'unpublished', 'flags_changed', 'rated')
           ) AS stepped_at
    FROM cases c
    WHERE c.published = TRUE
      AND c.kind <> 'to_cao'
"#;

fn row_from(row: &DbRow) -> Result<Open311Row, Error> {
    let (Some(public_title), Some(public_summary), Some(published_at)) = (
        row.try_get::<Option<String>, _>("public_title")?,
        row.try_get::<Option<String>, _>("public_summary")?,
        row.try_get::<Option<DbTime>, _>("published_at")?,
    ) else {
        return Err(corrupt("cases: a published case lacks its public copy"));
    };
    let received_at = row.try_get::<DbTime, _>("received_at")?.0;
    Ok(Open311Row {
        public: PublicCaseRow {
            code: CaseCode::from_stored(row.try_get("code")?),
            kind: parse(row, "kind")?,
            area: row.try_get("area")?,
            category: row.try_get("category")?,
            received_on: row.try_get("received_on")?,
            status: parse(row, "status")?,
            accepted_on: row.try_get("accepted_on")?,
            forwarded_on: row.try_get("forwarded_on")?,
            closed_on: row.try_get("closed_on")?,
            statutory_due: row.try_get("statutory_due")?,
            council_due: row.try_get("council_due")?,
            relay_due: row.try_get("relay_due")?,
            statutory_source: row.try_get("statutory_source")?,
            council_source: row.try_get("council_source")?,
            relay_source: row.try_get("relay_source")?,
            forwarded_unit: row.try_get("forwarded_unit")?,
            public_title,
            public_summary,
            answer: row.try_get("answer")?,
            published_at: published_at.0,
        },
        received_at,
        updated_at: row
            .try_get::<Option<DbTime>, _>("stepped_at")?
            .map_or(received_at, |t| t.0),
    })
}

/// Appends `AND column IN (…)` binding each of `values`; nothing when there are none.
fn push_in(query: &mut QueryBuilder<Db>, column: &str, values: Vec<String>) {
    if values.is_empty() {
        return;
    }
    query.push(format_args!(" AND {column} IN ("));
    let mut list = query.separated(", ");
    for value in values {
        list.push_bind(value);
    }
    query.push(")");
}

#[async_trait]
impl Open311Store for This {
    async fn put_open311_key(
        &self,
        name: &str,
        key_hash: &str,
        audit: &AuditNote,
    ) -> Result<(Open311Client, bool), Error> {
        let now = DbTime(self.clock.now());
        let mut tx = self.begin_write().await?;
        let existing: Option<i64> = sqlx::query("SELECT id FROM open311_clients WHERE name = $1")
            .bind(name)
            .fetch_optional(&mut *tx)
            .await?
            .map(|row| row.try_get("id"))
            .transpose()?;
        let id = match existing {
            Some(id) => {
                sqlx::query(
                    r#"
                    UPDATE open311_clients
                    SET key_hash = $1,
                        created_at = $2,
                        revoked_at = NULL
                    WHERE id = $3
                    "#,
                )
                .bind(key_hash)
                .bind(now)
                .bind(id)
                .execute(&mut *tx)
                .await?;
                id
            }
            None => sqlx::query(
                r#"
                INSERT INTO open311_clients (name, key_hash, created_at)
                VALUES ($1, $2, $3)
                RETURNING id
                "#,
            )
            .bind(name)
            .bind(key_hash)
            .bind(now)
            .fetch_one(&mut *tx)
            .await?
            .try_get("id")?,
        };
        let note = AuditNote {
            detail: Some(
                if existing.is_some() {
                    "replaces the earlier key"
                } else {
                    "new client"
                }
                .to_owned(),
            ),
            ..audit.clone()
        };
        write_audit(
            &mut tx,
            now,
            &note,
            ISSUE_OPEN311_KEY,
            &format!("open311_client:{id}"),
        )
        .await?;
        tx.commit().await?;
        let client = Open311Client {
            id: Open311ClientId(id),
            name: name.to_owned(),
        };
        Ok((client, existing.is_some()))
    }

    async fn revoke_open311_key(&self, name: &str, audit: &AuditNote) -> Result<(), Error> {
        let now = DbTime(self.clock.now());
        let mut tx = self.begin_write().await?;
        let revoked = sqlx::query(
            r#"
            UPDATE open311_clients
            SET revoked_at = $1
            WHERE name = $2
              AND revoked_at IS NULL
            RETURNING id
            "#,
        )
        .bind(now)
        .bind(name)
        .fetch_optional(&mut *tx)
        .await?;
        let Some(row) = revoked else {
            return Err(Error::NotFound("open311 client"));
        };
        let id: i64 = row.try_get("id")?;
        write_audit(
            &mut tx,
            now,
            audit,
            REVOKE_OPEN311_KEY,
            &format!("open311_client:{id}"),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    async fn get_open311_client(&self, key_hash: &str) -> Result<Option<Open311Client>, Error> {
        sqlx::query(
            r#"
            SELECT id, name
            FROM open311_clients
            WHERE key_hash = $1
              AND revoked_at IS NULL
            "#,
        )
        .bind(key_hash)
        .fetch_optional(&self.pool)
        .await?
        .map(|row| {
            Ok(Open311Client {
                id: Open311ClientId(row.try_get("id")?),
                name: row.try_get("name")?,
            })
        })
        .transpose()
    }

    async fn count_open311_cases_since(
        &self,
        prefix: &str,
        since: chrono::DateTime<chrono::Utc>,
    ) -> Result<i64, Error> {
        // The prefix is made by the hub of a client id and a colon, so it holds no `%` or `_`
        // that LIKE would read as a wildcard.
        let row = sqlx::query(
            r#"
            SELECT COUNT(*) AS n
            FROM cases
            WHERE channel = $1
              AND received_at >= $2
              AND source_ref LIKE $3
            "#,
        )
        .bind(SourceChannel::Open311.as_str())
        .bind(DbTime(since))
        .bind(format!("{prefix}%"))
        .fetch_one(&self.pool)
        .await?;
        Ok(row.try_get("n")?)
    }

    async fn list_open311_cases(&self, filter: &Open311Filter) -> Result<Vec<Open311Row>, Error> {
        let mut query = QueryBuilder::<Db>::new(SELECT);
        if filter.codes.is_empty() {
            push_in(&mut query, "c.category", filter.categories.clone());
            let statuses = filter.statuses.iter().map(|s| s.as_str().to_owned());
            push_in(&mut query, "c.status", statuses.collect());
            if let Some(from) = filter.from {
                query.push(" AND c.received_at >= ").push_bind(DbTime(from));
            }
            if let Some(until) = filter.until {
                query
                    .push(" AND c.received_at <= ")
                    .push_bind(DbTime(until));
            }
        } else {
            let codes = filter.codes.iter().map(|c| c.as_str().to_owned());
            push_in(&mut query, "c.code", codes.collect());
        }
        query
            .push(" ORDER BY c.received_at DESC, c.id DESC LIMIT ")
            .push_bind(filter.limit.max(1))
            .push(" OFFSET ")
            .push_bind(filter.offset.max(0));
        query
            .build()
            .fetch_all(&self.pool)
            .await?
            .iter()
            .map(row_from)
            .collect()
    }
}
