//! The PostgreSQL store: for scale, and for several hub instances on one database.

use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::{PgPool, Postgres, Transaction};

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
    pub async fn open(url: &str, clock: Arc<dyn Clock>) -> Result<Self, Error> {
        let options = PgConnectOptions::from_str(url)?;
        let pool = PgPoolOptions::new()
            .max_connections(10)
            .connect_with(options)
            .await?;
        MIGRATOR.run(&pool).await?;
        Ok(Self { pool, clock })
    }

    /// Row locks taken by the UPDATEs settle races under READ COMMITTED.
    async fn begin_write(&self) -> Result<Transaction<'static, Postgres>, sqlx::Error> {
        self.pool.begin().await
    }
}

sql_store!(PgStore, Postgres, Backend::Postgres);
