//! hdnd-bot: the Telegram side of hdnd.
//!
//! This first slice holds what every Telegram message must respect whatever sends it: the
//! message and callback-data limits and Telegram-HTML escaping ([`text`]), and the `[telegram]`
//! settings section. The dialogues and the `hub::Channel` implementation come with the bot.

pub mod config;
pub mod text;

pub use config::TelegramSettings;
