//! The SQL of [`PublicCatalogStore`], compiled once per backend.
//!
//! Each statement names its columns (never `*`) and filters on `published = TRUE AND kind <>
//! 'to_cao'` itself: what a public page may load is decided here, not by the caller.

use async_trait::async_trait;
use chrono::{DateTime, NaiveDate, Utc};
use sqlx::{QueryBuilder, Row};

use super::common::{parse, parse_opt};
use super::{BACKEND, Db, DbRow, PUBLIC_LIST_INDEX, SEARCH_MATCH, SEARCH_MATCH_END, This};
use crate::domain::{CaseCode, Status};
use crate::error::Error;
use crate::storage::{
    Backend, BucketCounts, DbTime, PublicCaseRow, PublicCatalogStore, PublicFilter, PublicOrder,
    PublicStepRow, StatisticRow, corrupt,
};

/// The public columns `public_case_from_row` reads; the answer only once the case is answered
/// or explained, so an answer being drafted is never loaded. The `FROM` is the caller's.
macro_rules! public_case_columns {
    () => {
        r#"
        SELECT code, kind, area, category, received_on, status, accepted_on, forwarded_on,
               closed_on, statutory_due, council_due, relay_due, statutory_source, council_source,
               relay_source, forwarded_unit, public_title,
               public_summary,
               CASE WHEN status IN ('answered', 'explained') THEN answer END AS answer,
               published_at
        "#
    };
}

/// [`public_case_columns!`] from the whole table.
macro_rules! public_case_select {
    () => {
        concat!(public_case_columns!(), " FROM cases ")
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

/// The conditions of `filter` after [`public_only!`], each bound. Only the conditions set are
/// written, so each combination of filters is its own prepared statement with its own plan.
fn push_filter(sql: &mut QueryBuilder<Db>, filter: &PublicFilter) {
    if let Some(kind) = filter.kind {
        sql.push(" AND kind = ").push_bind(kind.as_str());
    }
    if let Some(status) = filter.status {
        sql.push(" AND status = ").push_bind(status.as_str());
    }
    if let Some(area) = &filter.area {
        sql.push(" AND area = ").push_bind(area.clone());
    }
    if let Some(category) = &filter.category {
        sql.push(" AND category = ").push_bind(category.clone());
    }
    if let Some(bucket) = filter.bucket {
        sql.push(" AND status IN (");
        let mut statuses = sql.separated(", ");
        for status in Status::ALL
            .into_iter()
            .filter(|s| s.bucket() == Some(bucket))
        {
            statuses.push_bind(status.as_str());
        }
        sql.push(")");
    }
    if let Some(year) = filter.year {
        match (
            NaiveDate::from_ymd_opt(year, 1, 1),
            NaiveDate::from_ymd_opt(year.saturating_add(1), 1, 1),
        ) {
            (Some(first), Some(next)) => {
                sql.push(" AND received_on >= ").push_bind(first);
                sql.push(" AND received_on < ").push_bind(next);
            }
            _ => {
                sql.push(" AND 1 = 0");
            }
        }
    }
    if let Some(search) = &filter.search {
        let query = match BACKEND {
            Backend::Sqlite => search.fts5(),
            Backend::Postgres => search.tsquery(),
        };
        sql.push(" AND ")
            .push(SEARCH_MATCH)
            .push_bind(query)
            .push(SEARCH_MATCH_END);
    }
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
        let mut sql = QueryBuilder::<Db>::new(concat!(public_case_columns!(), " FROM cases"));
        if filter.order == PublicOrder::Received {
            sql.push(PUBLIC_LIST_INDEX);
        }
        sql.push(public_only!());
        push_filter(&mut sql, filter);
        if let Some(after) = &filter.after {
            // The keyset of the next page: the cursor is a public code, and a code that is not
            // a published case's matches nothing.
            sql.push(concat!(
                " AND (received_at, code) < (SELECT received_at, code FROM cases",
                public_only!(),
                " AND code = "
            ))
            .push_bind(after.as_str().to_owned())
            .push(")");
        }
        sql.push(match filter.order {
            PublicOrder::Received => " ORDER BY received_at DESC, code DESC",
            PublicOrder::Published => " ORDER BY published_at DESC, received_at DESC, code DESC",
        });
        sql.push(" LIMIT ")
            .push_bind(if filter.limit > 0 { filter.limit } else { 100 })
            .push(" OFFSET ")
            .push_bind(filter.offset.max(0));
        sql.build()
            .fetch_all(&self.pool)
            .await?
            .iter()
            .map(public_case_from_row)
            .collect()
    }

    async fn count_public_cases(&self, filter: &PublicFilter) -> Result<i64, Error> {
        let mut sql = QueryBuilder::<Db>::new("SELECT COUNT(*) AS n FROM cases");
        sql.push(PUBLIC_LIST_INDEX).push(public_only!());
        push_filter(&mut sql, filter);
        let row = sql.build().fetch_one(&self.pool).await?;
        Ok(row.try_get("n")?)
    }

    async fn count_public_cases_upto(&self, filter: &PublicFilter, cap: i64) -> Result<i64, Error> {
        // Counting stops at the cap: a listing says "more than 1,000" rather than read 100,000
        // rows on every page view.
        let mut sql = QueryBuilder::<Db>::new("SELECT COUNT(*) AS n FROM (SELECT 1 FROM cases");
        sql.push(PUBLIC_LIST_INDEX).push(public_only!());
        push_filter(&mut sql, filter);
        sql.push(" LIMIT ")
            .push_bind(cap.max(0))
            .push(") AS capped");
        let row = sql.build().fetch_one(&self.pool).await?;
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

    async fn public_statistic_rows(&self) -> Result<Vec<StatisticRow>, Error> {
        // Like the buckets: every case but denunciations, and only codes, dates and counts.
        // Grouping on the stored dates (not on a year or a difference of days, which each
        // backend writes differently) keeps one statement for both; the hub folds the rows.
        sqlx::query(
            r#"
            SELECT kind, status, area, category, forwarded_unit, received_on, closed_on,
                   statutory_due, council_due, COUNT(*) AS n
            FROM cases
            WHERE kind <> 'to_cao'
            GROUP BY kind, status, area, category, forwarded_unit, received_on, closed_on,
                     statutory_due, council_due
            "#,
        )
        .fetch_all(&self.pool)
        .await?
        .iter()
        .map(|row| {
            Ok(StatisticRow {
                kind: parse(row, "kind")?,
                status: parse(row, "status")?,
                area: row.try_get("area")?,
                category: row.try_get("category")?,
                forwarded_unit: row.try_get("forwarded_unit")?,
                received_on: row.try_get("received_on")?,
                closed_on: row.try_get("closed_on")?,
                statutory_due: row.try_get("statutory_due")?,
                council_due: row.try_get("council_due")?,
                n: row.try_get("n")?,
            })
        })
        .collect()
    }

    async fn public_received_span(&self) -> Result<Option<(DateTime<Utc>, DateTime<Utc>)>, Error> {
        // Two scalar subqueries, so that each reads one end of the listing's index.
        let sql = format!(
            "SELECT (SELECT MIN(received_at) FROM cases{index}{public}) AS first, \
                    (SELECT MAX(received_at) FROM cases{index}{public}) AS last",
            index = PUBLIC_LIST_INDEX,
            public = public_only!(),
        );
        let row = sqlx::query(sqlx::AssertSqlSafe(sql))
            .fetch_one(&self.pool)
            .await?;
        let first: Option<DbTime> = row.try_get("first")?;
        let last: Option<DbTime> = row.try_get("last")?;
        Ok(first.zip(last).map(|(first, last)| (first.0, last.0)))
    }
}
