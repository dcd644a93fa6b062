//! hdnd-hub: the core of hdnd. The domain (cases, workflow, the two clocks, staff, the sealed
//! identity of denouncers), its storage on SQLite and PostgreSQL, and the services that bot, web
//! and CLI call. It knows no transport: no HTTP, no Telegram.

pub mod access;
pub mod attachments;
pub mod calendar_feed;
pub mod case_desk;
pub mod catalog;
pub mod chats;
pub mod clock;
pub mod config;
pub mod delivery;
pub mod desk;
pub mod domain;
pub mod error;
pub mod feedback;
pub mod files;
pub mod findings;
pub mod hub;
pub mod inbound;
pub mod leader;
pub mod lookups;
pub mod mail_gateway;
pub mod messages;
pub mod metrics;
pub mod notification;
pub mod open311;
pub mod private_view;
pub mod retry;
pub mod schedule;
pub mod search;
pub mod staff_links;
pub mod statistics;
pub mod storage;
pub mod toml_file;
pub mod withdrawal;

pub use catalog::PublicCatalog;
pub use clock::{Clock, ManualClock, SystemClock};
pub use error::{DomainError, Error};
pub use hub::Hub;
pub use storage::{Backend, CaseFilter, CreatedCase, Store};
