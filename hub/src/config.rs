//! The hub's settings sections.

use std::fmt;

use serde::Deserialize;

/// `[database]`: which database, and how long to wait for it.
#[derive(Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct DatabaseSettings {
    /// `sqlite://data/hdnd.db` (the default) or `postgres://user:password@host/db`.
    pub url: String,
    /// How long to wait for a connection before giving up, in seconds.
    pub connect_timeout_secs: u64,
}

impl Default for DatabaseSettings {
    fn default() -> Self {
        Self {
            url: "sqlite://data/hdnd.db".to_owned(),
            connect_timeout_secs: 10,
        }
    }
}

impl DatabaseSettings {
    /// The URL with any password replaced by `***`, fit for logs and messages.
    pub fn redacted_url(&self) -> String {
        redact_url(&self.url)
    }
}

// Written by hand: the URL may carry a password.
impl fmt::Debug for DatabaseSettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DatabaseSettings")
            .field("url", &self.redacted_url())
            .field("connect_timeout_secs", &self.connect_timeout_secs)
            .finish()
    }
}

/// `scheme://user:secret@host/db` → `scheme://user:***@host/db`.
pub fn redact_url(url: &str) -> String {
    let Some(scheme_end) = url.find("://").map(|i| i + 3) else {
        return url.to_owned();
    };
    let rest = &url[scheme_end..];
    let authority_end = rest.find('/').unwrap_or(rest.len());
    let Some(at) = rest[..authority_end].rfind('@') else {
        return url.to_owned();
    };
    match rest[..at].find(':') {
        Some(colon) => format!(
            "{}{}:***{}",
            &url[..scheme_end],
            &rest[..colon],
            &rest[at..]
        ),
        None => url.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_never_show() {
        let settings = DatabaseSettings {
            url: "postgres://hub:s3cret@db.example:5432/hdnd".to_owned(),
            connect_timeout_secs: 10,
        };
        assert_eq!(
            settings.redacted_url(),
            "postgres://hub:***@db.example:5432/hdnd"
        );
        assert!(!format!("{settings:?}").contains("s3cret"));
        assert_eq!(redact_url("sqlite://data/hdnd.db"), "sqlite://data/hdnd.db");
        assert_eq!(
            redact_url("postgres://postgres@127.0.0.1/test"),
            "postgres://postgres@127.0.0.1/test"
        );
    }
}
