//! The SQL of [`StaffStore`], compiled once per backend.

use async_trait::async_trait;
use sqlx::Row;

use super::audit::write_audit;
use super::common::{contact_from_row, insert_contacts, parse, parse_opt};
use super::{DbConnection, DbRow, This};
use crate::domain::audit::{ADD_STAFF, SET_PREFERENCE};
use crate::domain::staff::{format_roles, parse_roles};
use crate::domain::{AccessToken, AuditNote, NewStaff, Staff, StaffId};
use crate::error::{DomainError, Error};
use crate::notification::ChannelKind;
use crate::notification::outbox::Category;
use crate::storage::{DbTime, StaffStore, corrupt};

macro_rules! staff_select {
    () => {
        r#"
        SELECT id, login, display_name, roles, unit, lead_id, time_zone, language, active,
               quiet_hours
        FROM staff
        "#
    };
}

async fn fetch_staff(conn: &mut DbConnection, row: DbRow) -> Result<Staff, Error> {
    let id: i64 = row.try_get("id")?;
    let contacts = sqlx::query(
        r#"
        SELECT kind, address
        FROM staff_contacts
        WHERE staff_id = $1
        ORDER BY position
        "#,
    )
    .bind(id)
    .fetch_all(&mut *conn)
    .await?
    .iter()
    .map(contact_from_row)
    .collect::<Result<_, _>>()?;
    let roles: String = row.try_get("roles")?;
    Ok(Staff {
        id: StaffId(id),
        login: row.try_get("login")?,
        display_name: row.try_get("display_name")?,
        roles: parse_roles(&roles).map_err(corrupt)?,
        unit: row.try_get("unit")?,
        lead: row.try_get::<Option<i64>, _>("lead_id")?.map(StaffId),
        time_zone: parse(&row, "time_zone")?,
        language: parse(&row, "language")?,
        contacts,
        quiet_hours: parse_opt(&row, "quiet_hours")?,
        active: row.try_get("active")?,
    })
}

/// The account `id` read on `conn` (inside the caller's transaction, if it has one).
pub(super) async fn get_staff_on(conn: &mut DbConnection, id: StaffId) -> Result<Staff, Error> {
    let row = sqlx::query(concat!(staff_select!(), "WHERE id = $1"))
        .bind(id.0)
        .fetch_optional(&mut *conn)
        .await?
        .ok_or(Error::NotFound("staff"))?;
    fetch_staff(conn, row).await
}

#[async_trait]
impl StaffStore for This {
    async fn add_staff(&self, staff: NewStaff, audit: &AuditNote) -> Result<Staff, Error> {
        let staff = staff.validate()?;
        let now = DbTime(self.clock.now());
        let mut tx = self.begin_write().await?;
        let id: i64 = sqlx::query(
            r#"
            INSERT INTO staff (login, display_name, roles, unit, lead_id, time_zone, language, active, created_at, quiet_hours)
            VALUES ($1, $2, $3, $4, $5, $6, $7, TRUE, $8, $9)
            RETURNING id
            "#,
        )
        .bind(staff.login.as_str())
        .bind(staff.display_name.as_str())
        .bind(format_roles(&staff.roles))
        .bind(staff.unit.as_deref())
        .bind(staff.lead.map(|s| s.0))
        .bind(staff.time_zone.name())
        .bind(staff.language.as_str())
        .bind(now)
        .bind(staff.quiet_hours.map(|q| q.to_string()))
        .fetch_one(&mut *tx)
        .await
        .map_err(|e| match Error::from(e) {
            Error::Conflict(_) => Error::Conflict(format!("login `{}` is taken", staff.login)),
            other => other,
        })?
        .try_get("id")?;
        insert_contacts(
            &mut tx,
            r#"
            INSERT INTO staff_contacts (staff_id, position, kind, address)
            VALUES ($1, $2, $3, $4)
            "#,
            id,
            &staff.contacts,
        )
        .await?;
        let note = AuditNote {
            detail: audit.detail.clone().or_else(|| Some(staff.login.clone())),
            ..audit.clone()
        };
        write_audit(&mut tx, now, &note, ADD_STAFF, &format!("staff:{id}")).await?;
        tx.commit().await?;
        self.get_staff(StaffId(id)).await
    }

    async fn get_staff(&self, id: StaffId) -> Result<Staff, Error> {
        let mut conn = self.pool.acquire().await?;
        get_staff_on(&mut conn, id).await
    }

    async fn get_staff_by_login(&self, login: &str) -> Result<Staff, Error> {
        let mut conn = self.pool.acquire().await?;
        let row = sqlx::query(concat!(staff_select!(), "WHERE login = $1"))
            .bind(login.trim().to_lowercase())
            .fetch_optional(&mut *conn)
            .await?
            .ok_or(Error::NotFound("staff"))?;
        fetch_staff(&mut conn, row).await
    }

    async fn list_staff(&self) -> Result<Vec<Staff>, Error> {
        let mut conn = self.pool.acquire().await?;
        let rows = sqlx::query(concat!(staff_select!(), "ORDER BY login"))
            .fetch_all(&mut *conn)
            .await?;
        let mut staff = Vec::with_capacity(rows.len());
        for row in rows {
            staff.push(fetch_staff(&mut conn, row).await?);
        }
        Ok(staff)
    }

    async fn set_preference(
        &self,
        staff: StaffId,
        category: Category,
        channel: ChannelKind,
        enabled: bool,
        audit: &AuditNote,
    ) -> Result<(), Error> {
        // Here, beneath every caller (the API, an unsubscribe link), so that no path can.
        if !enabled && !category.can_be_turned_off() {
            return Err(DomainError::invalid(
                "category",
                format!("`{category}` is a duty: deadline warnings cannot be turned off"),
            )
            .into());
        }
        let now = DbTime(self.clock.now());
        let mut tx = self.begin_write().await?;
        sqlx::query(
            r#"
            INSERT INTO preferences (staff_id, category, channel, enabled)
            VALUES ($1, $2, $3, $4)
            ON CONFLICT (staff_id, category, channel) DO UPDATE SET enabled = $4
            "#,
        )
        .bind(staff.0)
        .bind(category.as_str())
        .bind(channel.as_str())
        .bind(enabled)
        .execute(&mut *tx)
        .await?;
        let detail = format!(
            "{category} {channel} {}",
            if enabled { "on" } else { "off" }
        );
        let note = AuditNote {
            detail: Some(detail),
            ..audit.clone()
        };
        write_audit(
            &mut tx,
            now,
            &note,
            SET_PREFERENCE,
            &format!("staff:{staff}"),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    async fn list_disabled_preferences(
        &self,
    ) -> Result<Vec<(StaffId, Category, ChannelKind)>, Error> {
        sqlx::query("SELECT staff_id, category, channel FROM preferences WHERE enabled = FALSE")
            .fetch_all(&self.pool)
            .await?
            .iter()
            .map(|row| {
                Ok((
                    StaffId(row.try_get("staff_id")?),
                    parse(row, "category")?,
                    parse(row, "channel")?,
                ))
            })
            .collect()
    }

    async fn unsubscribe_token(
        &self,
        staff: StaffId,
        category: Category,
        channel: ChannelKind,
    ) -> Result<String, Error> {
        if !category.can_be_turned_off() {
            return Err(DomainError::invalid(
                "category",
                format!("`{category}` is a duty: it has no unsubscribe link"),
            )
            .into());
        }
        let fresh = AccessToken::generate().expose().to_owned();
        let mut tx = self.begin_write().await?;
        sqlx::query(
            r#"
            INSERT INTO unsubscribe_tokens (token, staff_id, category, channel)
            VALUES ($1, $2, $3, $4)
            ON CONFLICT (staff_id, category, channel) DO NOTHING
            "#,
        )
        .bind(fresh.as_str())
        .bind(staff.0)
        .bind(category.as_str())
        .bind(channel.as_str())
        .execute(&mut *tx)
        .await?;
        let token: String = sqlx::query(
            "SELECT token FROM unsubscribe_tokens WHERE staff_id = $1 AND category = $2 AND channel = $3",
        )
        .bind(staff.0)
        .bind(category.as_str())
        .bind(channel.as_str())
        .fetch_one(&mut *tx)
        .await?
        .try_get("token")?;
        tx.commit().await?;
        Ok(token)
    }

    async fn unsubscribe_target(
        &self,
        token: &str,
    ) -> Result<(StaffId, Category, ChannelKind), Error> {
        let row = sqlx::query(
            "SELECT staff_id, category, channel FROM unsubscribe_tokens WHERE token = $1",
        )
        .bind(token)
        .fetch_optional(&self.pool)
        .await?
        .ok_or(Error::NotFound("unsubscribe token"))?;
        Ok((
            StaffId(row.try_get("staff_id")?),
            parse(&row, "category")?,
            parse(&row, "channel")?,
        ))
    }

    async fn unsubscribe(&self, token: &str) -> Result<(StaffId, Category, ChannelKind), Error> {
        let found = self.unsubscribe_target(token).await?;
        self.set_preference(found.0, found.1, found.2, false, &AuditNote::staff(found.0))
            .await?;
        Ok(found)
    }
}
