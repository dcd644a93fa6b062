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
    /// Where Telegram posts updates (e.g. `https://hdnd.example/telegram/webhook`); when set,
    /// the bot does not poll, and the portal serves the webhook at this URL's path.
    pub webhook_url: Option<String>,
    /// What Telegram sends in `X-Telegram-Bot-Api-Secret-Token` with every webhook request;
    /// required with `webhook_url`; a secret.
    pub webhook_secret: Option<String>,
    /// Messages a chat may send in a minute; past it the bot asks once to slow down and then
    /// stays quiet until the minute is over (every message is still stored).
    pub flood_per_minute: u32,
    /// The bot's username (e.g. `hdnd_hongbang_bot`), for the deep links `hdnd staff link`
    /// prints (`https://t.me/<username>?start=<token>`); unset, it prints the `/start` command.
    pub username: Option<String>,
    /// Hours a staff member's one-time Telegram link may be used after it is issued.
    pub staff_link_hours: u32,
    /// The staff group (a supergroup with topics, e.g. `-1001234567890`, where the bot is an
    /// administrator that may manage topics): every case but denunciations gets a topic there,
    /// with its buttons, and a linked member's reply in the topic becomes, once confirmed, the
    /// question to the citizen or the answer. Unset, everything happens in private chats.
    pub staff_group: Option<i64>,
}

impl Default for TelegramSettings {
    fn default() -> Self {
        Self {
            token: None,
            api_url: None,
            poll_timeout_secs: 30,
            leader_renew_ms: 10_000,
            webhook_url: None,
            webhook_secret: None,
            flood_per_minute: crate::handler::DEFAULT_FLOOD_PER_MINUTE,
            username: None,
            staff_link_hours: DEFAULT_STAFF_LINK_HOURS,
            staff_group: None,
        }
    }
}

/// How long a staff link may be used unless `staff_link_hours` says otherwise.
pub const DEFAULT_STAFF_LINK_HOURS: u32 = 24;
/// The longest a staff link may be made to last: a month.
const MAX_STAFF_LINK_HOURS: u32 = 720;

/// Telegram's own Bot API server.
pub const DEFAULT_API_URL: &str = "https://api.telegram.org";

/// Webhook mode: where Telegram posts updates and the secret it sends with them.
#[derive(Clone, PartialEq, Eq)]
pub struct Webhook {
    pub url: url::Url,
    pub secret: String,
}

impl Webhook {
    /// The path the portal serves the webhook at.
    pub fn path(&self) -> &str {
        self.url.path()
    }
}

// Written by hand: the secret is a secret.
impl fmt::Debug for Webhook {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Webhook")
            .field("url", &self.url.as_str())
            .finish_non_exhaustive()
    }
}

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

    /// Webhook mode, when a valid `webhook_url` and `webhook_secret` are set; `None` means
    /// long polling (and with Telegram off, nothing).
    pub fn webhook(&self) -> Option<Webhook> {
        let url = url::Url::parse(self.webhook_url.as_deref()?.trim()).ok()?;
        let secret = self.webhook_secret.as_deref()?.trim().to_owned();
        Some(Webhook { url, secret })
    }

    /// The Bot API server to call.
    pub fn api_url(&self) -> &str {
        self.api_url
            .as_deref()
            .map(str::trim)
            .unwrap_or(DEFAULT_API_URL)
    }

    /// The bot's username without a leading `@`, when set.
    pub fn username(&self) -> Option<&str> {
        self.username
            .as_deref()
            .map(|u| u.trim().trim_start_matches('@'))
            .filter(|u| !u.is_empty())
    }

    /// How long a staff member's one-time Telegram link may be used.
    pub fn staff_link_ttl(&self) -> std::time::Duration {
        std::time::Duration::from_secs(u64::from(self.staff_link_hours) * 3600)
    }

    /// The settings that matter with Telegram on or off (`hdnd staff link` runs either way):
    /// a username as Telegram makes them (5 to 32 letters, digits or `_`, starting with a
    /// letter, ending in "bot"), and a staff link time of 1 to 720 hours.
    fn check_linking(&self) -> Result<(), InvalidSetting> {
        if let Some(name) = &self.username {
            let bare = name.trim().trim_start_matches('@');
            let shaped = (5..=32).contains(&bare.len())
                && bare.starts_with(|c: char| c.is_ascii_alphabetic())
                && bare.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
                && bare.to_ascii_lowercase().ends_with("bot");
            if !shaped {
                return Err(InvalidSetting::new(
                    "telegram.username",
                    format!(
                        "`{name}` is not a bot username: 5 to 32 letters, digits or _, starting with a letter and ending in \"bot\" (e.g. hdnd_hongbang_bot)"
                    ),
                ));
            }
        }
        // A supergroup's id is negative: a positive one is a person's private chat.
        if let Some(group) = self.staff_group.filter(|g| *g >= 0) {
            return Err(InvalidSetting::new(
                "telegram.staff_group",
                format!(
                    "`{group}` is not a group's chat id: a supergroup's is negative, like -1001234567890"
                ),
            ));
        }
        if !(1..=MAX_STAFF_LINK_HOURS).contains(&self.staff_link_hours) {
            return Err(InvalidSetting::new(
                "telegram.staff_link_hours",
                format!("must be 1 to {MAX_STAFF_LINK_HOURS} hours"),
            ));
        }
        Ok(())
    }

    /// With Telegram on: a token shaped like BotFather's (`<bot id>:<secret>`), and an API
    /// server that is an http(s) URL. The token itself never appears in the message.
    pub fn check(&self) -> Result<(), InvalidSetting> {
        self.check_linking()?;
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
        hdnd_hub::config::at_least_one(
            "telegram.flood_per_minute",
            u64::from(self.flood_per_minute),
        )?;
        // Telegram holds a long poll for at most 50 seconds.
        if self.poll_timeout_secs > 50 {
            return Err(InvalidSetting::new(
                "telegram.poll_timeout_secs",
                "must be at most 50 (Telegram ends a long poll by then)",
            ));
        }
        hdnd_hub::config::at_least_one("telegram.leader_renew_ms", self.leader_renew_ms)?;
        self.check_webhook()
    }

    /// The webhook pair: an https URL (http only to a loopback host, for a proxy on the same
    /// machine or a test) with a path of its own, and the secret Telegram allows (1–256 of
    /// `A-Z a-z 0-9 _ -`). Neither without the other.
    fn check_webhook(&self) -> Result<(), InvalidSetting> {
        let url = self.webhook_url.as_deref().map(str::trim);
        let secret = self.webhook_secret.as_deref().map(str::trim);
        let Some(url) = url else {
            if secret.is_some() {
                return Err(InvalidSetting::new(
                    "telegram.webhook_secret",
                    "is set but telegram.webhook_url is not; set both for webhook mode, or neither for long polling",
                ));
            }
            return Ok(());
        };
        let key = "telegram.webhook_url";
        let parsed = url::Url::parse(url).map_err(|_| {
            InvalidSetting::new(
                key,
                format!("`{url}` is not a URL like https://hdnd.example/telegram/webhook"),
            )
        })?;
        let loopback = match parsed.host() {
            Some(url::Host::Domain(name)) => name.eq_ignore_ascii_case("localhost"),
            Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
            Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
            None => false,
        };
        match parsed.scheme() {
            "https" if parsed.has_host() => {}
            "http" if loopback => {}
            _ => {
                return Err(InvalidSetting::new(
                    key,
                    format!(
                        "`{url}` must be an https URL (Telegram posts only over TLS; http only to a loopback host)"
                    ),
                ));
            }
        }
        let path = parsed.path();
        // The route is this path: it needs one of its own, and characters the router takes
        // literally (`:` and `*` would start a parameter).
        let plain = path
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'/' | b'-' | b'_' | b'.' | b'~'));
        if path == "/" || !plain || parsed.fragment().is_some() {
            return Err(InvalidSetting::new(
                key,
                format!(
                    "`{url}` needs a path of its own such as /telegram/webhook, of letters, digits, -, _, . and / only, and no #fragment"
                ),
            ));
        }
        let shaped = secret.is_some_and(|s| {
            (1..=256).contains(&s.len())
                && s.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
        });
        if !shaped {
            return Err(InvalidSetting::new(
                "telegram.webhook_secret",
                "must be set with telegram.webhook_url: 1 to 256 letters, digits, _ or - (Telegram's rule for secret_token)",
            ));
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
            .field("poll_timeout_secs", &self.poll_timeout_secs)
            .field("leader_renew_ms", &self.leader_renew_ms)
            .field("flood_per_minute", &self.flood_per_minute)
            .field("username", &self.username)
            .field("staff_link_hours", &self.staff_link_hours)
            .field("staff_group", &self.staff_group)
            .field("webhook_url", &self.webhook_url)
            .field(
                "webhook_secret",
                &self.webhook_secret.as_ref().map(|_| "<secret>"),
            )
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
    fn a_staff_group_is_a_supergroups_negative_id() {
        let with = |group| TelegramSettings {
            staff_group: Some(group),
            ..TelegramSettings::default()
        };
        assert_eq!(with(-1_001_234_567_890).check(), Ok(()));
        for private in [0, 4242] {
            let err = with(private).check().unwrap_err();
            assert_eq!(err.key, "telegram.staff_group", "{private}");
        }
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
    fn the_webhook_pair_is_checked_together_and_the_secret_never_shown() {
        let with = |url: Option<&str>, secret: Option<&str>| TelegramSettings {
            token: Some("1:A".to_owned()),
            webhook_url: url.map(str::to_owned),
            webhook_secret: secret.map(str::to_owned),
            ..TelegramSettings::default()
        };
        let secret = "Wh00k_secret-9";
        for url in [
            "https://hdnd.example/telegram/webhook",
            "https://hdnd.example:8443/tg/a.b~c_d-e",
            "http://127.0.0.1:8080/telegram/webhook",
            "http://localhost/telegram/webhook",
            "http://[::1]/telegram/webhook",
        ] {
            let settings = with(Some(url), Some(secret));
            assert_eq!(settings.check(), Ok(()), "{url}");
            let webhook = settings.webhook().unwrap();
            assert_eq!(webhook.secret, secret);
            assert!(!format!("{settings:?} {webhook:?}").contains(secret));
        }
        assert_eq!(
            with(Some("https://hdnd.example/telegram/webhook"), Some(secret))
                .webhook()
                .unwrap()
                .path(),
            "/telegram/webhook"
        );
        assert_eq!(with(Some("https://h.example/w"), None).webhook(), None);
        let longest = "a".repeat(256);
        assert_eq!(
            with(Some("https://h.example/w"), Some(&longest)).check(),
            Ok(())
        );
        for (url, key) in [
            (
                "http://hdnd.example/telegram/webhook",
                "telegram.webhook_url",
            ),
            ("http://10.0.0.1/telegram/webhook", "telegram.webhook_url"),
            ("hdnd.example/telegram/webhook", "telegram.webhook_url"),
            (
                "ftp://hdnd.example/telegram/webhook",
                "telegram.webhook_url",
            ),
            ("https://hdnd.example", "telegram.webhook_url"),
            ("https://hdnd.example/", "telegram.webhook_url"),
            ("https://hdnd.example/:id", "telegram.webhook_url"),
            ("https://hdnd.example/a*", "telegram.webhook_url"),
            ("https://hdnd.example/w#x", "telegram.webhook_url"),
        ] {
            let err = with(Some(url), Some(secret)).check().unwrap_err();
            assert_eq!(err.key, key, "{url}");
        }
        let too_long = "a".repeat(257);
        for bad in [
            None,
            Some(""),
            Some("a b"),
            Some("sécret"),
            Some("a=b"),
            Some(too_long.as_str()),
        ] {
            let err = with(Some("https://hdnd.example/w"), bad)
                .check()
                .unwrap_err();
            assert_eq!(err.key, "telegram.webhook_secret", "{bad:?}");
            if let Some(bad) = bad.filter(|b| !b.is_empty()) {
                assert!(!err.to_string().contains(bad));
            }
        }
        let err = with(None, Some(secret)).check().unwrap_err();
        assert_eq!(err.key, "telegram.webhook_secret");
        assert_eq!(with(None, None).check(), Ok(()));
        assert_eq!(with(None, None).webhook(), None);
    }

    #[test]
    fn the_username_and_the_staff_link_time_are_checked_with_telegram_on_or_off() {
        let with = |username: Option<&str>, hours: u32| TelegramSettings {
            username: username.map(str::to_owned),
            staff_link_hours: hours,
            ..TelegramSettings::default()
        };
        for good in ["hdnd_hongbang_bot", "@HongBangBot", "abcbot", " hdnd_Bot "] {
            assert_eq!(with(Some(good), 24).check(), Ok(()), "{good}");
        }
        assert_eq!(
            with(Some("@HongBangBot"), 24).username(),
            Some("HongBangBot")
        );
        assert_eq!(with(None, 24).username(), None);
        for bad in [
            "hdnd_hongbang",
            "bot",
            "1hdnd_bot",
            "hdnd-bot",
            "hđnd_bot",
            "",
            "a_very_long_name_of_a_council_bot",
        ] {
            let err = with(Some(bad), 24).check().unwrap_err();
            assert_eq!(err.key, "telegram.username", "{bad}");
        }
        for bad in [0, 721] {
            let err = with(None, bad).check().unwrap_err();
            assert_eq!(err.key, "telegram.staff_link_hours", "{bad}");
        }
        assert_eq!(
            TelegramSettings::default().staff_link_ttl(),
            std::time::Duration::from_secs(24 * 3600)
        );
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
