//! The SQL of [`PacingStore`], compiled once per backend.

use std::sync::LazyLock;

use async_trait::async_trait;
use sqlx::Row;

use super::{DB_NOW_SQL, FOR_UPDATE, This};
use crate::error::Error;
use crate::notification::pacing::{PacingSlot, Reservation};
use crate::storage::{DbTime, PacingStore, corrupt};

/// Reads a key's next free moment, locking its row until commit on PostgreSQL.
static NEXT_AT_SQL: LazyLock<String> =
    LazyLock::new(|| format!("SELECT next_at FROM pacing WHERE key = $1 {FOR_UPDATE}"));

#[async_trait]
impl PacingStore for This {
    async fn reserve_pacing(
        &self,
        slots: &[PacingSlot],
        horizon: std::time::Duration,
    ) -> Result<Reservation, Error> {
        let host_now = self.clock.now();
        if slots.is_empty() {
            return Ok(Reservation::After(std::time::Duration::ZERO));
        }
        let mut tx = self.begin_write().await?;
        // One clock for every instance that shares the keys: the database's where there may be
        // several hosts. Host clocks that disagree by more than an interval (35 ms overall on
        // Telegram) would let two instances send in one slot.
        let now = match DB_NOW_SQL {
            Some(sql) => {
                sqlx::query(sql)
                    .fetch_one(&mut *tx)
                    .await?
                    .try_get::<DbTime, _>("now")?
                    .0
            }
            None => host_now,
        };
        // A destination free within this much is waited for in hand.
        let soon = now + chrono::Duration::milliseconds(100);
        let horizon_end = now + chrono::Duration::from_std(horizon).map_err(corrupt)?;
        let mut at = now;
        let mut busy_until = None;
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
            // A shared key reserved far ahead would hand out a slot the send never uses (its
            // row goes back to the queue), and every such claim would push the key further.
            let limit = if slot.destination { soon } else { horizon_end };
            if next.0 > limit {
                busy_until = busy_until.max(Some(next.0));
            }
            at = at.max(next.0);
        }
        if let Some(until) = busy_until {
            tx.commit().await?;
            return Ok(Reservation::NotBefore(host_now + (until - now)));
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
        Ok(Reservation::After((at - now).to_std().unwrap_or_default()))
    }
}
