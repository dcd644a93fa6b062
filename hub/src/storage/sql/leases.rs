//! The SQL of [`LeaseStore`], compiled once per backend.

use async_trait::async_trait;
use sqlx::Row;

use super::{DbRow, This};
use crate::domain::{AccessToken, Lease};
use crate::error::Error;
use crate::storage::{DbTime, LeaseStore, corrupt};

fn lease_from_row(row: &DbRow) -> Result<Lease, Error> {
    Ok(Lease {
        name: row.try_get("name")?,
        holder: row.try_get("holder")?,
        token: row.try_get("token")?,
        generation: row.try_get("generation")?,
        expires_at: row.try_get::<DbTime, _>("expires_at")?.0,
    })
}

#[async_trait]
impl LeaseStore for This {
    async fn acquire_lease(
        &self,
        name: &str,
        holder: &str,
        ttl: std::time::Duration,
    ) -> Result<Option<Lease>, Error> {
        let now = self.clock.now();
        let until = now + chrono::Duration::from_std(ttl).map_err(corrupt)?;
        let token = AccessToken::generate().hash();
        let mut tx = self.begin_write().await?;
        // The upsert takes the row only where it expired: on PostgreSQL concurrent callers
        // queue on the row lock and re-check the condition, so exactly one of them wins.
        let row = sqlx::query(
            r#"
            INSERT INTO leases (name, holder, token, generation, expires_at)
            VALUES ($1, $2, $3, 1, $4)
            ON CONFLICT (name) DO UPDATE
            SET holder = $2, token = $3, generation = leases.generation + 1, expires_at = $4
            WHERE leases.expires_at <= $5
            RETURNING name, holder, token, generation, expires_at
            "#,
        )
        .bind(name)
        .bind(holder)
        .bind(token.as_str())
        .bind(DbTime(until))
        .bind(DbTime(now))
        .fetch_optional(&mut *tx)
        .await?;
        let lease = row.as_ref().map(lease_from_row).transpose()?;
        tx.commit().await?;
        Ok(lease)
    }

    async fn renew_lease(
        &self,
        lease: &Lease,
        ttl: std::time::Duration,
    ) -> Result<Option<Lease>, Error> {
        let until = self.clock.now() + chrono::Duration::from_std(ttl).map_err(corrupt)?;
        let mut tx = self.begin_write().await?;
        // The token alone decides: a lease that expired but was not taken over is still ours,
        // and one that was taken over has another token.
        let row = sqlx::query(
            r#"
            UPDATE leases
            SET expires_at = $1
            WHERE name = $2
              AND token = $3
            RETURNING name, holder, token, generation, expires_at
            "#,
        )
        .bind(DbTime(until))
        .bind(lease.name.as_str())
        .bind(lease.token.as_str())
        .fetch_optional(&mut *tx)
        .await?;
        let renewed = row.as_ref().map(lease_from_row).transpose()?;
        tx.commit().await?;
        Ok(renewed)
    }

    async fn release_lease(&self, lease: &Lease) -> Result<(), Error> {
        let now = DbTime(self.clock.now());
        let mut tx = self.begin_write().await?;
        sqlx::query("UPDATE leases SET expires_at = $1 WHERE name = $2 AND token = $3")
            .bind(now)
            .bind(lease.name.as_str())
            .bind(lease.token.as_str())
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(())
    }

    async fn current_lease(&self, name: &str) -> Result<Option<Lease>, Error> {
        let row = sqlx::query(
            r#"
            SELECT name, holder, token, generation, expires_at
            FROM leases
            WHERE name = $1
              AND expires_at > $2
            "#,
        )
        .bind(name)
        .bind(DbTime(self.clock.now()))
        .fetch_optional(&self.pool)
        .await?;
        row.as_ref().map(lease_from_row).transpose()
    }
}
