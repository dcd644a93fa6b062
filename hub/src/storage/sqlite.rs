//! The SQLite store: the embedded default, one file under `data/`.

// `sql/*.rs` is compiled once per backend, on purpose (see below).
#![allow(clippy::duplicate_mod)]

use std::path::Path;
use std::time::Duration;

use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{Sqlite, SqlitePool};

use std::str::FromStr;
use std::sync::{Arc, Mutex, Weak};

use sqlx::sqlite::SqliteOperation;
use tokio::sync::Notify;

use crate::clock::Clock;
use crate::error::Error;
use crate::storage::{Backend, WriteTx};

/// The store on a SQLite database.
#[derive(Debug)]
pub struct SqliteStore {
    pool: SqlitePool,
    clock: Arc<dyn Clock>,
    writer: Arc<tokio::sync::Mutex<()>>,
    outbox_listeners: Arc<OutboxListeners>,
}

/// The delivery workers of this process to wake when one of the pool's connections adds a row
/// to the outbox: what NOTIFY does on PostgreSQL, within one process. Weak, so that a worker
/// that is dropped leaves nothing behind.
#[derive(Debug, Default)]
struct OutboxListeners(Mutex<Vec<Weak<Notify>>>);

impl OutboxListeners {
    fn add(&self, wake: &Arc<Notify>) {
        self.lock().push(Arc::downgrade(wake));
    }

    fn wake(&self) {
        self.lock().retain(|wake| match wake.upgrade() {
            Some(wake) => {
                wake.notify_one();
                true
            }
            None => false,
        });
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<Weak<Notify>>> {
        self.0.lock().unwrap_or_else(|e| e.into_inner())
    }
}

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("../migrations/sqlite");

impl SqliteStore {
    /// Opens (creating if missing) the database file and its folder, and migrates it.
    pub async fn open(url: &str, clock: Arc<dyn Clock>, timeout: Duration) -> Result<Self, Error> {
        // The pragmas live in the connect options, not in migrations, so that every pooled
        // connection gets them: WAL for readers beside the writer, NORMAL sync (safe with WAL),
        // a busy timeout instead of instant SQLITE_BUSY, and foreign keys.
        let options = SqliteConnectOptions::from_str(url)?
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Normal)
            .busy_timeout(Duration::from_secs(10))
            .foreign_keys(true);
        let file = options.get_filename();
        if let Some(folder) = file.parent().filter(|p| !p.as_os_str().is_empty())
            && !folder.exists()
            && file != Path::new(":memory:")
        {
            std::fs::create_dir_all(folder).map_err(|e| {
                Error::Database(sqlx::Error::Configuration(
                    format!("cannot create the data folder {}: {e}", folder.display()).into(),
                ))
            })?;
        }
        let outbox_listeners = Arc::new(OutboxListeners::default());
        let listeners = outbox_listeners.clone();
        let pool = SqlitePoolOptions::new()
            .max_connections(8)
            .acquire_timeout(timeout)
            // SQLite calls the hook on the connection that inserts, before the transaction
            // commits. That is soon enough and never too soon: the woken worker's claim is a
            // write, and waits for the writer lock, which the inserting transaction holds
            // until it has committed (or rolled back, leaving the claim nothing).
            .after_connect(move |conn, _| {
                let listeners = listeners.clone();
                Box::pin(async move {
                    conn.lock_handle().await?.set_update_hook(move |change| {
                        if change.operation == SqliteOperation::Insert && change.table == "outbox" {
                            listeners.wake();
                        }
                    });
                    Ok(())
                })
            })
            .connect_with(options)
            .await?;
        MIGRATOR.run(&pool).await?;
        let folded = cases::index_unindexed_cases(&mut *pool.acquire().await?).await?;
        if folded > 0 {
            tracing::info!(cases = folded, "published cases indexed for search");
        }
        Ok(Self {
            pool,
            clock,
            writer: Arc::default(),
            outbox_listeners,
        })
    }

    /// Wakes `wake` whenever this process adds a row to the outbox. SQLite cannot tell other
    /// processes on the same file; their workers find new rows by polling.
    async fn listen(
        &self,
        wake: Arc<Notify>,
    ) -> Result<Option<tokio::task::JoinHandle<()>>, Error> {
        self.outbox_listeners.add(&wake);
        Ok(None)
    }

    /// SQLite has one writer at a time. Within this process writers queue on an async lock,
    /// which is fair and wakes at once; SQLite's busy handler, which sleeps and polls, is left
    /// for writers in other processes. The transaction begins IMMEDIATE, taking the write lock
    /// at once instead of failing later when it upgrades a read lock.
    async fn begin_write(&self) -> Result<WriteTx<Sqlite>, sqlx::Error> {
        let writer = self.writer.clone().lock_owned().await;
        let tx = self.pool.begin_with("BEGIN IMMEDIATE").await?;
        Ok(WriteTx::new(tx, Some(writer)))
    }
}

/// The database the shared SQL in `sql/` is compiled for here.
type Db = Sqlite;
type DbRow = <Db as sqlx::Database>::Row;
type DbConnection = <Db as sqlx::Database>::Connection;
/// The store the shared SQL implements the traits for.
type This = SqliteStore;
const BACKEND: Backend = Backend::Sqlite;
/// What a claim adds to lock the rows it takes.
const SKIP_LOCKED: &str = "";
/// What a read adds to lock the row it reads until commit.
const FOR_UPDATE: &str = "";
/// The database's own clock, for what several hosts must count alike (pacing); SQLite serves
/// one host, whose clock the store has.
const DB_NOW_SQL: Option<&str> = None;
/// How the outbox claim names its index: SQLite's planner otherwise takes `outbox_due` and
/// sorts every due row on each claim, a cost that grows with the queue.
const CLAIM_INDEX: &str = "INDEXED BY outbox_claim";
/// How the public listing names its index: without statistics SQLite's planner takes
/// `cases_published` for the `published = TRUE` term and sorts every published case on each
/// page, where the partial index over the public rows in listing order reads just one page.
const PUBLIC_LIST_INDEX: &str = " INDEXED BY cases_public_received ";
/// The published cases whose folded text matches a search (bound as an FTS5 query).
const SEARCH_MATCH: &str = "id IN (SELECT rowid FROM cases_search WHERE cases_search MATCH ";
/// Closes [`SEARCH_MATCH`] after its bound query.
const SEARCH_MATCH_END: &str = ")";
/// No notifications on SQLite.
const NOTIFY_SQL: Option<&str> = None;

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
