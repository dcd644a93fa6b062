//! The SQL of [`PublicCatalogStore`], compiled once per backend.
//!
//! Each statement names its columns (never `*`) and filters on `published = TRUE AND kind <>
//! 'to_cao'` itself: what a public page may load is decided here, not by the caller.

use async_trait::async_trait;
use sqlx::Row;

use super::common::{parse, parse_opt};
use super::{Db, DbRow, This};
use crate::domain::CaseCode;
use crate::error::Error;
use crate::storage::catalog::bucket_statuses;
use crate::storage::{
    BucketCounts, DbTime, PublicCaseRow, PublicCatalogStore, PublicFilter, PublicOrder,
    PublicStepRow, corrupt,
};

type Query = sqlx::query::Query<'static, Db, <Db as sqlx::Database>::Arguments>;

/// The public columns `public_case_from_row` reads; the answer only once the case is answered
/// or explained, so an answer being drafted is never loaded.
macro_rules! public_case_select {
    () => {
        r#"
        SELECT code, kind, area, category, received_on, status, accepted_on, forwarded_on,
               closed_on, statutory_due, council_due, relay_due, statutory_source, council_source,
               relay_source, forwarded_unit, public_title,
               public_summary,
               CASE WHEN status IN ('answered', 'explained') THEN answer END AS answer,
               published_at
        FROM cases
        "#
    };
}

/// What the public may see at all.
macro_rules! public_only {
    () => {
        r#"
        WHERE published = TRUE
          AND kind <> 'to_cao'
        "#
    };
}

/// The conditions of [`PublicFilter`], binding kind, status, area, category and the bucket's
/// statuses as `$1`–`$10` (see [`bind_filter`]).
macro_rules! public_filter {
    () => {
        r#"
          AND ($1 IS NULL OR kind = $1)
          AND ($2 IS NULL OR status = $2)
          AND ($3 IS NULL OR area = $3)
          AND ($4 IS NULL OR category = $4)
          AND ($5 IS NULL OR status IN ($5, $6, $7, $8, $9, $10))
        "#
    };
}

fn bind_filter(query: Query, filter: &PublicFilter) -> Query {
    let query = query
        .bind(filter.kind.map(|k| k.as_str()))
        .bind(filter.status.map(|s| s.as_str()))
        .bind(filter.area.clone())
        .bind(filter.category.clone());
    bucket_statuses(filter.bucket)
        .into_iter()
        .fold(query, |query, status| query.bind(status))
}

fn public_case_from_row(row: &DbRow) -> Result<PublicCaseRow, Error> {
    let (Some(public_title), Some(public_summary), Some(published_at)) = (
        row.try_get::<Option<String>, _>("public_title")?,
        row.try_get::<Option<String>, _>("public_summary")?,
        row.try_get::<Option<DbTime>, _>("published_at")?,
    ) else {
        return Err(corrupt("cases: a published case lacks its public copy"));
    };
    Ok(PublicCaseRow {
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
    })
}

#[async_trait]
impl PublicCatalogStore for This {
    async fn list_public_cases(&self, filter: &PublicFilter) -> Result<Vec<PublicCaseRow>, Error> {
        let query = sqlx::query(concat!(
            public_case_select!(),
            public_only!(),
            public_filter!(),
            r#"
            ORDER BY CASE WHEN $11 THEN published_at END DESC, received_at DESC, id DESC
            LIMIT $12 OFFSET $13
            "#
        ));
        bind_filter(query, filter)
            .bind(filter.order == PublicOrder::Published)
            .bind(if filter.limit > 0 { filter.limit } else { 100 })
            .bind(filter.offset.max(0))
            .fetch_all(&self.pool)
            .await?
            .iter()
            .map(public_case_from_row)
            .collect()
    }

    async fn count_public_cases(&self, filter: &PublicFilter) -> Result<i64, Error> {
        let query = sqlx::query(concat!(
            "SELECT COUNT(*) AS n FROM cases",
            public_only!(),
            public_filter!()
        ));
        let row = bind_filter(query, filter).fetch_one(&self.pool).await?;
        Ok(row.try_get("n")?)
    }

    async fn get_public_case(&self, code: &CaseCode) -> Result<Option<PublicCaseRow>, Error> {
        sqlx::query(concat!(
            public_case_select!(),
            public_only!(),
            "AND code = $1"
        ))
        .bind(code.as_str().to_owned())
        .fetch_optional(&self.pool)
        .await?
        .as_ref()
        .map(public_case_from_row)
        .transpose()
    }

    async fn public_timeline(&self, code: &CaseCode) -> Result<Vec<PublicStepRow>, Error> {
        // Neither `note` nor `actor` nor `staff_id` is selected: the public sees what happened
        // and when, not who did it or what was written.
        sqlx::query(
            r#"
            SELECT e.at, e.kind, e.from_status, e.to_status
            FROM case_events e
            JOIN cases c ON c.id = e.case_id
            WHERE c.code = $1
              AND c.published = TRUE
              AND c.kind <> 'to_cao'
            ORDER BY e.id
            "#,
        )
        .bind(code.as_str().to_owned())
        .fetch_all(&self.pool)
        .await?
        .iter()
        .map(|row| {
            Ok(PublicStepRow {
                at: row.try_get::<DbTime, _>("at")?.0,
                kind: parse(row, "kind")?,
                from: parse_opt(row, "from_status")?,
                to: parse_opt(row, "to_status")?,
            })
        })
        .collect()
    }

    async fn count_public_cases_by_bucket(&self) -> Result<BucketCounts, Error> {
        // Every received case but denunciations, published or not: the buckets are the
        // council's report figures, and only numbers leave this query.
        let rows = sqlx::query(
            r#"
            SELECT status, COUNT(*) AS n
            FROM cases
            WHERE kind <> 'to_cao'
            GROUP BY status
            "#,
        )
        .fetch_all(&self.pool)
        .await?;
        let mut counts = BucketCounts::default();
        for row in &rows {
            counts.add(parse(row, "status")?, row.try_get("n")?);
        }
        Ok(counts)
    }
}
