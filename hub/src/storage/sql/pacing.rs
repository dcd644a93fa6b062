//! The SQL of [`PacingStore`], compiled once per backend.

use std::sync::LazyLock;

use async_trait::async_trait;
use sqlx::Row;

use super::{FOR_UPDATE, This};
use crate::error::Error;
use crate::notification::pacing::{PacingSlot, Reservation};
use crate::storage::{DbTime, PacingStore, corrupt};

/// Reads a key's next free moment, locking its row until commit on PostgreSQL.
static NEXT_AT_SQL: LazyLock<String> =
    LazyLock::new(|| format!("SELECT next_at FROM pacing WHERE key = $1 {FOR_UPDATE}"));

#[async_trait]
impl PacingStore for This {
    async fn reserve_pacing(&self, slots: &[PacingSlot]) -> Result<Reservation, Error> {
        let now = self.clock.now();
        if slots.is_empty() {
            return Ok(Reservation::At(now));
        }
        // A destination free within this much is waited for in hand.
        let soon = now + chrono::Duration::milliseconds(100);
        let mut at = now;
        let mut busy_until = None;
        let mut tx = self.begin_write().await?;
        for slot in slots {
            sqlx::query(
                "INSERT INTO pacing (key, next_at) VALUES ($1, $2) ON CONFLICT (key) DO NOTHING",
            )
            .bind(slot.key.as_str())
            .bind(DbTime(now))
            .execute(&mut *tx)
            .await?;
            // The row is locked until commit (FOR UPDATE on PostgreSQL; SQLite's write
            // transaction holds the whole database), so no two sends get one slot.
            let next: DbTime = sqlx::query(NEXT_AT_SQL.as_str())
                .bind(slot.key.as_str())
                .fetch_one(&mut *tx)
                .await?
                .try_get("next_at")?;
            if slot.destination && next.0 > soon {
                busy_until = busy_until.max(Some(next.0));
            }
            at = at.max(next.0);
        }
        if let Some(until) = busy_until {
            tx.commit().await?;
            return Ok(Reservation::NotBefore(until));
        }
        // One moment for every key: the shared keys then never hold a slot that the
        // send did not use.
        for slot in slots {
            let every = chrono::Duration::from_std(slot.every).map_err(corrupt)?;
            sqlx::query("UPDATE pacing SET next_at = $1 WHERE key = $2")
                .bind(DbTime(at + every))
                .bind(slot.key.as_str())
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok(Reservation::At(at))
    }
}
