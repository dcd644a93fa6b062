//! The `[telegram]` settings section.

use std::fmt;

use hdnd_hub::config::InvalidSetting;
use serde::{Deserialize, Serialize};

/// How hdnd talks to the Telegram Bot API. Without a token, Telegram is off.
#[derive(Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct TelegramSettings {
    /// The bot token from @BotFather; a secret.
    pub token: Option<String>,
    /// The Bot API server; Telegram's own unless set (tests point it at a fake on loopback).
    pub api_url: Option<String>,
    /// How long one `getUpdates` long poll waits for an update before Telegram answers with
    /// none. Longer means fewer requests; an update still arrives at once.
    pub poll_timeout_secs: u64,
    /// How often the instance that polls renews its leader lease. Another instance takes
    /// over within two of these after it stops.
    pub leader_renew_ms: u64,
}

impl Default for TelegramSettings {
    fn default() -> Self {
        Self {
            token: None,
            api_url: None,
            poll_timeout_secs: 30,
            leader_renew_ms: 10_000,
        }
    }
}

/// Telegram's own Bot API server.
pub const DEFAULT_API_URL: &str = "https://api.telegram.org";

impl TelegramSettings {
    pub fn enabled(&self) -> bool {
        self.token.as_deref().is_some_and(|t| !t.trim().is_empty())
    }

    /// The configured token, trimmed; `None` when Telegram is off.
    pub(crate) fn token(&self) -> Option<&str> {
        self.token
            .as_deref()
            .map(str::trim)
            .filter(|t| !t.is_empty())
    }

    /// The bot's own id: the digits before the colon of its token (`None` when Telegram is
    /// off or the token is malformed).
    pub fn bot_id(&self) -> Option<u64> {
        let (id, _) = self.token()?.split_once(':')?;
        id.parse().ok()
    }

    /// The Bot API server to call.
    pub fn api_url(&self) -> &str {
        self.api_url
            .as_deref()
            .map(str::trim)
            .unwrap_or(DEFAULT_API_URL)
    }

    /// With Telegram on: a token shaped like BotFather's (`<bot id>:<secret>`), and an API
    /// server that is an http(s) URL. The token itself never appears in the message.
    pub fn check(&self) -> Result<(), InvalidSetting> {
        let Some(token) = self.token() else {
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
        hdnd_hub::config::at_least_one("telegram.poll_timeout_secs", self.poll_timeout_secs)?;
        // Telegram holds a long poll for at most 50 seconds.
        if self.poll_timeout_secs > 50 {
            return Err(InvalidSetting::new(
                "telegram.poll_timeout_secs",
                "must be at most 50 (Telegram ends a long poll by then)",
            ));
        }
        hdnd_hub::config::at_least_one("telegram.leader_renew_ms", self.leader_renew_ms)
    }
}

// Written by hand: the token is a secret.
impl fmt::Debug for TelegramSettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TelegramSettings")
            .field("token", &self.token.as_ref().map(|_| "<secret>"))
            .field("api_url", &self.api_url)
            .field("poll_timeout_secs", &self.poll_timeout_secs)
            .field("leader_renew_ms", &self.leader_renew_ms)
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
            ..TelegramSettings::default()
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
            ..TelegramSettings::default()
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
            ..TelegramSettings::default()
        };
        assert_eq!(off.check(), Ok(()));
        for (timeout, renew, key) in [
            (0, 1000, "telegram.poll_timeout_secs"),
            (51, 1000, "telegram.poll_timeout_secs"),
            (30, 0, "telegram.leader_renew_ms"),
        ] {
            let settings = TelegramSettings {
                poll_timeout_secs: timeout,
                leader_renew_ms: renew,
                ..with("1:A", None)
            };
            assert_eq!(settings.check().unwrap_err().key, key);
        }
    }

    #[test]
    fn the_bot_id_is_the_tokens_digits_before_the_colon() {
        let with = |token: &str| TelegramSettings {
            token: Some(token.to_owned()),
            ..TelegramSettings::default()
        };
        assert_eq!(with(" 123456:ABC-def ").bot_id(), Some(123_456));
        assert_eq!(with("ABC").bot_id(), None);
        assert_eq!(TelegramSettings::default().bot_id(), None);
        assert_eq!(TelegramSettings::default().api_url(), DEFAULT_API_URL);
    }
}
