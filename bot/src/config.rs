//! The `[telegram]` settings section.

use std::fmt;

use serde::Deserialize;

/// How hdnd talks to the Telegram Bot API. Without a token, Telegram is off.
#[derive(Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct TelegramSettings {
    /// The bot token from @BotFather; a secret.
    pub token: Option<String>,
    /// The Bot API server; Telegram's own unless set (tests point it at a fake on loopback).
    pub api_url: Option<String>,
}

impl TelegramSettings {
    pub fn enabled(&self) -> bool {
        self.token.as_deref().is_some_and(|t| !t.trim().is_empty())
    }
}

// Written by hand: the token is a secret.
impl fmt::Debug for TelegramSettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TelegramSettings")
            .field("token", &self.token.as_ref().map(|_| "<secret>"))
            .field("api_url", &self.api_url)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_token_is_never_printed() {
        let settings = TelegramSettings {
            token: Some("123456:ABC-secret".to_owned()),
            api_url: None,
        };
        assert!(settings.enabled());
        assert!(!format!("{settings:?}").contains("ABC-secret"));
        assert!(!TelegramSettings::default().enabled());
    }
}
