//! Attached files: the file-store port ([`BlobStore`]), its filesystem implementation
//! ([`FsBlobStore`]), and the pure step that accepts or refuses a file before it is stored
//! ([`FilePolicy`]): limits, the type sniffed from the bytes, and a safe original name.
//!
//! The store is content-addressed by SHA-256 and knows nothing of cases or names: callers hand it
//! bytes and get back a [`FileHash`]. Names, types and sizes belong to the `files` table, as an
//! [`AcceptedFile`].

mod error;
mod fs;
mod name;
mod policy;
mod sniff;

use std::fmt;
use std::str::FromStr;

use async_trait::async_trait;
use sha2::{Digest, Sha256};

pub use error::{FileError, format_size};
pub use fs::FsBlobStore;
pub use name::clean_name;
pub use policy::{AcceptedFile, CaseUsage, FileLimits, FilePolicy, FileSettings};
pub use sniff::{RefusedKind, SniffedType, sniff};

/// The SHA-256 of a file's bytes, as 64 lower-case hex digits: its key in the file store.
///
/// It can only be made from bytes or from a string that passes [`FileHash::parse`], so a store
/// may turn it into a path or an object key without further checks.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct FileHash(String);

impl FileHash {
    /// The hash of these bytes.
    pub fn of(bytes: &[u8]) -> Self {
        let digest = Sha256::digest(bytes);
        Self(digest.iter().map(|b| format!("{b:02x}")).collect())
    }

    /// Reads a stored hash; anything but 64 lower-case hex digits is refused.
    pub fn parse(s: &str) -> Result<Self, FileError> {
        let valid = s.len() == 64 && s.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'));
        if valid {
            Ok(Self(s.to_owned()))
        } else {
            Err(FileError::InvalidHash)
        }
    }

    /// The 64 hex digits.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for FileHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl FromStr for FileHash {
    type Err = FileError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

/// What the store reports after a [`BlobStore::put`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredBlob {
    /// The key of the stored bytes.
    pub hash: FileHash,
    /// Their length in bytes.
    pub size: u64,
    /// False when the same bytes were already stored and were left as they were.
    pub newly_stored: bool,
}

/// The file store: bytes in, bytes out, keyed by their [`FileHash`].
///
/// No local path crosses this trait, so an S3-compatible object store can take the place of
/// [`FsBlobStore`] when several hub instances run on several machines.
#[async_trait]
pub trait BlobStore: Send + Sync + fmt::Debug {
    /// Stores the bytes under their hash. Storing the same bytes again keeps one copy and does
    /// not rewrite it.
    async fn put(&self, bytes: &[u8]) -> Result<StoredBlob, FileError>;

    /// The stored bytes, or [`FileError::NotFound`].
    async fn get(&self, hash: &FileHash) -> Result<Vec<u8>, FileError>;

    /// Whether bytes with this hash are stored.
    async fn exists(&self, hash: &FileHash) -> Result<bool, FileError>;

    /// Removes the bytes; true if they were there. For the orphan sweep.
    async fn delete(&self, hash: &FileHash) -> Result<bool, FileError>;

    /// Every stored hash, sorted, for the orphan sweep to compare with the database.
    async fn list(&self) -> Result<Vec<FileHash>, FileError>;
}

/// Accepts a file under `policy` and, only if it is accepted, stores its bytes: the usual way a
/// file arrives. The returned [`AcceptedFile`] is the row for the `files` table.
pub async fn accept_and_store(
    store: &dyn BlobStore,
    policy: &FilePolicy,
    name: &str,
    bytes: &[u8],
    on_case: CaseUsage,
) -> Result<AcceptedFile, FileError> {
    let accepted = policy.accept(name, bytes, on_case)?;
    store.put(bytes).await?;
    Ok(accepted)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_hash_is_64_lower_case_hex_digits_of_sha256() {
        let hash = FileHash::of(b"abc");
        assert_eq!(
            hash.as_str(),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        assert_eq!(FileHash::parse(hash.as_str()).ok(), Some(hash));
    }

    #[test]
    fn a_hostile_or_malformed_hash_is_refused_before_it_becomes_a_path() {
        let valid = FileHash::of(b"x").as_str().to_owned();
        for bad in [
            "../../x".to_owned(),
            format!("../{}", &valid[3..]),
            valid.to_uppercase(),
            valid[..63].to_owned(),
            format!("{valid}0"),
            format!("{}/", &valid[..63]),
            String::new(),
        ] {
            assert!(
                matches!(FileHash::parse(&bad), Err(FileError::InvalidHash)),
                "{bad:?}"
            );
        }
    }
}
