//! The hub's settings sections.

use std::fmt;
use std::io::Write;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::domain::ContactKey;

/// A setting whose value cannot be used, named by its dotted key (`email.smtp.port`), so that
/// the settings loader can point at the file line or the variable it came from.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{key}: {message}")]
pub struct InvalidSetting {
    pub key: &'static str,
    pub message: String,
}

impl InvalidSetting {
    pub fn new(key: &'static str, message: impl Into<String>) -> Self {
        Self {
            key,
            message: message.into(),
        }
    }
}

/// Refuses 0 where a count or a duration of 0 would stop the work (a batch of no rows, a
/// lease that is over before it starts).
pub fn at_least_one(key: &'static str, value: u64) -> Result<(), InvalidSetting> {
    if value == 0 {
        return Err(InvalidSetting::new(key, "must be at least 1"));
    }
    Ok(())
}

/// `[database]`: which database, and how long to wait for it.
#[derive(Clone, PartialEq, Eq, Deserialize, Serialize)]
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

/// `[citizens]`: the secret that keys the hashes by which a denouncer finds their case.
#[derive(Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct CitizenSettings {
    /// At least 32 bytes; every instance on one database must have the same. When empty, the
    /// key is read from `contact_key_file`, which is made with a random key on first start.
    pub contact_key: Option<String>,
    pub contact_key_file: PathBuf,
}

impl Default for CitizenSettings {
    fn default() -> Self {
        Self {
            contact_key: None,
            contact_key_file: PathBuf::from("data/contact.key"),
        }
    }
}

// Written by hand: the key is a secret.
impl fmt::Debug for CitizenSettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CitizenSettings")
            .field("contact_key", &self.contact_key.as_ref().map(|_| "***"))
            .field("contact_key_file", &self.contact_key_file)
            .finish()
    }
}

impl CitizenSettings {
    /// The configured key, or the key file's (made, readable by its owner only, if missing).
    /// Losing the key file makes earlier denouncers' cases unfindable by contact; the cases
    /// themselves and their sealed identities are untouched.
    pub fn contact_key(&self) -> Result<ContactKey, String> {
        if let Some(key) = self.contact_key.as_deref().filter(|k| !k.is_empty()) {
            return ContactKey::new(key).map_err(|e| format!("citizens.contact_key: {e}"));
        }
        let file = &self.contact_key_file;
        let shown = file.display();
        match std::fs::read_to_string(file) {
            Ok(text) => {
                let bytes = hex_decode(text.trim())
                    .ok_or_else(|| format!("{shown}: the contact key is not hexadecimal"))?;
                ContactKey::new(bytes).map_err(|e| format!("{shown}: {e}"))
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                make_key_file(file).map_err(|e| format!("cannot make the contact key {shown}: {e}"))
            }
            Err(e) => Err(format!("cannot read the contact key {shown}: {e}")),
        }
    }
}

fn make_key_file(file: &Path) -> std::io::Result<ContactKey> {
    if let Some(folder) = file.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(folder)?;
    }
    let bytes: [u8; 32] = rand::random();
    let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    match options.open(file) {
        Ok(mut out) => {
            writeln!(out, "{hex}")?;
            out.sync_all()?;
            // Without this key no denouncer finds their case by contact again: the operator
            // must know it exists, and back it up with the database.
            tracing::warn!(
                key.file = %file.display(),
                "made a new contact key at {}; back it up with the database, and give every instance the same key",
                file.display()
            );
            ContactKey::new(bytes).map_err(std::io::Error::other)
        }
        // Another process made it first: use theirs.
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
            let text = std::fs::read_to_string(file)?;
            hex_decode(text.trim())
                .and_then(|b| ContactKey::new(b).ok())
                .ok_or_else(|| std::io::Error::other("the contact key file is malformed"))
        }
        Err(e) => Err(e),
    }
}

fn hex_decode(text: &str) -> Option<Vec<u8>> {
    if !text.len().is_multiple_of(2) {
        return None;
    }
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(text.get(i..i + 2)?, 16).ok())
        .collect()
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

    #[test]
    fn a_missing_contact_key_file_is_made_once_and_read_back() {
        let dir = tempfile::tempdir().unwrap();
        let settings = CitizenSettings {
            contact_key: None,
            contact_key_file: dir.path().join("data/contact.key"),
        };
        let made = settings.contact_key().unwrap();
        let again = settings.contact_key().unwrap();
        let contact = crate::domain::NormalisedContact::parse(
            crate::domain::ContactKind::Email,
            "a@example.org",
        )
        .unwrap();
        assert_eq!(
            crate::domain::contact_hash(&made, &contact),
            crate::domain::contact_hash(&again, &contact)
        );
        assert!(
            !format!("{settings:?}")
                .contains(&std::fs::read_to_string(&settings.contact_key_file).unwrap())
        );
        let short = CitizenSettings {
            contact_key: Some("short".to_owned()),
            ..settings
        };
        assert!(
            short
                .contact_key()
                .unwrap_err()
                .contains("citizens.contact_key")
        );
    }
}
