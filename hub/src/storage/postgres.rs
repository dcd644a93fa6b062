//! The PostgreSQL store: for scale, and for several hub instances on one database.

use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use std::time::Duration;

use sqlx::{Connection, PgConnection, PgPool, Postgres};

use crate::storage::WriteTx;

/// The store on a PostgreSQL database.
#[derive(Debug, Clone)]
pub struct PgStore {
    pool: PgPool,
    clock: Arc<dyn Clock>,
}

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("../migrations/postgres");

impl PgStore {
    /// Connects and migrates; sqlx holds an advisory lock while migrating, so instances
    /// starting together apply each migration once.
    pub async fn open(url: &str, clock: Arc<dyn Clock>, timeout: Duration) -> Result<Self, Error> {
        let options = PgConnectOptions::from_str(url)?;
        // One direct connection first: the pool retries a refused connection until its
        // timeout and then reports only that it timed out; this reports why.
        match tokio::time::timeout(timeout, PgConnection::connect_with(&options)).await {
            Ok(Ok(conn)) => conn.close().await?,
            Ok(Err(e)) => return Err(e.into()),
            Err(_) => return Err(Error::Database(sqlx::Error::PoolTimedOut)),
        }
        let pool = PgPoolOptions::new()
            .max_connections(10)
            .acquire_timeout(timeout)
            .connect_with(options)
            .await?;
        MIGRATOR.run(&pool).await?;
        Ok(Self { pool, clock })
    }

    /// Row locks taken by the UPDATEs settle races under READ COMMITTED.
    async fn begin_write(&self) -> Result<WriteTx<Postgres>, sqlx::Error> {
        Ok(WriteTx::new(self.pool.begin().await?, None))
    }
}

sql_store!(
    PgStore,
    Postgres,
    Backend::Postgres,
    "FOR UPDATE SKIP LOCKED",
    "FOR UPDATE"
);
