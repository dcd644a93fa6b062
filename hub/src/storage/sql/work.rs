//! The SQL of [`WorkStore`], compiled once per backend.

use async_trait::async_trait;
use sqlx::Row;

use super::audit::write_audit;
use super::common::parse;
use super::{DbConnection, DbRow, This};
use crate::domain::audit::{ADD_EVENT, ADD_TASK, SET_TASK_STATUS};
use crate::domain::{
    AuditNote, CalendarEvent, CaseId, NewCalendarEvent, NewTask, StaffId, Task, TaskStatus,
};
use crate::error::Error;
use crate::storage::{DbTime, TaskChange, WorkStore};

fn task_from_row(row: &DbRow) -> Result<Task, Error> {
    Ok(Task {
        id: row.try_get("id")?,
        title: row.try_get("title")?,
        assignee: StaffId(row.try_get("assignee_id")?),
        due_on: row.try_get("due_on")?,
        status: parse(row, "status")?,
        case_id: row.try_get::<Option<i64>, _>("case_id")?.map(CaseId),
    })
}

async fn fetch_calendar_event(
    conn: &mut DbConnection,
    row: &DbRow,
) -> Result<CalendarEvent, Error> {
    let id: i64 = row.try_get("id")?;
    let attendees =
        sqlx::query("SELECT staff_id FROM event_attendees WHERE event_id = $1 ORDER BY staff_id")
            .bind(id)
            .fetch_all(&mut *conn)
            .await?
            .iter()
            .map(|r| Ok(StaffId(r.try_get("staff_id")?)))
            .collect::<Result<_, Error>>()?;
    Ok(CalendarEvent {
        id,
        title: row.try_get("title")?,
        kind: parse(row, "kind")?,
        starts_at: row.try_get::<DbTime, _>("starts_at")?.0,
        ends_at: row.try_get::<Option<DbTime>, _>("ends_at")?.map(|t| t.0),
        place: row.try_get("place")?,
        public: row.try_get("public")?,
        attendees,
    })
}

/// Applies a planned task change with its audit row, only while the task is still in the
/// status it was read in.
pub(super) async fn apply_task_change(
    conn: &mut DbConnection,
    change: &TaskChange,
    now: DbTime,
) -> Result<Task, Error> {
    let row = sqlx::query(
        r#"
        UPDATE tasks
        SET status = $1, updated_at = $2
        WHERE id = $3
          AND status = $4
        RETURNING id, title, assignee_id, due_on, status, case_id
        "#,
    )
    .bind(change.to.as_str())
    .bind(now)
    .bind(change.task.id)
    .bind(change.task.status.as_str())
    .fetch_optional(&mut *conn)
    .await?
    .ok_or_else(|| Error::Conflict("the task changed meanwhile".to_owned()))?;
    let task = task_from_row(&row)?;
    write_audit(
        conn,
        now,
        &change.audit,
        SET_TASK_STATUS,
        &format!("task:{}", task.id),
    )
    .await?;
    Ok(task)
}

#[async_trait]
impl WorkStore for This {
    async fn add_task(&self, task: NewTask, audit: &AuditNote) -> Result<Task, Error> {
        let task = task.validate()?;
        let now = DbTime(self.clock.now());
        let mut tx = self.begin_write().await?;
        let row = sqlx::query(
            r#"
            INSERT INTO tasks (title, assignee_id, due_on, status, case_id, created_at, updated_at)
            VALUES ($1, $2, $3, 'open', $4, $5, $5)
            RETURNING id, title, assignee_id, due_on, status, case_id
            "#,
        )
        .bind(task.title.as_str())
        .bind(task.assignee.0)
        .bind(task.due_on)
        .bind(task.case_id.map(|c| c.0))
        .bind(now)
        .fetch_one(&mut *tx)
        .await?;
        let task = task_from_row(&row)?;
        write_audit(&mut tx, now, audit, ADD_TASK, &format!("task:{}", task.id)).await?;
        tx.commit().await?;
        Ok(task)
    }

    async fn list_tasks(
        &self,
        status: Option<TaskStatus>,
        from: chrono::NaiveDate,
        to: chrono::NaiveDate,
    ) -> Result<Vec<Task>, Error> {
        sqlx::query(
            r#"
            SELECT id, title, assignee_id, due_on, status, case_id
            FROM tasks
            WHERE ($1 IS NULL OR status = $1)
              AND due_on >= $2
              AND due_on <= $3
            ORDER BY due_on, id
            "#,
        )
        .bind(status.map(|s| s.as_str()))
        .bind(from)
        .bind(to)
        .fetch_all(&self.pool)
        .await?
        .iter()
        .map(task_from_row)
        .collect()
    }

    async fn list_staff_tasks(
        &self,
        assignee: StaffId,
        status: Option<TaskStatus>,
    ) -> Result<Vec<Task>, Error> {
        sqlx::query(
            r#"
            SELECT id, title, assignee_id, due_on, status, case_id
            FROM tasks
            WHERE assignee_id = $1
              AND ($2 IS NULL OR status = $2)
            ORDER BY due_on, id
            "#,
        )
        .bind(assignee.0)
        .bind(status.map(|s| s.as_str()))
        .fetch_all(&self.pool)
        .await?
        .iter()
        .map(task_from_row)
        .collect()
    }

    async fn get_task(&self, id: i64) -> Result<Task, Error> {
        let row = sqlx::query(
            r#"
            SELECT id, title, assignee_id, due_on, status, case_id
            FROM tasks
            WHERE id = $1
            "#,
        )
        .bind(id)
        .fetch_optional(&self.pool)
        .await?
        .ok_or(Error::NotFound("task"))?;
        task_from_row(&row)
    }

    async fn set_task_status(
        &self,
        id: i64,
        status: TaskStatus,
        audit: &AuditNote,
    ) -> Result<Task, Error> {
        let now = DbTime(self.clock.now());
        let mut tx = self.begin_write().await?;
        let row = sqlx::query(
            r#"
            UPDATE tasks
            SET status = $1, updated_at = $2
            WHERE id = $3
            RETURNING id, title, assignee_id, due_on, status, case_id
            "#,
        )
        .bind(status.as_str())
        .bind(now)
        .bind(id)
        .fetch_optional(&mut *tx)
        .await?
        .ok_or(Error::NotFound("task"))?;
        let task = task_from_row(&row)?;
        write_audit(
            &mut tx,
            now,
            audit,
            SET_TASK_STATUS,
            &format!("task:{}", task.id),
        )
        .await?;
        tx.commit().await?;
        Ok(task)
    }

    async fn add_calendar_event(
        &self,
        event: NewCalendarEvent,
        audit: &AuditNote,
    ) -> Result<CalendarEvent, Error> {
        let event = event.validate()?;
        let now = DbTime(self.clock.now());
        let mut tx = self.begin_write().await?;
        let row = sqlx::query(
            r#"
            INSERT INTO calendar_events (title, kind, starts_at, ends_at, place, public, created_at)
            VALUES ($1, $2, $3, $4, $5, $6, $7)
            RETURNING id, title, kind, starts_at, ends_at, place, public
            "#,
        )
        .bind(event.title.as_str())
        .bind(event.kind.as_str())
        .bind(DbTime(event.starts_at))
        .bind(event.ends_at.map(DbTime))
        .bind(event.place.as_deref())
        .bind(event.public)
        .bind(now)
        .fetch_one(&mut *tx)
        .await?;
        let id: i64 = row.try_get("id")?;
        for staff in &event.attendees {
            sqlx::query("INSERT INTO event_attendees (event_id, staff_id) VALUES ($1, $2)")
                .bind(id)
                .bind(staff.0)
                .execute(&mut *tx)
                .await?;
        }
        let stored = fetch_calendar_event(&mut tx, &row).await?;
        write_audit(&mut tx, now, audit, ADD_EVENT, &format!("event:{id}")).await?;
        tx.commit().await?;
        Ok(stored)
    }

    async fn list_calendar_events(
        &self,
        from: chrono::DateTime<chrono::Utc>,
        to: chrono::DateTime<chrono::Utc>,
    ) -> Result<Vec<CalendarEvent>, Error> {
        let mut conn = self.pool.acquire().await?;
        let rows = sqlx::query(
            r#"
            SELECT id, title, kind, starts_at, ends_at, place, public
            FROM calendar_events
            WHERE starts_at >= $1
              AND starts_at <= $2
            ORDER BY starts_at, id
            "#,
        )
        .bind(DbTime(from))
        .bind(DbTime(to))
        .fetch_all(&mut *conn)
        .await?;
        let mut events = Vec::with_capacity(rows.len());
        for row in &rows {
            events.push(fetch_calendar_event(&mut conn, row).await?);
        }
        Ok(events)
    }
}
