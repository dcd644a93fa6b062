//! The SQL of [`StoreBase`], compiled once per backend.

use std::sync::Arc;

use async_trait::async_trait;

use super::{BACKEND, This};
use crate::clock::Clock;
use crate::error::Error;
use crate::storage::{Backend, StoreBase};

#[async_trait]
impl StoreBase for This {
    fn backend(&self) -> Backend {
        BACKEND
    }

    fn clock(&self) -> &Arc<dyn Clock> {
        &self.clock
    }

    async fn ping(&self) -> Result<(), Error> {
        sqlx::query("SELECT 1").execute(&self.pool).await?;
        Ok(())
    }

    async fn close(&self) {
        self.pool.close().await;
    }
}
