//! The `[telegram]` settings section.

use std::fmt;

use hdnd_hub::config::InvalidSetting;
use serde::{Deserialize, Serialize};

/// How hdnd talks to the Telegram Bot API. Without a token, Telegram is off.
#[derive(Clone, Default, PartialEq, Eq, Deserialize, Serialize)]
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

    /// With Telegram on: a token shaped like BotFather's (`<bot id>:<secret>`), and an API
    /// server that is an http(s) URL. The token itself never appears in the message.
    pub fn check(&self) -> Result<(), InvalidSetting> {
        let Some(token) = self
            .token
            .as_deref()
            .map(str::trim)
            .filter(|t| !t.is_empty())
        else {
            return Ok(());
        };
        let shaped = token.split_once(':').is_some_and(|(id, secret)| {
            !id.is_empty()
                && id.bytes().all(|b| b.is_ascii_digit())
                && !secret.is_empty()
                && secret
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
        });
        if !shaped {
            return Err(InvalidSetting::new(
                "telegram.token",
                "is not a bot token from @BotFather (digits, a colon, then letters, digits, _ or -)",
            ));
        }
        if let Some(api_url) = &self.api_url {
            let parsed = url::Url::parse(api_url.trim());
            if !parsed.is_ok_and(|u| matches!(u.scheme(), "http" | "https") && u.has_host()) {
                return Err(InvalidSetting::new(
                    "telegram.api_url",
                    format!("`{api_url}` is not an http(s) URL like https://api.telegram.org"),
                ));
            }
        }
        Ok(())
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

    #[test]
    fn a_malformed_token_or_api_url_is_refused_without_showing_the_token() {
        let with = |token: &str, api_url: Option<&str>| TelegramSettings {
            token: Some(token.to_owned()),
            api_url: api_url.map(str::to_owned),
        };
        assert_eq!(with("123456:ABC-def_9", None).check(), Ok(()));
        assert_eq!(
            with("123456:ABC", Some("http://127.0.0.1:9/")).check(),
            Ok(())
        );
        for bad in ["ABC-secret", "12x:ABC", "123456:", "123456:AB C"] {
            let err = with(bad, None).check().unwrap_err();
            assert_eq!(err.key, "telegram.token", "{bad}");
            assert!(!err.to_string().contains(bad), "{err}");
        }
        for bad in ["api.telegram.org", "ftp://api.telegram.org", "http://"] {
            let err = with("1:A", Some(bad)).check().unwrap_err();
            assert_eq!(err.key, "telegram.api_url", "{bad}");
        }
        // Off: nothing to check.
        let off = TelegramSettings {
            token: None,
            api_url: Some("not a url".to_owned()),
        };
        assert_eq!(off.check(), Ok(()));
    }
}
