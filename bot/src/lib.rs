//! hdnd-bot: the Telegram side of hdnd.
//!
//! So far: the outbound [`channel::TelegramChannel`] (the hub's `Channel` over the Bot API),
//! the two transports that store every update before acknowledging it (long polling,
//! [`poller::Poller`]; or a webhook Telegram posts to, set up by [`webhook`], whose route is in
//! hdnd-web), the command menus per scope and language ([`menu`]), the setup calls to the Bot
//! API ([`api`]), the [`handler::TelegramHandler`] that answers stored updates
//! (`/start`, `/help`, `/lang` from the [`commands`] table, and the [`dialogue`] that files a
//! case, shown by [`prompts`]), what every Telegram message must respect (message and
//! callback-data limits, Telegram-HTML escaping: [`text`]), and the `[telegram]` settings
//! section. Linked staff get the desk (`desk`: `/inbox`, `/case`, `/tasks`, `/agenda`, and the
//! buttons under reminders) beside the buttons under new cases; internal messages come next.

pub mod api;
pub mod channel;
pub mod commands;
pub mod config;
mod desk;
pub mod dialogue;
pub mod files;
pub mod handler;
pub mod menu;
pub mod poller;
pub mod prompts;
pub mod receipt;
pub mod text;
pub mod webhook;

pub use channel::TelegramChannel;
pub use config::TelegramSettings;
pub use handler::TelegramHandler;
pub use poller::Poller;
