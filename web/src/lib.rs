//! hdnd-web: the public portal and HTTP endpoints (axum + handlebars).
//!
//! Pages are rendered on the server, work without JavaScript and are in Vietnamese
//! (`lang="vi"`). Public pages are built only from the hub's public catalog
//! ([`hdnd_hub::PublicCatalog`]), the one place that decides what of a case the public may see;
//! this crate formats what it returns and never reads the store. Telegram's webhook route,
//! when there is one, stores updates through the hub's [`hdnd_hub::inbound::TelegramWebhook`].

mod atom;
mod chart;
mod config;
mod error;
mod ical;
mod listing;
mod metrics;
mod open311_doc;
mod page_cache;
mod public;
mod router;
mod routes;
mod state;
mod views;

pub use config::WebSettings;
pub use error::WebError;
pub use metrics::MetricsAccess;
pub use page_cache::PageCache;
pub use router::{router, router_with_cache};
pub use state::AppState;
pub use views::{ViewError, Views};
