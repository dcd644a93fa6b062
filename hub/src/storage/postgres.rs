//! The PostgreSQL store: for scale, and for several hub instances on one database.

// `sql/*.rs` is compiled once per backend, on purpose (see below).
#![allow(clippy::duplicate_mod)]

use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use std::time::Duration;

use sqlx::{Connection, PgConnection, PgPool, Postgres};

use std::str::FromStr;
use std::sync::Arc;

use crate::clock::Clock;
use crate::error::Error;
use crate::storage::{Backend, WriteTx};

/// The store on a PostgreSQL database.
#[derive(Debug)]
pub struct PgStore {
    pool: PgPool,
    clock: Arc<dyn Clock>,
}

/// The channel enqueues are announced on.
const OUTBOX_CHANNEL: &str = "hdnd_outbox";
/// Sent inside the enqueueing transaction: PostgreSQL delivers it at commit.
const NOTIFY_SQL: Option<&str> = Some("SELECT pg_notify('hdnd_outbox', '')");

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
        let folded = cases::index_unindexed_cases(&mut *pool.acquire().await?).await?;
        if folded > 0 {
            tracing::info!(cases = folded, "published cases indexed for search");
        }
        Ok(Self { pool, clock })
    }

    /// LISTENs on its own connection; the listener reconnects by itself after a lost
    /// connection, and polling covers what is missed meanwhile.
    async fn listen(
        &self,
        wake: Arc<tokio::sync::Notify>,
    ) -> Result<Option<tokio::task::JoinHandle<()>>, Error> {
        let mut listener = sqlx::postgres::PgListener::connect_with(&self.pool).await?;
        listener.listen(OUTBOX_CHANNEL).await?;
        Ok(Some(tokio::spawn(async move {
            loop {
                match listener.recv().await {
                    Ok(_) => wake.notify_one(),
                    Err(e) => {
                        tracing::warn!(error.message = %e, "outbox notifications interrupted; polling meanwhile");
                        tokio::time::sleep(std::time::Duration::from_secs(1)).await;
                    }
                }
            }
        })))
    }

    /// Row locks taken by the UPDATEs settle races under READ COMMITTED.
    async fn begin_write(&self) -> Result<WriteTx<Postgres>, sqlx::Error> {
        Ok(WriteTx::new(self.pool.begin().await?, None))
    }
}

/// The database the shared SQL in `sql/` is compiled for here.
type Db = Postgres;
type DbRow = <Db as sqlx::Database>::Row;
type DbConnection = <Db as sqlx::Database>::Connection;
/// The store the shared SQL implements the traits for.
type This = PgStore;
const BACKEND: Backend = Backend::Postgres;
/// What a claim adds to lock the rows it takes.
const SKIP_LOCKED: &str = "FOR UPDATE SKIP LOCKED";
/// What a read adds to lock the row it reads until commit.
const FOR_UPDATE: &str = "FOR UPDATE";
/// The database's own clock, for what several hosts must count alike (pacing).
const DB_NOW_SQL: Option<&str> = Some("SELECT clock_timestamp() AS now");
/// How the outbox claim names its index: PostgreSQL's planner finds `outbox_claim` itself.
const CLAIM_INDEX: &str = "";
/// PostgreSQL's planner finds `cases_public_received` itself.
const PUBLIC_LIST_INDEX: &str = " ";
/// The published cases whose folded text matches a search (bound as a `tsquery`), through the
/// partial GIN index `cases_search`.
const SEARCH_MATCH: &str =
    "search_text IS NOT NULL AND to_tsvector('simple', search_text) @@ to_tsquery('simple', ";
/// Closes [`SEARCH_MATCH`] after its bound query.
const SEARCH_MATCH_END: &str = ")";

// The same files are compiled again in the other backend's module, with its own types: the SQL
// is written once, and rustfmt formats it as ordinary code.
#[path = "sql/audit.rs"]
mod audit;
#[path = "sql/base.rs"]
mod base;
#[path = "sql/calendar_feeds.rs"]
mod calendar_feeds;
#[path = "sql/cases.rs"]
mod cases;
#[path = "sql/catalog.rs"]
mod catalog;
#[path = "sql/chats.rs"]
mod chats;
#[path = "sql/citizens.rs"]
mod citizens;
#[path = "sql/common.rs"]
mod common;
#[path = "sql/files.rs"]
mod files;
#[path = "sql/follows.rs"]
mod follows;
#[path = "sql/inbound.rs"]
mod inbound;
#[path = "sql/leases.rs"]
mod leases;
#[path = "sql/messages.rs"]
mod messages;
#[path = "sql/open311.rs"]
mod open311;
#[path = "sql/outbox.rs"]
mod outbox;
#[path = "sql/pacing.rs"]
mod pacing;
#[path = "sql/ratings.rs"]
mod ratings;
#[path = "sql/staff.rs"]
mod staff;
#[path = "sql/staff_links.rs"]
mod staff_links;
#[path = "sql/work.rs"]
mod work;
