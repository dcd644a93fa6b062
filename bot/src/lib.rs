//! hdnd-bot: the Telegram side of hdnd.
//!
//! So far: the outbound [`channel::TelegramChannel`] (the hub's `Channel` over the Bot API),
//! what every Telegram message must respect (message and callback-data limits, Telegram-HTML
//! escaping: [`text`]), and the `[telegram]` settings section. The dialogues come next.

pub mod channel;
pub mod config;
pub mod text;

pub use channel::TelegramChannel;
pub use config::TelegramSettings;
